// Package search finds the pages of council documents that a viewer may
// see. It declares the one index interface every search backend implements
// (search/bleve, embedded, the default; search/meili, a Meilisearch
// server), the records the index holds — one per page of the current
// version of a document — and the rule by which a record's Access admits a
// Viewer.
//
// The index never decides visibility. The visibility policy (package
// sessions) computes an Access for every record when it is indexed and a
// Viewer for whoever searches; the backend turns the Viewer into a filter
// that is part of the query itself, so that hits, totals, facets, snippets
// and suggestions are computed only over what the viewer may see. A query
// for a word that occurs only in records a viewer may not see answers
// exactly like a query for a word that occurs nowhere.
//
// An index is derived data: it can always be rebuilt from the documents
// and the policy. A backend that finds its data missing or damaged reports
// an error with code ratsmappe.EUNAVAILABLE; Reset empties it for a rebuild.
package search

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// Index is a full-text index of document pages.
//
// Implementations are safe for concurrent use. A write is visible to every
// Search and Suggest that starts after it returned. Errors are
// *ratsmappe.Error with code EINVALID for bad input and EUNAVAILABLE when
// the backend cannot be reached or its data is damaged (the caller shows
// "temporarily unavailable" and may Reset and rebuild); anything else is an
// internal error.
type Index interface {
	// Index makes recs the indexed pages of their documents: for every
	// document that occurs in recs, the records indexed for it before are
	// replaced by those in recs (pages no longer present are removed). A
	// new version, a changed title or a changed Access is indexed by
	// indexing all pages of the document again.
	Index(ctx context.Context, recs []Record) error

	// Remove removes every record of the given documents. Removing a
	// document that is not indexed is not an error.
	Remove(ctx context.Context, documents ...int64) error

	// Search answers q with the documents whose pages match, best first,
	// computed only over records q.Viewer may find at q.Now.
	Search(ctx context.Context, q Query) (*Result, error)

	// Suggest completes the last word of q.Prefix with words that occur in
	// records q.Viewer may find at q.Now, most frequent first.
	Suggest(ctx context.Context, q SuggestQuery) ([]string, error)

	// Reset removes every record, so that the index can be rebuilt from
	// scratch.
	Reset(ctx context.Context) error

	// Close releases the index. It must not be used afterwards.
	Close() error
}

// Principals that the rule knows by name. Any other principal is an
// opaque string agreed between the policy and itself, such as Org(5) or
// Person(7).
const (
	// Public is held by every viewer, anonymous citizens included.
	Public = "public"
	// Staff is held by the council office: a staff viewer finds every
	// record, embargoed and denied ones included.
	Staff = "staff"
)

// Org returns the principal of the members of organization id.
func Org(id int64) string { return "org:" + strconv.FormatInt(id, 10) }

// Person returns the principal of person id.
func Person(id int64) string { return "person:" + strconv.FormatInt(id, 10) }

// Access says who may find a record. The visibility policy computes it;
// the index only applies it (see Allows).
type Access struct {
	// Principals who may find the record, such as Public, Org(5),
	// Person(7). A record without principals is found by staff only.
	Principals []string
	// NotBefore is an embargo: before it nobody but staff finds the
	// record. Zero means none.
	NotBefore time.Time
	// Denied are principals refused even if they hold a listed one, such
	// as Person(7) for a member excluded from an item (Befangenheit).
	Denied []string
}

// Viewer is who searches, as the visibility policy describes them: the
// principals they hold. The zero Viewer finds nothing; an anonymous
// citizen holds Public.
type Viewer struct {
	Principals []string
}

// IsStaff reports whether v holds Staff.
func (v Viewer) IsStaff() bool { return slices.Contains(v.Principals, Staff) }

// Allows is the rule every backend implements inside its query: staff
// find every record; anybody else finds a record if they hold one of its
// Principals, hold none of its Denied, and now is not before its
// NotBefore.
func (a Access) Allows(v Viewer, now time.Time) bool {
	if v.IsStaff() {
		return true
	}
	if !a.NotBefore.IsZero() && now.Before(a.NotBefore) {
		return false
	}
	listed := false
	for _, p := range v.Principals {
		if slices.Contains(a.Denied, p) {
			return false
		}
		if slices.Contains(a.Principals, p) {
			listed = true
		}
	}
	return listed
}

// Record is one page of the current version of a document, with what a
// result shows about its document and who may find it.
type Record struct {
	Document int64 // documents.Document.ID
	Version  int   // the version the text is from
	Page     int   // 1-based page number
	Text     string

	Title     string
	Reference string // paper reference such as "2025/0123"; "" if none
	Committee string // the committee or council that deals with it
	Meeting   string // the meeting it belongs to, as shown to people
	Date      time.Time
	Kind      string // documents kind, such as "minutes"

	Access Access
}

// Validate returns an EINVALID error if r cannot be indexed.
func (r *Record) Validate() error {
	switch {
	case r.Document <= 0:
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Suchindex: ungültige Dokumentnummer %d.", r.Document)
	case r.Version <= 0:
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Suchindex: ungültige Version %d von Dokument %d.", r.Version, r.Document)
	case r.Page <= 0:
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Suchindex: ungültige Seite %d von Dokument %d.", r.Page, r.Document)
	}
	for _, p := range append(slices.Clip(r.Access.Principals), r.Access.Denied...) {
		if p == "" || strings.ContainsAny(p, "\"\\'") {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "Suchindex: ungültiger Berechtigter %q.", p)
		}
	}
	return nil
}

// Limits of a query.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	MaxOffset    = 1000
	// MaxQueryLength bounds the query text in bytes.
	MaxQueryLength = 500
)

// Query is a full-text search.
type Query struct {
	// Text is what the person typed: words, "quoted phrases" and paper
	// references such as 2025/0123 (see Parse).
	Text   string
	Viewer Viewer
	// Now decides embargoes; zero means time.Now().
	Now    time.Time
	Filter Filter
	// Offset and Limit page through documents, not pages. Limit 0 means
	// DefaultLimit.
	Offset, Limit int
	// Order is how hits are ranked: OrderRelevance (the zero value) or
	// OrderNewest.
	Order Order
}

// Order ranks the hits of a Query.
type Order string

// Orders of hits.
const (
	// OrderRelevance ranks the best matching documents first.
	OrderRelevance Order = ""
	// OrderNewest ranks documents by Record.Date, newest first (undated
	// last), and by relevance among those of one date.
	OrderNewest Order = "newest"
)

// Filter narrows a query. Zero fields do not filter; values within a field
// are alternatives.
type Filter struct {
	Committees []string
	Meetings   []string // Record.Meeting, as shown to people
	Kinds      []string
	From, To   time.Time // Date in [From, To)
}

// Normalize returns q with Now set, Limit defaulted and the text trimmed,
// or an EINVALID error if q is out of bounds.
func (q Query) Normalize() (Query, error) {
	q.Text = strings.TrimSpace(q.Text)
	if len(q.Text) > MaxQueryLength {
		return q, ratsmappe.Errorf(ratsmappe.EINVALID, "Die Suchanfrage ist zu lang (höchstens %d Zeichen).", MaxQueryLength)
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 0 || q.Limit > MaxLimit || q.Offset < 0 || q.Offset > MaxOffset {
		return q, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiger Ausschnitt der Trefferliste.")
	}
	if q.Order != OrderRelevance && q.Order != OrderNewest {
		return q, ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Sortierung %q (möglich: newest).", string(q.Order))
	}
	return q, nil
}

// Result answers a Query.
type Result struct {
	// Total is the number of documents with a matching page the viewer may
	// find.
	Total int
	// Hits are the documents from Offset on, at most Limit, best first.
	Hits []Hit
	// Facets count the matching documents by committee, kind and year
	// (FacetCommittee, FacetKind, FacetYear, in that order), each value
	// with at least one document, most documents first.
	Facets []Facet
}

// Hit is a document with matching pages.
type Hit struct {
	Document  int64
	Version   int
	Title     string
	Reference string
	Committee string
	Meeting   string
	Date      time.Time
	Kind      string

	// Page is the best matching page, the one a link should open.
	Page int
	// Pages are the matching pages, best first (Page first), at most
	// MaxPages of them; Matches is how many pages match in all.
	Pages   []int
	Matches int
	// Snippet is a passage of Page with the matching words marked.
	Snippet Snippet
}

// MaxPages bounds Hit.Pages.
const MaxPages = 10

// Facet names.
const (
	FacetCommittee = "committee"
	FacetKind      = "kind"
	FacetYear      = "year"
)

// MaxFacetValues bounds the values of one facet.
const MaxFacetValues = 20

// Facet counts matching documents by the values of one field.
type Facet struct {
	Name   string
	Values []FacetValue
}

// FacetValue is one value of a facet and how many matching documents have
// it.
type FacetValue struct {
	Value string
	Count int
}

// SortFacet orders values the way Result.Facets are ordered: most
// documents first, then by value; and keeps at most MaxFacetValues.
func SortFacet(values []FacetValue) []FacetValue {
	slices.SortFunc(values, func(a, b FacetValue) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
	if len(values) > MaxFacetValues {
		values = values[:MaxFacetValues]
	}
	return values
}

// Snippet is a passage of text with the words that matched marked.
type Snippet []Span

// Span is a run of snippet text, marked if it matched.
type Span struct {
	Text string
	Mark bool
}

// HTML returns the snippet as HTML: text escaped, matches in <mark>.
func (s Snippet) HTML() template.HTML {
	var b strings.Builder
	for _, sp := range s {
		if sp.Mark {
			b.WriteString("<mark>")
		}
		b.WriteString(html.EscapeString(sp.Text))
		if sp.Mark {
			b.WriteString("</mark>")
		}
	}
	return template.HTML(b.String())
}

// String returns the snippet's plain text.
func (s Snippet) String() string {
	var b strings.Builder
	for _, sp := range s {
		b.WriteString(sp.Text)
	}
	return b.String()
}

// SuggestQuery asks for completions of what a person is typing.
type SuggestQuery struct {
	// Prefix is the text typed so far; its last word is completed. A last
	// word shorter than MinSuggestPrefix letters gets no suggestions.
	Prefix string
	Viewer Viewer
	Now    time.Time // zero means time.Now()
	Limit  int       // 0 means DefaultSuggestLimit
}

// Limits of a suggestion query.
const (
	MinSuggestPrefix    = 3
	DefaultSuggestLimit = 8
	MaxSuggestLimit     = 20
)

// Normalize returns q with Now and Limit defaulted, or an EINVALID error.
func (q SuggestQuery) Normalize() (SuggestQuery, error) {
	if len(q.Prefix) > MaxQueryLength {
		return q, ratsmappe.Errorf(ratsmappe.EINVALID, "Die Suchanfrage ist zu lang (höchstens %d Zeichen).", MaxQueryLength)
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	if q.Limit == 0 {
		q.Limit = DefaultSuggestLimit
	}
	if q.Limit < 0 || q.Limit > MaxSuggestLimit {
		return q, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültige Zahl von Vorschlägen.")
	}
	return q, nil
}

// Unavailable returns an EUNAVAILABLE error for a backend that cannot
// answer, wrapping the cause.
func Unavailable(err error) error {
	return &ratsmappe.Error{Code: ratsmappe.EUNAVAILABLE, Message: "Die Suche ist vorübergehend nicht verfügbar.", Err: err}
}

// DocID returns the identifier of a record in a backend: its document and
// page, as in "123-4".
func DocID(document int64, page int) string {
	return fmt.Sprintf("%d-%d", document, page)
}
