package pdfworker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
)

// needTool returns the path of a command the test needs, skipping the test
// without it — except under CI, which must have everything.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (make deps installs it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// A scanned page — an image of text, no text layer — gets its text by
// OCR, marked as such.
func TestOCR(t *testing.T) {
	needTool(t, "tesseract")
	pdftoppm := needTool(t, "pdftoppm")
	dir := t.TempDir()
	text := buildPDF([]string{
		`<< /Type /Catalog /Pages 2 0 R >>`,
		`<< /Type /Pages /Kids [3 0 R] /Count 1 >>`,
		`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R
		   /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>`,
		stream("", "BT /F1 28 Tf 72 700 Td (Haushaltssatzung der Stadt) Tj 0 -40 Td (Niederschrift Gemeinderat) Tj ET"),
	})
	src := filepath.Join(dir, "text.pdf")
	os.WriteFile(src, text, 0o644)
	if out, err := exec.Command(pdftoppm, "-png", "-r", "150", "-singlefile", src, filepath.Join(dir, "scan")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	scan := filepath.Join(dir, "scan.pdf")
	if err := api.ImportImagesFile([]string{filepath.Join(dir, "scan.png")}, scan, nil, nil); err != nil {
		t.Fatalf("make image-only PDF: %v", err)
	}

	p := newPool(t, nil)
	res, err := p.Ingest(context.Background(), scan)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(res.RenditionPath)
	if got, want := len(res.Pages), 1; got != want {
		t.Fatalf("pages = %d, want %d", got, want)
	}
	pg := res.Pages[0]
	if !pg.OCR {
		t.Errorf("page not marked as OCR; text %q", pg.Text)
	}
	for _, w := range []string{"Haushaltssatzung", "Gemeinderat"} {
		if !strings.Contains(pg.Text, w) {
			t.Errorf("OCR text %q lacks %q", pg.Text, w)
		}
	}
}
