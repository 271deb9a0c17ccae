//go:build !linux

package servertest

import "syscall"

// sysProcAttr puts the server in its own process group, so that stop ends
// it with any children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
