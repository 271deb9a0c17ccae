package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
	"github.com/ratsmappe/ratsmappe/documents/s3blob"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
)

var errUsage = errors.New("usage")

// Config is what every command that touches the data needs.
type Config struct {
	// prestart is how many PDF workers to start at once, before the
	// first file (doc add: all; serve: one).
	prestart int

	Data     string
	Database string // "" for SQLite in Data, or a postgres:// URL
	Blobs    string // "fs" or "s3"; "" picks s3 when an S3 endpoint is set
	LogLevel string

	PDFWorkers  int
	PDFTimeout  time.Duration
	PDFMemoryMB int64
	PDFMaxMB    int64
	PDFMaxPages int
	OCR         bool
	WasmCache   string
	PDFUser     string

	MeiliURL, MeiliKey string // Meilisearch instead of the embedded index
	SearchCache        int    // answers the embedded index keeps until its next write; 0 none
}

// register adds the common flags to fs, with defaults from the
// environment.
func (c *Config) register(fs *flag.FlagSet, defaultLog string) {
	fs.StringVar(&c.Data, "data", envString("RATSMAPPE_DATA", "data"), "data directory (database, blobs, index, caches)")
	fs.StringVar(&c.Database, "database", envString("RATSMAPPE_DATABASE_URL", ""), "metadata database: a postgres:// URL, or empty for the SQLite file in the data directory (give a URL with a password as RATSMAPPE_DATABASE_URL: a flag shows in the process list)")
	fs.StringVar(&c.Blobs, "blobs", envString("RATSMAPPE_BLOBS", ""), `blob store: "fs" (in the data directory) or "s3" (RATSMAPPE_S3_*); default s3 if RATSMAPPE_S3_ENDPOINT is set`)
	fs.StringVar(&c.LogLevel, "log-level", envString("RATSMAPPE_LOG_LEVEL", defaultLog), "log level: debug, info, warn, error")
	fs.IntVar(&c.PDFWorkers, "pdf-workers", envInt("RATSMAPPE_PDF_WORKERS", 0), "PDF worker processes (0: one per CPU, at most 4)")
	fs.DurationVar(&c.PDFTimeout, "pdf-timeout", envDuration("RATSMAPPE_PDF_TIMEOUT", 60*time.Second), "wall-clock deadline per PDF")
	fs.Int64Var(&c.PDFMemoryMB, "pdf-memory-mb", int64(envInt("RATSMAPPE_PDF_MEMORY_MB", 1024)), "resident memory cap per PDF worker, MiB")
	fs.Int64Var(&c.PDFMaxMB, "pdf-max-mb", int64(envInt("RATSMAPPE_PDF_MAX_MB", 200)), "largest PDF accepted, MB")
	fs.IntVar(&c.PDFMaxPages, "pdf-max-pages", envInt("RATSMAPPE_PDF_MAX_PAGES", 10_000), "most pages a PDF may have")
	fs.BoolVar(&c.OCR, "ocr", envBool("RATSMAPPE_OCR", true), "OCR pages without text with tesseract, if installed")
	fs.StringVar(&c.MeiliURL, "meili-url", envString("RATSMAPPE_MEILI_URL", ""), "Meilisearch server for search (default: the embedded index in DATA/search)")
	fs.IntVar(&c.SearchCache, "search-cache", envInt("RATSMAPPE_SEARCH_CACHE", 4096), "answers the embedded search index keeps until its next write (0: none, every search asks the index)")
	fs.StringVar(&c.MeiliKey, "meili-key", envString("RATSMAPPE_MEILI_KEY", ""), "Meilisearch API key")
	fs.StringVar(&c.WasmCache, "wasm-cache", envString("RATSMAPPE_WASM_CACHE", ""), "compilation cache of the PDF engine, shared by all data directories (default: the user's cache directory, ~/.cache/ratsmappe/pdfium-…)")
	fs.StringVar(&c.PDFUser, "pdf-worker-user", envString("RATSMAPPE_PDF_WORKER_USER", "nobody"), `user the PDF workers run as when ratsmappe runs as root (name or uid[:gid]; "root" keeps root)`)
}

func envString(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, ok := os.LookupEnv(key); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envBool(key string, def bool) bool {
	if v, ok := os.LookupEnv(key); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(key); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// App is the opened data directory: database, blob store, PDF workers and
// the document service on top.
type App struct {
	cfg      Config
	Log      *slog.Logger
	DB       *sql.DB
	Docs     *documents.Service
	Pool     *pdfworker.Pool
	Sessions *sessions.Store
	Accounts *accounts.Store

	observe func(string, time.Duration)
}

// openApp opens (creating if needed) the data directory of cfg.
func openApp(ctx context.Context, cfg Config, log *slog.Logger, observe func(string, time.Duration)) (*App, error) {
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	a := &App{cfg: cfg, Log: log, observe: observe}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable for the PDF workers: %w", err)
	}
	workers := cfg.PDFWorkers
	wasmCache, prune := cfg.WasmCache, false
	if wasmCache == "" {
		if wasmCache, err = pdfworker.DefaultCacheDir(); err == nil {
			prune = true // the user's cache: its old versions are ours
		} else {
			// No HOME (a bare service account): the data directory's.
			wasmCache = filepath.Join(cfg.Data, "cache", "wasm")
		}
	}
	pool, err := pdfworker.New(pdfworker.Config{
		Command:      []string{exe, "pdf-worker"},
		Workers:      workers,
		Deadline:     cfg.PDFTimeout,
		MemoryLimit:  cfg.PDFMemoryMB << 20,
		MaxInputSize: cfg.PDFMaxMB * 1000 * 1000,
		MaxPages:     cfg.PDFMaxPages,
		CacheDir:     wasmCache,
		PruneCaches:  prune,
		User:         cfg.PDFUser,
		TempDir:      filepath.Join(cfg.Data, "tmp"),
		OCR:          cfg.OCR,
		Logger:       log,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Pool = pool
	// Workers start while the database opens and migrates.
	pool.Prestart(cfg.prestart)
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.DB = db
	// Every package's migrations, in one ordered list.
	if err := schema.Migrate(ctx, db); err != nil {
		a.Close()
		return nil, err
	}
	a.Sessions = sessions.NewStore(db, nil)
	a.Accounts = accounts.NewStore(db, nil)
	// A database from before the publication ledger gets its public state
	// recorded once; afterwards this reads one row.
	if err := a.Sessions.SeedLedger(ctx); err != nil {
		a.Close()
		return nil, err
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Docs = documents.NewService(documents.ServiceConfig{
		Store:    documents.NewStore(db),
		Blobs:    blobs,
		Ingester: pool,
		Logger:   log,
		Observe:  observe,
		Hook:     crashHook(),
	})
	return a, nil
}

func openBlobs(ctx context.Context, cfg Config) (documents.BlobStore, error) {
	kind := cfg.Blobs
	if kind == "" {
		kind = "fs"
		if os.Getenv("RATSMAPPE_S3_ENDPOINT") != "" {
			kind = "s3"
		}
	}
	switch kind {
	case "fs":
		return fsblob.Open(filepath.Join(cfg.Data, "blobs"))
	case "s3":
		c := s3blob.ConfigFromEnv()
		if c.Endpoint == "" || c.Bucket == "" {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "S3 blob store: set RATSMAPPE_S3_ENDPOINT and RATSMAPPE_S3_BUCKET (and the access keys)")
		}
		return s3blob.Open(ctx, c)
	default:
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "unknown blob store %q: use fs or s3", kind)
	}
}

// Close releases everything the App opened.
func (a *App) Close() error {
	var errs []error
	if a.Pool != nil {
		errs = append(errs, a.Pool.Close())
	}
	if a.DB != nil {
		errs = append(errs, a.DB.Close())
	}
	return errors.Join(errs...)
}

// crashHook returns the upload hook that the crash-safety tests use: with
// RATSMAPPE_TEST_CRASHPOINT=NAME the process kills itself with SIGKILL at
// the named point of an upload, as a power cut or OOM kill would.
func crashHook() func(string) {
	point := os.Getenv("RATSMAPPE_TEST_CRASHPOINT")
	if point == "" {
		return nil
	}
	return func(p string) {
		if p == point {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
}

// userMessage is what the CLI prints for err: the person-safe message of an
// application error (a refused file's among them), or the error text
// for a failure of the tool itself (the operator running it needs the
// detail).
func userMessage(err error) string {
	var e *ratsmappe.Error
	if errors.As(err, &e) && e.Code != ratsmappe.EINTERNAL {
		if e.MessageEN != "" { // German first, English on the next line
			return e.Message + "\n" + e.MessageEN
		}
		return e.Message
	}
	return strings.TrimSpace(err.Error())
}
