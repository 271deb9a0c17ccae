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
	"io/fs"

	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// Scope is one package's migrations, recorded under its name in
// schema_migrations.
type Scope struct {
	Name       string
	Migrations fs.FS
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
		// The live session: attendance, quorum rules, votes and results
		// (referring to meetings, agenda items and persons).
		{"live", live.Migrations()},
	}
}

// Migrate applies every scope's migrations to db, in the order of Scopes.
func Migrate(ctx context.Context, db *sql.DB) error {
	for _, s := range Scopes() {
		if err := sqlite.Migrate(ctx, db, s.Name, s.Migrations); err != nil {
			return err
		}
	}
	return nil
}
