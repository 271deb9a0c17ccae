package packet

import (
	"math"
	"strconv"
	"strings"
)

// The front matter: cover page(s) with the agenda, then the table of
// contents. Both are laid out here as content streams in the two standard
// fonts (resource names /F1 regular, /F2 bold) on A4 pages.
//
// Where a line breaks never depends on a page number (page numbers sit in
// a column of their own), so laying out with made-up page numbers yields
// the same number of pages as with the real ones. Build relies on this: it
// lays out once to learn how many front pages there are, which fixes every
// document's first page, and then once more with the real numbers.

const (
	pageW, pageH = 595.28, 841.89 // A4
	marginX      = 64.0
	marginTop    = 72.0
	marginBottom = 72.0
	footerY      = 40.0
	contentW     = pageW - 2*marginX
	pageNumW     = 34.0 // right-hand column of the table of contents

	agendaSize, agendaLead = 10.5, 13.5
	tocItemSize, tocLead   = 10.5, 13.5
	tocDocSize             = 10.0
	tocDocIndent           = 12.0
)

// frontPage is one laid-out page of front matter.
type frontPage struct {
	content strings.Builder
	links   []frontLink
}

// frontLink is a clickable area on a front page leading to a packet page.
type frontLink struct {
	llx, lly, urx, ury float64
	page               int // 1-based page in the packet
}

// front is the laid-out front matter.
type front struct {
	pages    []*frontPage
	tocFirst int   // 0-based index of the first table of contents page
	itemTOC  []int // per item: 0-based index of the front page listing it
}

type frontLayout struct {
	p      *plan
	first  []int // per document: first page in the packet (0 while measuring)
	total  int   // pages in the packet (0 while measuring)
	f      front
	page   *frontPage
	y      float64
	numCol float64 // width of the agenda item number column
	cont   string  // heading repeated on continuation pages
}

// layoutFront lays out the front matter for p, given each document's
// first page and the packet's page count.
func layoutFront(p *plan, first []int, total int) front {
	l := &frontLayout{p: p, first: first, total: total}
	l.f.itemTOC = make([]int, len(p.items))
	l.numCol = 0
	for _, it := range p.items {
		l.numCol = math.Max(l.numCol, width(winAnsi(it.number), fontBold, agendaSize))
	}
	l.numCol = math.Min(l.numCol+14, 110)

	l.cover()
	l.toc()
	for i, pg := range l.f.pages {
		l.footer(pg, i+1)
	}
	return l.f
}

func (l *frontLayout) newPage(heading string) {
	l.page = &frontPage{}
	l.f.pages = append(l.f.pages, l.page)
	l.y = pageH - marginTop
	if heading != "" {
		l.text(fontBold, 14, marginX, l.y, heading, "0 g")
		l.rule(l.y - 7)
		l.y -= 28
	}
}

// ensure starts a continuation page unless height points still fit.
func (l *frontLayout) ensure(height float64) {
	if l.y-height < marginBottom {
		l.newPage(l.cont)
	}
}

func (l *frontLayout) cover() {
	p := l.p
	l.newPage("")
	l.text(fontBold, 12, marginX, l.y, p.body, "0.35 g")
	l.y -= 34
	for _, s := range wrap(winAnsi(p.organization), fontBold, 22, contentW) {
		l.textRaw(fontBold, 22, marginX, l.y, s, "0 g")
		l.y -= 26
	}
	l.y -= 6
	l.text(fontRegular, 12, marginX, l.y, p.date, "0 g")
	l.y -= 16
	if p.location != "" {
		for _, s := range wrap(winAnsi("Ort: "+p.location), fontRegular, 12, contentW) {
			l.textRaw(fontRegular, 12, marginX, l.y, s, "0 g")
			l.y -= 16
		}
	}
	l.y -= 14
	color := "0.1 0.3 0.55 rg"
	if p.member != "" {
		color = "0.6 0.1 0.1 rg"
	}
	lines := wrap(winAnsi(p.audience), fontBold, 12, contentW-12)
	fmtRect(&l.page.content, color, marginX, l.y-float64(len(lines)-1)*15-4, 3, float64(len(lines)-1)*15+16)
	for _, s := range lines {
		l.textRaw(fontBold, 12, marginX+12, l.y, s, color)
		l.y -= 15
	}
	l.y -= 30

	l.cont = "Tagesordnung (Fortsetzung)"
	l.text(fontBold, 14, marginX, l.y, "Tagesordnung", "0 g")
	l.rule(l.y - 7)
	l.y -= 28
	if len(p.items) == 0 {
		l.text(fontRegular, agendaSize, marginX, l.y, "Keine Tagesordnungspunkte.", "0 g")
		return
	}
	for i, it := range p.items {
		lines := wrap(winAnsi(l.itemTitle(i)), fontRegular, agendaSize, contentW-l.numCol)
		l.ensure(float64(len(lines)) * agendaLead)
		top := l.y
		l.text(fontBold, agendaSize, marginX, l.y, it.number, "0 g")
		for _, s := range lines {
			l.textRaw(fontRegular, agendaSize, marginX+l.numCol, l.y, s, "0 g")
			l.y -= agendaLead
		}
		if len(it.docs) > 0 {
			l.link(top, l.y, l.first[it.docs[0]])
		}
		l.y -= 5
	}
}

// itemTitle is an item's title as listed on the cover and in the contents.
func (l *frontLayout) itemTitle(i int) string {
	it := l.p.items[i]
	if !it.public && it.title != nonPublicDefault {
		return it.title + " (nichtöffentlich)"
	}
	return it.title
}

func (l *frontLayout) toc() {
	p := l.p
	l.cont = "Inhaltsverzeichnis (Fortsetzung)"
	l.newPage("Inhaltsverzeichnis")
	l.f.tocFirst = len(l.f.pages) - 1
	if len(p.items) == 0 {
		l.text(fontRegular, tocItemSize, marginX, l.y, "Keine Unterlagen.", "0 g")
		return
	}
	titleW := contentW - l.numCol - pageNumW
	for i, it := range p.items {
		lines := wrap(winAnsi(l.itemTitle(i)), fontBold, tocItemSize, titleW)
		var docLines [][]string
		for _, d := range it.docs {
			docLines = append(docLines, wrap(winAnsi(p.docs[d].title), fontRegular, tocDocSize, titleW-tocDocIndent))
		}
		// Keep an item's heading together with its first document.
		need := float64(len(lines)) * tocLead
		if len(docLines) > 0 {
			need += float64(len(docLines[0])) * tocLead
		}
		l.ensure(need)
		l.f.itemTOC[i] = len(l.f.pages) - 1

		top := l.y
		l.text(fontBold, tocItemSize, marginX, l.y, it.number, "0 g")
		page := 0
		if len(it.docs) > 0 {
			page = l.first[it.docs[0]]
		}
		l.entry(fontBold, tocItemSize, marginX+l.numCol, lines, page)
		if page > 0 {
			l.link(top, l.y, page)
		}
		for j, d := range it.docs {
			l.ensure(float64(len(docLines[j])) * tocLead)
			top := l.y
			l.entry(fontRegular, tocDocSize, marginX+l.numCol+tocDocIndent, docLines[j], l.first[d])
			l.link(top, l.y, l.first[d])
		}
		l.y -= 6
	}
}

// entry sets the lines of one table of contents entry at x and, if page
// is not 0, dot leaders and the page number on its last line.
func (l *frontLayout) entry(fontName string, size, x float64, lines []string, page int) {
	for i, s := range lines {
		l.textRaw(fontName, size, x, l.y, s, "0 g")
		if i == len(lines)-1 && page > 0 {
			// Dots on a fixed grid, ending before the number column, so the
			// leaders of all entries line up.
			dot := width(" .", fontRegular, size)
			end := pageW - marginX - pageNumW + 4
			start := x + width(s, fontName, size) + 4
			if n := int((end - start) / dot); n > 0 {
				l.textRaw(fontRegular, size, end-float64(n)*dot, l.y, strings.Repeat(" .", n), "0.45 g")
			}
			num := strconv.Itoa(page)
			l.text(fontName, size, pageW-marginX-width(num, fontName, size), l.y, num, "0 g")
		}
		l.y -= tocLead
	}
}

func (l *frontLayout) footer(pg *frontPage, i int) {
	left := winAnsi(l.p.body + " · " + l.p.organization + " · " + l.p.shortDate)
	right := "Seite " + strconv.Itoa(i) + "/" + strconv.Itoa(l.total)
	rw := width(right, fontRegular, 8)
	if room := contentW - rw - 12; width(left, fontRegular, 8) > room {
		left = wrap(left, fontRegular, 8, room)[0]
	}
	fmtText(&pg.content, fontRegular, 8, marginX, footerY, left, "0.4 g")
	fmtText(&pg.content, fontRegular, 8, pageW-marginX-rw, footerY, right, "0.4 g")
}

// link makes the band between the baselines top and bottom (the y after
// the entry's last line) clickable.
func (l *frontLayout) link(top, bottom float64, page int) {
	if page <= 0 {
		return
	}
	l.page.links = append(l.page.links, frontLink{
		llx: marginX - 2, lly: bottom + tocLead - 3.5,
		urx: pageW - marginX + 2, ury: top + 10,
		page: page,
	})
}

// text sets the UTF-8 string s.
func (l *frontLayout) text(fontName string, size, x, y float64, s, color string) {
	fmtText(&l.page.content, fontName, size, x, y, winAnsi(s), color)
}

// textRaw sets the already WinAnsi-encoded s.
func (l *frontLayout) textRaw(fontName string, size, x, y float64, s, color string) {
	fmtText(&l.page.content, fontName, size, x, y, s, color)
}

func (l *frontLayout) rule(y float64) {
	b := &l.page.content
	b.WriteString("q 0.5 w 0.6 G ")
	b.WriteString(num(marginX) + " " + num(y) + " m " + num(pageW-marginX) + " " + num(y) + " l S Q\n")
}

func fmtText(b *strings.Builder, fontName string, size, x, y float64, s, color string) {
	res := "/F1 "
	if fontName == fontBold {
		res = "/F2 "
	}
	b.WriteString("BT " + res + num(size) + " Tf " + color + " 1 0 0 1 " + num(x) + " " + num(y) + " Tm ")
	pdfString(b, s)
	b.WriteString(" Tj ET\n")
}

func fmtRect(b *strings.Builder, color string, x, y, w, h float64) {
	b.WriteString("q " + color + " " + num(x) + " " + num(y) + " " + num(w) + " " + num(h) + " re f Q\n")
}
