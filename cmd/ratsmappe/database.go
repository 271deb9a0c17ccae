package main

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// databaseDialect returns the dialect the --database value s names: an
// empty value (or "sqlite") is the embedded SQLite file in the data
// directory, a
// postgres:// (or postgresql://) URL a PostgreSQL database. Anything else
// is refused, without echoing the value, which may hold a password.
func databaseDialect(s string) (sqldb.Dialect, error) {
	switch {
	case s == "" || s == "sqlite":
		return sqldb.SQLite, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return sqldb.Postgres, nil
	}
	return "", ratsmappe.Errorf(ratsmappe.EINVALID,
		"--database / RATSMAPPE_DATABASE_URL: give a postgres://user@host/db URL, or nothing for the SQLite file in the data directory")
}

// openDatabase opens the metadata database cfg names (see
// databaseDialect). With PostgreSQL, the data directory still holds the
// local things: blobs of the directory store, caches, the embedded index.
func openDatabase(ctx context.Context, cfg Config) (*sql.DB, error) {
	d, err := databaseDialect(cfg.Database)
	if err != nil {
		return nil, err
	}
	mark := filepath.Join(cfg.Data, postgresMark)
	if d == sqldb.Postgres {
		db, err := postgres.Open(ctx, cfg.Database)
		if err == nil {
			// Best effort: the mark only guards against a later mistake.
			_ = os.WriteFile(mark, []byte(postgresMarkText), 0o640)
		}
		return db, err
	}
	file := filepath.Join(cfg.Data, "ratsmappe.db")
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(mark); err == nil {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID,
				"the metadata of data directory %s is in PostgreSQL: give --database or RATSMAPPE_DATABASE_URL (a new SQLite database here would be an empty council)", cfg.Data)
		}
	}
	return sqlite.Open(ctx, file)
}

// postgresMark names the file that says a data directory's metadata is in
// PostgreSQL. A server restarted without its RATSMAPPE_DATABASE_URL would
// otherwise create an empty SQLite database there and serve an empty
// council; with the mark and no SQLite file it refuses to start. A data
// directory that also holds a SQLite file (after db copy) opens it as
// before.
const postgresMark = "POSTGRESQL"

const postgresMarkText = `The metadata of this data directory is in PostgreSQL: start ratsmappe
with --database or RATSMAPPE_DATABASE_URL. Without it, ratsmappe refuses
to create an empty SQLite database here.
`
