package packet_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/ratsmappe/ratsmappe/sessions/packet"
)

// page describes one page of a test PDF.
type page struct {
	text   string     // ASCII, drawn near the middle
	rotate int        // /Rotate
	crop   [4]float64 // /CropBox if not all zero
}

// makePDF writes a small PDF by hand (not with the code under test), one
// A4 page per p, each showing its text.
func makePDF(tb testing.TB, pages ...page) []byte {
	tb.Helper()
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// 1 catalog, 2 pages, 3 font, then per page: page, contents.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = strconv.Itoa(4+2*i) + " 0 R"
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, p := range pages {
		extra := ""
		if p.rotate != 0 {
			extra += fmt.Sprintf(" /Rotate %d", p.rotate)
		}
		if p.crop != [4]float64{} {
			extra += fmt.Sprintf(" /CropBox [%g %g %g %g]", p.crop[0], p.crop[1], p.crop[2], p.crop[3])
		}
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R%s >>", 5+2*i, extra))
		// Leave a scaled CTM and a colour behind, as real content does.
		content := fmt.Sprintf("0.5 0 0 0.5 0 0 cm 1 0 0 rg BT /F1 24 Tf 200 800 Td (%s) Tj ET", p.text)
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// pages returns n pages with texts "<label> Seite 1" … "<label> Seite n".
func pages(label string, n int) []page {
	var ps []page
	for i := 1; i <= n; i++ {
		ps = append(ps, page{text: fmt.Sprintf("%s Seite %d", label, i)})
	}
	return ps
}

// docFor returns a Doc serving pdf from memory, counting in opened (if not
// nil) how often it is opened.
func docFor(title string, pdf []byte, opened *atomic.Int64) packet.Doc {
	sum := sha256.Sum256(pdf)
	return packet.Doc{
		Title:  title,
		SHA256: hex.EncodeToString(sum[:]),
		Open: func() (io.ReadSeekCloser, error) {
			if opened != nil {
				opened.Add(1)
			}
			return nopCloser{bytes.NewReader(pdf)}, nil
		},
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// sampleInput is a meeting with a public item with two documents, a
// non-public item with one, and a public item without documents.
func sampleInput(tb testing.TB, member string) packet.Input {
	tb.Helper()
	return packet.Input{
		Body:         "Stadt Karlsruhe",
		Organization: "Ausschuss für Umwelt und Gesundheit",
		Location:     "Rathaus am Marktplatz, Bürgersaal",
		Start:        time.Date(2025, 10, 14, 15, 30, 0, 0, time.FixedZone("MESZ", 2*3600)),
		Member:       member,
		Items: []packet.Item{
			{Number: "Ö 1", Title: "Straßenbahnhaltestelle „Hübschstraße“: barrierefreier Ausbau", Public: true, Documents: []packet.Doc{
				docFor("Beschlussvorlage", makePDF(tb, pages("Vorlage", 2)...), nil),
				docFor("Anlage 1 – Lageplan", makePDF(tb, pages("Lageplan", 1)...), nil),
			}},
			{Number: "N 2", Title: "Grundstücksverkauf Durlacher Allee 12 an Müller GmbH", PublicTitle: "Grundstücksangelegenheit", Public: false, Documents: []packet.Doc{
				docFor("Kaufvertragsentwurf", makePDF(tb, pages("Kaufvertrag", 3)...), nil),
			}},
			{Number: "Ö 3", Title: "Mitteilungen und Anfragen", Public: true},
		},
	}
}

// buildPDF builds in and returns the packet and the Result.
func buildPDF(tb testing.TB, in packet.Input) ([]byte, packet.Result) {
	tb.Helper()
	var buf bytes.Buffer
	res, err := packet.Build(context.Background(), in, &buf)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return buf.Bytes(), res
}

// pageCount reads the page count of pdf with pdfcpu.
func pageCount(tb testing.TB, pdf []byte) int {
	tb.Helper()
	n, err := api.PageCount(bytes.NewReader(pdf), nil)
	if err != nil {
		tb.Fatalf("PageCount: %v", err)
	}
	return n
}

// bookmarks returns the outline of pdf as "title → page" lines, children
// indented by two spaces.
func bookmarks(tb testing.TB, pdf []byte) []string {
	tb.Helper()
	bms, err := api.Bookmarks(bytes.NewReader(pdf), nil)
	if err != nil {
		tb.Fatalf("Bookmarks: %v", err)
	}
	var out []string
	var walk func([]pdfcpu.Bookmark, string)
	walk = func(bms []pdfcpu.Bookmark, indent string) {
		for _, bm := range bms {
			out = append(out, fmt.Sprintf("%s%s → %d", indent, bm.Title, bm.PageFrom))
			walk(bm.Kids, indent+"  ")
		}
	}
	walk(bms, "")
	return out
}

// linkTargets returns the packet pages the link annotations on page n of
// pdf lead to, in order.
func linkTargets(tb testing.TB, pdf []byte, n int) []int {
	tb.Helper()
	ctx, err := api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err == nil {
		err = api.ValidateContext(ctx)
	}
	if err != nil {
		tb.Fatalf("read packet: %v", err)
	}
	pageOf := map[int]int{}
	for i := 1; i <= ctx.PageCount; i++ {
		_, ref, _, err := ctx.PageDict(i, false)
		if err != nil {
			tb.Fatal(err)
		}
		pageOf[ref.ObjectNumber.Value()] = i
	}
	d, _, _, err := ctx.PageDict(n, false)
	if err != nil {
		tb.Fatal(err)
	}
	annots, err := ctx.DereferenceArray(d["Annots"])
	if err != nil {
		tb.Fatal(err)
	}
	var targets []int
	for _, a := range annots {
		ad, err := ctx.DereferenceDict(a)
		if err != nil {
			tb.Fatal(err)
		}
		dest, err := ctx.DereferenceArray(ad["Dest"])
		if err != nil || len(dest) == 0 {
			tb.Fatalf("link without explicit destination: %v", ad)
		}
		ref, ok := dest[0].(types.IndirectRef)
		if !ok {
			tb.Fatalf("destination %v does not name a page", dest)
		}
		targets = append(targets, pageOf[ref.ObjectNumber.Value()])
	}
	return targets
}

// pdftotext returns the text of pages first to last of pdf, extracted by
// poppler's pdftotext (with -layout if layout), skipping the test if
// pdftotext is not installed.
func pdftotext(tb testing.TB, pdf []byte, first, last int, layout bool, extra ...string) string {
	tb.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("pdftotext (poppler-utils) is not installed")
		}
		tb.Skip("pdftotext (poppler-utils) is not installed")
	}
	path := filepath.Join(tb.TempDir(), "p.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	args := []string{"-q", "-enc", "UTF-8", "-f", strconv.Itoa(first), "-l", strconv.Itoa(last)}
	if layout {
		args = append(args, "-layout")
	}
	args = append(args, extra...)
	args = append(args, path, "-")
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
