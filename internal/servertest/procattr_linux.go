package servertest

import "syscall"

// sysProcAttr puts the server in its own process group, so that stop ends
// it with any children, and has the kernel kill it if the test binary dies
// without calling Stop (a panic, a test timeout).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
