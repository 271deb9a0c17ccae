// Package fsblob is the directory blob store, Ratsmappe's embedded default:
// every blob is one read-only file named by its SHA-256 under a fan-out of
// two directory levels (ab/cd/abcd…), so that no directory grows huge.
//
// A Put writes to a temporary file in dir/tmp — the same file system, so
// the final rename is atomic — hashing as it goes, checks hash and length,
// fsyncs the file, renames it into place and fsyncs the directory, so that
// after a crash a blob is either complete under its name or absent.
// Temporary files a crash leaves behind are never listed; Open removes
// those older than an hour, and CleanTemp removes them on demand.
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
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

// Store is a documents.BlobStore in a directory. It is safe for concurrent
// use, also by several processes sharing the directory.
type Store struct {
	root string
	tmp  string
}

var _ documents.BlobStore = (*Store)(nil)

// staleTemp is how old a temporary file must be before Open removes it. A
// Put in progress writes to its file all the time, so an hour-old one is
// left over from a crash.
const staleTemp = time.Hour

// Open returns the store in dir, creating the directory if needed, and
// removes temporary files older than an hour.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "blob store: no directory given")
	}
	s := &Store{root: dir, tmp: filepath.Join(dir, "tmp")}
	if err := os.MkdirAll(s.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	if err := s.CleanTemp(staleTemp); err != nil {
		return nil, err
	}
	return s, nil
}

// CleanTemp removes temporary files older than age: what Puts interrupted
// by a crash left behind. A Put still writing its file is safe as long as
// age is longer than any pause in its input.
func (s *Store) CleanTemp(age time.Duration) error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return fmt.Errorf("clean blob store: %w", err)
	}
	cutoff := time.Now().Add(-age)
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue // gone already, or still fresh
		}
		if err := os.Remove(filepath.Join(s.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean blob store: %w", err)
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
	if size < 0 {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "negative blob size %d", size)
	}
	final := s.path(key)
	if _, err := os.Stat(final); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("put %s: %w", key, err)
	}
	f, err := os.CreateTemp(s.tmp, key[:8]+"-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp := f.Name()
	placed := false
	defer func() {
		if !placed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	// One byte more than size, to notice content that is too long.
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
	// Concurrent Puts of one key each rename a complete file with the same
	// bytes; whichever comes last wins, and no reader ever sees a partial
	// file.
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	placed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("put %s: fsync directory: %w", key, err)
	}
	return nil
}

// mkdirAllSync creates dir (below root) and its missing parents, and
// fsyncs each parent it adds an entry to, so the new directories survive a
// crash.
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
	return sectionFile{io.NewSectionReader(f, offset, n), f}, nil
}

// sectionFile reads a section of a file and closes the file.
type sectionFile struct {
	*io.SectionReader
	f *os.File
}

func (s sectionFile) Close() error { return s.f.Close() }

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

// Delete implements documents.BlobStore. It leaves the fan-out directories
// in place; they are few and soon used again.
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
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("delete %s: fsync directory: %w", key, err)
	}
	return nil
}

// List implements documents.BlobStore. It looks only at the fan-out
// directories and at files named by a key in the right one, so the tmp
// directory and anything else in dir (lost+found, an operator's notes) is
// never mistaken for a blob. Blobs deleted while it runs may or may not be
// listed.
func (s *Store) List(ctx context.Context, fn func(documents.BlobInfo) error) error {
	tops, err := readDirNames(s.root)
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	for _, top := range tops {
		if !isFanOut(top) {
			continue
		}
		subs, err := readDirNames(filepath.Join(s.root, top))
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		for _, sub := range subs {
			if !isFanOut(sub) {
				continue
			}
			dir := filepath.Join(s.root, top, sub)
			names, err := readDirNames(dir)
			if err != nil {
				return fmt.Errorf("list blobs: %w", err)
			}
			for _, name := range names {
				if !documents.ValidKey(name) || name[0:2] != top || name[2:4] != sub {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				st, err := os.Lstat(filepath.Join(dir, name))
				if errors.Is(err, fs.ErrNotExist) {
					continue // deleted meanwhile
				}
				if err != nil {
					return fmt.Errorf("list blobs: %w", err)
				}
				if !st.Mode().IsRegular() {
					continue
				}
				if err := fn(documents.BlobInfo{Key: name, Size: st.Size(), Modified: st.ModTime()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readDirNames returns the names in dir, none if dir is gone.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// isFanOut reports whether name is a fan-out directory name: two lowercase
// hex digits.
func isFanOut(name string) bool {
	return len(name) == 2 && isHex(name[0]) && isHex(name[1])
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

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
