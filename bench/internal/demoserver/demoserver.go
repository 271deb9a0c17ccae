// Package demoserver starts the real ratsmappe binary, built from
// ./cmd/ratsmappe, serving the demo council on a free loopback port: what
// the load benchmarks (bench/portal, bench/burst) measure.
package demoserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Server is a running demo server.
type Server struct {
	Base string // http://127.0.0.1:port
	Data string // its data directory

	cmd    *exec.Cmd
	dir    string
	exited atomic.Bool
}

// Start builds the binary, starts `serve --demo` with errors logged to
// stderr, and waits up to timeout until it answers /healthz. Run it from
// the project root (as `go run ./bench/...` is).
func Start(stderr io.Writer, timeout time.Duration) (*Server, error) {
	return StartEnv(stderr, timeout, nil)
}

// StartEnv is Start with env added to the server's environment (e.g.
// RATSMAPPE_DATABASE_URL, to serve the demo from PostgreSQL).
func StartEnv(stderr io.Writer, timeout time.Duration, env []string) (*Server, error) {
	dir, err := os.MkdirTemp("", "bench-demo-")
	if err != nil {
		return nil, err
	}
	s := &Server{Data: filepath.Join(dir, "data"), dir: dir}
	bin := filepath.Join(dir, "ratsmappe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ratsmappe")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("build: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--demo", "--data", s.Data, "--addr", addr, "--log-level", "error")
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, stderr
	if env != nil {
		s.cmd.Env = append(os.Environ(), env...)
	}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.cmd.Wait(); s.exited.Store(true) }()
	s.Base = "http://" + addr
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(s.Base + "/healthz"); err == nil {
			resp.Body.Close()
			return s, nil
		}
	}
	s.Stop()
	return nil, fmt.Errorf("server did not start within %v", timeout)
}

// Pid is the server process's id (for reading its CPU time).
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Exited reports whether the server process has ended (a crash, when the
// benchmark did not stop it).
func (s *Server) Exited() bool { return s.exited.Load() }

// Stop kills the server and removes its binary and data.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	for i := 0; i < 50 && !s.exited.Load(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	os.RemoveAll(s.dir)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
