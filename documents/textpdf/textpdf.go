// Package textpdf typesets plain German text as a simple, valid PDF: A4
// pages, Helvetica in WinAnsi encoding (umlauts, ß, €, typographic
// quotes), word-wrapped paragraphs, headings, page numbers. The demo
// council, the OParl import tests and the benchmarks make their
// council-like PDFs with it from real council texts.
package textpdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/font"
	"golang.org/x/text/encoding/charmap"
)

// Doc is what to typeset.
type Doc struct {
	Title   string // document information and first heading
	Author  string
	Subject string
	Created time.Time
	// Header is printed small at the top of every page (e.g. "Stadt
	// Karlsruhe · Gemeinderat"); "" for none.
	Header string
	// Blocks are the paragraphs; a block starting with "# " is a heading.
	// A form feed "\f" alone as a block starts a new page.
	Blocks []string
}

// FromText splits plain text into blocks at blank lines; lines within a
// paragraph are joined.
func FromText(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var blocks []string
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.TrimSpace(strings.Join(strings.Fields(para), " "))
		if para != "" {
			blocks = append(blocks, para)
		}
	}
	return blocks
}

const (
	pageW, pageH = 595.28, 841.89
	margin       = 62.0
	bodySize     = 10.5
	leading      = 14.0
	headSize     = 14.0
)

// Write typesets d as a PDF to w and returns the number of pages.
func Write(w io.Writer, d Doc) (int, error) {
	var pages [][]string // content stream operators per page
	var cur []string
	y := pageH - margin
	newPage := func() {
		if cur != nil {
			pages = append(pages, cur)
		}
		cur = []string{}
		y = pageH - margin
		if d.Header != "" {
			cur = append(cur, fmt.Sprintf("BT /F1 8 Tf 0.35 g %.2f %.2f Td (%s) Tj ET 0 g", margin, pageH-36, esc(d.Header)))
		}
	}
	newPage()
	line := func(fontName string, size float64, s string) {
		if y < margin+leading {
			newPage()
		}
		cur = append(cur, fmt.Sprintf("BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET", fontName, size, margin, y, esc(s)))
		y -= leading * size / bodySize
	}
	blocks := d.Blocks
	if d.Title != "" {
		blocks = append([]string{"# " + d.Title}, blocks...)
	}
	for _, b := range blocks {
		switch {
		case b == "\f":
			newPage()
			continue
		case strings.HasPrefix(b, "# "):
			if y < margin+4*leading {
				newPage()
			}
			for _, l := range wrap(strings.TrimPrefix(b, "# "), "Helvetica-Bold", headSize) {
				line("F2", headSize, l)
			}
		default:
			for _, l := range wrap(b, "Helvetica", bodySize) {
				line("F1", bodySize, l)
			}
		}
		y -= leading / 2
	}
	pages = append(pages, cur)
	return len(pages), writeFile(w, d, pages)
}

// wrap breaks s into lines that fit the text width.
func wrap(s, fontName string, size float64) []string {
	max := pageW - 2*margin
	var lines []string
	var line string
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if width(try, fontName, size) <= max || line == "" {
			line = try
			continue
		}
		lines = append(lines, line)
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func width(s, fontName string, size float64) float64 {
	w, err := font.TextWidthFloat(s, fontName, size)
	if err != nil || w == 0 {
		return float64(len([]rune(s))) * size * 0.55
	}
	return w
}

var winAnsi = charmap.Windows1252.NewEncoder()

// esc encodes s in WinAnsi and escapes it for a PDF string literal.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		enc, err := winAnsi.String(string(r))
		if err != nil || len(enc) != 1 {
			enc = "?"
		}
		c := enc[0]
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteByte(' ')
		case c >= 0x80:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func pdfDate(t time.Time) string {
	if t.IsZero() {
		t = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t.UTC().Format("D:20060102150405Z")
}

func writeFile(w io.Writer, d Doc, pages [][]string) error {
	var buf bytes.Buffer
	var offsets []int
	obj := func(body string) int {
		offsets = append(offsets, buf.Len())
		n := len(offsets)
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", n, body)
		return n
	}
	streamObj := func(dict string, data []byte) int {
		offsets = append(offsets, buf.Len())
		n := len(offsets)
		fmt.Fprintf(&buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
		buf.Write(data)
		buf.WriteString("\nendstream\nendobj\n")
		return n
	}
	buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	// Fixed object numbers: 1 catalog, 2 pages, 3 and 4 fonts, 5 info,
	// then a content stream and a page object per page.
	total := len(pages)
	kids := make([]string, total)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 7+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R /Lang (de-DE) >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), total))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Title (%s) /Author (%s) /Subject (%s) /Producer (Ratsmappe) /CreationDate (%s) >>",
		esc(d.Title), esc(d.Author), esc(d.Subject), pdfDate(d.Created)))
	for i, ops := range pages {
		ops = append(ops, fmt.Sprintf("BT /F1 8 Tf 0.35 g %.2f 30 Td (Seite %d von %d) Tj ET", pageW-margin-60, i+1, total))
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write([]byte(strings.Join(ops, "\n")))
		zw.Close()
		streamObj("/Filter /FlateDecode", z.Bytes())
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>",
			pageW, pageH, len(offsets)))
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	_, err := w.Write(buf.Bytes())
	return err
}
