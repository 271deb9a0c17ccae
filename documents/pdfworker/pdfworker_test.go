package pdfworker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
)

// The test binary doubles as the worker: the pool starts it again with
// this variable set, and TestMain then serves jobs instead of testing.
const childEnv = "RATSMAPPE_PDF_WORKER_CHILD"

func TestMain(m *testing.M) {
	if cache := os.Getenv(probeEnv); cache != "" && probeSandbox != nil {
		probeSandbox(cache)
	}
	if os.Getenv(childEnv) == "1" {
		if err := pdfworker.Serve(context.Background(), os.Stdin, os.Stdout, pdfworker.ServeConfigFromEnv()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// The tests use pdfcpu too (to build and check files); it must not
	// create a configuration directory in $HOME.
	api.DisableConfigDir()
	dir, err := publicBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// probeEnv makes the test binary a sandbox probe, which runs
// probeSandbox instead of the tests (where the system has a sandbox).
const probeEnv = "RATSMAPPE_PDF_WORKER_PROBE"

var probeSandbox func(cache string)

// workerBinary is the test binary as the workers start it.
var workerBinary = os.Args[0]

// publicBinary copies the test binary to where any user may run it, when
// the tests run as root: the pool then starts its workers as nobody, who
// cannot enter go test's private build directory. It returns the copy's
// directory.
func publicBinary() (string, error) {
	if os.Geteuid() != 0 {
		return "", nil
	}
	dir, err := os.MkdirTemp("", "pdfworker-test-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return dir, err
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		return dir, err
	}
	defer src.Close()
	bin := filepath.Join(dir, filepath.Base(os.Args[0]))
	dst, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return dir, err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return dir, err
	}
	workerBinary = bin
	return dir, dst.Close()
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
		Command:  []string{workerBinary, "-test.run=^$"},
		Env:      []string{childEnv + "=1", "RATSMAPPE_PDF_WORKER_TESTHOOKS=1"},
		Workers:  2,
		Deadline: 30 * time.Second,
		CacheDir: wasmCache(),
		TempDir:  t.TempDir(),
		OCR:      true,
		// Rejections are logged at info level; the tests check them.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
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
	if rej := documents.RejectionOf(err); rej != nil {
		return rej.Reason
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

// pdfjsCorpus returns the directory of PDF.js's test PDFs, which lies
// next to the repository (../shared/corpus/pdfjs from its root).
func pdfjsCorpus(t testing.TB) string {
	t.Helper()
	dir := "../../../shared/corpus/pdfjs"
	if files, _ := filepath.Glob(filepath.Join(dir, "*.pdf")); len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("../shared/corpus/pdfjs is missing")
		}
		t.Skip("../shared/corpus/pdfjs is missing")
	}
	return dir
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
			rej := documents.RejectionOf(err)
			if rej != nil && (rej.Message == "" || rej.MessageEN == "") {
				t.Errorf("rejection without messages")
			}
		})
	}
}

// A file that needs a password to open is refused; one with only an
// owner password (it opens without one, but restricts editing) is
// accepted and its rendition is not encrypted.
func TestEncrypted(t *testing.T) {
	plain := buildPDF([]string{
		`<< /Type /Catalog /Pages 2 0 R >>`,
		`<< /Type /Pages /Kids [3 0 R] /Count 1 >>`,
		`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R
		   /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>`,
		stream("", "BT /F1 18 Tf 72 720 Td (Nichtoeffentliche Vorlage) Tj ET"),
	})
	encrypt := func(userPW, ownerPW string) string {
		t.Helper()
		var out bytes.Buffer
		if err := api.Encrypt(bytes.NewReader(plain), &out, model.NewAESConfiguration(userPW, ownerPW, 256)); err != nil {
			t.Fatalf("encrypt: %v", err)
		}
		if !bytes.Contains(out.Bytes(), []byte("/Encrypt")) {
			t.Fatal("pdfcpu wrote no /Encrypt")
		}
		return writeFile(t, "encrypted.pdf", out.Bytes())
	}
	p := newPool(t, nil)
	ctx := context.Background()

	t.Run("user password", func(t *testing.T) {
		_, err := p.Ingest(ctx, encrypt("geheim", "owner"))
		if got, want := rejectionCode(err), documents.RejectEncrypted; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		rej := documents.RejectionOf(err)
		if !strings.Contains(rej.Message, "Passwort") || !strings.Contains(rej.MessageEN, "remove the password") {
			t.Errorf("message does not say what to do: %q / %q", rej.Message, rej.MessageEN)
		}
	})
	t.Run("owner password only", func(t *testing.T) {
		res, err := p.Ingest(ctx, encrypt("", "owner"))
		if err != nil {
			t.Fatalf("got %s, want accepted", rejectionCode(err))
		}
		defer os.Remove(res.RenditionPath)
		if got, want := strings.TrimSpace(res.Pages[0].Text), "Nichtoeffentliche Vorlage"; got != want {
			t.Errorf("text = %q, want %q", got, want)
		}
		if !contains(res.Sanitized, "Encryption") {
			t.Errorf("Sanitized = %v, lacks Encryption", res.Sanitized)
		}
		b, _ := os.ReadFile(res.RenditionPath)
		if bytes.Contains(b, []byte("/Encrypt")) {
			t.Error("rendition is still encrypted")
		}
	})
	// Encrypted files from PDF.js's test suite, as they come.
	t.Run("corpus", func(t *testing.T) {
		dir := pdfjsCorpus(t)
		for _, tc := range []struct{ name, want string }{
			{"issue3371.pdf", documents.RejectEncrypted},
			{"issue6010_2.pdf", documents.RejectEncrypted},
			{"pr6531_1.pdf", documents.RejectEncrypted},
			{"print_protection.pdf", documents.RejectEncrypted},
			{"issue17215.pdf", "accepted"},  // RC4, owner password only
			{"bug1815476.pdf", "accepted"},  // AES-128, owner password only
			{"issue9972-1.pdf", "accepted"}, // AES-128, owner password only
			{"secHandler.pdf", "accepted"},  // AES-256, owner password only
			// AES-256 with a quirk: poppler opens it without a password,
			// PDFium does not, so it is refused like a protected file.
			{"pr6531_2.pdf", documents.RejectEncrypted},
		} {
			res, err := p.Ingest(ctx, filepath.Join(dir, tc.name))
			if got := rejectionCode(err); got != tc.want {
				t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
			}
			if err == nil {
				os.Remove(res.RenditionPath)
				if !contains(res.Sanitized, "Encryption") {
					t.Errorf("%s: Sanitized = %v, lacks Encryption", tc.name, res.Sanitized)
				}
			}
		}
	})
}

// Page sizes are in points after /Rotate: a portrait A4 page turned by 90°
// is landscape.
func TestPageSizes(t *testing.T) {
	page := func(box string, rotate int) string {
		return fmt.Sprintf(`<< /Type /Page /Parent 2 0 R /MediaBox %s /Rotate %d /Contents 6 0 R >>`, box, rotate)
	}
	in := writeFile(t, "rotated.pdf", buildPDF([]string{
		`<< /Type /Catalog /Pages 2 0 R >>`,
		`<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>`,
		page("[0 0 595.28 841.89]", 0),
		page("[0 0 595.28 841.89]", 90),
		page("[0 0 1190.55 841.89]", 270),
		stream("", "0 0 m 100 100 l S"),
	}))
	p := newPool(t, nil)
	res, err := p.Ingest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(res.RenditionPath)
	want := [][2]float64{{595.28, 841.89}, {841.89, 595.28}, {841.89, 1190.55}}
	if got := len(res.Pages); got != len(want) {
		t.Fatalf("pages = %d, want %d", got, len(want))
	}
	for i, pg := range res.Pages {
		if got := [2]float64{pg.Width, pg.Height}; got != want[i] || pg.Number != i+1 {
			t.Errorf("page %d: %v, want page %d %v", pg.Number, got, i+1, want[i])
		}
	}
}

// A caller that gives up kills the file's worker; the pool goes on.
func TestCancel(t *testing.T) {
	files := karlsruhe(t)
	p := newPool(t, func(c *pdfworker.Config) { c.Workers = 1 })
	// A first file starts the worker, so that the time limit below is
	// spent on the hanging file.
	res, err := p.Ingest(context.Background(), files[0])
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(res.RenditionPath)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.Ingest(ctx, writeFile(t, "hang.pdf", []byte("%TESTHOOK:hang\n%PDF-1.4\n")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	res, err = p.Ingest(context.Background(), files[0])
	if err != nil {
		t.Fatalf("next file: %v", err)
	}
	os.Remove(res.RenditionPath)
	if got := p.Stats().Killed; got != 1 {
		t.Errorf("killed = %d, want 1", got)
	}
}

// A worker that dies between two files costs neither of them.
func TestWorkerDiesWhileIdle(t *testing.T) {
	files := karlsruhe(t)
	p := newPool(t, func(c *pdfworker.Config) { c.Workers = 1 })
	ctx := context.Background()
	_, err := p.Ingest(ctx, writeFile(t, "dies.pdf", []byte("%TESTHOOK:exit-soon\n%PDF-1.4\n")))
	if got, want := rejectionCode(err), documents.RejectDamaged; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	time.Sleep(time.Second) // the worker exits meanwhile
	res, err := p.Ingest(ctx, files[0])
	if err != nil {
		t.Fatalf("next file: %v", err)
	}
	os.Remove(res.RenditionPath)
	st := p.Stats()
	if st.Crashed != 0 || st.Started != 2 || st.Restarts != 1 {
		t.Errorf("stats %+v, want no crash, 2 started, 1 restart", st)
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
	if st.Killed != 3 || st.Crashed != 3 || st.Restarts != 6 {
		t.Errorf("stats: killed %d crashed %d restarts %d, want 3, 3, 6", st.Killed, st.Crashed, st.Restarts)
	}
}

// A real file that needs more memory than the cap (PDFium repairs 65,000
// objects into a 12 MB file, pdfcpu parses that) is refused with
// resource_limit — by the limit on PDFium's memory inside the worker or
// by the parent's watchdog, whichever comes first — and the pool goes on.
func TestMemoryCap(t *testing.T) {
	files := karlsruhe(t)
	p := newPool(t, func(c *pdfworker.Config) {
		c.Workers = 1
		c.MemoryLimit = 300 << 20
	})
	ctx := context.Background()
	_, err := p.Ingest(ctx, filepath.Join(pdfjsCorpus(t), "bug1978317.pdf"))
	if got, want := rejectionCode(err), documents.RejectResourceLimit; got != want {
		t.Errorf("got %s (%v), want %s", got, err, want)
	}
	res, err := p.Ingest(ctx, files[0])
	if err != nil {
		t.Fatalf("next file: %v", err)
	}
	os.Remove(res.RenditionPath)
	// The watchdog samples every 25 ms; what a worker allocates between
	// two samples may pass the cap before it is killed.
	if st := p.Stats(); st.PeakRSS > 375<<20 {
		t.Errorf("peak RSS %d MiB, cap 300 MiB", st.PeakRSS>>20)
	}
}

// Every file of PDF.js's test suite — real-world, broken, fuzzed,
// encrypted, huge — ends accepted or with a typed rejection in time, and
// the test process (the pool's parent) survives all of them.
func TestHostileCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(pdfjsCorpus(t), "*.pdf"))
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
	line := fmt.Sprintf("hostile corpus: %d files in %v: %s; workers started %d, killed %d, crashed %d, retired %d; peak RSS %d MiB",
		len(files), time.Since(start).Round(time.Second), strings.Join(summary, " "), st.Started, st.Killed, st.Crashed, st.Retired, st.PeakRSS>>20)
	t.Log(line)
	fmt.Println(line)
	if len(slow) > 0 {
		t.Logf("slow files: %s", strings.Join(slow, ", "))
	}
	if counts["accepted"] < len(files)/2 {
		t.Errorf("only %d of %d accepted", counts["accepted"], len(files))
	}
}

// A lone file's text is read by two PDFium instances at once; the pages
// come out as one instance reads them: same text, same sizes, in order.
func TestTextInParallel(t *testing.T) {
	var blocks []string
	for i := 1; i <= 40; i++ {
		blocks = append(blocks, fmt.Sprintf("# Seite %d", i), fmt.Sprintf("Tagesordnungspunkt %d: Änderung des Bebauungsplans Nummer %d.", i, 1000+i), "\f")
	}
	var b bytes.Buffer
	if _, err := textpdf.Write(&b, textpdf.Doc{Title: "Vierzig Seiten", Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, "forty.pdf", b.Bytes())
	read := func(instances int) []documents.Page {
		p := newPool(t, func(c *pdfworker.Config) { c.Workers, c.TextInstances = 1, instances })
		res, err := p.Ingest(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(res.RenditionPath)
		return res.Pages
	}
	one, two := read(1), read(2)
	if len(one) < 40 {
		t.Fatalf("%d pages, want at least 40", len(one))
	}
	if !reflect.DeepEqual(one, two) {
		t.Fatalf("pages differ between one and two instances:\n%+v\n%+v", one, two)
	}
	for i, pg := range two {
		if pg.Number != i+1 {
			t.Fatalf("page %d numbered %d", i+1, pg.Number)
		}
	}
	if !strings.Contains(two[39].Text, "Bebauungsplans Nummer 1040") {
		t.Errorf("page 40: %q", two[39].Text)
	}
}

// A server starts a worker ahead of the first upload; the upload takes
// that worker instead of starting one more, even while it still starts.
func TestPrestart(t *testing.T) {
	p := newPool(t, nil)
	p.Prestart(1)
	var b bytes.Buffer
	if _, err := textpdf.Write(&b, textpdf.Doc{Title: "Eine Seite", Blocks: []string{"Niederschrift"}}); err != nil {
		t.Fatal(err)
	}
	res, err := p.Ingest(context.Background(), writeFile(t, "one.pdf", b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(res.RenditionPath)
	if got := p.Stats().Started; got != 1 {
		t.Errorf("workers started: %d, want 1 (the one started ahead)", got)
	}
}

// IngestEarly hands over the rendition once, before it returns, and it is
// the one the result names; a file refused before its rendition is
// written hands over nothing.
func TestEarlyRendition(t *testing.T) {
	var b bytes.Buffer
	if _, err := textpdf.Write(&b, textpdf.Doc{Title: "Früh", Blocks: []string{"# Seite 1", "Die Fassung für Leser ist vor dem Text fertig.", "\f", "# Seite 2"}}); err != nil {
		t.Fatal(err)
	}
	p := newPool(t, nil)
	var early [][]byte
	res, err := p.IngestEarly(context.Background(), writeFile(t, "frueh.pdf", b.Bytes()), func(path string) {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("handed-over rendition: %v", err)
		}
		early = append(early, got)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(res.RenditionPath)
	final, err := os.ReadFile(res.RenditionPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(early) != 1 || !bytes.Equal(early[0], final) || !bytes.HasPrefix(final, []byte("%PDF-")) {
		t.Fatalf("%d renditions handed over, want 1 equal to the result's (%d bytes)", len(early), len(final))
	}
	if len(res.Pages) != 2 || !strings.Contains(res.Pages[0].Text, "vor dem Text fertig") {
		t.Errorf("pages: %+v", res.Pages)
	}

	called := false
	_, err = p.IngestEarly(context.Background(), writeFile(t, "kaputt.pdf", []byte("%PDF-1.7\nnichts weiter\n")), func(string) { called = true })
	if got := rejectionCode(err); got != documents.RejectDamaged {
		t.Errorf("damaged file: %s", got)
	}
	if called {
		t.Errorf("a file refused before its rendition handed one over")
	}
}
