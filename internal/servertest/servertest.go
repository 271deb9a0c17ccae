// Package servertest runs the real servers that tests talk to (MinIO,
// Mailpit) as child processes: it finds the pinned binary the Makefile
// builds, picks free loopback ports, and ends the process — with any
// children — when asked or when the test binary dies.
package servertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Binary returns the path of a tool's binary: the file named by the
// environment variable env, else name in PATH, else
// ~/.cache/ratsmappe-ci/bin/name (where the Makefile's deps targets put
// it) for the current user or for root. It returns an error that ends with
// hint if there is none, or if env names a file that does not exist.
func Binary(env, name, hint string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", env, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var candidates []string
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "ratsmappe-ci", "bin", name))
	}
	candidates = append(candidates, filepath.Join("/root/.cache/ratsmappe-ci/bin", name))
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", errors.New("no " + name + " binary: " + hint)
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Process is a server started by Start.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  string
}

// Start starts cmd in its own process group, its output going to the file
// log, as the user of cmd.SysProcAttr.Credential if that is set. The kernel kills it if the test binary dies without calling Stop
// (a panic, a test timeout), on Linux.
func Start(cmd *exec.Cmd, log string) (*Process, error) {
	logf, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own copy
	attr := sysProcAttr()
	if cmd.SysProcAttr != nil {
		// The caller's choice of user (PostgreSQL refuses to run as root).
		attr.Credential = cmd.SysProcAttr.Credential
	}
	cmd.SysProcAttr = attr
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// State describes how the process exited, once Done is closed.
func (p *Process) State() *os.ProcessState { return p.cmd.ProcessState }

// Stop ends the process group: politely, then by force.
func (p *Process) Stop() {
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// LogTail returns the last 2000 bytes of the process's output.
func (p *Process) LogTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}
