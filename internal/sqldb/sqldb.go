// Package sqldb holds what Ratsmappe's stores need to run on either of its
// two databases: which dialect a handle speaks, and the one runner of the
// embedded, forward-only schema migrations.
//
// Stores keep their SQL in the SQLite style with ? placeholders; the
// PostgreSQL adapter (documents/postgres) rewrites those to $n in its
// driver, so that most SQL is written once. Where the two dialects differ
// (JSON functions, a type in a migration) a store asks DialectOf and keeps
// both spellings side by side.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// Dialect names an SQL dialect Ratsmappe runs on.
type Dialect string

// The dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DialectOf returns the dialect of db: the one its driver names through a
// Dialect() string method (the PostgreSQL adapter's does), else SQLite, the
// embedded default.
func DialectOf(db *sql.DB) Dialect {
	if d, ok := db.Driver().(interface{ Dialect() string }); ok {
		return Dialect(d.Dialect())
	}
	return SQLite
}

// migrateLock is the key of the PostgreSQL advisory lock that serialises
// migrations of app servers starting at the same moment on one database.
// Any constant works; this one spells "ratsmapp".
const migrateLock = 0x726174736d617070

// Migrate applies, in name order, every *.sql file at the root of
// migrations that the database has not recorded yet, each in its own
// transaction together with its row in schema_migrations. Names are
// recorded as "<scope>/<file>", so several domain packages share one
// database. Migrations are forward-only: a recorded migration is never run
// again and never undone.
//
// On PostgreSQL each migration's transaction first takes an advisory lock,
// so that several app servers starting together apply each file once: the
// second waits for the first's commit and then finds the file recorded.
// (SQLite serialises writers by itself.)
func Migrate(ctx context.Context, db *sql.DB, scope string, migrations fs.FS) error {
	d := DialectOf(db)
	if err := createTable(ctx, db, d); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := migrateFile(ctx, db, d, migrations, path.Join(scope, name), name); err != nil {
			return err
		}
	}
	return nil
}

func createTable(ctx context.Context, db *sql.DB, d Dialect) error {
	if d == SQLite {
		_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			name       TEXT PRIMARY KEY,
			applied_at TEXT NOT NULL
		) STRICT`)
		return err
	}
	// Two servers running CREATE TABLE IF NOT EXISTS at once can both
	// pass the check and one fails on the catalog's unique index: take the
	// lock first.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := lock(ctx, tx, d); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return err
	}
	return tx.Commit()
}

func lock(ctx context.Context, tx *sql.Tx, d Dialect) error {
	if d != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrateLock))
	return err
}

func migrateFile(ctx context.Context, db *sql.DB, d Dialect, migrations fs.FS, recorded, name string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", recorded, err)
	}
	defer tx.Rollback()
	if err := lock(ctx, tx, d); err != nil {
		return fmt.Errorf("migrate %s: %w", recorded, err)
	}
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

// Pick returns, of a package's two sets of migrations, the one for the
// dialect of db. It returns an error if that set is nil: the package's
// tables do not exist on that database yet.
func Pick(db *sql.DB, scope string, sqlite, postgres fs.FS) (fs.FS, error) {
	d := DialectOf(db)
	files := sqlite
	if d == Postgres {
		files = postgres
	}
	if files == nil {
		return nil, fmt.Errorf("migrate: the tables of %s have no %s migrations yet", scope, d)
	}
	return files, nil
}

// Values returns the placeholders of a multi-row INSERT's VALUES: rows
// groups of cols placeholders, "(?, ?), (?, ?)" for 2 and 2. A statement
// of many rows is one round trip on PostgreSQL instead of one per row.
func Values(rows, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(rows * (len(row) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
