// Package live is the live session: a meeting's session running between
// its start and its end, who attends (members, deputies sitting for them),
// whether the body is quorate (Beschlussfähigkeit), the votes on agenda
// items (open, named, secret) with their versioned results, and a Hub
// that tells the live view (Server-Sent Events, package web/live) when a
// meeting's state changed.
//
// The rules (rules.go) are pure functions: quorum, seats and voters, and
// majority. Store reads the facts from the database and asks them.
//
// # Secret votes
//
// A secret vote never stores a choice next to a person, nor anything from
// which the order or time of one person's ballot could be matched with a
// choice: the person is recorded in live_voted (a WITHOUT ROWID table
// keyed by vote and person, so rows are kept in key order, without time;
// PostgreSQL's heap keeps the order rows came in, never a choice), and the
// choice only in the process's memory, as counts, until the vote is
// closed; then the counts alone are written. Nothing is logged or
// audited per secret ballot. If the process ends while a secret vote is
// open, its counts are gone: closing it then refuses (the persons who
// voted and the counts disagree), and the office enters the counts by
// hand or opens the vote again — as with a lost ballot box.
//
// With several server processes on one database (PostgreSQL, Store.Join),
// every process keeps the counts: a ballot's choice, once its record
// committed, is sent to all of them as a notification in a transaction of
// its own, sealed with the key the servers share, and a closing waits
// (briefly) until its process has a choice for every person recorded.
// The database carries the sealed choices and keeps none. A process that
// started while the vote was open lacks choices and refuses to close it;
// one that saw every ballot closes it.
//
// Writes that read the state they change (a ballot and the closing, a
// seat, the open vote, the speaker on the floor) run under the database's
// write lock (sessions.Store.BeginWrite), on PostgreSQL as on SQLite.
package live

import (
	"embed"
	"io/fs"

	"github.com/ratsmappe/ratsmappe"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's forward-only schema migrations, to be
// applied with scope "live" after those of package sessions.
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same migrations for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }
