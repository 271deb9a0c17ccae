// Package annotate keeps council members' personal annotations of document
// versions — highlights, notes, ink and bookmarks — as W3C Web Annotations,
// syncs them between a member's devices, and carries them over to new
// versions of a document by finding their quoted text again.
//
// Annotations are private to their author. An author may share one with
// their faction; the caller of this package decides who the author's
// current faction peers are and whether a reader may see the document
// version at all (package sessions' policy), and passes that in.
//
// Nothing an author wrote is lost: a delete leaves a tombstone, every
// revision is kept, and an annotation whose text cannot be found on a new
// version becomes "orphaned" — kept and listed, never dropped.
package annotate

import (
	"embed"
	"encoding/json"
	"io/fs"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's forward-only schema migrations for
// SQLite, applied by internal/schema with scope "annotate" after the
// "documents" scope (the tables refer to documents).
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same migrations for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

// Context is the JSON-LD context of every annotation.
const Context = "http://www.w3.org/ns/anno.jsonld"

// Motivations the reader uses. Drawing is ours (W3C has none for ink).
const (
	Highlighting = "highlighting"
	Commenting   = "commenting"
	Bookmarking  = "bookmarking"
	Drawing      = "drawing"
)

// Selector and body types.
const (
	FragmentSelector     = "FragmentSelector"
	TextQuoteSelector    = "TextQuoteSelector"
	TextPositionSelector = "TextPositionSelector"
	PointSelector        = "ratsmappe:PointSelector" // x, y in PDF user space of the page
	RectSelector         = "ratsmappe:RectSelector"  // rects [x0,y0,x1,y1] in PDF user space
	TextualBody          = "TextualBody"
	InkBody              = "ratsmappe:Ink"
	// PDFFragment is the conformsTo of a page FragmentSelector (RFC 8118).
	// Parse also takes RFC 3778, which RFC 8118 updates and the W3C Web
	// Annotation Data Model names for PDF, and normalizes it to this.
	PDFFragment = "http://tools.ietf.org/rfc/rfc8118"
)

// Anchoring states.
const (
	Anchored = "anchored" // placed with confidence
	Review   = "review"   // placed with low confidence; the member should check it
	Orphaned = "orphaned" // text not found on the version; kept and listed
)

// SharedFaction is the value of ratsmappe:shared that shares an annotation
// read-only with the author's current faction.
const SharedFaction = "faction"

// Annotation is one W3C Web Annotation as the server stores and returns
// it. Parse builds it from untrusted JSON; the server fields (ID, Created,
// Modified, Revision, Anchoring, SharedBy) are set by the Store.
type Annotation struct {
	Context    string `json:"@context"`
	ID         string `json:"id,omitempty"` // urn:uuid:UUID
	Type       string `json:"type"`
	Motivation string `json:"motivation"`
	Body       []Body `json:"body,omitempty"`
	Target     Target `json:"target"`
	Shared     string `json:"ratsmappe:shared,omitempty"`

	Created   string     `json:"created,omitempty"`
	Modified  string     `json:"modified,omitempty"`
	Revision  int64      `json:"ratsmappe:revision,omitempty"`
	Anchoring *Anchoring `json:"anchoring,omitempty"`
	SharedBy  *SharedBy  `json:"ratsmappe:sharedBy,omitempty"`
	// History lists earlier anchorings, oldest first; only
	// GET /annotations/{uuid} fills it.
	History []History `json:"ratsmappe:history,omitempty"`

	// Extra holds the properties of the annotation this package does not
	// know (another client's generator, rights, its own x-… fields …),
	// kept as the client sent them (compact JSON) and given back on read.
	// None of them names a property above or one of ours (see Parse), so
	// they cannot override the server's fields.
	Extra map[string]json.RawMessage `json:"-"`

	// BaseRevision is the revision the client's edit started from
	// (ratsmappe:baseRevision); 0 if none. It decides only whether a PUT
	// may bring back a deleted annotation.
	BaseRevision int64 `json:"-"`

	// Parsed from Target.Source.
	DocumentID int64 `json:"-"`
	Version    int   `json:"-"`
}

// Body is a TextualBody (a note's text) or an Ink body (strokes).
type Body struct {
	Type     string   `json:"type"`
	Value    string   `json:"value,omitempty"`
	Format   string   `json:"format,omitempty"`
	Language string   `json:"language,omitempty"`
	Purpose  string   `json:"purpose,omitempty"`
	Strokes  []Stroke `json:"strokes,omitempty"`
}

// Stroke is one pen stroke: points in PDF user space of the target page
// (origin bottom left, unit 1/72 inch), width in points, color #rrggbb.
type Stroke struct {
	Points [][2]float64 `json:"points"`
	Width  float64      `json:"width,omitempty"`
	Color  string       `json:"color,omitempty"`
}

// Target names the document version and where on it.
type Target struct {
	Source   string     `json:"source"` // /api/v1/documents/{id}/versions/{n}
	Selector []Selector `json:"selector"`
}

// Selector is one of the selector types above; only the fields of its type
// are set.
type Selector struct {
	Type       string       `json:"type"`
	Value      string       `json:"value,omitempty"`      // FragmentSelector: page=N
	ConformsTo string       `json:"conformsTo,omitempty"` // FragmentSelector
	Exact      string       `json:"exact,omitempty"`      // TextQuoteSelector
	Prefix     string       `json:"prefix,omitempty"`
	Suffix     string       `json:"suffix,omitempty"`
	Start      *int         `json:"start,omitempty"` // TextPositionSelector, code points of the page text
	End        *int         `json:"end,omitempty"`
	X          *float64     `json:"x,omitempty"` // PointSelector
	Y          *float64     `json:"y,omitempty"`
	Rects      [][4]float64 `json:"rects,omitempty"` // RectSelector
}

// Anchoring says where an annotation sits on the current version of its
// document and how sure the server is.
type Anchoring struct {
	State   string  `json:"state"`
	Version int     `json:"version"`
	Page    int     `json:"page"`
	Score   float64 `json:"score"`
}

// SharedBy marks an annotation another member shared with the reader's
// faction; it is read-only for the reader.
type SharedBy struct {
	AccountID int64  `json:"account"`
	Name      string `json:"name"`
}

// Page returns the page of the FragmentSelector, 0 if none.
func (a *Annotation) Page() int {
	for _, s := range a.Target.Selector {
		if s.Type == FragmentSelector {
			n, _ := pageOf(s.Value)
			return n
		}
	}
	return 0
}

// Quote returns the TextQuoteSelector, if any.
func (a *Annotation) Quote() (Selector, bool) {
	for _, s := range a.Target.Selector {
		if s.Type == TextQuoteSelector {
			return s, true
		}
	}
	return Selector{}, false
}

// Position returns the TextPositionSelector's start and end, if any.
func (a *Annotation) Position() (start, end int, ok bool) {
	for _, s := range a.Target.Selector {
		if s.Type == TextPositionSelector && s.Start != nil && s.End != nil {
			return *s.Start, *s.End, true
		}
	}
	return 0, 0, false
}

// Note returns the text of the first TextualBody.
func (a *Annotation) Note() string {
	for _, b := range a.Body {
		if b.Type == TextualBody {
			return b.Value
		}
	}
	return ""
}

// Change is one entry of the changes feed: an annotation, or a tombstone
// (Deleted, with only ID, Revision, Modified and the document set).
type Change struct {
	Seq        int64
	Deleted    bool
	ID         string
	Revision   int64
	Modified   time.Time
	DocumentID int64
	Version    int
	Annotation *Annotation // nil for a tombstone
	// Peer: the change is of an annotation a faction peer shares (or
	// shared), not of the reader's own. Whoever serves it must leave it
	// out entirely where the reader may not see its document: not even
	// its ID, time or tombstone may tell them that it exists.
	Peer bool
}
