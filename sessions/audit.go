package sessions

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID         int64
	At         time.Time
	AccountID  int64
	Actor      string // display name, kept even if the account goes
	Action     string // e.g. "meeting.publish", "document.read_nonpublic"
	ObjectType string
	ObjectID   int64
	Details    string
}

// Audit appends e to the audit log; At defaults to now. The log is
// append-only: the schema refuses changes and deletions. It returns
// EINVALID for an entry without an action. The web layer writes an entry
// for every change and for every read of a non-public document.
//
// Audit returns once the entry is committed. Entries of concurrent calls
// are committed together (one transaction, one sync to disk, while the
// previous one is being written): every read of a non-public document
// is audited, and under load — the members' devices syncing their packets
// while the public rushes in — a commit per read was what their reads
// waited for. The entry is written even if ctx ends meanwhile.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if strings.TrimSpace(e.Action) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Ein Protokolleintrag braucht eine Aktion.")
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	b := s.audit.add(s, e)
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// auditWriter gathers entries while a batch is being written and writes
// them as the next batch.
type auditWriter struct {
	mu      sync.Mutex
	next    *auditBatch
	running bool
}

type auditBatch struct {
	entries []AuditEntry
	done    chan struct{}
	err     error
}

func (w *auditWriter) add(s *Store, e AuditEntry) *auditBatch {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.next == nil {
		w.next = &auditBatch{done: make(chan struct{})}
	}
	b := w.next
	b.entries = append(b.entries, e)
	if !w.running {
		w.running = true
		go w.run(s)
	}
	return b
}

func (w *auditWriter) run(s *Store) {
	for {
		w.mu.Lock()
		b := w.next
		w.next = nil
		if b == nil {
			w.running = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		b.err = s.writeAudit(ctx, b.entries)
		cancel()
		close(b.done)
	}
}

// auditPerInsert is how many entries one INSERT writes: 7 parameters
// each, far below the parameter limits of SQLite (32,766) and PostgreSQL
// (65,535).
const auditPerInsert = 500

// writeAudit writes a batch of entries in multi-row INSERTs. A batch that
// fits one statement needs no transaction around it, the statement is
// one: a round trip on PostgreSQL, where begin, an insert per entry and
// commit were one each (three for an upload's single entry).
func (s *Store) writeAudit(ctx context.Context, entries []AuditEntry) error {
	if len(entries) <= auditPerInsert {
		if err := insertAudit(ctx, s.db, entries); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	for first := 0; first < len(entries); first += auditPerInsert {
		if err := insertAudit(ctx, tx, entries[first:min(first+auditPerInsert, len(entries))]); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// insertAudit writes entries in one INSERT.
func insertAudit(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, entries []AuditEntry) error {
	args := make([]any, 0, 7*len(entries))
	for _, e := range entries {
		var acct any
		if e.AccountID != 0 {
			acct = e.AccountID
		}
		args = append(args, ts(e.At), acct, e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Details)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO audit_log (at, account_id, actor, action, object_type, object_id, details) VALUES `+sqldb.Values(len(entries), 7), args...)
	return err
}

// FindAuditEntries returns the newest limit entries (limit <= 0: 100),
// newest first. FindAuditEntriesFor filters.
func (s *Store) FindAuditEntries(ctx context.Context, limit int) ([]*AuditEntry, error) {
	return s.FindAuditEntriesFor(ctx, AuditFilter{Limit: limit})
}

// AuditFilter selects audit log entries; zero fields do not filter.
type AuditFilter struct {
	AccountID  int64  // who
	Action     string // exact, e.g. "document.read_nonpublic"
	ObjectType string // e.g. "document"
	ObjectID   int64  // with ObjectType
	From, To   time.Time
	Offset     int
	Limit      int // <= 0: 100
}

// FindAuditEntriesFor returns the entries matching f, newest first — for
// example who read non-public document 42:
// AuditFilter{Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 42}.
func (s *Store) FindAuditEntriesFor(ctx context.Context, f AuditFilter) ([]*AuditEntry, error) {
	q := `SELECT id, at, COALESCE(account_id, 0), actor, action, object_type, object_id, details FROM audit_log WHERE 1=1`
	var args []any
	if f.AccountID != 0 {
		q += ` AND account_id = ?`
		args = append(args, f.AccountID)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	if f.ObjectType != "" {
		q += ` AND object_type = ?`
		args = append(args, f.ObjectType)
	}
	if f.ObjectID != 0 {
		q += ` AND object_id = ?`
		args = append(args, f.ObjectID)
	}
	if !f.From.IsZero() {
		q += ` AND at >= ?`
		args = append(args, ts(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND at < ?`
		args = append(args, ts(f.To))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ? OFFSET ?`
	args = append(args, f.Limit, max(f.Offset, 0))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find audit entries: %w", err)
	}
	defer rows.Close()
	var out []*AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.AccountID, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Details); err != nil {
			return nil, fmt.Errorf("find audit entries: %w", err)
		}
		e.At = parseTS(at)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find audit entries: %w", err)
	}
	return out, nil
}
