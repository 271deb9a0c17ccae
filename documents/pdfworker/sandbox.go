package pdfworker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
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
