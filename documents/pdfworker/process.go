package pdfworker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// worker is one child process, seen from the parent.
type worker struct {
	cmd     *exec.Cmd
	pid     int
	dir     string   // the worker's own directory: its inputs and renditions
	root    *os.Root // dir, opened so that no link in it leads out
	stdin   io.WriteCloser
	replies chan reply    // closed when stdout ends (the process exited) or is garbled
	done    chan struct{} // closed when the process has been waited for
	waitErr error
	once    sync.Once
	lastRSS int64 // last resident size read, bytes

	mu   sync.Mutex
	tail []string // the last raw (non-JSON) stderr lines: a panic's message
}

const (
	maxRawLines  = 200 // raw stderr lines forwarded per worker
	maxLineBytes = 16 << 10
	tailLines    = 8
)

// startWorker starts argv with exactly env as its environment, started
// as attr says, with extra as its descriptors 3, 4, …, which it closes
// in the parent. dir is the worker's directory, removed when it exits.
func startWorker(argv, env []string, attr *syscall.SysProcAttr, dir string, extra []*os.File, log *slog.Logger) (*worker, error) {
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.SysProcAttr = attr
	cmd.ExtraFiles = extra
	// Plain pipes (*os.File), so that exec starts no copying goroutines
	// and Wait does not wait for the readers below.
	inR, inW, err := os.Pipe()
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		root.Close()
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		root.Close()
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		root.Close()
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("pdfworker: start %s: %w", argv[0], err)
	}
	w := &worker{
		cmd:     cmd,
		pid:     cmd.Process.Pid,
		dir:     dir,
		root:    root,
		stdin:   inW,
		replies: make(chan reply, 1),
		done:    make(chan struct{}),
	}
	go w.readReplies(outR, log)
	go w.forwardLog(errR, log)
	go func() {
		w.waitErr = cmd.Wait()
		// Whatever the worker left behind. (RemoveAll follows no
		// symbolic link the worker may have planted.)
		root.Close()
		os.RemoveAll(dir)
		close(w.done)
	}()
	return w, nil
}

// readReplies decodes the worker's stdout into w.replies.
func (w *worker) readReplies(r io.ReadCloser, log *slog.Logger) {
	defer close(w.replies)
	defer r.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	for {
		var rep reply
		if err := dec.Decode(&rep); err != nil {
			if err != io.EOF {
				log.Error("pdf worker: bad reply", "pid", w.pid, "err", err)
				// A garbled channel is a broken worker.
				syscall.Kill(-w.pid, syscall.SIGKILL)
			}
			return
		}
		w.replies <- rep
	}
}

// forwardLog passes the worker's stderr to log: its JSON records with
// their level, other lines (a Go panic, PDFium's own output) as warnings,
// at most maxRawLines of those per worker. It drains stderr to the end,
// so that the worker never blocks on writing it.
func (w *worker) forwardLog(r io.ReadCloser, log *slog.Logger) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	raw := 0
	for {
		line, err := readLine(br, maxLineBytes)
		if len(line) > 0 {
			if rec, ok := parseRecord(line); ok {
				log.LogAttrs(context.Background(), rec.level, "pdf worker: "+rec.msg,
					append(rec.attrs, slog.Int("pid", w.pid))...)
			} else {
				w.mu.Lock()
				w.tail = append(w.tail, string(line))
				if len(w.tail) > tailLines {
					w.tail = w.tail[1:]
				}
				w.mu.Unlock()
				if raw++; raw <= maxRawLines {
					log.Warn("pdf worker: "+string(line), "pid", w.pid)
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// readLine returns the next line without its end, cut to max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if len(line) < max {
			line = append(line, chunk[:min(len(chunk), max-len(line))]...)
		}
		if err != nil || !isPrefix {
			return line, err
		}
	}
}

type record struct {
	level slog.Level
	msg   string
	attrs []slog.Attr
}

// parseRecord reads a JSON record written by slog.JSONHandler.
func parseRecord(line []byte) (record, bool) {
	if len(line) == 0 || line[0] != '{' {
		return record{}, false
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		return record{}, false
	}
	msg, ok := m["msg"].(string)
	if !ok {
		return record{}, false
	}
	var rec record
	rec.msg = msg
	if lv, ok := m["level"].(string); ok {
		rec.level.UnmarshalText([]byte(lv))
	}
	for k, v := range m {
		switch k {
		case "time", "level", "msg":
			continue
		}
		rec.attrs = append(rec.attrs, slog.Any(k, v))
	}
	return rec, true
}

// lastWords returns the worker's last raw stderr lines, for the cause of
// a crash.
func (w *worker) lastWords() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.tail) == 0 {
		return ""
	}
	return "; stderr: " + strings.Join(w.tail, " | ")
}

func (w *worker) send(j job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = w.stdin.Write(append(b, '\n'))
	return err
}

// exited reports whether the process has ended.
func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// kill ends the worker's process group and waits for the worker.
func (w *worker) kill() {
	w.once.Do(func() {
		w.stdin.Close()
		// The whole process group: tesseract too, if it runs.
		syscall.Kill(-w.pid, syscall.SIGKILL)
		w.cmd.Process.Kill()
	})
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
	}
}

// exitStatus describes how the worker ended, waiting briefly for it.
func (w *worker) exitStatus() string {
	select {
	case <-w.done:
		if w.waitErr == nil {
			return "exit 0"
		}
		return w.waitErr.Error()
	case <-time.After(time.Second):
		return "running"
	}
}

var pageSize = int64(os.Getpagesize())

// rss returns the worker's resident memory in bytes, 0 if unknown. It
// reads /proc/PID/statm, the cheapest source, every watchInterval.
func (w *worker) rss() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(w.pid) + "/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	w.lastRSS = pages * pageSize
	return w.lastRSS
}

// peakRSS returns the highest resident memory the worker has had.
func (w *worker) peakRSS() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(w.pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(rest); len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// stage copies the file at path into the worker's directory for job j
// and sets j's paths, which are relative to that directory. id, if not
// nil, gets the copy.
func (w *worker) stage(path string, j *job, id *identity) error {
	j.Input = fmt.Sprintf("in-%d.pdf", j.ID)
	j.Output = fmt.Sprintf("out-%d.pdf", j.ID)
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer src.Close()
	// O_EXCL: never write through whatever the worker may have put there.
	dst, err := w.root.OpenFile(j.Input, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("ingest: stage input: %w", err)
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = id.fchown(dst)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ingest: stage input: %w", err)
	}
	return nil
}

// collect copies the rendition of job j out of the worker's directory
// into the file at dst, which the worker cannot reach. Anything but a
// plain file of the worker's own (a link to elsewhere, say) is refused.
func (w *worker) collect(j job, dst string) error {
	f, err := w.root.OpenFile(j.Output, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return err
	} else if !loneFile(st) {
		return fmt.Errorf("%s is not a plain file (%v)", j.Output, st.Mode())
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, f); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// unstage removes job j's files from the worker's directory, before the
// worker takes another file: a worker that a later file takes over finds
// nothing of this one.
func (w *worker) unstage(j job) {
	if j.Input != "" {
		w.root.Remove(j.Input)
	}
	if j.Output != "" {
		w.root.Remove(j.Output)
	}
}

// loneFile reports whether st is a regular file with no other name: not
// a hard link to a file elsewhere.
func loneFile(st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return st.Mode().IsRegular() && ok && sys.Nlink == 1
}
