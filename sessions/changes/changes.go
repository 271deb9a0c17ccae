// Package changes is the changes feed of the council database: one table,
// changes, to which SQL triggers (Migrations, scope "changes", applied
// after the migrations of packages documents and sessions) append a row
// for every change of a table that anything shown, served or indexed is
// built from, in the transaction of the change — whichever code or direct
// SQL made it.
//
// Consumers read the feed by its monotonic seq, and no change becomes
// visible before every change with a lower seq has. A consumer that must see
// every change (the search indexer) keeps a cursor in changes_cursors and
// advances it in the same transaction in which it takes the rows over,
// so a crash re-reads from the last seq it applied and never skips one. A
// consumer that only needs to know whether anything changed (the portal
// cache) compares Newest. Compact deletes the rows every cursor has
// passed and always keeps the newest, so the feed does not grow without
// bound and Newest never goes back; a cursor whose consumer is gone would
// keep every row after it, so its owner removes it (the search indexer:
// a server's own index not seen for a day, the shared one when no server
// uses it).
package changes

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the feed's schema, to be applied with scope
// "changes" after the migrations of packages documents and sessions,
// whose tables its triggers watch.
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same schema for PostgreSQL. There,
// unlike on SQLite, transactions could commit out of seq order; its
// writers of watched tables take a lock that makes them commit one after
// the other, so that the promise below holds on both.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

// KindDocument is the kind of the rows that name a document whose search
// records may have changed: the document itself, a version, its text, an
// attachment or minutes row, or a change elsewhere (a publication, an
// exclusion, a membership) that its access follows from.
const KindDocument = "document"

// Channel is the PostgreSQL notification channel every statement that
// adds rows to the feed notifies at its commit (migration 0003): app
// servers listen on it to learn of changes without asking.
const Channel = "ratsmappe_changes"

// NewestQuery is the SQL of Newest, for a caller that prepares it once.
const NewestQuery = `SELECT COALESCE(MAX(seq), 0) FROM changes`

// Querier is *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Execer is *sql.DB, *sql.Conn or *sql.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Newest returns the seq of the newest change, 0 if there never was one.
// It differs after every commit that changed a watched table.
func Newest(ctx context.Context, q Querier) (int64, error) {
	var seq int64
	if err := q.QueryRowContext(ctx, NewestQuery).Scan(&seq); err != nil {
		return 0, fmt.Errorf("changes: %w", err)
	}
	return seq, nil
}

// Cursor returns the last seq consumer has applied. A consumer registers
// with a row of its own in changes_cursors (in its migration, so that
// Compact keeps what it has not read even before it first runs); Cursor
// fails for one that has not.
func Cursor(ctx context.Context, q Querier, consumer string) (int64, error) {
	var seq int64
	if err := q.QueryRowContext(ctx, `SELECT seq FROM changes_cursors WHERE consumer = ?`, consumer).Scan(&seq); err != nil {
		return 0, fmt.Errorf("changes cursor %s: %w", consumer, err)
	}
	return seq, nil
}

// Claim returns consumer's cursor like Cursor and locks it until tx ends:
// of the transactions of several app servers that claim it, one goes on
// at a time, and each reads the cursor the one before it left (SQLite's
// one writer gives that anyway). A consumer that reads the feed past its
// cursor and advances it claims it first, so that no change is applied
// twice.
func Claim(ctx context.Context, tx Querier, consumer string) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE changes_cursors SET seq = seq WHERE consumer = ? RETURNING seq`, consumer).Scan(&seq); err != nil {
		return 0, fmt.Errorf("changes cursor %s: %w", consumer, err)
	}
	return seq, nil
}

// Advance records that consumer has applied every change up to seq. Call
// it in the transaction that applies them.
func Advance(ctx context.Context, tx Execer, consumer string, seq int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE changes_cursors SET seq = ? WHERE consumer = ? AND seq <= ?`, seq, consumer, seq)
	if err != nil {
		return fmt.Errorf("changes cursor %s: %w", consumer, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("changes cursor %s: not registered, or already past %d", consumer, seq)
	}
	return nil
}

// CompactChunk is how many rows one transaction of Compact deletes at
// most: a first compaction of a year's feed at Munich scale (400,000
// rows) in one DELETE held SQLite's one write lock for seconds, and every
// writer waited behind it.
const CompactChunk = 5000

// compactedTo is the newest seq Compact may delete: the slowest cursor's,
// or without cursors the newest row's (which Compact keeps).
const compactedTo = `COALESCE((SELECT MIN(seq) FROM changes_cursors), (SELECT MAX(seq) FROM changes))`

// Compact deletes the changes every registered consumer has applied,
// keeping the newest row, and returns how many it deleted. Without
// consumers, everything but the newest row goes.
//
// It deletes the oldest rows in transactions of at most chunk rows each
// (CompactChunk if chunk is 0), and after each it pauses as long as the
// chunk took, so that other writers get the lock in between. Each chunk
// reads the cursors anew. A cursor only moves forward and a new one
// starts at the newest row, which stays, so no consumer loses a row it
// has not applied, whenever a chunk runs.
//
// A registered consumer that never reads on holds every row after its
// cursor: whoever registers a cursor must remove it when its consumer is
// gone for good (the search indexer forgets the cursors of indexes not
// seen for a day). With several app servers, run it on one of them at a
// time (sqldb.Exclusive): every server would contend for the same rows.
func Compact(ctx context.Context, db *sql.DB, chunk int) (int64, error) {
	if chunk <= 0 {
		chunk = CompactChunk
	}
	// Asked first without writing: a DELETE takes SQLite's one write lock
	// even when it finds nothing, and mostly there is nothing yet.
	var due bool
	if err := db.QueryRowContext(ctx, `SELECT COALESCE((SELECT MIN(seq) FROM changes) < (SELECT MAX(seq) FROM changes)
		AND (SELECT MIN(seq) FROM changes) <= `+compactedTo+`, false)`).Scan(&due); err != nil {
		return 0, fmt.Errorf("changes: compact: %w", err)
	}
	var total int64
	for due {
		start := time.Now()
		res, err := db.ExecContext(ctx, `DELETE FROM changes WHERE seq IN (
			SELECT seq FROM changes
			WHERE seq < (SELECT MAX(seq) FROM changes) AND seq <= `+compactedTo+`
			ORDER BY seq LIMIT ?)`, chunk)
		if err != nil {
			return total, fmt.Errorf("changes: compact: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("changes: compact: %w", err)
		}
		total += n
		if n < int64(chunk) {
			break
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(time.Since(start)):
		}
	}
	return total, nil
}
