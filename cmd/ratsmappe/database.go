package main

import (
	"context"
	"database/sql"
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
	if d == sqldb.Postgres {
		return postgres.Open(ctx, cfg.Database)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.Data, "ratsmappe.db"))
}
