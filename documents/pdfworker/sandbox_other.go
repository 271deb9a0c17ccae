//go:build !linux

package pdfworker

import (
	"log/slog"
	"os"
	"syscall"
)

// On systems other than Linux a worker is a plain child process: it gets
// the empty environment and its own directory, but no other confinement.

type identity struct {
	name     string
	uid, gid uint32
}

func workerIdentity(string) (*identity, error) { return nil, nil }

func (id *identity) chown(string) error    { return nil }
func (id *identity) fchown(*os.File) error { return nil }

func sysProcAttr(*identity, bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func ocrProcAttr() *syscall.SysProcAttr { return nil }

func canNewNet() bool { return false }

const workerMaxProcs = 0

func enforceSandbox(ServeConfig) (string, error) { return "nothing (not Linux)", nil }

func warnWeakSandbox(log *slog.Logger) {
	log.Warn("PDF workers run without a sandbox on this system (only on Linux)")
}
