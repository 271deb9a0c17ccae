package pdfworker

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPruneCaches: beside the cache in use, the compilation caches of
// other versions go once no pool has used them for cacheKept; recent ones,
// the one in use however old, and anything not named like a cache stay.
func TestPruneCaches(t *testing.T) {
	parent := t.TempDir()
	now := time.Now()
	old, recent := now.Add(-cacheKept-time.Hour), now.Add(-cacheKept+time.Hour)
	for name, mtime := range map[string]time.Time{
		"pdfium-aaaa-go1.25": old,    // an old version: removed
		"pdfium-bbbb-go1.26": recent, // used by a server within the month
		"pdfium-own-go1.26":  old,    // the one in use
		"other":              old,    // not ours
	} {
		dir := filepath.Join(parent, name)
		must(t, os.MkdirAll(filepath.Join(dir, "uid-65534"), 0o750))
		must(t, os.WriteFile(filepath.Join(dir, "uid-65534", "code"), []byte("x"), 0o640))
		must(t, os.Chtimes(dir, mtime, mtime))
	}
	must(t, os.WriteFile(filepath.Join(parent, "pdfium-file"), nil, 0o640))
	must(t, os.Chtimes(filepath.Join(parent, "pdfium-file"), old, old))

	pruneCaches(filepath.Join(parent, "pdfium-own-go1.26"), now, slog.New(slog.DiscardHandler))
	var left []string
	entries, err := os.ReadDir(parent)
	must(t, err)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"other", "pdfium-bbbb-go1.26", "pdfium-file", "pdfium-own-go1.26"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}

// TestOpenCacheDirMarksIt: a worker's start marks the configured cache
// used, so that no pool of another version prunes it while this version
// runs; and a cache removed meanwhile is made again.
func TestOpenCacheDirMarksIt(t *testing.T) {
	top := filepath.Join(t.TempDir(), "pdfium-own-go1.26")
	must(t, makeCacheDir(top, nil))
	long := time.Now().Add(-2 * cacheKept)
	must(t, os.Chtimes(top, long, long))
	f, err := openCacheDir(top, top, nil)
	must(t, err)
	f.Close()
	info, err := os.Stat(top)
	must(t, err)
	if time.Since(info.ModTime()) > time.Minute {
		t.Errorf("cache not marked used: modified %v", info.ModTime())
	}

	must(t, os.RemoveAll(top))
	f, err = openCacheDir(top, top, nil)
	if err != nil {
		t.Fatalf("a removed cache is not made again: %v", err)
	}
	f.Close()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
