package pdfworker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
)

// The test binary doubles as the worker: the pool starts it again with
// this variable set, and TestMain then serves jobs instead of testing.
const childEnv = "RATSMAPPE_PDF_WORKER_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := pdfworker.Serve(context.Background(), os.Stdin, os.Stdout, pdfworker.ServeConfigFromEnv()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// wasmCache is shared by every test run, so that PDFium is compiled once
// per machine and not once per test.
func wasmCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "ratsmappe-test", "wasm")
}

func newPool(t testing.TB, mod func(*pdfworker.Config)) *pdfworker.Pool {
	t.Helper()
	cfg := pdfworker.Config{
		Command:  []string{os.Args[0], "-test.run=^$"},
		Env:      []string{childEnv + "=1", "RATSMAPPE_PDF_WORKER_TESTHOOKS=1"},
		Workers:  2,
		Deadline: 30 * time.Second,
		CacheDir: wasmCache(),
		TempDir:  t.TempDir(),
		OCR:      true,
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := pdfworker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func rejectionCode(err error) string {
	var rej *documents.Rejection
	if errors.As(err, &rej) {
		return rej.Code
	}
	if err == nil {
		return "accepted"
	}
	return "error: " + err.Error()
}

func karlsruhe(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob("../../../shared/corpus/karlsruhe/pdf/*.pdf")
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("../shared/corpus/karlsruhe/pdf is missing")
		}
		t.Skip("../shared/corpus/karlsruhe/pdf is missing")
	}
	return files
}

func TestAcceptsOfficePDF(t *testing.T) {
	files := karlsruhe(t)
	p := newPool(t, nil)
	res, err := p.Ingest(context.Background(), files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(res.RenditionPath)
	if len(res.Pages) == 0 {
		t.Fatal("no pages")
	}
	for _, pg := range res.Pages {
		if pg.Width < 100 || pg.Height < 100 {
			t.Errorf("page %d size %vx%v", pg.Number, pg.Width, pg.Height)
		}
	}
	all := ""
	for _, pg := range res.Pages {
		all += pg.Text
	}
	if !strings.ContainsAny(all, "äöüÄÖÜß") {
		t.Errorf("no German text extracted: %.200q", all)
	}
	b, err := os.ReadFile(res.RenditionPath)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("rendition is not a PDF: %v", err)
	}
}

// Refusals that need no parser, and refusals by the parser.
func TestRejections(t *testing.T) {
	p := newPool(t, func(c *pdfworker.Config) { c.MaxInputSize = 1 << 20 })
	ctx := context.Background()
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 2<<20)...)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty.pdf", nil, documents.RejectEmpty},
		{"word.docx", []byte("PK\x03\x04\x14\x00\x06\x00 a Word file"), documents.RejectNotPDF},
		{"big.pdf", big, documents.RejectTooLarge},
		{"truncated.pdf", []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog"), documents.RejectDamaged},
		{"garbage.pdf", append([]byte("%PDF-1.5\n"), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 5000)...), documents.RejectDamaged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Ingest(ctx, writeFile(t, tc.name, tc.data))
			if got := rejectionCode(err); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			var rej *documents.Rejection
			if errors.As(err, &rej) && (rej.Message == "" || rej.MessageEN == "") {
				t.Errorf("rejection without messages")
			}
		})
	}
}

func TestEncrypted(t *testing.T) {
	// Password-protected files from PDF.js's test suite.
	var files []string
	for _, name := range []string{"issue6010_1.pdf", "pr6531_1.pdf", "issue3371.pdf"} {
		p := filepath.Join("../../../shared/corpus/pdfjs", name)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		t.Skip("no encrypted corpus files")
	}
	p := newPool(t, nil)
	for _, f := range files {
		_, err := p.Ingest(context.Background(), f)
		t.Logf("%s: %s", filepath.Base(f), rejectionCode(err))
		if got := rejectionCode(err); got != documents.RejectEncrypted && got != "accepted" {
			t.Errorf("%s: %s, want encrypted (or accepted if it opens without a password)", f, got)
		}
	}
}

// A worker that panics, hangs, eats memory or dies fails only its own
// file; the next file on the same pool is accepted.
func TestMisbehavingWorker(t *testing.T) {
	files := karlsruhe(t)
	p := newPool(t, func(c *pdfworker.Config) {
		c.Workers = 1
		c.Deadline = 5 * time.Second
		c.MemoryLimit = 400 << 20
	})
	ctx := context.Background()
	for _, tc := range []struct{ hook, want string }{
		{"panic-goroutine", documents.RejectCrashed},
		{"exit", documents.RejectCrashed},
		{"recurse", documents.RejectCrashed},
		{"hang", documents.RejectTimeout},
		{"spin", documents.RejectTimeout},
		{"alloc", documents.RejectResourceLimit},
	} {
		t.Run(tc.hook, func(t *testing.T) {
			start := time.Now()
			_, err := p.Ingest(ctx, writeFile(t, "hook.pdf", []byte("%TESTHOOK:"+tc.hook+"\n%PDF-1.4\n")))
			if got := rejectionCode(err); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			res, err := p.Ingest(ctx, files[1])
			if err != nil {
				t.Fatalf("next file after %s: %v", tc.hook, err)
			}
			os.Remove(res.RenditionPath)
		})
	}
	st := p.Stats()
	if st.Killed < 3 || st.Crashed < 3 {
		t.Errorf("stats: killed %d crashed %d, want ≥ 3 each", st.Killed, st.Crashed)
	}
}

// Every file of PDF.js's test suite — real-world, broken, fuzzed,
// encrypted, huge — ends accepted or with a typed rejection in time, and
// the test process (the pool's parent) survives all of them.
func TestHostileCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpus/pdfjs/*.pdf")
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("../shared/corpus/pdfjs is missing")
		}
		t.Skip("../shared/corpus/pdfjs is missing")
	}
	if testing.Short() {
		files = files[:50]
	}
	deadline := 20 * time.Second
	p := newPool(t, func(c *pdfworker.Config) {
		c.Deadline = deadline
		c.OCR = false // OCR is tested on its own; here it would only cost time
	})
	var mu sync.Mutex
	counts := map[string]int{}
	var slow []string
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	start := time.Now()
	for _, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func(f string) {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			res, err := p.Ingest(context.Background(), f)
			took := time.Since(t0)
			code := rejectionCode(err)
			if res != nil {
				os.Remove(res.RenditionPath)
			}
			mu.Lock()
			defer mu.Unlock()
			counts[code]++
			if strings.HasPrefix(code, "error") {
				t.Errorf("%s: untyped failure %s", filepath.Base(f), code)
			}
			if took > deadline+5*time.Second {
				t.Errorf("%s: took %v, over the deadline", filepath.Base(f), took)
			}
			if took > 5*time.Second {
				slow = append(slow, fmt.Sprintf("%s (%s, %v)", filepath.Base(f), code, took.Round(time.Millisecond)))
			}
		}(f)
	}
	wg.Wait()
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	st := p.Stats()
	line := fmt.Sprintf("hostile corpus: %d files in %v: %s; workers started %d, killed %d, crashed %d, peak RSS %d MiB",
		len(files), time.Since(start).Round(time.Second), strings.Join(summary, " "), st.Started, st.Killed, st.Crashed, st.PeakRSS>>20)
	t.Log(line)
	fmt.Println(line)
	if len(slow) > 0 {
		t.Logf("slow files: %s", strings.Join(slow, ", "))
	}
	if counts["accepted"] < len(files)/2 {
		t.Errorf("only %d of %d accepted", counts["accepted"], len(files))
	}
}
