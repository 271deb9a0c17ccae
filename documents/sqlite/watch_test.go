package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ratsmappe/ratsmappe/documents/sqlite"
)

// TestMain lets the test binary be the other process of TestWatch.
func TestMain(m *testing.M) {
	if file := os.Getenv("RATSMAPPE_WATCH_WRITE"); file != "" {
		db, err := sqlite.Open(context.Background(), file)
		if err == nil {
			_, err = db.Exec(`INSERT INTO t (v) VALUES ('from another process')`)
			db.Close()
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestWatch: the mark stays while nothing is committed — reads do not
// move it — and changes with every commit, of another connection, of
// another process, and after the WAL was checkpointed and restarted.
func TestWatch(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "w.db")
	db, err := sqlite.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	w, err := sqlite.OpenWatch(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mark := func() [96]byte {
		t.Helper()
		m, ok := w.Mark()
		if !ok {
			t.Fatal("Mark cannot tell")
		}
		return m
	}
	run := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	last := mark()
	step := func(what string, changed bool) {
		t.Helper()
		m := mark()
		if got := m != last; got != changed {
			t.Errorf("%s: mark changed %v, want %v", what, got, changed)
		}
		last = m
	}
	step("nothing", false)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	step("a read", false)
	run(`INSERT INTO t (v) VALUES ('a')`)
	step("a commit", true)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO t (v) VALUES ('rolled back')`); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	step("a rollback", false)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RATSMAPPE_WATCH_WRITE="+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the other process: %v: %s", err, out)
	}
	step("a commit of another process", true)
	run(`PRAGMA wal_checkpoint(TRUNCATE)`)
	last = mark()
	run(`INSERT INTO t (v) VALUES ('b')`)
	step("a commit into a restarted WAL", true)
	run(`UPDATE t SET v = 'c' WHERE v = 'b'`)
	step("another one", true)
}
