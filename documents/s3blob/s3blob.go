// Package s3blob keeps blobs in an S3 bucket, through minio-go; it works
// with MinIO and any other S3 server.
//
// Open creates the bucket if it is missing and turns on bucket versioning,
// so that even an operator's mistaken overwrite or delete in the bucket
// leaves the old bytes recoverable. Objects are stored under
// "blobs/<sha256>". Every Put is verified twice: the content is hashed
// before it is sent (a mismatch with the key is refused and nothing is
// stored), and the hash travels as x-amz-checksum-sha256, so the server
// refuses bytes damaged on the way.
package s3blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
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

const prefix = "blobs/"

// Config says where the bucket is.
type Config struct {
	Endpoint  string // host:port
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	TLS       bool
}

// ConfigFromEnv reads RATSMAPPE_S3_ENDPOINT, _BUCKET, _ACCESS_KEY,
// _SECRET_KEY, _REGION and _TLS.
func ConfigFromEnv() Config {
	tls, _ := strconv.ParseBool(os.Getenv("RATSMAPPE_S3_TLS"))
	return Config{
		Endpoint:  os.Getenv("RATSMAPPE_S3_ENDPOINT"),
		Bucket:    os.Getenv("RATSMAPPE_S3_BUCKET"),
		AccessKey: os.Getenv("RATSMAPPE_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("RATSMAPPE_S3_SECRET_KEY"),
		Region:    os.Getenv("RATSMAPPE_S3_REGION"),
		TLS:       tls,
	}
}

// Store is a documents.BlobStore in an S3 bucket.
type Store struct {
	c      *minio.Client
	bucket string
}

var _ documents.BlobStore = (*Store)(nil)

// Open connects to the bucket of cfg, creating it with versioning if it
// does not exist, and enabling versioning if it is off.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.TLS,
		Region: cfg.Region,
		// Needed for minio-go to send the x-amz-checksum-sha256 header.
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", cfg.Endpoint, err)
	}
	s := &Store{c: c, bucket: cfg.Bucket}
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
	v, err := c.GetBucketVersioning(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %s versioning: %w", cfg.Bucket, err)
	}
	if !v.Enabled() {
		if err := c.EnableVersioning(ctx, cfg.Bucket); err != nil {
			return nil, fmt.Errorf("s3 bucket %s: enable versioning: %w", cfg.Bucket, err)
		}
	}
	return s, nil
}

// Versioned reports whether the bucket has versioning enabled.
func (s *Store) Versioned(ctx context.Context) (bool, error) {
	v, err := s.c.GetBucketVersioning(ctx, s.bucket)
	if err != nil {
		return false, err
	}
	return v.Enabled(), nil
}

func invalidKey(key string) error {
	return ratsmappe.Errorf(ratsmappe.EINVALID, "invalid blob key %q", key)
}

func notFound(key string) error {
	return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "blob %s not found", key)
}

func isNotFound(err error) bool {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code == "NoSuchKey" || er.Code == "NotFound" || er.StatusCode == 404
	}
	return false
}

// Put implements documents.BlobStore.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	if _, err := s.c.StatObject(ctx, s.bucket, prefix+key, minio.StatObjectOptions{}); err == nil {
		return nil
	} else if !isNotFound(err) {
		return fmt.Errorf("put %s: %w", key, err)
	}
	src, cleanup, err := seekable(r, size)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer cleanup()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(src, size+1))
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	sum := h.Sum(nil)
	if n != size || hex.EncodeToString(sum) != key {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "content does not match key %s and size %d", key, size)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	_, err = s.c.PutObject(ctx, s.bucket, prefix+key, io.LimitReader(src, size), size, minio.PutObjectOptions{
		ContentType:      "application/octet-stream",
		DisableMultipart: true,
		UserMetadata:     map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(sum)},
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// seekable returns r as an io.ReadSeeker positioned at its start: r itself
// if it can seek, else a temporary file with its first size+1 bytes.
func seekable(r io.Reader, size int64) (io.ReadSeeker, func(), error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		if pos, err := rs.Seek(0, io.SeekCurrent); err == nil {
			return &offsetSeeker{rs: rs, base: pos}, func() {}, nil
		}
	}
	if size < 8<<20 {
		b, err := io.ReadAll(io.LimitReader(r, size+1))
		if err != nil {
			return nil, nil, err
		}
		return bytes.NewReader(b), func() {}, nil
	}
	f, err := os.CreateTemp("", "s3blob-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, io.LimitReader(r, size+1)); err != nil {
		cleanup()
		return nil, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return f, cleanup, nil
}

// offsetSeeker makes the reader's current position its start.
type offsetSeeker struct {
	rs   io.ReadSeeker
	base int64
}

func (o *offsetSeeker) Read(p []byte) (int, error) { return o.rs.Read(p) }

func (o *offsetSeeker) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekStart {
		off += o.base
	}
	n, err := o.rs.Seek(off, whence)
	return n - o.base, err
}

// Get implements documents.BlobStore.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > info.Size {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "offset %d outside blob of %d bytes", offset, info.Size)
	}
	end := info.Size // exclusive
	if length >= 0 && offset+length < end {
		end = offset + length
	}
	if end == offset {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	opts := minio.GetObjectOptions{}
	if offset > 0 || end < info.Size {
		if err := opts.SetRange(offset, end-1); err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
	}
	obj, err := s.c.GetObject(ctx, s.bucket, prefix+key, opts)
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
	oi, err := s.c.StatObject(ctx, s.bucket, prefix+key, minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return documents.BlobInfo{}, notFound(key)
		}
		return documents.BlobInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return documents.BlobInfo{Key: key, Size: oi.Size, Modified: oi.LastModified}, nil
}

// Delete implements documents.BlobStore. With versioning on, a plain delete
// would only hide the object behind a delete marker; the sweeper's Delete
// removes every version, so that unreferenced bytes are really gone.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !documents.ValidKey(key) {
		return invalidKey(key)
	}
	name := prefix + key
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: name, WithVersions: true}) {
		if oi.Err != nil {
			return fmt.Errorf("delete %s: %w", key, oi.Err)
		}
		if oi.Key != name {
			continue
		}
		if err := s.c.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{VersionID: oi.VersionID}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete %s version %s: %w", key, oi.VersionID, err)
		}
	}
	return nil
}

// List implements documents.BlobStore.
func (s *Store) List(ctx context.Context, fn func(documents.BlobInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine if fn returns early
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("list: %w", oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, prefix)
		if !documents.ValidKey(key) {
			continue
		}
		if err := fn(documents.BlobInfo{Key: key, Size: oi.Size, Modified: oi.LastModified}); err != nil {
			return err
		}
	}
	return nil
}
