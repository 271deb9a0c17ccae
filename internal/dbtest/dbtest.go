// Package dbtest runs a store's tests on every database Ratsmappe runs on
// — an SQLite file and a PostgreSQL database (internal/pgtest) — so that
// one suite is the contract both must keep:
//
//	func TestSomething(t *testing.T) {
//		dbtest.Each(t, func(t *testing.T, db *sql.DB) {
//			dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
//			…
//		})
//	}
//
// A package whose tests use it ends the PostgreSQL server in its TestMain
// with pgtest.Main (or pgtest.Stop).
package dbtest

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Each runs f as a subtest on each database, named by its dialect, with a
// new, empty database that is removed when the subtest ends. Without
// PostgreSQL the postgres subtest skips (fails under CI=true, see pgtest).
func Each(t *testing.T, f func(t *testing.T, db *sql.DB)) {
	t.Helper()
	EachDatabase(t, func(t *testing.T, d Database) { f(t, d.Open(t)) })
}

// EachDatabase is Each for tests that open the database more than once, as
// a server that restarts does.
func EachDatabase(t *testing.T, f func(t *testing.T, d Database)) {
	t.Helper()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) { f(t, New(t, d)) })
	}
}

// Database is a new, empty test database.
type Database struct {
	Dialect sqldb.Dialect
	source  string // the SQLite file or the PostgreSQL URL
}

// New creates a new, empty database of dialect d, removed when the test
// ends.
func New(tb testing.TB, d sqldb.Dialect) Database {
	tb.Helper()
	if d == sqldb.Postgres {
		return Database{d, pgtest.URL(tb)}
	}
	return Database{d, filepath.Join(tb.TempDir(), "test.db")}
}

// Open opens a connection pool on the database, closed when the test ends
// (or earlier by the test, as a stopping server closes it).
func (d Database) Open(tb testing.TB) *sql.DB {
	tb.Helper()
	ctx := context.Background()
	var db *sql.DB
	var err error
	if d.Dialect == sqldb.Postgres {
		db, err = postgres.Open(ctx, d.source)
	} else {
		db, err = sqlite.Open(ctx, d.source)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Open returns a new, empty database of dialect d, closed and removed when
// the test ends.
func Open(tb testing.TB, d sqldb.Dialect) *sql.DB {
	tb.Helper()
	return New(tb, d).Open(tb)
}

// Migrate applies to db a package's migrations of db's dialect.
func Migrate(tb testing.TB, db *sql.DB, scope string, sqlite, postgres fs.FS) {
	tb.Helper()
	files, err := sqldb.Pick(db, scope, sqlite, postgres)
	if err == nil {
		err = sqldb.Migrate(context.Background(), db, scope, files)
	}
	if err != nil {
		tb.Fatal(err)
	}
}
