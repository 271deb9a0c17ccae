package pdfworker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
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

// scannedPDF returns a PDF of n pages that are only an image of text, as
// a scanner makes them: the text PDF is rendered with pdftoppm and the
// image wrapped into a new PDF with pdfcpu.
func scannedPDF(t *testing.T, n int) string {
	t.Helper()
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
	if err := os.WriteFile(src, text, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pdftoppm, "-png", "-r", "150", "-singlefile", src, filepath.Join(dir, "scan")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	imgs := make([]string, n)
	for i := range imgs {
		imgs[i] = filepath.Join(dir, "scan.png")
	}
	scan := filepath.Join(dir, "scan.pdf")
	if err := api.ImportImagesFile(imgs, scan, nil, nil); err != nil {
		t.Fatalf("make image-only PDF: %v", err)
	}
	return scan
}

// A scanned page — an image of text, no text layer — gets its text by
// OCR, marked as such.
func TestOCR(t *testing.T) {
	scan := scannedPDF(t, 1)
	p := newPool(t, nil)
	if !p.OCR() {
		t.Fatal("tesseract is installed, but the pool does no OCR")
	}
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
	if got, want := p.Stats().OCRPages, 1; got != want {
		t.Errorf("Stats().OCRPages = %d, want %d", got, want)
	}
}

// A scan longer than OCR can read within the file's deadline is still
// accepted in time, with the text of the pages OCR got through.
func TestOCRWithinDeadline(t *testing.T) {
	const pages = 40
	scan := scannedPDF(t, pages)
	// Long enough that a loaded machine still finishes the non-OCR work
	// well within it; 40 scanned pages take OCR far longer (about 1 s
	// each), so OCR is still cut short.
	deadline := 15 * time.Second
	p := newPool(t, func(c *pdfworker.Config) { c.Deadline = deadline })
	// Had OCR run over, the pool would have killed the worker and
	// refused the file with timeout.
	res, err := p.Ingest(context.Background(), scan)
	if err != nil {
		t.Fatalf("got %s, want accepted", rejectionCode(err))
	}
	defer os.Remove(res.RenditionPath)
	ocr := 0
	for _, pg := range res.Pages {
		if pg.OCR {
			ocr++
		}
	}
	t.Logf("%d of %d pages OCRed within %v", ocr, pages, deadline)
	if ocr == 0 || len(res.Pages) != pages {
		t.Errorf("%d pages, %d OCRed; want %d pages, some OCRed", len(res.Pages), ocr, pages)
	}
}
