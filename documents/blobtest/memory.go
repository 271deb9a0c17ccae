package blobtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

// Memory is an in-memory documents.BlobStore for the tests of packages that
// use a blob store. It keeps the whole contract of the interface (Run
// checks it) except durability. Unlike the real stores, a Put of an
// existing key still reads and verifies its content, so that a caller's
// wrong key or size shows up in tests. The zero value is an empty store.
type Memory struct {
	mu    sync.Mutex
	blobs map[string]memBlob
}

type memBlob struct {
	data []byte
	mod  time.Time
}

var _ documents.BlobStore = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{} }

func invalidKey(key string) error {
	return ratsmappe.Errorf(ratsmappe.EINVALID, "invalid blob key %q", key)
}

func notFound(key string) error {
	return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "blob %s not found", key)
}

// Put implements documents.BlobStore.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if size < 0 {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "negative blob size %d", size)
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
	if m.blobs == nil {
		m.blobs = map[string]memBlob{}
	}
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
		return nil, notFound(key)
	}
	size := int64(len(b.data))
	if offset < 0 || offset > size {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "offset %d outside blob of %d bytes", offset, size)
	}
	end := size
	if length >= 0 && length < size-offset {
		end = offset + length
	}
	// Stored bytes are never modified, so the reader may share them.
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
		return documents.BlobInfo{}, notFound(key)
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

// List implements documents.BlobStore. It calls fn in key order, without
// holding the store's lock, so fn may use the store.
func (m *Memory) List(ctx context.Context, fn func(documents.BlobInfo) error) error {
	m.mu.Lock()
	infos := make([]documents.BlobInfo, 0, len(m.blobs))
	for k, b := range m.blobs {
		infos = append(infos, documents.BlobInfo{Key: k, Size: int64(len(b.data)), Modified: b.mod})
	}
	m.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	for _, bi := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(bi); err != nil {
			return err
		}
	}
	return nil
}

// SetModified backdates (or postdates) a stored blob, so that tests of the
// sweeper need not wait for its grace period. It does nothing if key is
// not stored.
func (m *Memory) SetModified(key string, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.blobs[key]; ok {
		b.mod = t
		m.blobs[key] = b
	}
}
