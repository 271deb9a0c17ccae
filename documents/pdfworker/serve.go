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

	"github.com/ratsmappe/ratsmappe/documents"
)

// ServeConfig configures the worker side. ServeConfigFromEnv reads what the
// Pool passes in the environment.
type ServeConfig struct {
	CacheDir    string // compiled WebAssembly cache; "" compiles every start
	MemoryLimit int64  // the parent's cap; the worker keeps below it
	Log         *slog.Logger
	// TestHooks lets a file beginning with "%TESTHOOK:" make the worker
	// misbehave on purpose (panic, hang, alloc, exit, recurse), for the
	// pool's tests. Never set it in production.
	TestHooks bool
}

// ServeConfigFromEnv returns the configuration a Pool passes to its
// workers.
func ServeConfigFromEnv() ServeConfig {
	mem, _ := strconv.ParseInt(os.Getenv("RATSMAPPE_PDF_WORKER_MEMORY"), 10, 64)
	return ServeConfig{
		CacheDir:    os.Getenv("RATSMAPPE_PDF_WORKER_CACHE"),
		MemoryLimit: mem,
		Log:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		TestHooks:   os.Getenv("RATSMAPPE_PDF_WORKER_TESTHOOKS") == "1",
	}
}

// Serve is the worker's main loop: it reads jobs from in, one JSON line
// each, processes them one at a time and writes one reply line each to
// out. It returns when in is closed. Nothing else may write to out.
func Serve(ctx context.Context, in io.Reader, out io.Writer, cfg ServeConfig) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.MemoryLimit > 0 {
		// The Go heap (pdfcpu) gets half of the cap as a soft limit; the
		// rest is for PDFium's WebAssembly memory, limited separately.
		debug.SetMemoryLimit(cfg.MemoryLimit / 2)
	}
	// Deep recursion on a hostile object graph should end as a crash of
	// this file at 64 MiB of stack, not eat the memory cap first.
	debug.SetMaxStack(64 << 20)
	eng := newEngine(cfg)
	defer eng.close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var j job
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			return fmt.Errorf("pdf-worker: bad job: %w", err)
		}
		start := time.Now()
		r := eng.process(ctx, j)
		r.ID = j.ID
		if r.Code != "" {
			cfg.Log.Info("rejected", "code", r.Code, "detail", r.Detail, "took", time.Since(start))
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

var _ = documents.RejectDamaged
