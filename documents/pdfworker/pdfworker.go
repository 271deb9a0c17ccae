package pdfworker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
)

// Config configures a Pool. Zero values mean the defaults.
type Config struct {
	// Command is the argv that starts a worker, e.g.
	// {"/usr/bin/ratsmappe", "pdf-worker"}. The worker must call Serve
	// with ServeConfigFromEnv.
	Command []string
	// Env is added to the worker's environment. Nothing else of the
	// parent's environment is passed but a few settings of the Go runtime
	// and tesseract (GOMAXPROCS, GODEBUG, GOTRACEBACK, TESSDATA_PREFIX),
	// so that the parent's secrets are out of a worker's reach.
	Env []string
	// User is the account workers run as when the pool's process runs as
	// root: a user name or "uid[:gid]"; default "nobody". "root" keeps
	// root (not recommended). Ignored when the pool does not run as root.
	User string
	// Workers is the number of worker processes; default one per CPU, at
	// most 4 (what --pdf-workers 0 promises).
	Workers int
	// TextInstances is how many PDFium instances read one file's text
	// at once when no other file is being processed (a lone upload, the
	// last file of a folder), so that it uses the idle cores; default the
	// number of CPUs, at most 2; 1 reads with one. Only files of 16 pages
	// or more and at most 32 MB are read so.
	TextInstances int
	// Deadline is the wall-clock limit per file, from the moment a worker
	// takes it; default 60 s.
	Deadline time.Duration
	// MemoryLimit caps a worker's resident memory in bytes; default 1 GiB.
	// A worker idles at about 60 MB and needs about 350 MB while it
	// compiles PDFium into an empty CacheDir; half of the cap is the limit
	// of PDFium's own memory, and a worker left above half of it after a
	// file is replaced.
	MemoryLimit int64
	// MaxInputSize is the largest file accepted, in bytes; default 200 MB.
	MaxInputSize int64
	// MaxPages is the most pages a file may have; default 10,000. It is
	// checked from the page tree right after the file opens, before
	// anything else is parsed.
	MaxPages int
	// MaxImagePixels is the most pixels (width × height) one image may
	// claim; default 200 megapixels.
	MaxImagePixels int64
	// MaxDecodedBytes is the most bytes that a file's compressed streams
	// other than images (page contents, fonts, object streams) may
	// decompress to, all together; default 512 MB. Images are bounded by
	// MaxImagePixels instead.
	MaxDecodedBytes int64
	// CacheDir keeps PDFium's compiled WebAssembly between runs (see
	// DefaultCacheDir). Without it every worker compiles PDFium at start
	// (seconds of CPU); with it, the first worker on a machine does and
	// the rest load it in ~0.1 s. Workers that run as another user use
	// its subdirectory "uid-<uid>", which belongs to that user.
	CacheDir string
	// PruneCaches removes, beside CacheDir, the compilation caches of
	// other versions (pdfium-* directories) that no pool has used for
	// cacheKept (see pruneCaches). Only for a CacheDir from
	// DefaultCacheDir, whose siblings are Ratsmappe's own.
	PruneCaches bool
	// TempDir is where renditions are written and where each worker gets
	// a directory of its own; default os.TempDir().
	TempDir string
	// OCR enables OCR of pages without text, if tesseract is installed;
	// if it is not, New logs once that OCR is off.
	OCR bool
	// Logger receives the pool's and the workers' log records; default
	// slog.Default().
	Logger *slog.Logger
}

// Stats counts what a Pool did.
type Stats struct {
	Files    map[string]int // by result: "accepted", a rejection code, or "error"
	Started  int            // worker processes started
	Restarts int            // of those, started to replace a worker that was killed, died or retired
	Killed   int            // workers killed for the deadline, the memory cap or a cancelled context
	Crashed  int            // workers that died on their own while working on a file
	Retired  int            // workers replaced after a file left them big or in doubt
	OCRPages int            // pages whose text came from OCR
	PeakRSS  int64          // highest resident memory of any worker, in bytes
}

// ErrClosed is returned by Ingest after Close.
var ErrClosed = errors.New("pdfworker: pool closed")

const (
	// startTimeout bounds a worker's start, which without a warm cache
	// includes compiling PDFium.
	startTimeout = 2 * time.Minute
	// watchInterval is how often a busy worker's memory is read.
	watchInterval = 25 * time.Millisecond
)

// Pool is a set of PDF worker processes. It implements documents.Ingester
// and is safe for concurrent use.
type Pool struct {
	cfg       Config
	log       *slog.Logger
	tesseract string // "" = OCR off
	ocrLang   string
	id        *identity     // the workers' user; nil: the pool's own
	newNet    atomic.Bool   // workers get a network namespace of their own
	workDir   string        // the workers' directories are in here
	cacheDir  string        // the workers' compilation cache
	slot      chan struct{} // one token per worker that may run
	idle      chan *worker

	// warming is closed when the workers Prestart started are idle (or
	// failed); a file that finds no idle worker meanwhile waits for them
	// rather than starting one more.
	warming chan struct{}

	mu      sync.Mutex
	stats   Stats
	replace int // workers lost and not yet replaced, for Stats.Restarts
	closed  bool
	all     map[*worker]struct{}
	nextID  atomic.Uint64
}

var _ documents.Ingester = (*Pool)(nil)

// New returns a pool. Workers start on first use.
func New(cfg Config) (*Pool, error) {
	if len(cfg.Command) == 0 {
		return nil, errors.New("pdfworker: no worker command")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = min(4, runtime.NumCPU())
	}
	if cfg.TextInstances <= 0 {
		cfg.TextInstances = runtime.NumCPU()
	}
	cfg.TextInstances = min(cfg.TextInstances, maxParallel)
	if cfg.Deadline <= 0 {
		cfg.Deadline = 60 * time.Second
	}
	if cfg.MemoryLimit <= 0 {
		cfg.MemoryLimit = 1 << 30
	}
	if cfg.MaxInputSize <= 0 {
		cfg.MaxInputSize = 200 * 1000 * 1000
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 10_000
	}
	if cfg.MaxImagePixels <= 0 {
		cfg.MaxImagePixels = 200_000_000
	}
	if cfg.MaxDecodedBytes <= 0 {
		cfg.MaxDecodedBytes = 512_000_000
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if err := os.MkdirAll(cfg.TempDir, 0o750); err != nil {
		return nil, fmt.Errorf("pdfworker: temp dir: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default() // before pruneCaches, which logs
	}
	id, err := workerIdentity(cfg.User)
	if err != nil {
		return nil, err
	}
	cacheDir := cfg.CacheDir
	if cacheDir != "" {
		if id != nil {
			// The compilation must be writable by the workers' user,
			// and only by it: one per user, as the user's own would be.
			cacheDir = filepath.Join(cacheDir, fmt.Sprintf("uid-%d", id.uid))
		}
		if err := makeCacheDir(cacheDir, id); err != nil {
			return nil, fmt.Errorf("pdfworker: cache dir: %w", err)
		}
		if cfg.PruneCaches {
			pruneCaches(cfg.CacheDir, time.Now(), cfg.Logger)
		}
	}
	workDir, err := os.MkdirTemp(cfg.TempDir, "workers-")
	if err != nil {
		return nil, fmt.Errorf("pdfworker: temp dir: %w", err)
	}
	p := &Pool{
		cfg:      cfg,
		log:      cfg.Logger,
		id:       id,
		workDir:  workDir,
		cacheDir: cacheDir,
		slot:     make(chan struct{}, cfg.Workers),
		idle:     make(chan *worker, cfg.Workers),
		all:      map[*worker]struct{}{},
	}
	p.newNet.Store(canNewNet())
	warnWeakSandbox(p.log)
	p.stats.Files = map[string]int{}
	if cfg.OCR {
		p.tesseract, p.ocrLang = findTesseract(p.log)
	}
	return p, nil
}

// findTesseract returns tesseract's path and the language to use, or ""
// after logging that OCR is off.
func findTesseract(log *slog.Logger) (bin, lang string) {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		log.Warn("OCR is off: tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-deu)")
		return "", ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--list-langs").CombinedOutput()
	if err != nil {
		log.Warn("OCR is off: tesseract does not run", "err", err)
		return "", ""
	}
	langs := strings.Fields(string(out))
	switch {
	case contains(langs, "deu"):
		return bin, "deu"
	case contains(langs, "eng"):
		log.Warn("OCR without German: tesseract-ocr-deu is not installed")
		return bin, "eng"
	}
	log.Warn("OCR is off: tesseract has neither German nor English", "languages", langs)
	return "", ""
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Workers returns the number of worker processes the pool runs at most.
func (p *Pool) Workers() int { return p.cfg.Workers }

// OCR reports whether the pool OCRs pages without text.
func (p *Pool) OCR() bool { return p.tesseract != "" }

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

// Ingest implements documents.Ingester. Size, emptiness and the %PDF-
// header are checked here; everything that parses the file runs in a
// worker under the deadline and the memory cap. It returns ErrClosed after
// Close and ctx.Err() (killing the file's worker) if ctx ends first.
func (p *Pool) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	return p.IngestEarly(ctx, path, nil)
}

// IngestEarly implements documents.EarlyIngester: it is Ingest, and the
// rendition is copied out of the worker as soon as the worker has written
// and checked it, while the worker reads the text.
func (p *Pool) IngestEarly(ctx context.Context, path string, rendition func(path string)) (*documents.Ingested, error) {
	res, err := p.ingest(ctx, path, rendition)
	rej := documents.RejectionOf(err)
	p.mu.Lock()
	switch {
	case err == nil:
		p.stats.Files["accepted"]++
	case rej != nil:
		p.stats.Files[rej.Reason]++
	default:
		p.stats.Files["error"]++
	}
	p.mu.Unlock()
	return res, err
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *Pool) ingest(ctx context.Context, path string, rendition func(string)) (*documents.Ingested, error) {
	if p.isClosed() {
		return nil, ErrClosed
	}
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
	if err := documents.CheckHeader(path); err != nil {
		return nil, err
	}

	select {
	case p.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slot }()

	out, err := os.CreateTemp(p.cfg.TempDir, "rendition-*.pdf")
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	out.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(out.Name())
		}
	}()

	j := job{
		ID:       p.nextID.Add(1),
		Input:    path,
		Output:   out.Name(),
		OCR:      p.tesseract != "",
		BudgetMS: p.cfg.Deadline.Milliseconds(),

		MaxPages:        p.cfg.MaxPages,
		MaxImagePixels:  p.cfg.MaxImagePixels,
		MaxDecodedBytes: p.cfg.MaxDecodedBytes,
		Early:           rendition != nil,
	}
	if len(p.slot) == 1 {
		// Nothing else runs: the file's text may be read on the idle
		// cores too (a lone upload; the last file of a folder).
		j.Parallel = p.cfg.TextInstances
	}
	var r reply
	for attempt := 0; ; attempt++ {
		w, err := p.get(ctx)
		if err != nil {
			// A worker that dies while it starts (killed from outside,
			// say) is not the file's fault either: one more try.
			if attempt == 0 && !errors.Is(err, ErrClosed) && ctx.Err() == nil {
				p.log.Warn("pdf worker failed to start; trying another", "err", err)
				continue
			}
			return nil, err
		}
		if err := w.stage(path, &j, p.id); err != nil {
			w.unstage(j)
			p.release(w)
			return nil, err
		}
		var sent bool
		r, sent, err = p.run(ctx, w, j, out.Name(), rendition)
		switch {
		case !sent && attempt == 0:
			// The worker died before it got the file: not the file's
			// fault; a fresh worker tries it.
			continue
		case !sent:
			return nil, errors.New("pdfworker: two workers in a row died before taking the file")
		case err != nil:
			return nil, err
		}
		break
	}
	if r.Error != "" {
		return nil, fmt.Errorf("pdfworker: %s", r.Error)
	}
	if r.Code != "" {
		if r.Limit != "" {
			return nil, documents.RejectLimit(r.Limit, r.LimitMax, errors.New(r.Detail))
		}
		return nil, documents.Reject(r.Code, errors.New(r.Detail))
	}
	ok = true
	return &documents.Ingested{RenditionPath: out.Name(), Pages: r.Pages, Sanitized: r.Sanitized, Repaired: r.Repaired}, nil
}

// Prestart starts up to n workers (at most Workers) in the background, so
// that the first files do not wait for a worker's start (about 0.2 s of
// CPU with a warm compilation cache, seconds without). A server calls it
// once at start; a worker that fails to start is logged and the files
// start their own. Call it at most once, before the first Ingest.
func (p *Pool) Prestart(n int) {
	n = min(n, p.cfg.Workers)
	if n <= 0 {
		return
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.warming = done
	p.mu.Unlock()
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
				defer cancel()
				w, err := p.start(ctx)
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						p.log.Warn("pdf worker did not start ahead of the first file", "err", err)
					}
					return
				}
				p.release(w)
			}()
		}
		wg.Wait()
	}()
}

// get returns an idle worker that is still alive, or starts one. While
// Prestart's workers start, it waits for one of them instead.
func (p *Pool) get(ctx context.Context) (*worker, error) {
	p.mu.Lock()
	warming := p.warming
	p.mu.Unlock()
	for {
		var w *worker
		select {
		case w = <-p.idle:
		default:
			if warming == nil {
				return p.start(ctx)
			}
			select {
			case w = <-p.idle:
			case <-warming:
				warming = nil
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if w.exited() {
			p.lose(w, "died while idle")
			continue
		}
		return w, nil
	}
}

// run sends j to w and waits for the reply under the deadline and the
// memory cap. A worker that fails any of them is killed and not reused.
// sent is false if the worker could not even take the job. The rendition
// is copied to dst, and the job's files removed from the worker's
// directory, before the worker may take another file; with j.Early it is
// copied when the worker says it is written, once, and then handed to
// rendition.
func (p *Pool) run(ctx context.Context, w *worker, j job, dst string, rendition func(string)) (r reply, sent bool, err error) {
	if err := w.send(j); err != nil {
		p.lose(w, "died while idle")
		return reply{}, false, nil
	}
	deadline := time.NewTimer(p.cfg.Deadline)
	defer deadline.Stop()
	watch := time.NewTicker(watchInterval)
	defer watch.Stop()
	collected := false
	for {
		select {
		case r, ok := <-w.replies:
			if !ok {
				if p.isClosed() {
					return reply{}, true, ErrClosed
				}
				p.notePeak(w.lastRSS)
				p.discard(w, &p.stats.Crashed, "crashed")
				return reply{}, true, documents.Reject(documents.RejectCrashed,
					fmt.Errorf("worker exited: %s%s", w.exitStatus(), w.lastWords()))
			}
			if r.ID != j.ID {
				p.discard(w, &p.stats.Crashed, "crashed")
				return reply{}, true, documents.Reject(documents.RejectCrashed,
					fmt.Errorf("reply %d to job %d", r.ID, j.ID))
			}
			if r.Rendition {
				if !j.Early || collected {
					p.discard(w, &p.stats.Crashed, "crashed: unasked rendition")
					return reply{}, true, documents.Reject(documents.RejectCrashed, errors.New("an interim reply not asked for"))
				}
				// Copied now and never again: what is handed over is
				// what is kept, whatever the worker does next.
				if err := w.collect(j, dst); err != nil {
					p.discard(w, &p.stats.Crashed, "crashed: bad rendition")
					return reply{}, true, documents.Reject(documents.RejectCrashed,
						fmt.Errorf("rendition: %w", err))
				}
				collected = true
				if rendition != nil {
					rendition(dst)
				}
				continue
			}
			if r.Code == "" && r.Error == "" && !collected {
				if err := w.collect(j, dst); err != nil {
					// A sound worker writes a plain file or fails.
					p.discard(w, &p.stats.Crashed, "crashed: bad rendition")
					return reply{}, true, documents.Reject(documents.RejectCrashed,
						fmt.Errorf("rendition: %w", err))
				}
			}
			w.unstage(j)
			rss := w.rss()
			p.notePeak(max(w.peakRSS(), rss))
			p.mu.Lock()
			p.stats.OCRPages += r.OCRPages
			p.mu.Unlock()
			switch {
			case r.Retire:
				p.discard(w, &p.stats.Retired, "retired: engine in doubt")
			case rss > p.cfg.MemoryLimit/2:
				// WebAssembly memory never shrinks: a worker that
				// needed much for this file would start the next one
				// close to the cap.
				p.discard(w, &p.stats.Retired, fmt.Sprintf("retired: %d MiB resident", rss>>20))
			default:
				p.release(w)
			}
			return r, true, nil
		case <-deadline.C:
			p.discard(w, &p.stats.Killed, "killed: deadline")
			return reply{}, true, documents.Reject(documents.RejectTimeout, fmt.Errorf("over %v", p.cfg.Deadline))
		case <-watch.C:
			rss := w.rss()
			if rss > p.cfg.MemoryLimit {
				p.notePeak(rss)
				p.discard(w, &p.stats.Killed, "killed: memory cap")
				return reply{}, true, documents.Reject(documents.RejectResourceLimit,
					fmt.Errorf("resident memory %d MiB over the cap of %d MiB", rss>>20, p.cfg.MemoryLimit>>20))
			}
		case <-ctx.Done():
			p.discard(w, &p.stats.Killed, "killed: caller gave up")
			return reply{}, true, ctx.Err()
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
		p.discard(w, &p.stats.Retired, "retired: no room")
	}
}

// discard kills w for good and counts it in counter (a field of p.stats).
func (p *Pool) discard(w *worker, counter *int, why string) {
	w.kill()
	p.mu.Lock()
	delete(p.all, w)
	*counter++
	p.replace++
	p.mu.Unlock()
	if strings.HasPrefix(why, "retired") {
		p.log.Info("pdf worker "+why, "pid", w.pid)
	} else {
		p.log.Warn("pdf worker "+why, "pid", w.pid, "status", w.exitStatus())
	}
}

// lose forgets a worker that died between files; it costs no file.
func (p *Pool) lose(w *worker, why string) {
	w.kill()
	p.mu.Lock()
	delete(p.all, w)
	p.replace++
	p.mu.Unlock()
	p.log.Warn("pdf worker "+why, "pid", w.pid, "status", w.exitStatus())
}

// Close kills every worker and waits for them. Ingest calls after Close,
// and those still running, fail with ErrClosed. It is safe to call twice.
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
	os.RemoveAll(p.workDir)
	return nil
}

// start starts a worker and waits until its engine runs.
func (p *Pool) start(ctx context.Context) (*worker, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.mu.Unlock()
	w, err := p.startProcess()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.all[w] = struct{}{}
	p.stats.Started++
	if p.replace > 0 {
		p.replace--
		p.stats.Restarts++
	}
	closed := p.closed
	p.mu.Unlock()
	if closed {
		w.kill()
		return nil, ErrClosed
	}

	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	watch := time.NewTicker(watchInterval)
	defer watch.Stop()
	fail := func(err error) (*worker, error) {
		w.kill()
		p.mu.Lock()
		delete(p.all, w)
		p.mu.Unlock()
		return nil, err
	}
	for {
		select {
		case r, ok := <-w.replies:
			switch {
			case !ok:
				return fail(fmt.Errorf("pdfworker: worker exited at start: %s%s", w.exitStatus(), w.lastWords()))
			case r.Error != "":
				return fail(fmt.Errorf("pdfworker: worker could not start: %s", r.Error))
			case !r.Ready:
				return fail(fmt.Errorf("pdfworker: worker sent %+v at start", r))
			}
			p.notePeak(w.peakRSS())
			return w, nil
		case <-watch.C:
			if rss := w.rss(); rss > p.cfg.MemoryLimit {
				return fail(fmt.Errorf("pdfworker: worker needs %d MiB to start, over the cap of %d MiB", rss>>20, p.cfg.MemoryLimit>>20))
			}
		case <-timeout.C:
			return fail(fmt.Errorf("pdfworker: worker did not start within %v", startTimeout))
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
}

// startProcess starts a worker process in a directory of its own, which
// it gets as descriptor 3 (and the cache as 4).
func (p *Pool) startProcess() (*worker, error) {
	dir, err := os.MkdirTemp(p.workDir, "w-")
	if err != nil {
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	files, err := p.workerFiles(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	env := []string{
		envCache + "=" + p.cacheDir,
		envDirFD + "=3",
		envMemory + "=" + strconv.FormatInt(p.cfg.MemoryLimit, 10),
		envTesseract + "=" + p.tesseract,
		envOCRLang + "=" + p.ocrLang,
	}
	if len(files) > 1 {
		env = append(env, envCacheFD+"=4")
	}
	if p.id != nil {
		env = append(env, envMaxProcs+"="+strconv.Itoa(workerMaxProcs))
	}
	env = workerEnv(env, p.cfg.Env)
	argv := p.cfg.Command
	if p.id != nil {
		// The workers' user may not reach the binary by its path (go run
		// builds it below a directory only the server's user may enter,
		// an installation may keep it under /root): the server opens it
		// and the worker is started from that descriptor, which needs
		// only the file's own execute bit.
		exe, err := os.Open(argv[0])
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pdfworker: %w", err)
		}
		files = append(files, exe)
		argv = append([]string{fmt.Sprintf("/proc/self/fd/%d", 2+len(files))}, argv[1:]...)
	}
	newNet := p.newNet.Load()
	w, err := startWorker(argv, env, sysProcAttr(p.id, newNet), dir, files, p.log)
	if err != nil && newNet && errors.Is(err, syscall.EPERM) {
		// A container runtime that refuses new namespaces even to root.
		if p.newNet.CompareAndSwap(true, false) {
			p.log.Warn("PDF workers share the server's network (seccomp still denies them sockets): a network namespace was refused", "err", err)
		}
		return p.startProcess()
	}
	if err != nil {
		os.RemoveAll(dir)
		if p.id != nil && errors.Is(err, fs.ErrPermission) {
			err = fmt.Errorf("%w (the PDF workers run as %s, who must be able to run %s: install it where every user may, or choose the user with --pdf-worker-user)", err, p.id.name, p.cfg.Command[0])
		}
	}
	return w, err
}

// workerFiles opens the worker's directory and the cache for the worker,
// giving the directory to the workers' user.
func (p *Pool) workerFiles(dir string) ([]*os.File, error) {
	if err := p.id.chown(dir); err != nil {
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("pdfworker: %w", err)
	}
	files := []*os.File{d}
	if p.cacheDir != "" {
		c, err := openCacheDir(p.cacheDir, p.cfg.CacheDir, p.id)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("pdfworker: cache dir: %w", err)
		}
		files = append(files, c)
	}
	return files, nil
}
