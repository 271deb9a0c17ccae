package textpdf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ratsmappe/ratsmappe/documents/textpdf"
)

func TestWrite(t *testing.T) {
	long := strings.Repeat("Die Straßenausbaubeiträge für die Durlacher Allee werden gemäß § 3 neu berechnet. ", 200)
	var buf bytes.Buffer
	n, err := textpdf.Write(&buf, textpdf.Doc{
		Title:  "Beschlussvorlage: Radweg „Durlacher Allee“",
		Header: "Stadt Karlsruhe · Gemeinderat",
		Blocks: []string{"# Sachverhalt", long, "\f", "# Beschluss", "Der Gemeinderat beschließt (einstimmig) – Kosten 12.500 €."},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("pages = %d, want several", n)
	}
	conf := model.NewDefaultConfiguration()
	ctx, err := api.ReadContext(bytes.NewReader(buf.Bytes()), conf)
	if err != nil {
		t.Fatalf("pdfcpu cannot read it: %v", err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Fatalf("not valid in strict mode: %v", err)
	}
	if got := ctx.PageCount; got != n {
		t.Errorf("page count = %d, want %d", got, n)
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed")
	}
	f := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(f, buf.Bytes(), 0o644)
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Straßenausbaubeiträge", "„Durlacher Allee“", "12.500 €", "beschließt (einstimmig) –", "Stadt Karlsruhe · Gemeinderat", "Seite 1 von"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func TestFromText(t *testing.T) {
	got := textpdf.FromText("Erster\nAbsatz.\n\n\nZweiter   Absatz.\r\n")
	if len(got) != 2 || got[0] != "Erster Absatz." || got[1] != "Zweiter Absatz." {
		t.Errorf("FromText = %q", got)
	}
}
