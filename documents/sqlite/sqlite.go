// Package sqlite opens Ratsmappe's metadata database, an SQLite file, with
// the settings every store relies on, and applies the embedded,
// forward-only schema migrations of each domain package.
//
// It is the only package that imports the SQLite driver; the stores in the
// domain packages use database/sql and keep their SQL to themselves.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Open opens (creating if needed) the SQLite database file at path.
//
// Every connection of the pool gets the same PRAGMAs, because SQLite keeps
// most of them per connection:
//   - journal_mode=WAL lets readers go on while one writer commits, which a
//     web server serving many readers needs;
//   - synchronous=FULL makes a commit durable across power loss too, not
//     only across a process crash — an acknowledged upload must never be
//     lost, and commits are rare compared to reads;
//   - foreign_keys=ON, because SQLite leaves them off by default and the
//     schema relies on them to forbid dangling rows;
//   - busy_timeout=10000 makes a writer wait for the lock instead of
//     failing at once with SQLITE_BUSY when two writers meet.
//   - _txlock=immediate takes the write lock at BEGIN so that a read that
//     later becomes a write cannot deadlock with another writer.
func Open(ctx context.Context, file string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(ON)",
		"busy_timeout(10000)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	// Connections are cheap and SQLite serialises writers anyway; a small
	// pool keeps readers concurrent without piling up file handles.
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("open %s: journal mode is %q, want wal", file, mode)
	}
	return db, nil
}

// Migrate applies, in name order, every *.sql file of dir in migrations
// that the database has not recorded yet, each in its own transaction
// together with its row in schema_migrations. Names are recorded as
// "<scope>/<file>", so several domain packages can share one database.
// Migrations are forward-only: a recorded migration is never run again and
// never undone.
func Migrate(ctx context.Context, db *sql.DB, scope string, migrations fs.FS) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := migrateFile(ctx, db, migrations, path.Join(scope, name), name); err != nil {
			return err
		}
	}
	return nil
}

func migrateFile(ctx context.Context, db *sql.DB, migrations fs.FS, recorded, name string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", recorded, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, recorded).Scan(&n); err != nil {
		return fmt.Errorf("migrate %s: %w", recorded, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", recorded, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migrate %s: %w", recorded, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
		recorded, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("migrate %s: %w", recorded, err)
	}
	return tx.Commit()
}
