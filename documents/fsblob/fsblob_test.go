package fsblob_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) documents.BlobStore {
		s, err := fsblob.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// What a crash in the middle of a Put leaves — a temporary file — is not a
// blob, and goes away once it is old.
func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := fsblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(dir, "tmp", "deadbeef-123")
	if err := os.WriteFile(half, []byte("halb geschrieben"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	s.List(context.Background(), func(documents.BlobInfo) error { n++; return nil })
	if n != 0 {
		t.Errorf("List sees %d blobs, want 0", n)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(half, old, old)
	if _, err := fsblob.Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(half); !os.IsNotExist(err) {
		t.Errorf("old temporary file still there: %v", err)
	}
}

// Stored blobs are read-only files, so no later bug can change them in
// place.
func TestBlobsAreReadOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := fsblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte("unveränderlich")
	k := blobtest.Key(b)
	if err := s.Put(context.Background(), k, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, k[0:2], k[2:4], k))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got&0o222 != 0 {
		t.Errorf("blob file mode %v is writable", got)
	}
}
