package packet_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/packet"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// squash removes all white space, so that text pdftotext extracts letter
// by letter (the diagonal watermark) can be searched for.
func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func TestBuildPersonalPacket(t *testing.T) {
	in := sampleInput(t, "Anna Beispiel")
	in.Audience = "Fassung für Ratsmitglied Anna Beispiel"
	pdf, res := buildPDF(t, in)

	// Cover and table of contents, then 2 + 1 + 3 document pages.
	if got, want := res.FrontPages, 2; got != want {
		t.Fatalf("FrontPages = %d, want %d", got, want)
	}
	if got, want := pageCount(t, pdf), res.FrontPages+6; got != want {
		t.Fatalf("packet has %d pages, want %d", got, want)
	}
	if got, want := res.Pages, res.FrontPages+6; got != want {
		t.Errorf("Result.Pages = %d, want %d", got, want)
	}
	wantPlaced := []packet.Placed{
		{Item: "Ö 1", Title: "Beschlussvorlage", FirstPage: 3, Pages: 2},
		{Item: "Ö 1", Title: "Anlage 1 – Lageplan", FirstPage: 5, Pages: 1},
		{Item: "N 2", Title: "Kaufvertragsentwurf", FirstPage: 6, Pages: 3},
	}
	if got := res.Documents; !slices.Equal(got, wantPlaced) {
		t.Errorf("Result.Documents = %+v, want %+v", got, wantPlaced)
	}

	wantBookmarks := []string{
		"Inhaltsverzeichnis → 2",
		"Ö 1 Straßenbahnhaltestelle „Hübschstraße“: barrierefreier Ausbau → 3",
		"  Beschlussvorlage → 3",
		"  Anlage 1 – Lageplan → 5",
		"N 2 Grundstücksverkauf Durlacher Allee 12 an Müller GmbH → 6",
		"  Kaufvertragsentwurf → 6",
		"Ö 3 Mitteilungen und Anfragen → 2", // no documents: where the contents list it
	}
	if got := bookmarks(t, pdf); !slices.Equal(got, wantBookmarks) {
		t.Errorf("bookmarks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantBookmarks, "\n"))
	}

	// Agenda and contents entries are links to the items' and documents'
	// first pages.
	if got, want := linkTargets(t, pdf, 1), []int{3, 6}; !slices.Equal(got, want) {
		t.Errorf("cover links lead to pages %v, want %v", got, want)
	}
	if got, want := linkTargets(t, pdf, 2), []int{3, 3, 5, 6, 6}; !slices.Equal(got, want) {
		t.Errorf("contents links lead to pages %v, want %v", got, want)
	}

	cover := pdftotext(t, pdf, 1, 1, false, "-raw")
	for _, want := range []string{
		"Stadt Karlsruhe",
		"Ausschuss für Umwelt und Gesundheit",
		"Dienstag, 14. Oktober 2025, 15:30 Uhr",
		"Ort: Rathaus am Marktplatz, Bürgersaal",
		"Fassung für Ratsmitglied Anna Beispiel",
		"Ö 1 Straßenbahnhaltestelle „Hübschstraße“: barrierefreier Ausbau",
		"N 2 Grundstücksverkauf Durlacher Allee 12 an Müller GmbH (nichtöffentlich)",
	} {
		if !strings.Contains(cover, want) {
			t.Errorf("cover lacks %q:\n%s", want, cover)
		}
	}

	for _, tt := range []struct {
		page     int
		contains []string // after squash
		lacks    []string
	}{
		{3, []string{"Ö 1 · Seite 3/8", "Vorlage Seite 1"}, []string{"NICHTÖFFENTLICH", "Vertraulich"}},
		{4, []string{"Ö 1 · Seite 4/8", "Vorlage Seite 2"}, []string{"NICHTÖFFENTLICH", "Vertraulich"}},
		{5, []string{"Ö 1 · Seite 5/8", "Lageplan Seite 1"}, []string{"NICHTÖFFENTLICH", "Vertraulich"}},
		{6, []string{"N 2 · NICHTÖFFENTLICH · Seite 6/8", "Vertraulich – Anna Beispiel", "Kaufvertrag Seite 1"}, nil},
		{8, []string{"N 2 · NICHTÖFFENTLICH · Seite 8/8", "Vertraulich – Anna Beispiel", "Kaufvertrag Seite 3"}, nil},
	} {
		text := squash(pdftotext(t, pdf, tt.page, tt.page, false, "-raw"))
		for _, want := range tt.contains {
			if !strings.Contains(text, squash(want)) {
				t.Errorf("page %d lacks %q: %s", tt.page, want, text)
			}
		}
		for _, bad := range tt.lacks {
			if strings.Contains(text, squash(bad)) {
				t.Errorf("page %d shows %q: %s", tt.page, bad, text)
			}
		}
	}

	golden(t, "front_personal.txt", pdftotext(t, pdf, 1, res.FrontPages, false, "-raw"))
}

func TestBuildPublicPacketLeavesOutNonPublic(t *testing.T) {
	in := sampleInput(t, "")
	pdf, res := buildPDF(t, in)

	// The non-public item's three pages are not in it.
	if got, want := pageCount(t, pdf), res.FrontPages+3; got != want {
		t.Fatalf("packet has %d pages, want %d", got, want)
	}
	all := pdftotext(t, pdf, 1, res.Pages, false, "-raw")
	for _, secret := range []string{"Grundstücksverkauf", "Müller", "Kaufvertrag", "Vertraulich", "NICHTÖFFENTLICH"} {
		if strings.Contains(squash(all), squash(secret)) {
			t.Errorf("public packet shows %q", secret)
		}
	}
	cover := pdftotext(t, pdf, 1, 1, false, "-raw")
	for _, want := range []string{"Öffentliche Fassung", "N 2 Grundstücksangelegenheit (nichtöffentlich)"} {
		if !strings.Contains(cover, want) {
			t.Errorf("cover lacks %q:\n%s", want, cover)
		}
	}
	wantBookmarks := []string{
		"Inhaltsverzeichnis → 2",
		"Ö 1 Straßenbahnhaltestelle „Hübschstraße“: barrierefreier Ausbau → 3",
		"  Beschlussvorlage → 3",
		"  Anlage 1 – Lageplan → 5",
		"N 2 Grundstücksangelegenheit → 2",
		"Ö 3 Mitteilungen und Anfragen → 2",
	}
	if got := bookmarks(t, pdf); !slices.Equal(got, wantBookmarks) {
		t.Errorf("bookmarks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantBookmarks, "\n"))
	}
	if got := squash(pdftotext(t, pdf, 3, 3, false, "-raw")); !strings.Contains(got, squash("Ö 1 · Seite 3/5")) {
		t.Errorf("page 3 lacks its stamp: %s", got)
	}

	golden(t, "front_public.txt", pdftotext(t, pdf, 1, res.FrontPages, false, "-raw"))

	// Without a public title the item shows as "Nichtöffentlicher Punkt".
	in.Items[1].PublicTitle = ""
	pdf, _ = buildPDF(t, in)
	if cover := pdftotext(t, pdf, 1, 1, false, "-raw"); !strings.Contains(cover, "N 2 Nichtöffentlicher Punkt\n") {
		t.Errorf("cover lacks the non-public placeholder:\n%s", cover)
	}
}

func TestBuildEmptyAgenda(t *testing.T) {
	in := sampleInput(t, "")
	in.Items = nil
	pdf, res := buildPDF(t, in)
	if got, want := pageCount(t, pdf), 2; got != want || res.Pages != want {
		t.Fatalf("packet has %d pages (Result: %d), want %d", got, res.Pages, want)
	}
	if got, want := bookmarks(t, pdf), []string{"Inhaltsverzeichnis → 2"}; !slices.Equal(got, want) {
		t.Errorf("bookmarks %v, want %v", got, want)
	}
	if text := pdftotext(t, pdf, 1, 2, false, "-raw"); !strings.Contains(text, "Keine Tagesordnungspunkte.") || !strings.Contains(text, "Keine Unterlagen.") {
		t.Errorf("front matter does not say the agenda is empty:\n%s", text)
	}
}

// A long agenda needs several cover and contents pages; every page number
// in the contents, the outline and the stamps must still be right.
func TestBuildLongAgenda(t *testing.T) {
	in := sampleInput(t, "Anna Beispiel")
	in.Items = nil
	for i := 1; i <= 45; i++ {
		it := packet.Item{
			Number: fmt.Sprintf("Ö %d", i),
			Title:  fmt.Sprintf("Punkt %d: Bebauungsplan „Nördlich der Hauptstraße“ – Satzungsbeschluss über die Änderung des Flächennutzungsplans im Bereich Grötzingen-Süd, Teil %d", i, i),
			Public: i%7 != 0,
		}
		if !it.Public {
			it.Number = fmt.Sprintf("N %d", i)
		}
		for j := 1; j <= i%3; j++ {
			it.Documents = append(it.Documents, docFor(fmt.Sprintf("Anlage %d zu Punkt %d", j, i), makePDF(t, pages(fmt.Sprintf("D%d-%d", i, j), j)...), nil))
		}
		in.Items = append(in.Items, it)
	}
	pdf, res := buildPDF(t, in)
	if res.FrontPages < 4 {
		t.Fatalf("FrontPages = %d, want at least 4 for 45 long items", res.FrontPages)
	}
	docPages := 0
	for _, d := range res.Documents {
		docPages += d.Pages
	}
	if got, want := pageCount(t, pdf), res.FrontPages+docPages; got != want {
		t.Fatalf("packet has %d pages, want %d", got, want)
	}
	front := pdftotext(t, pdf, 1, res.FrontPages, false, "-raw")
	bms := bookmarks(t, pdf)
	for _, d := range res.Documents {
		// The contents list the document with its first page …
		entry := regexp.MustCompile(regexp.QuoteMeta(d.Title) + `[ .]*` + strconv.Itoa(d.FirstPage) + `\n`)
		if !entry.MatchString(front) {
			t.Errorf("contents lack %q → %d", d.Title, d.FirstPage)
		}
		// … the outline leads there …
		if !slices.Contains(bms, fmt.Sprintf("  %s → %d", d.Title, d.FirstPage)) {
			t.Errorf("outline lacks %q → %d", d.Title, d.FirstPage)
		}
		// … and that page is the document's first, stamped with its number.
		text := squash(pdftotext(t, pdf, d.FirstPage, d.FirstPage, false, "-raw"))
		label := fmt.Sprintf("%s · Seite %d/%d", d.Item, d.FirstPage, res.Pages)
		if strings.HasPrefix(d.Item, "N") {
			label = fmt.Sprintf("%s · NICHTÖFFENTLICH · Seite %d/%d", d.Item, d.FirstPage, res.Pages)
		}
		n := strings.TrimPrefix(strings.TrimPrefix(d.Item, "Ö "), "N ")
		if want := squash(fmt.Sprintf("D%s-%d Seite 1", n, d.Pages)); !strings.Contains(text, want) || !strings.Contains(text, squash(label)) {
			t.Errorf("page %d = %s, want %q and %q", d.FirstPage, text, want, label)
		}
	}
	if !strings.Contains(front, "Tagesordnung (Fortsetzung)") || !strings.Contains(front, "Inhaltsverzeichnis (Fortsetzung)") {
		t.Errorf("continuation pages lack their headings")
	}
}

// The stamp sits upright in the top right corner of the visible page,
// whatever the page's rotation and crop box.
func TestBuildStampFollowsRotationAndCropBox(t *testing.T) {
	in := sampleInput(t, "Anna Beispiel")
	in.Items = []packet.Item{{Number: "Ö 1", Title: "Pläne", Public: true, Documents: []packet.Doc{
		docFor("Pläne", makePDF(t,
			page{text: "r0"}, page{text: "r90", rotate: 90}, page{text: "r180", rotate: 180}, page{text: "r270", rotate: -90},
			page{text: "crop", crop: [4]float64{100, 100, 400, 500}},
		), nil),
	}}}
	pdf, res := buildPDF(t, in)
	bbox := pdftotext(t, pdf, res.FrontPages+1, res.Pages, false, "-bbox")
	// pdftotext reports word boxes in the displayed (rotated) page, with
	// the origin at the top left of the media box.
	word := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">Seite</word>`)
	found := word.FindAllStringSubmatch(bbox, -1)
	type area struct{ right, top float64 } // of the visible page, displayed
	want := []area{{595, 0}, {842, 0}, {595, 0}, {842, 0}, {400, 842 - 500}}
	if len(found) != len(want) {
		t.Fatalf("found %d stamps, want %d:\n%s", len(found), len(want), bbox)
	}
	for i, m := range found {
		xMax, _ := strconv.ParseFloat(m[3], 64)
		yMin, _ := strconv.ParseFloat(m[2], 64)
		yMax, _ := strconv.ParseFloat(m[4], 64)
		w := want[i]
		if xMax > w.right || xMax < w.right-60 || yMin < w.top || yMax > w.top+25 || yMax-yMin > 12 {
			t.Errorf("page %d: stamp word at x≤%.0f, y %.0f–%.0f; want upright near (%.0f, %.0f)", i+1, xMax, yMin, yMax, w.right, w.top)
		}
	}
}

// Real council documents from the Karlsruhe corpus, if it is there.
func TestBuildCorpusDocuments(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpus/karlsruhe/pdf/*.pdf")
	if len(files) < 10 {
		if os.Getenv("CI") == "true" {
			t.Fatal("corpus not found at ../../../shared/corpus/karlsruhe/pdf")
		}
		t.Skip("corpus not found at ../../../shared/corpus/karlsruhe/pdf")
	}
	slices.Sort(files)
	files = files[:10]
	in := sampleInput(t, "Anna Beispiel")
	in.Items = nil
	want := 0
	for i, f := range files {
		n, err := api.PageCountFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want += n
		num, public := fmt.Sprintf("Ö %d", i/2+1), i/2 != 3
		if !public {
			num = fmt.Sprintf("N %d", i/2+1)
		}
		if i%2 == 0 {
			in.Items = append(in.Items, packet.Item{Number: num, Title: "Vorlage " + filepath.Base(f), Public: public})
		}
		path := f
		it := &in.Items[len(in.Items)-1]
		it.Documents = append(it.Documents, packet.Doc{Title: filepath.Base(f), Open: func() (io.ReadSeekCloser, error) { return os.Open(path) }})
	}
	pdf, res := buildPDF(t, in)
	if got := pageCount(t, pdf); got != res.FrontPages+want {
		t.Fatalf("packet has %d pages, want %d + %d", got, res.FrontPages, want)
	}
	if got, want := len(bookmarks(t, pdf)), 1+5+10; got != want {
		t.Errorf("%d bookmarks, want %d", got, want)
	}
	last := squash(pdftotext(t, pdf, res.Pages, res.Pages, false, "-raw"))
	if want := squash(fmt.Sprintf("Ö 5 · Seite %d/%d", res.Pages, res.Pages)); !strings.Contains(last, want) {
		t.Errorf("last page lacks %q: %.300s", want, last)
	}
	for _, d := range res.Documents {
		if d.Item != "N 4" {
			continue
		}
		text := squash(pdftotext(t, pdf, d.FirstPage, d.FirstPage, false, "-raw"))
		if !strings.Contains(text, squash("Vertraulich – Anna Beispiel")) || !strings.Contains(text, squash("N 4 · NICHTÖFFENTLICH")) {
			t.Errorf("non-public page %d lacks stamp or watermark: %.300s", d.FirstPage, text)
		}
	}
	if qpdf, err := exec.LookPath("qpdf"); err == nil {
		path := filepath.Join(t.TempDir(), "p.pdf")
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(qpdf, "--check", path).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	valid := makePDF(t, pages("x", 1)...)
	withDoc := func(d packet.Doc) packet.Input {
		in := sampleInput(t, "Anna Beispiel")
		in.Items[0].Documents[1] = d
		return in
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	notFound := ratsmappe.Errorf(ratsmappe.ENOTFOUND, "weg")

	for _, tt := range []struct {
		name string
		ctx  context.Context
		in   packet.Input
		code string // ratsmappe error code
		is   error  // or an error in the chain
		msg  string // in the person-safe message
	}{
		{name: "no body", in: func() packet.Input { in := sampleInput(t, ""); in.Body = " "; return in }(), code: ratsmappe.EINVALID},
		{name: "no committee", in: func() packet.Input { in := sampleInput(t, ""); in.Organization = ""; return in }(), code: ratsmappe.EINVALID},
		{name: "no Open", in: withDoc(packet.Doc{Title: "Lageplan"}), code: ratsmappe.EINVALID, msg: "Lageplan"},
		{name: "not a PDF", in: withDoc(docFor("Lageplan", []byte("Sehr geehrte Damen und Herren"), nil)), code: ratsmappe.EINVALID, msg: "„Lageplan“ zu Ö 1"},
		{name: "truncated PDF", in: withDoc(docFor("Lageplan", valid[:60], nil)), code: ratsmappe.EINVALID, msg: "Lageplan"},
		{name: "empty file", in: withDoc(docFor("Lageplan", nil, nil)), code: ratsmappe.EINVALID},
		{name: "open fails", in: withDoc(packet.Doc{Title: "Lageplan", Open: func() (io.ReadSeekCloser, error) { return nil, notFound }}), code: ratsmappe.ENOTFOUND},
		{name: "canceled", ctx: canceled, in: sampleInput(t, ""), is: context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := packet.Build(ctx, tt.in, io.Discard)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if tt.code != "" {
				if got := ratsmappe.ErrorCode(err); got != tt.code {
					t.Errorf("code %q, want %q (%v)", got, tt.code, err)
				}
			}
			if tt.msg != "" && !strings.Contains(ratsmappe.ErrorMessage(err), tt.msg) {
				t.Errorf("message %q lacks %q", ratsmappe.ErrorMessage(err), tt.msg)
			}
		})
	}

	if _, err := packet.Build(context.Background(), sampleInput(t, ""), nil); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("Build to a nil writer: %v, want EINVALID", err)
	}
	var zero packet.Input
	zero.Body, zero.Organization = "Stadt", "Rat"
	if _, err := packet.Build(context.Background(), zero, io.Discard); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("Build without a start time: %v, want EINVALID", err)
	}
}

// FuzzBuildDocument feeds arbitrary bytes as a document: Build must return
// a packet or an error, never panic, and a packet must be readable.
func FuzzBuildDocument(f *testing.F) {
	f.Add(makePDF(f, pages("x", 2)...))
	f.Add(makePDF(f, page{text: "r", rotate: 90, crop: [4]float64{10, 10, 20, 20}}))
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		in := sampleInput(t, "Anna Beispiel")
		in.Items = in.Items[1:2]
		in.Items[0].Documents = []packet.Doc{docFor("Fuzz", doc, nil)}
		var buf bytes.Buffer
		res, err := packet.Build(context.Background(), in, &buf)
		if err != nil {
			if ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Fatalf("Build: %v, want EINVALID or success", err)
			}
			return
		}
		if got := pageCount(t, buf.Bytes()); got != res.Pages {
			t.Fatalf("packet has %d pages, Result says %d", got, res.Pages)
		}
	})
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("front matter differs from %s (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
