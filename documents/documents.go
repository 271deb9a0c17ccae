// Package documents keeps the council's PDFs: logical documents, their
// immutable versions, the text of every page, and the bytes in a blob
// store. Uploads are untrusted; they pass through an Ingester that refuses
// bad files with a typed refusal (Reject) and strips active content before
// anything is stored.
//
// Nothing here is overwritten or hard-deleted by normal operations: a new
// upload makes a new version, an old version is superseded or withdrawn
// but stays stored and auditable. Blobs are written and verified before the
// metadata that points to them commits, so a crash leaves at worst an
// unreferenced blob, which Sweep removes after a grace period.
package documents

import (
	"embed"
	"io/fs"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// Migrations holds the SQL schema of this package, for SQLite and for
// PostgreSQL, applied by internal/schema with scope "documents".
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's forward-only schema migrations for
// SQLite: the *.sql files at the root of the returned file system.
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same migrations for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

// Kinds of documents. The set is open-ended for imports, but the CLI and the
// UI offer these.
const (
	KindAgenda     = "agenda"
	KindMotion     = "motion"
	KindDraft      = "draft_resolution"
	KindMinutes    = "minutes"
	KindAttachment = "attachment"
	KindOther      = "other"
)

// Kinds lists the document kinds offered to users, in display order.
var Kinds = []string{KindAgenda, KindMotion, KindDraft, KindMinutes, KindAttachment, KindOther}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// States of a version.
const (
	StateActive     = "active"     // the current version, or an older one still valid
	StateSuperseded = "superseded" // replaced by a newer upload
	StateWithdrawn  = "withdrawn"  // taken back by the office; kept for the audit
)

// Document is a logical file: the thing a paper or meeting refers to,
// whatever its current bytes are.
type Document struct {
	ID        int64
	Title     string
	Kind      string
	FileName  string // original file name of the first upload
	Created   time.Time
	CreatedBy string

	// Current is the number of the newest active version, 0 if every
	// version is withdrawn. Pages is that version's page count.
	Current int
	Pages   int
}

// Version is one immutable upload of a document.
type Version struct {
	DocumentID     int64
	Number         int
	SHA256         string // of the sanitized rendition readers get
	Size           int64
	OriginalSHA256 string // of the bytes as uploaded (office only)
	OriginalSize   int64
	FileName       string
	Pages          int
	PageSizes      []PageSize
	State          string
	Note           string // change note
	Uploader       string
	Created        time.Time
	StateChanged   time.Time
	Sanitized      []string // active content removed at ingestion
	Repaired       bool
	OCRPages       []int // page numbers whose text came from OCR
}

// PageSize is the size of one page in PDF points.
type PageSize struct {
	Width, Height float64
}

// DocumentFilter selects documents for FindDocuments. Zero fields do not
// filter.
type DocumentFilter struct {
	Kind string
	// IDs, unless nil, are the only documents to return (an empty list:
	// none).
	IDs    []int64
	Newest bool // newest first (by id) instead of oldest first
	Offset int
	Limit  int // 0 means no limit
}
