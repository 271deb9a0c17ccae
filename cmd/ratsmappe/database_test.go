package main_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/pgtest"
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

// Every subcommand honours --database: a PostgreSQL database is migrated
// and used, and backed up with pg_dump.
func TestDatabaseFlag(t *testing.T) {
	c := newCLI(t)
	url := pgtest.URL(t)
	c.run("doc", "list", "--database", url)
	// The embedded search index of this data directory follows the
	// shared database's changes with a name of its own, kept.
	c.run("reindex", "--database", url)
	name, err := os.ReadFile(filepath.Join(c.data, "search.consumer"))
	if err != nil || !strings.HasPrefix(string(name), "search/") {
		t.Errorf("the index's name: %q, %v", name, err)
	}
	c.run("reindex", "--database", url)
	if again, _ := os.ReadFile(filepath.Join(c.data, "search.consumer")); string(again) != string(name) {
		t.Errorf("the index's name changed from %q to %q", name, again)
	}
	// The same data directory without the URL is refused, rather than
	// serving an empty council from a new SQLite file.
	if out := c.fail("doc", "list"); !strings.Contains(out, "RATSMAPPE_DATABASE_URL") {
		t.Errorf("data directory of a PostgreSQL installation opened without the URL: stderr %q", out)
	}
	if _, err := os.Stat(filepath.Join(c.data, "ratsmappe.db")); err == nil {
		t.Error("opening without the URL created a SQLite database")
	}
	c.env = append(c.env, "RATSMAPPE_DATABASE_URL="+url)
	// backup takes a pg_dump of it (backup_postgres_test.go has the rest).
	dir := filepath.Join(t.TempDir(), "backup")
	c.run("backup", dir)
	if _, err := os.Stat(filepath.Join(dir, "ratsmappe.pgdump")); err != nil {
		t.Errorf("backup on PostgreSQL: %v", err)
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
