package annotate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Store keeps annotations, their revisions and anchorings, and what each
// account last read, in the SQL database of package documents (SQLite or
// PostgreSQL). All SQL of this package lives here, written once for both
// where the dialects agree.
//
// Every method takes the account it acts for and touches only that
// account's rows — and, for reads, the rows the account's faction peers
// shared. No method can read another account's private annotation.
type Store struct {
	db      *sql.DB
	dialect sqldb.Dialect
	now     func() time.Time
}

// NewStore returns a Store on db, whose schema must have been migrated with
// Migrations; now defaults to time.Now.
func NewStore(db *sql.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, dialect: sqldb.DialectOf(db), now: now}
}

const timeLayout = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

// Reader is who reads annotations: the account, and the accounts of their
// current faction peers (account id → display name), whose shared
// annotations the reader sees read-only. The caller computes Peers from
// current memberships (sessions.Store.FactionPeers); it must not contain
// the reader.
type Reader struct {
	AccountID int64
	Peers     map[int64]string
}

// ErrDeleted is returned by Put for an edit of a deleted annotation that
// was made without knowing of the delete (its base revision is older than
// the tombstone): the delete wins. Its reason is "deleted".
var ErrDeleted = ratsmappe.Reasonf(ratsmappe.ECONFLICT, "deleted", "Die Anmerkung wurde inzwischen gelöscht.")

type row struct {
	account    int64
	uuid       string
	docID      int64
	version    int
	page       int
	motivation string
	shared     bool
	everShared bool
	json       string
	revision   int64
	seq        int64
	created    string
	modified   string
	deleted    bool
	anchor     Anchoring
}

const rowColumns = `account_id, uuid, document_id, version, page, motivation, shared, ever_shared, json,
	revision, seq, created_at, modified_at, deleted, anchor_state, anchor_version, anchor_page, anchor_score`

func scanRow(sc interface{ Scan(...any) error }) (*row, error) {
	var r row
	err := sc.Scan(&r.account, &r.uuid, &r.docID, &r.version, &r.page, &r.motivation, &r.shared, &r.everShared, &r.json,
		&r.revision, &r.seq, &r.created, &r.modified, &r.deleted, &r.anchor.State, &r.anchor.Version, &r.anchor.Page, &r.anchor.Score)
	return &r, err
}

// annotation returns the row as the API shows it.
func (r *row) annotation() (*Annotation, error) {
	var a Annotation
	if err := json.Unmarshal([]byte(r.json), &a); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", r.uuid, err)
	}
	a.ID = ID(r.uuid)
	a.Created, a.Modified = r.created, r.modified
	a.Revision = r.revision
	anc := r.anchor
	a.Anchoring = &anc
	a.DocumentID, a.Version = r.docID, r.version
	if !r.shared {
		a.Shared = ""
	}
	return &a, nil
}

// stored returns the JSON kept for a: the normalized annotation without
// server fields.
func stored(a *Annotation) string {
	c := *a
	c.ID, c.Created, c.Modified, c.Revision, c.Anchoring, c.SharedBy, c.History = "", "", "", 0, nil, nil, nil
	b, _ := json.Marshal(&c)
	return string(b)
}

// lockWriters makes the writers of annotations take turns until tx ends,
// on PostgreSQL, as SQLite's one writer makes them by itself: a write
// reads the row's revision and writes the next, and two at once would
// both write the same. It locks the counter's row, which every writer
// updates anyway.
func (s *Store) lockWriters(ctx context.Context, tx *sql.Tx) error {
	if s.dialect != sqldb.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT last FROM annotation_seq WHERE id = 1 FOR UPDATE`)
	return err
}

// oneOf returns the condition that column col is one of ids, and its
// argument: a JSON array SQLite reads with json_each, an array parameter
// on PostgreSQL.
func (s *Store) oneOf(col string, ids []int64) (string, any) {
	if ids == nil {
		ids = []int64{}
	}
	if s.dialect == sqldb.Postgres {
		return col + ` = ANY(?)`, ids
	}
	b, _ := json.Marshal(ids)
	return col + ` IN (SELECT value FROM json_each(?))`, string(b)
}

func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `UPDATE annotation_seq SET last = last + 1 WHERE id = 1 RETURNING last`).Scan(&seq)
	return seq, err
}

func findRow(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, account int64, uuid string) (*row, error) {
	r, err := scanRow(q.QueryRowContext(ctx, `SELECT `+rowColumns+` FROM annotations WHERE account_id = ? AND uuid = ?`, account, uuid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	if err != nil {
		return nil, fmt.Errorf("find annotation %s: %w", uuid, err)
	}
	return r, nil
}

// Put creates or replaces the annotation uuid of account with a (from
// Parse). The last write the server receives wins. A PUT onto a tombstone
// returns ErrDeleted unless a.BaseRevision is at least the tombstone's
// revision (the client saw the delete and restores on purpose). The
// caller has checked that the account may see the target version. created
// reports whether the annotation is new.
func (s *Store) Put(ctx context.Context, account int64, uuid string, a *Annotation) (out *Annotation, created bool, err error) {
	if !ValidUUID(uuid) {
		return nil, false, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	if a.ID != "" && a.ID != ID(uuid) {
		return nil, false, invalid("bad_id", "id passt nicht zur UUID im Pfad.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("put annotation: %w", err)
	}
	defer tx.Rollback()
	if err := s.lockWriters(ctx, tx); err != nil {
		return nil, false, fmt.Errorf("put annotation: %w", err)
	}
	old, err := findRow(ctx, tx, account, uuid)
	if err != nil && ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return nil, false, err
	}
	if old != nil && old.deleted && a.BaseRevision < old.revision {
		return nil, false, ErrDeleted
	}
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return nil, false, fmt.Errorf("put annotation: %w", err)
	}
	now := formatTime(s.now())
	body := stored(a)
	shared := boolInt(a.Shared == SharedFaction)
	page := a.Page()
	// The client placed it: anchored on the version it names. If that
	// is not the current version, the re-anchoring moves it.
	revision := int64(1)
	if old == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO annotations (`+rowColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'anchored', ?, ?, 1)`,
			account, uuid, a.DocumentID, a.Version, page, a.Motivation, shared, shared, body,
			revision, seq, now, now, a.Version, page)
		created = true
	} else {
		revision = old.revision + 1
		_, err = tx.ExecContext(ctx, `UPDATE annotations SET document_id = ?, version = ?, page = ?, motivation = ?,
			shared = ?, ever_shared = ?, json = ?, revision = ?, seq = ?, modified_at = ?, deleted = 0,
			anchor_state = 'anchored', anchor_version = ?, anchor_page = ?, anchor_score = 1
			WHERE account_id = ? AND uuid = ?`,
			a.DocumentID, a.Version, page, a.Motivation, shared, max(shared, boolInt(old.everShared)), body, revision, seq, now,
			a.Version, page, account, uuid)
	}
	if err != nil {
		return nil, false, fmt.Errorf("put annotation: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO annotation_revisions (account_id, uuid, revision, json, deleted, at)
		VALUES (?, ?, ?, ?, 0, ?)`, account, uuid, revision, body, now); err != nil {
		return nil, false, fmt.Errorf("put annotation: %w", err)
	}
	r, err := findRow(ctx, tx, account, uuid)
	if err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("put annotation: %w", err)
	}
	out, err = r.annotation()
	return out, created, err
}

// Delete turns the annotation uuid of account into a tombstone. Deleting a
// tombstone again changes nothing; an annotation the account does not have
// is ENOTFOUND.
func (s *Store) Delete(ctx context.Context, account int64, uuid string) error {
	if !ValidUUID(uuid) {
		return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete annotation: %w", err)
	}
	defer tx.Rollback()
	if err := s.lockWriters(ctx, tx); err != nil {
		return fmt.Errorf("delete annotation: %w", err)
	}
	old, err := findRow(ctx, tx, account, uuid)
	if err != nil {
		return err
	}
	if old.deleted {
		return nil
	}
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return fmt.Errorf("delete annotation: %w", err)
	}
	now := formatTime(s.now())
	if _, err := tx.ExecContext(ctx, `UPDATE annotations SET deleted = 1, shared = 0, revision = revision + 1, seq = ?, modified_at = ?
		WHERE account_id = ? AND uuid = ?`, seq, now, account, uuid); err != nil {
		return fmt.Errorf("delete annotation: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO annotation_revisions (account_id, uuid, revision, json, deleted, at)
		VALUES (?, ?, ?, ?, 1, ?)`, account, uuid, old.revision+1, old.json, now); err != nil {
		return fmt.Errorf("delete annotation: %w", err)
	}
	return tx.Commit()
}

// Find returns the live annotation uuid of account; ENOTFOUND for a
// tombstone or an annotation the account does not have.
func (s *Store) Find(ctx context.Context, account int64, uuid string) (*Annotation, error) {
	if !ValidUUID(uuid) {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	r, err := findRow(ctx, s.db, account, uuid)
	if err != nil {
		return nil, err
	}
	if r.deleted {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	return r.annotation()
}

func peerList(r Reader) []int64 {
	ids := make([]int64, 0, len(r.Peers))
	for id := range r.Peers {
		if id != r.AccountID {
			ids = append(ids, id)
		}
	}
	return ids
}

// FindByDocument returns the live annotations on document docID that r
// may read: r's own, and those r's faction peers share (marked SharedBy),
// oldest first. The caller has checked that r may see the document.
func (s *Store) FindByDocument(ctx context.Context, r Reader, docID int64) ([]*Annotation, error) {
	peers, peerArg := s.oneOf("account_id", peerList(r))
	rows, err := s.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM annotations
		WHERE document_id = ? AND deleted = 0
		AND (account_id = ? OR (shared = 1 AND `+peers+`))
		ORDER BY created_at, uuid`, docID, r.AccountID, peerArg)
	if err != nil {
		return nil, fmt.Errorf("find annotations of %d: %w", docID, err)
	}
	defer rows.Close()
	var out []*Annotation
	for rows.Next() {
		row, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("find annotations of %d: %w", docID, err)
		}
		a, err := row.annotation()
		if err != nil {
			return nil, err
		}
		if row.account != r.AccountID {
			a.SharedBy = &SharedBy{AccountID: row.account, Name: r.Peers[row.account]}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Changes returns, in sequence order, up to limit changes after cursor
// since that r may read: r's own annotations and tombstones, annotations
// r's peers share, and a tombstone for each peer annotation that was
// shared once and is not any more. next is the cursor to ask with next
// time; more reports whether there are further changes already.
func (s *Store) Changes(ctx context.Context, r Reader, since int64, limit int) (changes []Change, next int64, more bool, err error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	peers, peerArg := s.oneOf("account_id", peerList(r))
	rows, err := s.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM annotations
		WHERE seq > ? AND (account_id = ? OR (ever_shared = 1 AND `+peers+`))
		ORDER BY seq LIMIT ?`, since, r.AccountID, peerArg, limit+1)
	if err != nil {
		return nil, since, false, fmt.Errorf("annotation changes: %w", err)
	}
	defer rows.Close()
	next = since
	for rows.Next() {
		row, err := scanRow(rows)
		if err != nil {
			return nil, since, false, fmt.Errorf("annotation changes: %w", err)
		}
		if len(changes) == limit {
			more = true
			break
		}
		next = row.seq
		c := Change{Seq: row.seq, ID: ID(row.uuid), Revision: row.revision, Modified: parseTime(row.modified),
			DocumentID: row.docID, Version: row.version}
		own := row.account == r.AccountID
		c.Peer = !own
		if row.deleted || (!own && !row.shared) {
			c.Deleted = true
		} else {
			a, err := row.annotation()
			if err != nil {
				return nil, since, false, err
			}
			if !own {
				a.SharedBy = &SharedBy{AccountID: row.account, Name: r.Peers[row.account]}
			}
			c.Annotation = a
		}
		changes = append(changes, c)
	}
	return changes, next, more, rows.Err()
}

// Revisions returns every revision of the annotation uuid of account, the
// tombstones included, oldest first: what conflict resolution replaced.
func (s *Store) Revisions(ctx context.Context, account int64, uuid string) ([]*Annotation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT revision, json, deleted, at FROM annotation_revisions
		WHERE account_id = ? AND uuid = ? ORDER BY revision`, account, uuid)
	if err != nil {
		return nil, fmt.Errorf("annotation revisions: %w", err)
	}
	defer rows.Close()
	var out []*Annotation
	for rows.Next() {
		var rev int64
		var body, at string
		var deleted bool
		if err := rows.Scan(&rev, &body, &deleted, &at); err != nil {
			return nil, fmt.Errorf("annotation revisions: %w", err)
		}
		var a Annotation
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, fmt.Errorf("annotation revisions: %w", err)
		}
		a.ID, a.Revision, a.Modified = ID(uuid), rev, at
		if deleted {
			a.Anchoring = &Anchoring{State: "deleted"}
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}

// History is one anchoring of an annotation onto a version.
type History struct {
	FromVersion int       `json:"fromVersion"`
	Version     int       `json:"version"`
	State       string    `json:"state"`
	Page        int       `json:"page"`
	Start       int       `json:"start"`
	End         int       `json:"end"`
	Score       float64   `json:"score"`
	At          time.Time `json:"at"`
}

// Anchorings returns the anchoring history of annotation uuid of account,
// oldest first.
func (s *Store) Anchorings(ctx context.Context, account int64, uuid string) ([]History, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT from_version, version, state, page, start, "end", score, at FROM anchorings
		WHERE account_id = ? AND uuid = ? ORDER BY rowid`, account, uuid)
	if err != nil {
		return nil, fmt.Errorf("anchorings: %w", err)
	}
	defer rows.Close()
	var out []History
	for rows.Next() {
		var h History
		var at string
		if err := rows.Scan(&h.FromVersion, &h.Version, &h.State, &h.Page, &h.Start, &h.End, &h.Score, &at); err != nil {
			return nil, fmt.Errorf("anchorings: %w", err)
		}
		h.At = parseTime(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Read is what an account last read of a document.
type Read struct {
	Version int
	At      time.Time
}

// SetRead records that account read version n of document docID now. A
// lower version than the one recorded is ignored (a second device still
// on the old version does not make the new one "unread" again).
func (s *Store) SetRead(ctx context.Context, account, docID int64, n int) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO reads (account_id, document_id, version, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, document_id) DO UPDATE SET version = excluded.version, at = excluded.at
		WHERE excluded.version >= reads.version`, account, docID, n, formatTime(s.now()))
	if err != nil {
		return fmt.Errorf("set read %d: %w", docID, err)
	}
	return nil
}

// LastRead returns what account last read of each of the documents docIDs;
// documents never read are missing from the map.
func (s *Store) LastRead(ctx context.Context, account int64, docIDs []int64) (map[int64]Read, error) {
	docs, docsArg := s.oneOf("document_id", docIDs)
	rows, err := s.db.QueryContext(ctx, `SELECT document_id, version, at FROM reads
		WHERE account_id = ? AND `+docs, account, docsArg)
	if err != nil {
		return nil, fmt.Errorf("last read: %w", err)
	}
	defer rows.Close()
	out := map[int64]Read{}
	for rows.Next() {
		var id int64
		var r Read
		var at string
		if err := rows.Scan(&id, &r.Version, &at); err != nil {
			return nil, fmt.Errorf("last read: %w", err)
		}
		r.At = parseTime(at)
		out[id] = r
	}
	return out, rows.Err()
}

// OwnByVersion returns account's live annotations whose target is version
// n of document docID (for the export).
func (s *Store) OwnByVersion(ctx context.Context, account, docID int64, n int) ([]*Annotation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM annotations
		WHERE account_id = ? AND document_id = ? AND version = ? AND deleted = 0 ORDER BY page, created_at, uuid`, account, docID, n)
	if err != nil {
		return nil, fmt.Errorf("annotations of %d/%d: %w", docID, n, err)
	}
	defer rows.Close()
	var out []*Annotation
	for rows.Next() {
		row, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("annotations of %d/%d: %w", docID, n, err)
		}
		a, err := row.annotation()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// stale is an annotation anchored to another version than its document's
// current one.
type stale struct {
	row     *row
	current int
}

// findStale returns up to limit live annotations (of document docID, or
// of every document if docID is 0) whose anchoring is not for the
// document's current version. The state is derived from durable facts
// only, so a crash between a version's commit and its re-anchoring loses
// nothing: the next run finds the same rows.
func (s *Store) findStale(ctx context.Context, docID int64, limit int) ([]stale, error) {
	// The current version is looked up per annotation through the
	// versions primary key; documents without an active version (all
	// withdrawn) have none, and their annotations stay where they are.
	q := `SELECT * FROM (SELECT ` + prefixed("a.", rowColumns) + `,
			(SELECT MAX(v.number) FROM versions v WHERE v.document_id = a.document_id AND v.state = 'active') AS cur
		FROM annotations a WHERE a.deleted = 0`
	args := []any{}
	if docID != 0 {
		q += ` AND a.document_id = ?`
		args = append(args, docID)
	}
	q += `) AS s WHERE cur IS NOT NULL AND anchor_version != cur ORDER BY document_id, seq LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("stale annotations: %w", err)
	}
	defer rows.Close()
	var out []stale
	for rows.Next() {
		var r row
		var cur int
		if err := rows.Scan(&r.account, &r.uuid, &r.docID, &r.version, &r.page, &r.motivation, &r.shared, &r.everShared, &r.json,
			&r.revision, &r.seq, &r.created, &r.modified, &r.deleted, &r.anchor.State, &r.anchor.Version, &r.anchor.Page, &r.anchor.Score, &cur); err != nil {
			return nil, fmt.Errorf("stale annotations: %w", err)
		}
		out = append(out, stale{row: &r, current: cur})
	}
	return out, rows.Err()
}

// reanchored is the outcome of re-anchoring one annotation.
type reanchored struct {
	account    int64
	uuid       string
	revision   int64 // the revision it was computed from
	from       int
	target     *Annotation // new target (anchored, review) or nil (orphaned: target unchanged)
	anchor     Anchoring
	start, end int
}

// applyAnchorings writes the results in one transaction. A result whose
// annotation changed meanwhile (another revision) is skipped; the next
// run computes it again.
func (s *Store) applyAnchorings(ctx context.Context, results []reanchored) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("re-anchor: %w", err)
	}
	defer tx.Rollback()
	if err := s.lockWriters(ctx, tx); err != nil {
		return fmt.Errorf("re-anchor: %w", err)
	}
	now := formatTime(s.now())
	for _, r := range results {
		old, err := findRow(ctx, tx, r.account, r.uuid)
		if err != nil || old.deleted || old.revision != r.revision {
			continue
		}
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return fmt.Errorf("re-anchor: %w", err)
		}
		body, version, page := old.json, old.version, old.page
		if r.target != nil {
			body, version, page = stored(r.target), r.target.Version, r.target.Page()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE annotations SET version = ?, page = ?, json = ?, revision = revision + 1, seq = ?,
			modified_at = ?, anchor_state = ?, anchor_version = ?, anchor_page = ?, anchor_score = ?
			WHERE account_id = ? AND uuid = ?`, version, page, body, seq, now,
			r.anchor.State, r.anchor.Version, r.anchor.Page, r.anchor.Score, r.account, r.uuid); err != nil {
			return fmt.Errorf("re-anchor: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO annotation_revisions (account_id, uuid, revision, json, deleted, at)
			VALUES (?, ?, ?, ?, 0, ?)`, r.account, r.uuid, old.revision+1, body, now); err != nil {
			return fmt.Errorf("re-anchor: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO anchorings (account_id, uuid, from_version, version, state, page, start, "end", score, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.account, r.uuid, r.from, r.anchor.Version, r.anchor.State,
			r.anchor.Page, r.start, r.end, r.anchor.Score, now); err != nil {
			return fmt.Errorf("re-anchor: %w", err)
		}
	}
	return tx.Commit()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func prefixed(p, cols string) string {
	out := []byte{}
	field := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if field && c != ' ' && c != '\t' && c != '\n' {
			out = append(out, p...)
			field = false
		}
		if c == ',' {
			field = true
		}
		out = append(out, c)
	}
	return string(out)
}

// ReadStatus is the reader's badge for a document whose current version is
// current: "new" if the account never read it, "changed" if it last read
// an older version, "read" otherwise.
func ReadStatus(current int, r Read, ok bool) string {
	switch {
	case !ok:
		return "new"
	case r.Version < current:
		return "changed"
	}
	return "read"
}
