package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

// TestBackupRestorePostgres: an installation on PostgreSQL is backed up
// while its server runs (a dump from one snapshot with the blobs it
// names) and restored into a new, empty database and data directory: the
// same documents, versions and bytes, and the server there answers with
// the same members' tokens. A restore into a database that holds tables
// is refused, and a PostgreSQL backup is not restored into SQLite.
func TestBackupRestorePostgres(t *testing.T) {
	c := newCLI(t)
	c.env = append(c.env, "RATSMAPPE_DATABASE_URL="+pgtest.URL(t))
	var demo struct {
		Accounts []struct{ Name, Token string }
	}
	if err := json.Unmarshal([]byte(c.run("demo", "--json")), &demo); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(t.TempDir(), "sicherung.pdf")
	if err := os.WriteFile(pdf, makePDF(t, "Sicherung auf PostgreSQL"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run("doc", "add", pdf)
	c.serve(t) // runs while the backup is made

	backup := filepath.Join(t.TempDir(), "sicherung")
	if out := c.run("backup", backup); !strings.Contains(out, "Sicherung in") {
		t.Fatalf("backup: %s", out)
	}
	restoredURL := pgtest.URL(t)
	restored := &cli{t: t, data: filepath.Join(t.TempDir(), "neu"), env: []string{"RATSMAPPE_DATABASE_URL=" + restoredURL}}
	if out := restored.run("restore", backup); !strings.Contains(out, "Wiederhergestellt") {
		t.Fatalf("restore: %s", out)
	}
	analyzed(t, restoredURL, "documents")
	if got, want := restored.run("doc", "list", "--json"), c.run("doc", "list", "--json"); got != want || len(want) < 100 {
		t.Fatalf("documents differ after restore:\n%s\nwant\n%s", got, want)
	}
	for _, args := range [][]string{{"doc", "get", "1"}, {"doc", "get", "1", "--original"}} {
		if sum(restored.run(args...)) != sum(c.run(args...)) {
			t.Errorf("%v: bytes differ after restore", args)
		}
	}
	var token string
	for _, a := range demo.Accounts {
		if a.Name == "anna" {
			token = a.Token
		}
	}
	rbase, _ := restored.serve(t)
	api{t, rbase, token}.must(200, "GET", "/api/v1/meetings", nil)

	if out := restored.fail("restore", backup); !strings.Contains(out, "empty database") {
		t.Errorf("restore over a database with tables: %q", out)
	}
	sqlite := &cli{t: t, data: t.TempDir()}
	if out := sqlite.fail("restore", backup); !strings.Contains(out, "PostgreSQL") {
		t.Errorf("restore of a PostgreSQL backup into SQLite: %q", out)
	}
}
