package s3blob_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

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

// The conformance suite against a real MinIO server.
func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) documents.BlobStore {
		s, err := s3blob.Open(context.Background(), miniotest.Start(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenEnablesVersioning(t *testing.T) {
	ctx := context.Background()
	cfg := miniotest.Start(t)
	s, err := s3blob.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	on, err := s.Versioned(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !on {
		t.Errorf("bucket versioning is off after Open")
	}
	// Opening an existing bucket works and keeps its blobs.
	b := []byte("bleibt")
	if err := s.Put(ctx, blobtest.Key(b), bytesReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	s2, err := s3blob.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if _, err := s2.Stat(ctx, blobtest.Key(b)); err != nil {
		t.Errorf("blob gone after reopening: %v", err)
	}
}

// The SHA-256 that Put sends is checked by the server: bytes that do not
// match it are refused and not stored. (This talks to the server directly,
// to fake a transfer that damaged the bytes.)
func TestServerVerifiesChecksum(t *testing.T) {
	ctx := context.Background()
	cfg := miniotest.Start(t)
	if _, err := s3blob.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), TrailingHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	wrong := sha256.Sum256([]byte("andere Bytes"))
	body := []byte("beschädigte Bytes")
	_, err = c.PutObject(ctx, cfg.Bucket, "blobs/x", bytesReader(body), int64(len(body)), minio.PutObjectOptions{
		DisableMultipart: true,
		UserMetadata:     map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(wrong[:])},
	})
	if err == nil {
		t.Fatal("server accepted bytes that do not match their SHA-256")
	}
	if _, err := c.StatObject(ctx, cfg.Bucket, "blobs/x", minio.StatObjectOptions{}); err == nil {
		t.Errorf("refused object is stored anyway")
	}
}
