package documents

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Store keeps document metadata in an SQL database: SQLite (opened by
// documents/sqlite) or PostgreSQL (documents/postgres). All SQL of this
// package lives here, written once for both.
type Store struct {
	db      *sql.DB
	dialect sqldb.Dialect
}

// NewStore returns a Store on db, whose schema must have been migrated with
// Migrations (SQLite) or PostgresMigrations.
func NewStore(db *sql.DB) *Store { return &Store{db: db, dialect: sqldb.DialectOf(db)} }

// DB returns the underlying database handle.
func (s *Store) DB() *sql.DB { return s.db }

const timeLayout = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

const documentColumns = `d.id, d.title, d.kind, d.file_name, d.created_at, d.created_by,
	COALESCE((SELECT MAX(v.number) FROM versions v WHERE v.document_id = d.id AND v.state = 'active'), 0),
	COALESCE((SELECT v.pages FROM versions v WHERE v.document_id = d.id AND v.state = 'active' ORDER BY v.number DESC LIMIT 1), 0)`

func scanDocument(sc interface{ Scan(...any) error }) (*Document, error) {
	var d Document
	var created string
	if err := sc.Scan(&d.ID, &d.Title, &d.Kind, &d.FileName, &created, &d.CreatedBy, &d.Current, &d.Pages); err != nil {
		return nil, err
	}
	d.Created = parseTime(created)
	return &d, nil
}

// FindDocumentByID returns the document with id, or an ENOTFOUND error.
func (s *Store) FindDocumentByID(ctx context.Context, id int64) (*Document, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.id = ?`, id)
	d, err := scanDocument(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Dokument nicht gefunden.")
	}
	if err != nil {
		return nil, fmt.Errorf("find document %d: %w", id, err)
	}
	return d, nil
}

// FindDocuments returns the documents matching f, oldest first.
func (s *Store) FindDocuments(ctx context.Context, f DocumentFilter) ([]*Document, error) {
	if f.IDs != nil && len(f.IDs) == 0 {
		return nil, nil
	}
	// f.IDs are spelled one placeholder each: the lists are a page's few
	// documents, and this package's schema has no portable list
	// parameter.
	var where []string
	var args []any
	if f.Kind != "" {
		where = append(where, "d.kind = ?")
		args = append(args, f.Kind)
	}
	if len(f.IDs) > 0 {
		where = append(where, "d.id IN (?"+strings.Repeat(", ?", len(f.IDs)-1)+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	q := `SELECT ` + documentColumns + ` FROM documents d`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY d.id"
	if f.Newest {
		q += " DESC"
	}
	if f.Limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, f.Offset)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find documents: %w", err)
	}
	defer rows.Close()
	var docs []*Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("find documents: %w", err)
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find documents: %w", err)
	}
	return docs, nil
}

const versionColumns = `v.document_id, v.number, v.sha256, v.size, v.original_sha256, v.original_size,
	v.file_name, v.pages, v.state, v.note, v.uploader, v.created_at, v.state_changed_at, v.sanitized, v.repaired`

func scanVersion(sc interface{ Scan(...any) error }) (*Version, error) {
	var v Version
	var created, changed, sanitized string
	var repaired int
	if err := sc.Scan(&v.DocumentID, &v.Number, &v.SHA256, &v.Size, &v.OriginalSHA256, &v.OriginalSize,
		&v.FileName, &v.Pages, &v.State, &v.Note, &v.Uploader, &created, &changed, &sanitized, &repaired); err != nil {
		return nil, err
	}
	v.Created, v.StateChanged = parseTime(created), parseTime(changed)
	v.Repaired = repaired != 0
	if err := json.Unmarshal([]byte(sanitized), &v.Sanitized); err != nil {
		return nil, fmt.Errorf("version %d/%d: sanitized: %w", v.DocumentID, v.Number, err)
	}
	return &v, nil
}

// FindVersion returns version n of document id, with its page sizes and OCR
// pages; n == 0 means the current version. It returns an ENOTFOUND error if
// there is no such version.
func (s *Store) FindVersion(ctx context.Context, id int64, n int) (*Version, error) {
	var row *sql.Row
	if n == 0 {
		row = s.db.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM versions v
			WHERE v.document_id = ? AND v.state = 'active' ORDER BY v.number DESC LIMIT 1`, id)
	} else {
		row = s.db.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM versions v
			WHERE v.document_id = ? AND v.number = ?`, id, n)
	}
	v, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Version nicht gefunden.")
	}
	if err != nil {
		return nil, fmt.Errorf("find version %d/%d: %w", id, n, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT number, width, height, ocr FROM pages
		WHERE document_id = ? AND version = ? ORDER BY number`, v.DocumentID, v.Number)
	if err != nil {
		return nil, fmt.Errorf("find version %d/%d: pages: %w", id, n, err)
	}
	defer rows.Close()
	for rows.Next() {
		var num, ocr int
		var ps PageSize
		if err := rows.Scan(&num, &ps.Width, &ps.Height, &ocr); err != nil {
			return nil, fmt.Errorf("find version %d/%d: pages: %w", id, n, err)
		}
		v.PageSizes = append(v.PageSizes, ps)
		if ocr != 0 {
			v.OCRPages = append(v.OCRPages, num)
		}
	}
	return v, rows.Err()
}

// FindVersions returns every version of document id, oldest first.
func (s *Store) FindVersions(ctx context.Context, id int64) ([]*Version, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+versionColumns+` FROM versions v
		WHERE v.document_id = ? ORDER BY v.number`, id)
	if err != nil {
		return nil, fmt.Errorf("find versions of %d: %w", id, err)
	}
	defer rows.Close()
	var vs []*Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("find versions of %d: %w", id, err)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// FindDocumentVersions returns the document with id (FindDocumentByID),
// its versions, oldest first (FindVersions), and the pages of its current
// version (FindPages of Document.Current; none if every version is
// withdrawn), in one statement: the document page needs all three, and
// on PostgreSQL each statement is a round trip (issue 15). The
// document's columns are read without FindDocumentByID's subqueries
// (which would run once per row): Current and Pages follow from the
// versions. It returns an ENOTFOUND error if there is no such document
// or it has no version.
func (s *Store) FindDocumentVersions(ctx context.Context, id int64) (*Document, []*Version, []Page, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.title, d.kind, d.file_name, d.created_at, d.created_by, `+versionColumns+`,
			p.number, p.width, p.height, p.text, p.ocr
		FROM documents d JOIN versions v ON v.document_id = d.id
		LEFT JOIN pages p ON p.document_id = v.document_id AND p.version = v.number AND v.state = 'active'
			AND NOT EXISTS (SELECT 1 FROM versions w WHERE w.document_id = v.document_id AND w.state = 'active' AND w.number > v.number)
		WHERE d.id = ? ORDER BY v.number, p.number`, id)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("find document %d: %w", id, err)
	}
	defer rows.Close()
	var d *Document
	var vs []*Version
	var ps []Page
	for rows.Next() {
		var dd Document
		var created string
		var number, ocr sql.NullInt64
		var width, height sql.NullFloat64
		var text sql.NullString
		ver, err := scanVersion(scanFunc(func(dest ...any) error {
			return rows.Scan(append(append([]any{&dd.ID, &dd.Title, &dd.Kind, &dd.FileName, &created, &dd.CreatedBy}, dest...),
				&number, &width, &height, &text, &ocr)...)
		}))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("find document %d: %w", id, err)
		}
		if d == nil {
			dd.Created = parseTime(created)
			d = &dd
		}
		if len(vs) == 0 || vs[len(vs)-1].Number != ver.Number {
			vs = append(vs, ver)
			if ver.State == StateActive {
				d.Current, d.Pages = ver.Number, ver.Pages
			}
		}
		if number.Valid {
			ps = append(ps, Page{Number: int(number.Int64), Width: width.Float64, Height: height.Float64, Text: text.String, OCR: ocr.Int64 != 0})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("find document %d: %w", id, err)
	}
	if d == nil {
		return nil, nil, nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Dokument nicht gefunden.")
	}
	return d, vs, ps, nil
}

// scanThen scans a row whose first columns one scan function reads and
// whose remaining columns another reads (then): a join of two tables
// read by their own scanners. The row is scanned once, into both
// functions' destinations.
type scanThen struct {
	sc   interface{ Scan(...any) error }
	then func(interface{ Scan(...any) error }) error
}

func (t scanThen) Scan(dest ...any) error {
	return t.then(scanFunc(func(more ...any) error { return t.sc.Scan(append(dest, more...)...) }))
}

// scanFunc is a function as a scanner.
type scanFunc func(...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// FindVersionsBySHA256 returns every version whose rendition has the
// given SHA-256 (hex), oldest first; none is not an error. The same bytes
// can be a version of several documents.
func (s *Store) FindVersionsBySHA256(ctx context.Context, sha256 string) ([]*Version, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+versionColumns+` FROM versions v
		WHERE v.sha256 = ? ORDER BY v.created_at, v.document_id, v.number`, sha256)
	if err != nil {
		return nil, fmt.Errorf("find versions by content: %w", err)
	}
	defer rows.Close()
	var vs []*Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("find versions by content: %w", err)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// FindPages returns the pages of version n of document id, in order.
func (s *Store) FindPages(ctx context.Context, id int64, n int) ([]Page, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT number, width, height, text, ocr FROM pages
		WHERE document_id = ? AND version = ? ORDER BY number`, id, n)
	if err != nil {
		return nil, fmt.Errorf("find pages of %d/%d: %w", id, n, err)
	}
	defer rows.Close()
	var ps []Page
	for rows.Next() {
		var p Page
		var ocr int
		if err := rows.Scan(&p.Number, &p.Width, &p.Height, &p.Text, &ocr); err != nil {
			return nil, fmt.Errorf("find pages of %d/%d: %w", id, n, err)
		}
		p.OCR = ocr != 0
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// VersionKey names version Number of document Document.
type VersionKey struct {
	Document int64
	Number   int
}

// FindPagesOf is FindPages for many versions in a query per 500
// documents: the pages of each of the versions keys, in order; a version
// without pages is absent from the map. (A list of OParl Files carries
// every version's text; a query per File was most of its cost.)
func (s *Store) FindPagesOf(ctx context.Context, keys []VersionKey) (map[VersionKey][]Page, error) {
	want := make(map[VersionKey]bool, len(keys))
	var docs []any
	seen := map[int64]bool{}
	for _, k := range keys {
		want[k] = true
		if !seen[k.Document] {
			seen[k.Document] = true
			docs = append(docs, k.Document)
		}
	}
	out := make(map[VersionKey][]Page, len(keys))
	for len(docs) > 0 {
		chunk := docs[:min(len(docs), 500)]
		docs = docs[len(chunk):]
		// By document (the primary key's first column), the versions
		// picked here: the index serves it on both databases.
		rows, err := s.db.QueryContext(ctx, `SELECT document_id, version, number, width, height, text, ocr FROM pages
			WHERE document_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`) ORDER BY document_id, version, number`, chunk...)
		if err != nil {
			return nil, fmt.Errorf("find pages: %w", err)
		}
		for rows.Next() {
			var k VersionKey
			var p Page
			var ocr int
			if err := rows.Scan(&k.Document, &k.Number, &p.Number, &p.Width, &p.Height, &p.Text, &ocr); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find pages: %w", err)
			}
			if want[k] {
				p.OCR = ocr != 0
				out[k] = append(out[k], p)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("find pages: %w", err)
		}
	}
	return out, nil
}

// addPending records that upload is about to write the blob key, in one
// statement that is its own transaction: a round trip, where a
// transaction of its own around the lock and the insert was four on
// PostgreSQL. There the statement takes the blob's lock (see lockBlob)
// before its row is written and holds it until the row is committed.
func (s *Store) addPending(ctx context.Context, upload string, now time.Time, key string) error {
	q := `INSERT INTO pending_blobs (key, upload, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING`
	if s.dialect == sqldb.Postgres {
		q = `INSERT INTO pending_blobs (key, upload, created_at)
			SELECT ?1, ?2, ?3 FROM (SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))) AS blob_lock
			ON CONFLICT DO NOTHING`
	}
	if _, err := s.db.ExecContext(ctx, q, key, upload, formatTime(now)); err != nil {
		return fmt.Errorf("pending blobs: %w", err)
	}
	return nil
}

// dropPending forgets the pending blobs of a failed upload.
func (s *Store) dropPending(ctx context.Context, upload string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM pending_blobs WHERE upload = ?`, upload)
	return err
}

// newVersion is everything commitVersion writes.
type newVersion struct {
	upload   string
	doc      *Document // nil for a new version of docID
	docID    int64
	version  Version
	pages    []Page
	now      time.Time
	onCommit func(tx *sql.Tx) error // optional, runs inside the transaction
}

// commitVersion writes a new document (if nv.doc is set) or a new version of
// nv.docID, with its pages, supersedes the previous active versions, and
// forgets the upload's pending blobs — all in one transaction. It returns
// the document id and the version number.
func (s *Store) commitVersion(ctx context.Context, nv *newVersion) (int64, int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("commit version: %w", err)
	}
	defer tx.Rollback()
	now := formatTime(nv.now)
	docID := nv.docID
	if nv.doc != nil {
		// RETURNING rather than LastInsertId, which PostgreSQL's driver
		// does not have.
		if err := tx.QueryRowContext(ctx, `INSERT INTO documents (title, kind, file_name, created_at, created_by)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, nv.doc.Title, nv.doc.Kind, nv.doc.FileName, now, nv.doc.CreatedBy,
		).Scan(&docID); err != nil {
			return 0, 0, fmt.Errorf("commit version: insert document: %w", err)
		}
	} else {
		exists, err := s.lockDocument(ctx, tx, docID)
		if err != nil {
			return 0, 0, fmt.Errorf("commit version: %w", err)
		}
		if !exists {
			return 0, 0, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Dokument nicht gefunden.")
		}
	}
	// A new document has no versions to number after or to supersede:
	// two statements, each a round trip on PostgreSQL, that need not run.
	n := 1
	if nv.doc == nil {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE document_id = ?`, docID).Scan(&n); err != nil {
			return 0, 0, fmt.Errorf("commit version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE versions SET state = 'superseded', state_changed_at = ?
			WHERE document_id = ? AND state = 'active'`, now, docID); err != nil {
			return 0, 0, fmt.Errorf("commit version: supersede: %w", err)
		}
	}
	v := nv.version
	sanitized, err := json.Marshal(nonNil(v.Sanitized))
	if err != nil {
		return 0, 0, fmt.Errorf("commit version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO versions (document_id, number, sha256, size, original_sha256,
		original_size, file_name, pages, state, note, uploader, created_at, state_changed_at, sanitized, repaired)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)`,
		docID, n, v.SHA256, v.Size, v.OriginalSHA256, v.OriginalSize, v.FileName, len(nv.pages),
		v.Note, v.Uploader, now, now, string(sanitized), boolInt(v.Repaired)); err != nil {
		return 0, 0, fmt.Errorf("commit version: insert version: %w", err)
	}
	if err := insertPages(ctx, tx, docID, n, nv.pages); err != nil {
		return 0, 0, fmt.Errorf("commit version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM pending_blobs WHERE upload = ?`, nv.upload); err != nil {
		return 0, 0, fmt.Errorf("commit version: %w", err)
	}
	if nv.onCommit != nil {
		if err := nv.onCommit(tx); err != nil {
			return 0, 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit version: %w", err)
	}
	return docID, n, nil
}

// pagesPerInsert is how many pages one INSERT writes: 7 parameters each,
// far below the parameter limits of SQLite (32,766) and PostgreSQL
// (65,535).
const pagesPerInsert = 100

// insertPages writes pages as version n of document docID, numbered from
// 1, in multi-row INSERTs: a statement per page was a round trip each on
// PostgreSQL (and a run of its statement trigger), and on SQLite the
// statement's overhead, for every page of a 500-page upload.
func insertPages(ctx context.Context, tx *sql.Tx, docID int64, n int, pages []Page) error {
	for first := 0; first < len(pages); first += pagesPerInsert {
		chunk := pages[first:min(first+pagesPerInsert, len(pages))]
		args := make([]any, 0, 7*len(chunk))
		for i, p := range chunk {
			args = append(args, docID, n, first+i+1, p.Width, p.Height, p.Text, boolInt(p.OCR))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pages (document_id, version, number, width, height, text, ocr) VALUES `+sqldb.Values(len(chunk), 7), args...); err != nil {
			return fmt.Errorf("insert pages %d–%d: %w", first+1, first+len(chunk), err)
		}
	}
	return nil
}

// WithdrawVersion marks version n of document id as withdrawn. It stays
// stored and auditable. If it was the active version, the newest older
// version that is not withdrawn becomes active again, so the document
// falls back to what was valid before.
func (s *Store) WithdrawVersion(ctx context.Context, id int64, n int, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("withdraw version: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockDocument(ctx, tx, id); err != nil {
		return fmt.Errorf("withdraw version: %w", err)
	}
	var state string
	err = tx.QueryRowContext(ctx, `SELECT state FROM versions WHERE document_id = ? AND number = ?`, id, n).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Version nicht gefunden.")
	}
	if err != nil {
		return fmt.Errorf("withdraw version: %w", err)
	}
	if state == StateWithdrawn {
		return nil
	}
	ts := formatTime(now)
	if _, err := tx.ExecContext(ctx, `UPDATE versions SET state = 'withdrawn', state_changed_at = ?
		WHERE document_id = ? AND number = ?`, ts, id, n); err != nil {
		return fmt.Errorf("withdraw version: %w", err)
	}
	if state == StateActive {
		if _, err := tx.ExecContext(ctx, `UPDATE versions SET state = 'active', state_changed_at = ?
			WHERE document_id = ? AND number = (SELECT MAX(number) FROM versions
				WHERE document_id = ? AND number < ? AND state != 'withdrawn')`, ts, id, id, n); err != nil {
			return fmt.Errorf("withdraw version: reinstate previous: %w", err)
		}
	}
	return tx.Commit()
}

// sweepBlob deletes the blob key through del if no version refers to it and
// no upload younger than pendingSince has announced it. It holds the write
// lock while it checks and deletes, so an upload cannot announce the key in
// between. It reports whether the blob was deleted.
func (s *Store) sweepBlob(ctx context.Context, key string, pendingSince time.Time, del func() error) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if err := s.lockBlob(ctx, tx, key); err != nil {
		return false, err
	}
	// Pending rows of uploads that never finished are as old as the grace
	// period: forget them, they protect nothing any more.
	if _, err := tx.ExecContext(ctx, `DELETE FROM pending_blobs WHERE key = ? AND created_at < ?`,
		key, formatTime(pendingSince)); err != nil {
		return false, err
	}
	var refs int
	if err := tx.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM versions WHERE sha256 = ?1 OR original_sha256 = ?1) +
		(SELECT COUNT(*) FROM pending_blobs WHERE key = ?1)`, key).Scan(&refs); err != nil {
		return false, err
	}
	if refs > 0 {
		return false, tx.Commit()
	}
	if err := del(); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// lockDocument reports whether document id exists and, on PostgreSQL,
// locks its row until tx ends, so that two writers of its versions (a
// new version, a withdrawal) take turns as they do on SQLite, where tx
// holds the one write lock from its start. NO KEY UPDATE, because that
// is enough for them and leaves the row to foreign key checks: an
// attachment of the document inserted meanwhile holds the changes feed's
// writer lock (sessions/changes) and must not wait for this row while
// tx waits for that lock.
func (s *Store) lockDocument(ctx context.Context, tx *sql.Tx, id int64) (bool, error) {
	q := `SELECT 1 FROM documents WHERE id = ?`
	if s.dialect == sqldb.Postgres {
		q += ` FOR NO KEY UPDATE`
	}
	var one int
	err := tx.QueryRowContext(ctx, q, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// lockBlob makes, on PostgreSQL, an upload announcing blob key (addPending
// takes the same lock) and the sweeper deciding about it take turns until
// tx ends, as SQLite's one
// writer does by itself: otherwise the sweeper could count no reference,
// an upload announce and write the key, and the sweeper delete it.
func (s *Store) lockBlob(ctx context.Context, tx *sql.Tx, key string) error {
	if s.dialect != sqldb.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, key)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
