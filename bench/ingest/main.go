// Command ingest measures full ingestion — validate, sanitize, extract,
// store — of the Karlsruhe office PDFs against pdftotext (poppler) on the
// same files in the same run, and the peak resident memory of the PDF
// workers, and prints them side by side.
//
//	go run ./bench/ingest [-corpus ../shared/corpus/karlsruhe/pdf] [-workers 2]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "pdf-worker" {
		if err := pdfworker.Serve(context.Background(), os.Stdin, os.Stdout, pdfworker.ServeConfigFromEnv()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	corpus := flag.String("corpus", "../shared/corpus/karlsruhe/pdf", "directory of PDFs")
	workers := flag.Int("workers", 2, "PDF workers (and pdftotext processes in the parallel run)")
	flag.Parse()
	files, _ := filepath.Glob(filepath.Join(*corpus, "*.pdf"))
	if len(files) == 0 {
		fmt.Fprintf(os.Stderr, "no PDFs in %s\n", *corpus)
		os.Exit(1)
	}
	sort.Strings(files)
	var bytes int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			bytes += st.Size()
		}
	}
	fmt.Printf("corpus: %d PDFs, %.1f MB, %d-core machine, %d workers\n\n", len(files), float64(bytes)/1e6, nproc(), *workers)

	seq, seqRSS, err := pdftotext(files, 1)
	check(err)
	par, parRSS, err := pdftotext(files, *workers)
	check(err)
	cold, warm, onlyPDF, pages, peak, counts, err := ingest(files, *workers)
	check(err)

	fmt.Printf("%-44s %10s %10s %12s\n", "run", "wall", "files/s", "peak RSS")
	row := func(name string, d time.Duration, rss int64) {
		fmt.Printf("%-44s %9.2fs %10.1f %9d MB\n", name, d.Seconds(), float64(len(files))/d.Seconds(), rss>>20)
	}
	row("pdftotext, sequential", seq, seqRSS)
	row(fmt.Sprintf("pdftotext, %d in parallel", *workers), par, parRSS)
	row(fmt.Sprintf("ratsmappe ingestion, %d workers, warm", *workers), warm, peak)
	row(fmt.Sprintf("ratsmappe ingestion, %d workers, first run", *workers), cold, peak)
	row(fmt.Sprintf("  of which PDF work alone (no storage)"), onlyPDF, peak)
	fmt.Printf("\npages extracted: %d; results: %v\n", pages, counts)
	fmt.Printf("ratio ingestion/pdftotext: %.2f× (sequential pdftotext), %.2f× (%d parallel pdftotext); goal ≤ 2×\n",
		warm.Seconds()/seq.Seconds(), warm.Seconds()/par.Seconds(), *workers)
	fmt.Printf("worker peak RSS: %d MB; goal ≤ 300 MB\n", peak>>20)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func nproc() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

// pdftotext runs pdftotext over files, n at a time, and returns the wall
// time and the largest peak RSS of any of its processes.
func pdftotext(files []string, n int) (time.Duration, int64, error) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return 0, 0, fmt.Errorf("pdftotext is not installed (apt-get install poppler-utils)")
	}
	var mu sync.Mutex
	var peak int64
	var firstErr error
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	start := time.Now()
	for _, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func(f string) {
			defer wg.Done()
			defer func() { <-sem }()
			cmd := exec.Command(bin, "-q", "-enc", "UTF-8", f, "/dev/null")
			err := cmd.Run()
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("pdftotext %s: %w", f, err)
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss<<10 > peak {
				peak = ru.Maxrss << 10
			}
		}(f)
	}
	wg.Wait()
	return time.Since(start), peak, firstErr
}

// ingest stores files through the real pipeline — SQLite, directory blob
// store, PDF workers — into a fresh data directory, twice: the first run
// after a pass of the PDF work alone (which starts the workers), the
// second ("warm") into another fresh directory.
func ingest(files []string, workers int) (cold, warm, onlyPDF time.Duration, pages int, peak int64, counts map[string]int, err error) {
	var poolOnly func() (time.Duration, error)
	exe, err := os.Executable()
	if err != nil {
		return
	}
	cache, _ := os.UserCacheDir()
	tmp, err := os.MkdirTemp("", "bench-ingest-")
	if err != nil {
		return
	}
	defer os.RemoveAll(tmp)
	pool, err := pdfworker.New(pdfworker.Config{
		Command:  []string{exe, "pdf-worker"},
		Workers:  workers,
		CacheDir: filepath.Join(cache, "ratsmappe-test", "wasm"),
		TempDir:  filepath.Join(tmp, "tmp"),
		OCR:      true,
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return
	}
	defer pool.Close()
	// Compile the WebAssembly into the cache once, outside the timings.
	warmup, _ := pdfworker.New(pdfworker.Config{Command: []string{exe, "pdf-worker"}, Workers: 1,
		CacheDir: filepath.Join(cache, "ratsmappe-test", "wasm"), TempDir: filepath.Join(tmp, "tmp")})
	if r, err := warmup.Ingest(context.Background(), files[0]); err == nil {
		os.Remove(r.RenditionPath)
	}
	warmup.Close()

	run := func(dir string) (time.Duration, int, error) {
		ctx := context.Background()
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return 0, 0, err
		}
		db, err := sqlite.Open(ctx, filepath.Join(dir, "ratsmappe.db"))
		if err != nil {
			return 0, 0, err
		}
		defer db.Close()
		if err := sqlite.Migrate(ctx, db, "documents", documents.Migrations()); err != nil {
			return 0, 0, err
		}
		blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
		if err != nil {
			return 0, 0, err
		}
		svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: pool,
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		next := make(chan string)
		var mu sync.Mutex
		total := 0
		var firstErr error
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for f := range next {
					a, err := svc.AddDocument(ctx, documents.Upload{Path: f, Uploader: "bench"})
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", f, err)
					}
					if err == nil {
						total += a.Version.Pages
					}
					mu.Unlock()
				}
			}()
		}
		for _, f := range files {
			next <- f
		}
		close(next)
		wg.Wait()
		return time.Since(start), total, firstErr
	}
	// The PDF work alone, without storing anything, to tell the two apart.
	poolOnly = func() (time.Duration, error) {
		next := make(chan string)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		start := time.Now()
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for f := range next {
					r, err := pool.Ingest(context.Background(), f)
					if err == nil {
						os.Remove(r.RenditionPath)
					}
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}()
		}
		for _, f := range files {
			next <- f
		}
		close(next)
		wg.Wait()
		return time.Since(start), firstErr
	}
	if onlyPDF, err = poolOnly(); err != nil {
		return
	}
	if cold, pages, err = run(filepath.Join(tmp, "cold")); err != nil {
		return
	}
	if warm, pages, err = run(filepath.Join(tmp, "warm")); err != nil {
		return
	}
	st := pool.Stats()
	counts = st.Files
	peak = st.PeakRSS
	return
}
