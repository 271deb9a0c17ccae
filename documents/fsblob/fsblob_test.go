package fsblob_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) documents.BlobStore {
		return open(t, t.TempDir())
	})
}

func open(t *testing.T, dir string) *fsblob.Store {
	t.Helper()
	s, err := fsblob.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func put(t *testing.T, s *fsblob.Store, b []byte) string {
	t.Helper()
	k := blobtest.Key(b)
	if err := s.Put(t.Context(), k, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return k
}

func list(t *testing.T, s *fsblob.Store) []string {
	t.Helper()
	var keys []string
	if err := s.List(t.Context(), func(bi documents.BlobInfo) error {
		keys = append(keys, bi.Key)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	return keys
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// An operator can find a blob by its hash: dir/ab/cd/abcd….
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	b := []byte("Niederschrift der 12. Sitzung")
	k := put(t, s, b)
	got, err := os.ReadFile(filepath.Join(dir, k[0:2], k[2:4], k))
	if err != nil {
		t.Fatalf("blob file: %v", err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("blob file holds %q, want %q", got, b)
	}
	if names := tempFiles(t, dir); len(names) != 0 {
		t.Errorf("temporary files left after Put: %v", names)
	}
}

// Stored blobs are read-only files, so no later bug can change them in
// place.
func TestBlobsAreReadOnly(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	k := put(t, s, []byte("unveränderlich"))
	st, err := os.Stat(filepath.Join(dir, k[0:2], k[2:4], k))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got&0o222 != 0 {
		t.Errorf("blob file mode %v is writable", got)
	}
}

// What a crash in the middle of a Put leaves — a temporary file, even one
// that holds a whole blob — is not a blob: List skips it, and Open removes
// it once it is old.
func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	b := []byte("vollständig, aber nie umbenannt")
	k := blobtest.Key(b)
	stale := filepath.Join(dir, "tmp", k)
	fresh := filepath.Join(dir, "tmp", k[:8]+"-4711")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if keys := list(t, s); len(keys) != 0 {
		t.Errorf("List sees temporary files as blobs: %v", keys)
	}
	if _, err := s.Stat(t.Context(), k); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("Stat of a key only in tmp: %v, want %s", err, ratsmappe.ENOTFOUND)
	}

	s = open(t, dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("Open kept an old temporary file: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("Open removed a fresh temporary file, maybe a Put in progress: %v", err)
	}
	if err := s.CleanTemp(0); err != nil {
		t.Fatalf("CleanTemp: %v", err)
	}
	if names := tempFiles(t, dir); len(names) != 0 {
		t.Errorf("CleanTemp(0) left %v", names)
	}

	// The store works as before.
	put(t, s, b)
	if got, want := len(list(t, s)), 1; got != want {
		t.Errorf("List: %d blobs, want %d", got, want)
	}
}

// Files that are not blobs, wherever they are, are not listed.
func TestListSkipsStrangers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	k := put(t, s, []byte("echter Blob"))
	other := blobtest.Key([]byte("falsch abgelegt"))
	for _, p := range []string{
		filepath.Join(dir, "README"),
		filepath.Join(dir, "lost+found", "x"),
		filepath.Join(dir, k[0:2], k[2:4], "notiz.txt"),
		filepath.Join(dir, k[0:2], k[2:4], other), // in the wrong fan-out directory
		filepath.Join(dir, other[0:2], other),     // one level too high
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keys := list(t, s)
	if len(keys) != 1 || keys[0] != k {
		t.Errorf("List = %v, want [%s]", keys, k)
	}
}

// A Put that fails leaves no temporary file behind.
func TestFailedPutLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	b := bytes.Repeat([]byte("Anlage "), 10_000)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, blobtest.Key(b), bytes.NewReader(b), int64(len(b))); err == nil {
		t.Errorf("Put with a cancelled context succeeded")
	}
	if err := s.Put(t.Context(), blobtest.Key([]byte("anders")), bytes.NewReader(b), int64(len(b))); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("Put with a wrong key: %v, want %s", err, ratsmappe.EINVALID)
	}
	if names := tempFiles(t, dir); len(names) != 0 {
		t.Errorf("temporary files left after failed Puts: %v", names)
	}
	if keys := list(t, s); len(keys) != 0 {
		t.Errorf("List after failed Puts = %v", keys)
	}
}

// Blobs outlive the Store value: a new Open of the directory finds them.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	b := []byte("dauerhaft")
	k := put(t, open(t, dir), b)
	rc, err := open(t, dir).Get(t.Context(), k, 0, -1)
	if err != nil {
		t.Fatalf("Get after reopening: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("Get after reopening = %q, want %q", got, b)
	}
}

func TestOpenWithoutDir(t *testing.T) {
	if _, err := fsblob.Open(""); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("Open(\"\"): %v, want %s", err, ratsmappe.EINVALID)
	}
}
