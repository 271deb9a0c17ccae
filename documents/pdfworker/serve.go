package pdfworker

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

// The environment through which a Pool configures its workers.
const (
	envCache     = "RATSMAPPE_PDF_WORKER_CACHE"
	envMemory    = "RATSMAPPE_PDF_WORKER_MEMORY"
	envTesseract = "RATSMAPPE_PDF_WORKER_TESSERACT"
	envOCRLang   = "RATSMAPPE_PDF_WORKER_OCR_LANG"
	envTestHooks = "RATSMAPPE_PDF_WORKER_TESTHOOKS"
	envMaxProcs  = "RATSMAPPE_PDF_WORKER_MAX_PROCS"
)

// ServeConfig configures the worker side. ServeConfigFromEnv reads what the
// Pool passes in the environment.
type ServeConfig struct {
	CacheDir    string // compiled WebAssembly cache; "" compiles at every start
	MemoryLimit int64  // the parent's cap in bytes; the worker keeps below it
	// Tesseract is the absolute path of the tesseract program; "" turns
	// OCR off. OCRLanguage is its -l argument, e.g. "deu".
	Tesseract   string
	OCRLanguage string
	// Log receives the worker's log records. A Pool expects JSON records
	// on the worker's stderr, which ServeConfigFromEnv sets up.
	Log *slog.Logger
	// DirFD, if above 2, is an open directory that becomes the worker's
	// current directory, to which job paths are relative; CacheFD, if
	// above 2, is an open directory used as CacheDir. A Pool passes both
	// as descriptors, so that a worker running as another user needs no
	// access to the directories above them.
	DirFD, CacheFD int
	// Sandbox confines the worker before it reads the first file: see
	// the package documentation. ServeConfigFromEnv sets it; it is off
	// only for Serve in a process that must stay unconfined.
	Sandbox bool
	// MaxProcs, if positive, is the RLIMIT_NPROC of the sandbox.
	MaxProcs int
	// TestHooks lets a file beginning with "%TESTHOOK:" make the worker
	// misbehave on purpose (panic, hang, alloc, exit, recurse), for the
	// pool's tests. Never set it in production.
	TestHooks bool
}

// ServeConfigFromEnv returns the configuration a Pool passes to its
// workers, with a logger that writes JSON records to stderr for the
// parent to forward. RATSMAPPE_PDF_WORKER_TESTHOOKS=1 enables TestHooks.
// It always turns the sandbox on.
func ServeConfigFromEnv() ServeConfig {
	mem, _ := strconv.ParseInt(os.Getenv(envMemory), 10, 64)
	dirFD, _ := strconv.Atoi(os.Getenv(envDirFD))
	cacheFD, _ := strconv.Atoi(os.Getenv(envCacheFD))
	maxProcs, _ := strconv.Atoi(os.Getenv(envMaxProcs))
	return ServeConfig{
		CacheDir:    os.Getenv(envCache),
		DirFD:       dirFD,
		CacheFD:     cacheFD,
		Sandbox:     true,
		MaxProcs:    maxProcs,
		MemoryLimit: mem,
		Tesseract:   os.Getenv(envTesseract),
		OCRLanguage: os.Getenv(envOCRLang),
		Log:         slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
		TestHooks:   os.Getenv(envTestHooks) == "1",
	}
}

// Serve is the worker's main loop. It starts the PDF engine, writes a
// ready line to out, then reads jobs from in, one JSON line each,
// processes them one at a time and writes one reply line each to out. It
// returns nil when in is closed, and an error if the engine cannot start
// or the pipes fail. Nothing else may write to out: PDFium's own output
// goes to stderr.
func Serve(ctx context.Context, in io.Reader, out io.Writer, cfg ServeConfig) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if cfg.MemoryLimit > 0 {
		// The Go heap (pdfcpu) gets half of the cap as a soft limit; the
		// other half is for PDFium's WebAssembly memory, which is not on
		// the Go heap and limited separately.
		debug.SetMemoryLimit(cfg.MemoryLimit / 2)
	}
	// Deep recursion on a hostile object graph should end as a crash of
	// this file at 64 MiB of stack, not eat the memory cap first.
	debug.SetMaxStack(64 << 20)
	enc := json.NewEncoder(out)
	fail := func(err error) error {
		enc.Encode(reply{Error: err.Error()})
		return fmt.Errorf("pdf-worker: %w", err)
	}
	if err := useDirs(&cfg); err != nil {
		return fail(err)
	}
	eng := newEngine(cfg)
	defer eng.close()
	start := time.Now()
	if _, err := eng.instance(); err != nil {
		return fail(err)
	}
	cfg.Log.Debug("PDF engine started", "took", time.Since(start).Round(time.Millisecond).String())
	// The engine starts unconfined, since it may have to fill the
	// compilation cache; it has read nothing untrusted yet.
	if cfg.Sandbox {
		what, err := enforceSandbox(cfg)
		if err != nil {
			return fail(fmt.Errorf("sandbox: %w", err))
		}
		cfg.Log.Debug("sandboxed", "with", what)
	}
	if err := enc.Encode(reply{Ready: true}); err != nil {
		return fmt.Errorf("pdf-worker: ready: %w", err)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var j job
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			return fmt.Errorf("pdf-worker: bad job: %w", err)
		}
		start := time.Now()
		eng.early = nil
		if j.Early {
			eng.early = func() { enc.Encode(reply{ID: j.ID, Rendition: true}) }
		}
		r := eng.process(ctx, j)
		r.ID = j.ID
		if r.Code != "" {
			// The caller logs the rejection with its cause; this is
			// for following a worker.
			cfg.Log.Debug("rejected", "code", r.Code, "detail", r.Detail, "took", time.Since(start).Round(time.Millisecond).String())
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("pdf-worker: reply: %w", err)
		}
	}
	return sc.Err()
}

// useDirs moves into cfg.DirFD and points cfg.CacheDir at cfg.CacheFD.
func useDirs(cfg *ServeConfig) error {
	if cfg.DirFD > 2 {
		if err := syscall.Fchdir(cfg.DirFD); err != nil {
			return fmt.Errorf("worker directory: %w", err)
		}
		syscall.Close(cfg.DirFD)
	}
	if cfg.CacheFD > 2 {
		// The descriptor's path: wazero wants a name.
		cfg.CacheDir = "/proc/self/fd/" + strconv.Itoa(cfg.CacheFD)
	}
	return nil
}

// rejectf is a rejection reply with a cause for the logs.
func rejectf(code, format string, args ...any) reply {
	return reply{Code: code, Detail: fmt.Sprintf(format, args...)}
}
