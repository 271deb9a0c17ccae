// Package packet builds the session packet: for one meeting and one
// audience, a single PDF that a council member can read from front to back
// or jump around in.
//
// A packet starts with a cover page (body, committee, date and time,
// location, the audience it was made for, and the agenda) and a table of
// contents (agenda item → its documents → start page in the packet), both
// running over as many pages as the agenda needs. The documents follow in
// agenda order. Every document page gets a small stamp in its top right
// corner, "Ö 3 · Seite 17/240", or "N 2 · NICHTÖFFENTLICH · Seite 90/240"
// on non-public pages; in a member's personal packet every non-public page
// also carries a diagonal "Vertraulich – <name>" watermark, so a leaked page
// names its recipient. The outline (bookmarks) has one entry per agenda item
// with one child per document; table of contents and agenda entries are
// links.
//
// The public packet never contains a non-public item's title or documents:
// Build and Key leave them out whatever the caller passes, and show the
// item only under its public title (or as "Nichtöffentlicher Punkt").
//
// The documents are expected to come out of the ingestion pipeline
// (sanitized, readable by pdfcpu) but are still treated as untrusted: a
// document pdfcpu cannot read, or one that makes pdfcpu panic, fails the
// build with an error naming the document; nothing panics.
//
// The packet is assembled in one pdfcpu context: every document is read
// and validated once, merged without optimization, stamped without
// touching its content streams, and the result is written once. pdfcpu
// holds the whole packet in memory until it is written, so memory grows
// with the documents' total size (bench/packet measures a meeting with 118
// documents, 12 MB and 4 141 pages: under half a second, under 100 MiB).
//
// Key names a packet by everything it is made of, and Cache keeps built
// packets by Key, so a packet is rebuilt only when one of its inputs
// changed.
package packet

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ratsmappe/ratsmappe"
)

// LayoutVersion is part of every Key. Bump it whenever a change to this
// package changes what a packet looks like, so cached packets are rebuilt.
const LayoutVersion = 1

// Input is everything a packet is made of.
type Input struct {
	Body         string    // e.g. "Stadt Karlsruhe"
	Organization string    // the committee, e.g. "Gemeinderat" or "Ausschuss für Umwelt"
	Location     string    // e.g. "Rathaus am Marktplatz, Bürgersaal"
	Start        time.Time // printed in its own time zone: pass local (Europe/Berlin) time

	// Member is the name of the council member a personal packet is for.
	// It is printed diagonally on every non-public page. Empty means the
	// public packet, which leaves out everything non-public.
	Member string

	// Audience is the line on the cover that says whom the packet is for.
	// Empty means "Öffentliche Fassung" for the public packet and
	// "Persönliche Fassung für <Member>" for a personal one.
	Audience string

	Items []Item // the agenda, in order
}

// Item is one agenda item.
type Item struct {
	Number string // as printed, e.g. "Ö 3.1" or "N 2"
	Title  string
	Public bool

	// PublicTitle is what the public packet shows of a non-public item;
	// empty means "Nichtöffentlicher Punkt". Unused for public items.
	PublicTitle string

	Documents []Doc // in the order they appear in the packet
}

// Doc is one document of an agenda item: a PDF.
type Doc struct {
	Title string

	// SHA256 is the lowercase hex SHA-256 of the PDF Open returns. Key
	// requires it; Build does not look at it.
	SHA256 string

	// Open returns the PDF. Build calls it once per build, reads the whole
	// document and closes it before opening the next one. The reader should
	// seek cheaply (a file, not a remote blob fetched per range).
	Open func() (io.ReadSeekCloser, error)
}

// Result describes a built packet.
type Result struct {
	Pages      int      // all pages
	FrontPages int      // cover and table of contents, the first pages
	Documents  []Placed // the documents in the packet, in order
}

// Placed is where one document ended up in a packet.
type Placed struct {
	Item      string // the agenda item's number
	Title     string // the document's title
	FirstPage int    // 1-based page number in the packet
	Pages     int
}

// Build writes the packet for in to w and describes what it wrote.
//
// It returns an *ratsmappe.Error with code EINVALID if in is incomplete
// (no body, committee or start time, or a document without Open) or if a
// document cannot be opened or read as a PDF; the error's message names the
// document. Cancelling ctx stops the build between documents and while
// reading one; the error is then ctx.Err(). On error, w may have received
// part of a PDF.
func Build(ctx context.Context, in Input, w io.Writer) (Result, error) {
	if w == nil {
		return Result{}, ratsmappe.Errorf(ratsmappe.EINVALID, "Kein Ziel für die Sitzungsmappe.")
	}
	p, err := newPlan(in)
	if err != nil {
		return Result{}, err
	}
	for _, d := range p.docs {
		if d.open == nil {
			return Result{}, ratsmappe.Errorf(ratsmappe.EINVALID, "Das Dokument „%s“ zu %s ist nicht verfügbar.", d.title, p.items[d.item].number)
		}
	}
	return build(ctx, p, w)
}

// plan is an Input checked, normalized and reduced to what its audience
// may see. Build renders exactly a plan, and Key hashes exactly a plan, so
// the two cannot disagree about what makes a packet.
type plan struct {
	body, organization, location string
	date                         string // "Dienstag, 14. Oktober 2025, 15:30 Uhr"
	shortDate                    string // "14.10.2025"
	audience                     string
	member                       string // "" for the public packet
	items                        []planItem
	docs                         []planDoc // all documents, in packet order
}

type planItem struct {
	number string
	title  string // as shown to this audience
	public bool
	docs   []int // indexes into plan.docs
}

type planDoc struct {
	item   int // index into plan.items
	title  string
	sha256 string
	open   func() (io.ReadSeekCloser, error)
}

const (
	maxTitle         = 600 // runes; longer titles are cut (a title is not a document)
	nonPublicDefault = "Nichtöffentlicher Punkt"
)

func newPlan(in Input) (*plan, error) {
	p := &plan{
		body:         clean(in.Body),
		organization: clean(in.Organization),
		location:     clean(in.Location),
		member:       clean(in.Member),
		audience:     clean(in.Audience),
	}
	switch {
	case p.body == "":
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Die Körperschaft fehlt.")
	case p.organization == "":
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Das Gremium fehlt.")
	case in.Start.IsZero():
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Der Sitzungsbeginn fehlt.")
	}
	p.date = germanDate(in.Start)
	p.shortDate = in.Start.Format("02.01.2006")
	if p.audience == "" {
		p.audience = "Öffentliche Fassung"
		if p.member != "" {
			p.audience = "Persönliche Fassung für " + p.member
		}
	}
	for i, it := range in.Items {
		pi := planItem{number: clean(it.Number), title: clean(it.Title), public: it.Public}
		if pi.number == "" {
			pi.number = fmt.Sprintf("%d", i+1)
		}
		if !it.Public && p.member == "" {
			// The public packet: the public title only, no documents.
			pi.title = clean(it.PublicTitle)
			if pi.title == "" {
				pi.title = nonPublicDefault
			}
			p.items = append(p.items, pi)
			continue
		}
		for _, d := range it.Documents {
			t := clean(d.Title)
			if t == "" {
				t = "Dokument"
			}
			pi.docs = append(pi.docs, len(p.docs))
			p.docs = append(p.docs, planDoc{item: len(p.items), title: t, sha256: strings.TrimSpace(d.SHA256), open: d.Open})
		}
		p.items = append(p.items, pi)
	}
	return p, nil
}

// clean makes s fit for one line of a PDF: NFC (so "u" + combining
// diaeresis becomes the "ü" WinAnsi has), control characters and runs of
// white space become one space, and it is cut to maxTitle runes.
func clean(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == ' ' || r == '\u00a0' || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if r == '\u00ad' { // soft hyphen: we do not hyphenate
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= maxTitle {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

var (
	weekdays = [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	months   = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
)

// germanDate formats t as "Dienstag, 14. Oktober 2025, 15:30 Uhr".
func germanDate(t time.Time) string {
	return fmt.Sprintf("%s, %d. %s %d, %02d:%02d Uhr", weekdays[t.Weekday()], t.Day(), months[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}
