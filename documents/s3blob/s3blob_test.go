package s3blob_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/s3blob"
	"github.com/ratsmappe/ratsmappe/documents/s3blob/miniotest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	miniotest.Stop()
	os.Exit(code)
}

// The conformance suite against a real MinIO server, a new bucket for
// each subtest.
func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) documents.BlobStore {
		return open(t, miniotest.Start(t))
	})
}

func open(t *testing.T, cfg s3blob.Config) *s3blob.Store {
	t.Helper()
	s, err := s3blob.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func put(t *testing.T, s *s3blob.Store, b []byte) string {
	t.Helper()
	k := blobtest.Key(b)
	if err := s.Put(t.Context(), k, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return k
}

// versions lists every version and delete marker of the blob key, as the
// server keeps them.
func versions(t *testing.T, c *minio.Client, bucket, key string) []minio.ObjectInfo {
	t.Helper()
	var vs []minio.ObjectInfo
	for oi := range c.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: s3blob.Prefix + key, WithVersions: true}) {
		if oi.Err != nil {
			t.Fatalf("list versions: %v", oi.Err)
		}
		vs = append(vs, oi)
	}
	return vs
}

func TestOpenEnablesVersioning(t *testing.T) {
	cfg := miniotest.Start(t)
	s := open(t, cfg)
	on, err := s.Versioned(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !on {
		t.Errorf("Versioned() = false after Open")
	}
	// Asked directly, not through the store.
	v, err := miniotest.Client(t, cfg).GetBucketVersioning(t.Context(), cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.Status, "Enabled"; got != want {
		t.Errorf("bucket versioning status = %q, want %q", got, want)
	}
}

// Open takes over a bucket that exists already — made by an operator
// without versioning, or by an earlier Open — and keeps what is in it.
func TestOpenExistingBucket(t *testing.T) {
	ctx := t.Context()
	cfg := miniotest.Start(t)
	c := miniotest.Client(t, cfg)
	if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.GetBucketVersioning(ctx, cfg.Bucket); err != nil || v.Enabled() {
		t.Fatalf("new bucket versioning = %+v, %v; want off", v, err)
	}
	s := open(t, cfg)
	if v, err := c.GetBucketVersioning(ctx, cfg.Bucket); err != nil || !v.Enabled() {
		t.Errorf("versioning after Open on an existing bucket = %+v, %v; want enabled", v, err)
	}
	k := put(t, s, []byte("bleibt"))

	// Suspended by an operator: Open turns it back on.
	if err := c.SuspendVersioning(ctx, cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	s = open(t, cfg)
	if on, err := s.Versioned(ctx); err != nil || !on {
		t.Errorf("Versioned() after reopening a suspended bucket = %v, %v; want true", on, err)
	}
	if _, err := s.Stat(ctx, k); err != nil {
		t.Errorf("blob gone after reopening: %v", err)
	}
}

func TestOpenWithoutBucket(t *testing.T) {
	_, err := s3blob.Open(t.Context(), s3blob.Config{Endpoint: "127.0.0.1:9"})
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.EINVALID; got != want {
		t.Errorf("Open without a bucket: %v, want %s", err, want)
	}
}

// fickle is a seekable reader whose content changes once it is rewound,
// like a file rewritten while it is uploaded. It hides any ReadAt, so
// that the store has to seek.
type fickle struct {
	r     *bytes.Reader
	later []byte
}

func (f *fickle) Read(p []byte) (int, error) { return f.r.Read(p) }

func (f *fickle) Seek(off int64, whence int) (int64, error) {
	if f.later != nil && !(off == 0 && whence == io.SeekCurrent) {
		f.r = bytes.NewReader(f.later)
		f.later = nil
	}
	return f.r.Seek(off, whence)
}

// The SHA-256 that Put sends is checked by the server, not only by Put:
// bytes that change after Put hashed them are refused, and no version of
// them is left in the bucket.
func TestServerVerifiesChecksum(t *testing.T) {
	cfg := miniotest.Start(t)
	s := open(t, cfg)
	good := []byte("Haushaltssatzung 2026, Entwurf")
	bad := []byte("Haushaltssatzung 2026, Fälschung")[:len(good)]
	k := blobtest.Key(good)
	err := s.Put(t.Context(), k, &fickle{r: bytes.NewReader(good), later: bad}, int64(len(good)))
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.EINVALID; got != want {
		t.Errorf("Put of bytes changed after hashing: %v, want %s", err, want)
	}
	if vs := versions(t, miniotest.Client(t, cfg), cfg.Bucket, k); len(vs) != 0 {
		t.Errorf("refused Put left %d versions in the bucket", len(vs))
	}
}

// Content that does not match its key never reaches the bucket, not even
// as an old version.
func TestRefusedPutLeavesNoVersion(t *testing.T) {
	cfg := miniotest.Start(t)
	s := open(t, cfg)
	b := bytes.Repeat([]byte("Anlage 3 "), 1<<20) // spooled to a file
	k := blobtest.Key([]byte("etwas anderes"))
	for _, r := range []io.Reader{bytes.NewReader(b), struct{ io.Reader }{bytes.NewReader(b)}} {
		if err := s.Put(t.Context(), k, r, int64(len(b))); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Put with a wrong key: %v, want %s", err, ratsmappe.EINVALID)
		}
	}
	if vs := versions(t, miniotest.Client(t, cfg), cfg.Bucket, k); len(vs) != 0 {
		t.Errorf("refused Put left %d versions in the bucket", len(vs))
	}
}

// Putting a blob that is there already, even from many goroutines at
// once, leaves exactly one version.
func TestPutAgainKeepsOneVersion(t *testing.T) {
	cfg := miniotest.Start(t)
	s := open(t, cfg)
	b := bytes.Repeat([]byte("Tagesordnung "), 10_000)
	k := blobtest.Key(b)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Put(t.Context(), k, bytes.NewReader(b), int64(len(b))); err != nil {
				t.Errorf("concurrent Put: %v", err)
			}
		}()
	}
	wg.Wait()
	put(t, s, b)
	if vs := versions(t, miniotest.Client(t, cfg), cfg.Bucket, k); len(vs) != 1 {
		t.Errorf("bucket holds %d versions of the blob, want 1", len(vs))
	}
}

// The sweeper's Delete leaves nothing behind: no old versions that still
// hold the bytes, no delete markers.
func TestDeleteRemovesEveryVersion(t *testing.T) {
	ctx := t.Context()
	cfg := miniotest.Start(t)
	s := open(t, cfg)
	c := miniotest.Client(t, cfg)
	b := []byte("nicht mehr gebraucht")
	k := put(t, s, b)
	// An operator overwrites and deletes it by hand; then it is put again.
	if _, err := c.PutObject(ctx, cfg.Bucket, s3blob.Prefix+k, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveObject(ctx, cfg.Bucket, s3blob.Prefix+k, minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	put(t, s, b)
	keep := put(t, s, []byte("wird noch gebraucht"))
	if got, want := len(versions(t, c, cfg.Bucket, k)), 4; got != want {
		t.Fatalf("set-up: %d versions, want %d", got, want)
	}

	if err := s.Delete(ctx, k); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if vs := versions(t, c, cfg.Bucket, k); len(vs) != 0 {
		t.Errorf("after Delete the bucket still holds %d versions or delete markers", len(vs))
	}
	if got, want := len(versions(t, c, cfg.Bucket, keep)), 1; got != want {
		t.Errorf("Delete touched another blob: %d versions, want %d", got, want)
	}
}

// A blob above the single-PUT limit is refused before anything is read.
func TestPutTooLarge(t *testing.T) {
	s := open(t, miniotest.Start(t))
	k := blobtest.Key([]byte("riesig"))
	err := s.Put(t.Context(), k, failReader{}, s3blob.MaxSize+1)
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.ETOOLARGE; got != want {
		t.Errorf("Put of %d bytes: %v, want %s", int64(s3blob.MaxSize+1), err, want)
	}
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }

// Objects in the bucket outside the blob prefix are not blobs.
func TestListSkipsOtherObjects(t *testing.T) {
	ctx := t.Context()
	cfg := miniotest.Start(t)
	s := open(t, cfg)
	k := put(t, s, []byte("ein Blob"))
	c := miniotest.Client(t, cfg)
	for _, name := range []string{"README", "backup/" + k, s3blob.Prefix + "notes.txt"} {
		if _, err := c.PutObject(ctx, cfg.Bucket, name, bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	if err := s.List(ctx, func(bi documents.BlobInfo) error { keys = append(keys, bi.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != k {
		t.Errorf("List = %v, want [%s]", keys, k)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("RATSMAPPE_S3_ENDPOINT", "s3.example.org:9000")
	t.Setenv("RATSMAPPE_S3_BUCKET", "ratsmappe")
	t.Setenv("RATSMAPPE_S3_ACCESS_KEY", "AK")
	t.Setenv("RATSMAPPE_S3_SECRET_KEY", "SK")
	t.Setenv("RATSMAPPE_S3_REGION", "eu-central-1")
	for _, tc := range []struct {
		env  string
		want bool
	}{
		{"", false}, {"0", false}, {"false", false}, {"FALSE", false}, {"no", false}, {"off", false},
		{"1", true}, {"true", true}, {"yes", true}, {"on", true}, {"ture", true},
	} {
		t.Setenv("RATSMAPPE_S3_TLS", tc.env)
		want := s3blob.Config{Endpoint: "s3.example.org:9000", Bucket: "ratsmappe", AccessKey: "AK", SecretKey: "SK", Region: "eu-central-1", TLS: tc.want}
		if got := s3blob.ConfigFromEnv(); got != want {
			t.Errorf("RATSMAPPE_S3_TLS=%q: ConfigFromEnv() = %+v, want %+v", tc.env, got, want)
		}
	}
}

// Get of a blob in a bucket that has gone is an error, but not "not
// found": a person must not be told a document does not exist when the
// storage is broken.
func TestMissingBucketIsNotNotFound(t *testing.T) {
	cfg := miniotest.Start(t)
	s := open(t, cfg)
	if err := miniotest.Client(t, cfg).RemoveBucket(t.Context(), cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	_, err := s.Stat(t.Context(), blobtest.Key([]byte("x")))
	if err == nil || ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		t.Errorf("Stat in a removed bucket: %v, want an internal error", err)
	}
}
