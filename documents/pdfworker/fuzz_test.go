package pdfworker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
)

// FuzzIngest feeds arbitrary bytes to the ingestion entry point, through
// the real worker processes. Property: every input ends accepted or with a
// typed rejection, within the deadline; never another error, never a
// crash of the caller. (The parsers run in the worker, where the fuzzer's
// coverage does not reach: mutation is unguided there.)
func FuzzIngest(f *testing.F) {
	f.Add(hostilePDF())
	f.Add(withObjectStreams(hostileObjects(), hostileTrailer))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj trailer << /Root 1 0 R >>"))
	f.Add([]byte("%PDF-"))
	f.Add([]byte("not a pdf at all"))
	for _, name := range []string{"alphatrans.pdf", "issue7200.pdf", "TrueType_without_cmap.pdf", "issue11242_reduced.pdf"} {
		if b, err := os.ReadFile(filepath.Join("../../../shared/corpus/pdfjs", name)); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	deadline := 10 * time.Second
	p := newPool(f, func(c *pdfworker.Config) {
		c.Workers = 1
		c.Deadline = deadline
		c.OCR = false
		c.Env = []string{childEnv + "=1"} // no test hooks while fuzzing
	})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := os.CreateTemp(dir, "fuzz-*.pdf")
		if err != nil {
			t.Fatal(err)
		}
		in.Write(data)
		in.Close()
		defer os.Remove(in.Name())
		start := time.Now()
		res, err := p.Ingest(context.Background(), in.Name())
		if d := time.Since(start); d > deadline+5*time.Second {
			t.Fatalf("took %v", d)
		}
		if err == nil {
			os.Remove(res.RenditionPath)
			if len(res.Pages) == 0 {
				t.Fatal("accepted without pages")
			}
			return
		}
		rej := documents.RejectionOf(err)
		if rej == nil {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
