package pdfworker

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkEngine runs the in-process engine (no child process) over the
// Karlsruhe PDFs, for profiling: go test -run=^$ -bench=Engine -cpuprofile.
func BenchmarkEngine(b *testing.B) {
	files, _ := filepath.Glob("../../../shared/corpus/karlsruhe/pdf/*.pdf")
	if len(files) == 0 {
		b.Skip("corpus missing")
	}
	cache, _ := os.UserCacheDir()
	e := newEngine(ServeConfig{CacheDir: filepath.Join(cache, "ratsmappe-test", "wasm"), Log: slog.Default()})
	defer e.close()
	out := filepath.Join(b.TempDir(), "out.pdf")
	if _, err := e.instance(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			if r := e.process(context.Background(), job{Input: f, Output: out}); r.Code != "" {
				b.Fatalf("%s: %s %s", f, r.Code, r.Detail)
			}
		}
	}
}
