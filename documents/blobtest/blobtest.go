// Package blobtest checks that a documents.BlobStore keeps the contract
// written on that interface, and provides Memory, an in-memory fake that
// keeps it too, for the tests of packages that consume a blob store.
//
// An implementation's tests call Run with a function that returns a new,
// empty store:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) documents.BlobStore {
//			s, err := fsblob.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
package blobtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

// Key returns the blob key of b: its lowercase hex SHA-256.
func Key(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Run runs the conformance suite against the stores newStore returns. Each
// subtest calls newStore once and expects a new, empty store; newStore
// should fail or skip t itself when it cannot make one.
func Run(t *testing.T, newStore func(t *testing.T) documents.BlobStore) {
	t.Run("RoundTrip", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("%PDF-1.7 Beschlussvorlage Radweg Durlacher Allee")
		before := time.Now()
		k := mustPut(t, bs, b)
		if got := mustGet(t, bs, k, 0, -1); !bytes.Equal(got, b) {
			t.Errorf("Get = %q, want %q", got, b)
		}
		info, err := bs.Stat(t.Context(), k)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if got, want := info.Key, k; got != want {
			t.Errorf("Stat key = %s, want %s", got, want)
		}
		if got, want := info.Size, int64(len(b)); got != want {
			t.Errorf("Stat size = %d, want %d", got, want)
		}
		// Object stores keep whole seconds; allow for that and for a
		// server clock a little off.
		if m := info.Modified; m.Before(before.Add(-time.Minute)) || m.After(time.Now().Add(time.Minute)) {
			t.Errorf("Stat modified = %v, want about %v", m, before)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		bs := newStore(t)
		k := mustPut(t, bs, nil)
		if got := mustGet(t, bs, k, 0, -1); len(got) != 0 {
			t.Errorf("Get empty blob = %q", got)
		}
		info, err := bs.Stat(t.Context(), k)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if got, want := info.Size, int64(0); got != want {
			t.Errorf("Stat size = %d, want %d", got, want)
		}
	})

	// Put reads from where r stands; it does not rewind a seekable reader.
	t.Run("ReaderPosition", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("Kopfzeile|Inhalt der Vorlage")
		r := bytes.NewReader(b)
		r.Seek(10, io.SeekStart)
		k := Key(b[10:])
		if err := bs.Put(t.Context(), k, r, int64(len(b)-10)); err != nil {
			t.Fatalf("Put from a reader at offset 10: %v", err)
		}
		if got, want := mustGet(t, bs, k, 0, -1), b[10:]; !bytes.Equal(got, want) {
			t.Errorf("Get = %q, want %q", got, want)
		}
	})

	t.Run("Ranges", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("0123456789abcdef")
		k := mustPut(t, bs, b)
		for _, tc := range []struct {
			off, n int64
			want   string
		}{
			{0, -1, "0123456789abcdef"},
			{0, 4, "0123"},
			{4, 3, "456"},
			{10, -1, "abcdef"},
			{15, 1, "f"},
			{12, 100, "cdef"},
			{4, math.MaxInt64, "456789abcdef"},
			{3, 0, ""},
			{16, -1, ""},
			{16, 5, ""},
		} {
			got, err := get(t, bs, k, tc.off, tc.n)
			if err != nil {
				t.Errorf("Get(%d, %d): %v", tc.off, tc.n, err)
				continue
			}
			if string(got) != tc.want {
				t.Errorf("Get(%d, %d) = %q, want %q", tc.off, tc.n, got, tc.want)
			}
		}
		for _, off := range []int64{17, 1000, -1} {
			if _, err := get(t, bs, k, off, 2); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Errorf("Get(%d, 2) of a 16-byte blob: %v, want %s", off, err, ratsmappe.EINVALID)
			}
		}
	})

	t.Run("WrongHash", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("echte Daten")
		k := Key([]byte("andere Daten"))
		if err := bs.Put(t.Context(), k, bytes.NewReader(b), int64(len(b))); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Put with the key of other content: %v, want %s", err, ratsmappe.EINVALID)
		}
		wantAbsent(t, bs, k)
		wantCount(t, bs, 0)
	})

	t.Run("WrongSize", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("zwölf Zeichen")
		k := Key(b)
		for _, size := range []int64{int64(len(b)) - 1, int64(len(b)) + 1, 0, -1} {
			if err := bs.Put(t.Context(), k, bytes.NewReader(b), size); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Errorf("Put with size %d of %d: %v, want %s", size, len(b), err, ratsmappe.EINVALID)
			}
		}
		wantAbsent(t, bs, k)
		// Key and size fit the first bytes, but r goes on: the content is
		// longer than size, which is not silently cut off.
		short := b[:len(b)-1]
		if err := bs.Put(t.Context(), Key(short), bytes.NewReader(b), int64(len(short))); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Put of a reader longer than size: %v, want %s", err, ratsmappe.EINVALID)
		}
		wantAbsent(t, bs, Key(short))
		wantCount(t, bs, 0)
	})

	t.Run("FailingReader", func(t *testing.T) {
		bs := newStore(t)
		b := bytes.Repeat([]byte("x"), 100_000)
		k := Key(b)
		r := io.MultiReader(bytes.NewReader(b[:50_000]), errReader{})
		if err := bs.Put(t.Context(), k, r, int64(len(b))); err == nil {
			t.Fatalf("Put from a reader that fails half-way succeeded")
		}
		wantAbsent(t, bs, k)
		wantCount(t, bs, 0)
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		bs := newStore(t)
		valid := Key([]byte("x"))
		for _, k := range []string{
			"",
			"abc",
			valid[:63],
			valid + "0",
			"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
			valid[:63] + "g",
			"../x",
			"../../etc/passwd",
			"../" + valid[3:],
			valid[:60] + "/../",
			valid[:2] + "/" + valid[3:],
		} {
			if err := bs.Put(t.Context(), k, bytes.NewReader([]byte("x")), 1); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Errorf("Put(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
			if _, err := bs.Get(t.Context(), k, 0, -1); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Errorf("Get(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
			if _, err := bs.Stat(t.Context(), k); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Errorf("Stat(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
			if err := bs.Delete(t.Context(), k); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Errorf("Delete(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
		}
		wantCount(t, bs, 0)
	})

	t.Run("PutAgain", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("zweimal eingereicht")
		k := mustPut(t, bs, b)
		first, err := bs.Stat(t.Context(), k)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		mustPut(t, bs, b)
		again, err := bs.Stat(t.Context(), k)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if !again.Modified.Equal(first.Modified) {
			t.Errorf("Put of an existing key rewrote it: modified %v, was %v", again.Modified, first.Modified)
		}
		if got := mustGet(t, bs, k, 0, -1); !bytes.Equal(got, b) {
			t.Errorf("Get = %q, want %q", got, b)
		}
		wantCount(t, bs, 1)
	})

	t.Run("Missing", func(t *testing.T) {
		bs := newStore(t)
		k := Key([]byte("nie gespeichert"))
		if _, err := bs.Stat(t.Context(), k); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Stat: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if _, err := bs.Get(t.Context(), k, 0, -1); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Get: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if _, err := bs.Get(t.Context(), k, 5, 10); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Get of a range: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if err := bs.Delete(t.Context(), k); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		bs := newStore(t)
		keep := mustPut(t, bs, []byte("bleibt"))
		gone := mustPut(t, bs, []byte("geht"))
		if err := bs.Delete(t.Context(), gone); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantAbsent(t, bs, gone)
		if _, err := bs.Get(t.Context(), gone, 0, -1); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Get after Delete: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if err := bs.Delete(t.Context(), gone); err != nil {
			t.Errorf("second Delete: %v", err)
		}
		if _, err := bs.Stat(t.Context(), keep); err != nil {
			t.Errorf("Delete removed another blob: %v", err)
		}
		wantCount(t, bs, 1)
		// A deleted key can be stored again.
		mustPut(t, bs, []byte("geht"))
		if got, want := string(mustGet(t, bs, gone, 0, -1)), "geht"; got != want {
			t.Errorf("Get after Put again = %q, want %q", got, want)
		}
	})

	t.Run("List", func(t *testing.T) {
		bs := newStore(t)
		want := map[string]int64{}
		for i := 0; i < 25; i++ {
			b := []byte(fmt.Sprintf("Blob Nummer %d", i))
			want[mustPut(t, bs, b)] = int64(len(b))
		}
		del := mustPut(t, bs, []byte("gelöscht"))
		if err := bs.Delete(t.Context(), del); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		got := map[string]int64{}
		if err := bs.List(t.Context(), func(bi documents.BlobInfo) error {
			if _, dup := got[bi.Key]; dup {
				t.Errorf("List: %s twice", bi.Key)
			}
			if bi.Modified.IsZero() {
				t.Errorf("List: %s without modification time", bi.Key)
			}
			got[bi.Key] = bi.Size
			return nil
		}); err != nil {
			t.Fatalf("List: %v", err)
		}
		for k, n := range want {
			if m, ok := got[k]; !ok {
				t.Errorf("List: %s missing", k)
			} else if m != n {
				t.Errorf("List: %s has size %d, want %d", k, m, n)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("List: %s was never stored or is deleted", k)
			}
		}
		stop := errors.New("stop")
		calls := 0
		if err := bs.List(t.Context(), func(documents.BlobInfo) error { calls++; return stop }); !errors.Is(err, stop) {
			t.Errorf("List returned %v, want fn's error", err)
		}
		if got, want := calls, 1; got != want {
			t.Errorf("List called fn %d times after fn's error, want %d", got, want)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		bs := newStore(t)
		shared := bytes.Repeat([]byte("gemeinsam "), 50_000)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				own := []byte(fmt.Sprintf("eigener Blob %d", i))
				for _, b := range [][]byte{shared, own} {
					if err := bs.Put(t.Context(), Key(b), bytes.NewReader(b), int64(len(b))); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Put: %v", err)
		}
		wantCount(t, bs, n+1)
		if got := mustGet(t, bs, Key(shared), 0, -1); !bytes.Equal(got, shared) {
			t.Errorf("shared blob damaged by concurrent Puts: %d bytes, want %d", len(got), len(shared))
		}
		for i := 0; i < n; i++ {
			want := fmt.Sprintf("eigener Blob %d", i)
			if got := string(mustGet(t, bs, Key([]byte(want)), 0, -1)); got != want {
				t.Errorf("Get = %q, want %q", got, want)
			}
		}
	})

	// Large enough to cross the part size of S3 clients (16 MiB for
	// minio-go), read from a reader that cannot seek, as an upload from
	// the network would be.
	t.Run("Large", func(t *testing.T) {
		bs := newStore(t)
		b := make([]byte, 17<<20+123)
		rand.Read(b)
		k := Key(b)
		if err := bs.Put(t.Context(), k, struct{ io.Reader }{bytes.NewReader(b)}, int64(len(b))); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if got := mustGet(t, bs, k, 0, -1); !bytes.Equal(got, b) {
			t.Fatalf("large blob damaged: got %d bytes (sha256 %s), want %d", len(got), Key(got), len(b))
		}
		if got, want := mustGet(t, bs, k, 16<<20, 1<<20), b[16<<20:17<<20]; !bytes.Equal(got, want) {
			t.Errorf("range of large blob damaged")
		}
		if got, want := mustGet(t, bs, k, 17<<20, -1), b[17<<20:]; !bytes.Equal(got, want) {
			t.Errorf("tail of large blob = %d bytes, want %d", len(got), len(want))
		}
	})
}

func mustPut(t *testing.T, bs documents.BlobStore, b []byte) string {
	t.Helper()
	k := Key(b)
	if err := bs.Put(t.Context(), k, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return k
}

func get(t *testing.T, bs documents.BlobStore, k string, off, n int64) ([]byte, error) {
	t.Helper()
	rc, err := bs.Get(t.Context(), k, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func mustGet(t *testing.T, bs documents.BlobStore, k string, off, n int64) []byte {
	t.Helper()
	b, err := get(t, bs, k, off, n)
	if err != nil {
		t.Fatalf("Get(%d, %d): %v", off, n, err)
	}
	return b
}

func wantAbsent(t *testing.T, bs documents.BlobStore, k string) {
	t.Helper()
	if _, err := bs.Stat(t.Context(), k); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("Stat(%s): %v, want %s", k, err, ratsmappe.ENOTFOUND)
	}
}

func wantCount(t *testing.T, bs documents.BlobStore, want int) {
	t.Helper()
	n := 0
	if err := bs.List(t.Context(), func(documents.BlobInfo) error { n++; return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	if n != want {
		t.Errorf("List: %d blobs, want %d", n, want)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }
