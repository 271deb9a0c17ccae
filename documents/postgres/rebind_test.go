package postgres_test

import (
	"testing"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT * FROM t WHERE a = ? AND b = ?`, `SELECT * FROM t WHERE a = $1 AND b = $2`},
		// Numbered ones as SQLite reads them: a bare ? follows the largest.
		{`WHERE x = ?1 OR y = ?1`, `WHERE x = $1 OR y = $1`},
		{`WHERE x = ?2 AND y = ?`, `WHERE x = $2 AND y = $3`},
		// Not placeholders: literals, identifiers, comments, bodies.
		{`SELECT '?', 'it''s ?', "a?b", ? -- why?
		/* ? */ FROM t`, `SELECT '?', 'it''s ?', "a?b", $1 -- why?
		/* ? */ FROM t`},
		{`CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RAISE '?'; END $$ LANGUAGE plpgsql; SELECT ?`,
			`CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RAISE '?'; END $$ LANGUAGE plpgsql; SELECT $1`},
		{`SELECT $body$ ? $body$, ?`, `SELECT $body$ ? $body$, $1`},
	} {
		if got := postgres.Rebind(tc.in); got != tc.want {
			t.Errorf("Rebind(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
