package sessions

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
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
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if strings.TrimSpace(e.Action) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Ein Protokolleintrag braucht eine Aktion.")
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	var acct any
	if e.AccountID != 0 {
		acct = e.AccountID
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, account_id, actor, action, object_type, object_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ts(e.At), acct, e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Details)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
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
