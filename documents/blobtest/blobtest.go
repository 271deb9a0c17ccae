// Package blobtest checks that a documents.BlobStore keeps the contract
// written on that interface, and provides Memory, an in-memory fake that
// keeps it too, for the tests of packages that consume a blob store.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

// Key returns the blob key of b.
func Key(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Run runs the conformance suite against the stores newStore returns; each
// subtest gets a new, empty store.
func Run(t *testing.T, newStore func(t *testing.T) documents.BlobStore) {
	ctx := context.Background()
	put := func(t *testing.T, bs documents.BlobStore, b []byte) string {
		t.Helper()
		k := Key(b)
		if err := bs.Put(ctx, k, bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatalf("Put: %v", err)
		}
		return k
	}
	get := func(t *testing.T, bs documents.BlobStore, k string, off, n int64) ([]byte, error) {
		t.Helper()
		rc, err := bs.Get(ctx, k, off, n)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	code := ratsmappe.ErrorCode

	t.Run("RoundTrip", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("%PDF-1.7 Beschlussvorlage Radweg Durlacher Allee")
		k := put(t, bs, b)
		got, err := get(t, bs, k, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("Get = %q, want %q", got, b)
		}
		info, err := bs.Stat(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := info.Size, int64(len(b)); got != want {
			t.Errorf("Stat size = %d, want %d", got, want)
		}
		if got, want := info.Key, k; got != want {
			t.Errorf("Stat key = %s, want %s", got, want)
		}
		if d := time.Since(info.Modified); d < -time.Minute || d > time.Hour {
			t.Errorf("Stat modified = %v, not about now", info.Modified)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		bs := newStore(t)
		k := put(t, bs, nil)
		got, err := get(t, bs, k, 0, -1)
		if err != nil || len(got) != 0 {
			t.Errorf("Get empty blob = %q, %v", got, err)
		}
	})

	t.Run("Ranges", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("0123456789abcdef")
		k := put(t, bs, b)
		for _, tc := range []struct {
			off, n int64
			want   string
		}{
			{0, 4, "0123"},
			{4, 3, "456"},
			{10, -1, "abcdef"},
			{15, 1, "f"},
			{12, 100, "cdef"},
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
		if _, err := get(t, bs, k, 17, -1); code(err) != ratsmappe.EINVALID {
			t.Errorf("Get past the end: %v, want %s", err, ratsmappe.EINVALID)
		}
		if _, err := get(t, bs, k, -1, 2); code(err) != ratsmappe.EINVALID {
			t.Errorf("Get at negative offset: %v, want %s", err, ratsmappe.EINVALID)
		}
	})

	t.Run("WrongHash", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("echte Daten")
		k := Key([]byte("andere Daten"))
		if err := bs.Put(ctx, k, bytes.NewReader(b), int64(len(b))); code(err) != ratsmappe.EINVALID {
			t.Errorf("Put with wrong key: %v, want %s", err, ratsmappe.EINVALID)
		}
		if _, err := bs.Stat(ctx, k); code(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Stat after refused Put: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if n := count(t, bs); n != 0 {
			t.Errorf("List after refused Put: %d blobs, want 0", n)
		}
	})

	t.Run("WrongSize", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("zwölf Zeichen")
		k := Key(b)
		for _, size := range []int64{int64(len(b)) - 1, int64(len(b)) + 1} {
			if err := bs.Put(ctx, k, bytes.NewReader(b), size); code(err) != ratsmappe.EINVALID {
				t.Errorf("Put with size %d of %d: %v, want %s", size, len(b), err, ratsmappe.EINVALID)
			}
		}
		if _, err := bs.Stat(ctx, k); code(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Stat after refused Put: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
	})

	t.Run("FailingReader", func(t *testing.T) {
		bs := newStore(t)
		b := bytes.Repeat([]byte("x"), 100_000)
		k := Key(b)
		r := io.MultiReader(bytes.NewReader(b[:50_000]), errReader{})
		if err := bs.Put(ctx, k, r, int64(len(b))); err == nil {
			t.Fatalf("Put from a failing reader succeeded")
		}
		if _, err := bs.Stat(ctx, k); code(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Stat after failed Put: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		bs := newStore(t)
		valid := Key([]byte("x"))
		for _, k := range []string{"", "abc", "../../etc/passwd", valid[:63], valid + "0",
			"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
			"../" + valid[3:], valid[:60] + "/../"} {
			if err := bs.Put(ctx, k, bytes.NewReader([]byte("x")), 1); code(err) != ratsmappe.EINVALID {
				t.Errorf("Put(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
			if _, err := bs.Get(ctx, k, 0, -1); code(err) != ratsmappe.EINVALID {
				t.Errorf("Get(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
			if _, err := bs.Stat(ctx, k); code(err) != ratsmappe.EINVALID {
				t.Errorf("Stat(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
			if err := bs.Delete(ctx, k); code(err) != ratsmappe.EINVALID {
				t.Errorf("Delete(%q): %v, want %s", k, err, ratsmappe.EINVALID)
			}
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		bs := newStore(t)
		b := []byte("zweimal")
		put(t, bs, b)
		put(t, bs, b)
		if n := count(t, bs); n != 1 {
			t.Errorf("List: %d blobs, want 1", n)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		bs := newStore(t)
		k := Key([]byte("nie gespeichert"))
		if _, err := bs.Stat(ctx, k); code(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Stat: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if _, err := bs.Get(ctx, k, 0, -1); code(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Get: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if err := bs.Delete(ctx, k); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		bs := newStore(t)
		keep := put(t, bs, []byte("bleibt"))
		gone := put(t, bs, []byte("geht"))
		if err := bs.Delete(ctx, gone); err != nil {
			t.Fatal(err)
		}
		if _, err := bs.Stat(ctx, gone); code(err) != ratsmappe.ENOTFOUND {
			t.Errorf("Stat after Delete: %v, want %s", err, ratsmappe.ENOTFOUND)
		}
		if _, err := bs.Stat(ctx, keep); err != nil {
			t.Errorf("Delete removed another blob: %v", err)
		}
		// A deleted key can be stored again.
		put(t, bs, []byte("geht"))
		if _, err := bs.Stat(ctx, gone); err != nil {
			t.Errorf("Stat after Put again: %v", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		bs := newStore(t)
		want := map[string]int64{}
		for i := 0; i < 25; i++ {
			b := []byte(fmt.Sprintf("Blob Nummer %d", i))
			want[put(t, bs, b)] = int64(len(b))
		}
		got := map[string]int64{}
		if err := bs.List(ctx, func(bi documents.BlobInfo) error {
			got[bi.Key] = bi.Size
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("List: %d blobs, want %d", len(got), len(want))
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("List: %s has size %d, want %d", k, got[k], n)
			}
		}
		stop := errors.New("stop")
		calls := 0
		if err := bs.List(ctx, func(documents.BlobInfo) error { calls++; return stop }); !errors.Is(err, stop) {
			t.Errorf("List did not return fn's error: %v", err)
		}
		if calls != 1 {
			t.Errorf("List went on after fn's error: %d calls", calls)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		bs := newStore(t)
		shared := bytes.Repeat([]byte("gemeinsam "), 10_000)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				own := []byte(fmt.Sprintf("eigener Blob %d", i))
				for _, b := range [][]byte{shared, own} {
					if err := bs.Put(ctx, Key(b), bytes.NewReader(b), int64(len(b))); err != nil {
						errs <- err
					}
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Put: %v", err)
		}
		if n := count(t, bs); n != 9 {
			t.Errorf("List: %d blobs, want 9", n)
		}
		got, err := get(t, bs, Key(shared), 0, -1)
		if err != nil || !bytes.Equal(got, shared) {
			t.Errorf("shared blob damaged by concurrent Puts: %v", err)
		}
	})

	t.Run("Large", func(t *testing.T) {
		bs := newStore(t)
		b := make([]byte, 17<<20+123)
		rand.Read(b)
		k := put(t, bs, b)
		got, err := get(t, bs, k, 0, -1)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("large blob round trip failed: %v", err)
		}
		part, err := get(t, bs, k, 16<<20, 1<<20)
		if err != nil || !bytes.Equal(part, b[16<<20:17<<20]) {
			t.Errorf("large blob range failed: %v", err)
		}
	})
}

func count(t *testing.T, bs documents.BlobStore) int {
	t.Helper()
	n := 0
	if err := bs.List(context.Background(), func(documents.BlobInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// Memory is an in-memory documents.BlobStore for tests. It keeps the whole
// contract of the interface; the zero value is not usable, call NewMemory.
type Memory struct {
	mu    sync.Mutex
	blobs map[string]memBlob
}

type memBlob struct {
	data []byte
	mod  time.Time
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{blobs: map[string]memBlob{}} }

func invalidKey(k string) error {
	return ratsmappe.Errorf(ratsmappe.EINVALID, "invalid blob key %q", k)
}

// Put implements documents.BlobStore.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	b, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if int64(len(b)) != size || Key(b) != key {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "content does not match key %s and size %d", key, size)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[key]; !ok {
		m.blobs[key] = memBlob{data: b, mod: time.Now()}
	}
	return nil
}

// Get implements documents.BlobStore.
func (m *Memory) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if !documents.ValidKey(key) {
		return nil, invalidKey(key)
	}
	m.mu.Lock()
	b, ok := m.blobs[key]
	m.mu.Unlock()
	if !ok {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "blob %s not found", key)
	}
	size := int64(len(b.data))
	if offset < 0 || offset > size {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "offset %d outside blob of %d bytes", offset, size)
	}
	end := size
	if length >= 0 && offset+length < size {
		end = offset + length
	}
	return io.NopCloser(bytes.NewReader(b.data[offset:end])), nil
}

// Stat implements documents.BlobStore.
func (m *Memory) Stat(ctx context.Context, key string) (documents.BlobInfo, error) {
	if !documents.ValidKey(key) {
		return documents.BlobInfo{}, invalidKey(key)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[key]
	if !ok {
		return documents.BlobInfo{}, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "blob %s not found", key)
	}
	return documents.BlobInfo{Key: key, Size: int64(len(b.data)), Modified: b.mod}, nil
}

// Delete implements documents.BlobStore.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, key)
	return nil
}

// List implements documents.BlobStore.
func (m *Memory) List(ctx context.Context, fn func(documents.BlobInfo) error) error {
	m.mu.Lock()
	infos := make([]documents.BlobInfo, 0, len(m.blobs))
	for k, b := range m.blobs {
		infos = append(infos, documents.BlobInfo{Key: k, Size: int64(len(b.data)), Modified: b.mod})
	}
	m.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	for _, bi := range infos {
		if err := fn(bi); err != nil {
			return err
		}
	}
	return nil
}

// SetModified backdates (or postdates) a stored blob, so that tests of the
// sweeper need not wait for its grace period.
func (m *Memory) SetModified(key string, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.blobs[key]; ok {
		b.mod = t
		m.blobs[key] = b
	}
}
