package pdfworker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/landlock-lsm/go-landlock/landlock"
	"golang.org/x/sys/unix"
)

// identity is the user a worker runs as, when the pool drops privileges.
type identity struct {
	name     string
	uid, gid uint32
}

// workerIdentity returns the user workers run as: nil (the pool's own)
// unless the pool runs as root, then name (default "nobody"), given as a
// user name or as "uid[:gid]". "root" keeps root, which only makes sense
// where the account cannot be changed.
func workerIdentity(name string) (*identity, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if name == "" {
		name = "nobody"
	}
	if name == "root" || name == "0" || name == "0:0" {
		return nil, nil
	}
	if uidS, gidS, ok := strings.Cut(name, ":"); ok || isDigits(name) {
		uid, err := strconv.ParseUint(uidS, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("pdfworker: worker user %q: not a uid[:gid]", name)
		}
		gid := uid
		if ok {
			if gid, err = strconv.ParseUint(gidS, 10, 32); err != nil {
				return nil, fmt.Errorf("pdfworker: worker user %q: not a uid[:gid]", name)
			}
		}
		if uid == 0 || gid == 0 {
			return nil, fmt.Errorf("pdfworker: worker user %q: uid and gid must not be 0 (say \"root\" to keep root)", name)
		}
		return &identity{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pdfworker: worker user: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil || uid == 0 || gid == 0 {
		return nil, fmt.Errorf("pdfworker: worker user %q has uid %s gid %s; want a user other than root", name, u.Uid, u.Gid)
	}
	return &identity{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// chown gives path to the worker's user, if it has one of its own.
func (id *identity) chown(path string) error {
	if id == nil {
		return nil
	}
	return os.Lchown(path, int(id.uid), int(id.gid))
}

func (id *identity) fchown(f *os.File) error {
	if id == nil {
		return nil
	}
	return f.Chown(int(id.uid), int(id.gid))
}

// sysProcAttr is how a worker is started: its own process group (so that
// a kill reaches tesseract too), SIGKILL when the parent dies, and, with
// id, as that user with no supplementary groups — and so with no
// capabilities. newNet gives it a network namespace of its own, with
// nothing but a loopback that is down.
func sysProcAttr(id *identity, newNet bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if id != nil {
		a.Credential = &syscall.Credential{Uid: id.uid, Gid: id.gid, Groups: []uint32{}}
	}
	if newNet {
		a.Cloneflags = syscall.CLONE_NEWNET
	}
	return a
}

// ocrProcAttr starts tesseract to die with its worker.
func ocrProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// canNewNet reports whether the pool may give workers their own network
// namespace: it needs CAP_SYS_ADMIN, which root has (outside of most
// container runtimes' default profiles, where the start then fails with
// EPERM and the pool goes on without it).
func canNewNet() bool { return os.Geteuid() == 0 }

// Worker resource limits (the memory cap is the parent's watchdog).
const (
	workerMaxFiles = 256 // pipes, the two directories, a file and its rendition, tesseract's pipes
	// workerMaxProcs bounds the tasks (threads included) of the worker's
	// user, which are all the workers' and tesseracts' when the pool
	// dropped to a user of their own: a fork bomb stops there. (Not set
	// when workers run as the server's user, whose threads it would
	// count too.)
	workerMaxProcs = 512
	// workerMaxFileSize bounds every file the worker writes — a
	// rendition, the compilation cache — at 4 GiB: a file that grows
	// without end in the parser's hands fills no disk. A write beyond it
	// fails with EFBIG (SIGXFSZ is ignored), so the file is refused, not
	// the worker killed.
	workerMaxFileSize = 4 << 30
)

// setLimits lowers the worker's resource limits: no core dumps (a dump
// would hold the files being parsed), a bounded size of written files, a
// bounded number of open files and, if maxProcs > 0, of processes.
func setLimits(maxProcs int) error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("RLIMIT_CORE: %w", err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	if err := lowerLimit(unix.RLIMIT_FSIZE, workerMaxFileSize); err != nil {
		return fmt.Errorf("RLIMIT_FSIZE: %w", err)
	}
	if err := lowerLimit(unix.RLIMIT_NOFILE, workerMaxFiles); err != nil {
		return fmt.Errorf("RLIMIT_NOFILE: %w", err)
	}
	if maxProcs > 0 {
		if err := lowerLimit(unix.RLIMIT_NPROC, uint64(maxProcs)); err != nil {
			return fmt.Errorf("RLIMIT_NPROC: %w", err)
		}
	}
	return nil
}

func lowerLimit(resource int, n uint64) error {
	var l unix.Rlimit
	if err := unix.Getrlimit(resource, &l); err != nil {
		return err
	}
	l.Cur, l.Max = min(l.Cur, n), min(l.Max, n)
	return unix.Setrlimit(resource, &l)
}

// deniedSyscalls fail with EPERM in a worker. A deny-list, not an
// allow-list: the Go runtime, wazero and tesseract use a wide and
// changing set of system calls, and an allow-list that a new Go release
// outgrows kills every worker. What is denied here is what a parser never
// needs and an attacker would want: the network, other processes'
// memory, the kernel's attack surface (BPF, io_uring, user namespaces,
// perf, keyrings, mounts, modules).
var deniedSyscalls = []string{
	// Network: no socket of any family (the worker speaks over inherited
	// pipes only).
	"socket", "socketpair",
	// Other processes.
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	// Namespaces and filesystems.
	"unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"open_by_handle_at", "name_to_handle_at", "fanotify_init",
	// The kernel and the machine.
	"bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
	"keyctl", "add_key", "request_key",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "vhangup",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
	"iopl", "ioperm",
	// The sandbox itself stays as it is.
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "seccomp",
}

// seccompPolicy denies deniedSyscalls (those the architecture has), and a
// clone that creates namespaces. clone3, whose flags a filter cannot
// read, answers ENOSYS, on which glibc and Go fall back to clone.
func seccompPolicy() (seccomp.Policy, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return seccomp.Policy{}, err
	}
	var names []string
	for _, n := range deniedSyscalls {
		if _, ok := info.SyscallNames[n]; ok {
			names = append(names, n)
		}
	}
	var cloneNS []seccomp.NameWithConditions
	for _, f := range []uint64{unix.CLONE_NEWUSER, unix.CLONE_NEWNS, unix.CLONE_NEWNET, unix.CLONE_NEWPID,
		unix.CLONE_NEWIPC, unix.CLONE_NEWUTS, unix.CLONE_NEWCGROUP} {
		cloneNS = append(cloneNS, seccomp.NameWithConditions{Name: "clone",
			Conditions: []seccomp.Condition{{Argument: 0, Operation: seccomp.BitsSet, Value: f}}})
	}
	return seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{
			{Action: seccomp.ActionErrno, Names: names, NamesWithCondtions: cloneNS},
			{Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS), Names: []string{"clone3"}},
		},
	}, nil
}

// enforceSandbox confines the worker process (all its threads, and
// tesseract after it) before it reads any file: no_new_privs, resource
// limits, Landlock (where the kernel has it) and the seccomp filter.
// Files may then be read only from the worker's directory (the current
// directory), the compilation cache (read-only: a worker taken over by a
// file must not leave compiled code for the next), and, with OCR, the
// system's programs and libraries that tesseract needs. It fails if
// no_new_privs or seccomp cannot be set; Landlock degrades to what the
// kernel supports (nothing on kernels before 5.13), and the returned
// string says what was enforced.
func enforceSandbox(cfg ServeConfig) (string, error) {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return "", fmt.Errorf("no_new_privs: %w", err)
	}
	if err := setLimits(cfg.MaxProcs); err != nil {
		return "", err
	}
	rules := []landlock.Rule{landlock.RWDirs(".")}
	if cfg.CacheDir != "" {
		rules = append(rules, landlock.RODirs(cfg.CacheDir).IgnoreIfMissing())
	}
	if cfg.Tesseract != "" {
		rules = append(rules, tesseractRules(cfg.Tesseract)...)
	}
	var what []string
	llErr := landlock.V6.BestEffort().Restrict(rules...)
	switch abi, _ := landlockABI(); {
	case llErr != nil:
		return "", fmt.Errorf("landlock: %w", llErr)
	case abi > 0:
		what = append(what, fmt.Sprintf("landlock ABI %d", abi))
	default:
		what = append(what, "no landlock (kernel)")
	}
	policy, err := seccompPolicy()
	if err == nil {
		err = seccomp.LoadFilter(seccomp.Filter{
			NoNewPrivs: true,
			Flag:       seccomp.FilterFlagTSync,
			Policy:     policy,
		})
	}
	if err != nil {
		return "", fmt.Errorf("seccomp: %w", err)
	}
	what = append(what, "seccomp", "no_new_privs")
	return strings.Join(what, ", "), nil
}

// tesseractRules let tesseract run: its program, the dynamic loader and
// the shared libraries, and its language data, all read-only. The system
// directories hold programs, not secrets; /etc is not among them but for
// the loader's cache.
func tesseractRules(bin string) []landlock.Rule {
	dirs := []string{"/usr", "/lib", "/lib64", "/lib32", "/bin", "/opt"}
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		dirs = append(dirs, filepath.Dir(real))
	}
	if v := os.Getenv("TESSDATA_PREFIX"); v != "" {
		dirs = append(dirs, v)
	}
	return []landlock.Rule{
		landlock.RODirs(dirs...).IgnoreIfMissing(),
		landlock.ROFiles("/etc/ld.so.cache").IgnoreIfMissing(),
	}
}

// landlockABI returns the kernel's Landlock ABI version, 0 without it.
func landlockABI() (int, error) {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */)
	if errno != 0 {
		if errors.Is(errno, unix.ENOSYS) || errors.Is(errno, unix.EOPNOTSUPP) {
			return 0, nil
		}
		return 0, errno
	}
	return int(v), nil
}

// warnWeakSandbox logs once per pool what of the sandbox this system
// lacks.
func warnWeakSandbox(log *slog.Logger) {
	if abi, err := landlockABI(); err == nil && abi == 0 {
		log.Warn("PDF workers run without Landlock, which this kernel lacks (Linux 5.13+, lsm=landlock): seccomp, no_new_privs and the user change still apply")
	}
}
