// Package miniotest gives tests a real S3 server: the one named by
// RATSMAPPE_TEST_S3_ENDPOINT if that is set, else a MinIO server it starts
// from the pinned binary that `make deps-minio` builds, listening on a free
// loopback port with a temporary data directory.
//
// The server is started once per test binary, on the first Start; the
// package's TestMain ends it:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		miniotest.Stop()
//		os.Exit(code)
//	}
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ratsmappe/ratsmappe/documents/s3blob"
	"github.com/ratsmappe/ratsmappe/internal/servertest"
)

// readyTimeout bounds the wait for a started server to answer.
const readyTimeout = 30 * time.Second

var (
	mu       sync.Mutex
	started  bool
	shared   s3blob.Config
	startErr error
	srv      *server
)

// Binary returns the path of the MinIO server binary: the file named by
// RATSMAPPE_TEST_MINIO_BIN, else minio in PATH, else
// ~/.cache/ratsmappe-ci/bin/minio (where `make deps-minio` puts it) for
// the current user or for root. It returns an error if there is none, or
// if RATSMAPPE_TEST_MINIO_BIN names a file that does not exist.
func Binary() (string, error) {
	return servertest.Binary("RATSMAPPE_TEST_MINIO_BIN", "minio", "run `make deps-minio`, put minio in PATH, "+
		"or set RATSMAPPE_TEST_MINIO_BIN or RATSMAPPE_TEST_S3_ENDPOINT")
}

// Start returns the configuration of a running S3 server with a new bucket
// name that no other test uses; the bucket itself does not exist yet. When
// the test ends, the bucket and everything in it is removed.
//
// Without a server, or a binary to start one, the test is skipped — but
// if CI=true it fails instead, since CI must test against the real
// server.
func Start(tb testing.TB) s3blob.Config {
	tb.Helper()
	mu.Lock()
	if !started {
		started = true
		shared, startErr = start()
	}
	cfg, err := shared, startErr
	mu.Unlock()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("S3 tests need MinIO under CI: %v", err)
		}
		tb.Skipf("skipping S3 test: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	cfg.Bucket = "ratsmappe-test-" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := removeBucket(ctx, Client(tb, cfg), cfg.Bucket); err != nil {
			tb.Logf("remove test bucket %s: %v", cfg.Bucket, err)
		}
	})
	return cfg
}

// Client returns a minio-go client for the server of cfg, for tests that
// look into the bucket behind the store's back.
func Client(tb testing.TB, cfg s3blob.Config) *minio.Client {
	tb.Helper()
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:           credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:          cfg.TLS,
		Region:          cfg.Region,
		TrailingHeaders: true,
	})
	if err != nil {
		tb.Fatalf("minio client: %v", err)
	}
	return c
}

// Stop ends the server Start began, if any, and removes its data; a later
// Start begins a new one. It does not touch a server named by
// RATSMAPPE_TEST_S3_ENDPOINT.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		srv.stop()
		srv = nil
	}
	started, shared, startErr = false, s3blob.Config{}, nil
}

// removeBucket removes every version of every object in bucket, and the
// bucket. A bucket that was never created is fine.
func removeBucket(ctx context.Context, c *minio.Client, bucket string) error {
	for oi := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if oi.Err != nil {
			if minio.ToErrorResponse(oi.Err).Code == "NoSuchBucket" {
				return nil
			}
			return oi.Err
		}
		if err := c.RemoveObject(ctx, bucket, oi.Key, minio.RemoveObjectOptions{VersionID: oi.VersionID}); err != nil {
			return err
		}
	}
	err := c.RemoveBucket(ctx, bucket)
	if minio.ToErrorResponse(err).Code == "NoSuchBucket" {
		return nil
	}
	return err
}

func start() (s3blob.Config, error) {
	if ep := os.Getenv("RATSMAPPE_TEST_S3_ENDPOINT"); ep != "" {
		tls, _ := strconv.ParseBool(os.Getenv("RATSMAPPE_TEST_S3_TLS"))
		return s3blob.Config{
			Endpoint:  ep,
			AccessKey: os.Getenv("RATSMAPPE_TEST_S3_ACCESS_KEY"),
			SecretKey: os.Getenv("RATSMAPPE_TEST_S3_SECRET_KEY"),
			TLS:       tls,
		}, nil
	}
	bin, err := Binary()
	if err != nil {
		return s3blob.Config{}, err
	}
	s, err := launch(bin)
	if err != nil {
		return s3blob.Config{}, err
	}
	srv = s
	return s.cfg, nil
}

// server is a MinIO process this package started.
type server struct {
	proc *servertest.Process
	dir  string // holds the data directory and the log
	cfg  s3blob.Config
}

func launch(bin string) (*server, error) {
	addr, err := servertest.FreeAddr()
	if err != nil {
		return nil, err
	}
	console, err := servertest.FreeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ratsmappe-minio-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir}
	user, pass := "ratsmappe-test", "ratsmappe-test-secret"
	cmd := exec.Command(bin, "server", "--quiet",
		"--address", addr, "--console-address", console, filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+pass,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	if s.proc, err = servertest.Start(cmd, filepath.Join(dir, "minio.log")); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cfg = s3blob.Config{Endpoint: addr, AccessKey: user, SecretKey: pass}
	if err := s.waitReady(); err != nil {
		tail := s.proc.LogTail()
		s.stop()
		return nil, fmt.Errorf("minio at %s: %w; its log ends:\n%s", addr, err, tail)
	}
	return s, nil
}

// waitReady waits until the health check passes and the server answers an
// S3 request: "ready" can come before it accepts requests under load.
func (s *server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + s.cfg.Endpoint + "/minio/health/ready"
	c, err := minio.New(s.cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.cfg.AccessKey, s.cfg.SecretKey, "")})
	if err != nil {
		return err
	}
	var last error
	for {
		if last = probe(ctx, hc, url); last == nil {
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			_, last = c.ListBuckets(rctx)
			rcancel()
			if last == nil {
				return nil
			}
		}
		select {
		case <-s.proc.Done():
			return fmt.Errorf("exited: %v", s.proc.State())
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %v", readyTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func probe(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s", resp.Status)
	}
	return nil
}

// stop ends the server and removes its data.
func (s *server) stop() {
	s.proc.Stop()
	os.RemoveAll(s.dir)
}
