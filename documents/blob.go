package documents

import (
	"context"
	"io"
	"time"
)

// BlobInfo describes one stored blob.
type BlobInfo struct {
	Key      string    // lowercase hex SHA-256 of the content
	Size     int64     // length in bytes
	Modified time.Time // when the blob was (last) written
}

// BlobStore keeps immutable byte strings addressed by their SHA-256.
//
// Contract, shared by every implementation and checked by the conformance
// suite in package documents/blobtest:
//
//   - Keys are the lowercase hex SHA-256 of the content (64 characters).
//     Any other key is refused with an EINVALID error.
//   - Put stores the size bytes read from r under key. It hashes while it
//     writes and refuses (EINVALID) content whose hash or length differs
//     from key and size; then nothing is stored. When Put returns nil the
//     blob is durable (fsync'd or acknowledged by the object store) and
//     readable. Putting a key that already exists succeeds without
//     rewriting it.
//   - Get returns length bytes of the blob starting at offset; length < 0
//     means "to the end". An offset beyond the end is EINVALID. The caller
//     closes the reader.
//   - Stat and Get of a missing key return an ENOTFOUND error.
//   - Delete removes the blob; deleting a missing key is not an error.
//     Only the sweeper deletes, and only blobs no metadata refers to.
//   - List calls fn for every stored blob in unspecified order and stops
//     at the first error fn returns.
//
// Implementations are safe for concurrent use.
type BlobStore interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (BlobInfo, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, fn func(BlobInfo) error) error
}

// ValidKey reports whether key is a lowercase hex SHA-256.
func ValidKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
