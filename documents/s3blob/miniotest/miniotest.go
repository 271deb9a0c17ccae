// Package miniotest starts a real MinIO server for tests: the one named by
// RATSMAPPE_TEST_S3_ENDPOINT if set, else the pinned binary that `make
// deps-minio` builds, started on a free loopback port with a temporary
// data directory.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ratsmappe/ratsmappe/documents/s3blob"
)

var (
	once     sync.Once
	shared   s3blob.Config
	startErr error
	proc     *exec.Cmd
	dataDir  string
)

// Binary returns the path of the MinIO server binary, or "".
func Binary() string {
	if p := os.Getenv("RATSMAPPE_TEST_MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "ratsmappe-ci", "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Start returns the configuration of a running MinIO server with a new,
// not yet created bucket name. The server is shared by the tests of one
// test binary; Stop (from TestMain) ends it. Without a server or binary
// the test is skipped — but under CI=true it fails, since CI must test
// against the real server.
func Start(tb testing.TB) s3blob.Config {
	tb.Helper()
	once.Do(start)
	if startErr != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("MinIO: %v", startErr)
		}
		tb.Skipf("MinIO: %v", startErr)
	}
	c := shared
	var b [6]byte
	rand.Read(b[:])
	c.Bucket = "test-" + hex.EncodeToString(b[:])
	return c
}

func start() {
	if ep := os.Getenv("RATSMAPPE_TEST_S3_ENDPOINT"); ep != "" {
		shared = s3blob.Config{Endpoint: ep, AccessKey: os.Getenv("RATSMAPPE_TEST_S3_ACCESS_KEY"), SecretKey: os.Getenv("RATSMAPPE_TEST_S3_SECRET_KEY")}
		return
	}
	bin := Binary()
	if bin == "" {
		startErr = fmt.Errorf("no minio binary (run `make deps-minio`, or set RATSMAPPE_TEST_MINIO_BIN or RATSMAPPE_TEST_S3_ENDPOINT)")
		return
	}
	addr, err := freeAddr()
	if err != nil {
		startErr = err
		return
	}
	console, err := freeAddr()
	if err != nil {
		startErr = err
		return
	}
	dataDir, err = os.MkdirTemp("", "minio-test-")
	if err != nil {
		startErr = err
		return
	}
	user, pass := "ratsmappe-test", "ratsmappe-test-secret"
	proc = exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", console, dataDir)
	proc.Env = append(os.Environ(), "MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+pass,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	proc.Stdout, proc.Stderr = os.Stderr, os.Stderr
	if err := proc.Start(); err != nil {
		startErr = fmt.Errorf("start %s: %w", bin, err)
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			Stop()
			startErr = fmt.Errorf("server at %s not ready after 60 s", addr)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	// "Ready" comes before the server accepts requests under load; wait
	// until a real request succeeds.
	c, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(user, pass, "")})
	if err != nil {
		Stop()
		startErr = err
		return
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.ListBuckets(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			Stop()
			startErr = fmt.Errorf("server at %s does not answer: %v", addr, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	shared = s3blob.Config{Endpoint: addr, AccessKey: user, SecretKey: pass}
}

// Stop ends the server Start began, if any, and removes its data.
func Stop() {
	if proc != nil && proc.Process != nil {
		syscall.Kill(-proc.Process.Pid, syscall.SIGKILL)
		proc.Wait()
		proc = nil
	}
	if dataDir != "" {
		os.RemoveAll(dataDir)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
