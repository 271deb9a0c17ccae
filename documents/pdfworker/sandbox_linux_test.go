package pdfworker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
)

// secret stands for the server's credentials (S3, OIDC, Meilisearch keys),
// which must not reach a worker.
const secret = "RATSMAPPE_S3_SECRET_KEY=do-not-leak-0123456789"

// TestWorkerIsSandboxed reads, from /proc, what a real worker of a pool
// may do while it is alive, after it has processed a file.
func TestWorkerIsSandboxed(t *testing.T) {
	k, v, _ := strings.Cut(secret, "=")
	t.Setenv(k, v)
	t.Setenv("RATSMAPPE_OIDC_CLIENT_SECRET", "oidc-do-not-leak")
	p := newPool(t, func(c *pdfworker.Config) { c.Workers = 1 })
	res, err := p.Ingest(context.Background(), writeFile(t, "hostile.pdf", hostilePDF()))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(res.RenditionPath)
	pid := workerPID(t)

	environ := readProc(t, pid, "environ")
	for _, s := range []string{"do-not-leak", "RATSMAPPE_S3", "OIDC", "HOME=", "PATH="} {
		if strings.Contains(environ, s) {
			t.Errorf("worker environment contains %q: %q", s, environ)
		}
	}
	status := readProc(t, pid, "status")
	for _, want := range []string{"NoNewPrivs:\t1", "Seccomp:\t2"} {
		if !strings.Contains(status, want+"\n") {
			t.Errorf("worker status lacks %q:\n%s", want, status)
		}
	}
	limits := readProc(t, pid, "limits")
	for _, want := range []string{"Max core file size        0", "Max open files            256", "Max file size             4294967296"} {
		if !strings.Contains(limits, want) {
			t.Errorf("worker limits lack %q:\n%s", want, limits)
		}
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the worker keeps the test's user and network namespace")
		return
	}
	if uid := statusField(status, "Uid"); uid == "" || strings.Fields(uid)[0] == "0" {
		t.Errorf("worker runs as uid %q", uid)
	}
	if gid := statusField(status, "Groups"); gid != "" {
		t.Errorf("worker has supplementary groups %q", gid)
	}
	for _, c := range []string{"CapInh", "CapPrm", "CapEff", "CapAmb"} {
		if got := statusField(status, c); strings.Trim(got, "0") != "" {
			t.Errorf("worker %s = %s, want none", c, got)
		}
	}
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err != nil || theirs == own {
		t.Errorf("worker network namespace %q (%v), the test's %q", theirs, err, own)
	}
	if got := statusField(readProc(t, pid, "limits"), "Max processes"); got != "" {
		t.Log(got)
	}
}

// workerPID returns the pid of this test's one worker process.
func workerPID(t *testing.T) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var found []int
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		b, err := os.ReadFile(d + "/status")
		if err != nil || statusField(string(b), "PPid") != strconv.Itoa(os.Getpid()) {
			continue
		}
		if exe, _ := os.Readlink(d + "/exe"); exe == workerBinary {
			found = append(found, pid)
		}
	}
	if len(found) != 1 {
		t.Fatalf("found %d worker processes, want 1", len(found))
	}
	return found[0]
}

func readProc(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// statusField returns the value of a "Name:\tvalue" line.
func statusField(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func init() { probeSandbox = probe }

// probe runs in a child of the test: it confines itself exactly as a
// worker does, with its current directory as the worker's directory and
// the directory in probeEnv as the cache, and reports what it can still
// do, one line per attempt.
func probe(cache string) {
	err := func() error {
		if _, err := pdfworker.EnforceSandbox(pdfworker.ServeConfig{CacheDir: cache}); err != nil {
			return err
		}
		try := func(what string, err error) { fmt.Printf("%s: %v\n", what, errName(err)) }
		_, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		try("inet socket", err)
		_, err = syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		try("unix socket", err)
		_, err = os.ReadFile("/etc/hostname")
		try("read /etc/hostname", err)
		_, err = os.ReadFile("/proc/1/environ")
		try("read /proc/1/environ", err)
		try("write own directory", os.WriteFile("out.pdf", []byte("%PDF-"), 0o600))
		_, err = os.ReadFile(filepath.Join(cache, "compiled"))
		try("read cache", err)
		try("write cache", os.WriteFile(filepath.Join(cache, "planted"), nil, 0o600))
		try("unshare user namespace", syscall.Unshare(syscall.CLONE_NEWUSER))
		return nil
	}()
	if err != nil {
		fmt.Println("sandbox:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func errName(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return errno.Error()
	}
	return err.Error()
}

// TestSandboxDenies confines a probe process as a worker is confined and
// checks what it may still do: its own directory and a read-only cache,
// but no socket, no file elsewhere, no new namespace.
func TestSandboxDenies(t *testing.T) {
	own, cache := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(cache, "compiled"), []byte("code"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := execProbe(t, cache)
	cmd.Dir = own
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, out)
	}
	want := map[string]string{
		"inet socket":            "operation not permitted",
		"unix socket":            "operation not permitted",
		"unshare user namespace": "operation not permitted",
		"write own directory":    "ok",
		"read cache":             "ok",
	}
	if landlockABI(t) > 0 {
		want["read /etc/hostname"] = "permission denied"
		want["read /proc/1/environ"] = "permission denied"
		want["write cache"] = "permission denied"
	} else {
		t.Log("no Landlock in this kernel: files are not confined")
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		got[k] = v
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

func execProbe(t *testing.T, cache string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{probeEnv + "=" + cache}
	return cmd
}

// landlockABI returns the kernel's Landlock ABI version, 0 without it.
func landlockABI(t *testing.T) int {
	t.Helper()
	const createRulesetVersion = 1
	v, _, errno := syscall.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, createRulesetVersion)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// The workers' user need not reach the binary by its path (go run builds
// it below a directory only root may enter): the pool starts workers from
// a descriptor of it. A binary the workers' user may not execute at all is
// refused with an error that names that user and the flag to choose
// another.
func TestWorkerUserCannotRunBinary(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("workers change user only when the pool runs as root")
	}
	private := t.TempDir() // 0700: nobody cannot enter it
	src, err := os.ReadFile(workerBinary)
	if err != nil {
		t.Fatal(err)
	}
	reachable := filepath.Join(private, "worker")
	if err := os.WriteFile(reachable, src, 0o755); err != nil {
		t.Fatal(err)
	}
	p := newPool(t, func(c *pdfworker.Config) { c.Command = []string{reachable, "-test.run=^$"} })
	if _, err := p.Ingest(context.Background(), writeFile(t, "hostile.pdf", hostilePDF())); err != nil {
		t.Fatalf("a binary below a directory nobody cannot enter: %v", err)
	}

	rootOnly := filepath.Join(private, "root-only")
	if err := os.WriteFile(rootOnly, src, 0o700); err != nil {
		t.Fatal(err)
	}
	p = newPool(t, func(c *pdfworker.Config) { c.Command = []string{rootOnly, "-test.run=^$"} })
	_, err = p.Ingest(context.Background(), writeFile(t, "hostile.pdf", hostilePDF()))
	if err == nil || !strings.Contains(err.Error(), "run as nobody, who must be able to run "+rootOnly) {
		t.Fatalf("got %v, want the worker user named", err)
	}
}
