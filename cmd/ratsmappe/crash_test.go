package main_test

import (
	"bufio"
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A process killed between writing the blobs and committing the metadata
// leaves no version, only unreferenced blobs, which the sweeper removes; a
// process killed right after the commit leaves a complete version.
func TestCrashAtUploadPoints(t *testing.T) {
	files := corpus(t)
	for _, tc := range []struct {
		point    string
		versions int
	}{
		{"blobs-written", 0},
		{"committed", 1},
	} {
		t.Run(tc.point, func(t *testing.T) {
			c := newCLI(t)
			c.env = []string{"RATSMAPPE_TEST_CRASHPOINT=" + tc.point}
			cmd := c.command(context.Background(), "doc", "add", "--json", files[4])
			out, err := cmd.Output()
			if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("want the process killed at %s, got %v, output %s", tc.point, err, out)
			}
			c.env = nil
			if got, want := checkConsistent(t, c.data), tc.versions; got != want {
				t.Errorf("versions after the crash = %d, want %d", got, want)
			}
			if tc.versions == 0 {
				// The orphaned blobs go at the first sweep past the grace period.
				if out := c.run("gc", "--grace", "0s"); !strings.Contains(out, "2 nicht referenzierte entfernt") {
					t.Errorf("gc: %s", out)
				}
			} else if out := c.run("gc", "--grace", "0s"); !strings.Contains(out, "0 nicht referenzierte entfernt") {
				t.Errorf("gc removed referenced blobs: %s", out)
			}
			checkConsistent(t, c.data)
		})
	}
}

// SIGKILL at random moments of a run of uploads: after each kill the data
// directory holds only complete versions, and the next run works.
func TestKillDuringUploads(t *testing.T) {
	files := corpus(t)
	c := newCLI(t)
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 12
	if testing.Short() {
		kills = 4
	}
	for i := 0; i < kills; i++ {
		batch := []string{"doc", "add", "--json"}
		for j := 0; j < 4; j++ {
			batch = append(batch, files[rng.IntN(len(files))])
		}
		cmd := c.command(context.Background(), batch...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		killWorkers(cmd.Process.Pid)
		checkConsistent(t, c.data)
	}
	before := checkConsistent(t, c.data)
	lines := parseLines(t, c.run("doc", "add", "--json", files[0]))
	if len(lines) != 1 || lines[0].Status != "accepted" {
		t.Fatalf("upload after the kills: %+v", lines)
	}
	if got, want := checkConsistent(t, c.data), before+1; got != want {
		t.Errorf("versions = %d, want %d", got, want)
	}
	t.Logf("%d kills, %d complete versions survived, none half-written", kills, before)
}

// Killing a PDF worker in the middle of its file fails only that file; the
// others of the same run are accepted and the CLI exits normally.
func TestKillWorker(t *testing.T) {
	files := corpus(t)
	c := newCLI(t)
	args := append([]string{"doc", "add", "--json", "--pdf-workers", "1"}, files[:6]...)
	cmd := c.command(context.Background(), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	results := func() int {
		mu.Lock()
		defer mu.Unlock()
		return strings.Count(out.String(), "\n")
	}
	killed := false
	deadline := time.Now().Add(60 * time.Second)
	finished := make(chan struct{})
	go func() { <-done; close(finished) }()
	for !killed && time.Now().Before(deadline) && !closed(finished) {
		// Once a file is stored the worker is past its start and busy
		// with the next one: kill it in the middle of that file. (Stored,
		// not printed: results print in input order, and the CLI takes
		// the biggest files first.)
		if results() >= 1 || storedBlobs(filepath.Join(c.data, "blobs")) >= 1 {
			for _, pid := range children(cmd.Process.Pid) {
				if strings.Contains(cmdline(pid), "pdf-worker") && busy(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					killed = true
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	<-done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("doc add exited with %v after a worker was killed; output:\n%s", err, out.String())
	}
	if !killed {
		t.Fatal("never saw a busy pdf-worker to kill")
	}
	lines := parseLines(t, out.String())
	if got, want := len(lines), 6; got != want {
		t.Fatalf("%d result lines, want %d", got, want)
	}
	accepted, crashed := 0, 0
	for _, l := range lines {
		switch {
		case l.Status == "accepted":
			accepted++
		case l.Code == "parser_crashed":
			crashed++
		default:
			t.Errorf("unexpected result %+v", l)
		}
	}
	if crashed > 1 || accepted < 5 {
		t.Errorf("accepted %d, crashed %d: want only the killed worker's file to fail", accepted, crashed)
	}
	if got, want := checkConsistent(t, c.data), accepted; got != want {
		t.Errorf("versions = %d, want %d", got, want)
	}
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(filepath.Join("/proc", itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			out = append(out, atoi(s))
		}
	}
	return out
}

func killWorkers(parent int) {
	// The parent is gone; its workers notice their closed stdin and exit.
	// Give them a moment so that they do not pile up across iterations.
	time.Sleep(50 * time.Millisecond)
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", itoa(pid), "cmdline"))
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// busy reports whether any thread of the process is running right now
// (state R); a Go program's main thread may sleep while others work.
func busy(pid int) bool {
	stats, _ := filepath.Glob(filepath.Join("/proc", itoa(pid), "task", "*", "stat"))
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 && len(s) > i+2 && s[i+2] == 'R' {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }

// storedBlobs counts the files a directory blob store under dir holds
// (named by their 64-hex-digit SHA-256; temporary files are not).
func storedBlobs(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && len(d.Name()) == 64 {
			n++
		}
		return nil
	})
	return n
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
