// Package schematest helps the tests of what follows the PostgreSQL port
// scope by scope (db copy, the binary's --database): it gives an SQLite
// database a row in a scope that has no PostgreSQL migrations yet.
package schematest

import (
	"database/sql"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// unported are rows, one per scope, in tables of scopes that may still
// lack PostgreSQL migrations, in the order tried. Each needs only the
// tables of documents and sessions.
var unported = []struct{ scope, sql string }{
	{"invitation", `INSERT INTO invitation_consents (person_id, modified_at) SELECT MIN(id), 0 FROM persons`},
	{"live", `INSERT INTO live_quorum_rules (organization_id, kind, modified) SELECT MIN(id), 'majority', '2026-01-01T00:00:00Z' FROM organizations`},
}

// UnportedRow writes a row into a table of a scope without PostgreSQL
// migrations to db, an SQLite database migrated with schema.Migrate, and
// returns the scope's name; "" if every scope it knows is ported.
func UnportedRow(tb testing.TB, db *sql.DB) string {
	tb.Helper()
	ported := map[string]bool{}
	for _, s := range schema.Scopes() {
		ported[s.Name] = s.For(sqldb.Postgres) != nil
	}
	for _, u := range unported {
		if ported[u.scope] {
			continue
		}
		for _, q := range []string{
			`INSERT INTO bodies (name, created, modified) VALUES ('Stadt Lindenau', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
			`INSERT INTO persons (body_id, family_name, created, modified) SELECT MIN(id), 'Beispiel', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM bodies`,
			`INSERT INTO organizations (body_id, name, classification, created, modified) SELECT MIN(id), 'Rat', 'council', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM bodies`,
			u.sql,
		} {
			if _, err := db.Exec(q); err != nil {
				tb.Fatalf("a row of %s: %v", u.scope, err)
			}
		}
		return u.scope
	}
	return ""
}
