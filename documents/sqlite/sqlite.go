// Package sqlite opens Ratsmappe's metadata database, an SQLite file, with
// the settings every store relies on. (PostgreSQL, the other database,
// is opened by documents/postgres.)
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
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
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
//
// Every connection also keeps the statements it ran prepared, so that a
// store's repeated query is parsed and planned once per connection, not
// once per call (see conn in stmtcache.go).
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
	base, err := sqlite.NewConnector("file:" + file + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	// Every connection keeps its prepared statements (stmtcache.go).
	db := sql.OpenDB(connector{base})
	// SQLite serialises writers anyway; a small pool keeps readers
	// concurrent without piling up file handles. All of them stay idle
	// rather than database/sql's default two: a connection is not cheap
	// once it holds its parsed schema and prepared statements, and under
	// load (more requests than idle slots, in bursts) the pool closed
	// and reopened connections all the time — at 32 clients on a member's
	// meeting page an eighth of the server's CPU went to opening,
	// parsing the schema, preparing and closing.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
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

// Migrate applies the migrations of scope to db; see sqldb.Migrate, which
// runs them on either database.
func Migrate(ctx context.Context, db *sql.DB, scope string, migrations fs.FS) error {
	return sqldb.Migrate(ctx, db, scope, migrations)
}
