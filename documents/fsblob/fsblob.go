// Package fsblob is the directory blob store, Ratsmappe's embedded default:
// every blob is one read-only file named by its SHA-256 under a fan-out of
// two directory levels (ab/cd/abcd…).
//
// A Put writes to a temporary file in the same file system, hashing as it
// goes, checks hash and length, fsyncs the file, renames it into place and
// fsyncs the directory, so that after a crash a blob is either complete
// under its name or absent. Temporary files a crash leaves behind are
// ignored by List and removed by Open once they are an hour old.
package fsblob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

// Store is a documents.BlobStore in a directory.
type Store struct {
	root string
	tmp  string
}

var _ documents.BlobStore = (*Store)(nil)

// Open returns the store in dir, creating it if needed, and removes
// temporary files older than an hour.
func Open(dir string) (*Store, error) {
	s := &Store{root: dir, tmp: filepath.Join(dir, "tmp")}
	if err := os.MkdirAll(s.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	}
	if err := s.CleanTemp(time.Hour); err != nil {
		return nil, err
	}
	return s, nil
}

// CleanTemp removes temporary files older than age: what uploads
// interrupted by a crash left behind.
func (s *Store) CleanTemp(age time.Duration) error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return fmt.Errorf("clean %s: %w", s.tmp, err)
	}
	cutoff := time.Now().Add(-age)
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && info.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(s.tmp, e.Name()))
		}
	}
	return nil
}

func (s *Store) path(key string) string {
	return filepath.Join(s.root, key[0:2], key[2:4], key)
}

func invalidKey(key string) error {
	return ratsmappe.Errorf(ratsmappe.EINVALID, "invalid blob key %q", key)
}

func notFound(key string) error {
	return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "blob %s not found", key)
}

// Put implements documents.BlobStore.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	final := s.path(key)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	f, err := os.CreateTemp(s.tmp, key[:8]+"-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, size+1))
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != key {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "content does not match key %s and size %d", key, size)
	}
	if err := f.Chmod(0o444); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put %s: fsync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	dir := filepath.Dir(final)
	if err := mkdirAllSync(s.root, dir); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	// Concurrent Puts of the same key both rename complete, identical
	// files; the last rename wins and nothing is ever half-written.
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("put %s: fsync directory: %w", key, err)
	}
	return nil
}

// mkdirAllSync creates dir (below root) and fsyncs each parent whose
// entries changed, so the new directories survive a crash.
func mkdirAllSync(root, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != root && len(parent) > len(root) {
		if err := mkdirAllSync(root, parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get implements documents.BlobStore.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if !documents.ValidKey(key) {
		return nil, invalidKey(key)
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	size := st.Size()
	if offset < 0 || offset > size {
		f.Close()
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "offset %d outside blob of %d bytes", offset, size)
	}
	n := size - offset
	if length >= 0 && length < n {
		n = length
	}
	return &sectionFile{SectionReader: io.NewSectionReader(f, offset, n), f: f}, nil
}

type sectionFile struct {
	*io.SectionReader
	f *os.File
}

func (s *sectionFile) Close() error { return s.f.Close() }

// Stat implements documents.BlobStore.
func (s *Store) Stat(ctx context.Context, key string) (documents.BlobInfo, error) {
	if !documents.ValidKey(key) {
		return documents.BlobInfo{}, invalidKey(key)
	}
	st, err := os.Stat(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return documents.BlobInfo{}, notFound(key)
	}
	if err != nil {
		return documents.BlobInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return documents.BlobInfo{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

// Delete implements documents.BlobStore.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	p := s.path(key)
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return syncDir(filepath.Dir(p))
}

// List implements documents.BlobStore.
func (s *Store) List(ctx context.Context, fn func(documents.BlobInfo) error) error {
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == s.tmp {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !documents.ValidKey(name) || !strings.HasSuffix(filepath.Dir(p), filepath.Join(name[0:2], name[2:4])) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(documents.BlobInfo{Key: name, Size: info.Size(), Modified: info.ModTime()})
	})
	return err
}

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
