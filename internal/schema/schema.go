// Package schema applies the SQL migrations of every package that keeps
// tables in Ratsmappe's one database, in one ordered list. The binary
// (cmd/ratsmappe), the tests of package web and the benchmarks call
// Migrate, so that every database they open has the same schema, built in
// the same order.
//
// The list is here and not in cmd because nothing may import cmd, and not
// in documents/sqlite because that package knows no domain package.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/sessions/notices"
)

// Scope is one package's migrations, recorded under its name in
// schema_migrations.
type Scope struct {
	Name       string
	Migrations fs.FS // for SQLite
}

// For returns the scope's migrations in dialect d, or nil if its tables
// are not ported to d yet.
func (s Scope) For(d sqldb.Dialect) fs.FS {
	if d == sqldb.Postgres {
		return postgres()[s.Name]
	}
	return s.Migrations
}

// postgres holds the PostgreSQL migrations of the scopes that have them, by
// scope name: the same files, spelled for PostgreSQL. A package whose
// tables are ported adds its set here; until all are, Migrate refuses a
// PostgreSQL database.
func postgres() map[string]fs.FS {
	return map[string]fs.FS{
		"documents":  documents.PostgresMigrations(),
		"sessions":   sessions.PostgresMigrations(),
		"changes":    changes.PostgresMigrations(),
		"indexer":    indexer.PostgresMigrations(),
		"annotate":   annotate.PostgresMigrations(),
		"notify":     notify.PostgresMigrations(),
		"invitation": invitation.PostgresMigrations(),
		"notices":    notices.PostgresMigrations(),
		"alerts":     alerts.PostgresMigrations(),
		"live":       live.PostgresMigrations(),
	}
}

// Scopes returns the migrations of every package, in the order they are
// applied: a scope comes after the scopes whose tables it refers to.
// Scope names are recorded in existing databases and never change.
func Scopes() []Scope {
	return []Scope{
		// Documents and their versions; knows no other package.
		{"documents", documents.Migrations()},
		// The council's data: bodies, meetings, papers, attachments
		// (referring to documents), accounts, the audit log and the
		// publication ledger.
		{"sessions", sessions.Migrations()},
		// (Package accounts owns the accounts, sign-in and token tables,
		// which sessions' first migration created before it existed; its
		// own migrations, when it needs some, go here: after sessions,
		// whose persons they refer to.)

		// The changes feed: triggers on the tables of both above.
		{"changes", changes.Migrations()},
		// The search indexer's outbox and its cursor on the feed.
		{"indexer", indexer.Migrations()},
		// Annotations on document versions.
		{"annotate", annotate.Migrations()},
		// The outbox of messages (invitations, notifications) and its
		// attempt log.
		{"notify", notify.Migrations()},
		// Invitations (Ladung): consent register, deadline rules, the
		// invitations issued and their recipients (referring to persons,
		// organizations and meetings).
		{"invitation", invitation.Migrations()},
		// Members' change notifications: a cursor on the feed, the views
		// last told, the notices.
		{"notices", notices.Migrations()},
		// Citizen alerts: subscriptions (referring to organizations) and
		// the worker's cursor on the ledger.
		{"alerts", alerts.Migrations()},
		// The live session: attendance, quorum rules, votes and results
		// (referring to meetings, agenda items and persons).
		{"live", live.Migrations()},
	}
}

// Migrate applies every scope's migrations to db, in the order of Scopes,
// in db's dialect. If a scope has no migrations for that dialect, it
// applies nothing and says which scopes are missing: a database with half
// a schema would only fail later, at a worse moment.
func Migrate(ctx context.Context, db *sql.DB) error {
	scopes, pg := Scopes(), postgres()
	files := make([]fs.FS, len(scopes))
	var missing []string
	for i, s := range scopes {
		var err error
		if files[i], err = sqldb.Pick(db, s.Name, s.Migrations, pg[s.Name]); err != nil {
			missing = append(missing, s.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("migrate: not all of Ratsmappe runs on %s yet: %s have no migrations for it",
			sqldb.DialectOf(db), strings.Join(missing, ", "))
	}
	for i, s := range scopes {
		if err := sqldb.Migrate(ctx, db, s.Name, files[i]); err != nil {
			return err
		}
	}
	return nil
}
