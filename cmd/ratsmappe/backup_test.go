package main_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/documents/sqlite"
)

// A backup restored into an empty data directory has every document,
// every version and every blob, byte for byte.
func TestBackupRestore(t *testing.T) {
	files := corpus(t)
	c := newCLI(t)
	c.run("demo")
	lines := parseLines(t, c.run("doc", "add", "--json", files[0], files[1]))
	c.run("doc", "version", "--note", "neu", jsonID(lines[0]), files[2])
	backup := filepath.Join(t.TempDir(), "sicherung")
	if out := c.run("backup", backup); !strings.Contains(out, "Sicherung in") {
		t.Fatalf("backup: %s", out)
	}
	// Not over an existing backup.
	cmd := c.command(t.Context(), "backup", backup)
	if err := cmd.Run(); err == nil {
		t.Errorf("backup into a non-empty directory succeeded")
	}

	restored := &cli{t: t, data: filepath.Join(t.TempDir(), "neu")}
	if out := restored.run("restore", backup); !strings.Contains(out, "Wiederhergestellt") {
		t.Fatalf("restore: %s", out)
	}
	if got, want := restored.run("doc", "list", "--json"), c.run("doc", "list", "--json"); got != want {
		t.Fatalf("documents differ after restore")
	}
	// Every version, with both its hashes, is there; and a sample of files
	// comes out byte for byte.
	a, b := versionHashes(t, c.data), versionHashes(t, restored.data)
	if len(a) < 100 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("versions differ after restore (%d before, %d after)", len(a), len(b))
	}
	checked := 0
	for _, id := range []int64{1, 50, 200, lines[0].Document, lines[1].Document} {
		for _, orig := range []string{"", "--original"} {
			args := []string{"doc", "get", jsonInt(id)}
			if orig != "" {
				args = append(args, orig)
			}
			if sum(restored.run(args...)) != sum(c.run(args...)) {
				t.Errorf("document %d %s: bytes differ", id, orig)
			}
			checked++
		}
	}
	t.Logf("%d versions compared, %d files byte for byte", len(a), checked)

	// Restoring over existing data is refused; a damaged backup is noticed.
	if err := restored.command(t.Context(), "restore", backup).Run(); err == nil {
		t.Errorf("restore over existing data succeeded")
	}
	os.WriteFile(filepath.Join(backup, "ratsmappe.db"), []byte("kaputt"), 0o644)
	again := &cli{t: t, data: filepath.Join(t.TempDir(), "neu2")}
	out, err := again.command(t.Context(), "restore", backup).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "damaged") {
		t.Errorf("restore of a damaged backup: %v %s", err, out)
	}
}

// versionHashes lists every version of the data directory as
// "document/number sha256 original_sha256 state".
func versionHashes(t *testing.T, data string) []string {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(data, "ratsmappe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT document_id, number, sha256, original_sha256, state FROM versions ORDER BY document_id, number`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d, n int64
		var s1, s2, st string
		rows.Scan(&d, &n, &s1, &s2, &st)
		out = append(out, fmt.Sprintf("%d/%d %s %s %s", d, n, s1, s2, st))
	}
	return out
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func jsonID(l addLine) string { return jsonInt(l.Document) }

func jsonInt(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}
