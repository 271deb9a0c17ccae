// Package pdfworker ingests untrusted PDFs in sandboxed child processes.
//
// A Pool keeps a few long-lived worker processes — the same binary, run as
// `ratsmappe pdf-worker`, which calls Serve — and sends each one file at a
// time over a pipe. The parent enforces the limits from outside, where a
// hostile file cannot interfere: a wall-clock deadline per file, a cap on
// the worker's resident memory (a watchdog reads /proc/PID/status while the
// file is processed), and a maximum input size checked before the file is
// handed over. A worker that overruns is killed with SIGKILL; one that dies
// (panic, stack overflow, out of memory) is replaced; either way only its
// current file fails, with a typed documents.Rejection.
//
// Inside the worker (see Serve), the PDF is opened with PDFium compiled to
// WebAssembly (go-pdfium on wazero, no cgo, no file system mounted), parsed
// and validated by pdfcpu in relaxed mode with lowered resource limits,
// repaired by re-saving through PDFium if pdfcpu cannot read it, stripped
// of active content and rewritten; the text and size of every page are then
// read back from the rewritten file with PDFium, and pages without text but
// with content are OCRed with tesseract when it is installed.
//
// Encryption: a file that needs a password to open is refused (encrypted).
// A file encrypted only against changes or printing (it opens with the
// empty password) is accepted; its rendition is written without
// encryption, since a council's published documents are meant to be read.
package pdfworker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
)

// Config configures a Pool.
type Config struct {
	// Command is the argv that starts a worker, e.g.
	// {"/usr/bin/ratsmappe", "pdf-worker"}. The worker must call Serve.
	Command []string
	// Env is added to the worker's environment.
	Env []string
	// Workers is the number of worker processes; 0 means one per CPU,
	// at most 4.
	Workers int
	// Deadline is the wall-clock limit per file; default 60 s.
	Deadline time.Duration
	// MemoryLimit caps a worker's resident memory in bytes; default 1 GiB.
	MemoryLimit int64
	// MaxInputSize is the largest file accepted, in bytes; default 200 MB.
	MaxInputSize int64
	// CacheDir keeps PDFium's compiled WebAssembly between runs; required
	// for fast start-up (without it every worker compiles for seconds).
	CacheDir string
	// TempDir is where renditions are written; default os.TempDir().
	TempDir string
	// OCR enables OCR of pages without text, if tesseract is installed.
	OCR bool
	// Logger receives the workers' own log lines; default slog.Default().
	Logger *slog.Logger
}

// Stats counts what a Pool did.
type Stats struct {
	Files    map[string]int // by result: "accepted" or a rejection code
	Started  int            // worker processes started
	Killed   int            // workers killed for a deadline or the memory cap
	Crashed  int            // workers that died on their own
	PeakRSS  int64          // highest resident memory of any worker, bytes
	MaxInput int64
}

// Pool is a set of PDF worker processes. It implements documents.Ingester
// and is safe for concurrent use.
type Pool struct {
	cfg  Config
	log  *slog.Logger
	slot chan struct{} // one token per worker that may run
	idle chan *worker

	mu     sync.Mutex
	stats  Stats
	closed bool
	all    map[*worker]struct{}
	nextID atomic.Uint64
}

var _ documents.Ingester = (*Pool)(nil)

// New returns a pool. Workers start on first use.
func New(cfg Config) (*Pool, error) {
	if len(cfg.Command) == 0 {
		return nil, errors.New("pdfworker: no worker command")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = min(runtime.NumCPU(), 4)
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 60 * time.Second
	}
	if cfg.MemoryLimit <= 0 {
		cfg.MemoryLimit = 1 << 30
	}
	if cfg.MaxInputSize <= 0 {
		cfg.MaxInputSize = 200 * 1000 * 1000
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if err := os.MkdirAll(cfg.TempDir, 0o750); err != nil {
		return nil, fmt.Errorf("pdfworker: temp dir: %w", err)
	}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o750); err != nil {
			return nil, fmt.Errorf("pdfworker: cache dir: %w", err)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Pool{
		cfg:  cfg,
		log:  cfg.Logger,
		slot: make(chan struct{}, cfg.Workers),
		idle: make(chan *worker, cfg.Workers),
		all:  map[*worker]struct{}{},
	}
	p.stats.Files = map[string]int{}
	return p, nil
}

// Workers returns the number of worker processes the pool runs at most.
func (p *Pool) Workers() int { return p.cfg.Workers }

// Stats returns a copy of the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Files = make(map[string]int, len(p.stats.Files))
	for k, v := range p.stats.Files {
		s.Files[k] = v
	}
	return s
}

func (p *Pool) count(result string) {
	p.mu.Lock()
	p.stats.Files[result]++
	p.mu.Unlock()
}

// Ingest implements documents.Ingester.
func (p *Pool) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	res, err := p.ingest(ctx, path)
	var rej *documents.Rejection
	switch {
	case err == nil:
		p.count("accepted")
	case errors.As(err, &rej):
		p.count(rej.Code)
	default:
		p.count("error")
	}
	return res, err
}

func (p *Pool) ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("ingest %s: not a regular file", path)
	}
	if st.Size() == 0 {
		return nil, documents.Reject(documents.RejectEmpty, nil)
	}
	if st.Size() > p.cfg.MaxInputSize {
		return nil, documents.Reject(documents.RejectTooLarge,
			fmt.Errorf("%d bytes, limit %d", st.Size(), p.cfg.MaxInputSize))
	}
	if err := checkMagic(path); err != nil {
		return nil, err
	}

	select {
	case p.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slot }()

	var w *worker
	select {
	case w = <-p.idle:
	default:
		if w, err = p.start(); err != nil {
			return nil, err
		}
	}

	out, err := os.CreateTemp(p.cfg.TempDir, "rendition-*.pdf")
	if err != nil {
		p.release(w)
		return nil, fmt.Errorf("ingest: %w", err)
	}
	out.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(out.Name())
		}
	}()

	j := job{ID: p.nextID.Add(1), Input: path, Output: out.Name(), OCR: p.cfg.OCR}
	r, err := p.run(ctx, w, j)
	if err != nil {
		return nil, err
	}
	if r.Code != "" {
		return nil, documents.Reject(r.Code, errors.New(r.Detail))
	}
	ok = true
	return &documents.Ingested{RenditionPath: out.Name(), Pages: r.Pages, Sanitized: r.Sanitized, Repaired: r.Repaired}, nil
}

// checkMagic refuses files that do not begin like a PDF: "%PDF-" within
// the first 1024 bytes, as readers accept.
func checkMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	if !strings.Contains(string(head[:n]), "%PDF-") {
		return documents.Reject(documents.RejectNotPDF, nil)
	}
	return nil
}

// run sends j to w and waits for the reply under the deadline and the
// memory cap. A worker that fails any of them is killed and not reused.
func (p *Pool) run(ctx context.Context, w *worker, j job) (reply, error) {
	if err := w.send(j); err != nil {
		p.discard(w, "crashed")
		return reply{}, documents.Reject(documents.RejectCrashed, fmt.Errorf("send job: %w", err))
	}
	deadline := time.NewTimer(p.cfg.Deadline)
	defer deadline.Stop()
	watch := time.NewTicker(25 * time.Millisecond)
	defer watch.Stop()
	for {
		select {
		case r, ok := <-w.replies:
			if !ok {
				p.discard(w, "crashed")
				return reply{}, documents.Reject(documents.RejectCrashed, fmt.Errorf("worker exited: %s", w.exitStatus()))
			}
			if r.ID != j.ID {
				p.discard(w, "crashed")
				return reply{}, fmt.Errorf("pdfworker: reply %d to job %d", r.ID, j.ID)
			}
			p.notePeak(w.peakRSS())
			p.release(w)
			return r, nil
		case <-deadline.C:
			p.discard(w, "killed")
			return reply{}, documents.Reject(documents.RejectTimeout, fmt.Errorf("over %v", p.cfg.Deadline))
		case <-watch.C:
			rss := w.rss()
			p.notePeak(rss)
			if rss > p.cfg.MemoryLimit {
				p.discard(w, "killed")
				return reply{}, documents.Reject(documents.RejectResourceLimit,
					fmt.Errorf("resident memory %d MiB over the cap of %d MiB", rss>>20, p.cfg.MemoryLimit>>20))
			}
		case <-ctx.Done():
			p.discard(w, "killed")
			return reply{}, ctx.Err()
		}
	}
}

func (p *Pool) notePeak(rss int64) {
	p.mu.Lock()
	if rss > p.stats.PeakRSS {
		p.stats.PeakRSS = rss
	}
	p.mu.Unlock()
}

// release returns a healthy worker to the idle list.
func (p *Pool) release(w *worker) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		w.kill()
		return
	}
	select {
	case p.idle <- w:
	default:
		w.kill()
	}
}

// discard kills w for good; why is "killed" or "crashed" for the stats.
func (p *Pool) discard(w *worker, why string) {
	w.kill()
	p.mu.Lock()
	delete(p.all, w)
	if why == "killed" {
		p.stats.Killed++
	} else {
		p.stats.Crashed++
	}
	p.mu.Unlock()
	p.log.Warn("pdf worker "+why, "pid", w.pid(), "status", w.exitStatus())
}

// Close kills every worker. Ingest calls after Close fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	ws := make([]*worker, 0, len(p.all))
	for w := range p.all {
		ws = append(ws, w)
	}
	p.all = map[*worker]struct{}{}
	p.mu.Unlock()
	for _, w := range ws {
		w.kill()
	}
	return nil
}

// worker is one child process.
type worker struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan reply
	done    chan struct{} // closed when the process has been waited for
	waitErr error
	once    sync.Once
}

func (p *Pool) start() (*worker, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("pdfworker: pool closed")
	}
	p.mu.Unlock()
	cmd := exec.Command(p.cfg.Command[0], p.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), p.cfg.Env...)
	cmd.Env = append(cmd.Env,
		"RATSMAPPE_PDF_WORKER_CACHE="+p.cfg.CacheDir,
		"RATSMAPPE_PDF_WORKER_MEMORY="+strconv.FormatInt(p.cfg.MemoryLimit, 10),
	)
	// The worker dies with its parent, even on SIGKILL of the parent.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pdfworker: start %s: %w", p.cfg.Command[0], err)
	}
	w := &worker{cmd: cmd, stdin: stdin, replies: make(chan reply, 1), done: make(chan struct{})}
	go func() {
		defer close(w.replies)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 256<<20)
		for sc.Scan() {
			var r reply
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				p.log.Error("pdf worker: bad reply", "err", err)
				return
			}
			w.replies <- r
		}
	}()
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		n := 0
		for sc.Scan() {
			// A hostile file can make a parser print a lot; keep the
			// first lines of each worker, which say what went wrong.
			if n++; n <= 200 {
				p.log.Debug("pdf worker", "pid", cmd.Process.Pid, "line", sc.Text())
			}
		}
	}()
	go func() {
		w.waitErr = cmd.Wait()
		close(w.done)
	}()
	p.mu.Lock()
	p.all[w] = struct{}{}
	p.stats.Started++
	p.mu.Unlock()
	return w, nil
}

func (w *worker) send(j job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = w.stdin.Write(append(b, '\n'))
	return err
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

func (w *worker) kill() {
	w.once.Do(func() {
		w.stdin.Close()
		// The whole process group: tesseract too, if it runs.
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
		w.cmd.Process.Kill()
	})
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
	}
}

func (w *worker) exitStatus() string {
	select {
	case <-w.done:
		if w.waitErr == nil {
			return "exit 0"
		}
		return w.waitErr.Error()
	case <-time.After(200 * time.Millisecond):
		return "running"
	}
}

// rss returns the worker's current resident memory in bytes, 0 if unknown.
func (w *worker) rss() int64 { return procStatus(w.cmd.Process.Pid, "VmRSS:") }

// peakRSS returns the highest resident memory the worker has had.
func (w *worker) peakRSS() int64 { return procStatus(w.cmd.Process.Pid, "VmHWM:") }

func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line[len(field):])
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
