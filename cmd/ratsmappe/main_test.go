package main_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport/oparltest"
)

// binary is the real ratsmappe binary, built once for all tests: the tests
// run it as a subprocess, as an operator would, so that PDF workers,
// crashes and kills are real.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ratsmappe-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Run as root, the PDF workers drop to nobody, who must be able to
	// start the binary.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ratsmappe")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build ratsmappe: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// corpus returns the office-made Karlsruhe PDFs, or skips.
func corpus(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(oparltest.SharedDir(t, "corpus/karlsruhe/pdf"), "*.pdf"))
	if len(files) == 0 {
		t.Fatal("no PDFs in ../shared/corpus/karlsruhe/pdf")
	}
	return files
}

// wasmCache is shared by all tests so that pdfium is compiled once.
func wasmCache(t *testing.T) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "ratsmappe-test", "wasm")
}

type cli struct {
	t    *testing.T
	data string
	env  []string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{t: t, data: t.TempDir()}
}

func (c *cli) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(),
		"RATSMAPPE_DATA="+c.data,
		"RATSMAPPE_BLOBS=fs",
		"RATSMAPPE_WASM_CACHE="+wasmCache(c.t),
	)
	cmd.Env = append(cmd.Env, c.env...)
	return cmd
}

// run runs the binary and returns stdout; it fails the test on a non-zero
// exit.
func (c *cli) run(args ...string) string {
	c.t.Helper()
	return c.runIn("", args...)
}

// runIn is run with stdin.
func (c *cli) runIn(stdin string, args ...string) string {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := c.command(context.Background(), args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("ratsmappe %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

type addLine struct {
	File      string   `json:"file"`
	Status    string   `json:"status"`
	Document  int64    `json:"document"`
	Version   int      `json:"version"`
	Pages     int      `json:"pages"`
	SHA256    string   `json:"sha256"`
	Sanitized []string `json:"sanitized"`
	OCRPages  int      `json:"ocr_pages"`
	Code      string   `json:"code"`
	Message   string   `json:"message"`
}

func parseLines(t *testing.T, out string) []addLine {
	t.Helper()
	var lines []addLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l addLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestDocWorkflow(t *testing.T) {
	files := corpus(t)
	c := newCLI(t)
	notPDF := filepath.Join(t.TempDir(), "notiz.txt")
	os.WriteFile(notPDF, []byte("Dies ist kein PDF."), 0o644)

	out := c.run("doc", "add", "--json", "--kind", "draft_resolution", files[0], files[1], notPDF)
	lines := parseLines(t, out)
	if got, want := len(lines), 3; got != want {
		t.Fatalf("got %d result lines, want %d:\n%s", got, want, out)
	}
	for i, l := range lines[:2] {
		if l.Status != "accepted" || l.Document == 0 || l.Version != 1 || l.Pages == 0 || len(l.SHA256) != 64 {
			t.Errorf("line %d = %+v, want an accepted version 1", i, l)
		}
	}
	if got, want := lines[2].Status+"/"+lines[2].Code, "rejected/not_pdf"; got != want {
		t.Errorf("text file: %s, want %s", got, want)
	}
	if lines[2].Message == "" {
		t.Errorf("rejection without a message")
	}

	// doc list
	var listed []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(c.run("doc", "list", "--json")), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("doc list line %q: %v", l, err)
		}
		listed = append(listed, m)
	}
	if got, want := len(listed), 2; got != want {
		t.Fatalf("doc list: %d documents, want %d", got, want)
	}
	if got, want := listed[0]["kind"], "draft_resolution"; got != want {
		t.Errorf("kind = %v, want %v", got, want)
	}

	// A new version of document 1.
	id := fmt.Sprint(lines[0].Document)
	vout := c.run("doc", "version", "--json", "--note", "Anlage ergänzt", id, files[2])
	v := parseLines(t, vout)
	if len(v) != 1 || v[0].Status != "accepted" || v[0].Version != 2 {
		t.Fatalf("doc version: %s", vout)
	}
	show := c.run("doc", "show", id)
	for _, want := range []string{"superseded", "active", "Anlage ergänzt"} {
		if !strings.Contains(show, want) {
			t.Errorf("doc show lacks %q:\n%s", want, show)
		}
	}

	// doc get: the rendition of version 1 is the stored one, byte for byte.
	got := c.run("doc", "get", id, "--version", "1")
	if sum := sha256.Sum256([]byte(got)); hex.EncodeToString(sum[:]) != lines[0].SHA256 {
		t.Errorf("doc get --version 1: sha256 differs from the one doc add printed")
	}
	orig := c.run("doc", "get", id, "--version", "1", "--original")
	want, _ := os.ReadFile(files[0])
	if orig != string(want) {
		t.Errorf("doc get --original differs from the uploaded file")
	}
	if !strings.HasPrefix(got, "%PDF-") {
		t.Errorf("rendition is not a PDF")
	}

	// doc text: pages separated by form feeds, same count as pages.
	text := c.run("doc", "text", id)
	if got, want := strings.Count(text, "\f")+1, v[0].Pages; got != want {
		t.Errorf("doc text: %d pages, want %d", got, want)
	}
	if len(strings.TrimSpace(text)) < 100 {
		t.Errorf("doc text: almost no text: %q", text)
	}
}

// The server answers health, readiness and metrics, and serves a version's
// PDF with ranges and ETag to whoever may see it — here a clerk with an
// API token — and to nobody else: a document on no agenda is the office's
// alone.
func TestServe(t *testing.T) {
	files := corpus(t)
	c := newCLI(t)
	lines := parseLines(t, c.run("doc", "add", "--json", files[3]))
	if len(lines) != 1 || lines[0].Status != "accepted" {
		t.Fatalf("doc add: %+v", lines)
	}
	c.runIn("ein sehr gutes Passwort\n", "user", "add", "--role", "clerk", "amt")
	token := strings.TrimSpace(c.run("user", "token", "amt"))
	for _, enabled := range []bool{false, true} {
		base, stop := c.serve(t)
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			resp, err := http.Get(base + p)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET %s: %d %s", p, resp.StatusCode, body)
			}
			if p == "/metrics" && !strings.Contains(string(body), "go_goroutines") {
				t.Errorf("/metrics lacks go_goroutines")
			}
		}
		url := fmt.Sprintf("%s/api/v1/documents/%d/versions/1/file", base, lines[0].Document)
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Range", "bytes=0-7")
		if enabled {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !enabled {
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("file route for an anonymous viewer: %d, want 404", resp.StatusCode)
			}
			stop()
			continue
		}
		if got, want := resp.StatusCode, http.StatusPartialContent; got != want {
			t.Fatalf("range request: %d, want %d", got, want)
		}
		if got, want := string(body), "%PDF-1."; !strings.HasPrefix(got, want) || len(body) != 8 {
			t.Errorf("range body = %q", body)
		}
		etag := resp.Header.Get("ETag")
		if got, want := etag, `"`+lines[0].SHA256+`"`; got != want {
			t.Errorf("ETag = %s, want %s", got, want)
		}
		if resp.Header.Get("Last-Modified") == "" {
			t.Errorf("no Last-Modified")
		}
		if got := resp.Header.Get("Cache-Control"); got != "private, no-store" {
			t.Errorf("Cache-Control of a non-public document = %q", got)
		}
		req, _ = http.NewRequest("GET", url, nil)
		req.Header.Set("If-None-Match", etag)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, want := resp.StatusCode, http.StatusNotModified; got != want {
			t.Errorf("If-None-Match: %d, want %d", got, want)
		}
		req, _ = http.NewRequest("GET", fmt.Sprintf("%s/api/v1/documents/%d/versions/9/file", base, lines[0].Document), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, want := resp.StatusCode, http.StatusNotFound; got != want {
			t.Errorf("missing version: %d, want %d", got, want)
		}
		stop()
	}
}

// serve starts `ratsmappe serve` on a free port and returns its base URL
// and a function that stops it.
func (c *cli) serve(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := c.command(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lineCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on ") {
				lineCh <- sc.Text()
			}
		}
	}()
	select {
	case line := <-lineCh:
		base := line[strings.Index(line, "http://"):]
		stop := func() {
			cancel()
			cmd.Wait()
		}
		t.Cleanup(stop)
		return strings.TrimSpace(base), stop
	case <-time.After(60 * time.Second):
		cancel()
		cmd.Wait()
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	return "", nil
}

// checkConsistent opens the data directory as the server would after a
// restart and checks that every version is complete: its pages are all
// there and both its blobs exist with the right hash. It returns the
// number of versions.
func checkConsistent(t *testing.T, data string) int {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(data, "ratsmappe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if r := db.QueryRowContext(ctx, "PRAGMA integrity_check"); r != nil {
		var s string
		if err := r.Scan(&s); err != nil || s != "ok" {
			t.Fatalf("integrity_check: %s %v", s, err)
		}
	}
	var dangling int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM versions v WHERE v.pages !=
		(SELECT COUNT(*) FROM pages p WHERE p.document_id = v.document_id AND p.version = v.number)`).Scan(&dangling)
	if dangling != 0 {
		t.Errorf("%d versions with missing pages", dangling)
	}
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents d WHERE NOT EXISTS
		(SELECT 1 FROM versions v WHERE v.document_id = d.id)`).Scan(&dangling)
	if dangling != 0 {
		t.Errorf("%d documents without a version", dangling)
	}
	blobs, err := fsblob.Open(filepath.Join(data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	store := documents.NewStore(db)
	docs, err := store.FindDocuments(ctx, documents.DocumentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range docs {
		vs, err := store.FindVersions(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			n++
			for _, key := range []string{v.SHA256, v.OriginalSHA256} {
				rc, err := blobs.Get(ctx, key, 0, -1)
				if err != nil {
					t.Errorf("document %d version %d: blob %s: %v", d.ID, v.Number, key, err)
					continue
				}
				h := sha256.New()
				io.Copy(h, rc)
				rc.Close()
				if hex.EncodeToString(h.Sum(nil)) != key {
					t.Errorf("document %d version %d: blob %s has other content", d.ID, v.Number, key)
				}
			}
		}
	}
	return n
}
