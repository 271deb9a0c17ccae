package pdfworker

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// The environment through which a Pool hands a worker its directories:
// open file descriptors, so that a worker running as another user needs
// no access to the directories above them.
const (
	envDirFD   = "RATSMAPPE_PDF_WORKER_DIR_FD"   // the worker's own directory: inputs and renditions
	envCacheFD = "RATSMAPPE_PDF_WORKER_CACHE_FD" // the compilation cache
)

// passedEnv are the variables of the parent's environment a worker gets:
// settings of the Go runtime and of tesseract, nothing that could hold a
// secret. Everything else (S3, OIDC and Meilisearch keys among it) stays
// in the parent.
var passedEnv = []string{"GOMAXPROCS", "GODEBUG", "GOTRACEBACK", "TESSDATA_PREFIX"}

// workerEnv is a worker's whole environment: the allowed parent variables,
// then the pool's settings, then extra.
func workerEnv(settings, extra []string) []string {
	var env []string
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, settings...)
	return append(env, extra...)
}

// ocrEnv is tesseract's whole environment.
func ocrEnv() []string {
	// One thread: the pool already runs one worker per core.
	env := []string{"OMP_THREAD_LIMIT=1"}
	if v, ok := os.LookupEnv("TESSDATA_PREFIX"); ok {
		env = append(env, "TESSDATA_PREFIX="+v)
	}
	return env
}

// DefaultCacheDir returns where PDFium's compiled WebAssembly is kept by
// default: in the user's cache directory (XDG_CACHE_HOME, ~/.cache), in
// a directory named for the PDF engine's and the Go runtime's versions,
// so that every data directory of a user shares one compilation and an
// upgrade starts a fresh one. It returns an error if the user has no
// cache directory.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("pdfworker: no user cache directory (set --wasm-cache): %w", err)
	}
	return filepath.Join(dir, "ratsmappe", cacheName()), nil
}

// cacheName is "pdfium-<hash of the go-pdfium and wazero modules>-<Go
// version>": the compiled code depends on exactly these.
func cacheName() string {
	h := sha256.New()
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Replace != nil {
				m = m.Replace
			}
			if strings.HasPrefix(m.Path, "github.com/klippa-app/go-pdfium") || strings.HasPrefix(m.Path, "github.com/tetratelabs/wazero") {
				fmt.Fprintln(h, m.Path, m.Version, m.Sum)
			}
		}
	}
	return "pdfium-" + hex.EncodeToString(h.Sum(nil))[:12] + "-" + runtime.Version()
}

// cacheKept is how long a compilation cache of another version is kept
// after a pool last used it. Every upgrade of go-pdfium, wazero or Go
// starts a new directory of some 30 MB; an old server still running
// during a slow rolling upgrade marks its own at every worker start, so
// only caches no server has used for a month go.
const cacheKept = 30 * 24 * time.Hour

// makeCacheDir creates the compilation cache dir, owned by the workers'
// user id (if any) and private to it. Its callers say which directory
// failed.
func makeCacheDir(dir string, id *identity) error {
	err := os.MkdirAll(dir, 0o750)
	if err == nil && id != nil {
		if err = id.chown(dir); err == nil {
			err = os.Chmod(dir, 0o700)
		}
	}
	return err
}

// openCacheDir opens the compilation cache dir for a worker and marks
// top, the configured cache directory (dir itself, or dir's parent for a
// worker user), used now: its modification time is what pruneCaches
// reads. A cache a pool of another version removed meanwhile is made
// again.
func openCacheDir(dir, top string, id *identity) (*os.File, error) {
	now := time.Now()
	if err := os.Chtimes(top, now, now); errors.Is(err, fs.ErrNotExist) {
		if err := makeCacheDir(dir, id); err != nil {
			return nil, err
		}
	}
	return os.Open(dir)
}

// pruneCaches removes the directories beside cacheDir named like a
// compilation cache (pdfium-*) other than cacheDir itself whose
// modification time is more than cacheKept before now: those of versions
// no pool has started a worker with for that long. Best effort; what
// cannot be removed is logged and left.
func pruneCaches(cacheDir string, now time.Time, log *slog.Logger) {
	parent, own := filepath.Split(filepath.Clean(cacheDir))
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == own || !strings.HasPrefix(e.Name(), "pdfium-") {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) <= cacheKept {
			continue
		}
		path := filepath.Join(parent, e.Name())
		if err := os.RemoveAll(path); err != nil {
			log.Warn("old compilation cache of the PDF engine not removed", "dir", path, "err", err)
			continue
		}
		log.Info("old compilation cache of the PDF engine removed", "dir", path)
	}
}
