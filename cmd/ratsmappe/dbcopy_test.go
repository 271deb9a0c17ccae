package main_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/ingesttest"
	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
)

// output runs the binary and returns its stdout, stderr and exit error.
func (c *cli) output(args ...string) (string, string, error) {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := c.command(context.Background(), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// withDocuments returns a command line on a new data directory with three
// documents, uploaded with the fake PDF engine.
func withDocuments(t *testing.T) *cli {
	t.Helper()
	ctx := context.Background()
	c := newCLI(t)
	db, err := sqlite.Open(ctx, filepath.Join(c.data, "ratsmappe.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	blobs, err := fsblob.Open(filepath.Join(c.data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: ingesttest.Ingester{}})
	for i := 1; i <= 3; i++ {
		p := filepath.Join(t.TempDir(), "v.pdf")
		os.WriteFile(p, []byte(fmt.Sprintf("%%PDF-Vorlage %d", i)), 0o644)
		if _, err := svc.AddDocument(ctx, documents.Upload{Path: p, FileName: "v.pdf", Title: fmt.Sprintf("Vorlage %d", i), Uploader: "amt", Kind: documents.KindAttachment}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	return c
}

// An operator moves a data directory's documents to PostgreSQL with db
// copy and back into a new data directory, whose documents the binary
// lists. A copy limited with --scopes names the packages it leaves; a
// target holding another copy is refused, in
// German and English; no output repeats the password of a URL.
func TestDBCopy(t *testing.T) {
	c := withDocuments(t)
	// The test server trusts local connections, so the password is
	// accepted and ignored: it only has to stay out of every output.
	url := strings.Replace(pgtest.URL(t), "ratsmappe@", "ratsmappe:geheim@", 1)
	from := "sqlite:" + c.data
	stdout, stderr, err := c.output("db", "copy", "--from", from, "--to", url, "--scopes", "documents,annotate")
	if err != nil {
		t.Fatalf("copy to PostgreSQL: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "vollständig und geprüft") || !hasLine(stdout, "documents", "3", "ok") {
		t.Errorf("copy to PostgreSQL printed:\n%s", stdout)
	}
	if !strings.Contains(stderr, "[1/") || !strings.Contains(stderr, "Zeilen/s") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "geheim") {
		t.Errorf("the password is in the output:\n%s\n%s", stdout, stderr)
	}
	analyzed(t, url, "documents")

	// Back into a new data directory, which the binary then uses.
	back := filepath.Join(t.TempDir(), "neu")
	c.run("db", "copy", "--from", url, "--to", "sqlite:"+back)
	c2 := &cli{t: t, data: back}
	if out := c2.run("doc", "list", "--json"); strings.Count(out, "Vorlage ") != 3 {
		t.Errorf("doc list after the copy back:\n%s", out)
	}

	_, stderr, err = c.output("db", "copy", "--from", "sqlite:"+back, "--to", url, "--scopes", "documents,annotate")
	if err == nil || !strings.Contains(stderr, "Das Ziel enthält eine andere Kopie") || !strings.Contains(stderr, "The target holds another copy") {
		t.Errorf("copy into another copy: %v\n%s", err, stderr)
	}
	if strings.Contains(stderr, "geheim") {
		t.Errorf("the password is in the output:\n%s", stderr)
	}
}

// A copy killed with SIGKILL after its first batch continues with the
// next run and verifies.
func TestDBCopyKilled(t *testing.T) {
	c := withDocuments(t)
	url := pgtest.URL(t)
	args := []string{"db", "copy", "--from", "sqlite:" + c.data, "--to", url, "--scopes", "documents,annotate", "--batch", "1"}
	cmd := c.command(context.Background(), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "documents: 1/") { // the first batch committed
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("copy ended with %v before it was killed", err)
	}
	if out := c.run(args...); !strings.Contains(out, "fortgesetzt") || !hasLine(out, "documents", "3", "ok") || !hasLine(out, "pages", "3", "ok") {
		t.Errorf("copy after the kill:\n%s", out)
	}
}

// hasLine reports whether a line of out has all the fields.
func hasLine(out string, fields ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		ok := len(f) > 0
		for _, want := range fields {
			found := false
			for _, g := range f {
				found = found || g == want
			}
			ok = ok && found
		}
		if ok {
			return true
		}
	}
	return false
}

// analyzed fails t unless table of the PostgreSQL database at url has
// planner statistics from an ANALYZE (not autovacuum's): a bulk load
// served without them was planned badly.
func analyzed(t *testing.T, url, table string) {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok bool
	if err := db.QueryRow(`SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&ok); err != nil || !ok {
		t.Errorf("%s after the load: analyzed %v, %v", table, ok, err)
	}
}
