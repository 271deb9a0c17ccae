// Package s3blob keeps blobs in an S3 bucket, through minio-go; it works
// with MinIO and other S3 servers.
//
// Open creates the bucket if it is missing and turns on bucket versioning,
// so that even an operator's mistaken overwrite or delete in the bucket
// leaves the old bytes recoverable. A blob is the object Prefix+key.
//
// Every Put is verified twice. The content is hashed before anything is
// sent, and content that does not match its key and size is refused with
// nothing written (no object, no version). Then it goes up in one PUT
// request carrying the key as x-amz-checksum-sha256, so the server itself
// refuses bytes that changed or were damaged on the way, and again nothing
// is written. Hashing first means reading the content twice: a seekable
// reader (an *os.File) is read, rewound and read again; any other reader
// is spooled to memory (small blobs) or to a temporary file in
// os.TempDir(). Because the server checks a SHA-256 of the whole object,
// uploads are single PUTs, never multipart, which caps a blob at MaxSize.
package s3blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

// Prefix is put before a blob's key to name its object in the bucket, so
// that a bucket can hold other things too, and lifecycle or replication
// rules can target the blobs.
const Prefix = "blobs/"

// MaxSize is the largest blob Put accepts: the limit AWS S3 sets on a
// single PUT request. Larger blobs are refused with ETOOLARGE.
const MaxSize = 5 << 30

// spoolInMemory is the largest content of a non-seekable reader that Put
// buffers in memory; larger content goes to a temporary file.
const spoolInMemory = 8 << 20

// Config says where the bucket is and how to reach it.
type Config struct {
	Endpoint  string // host or host:port, without scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // optional; found out from the server if empty
	TLS       bool   // use HTTPS
}

// ConfigFromEnv reads a Config from the environment variables
// RATSMAPPE_S3_ENDPOINT, RATSMAPPE_S3_BUCKET, RATSMAPPE_S3_ACCESS_KEY,
// RATSMAPPE_S3_SECRET_KEY, RATSMAPPE_S3_REGION and RATSMAPPE_S3_TLS.
// RATSMAPPE_S3_TLS is false when unset or one of 0, f, false, no, off (in
// any case), and true for anything else: a mistyped value fails loudly
// against a plain-HTTP server rather than silently sending documents
// unencrypted.
func ConfigFromEnv() Config {
	return Config{
		Endpoint:  os.Getenv("RATSMAPPE_S3_ENDPOINT"),
		Bucket:    os.Getenv("RATSMAPPE_S3_BUCKET"),
		AccessKey: os.Getenv("RATSMAPPE_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("RATSMAPPE_S3_SECRET_KEY"),
		Region:    os.Getenv("RATSMAPPE_S3_REGION"),
		TLS:       envTrue(os.Getenv("RATSMAPPE_S3_TLS")),
	}
}

func envTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "no", "off":
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// Store is a documents.BlobStore in an S3 bucket. It is safe for
// concurrent use.
type Store struct {
	c      *minio.Client
	bucket string
}

var _ documents.BlobStore = (*Store)(nil)

// Open connects to the bucket of cfg, creates it if it does not exist, and
// turns its versioning on if it is off or suspended. It fails if the
// server does not confirm that versioning is enabled.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "S3 blob store: endpoint and bucket are required")
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.TLS,
		Region: cfg.Region,
		// minio-go refuses to send an x-amz-checksum-* header without it.
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", cfg.Endpoint, err)
	}
	exists, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %s: %w", cfg.Bucket, err)
	}
	if !exists {
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			// Another process may have created it in the meantime.
			if exists, err2 := c.BucketExists(ctx, cfg.Bucket); err2 != nil || !exists {
				return nil, fmt.Errorf("s3 create bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	s := &Store{c: c, bucket: cfg.Bucket}
	on, err := s.Versioned(ctx)
	if err != nil {
		return nil, err
	}
	if !on {
		if err := c.EnableVersioning(ctx, cfg.Bucket); err != nil {
			return nil, fmt.Errorf("s3 bucket %s: enable versioning: %w", cfg.Bucket, err)
		}
		if on, err = s.Versioned(ctx); err != nil {
			return nil, err
		}
		if !on {
			return nil, fmt.Errorf("s3 bucket %s: versioning still off after enabling it", cfg.Bucket)
		}
	}
	return s, nil
}

// Versioned reports whether the bucket's versioning is enabled.
func (s *Store) Versioned(ctx context.Context) (bool, error) {
	v, err := s.c.GetBucketVersioning(ctx, s.bucket)
	if err != nil {
		return false, fmt.Errorf("s3 bucket %s versioning: %w", s.bucket, err)
	}
	return v.Enabled(), nil
}

func invalidKey(key string) error {
	return ratsmappe.Errorf(ratsmappe.EINVALID, "invalid blob key %q", key)
}

func notFound(key string) error {
	return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "blob %s not found", key)
}

func mismatch(key string, size int64) *ratsmappe.Error {
	return ratsmappe.Errorf(ratsmappe.EINVALID, "content does not match key %s and size %d", key, size)
}

// isNotFound reports whether err says the object is missing. A missing
// bucket is not a missing blob: that stays an internal error.
func isNotFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NoSuchVersion", "NotFound":
		return true
	}
	return false
}

// Put implements documents.BlobStore.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	if size < 0 {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "negative blob size %d", size)
	}
	if size > MaxSize {
		return ratsmappe.Errorf(ratsmappe.ETOOLARGE, "blob of %d bytes is larger than the %d the S3 store takes", size, int64(MaxSize))
	}
	name := Prefix + key
	if _, err := s.c.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{}); err == nil {
		return nil
	} else if !isNotFound(err) {
		return fmt.Errorf("put %s: %w", key, err)
	}
	body, cleanup, err := verified(ctxReader{ctx, r}, key, size)
	if err != nil {
		return err
	}
	defer cleanup()
	sum, _ := hex.DecodeString(key)
	opts := minio.PutObjectOptions{
		ContentType:      "application/octet-stream",
		DisableMultipart: true,
		// Sent as the header x-amz-checksum-sha256: the server computes
		// the SHA-256 of what it receives and stores nothing if it differs.
		UserMetadata: map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(sum)},
	}
	// Only create: a Put racing with this one for the same key wins and
	// this one leaves its object (and the bucket's versions) alone.
	opts.SetMatchETagExcept("*")
	if _, err := s.c.PutObject(ctx, s.bucket, name, body, size, opts); err != nil {
		switch minio.ToErrorResponse(err).Code {
		case "PreconditionFailed":
			return nil // stored meanwhile
		case "XAmzContentChecksumMismatch", "BadDigest":
			e := mismatch(key, size)
			e.Err = err
			return e
		}
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// verified reads the size bytes of r and checks that they hash to key, and
// returns a reader of exactly those bytes, and a function to call when
// done with it. It rewinds r if it can seek, else spools the bytes to
// memory or a temporary file.
func verified(r ctxReader, key string, size int64) (io.Reader, func(), error) {
	noop := func() {}
	check := func(n int64, h []byte) error {
		if n != size || hex.EncodeToString(h) != key {
			return mismatch(key, size)
		}
		return nil
	}
	fail := func(err error) (io.Reader, func(), error) {
		return nil, noop, fmt.Errorf("put %s: %w", key, err)
	}
	h := sha256.New()

	// One byte more than size is read throughout, to notice content that
	// is too long.
	if rs, ok := r.r.(io.ReadSeeker); ok {
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil {
			n, err := io.Copy(h, io.LimitReader(r, size+1))
			if err != nil {
				return fail(err)
			}
			if err := check(n, h.Sum(nil)); err != nil {
				return nil, noop, err
			}
			// A section of a ReaderAt can be re-read, so minio-go can
			// retry the request.
			if ra, ok := rs.(io.ReaderAt); ok {
				return io.NewSectionReader(ra, start, size), noop, nil
			}
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return fail(err)
			}
			return io.LimitReader(r, size), noop, nil
		}
	}

	if size < spoolInMemory {
		b, err := io.ReadAll(io.LimitReader(io.TeeReader(r, h), size+1))
		if err != nil {
			return fail(err)
		}
		if err := check(int64(len(b)), h.Sum(nil)); err != nil {
			return nil, noop, err
		}
		return bytes.NewReader(b), noop, nil
	}

	f, err := os.CreateTemp("", "ratsmappe-s3blob-*")
	if err != nil {
		return fail(err)
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, size+1))
	if err != nil {
		cleanup()
		return fail(err)
	}
	if err := check(n, h.Sum(nil)); err != nil {
		cleanup()
		return nil, noop, err
	}
	return io.NewSectionReader(f, 0, size), cleanup, nil
}

// Get implements documents.BlobStore.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	// Stat first: minio-go's GetObject sends its request only at the
	// first Read, too late to report a missing blob or a bad offset.
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > info.Size {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "offset %d outside blob of %d bytes", offset, info.Size)
	}
	end := info.Size // exclusive
	if length >= 0 && length < info.Size-offset {
		end = offset + length
	}
	if end == offset {
		// S3 has no empty range.
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	var opts minio.GetObjectOptions
	if offset > 0 || end < info.Size {
		if err := opts.SetRange(offset, end-1); err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
	}
	obj, err := s.c.GetObject(ctx, s.bucket, Prefix+key, opts)
	if err != nil {
		if isNotFound(err) {
			return nil, notFound(key)
		}
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return obj, nil
}

// Stat implements documents.BlobStore.
func (s *Store) Stat(ctx context.Context, key string) (documents.BlobInfo, error) {
	if !documents.ValidKey(key) {
		return documents.BlobInfo{}, invalidKey(key)
	}
	oi, err := s.c.StatObject(ctx, s.bucket, Prefix+key, minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return documents.BlobInfo{}, notFound(key)
		}
		return documents.BlobInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return documents.BlobInfo{Key: key, Size: oi.Size, Modified: oi.LastModified}, nil
}

// Delete implements documents.BlobStore. In a versioned bucket a plain
// delete would only hide the object behind a delete marker; this Delete
// removes every version of the object and every delete marker, so that
// the bytes the sweeper found unreferenced are really gone.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine on an early return
	name := Prefix + key
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: name, WithVersions: true}) {
		if oi.Err != nil {
			return fmt.Errorf("delete %s: %w", key, oi.Err)
		}
		if oi.Key != name {
			continue
		}
		err := s.c.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{VersionID: oi.VersionID})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("delete %s version %s: %w", key, oi.VersionID, err)
		}
	}
	return nil
}

// List implements documents.BlobStore. It lists the latest version of each
// object under Prefix; deleted objects are skipped.
func (s *Store) List(ctx context.Context, fn func(documents.BlobInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine if fn returns early
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: Prefix, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("list blobs: %w", oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, Prefix)
		if !documents.ValidKey(key) {
			continue
		}
		if err := fn(documents.BlobInfo{Key: key, Size: oi.Size, Modified: oi.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// ctxReader stops a long read when ctx is cancelled.
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
