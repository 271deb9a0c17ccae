package main_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// fail runs the binary, expects it to fail, and returns its stderr.
func (c *cli) fail(args ...string) string {
	c.t.Helper()
	var stderr bytes.Buffer
	cmd := c.command(context.Background(), args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		c.t.Fatalf("ratsmappe %s: succeeded, want a failure", strings.Join(args, " "))
	}
	return stderr.String()
}

// Every subcommand honours --database. Until every package's tables run
// on PostgreSQL, a PostgreSQL database is refused before anything is
// created in it, naming what is missing; backup and restore, which copy
// the SQLite file, say that they do not work with it.
func TestDatabaseFlag(t *testing.T) {
	c := newCLI(t)
	url := pgtest.URL(t)
	for _, s := range schema.Scopes() {
		if s.For(sqldb.Postgres) != nil {
			continue
		}
		out := c.fail("doc", "list", "--database", url)
		if !strings.Contains(out, "postgres") || !strings.Contains(out, s.Name) {
			t.Errorf("doc list on PostgreSQL: stderr %q, want the packages without PostgreSQL migrations", out)
		}
		break
	}
	c.env = append(c.env, "RATSMAPPE_DATABASE_URL="+url)
	if out := c.fail("backup", t.TempDir()); !strings.Contains(out, "pg_dump") {
		t.Errorf("backup on PostgreSQL: stderr %q, want a pointer to pg_dump", out)
	}
	// A value that is no database URL is refused without being repeated:
	// it may hold a password.
	out := c.fail("doc", "list", "--database", "mysql://admin:geheim@db/rat")
	if strings.Contains(out, "geheim") || !strings.Contains(out, "postgres://") {
		t.Errorf("unknown database: stderr %q, want the accepted forms and no password", out)
	}
	// A wrong password is reported without it.
	out = c.fail("doc", "list", "--database", strings.Replace(url, "ratsmappe@", "ratsmappe:geheim@", 1)+"&host=/nonexistent")
	if strings.Contains(out, "geheim") {
		t.Errorf("unreachable database: stderr %q repeats the password", out)
	}
}
