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
	"time"
)

// The environment through which a Pool configures its workers.
const (
	envCache     = "RATSMAPPE_PDF_WORKER_CACHE"
	envMemory    = "RATSMAPPE_PDF_WORKER_MEMORY"
	envTesseract = "RATSMAPPE_PDF_WORKER_TESSERACT"
	envOCRLang   = "RATSMAPPE_PDF_WORKER_OCR_LANG"
	envTestHooks = "RATSMAPPE_PDF_WORKER_TESTHOOKS"
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
	// TestHooks lets a file beginning with "%TESTHOOK:" make the worker
	// misbehave on purpose (panic, hang, alloc, exit, recurse), for the
	// pool's tests. Never set it in production.
	TestHooks bool
}

// ServeConfigFromEnv returns the configuration a Pool passes to its
// workers, with a logger that writes JSON records to stderr for the
// parent to forward. RATSMAPPE_PDF_WORKER_TESTHOOKS=1 enables TestHooks.
func ServeConfigFromEnv() ServeConfig {
	mem, _ := strconv.ParseInt(os.Getenv(envMemory), 10, 64)
	return ServeConfig{
		CacheDir:    os.Getenv(envCache),
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
	eng := newEngine(cfg)
	defer eng.close()
	start := time.Now()
	if _, err := eng.instance(); err != nil {
		enc.Encode(reply{Error: err.Error()})
		return fmt.Errorf("pdf-worker: %w", err)
	}
	cfg.Log.Debug("PDF engine started", "took", time.Since(start).Round(time.Millisecond).String())
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

// rejectf is a rejection reply with a cause for the logs.
func rejectf(code, format string, args ...any) reply {
	return reply{Code: code, Detail: fmt.Sprintf(format, args...)}
}
