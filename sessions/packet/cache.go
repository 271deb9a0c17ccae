package packet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/ratsmappe/ratsmappe"
)

// Cache keeps built packets in the directory Dir, one file "<key>.pdf" per
// Key, so a packet is built again only when one of its inputs changed.
// Files appear atomically (written to a temporary file, synced, renamed):
// a reader never sees half a packet, and a crash leaves at most a
// ".tmp-*" file behind. Cache does not delete packets whose inputs have
// moved on; whoever owns Dir prunes it.
//
// A Cache must not be copied after first use. Its methods are safe for
// concurrent use; GetOrBuild builds a given key once at a time.
type Cache struct {
	Dir string

	mu       sync.Mutex
	building map[string]chan struct{} // closed when the build of the key ends
}

// Get opens the packet stored under key; the caller closes it. It returns
// an *ratsmappe.Error with code ENOTFOUND if there is none, and EINVALID if
// key is not a Key.
func (c *Cache) Get(key string) (*os.File, error) {
	path, err := c.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &ratsmappe.Error{Code: ratsmappe.ENOTFOUND, Message: "Die Sitzungsmappe ist nicht vorhanden.", Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("packet cache: %w", err)
	}
	return f, nil
}

// Put stores the packet read from r under key, replacing any stored one.
// It returns an *ratsmappe.Error with code EINVALID if key is not a Key.
func (c *Cache) Put(key string, r io.Reader) error {
	return c.write(key, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// GetOrBuild opens the packet for in (see Key), building and storing it
// first if it is not stored yet; the caller closes it. While one call
// builds a key, other calls for the same key wait for it rather than build
// it too. Errors are those of Key, Build and Get.
func (c *Cache) GetOrBuild(ctx context.Context, in Input) (*os.File, error) {
	key, err := Key(in)
	if err != nil {
		return nil, err
	}
	for {
		f, err := c.Get(key)
		if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
			return f, err
		}
		c.mu.Lock()
		if done, busy := c.building[key]; busy {
			c.mu.Unlock()
			select {
			case <-done:
				continue // built by the other call, or failed: look again
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if c.building == nil {
			c.building = map[string]chan struct{}{}
		}
		done := make(chan struct{})
		c.building[key] = done
		c.mu.Unlock()

		err = c.write(key, func(w io.Writer) error {
			_, err := Build(ctx, in, w)
			return err
		})

		c.mu.Lock()
		delete(c.building, key)
		close(done)
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return c.Get(key)
	}
}

func (c *Cache) path(key string) (string, error) {
	if !validSHA256(key) {
		return "", ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiger Schlüssel für eine Sitzungsmappe.")
	}
	return filepath.Join(c.Dir, key+".pdf"), nil
}

// write stores what fill writes under key, atomically.
func (c *Cache) write(key string, fill func(io.Writer) error) (err error) {
	path, err := c.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("packet cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("packet cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("packet cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("packet cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("packet cache: %w", err)
	}
	// Make the rename itself durable.
	if d, err := os.Open(c.Dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
