package bleve_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

func newIndex(t *testing.T) search.Index {
	t.Helper()
	x, err := bleve.Create(t.TempDir(), bleve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestConformance(t *testing.T) {
	searchtest.Run(t, newIndex)
}

// The result cache must not change any answer: the suite passes without
// it too.
func TestConformanceWithoutCache(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		x, err := bleve.Create(t.TempDir(), bleve.Options{CacheEntries: -1, BatchSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		return x
	})
}

func haushalt(tb testing.TB, x search.Index) []int64 {
	tb.Helper()
	r, err := x.Search(context.Background(), search.Query{Text: "Haushalt", Viewer: search.Viewer{Principals: []string{search.Staff}}, Limit: 50})
	if err != nil {
		tb.Fatal(err)
	}
	var ds []int64
	for _, h := range r.Hits {
		ds = append(ds, h.Document)
	}
	slices.Sort(ds)
	return ds
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	x, err := bleve.Create(dir, bleve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Index(context.Background(), searchtest.Records()); err != nil {
		t.Fatal(err)
	}
	before := haushalt(t, x)
	words := x.Vocabulary().Len()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x, err = bleve.Open(dir, bleve.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer x.Close()
	if got := haushalt(t, x); !slices.Equal(got, before) || len(got) == 0 {
		t.Errorf("after reopening found %v, before %v", got, before)
	}
	if got := x.Vocabulary().Len(); got < words {
		t.Errorf("vocabulary has %d words after reopening, %d before", got, words)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := bleve.Open(t.TempDir(), bleve.Options{})
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.EUNAVAILABLE; got != want {
		t.Fatalf("Open(empty dir) error code = %q (%v), want %q", got, err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(empty dir) error %v is not fs.ErrNotExist", err)
	}
	x, err := bleve.OpenOrCreate(t.TempDir(), bleve.Options{})
	if err != nil {
		t.Fatalf("OpenOrCreate(empty dir): %v", err)
	}
	x.Close()
}

// A damaged index is reported as unavailable, so that the caller shows
// "temporarily unavailable" and rebuilds; Create then starts afresh.
func TestOpenDamaged(t *testing.T) {
	damages := map[string]func(t *testing.T, dir string){
		"segments overwritten": func(t *testing.T, dir string) {
			files, _ := filepath.Glob(filepath.Join(dir, "index", "store", "*.zap"))
			if len(files) == 0 {
				t.Fatal("no segment files")
			}
			for _, f := range files {
				if err := os.WriteFile(f, []byte("this is not a segment"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		},
		"root gone": func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "index", "store", "root.bolt")); err != nil {
				t.Fatal(err)
			}
		},
		"root garbage": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "index", "store", "root.bolt"), []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"meta garbage": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "index", "index_meta.json"), []byte("{"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			x, err := bleve.Create(dir, bleve.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := x.Index(context.Background(), searchtest.Records()); err != nil {
				t.Fatal(err)
			}
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			damage(t, dir)
			x, err = bleve.Open(dir, bleve.Options{})
			if err == nil {
				// Some damage shows only when the data is read.
				_, err = x.Search(context.Background(), search.Query{Text: "Haushalt", Viewer: search.Viewer{Principals: []string{search.Staff}}})
				x.Close()
			}
			if got, want := ratsmappe.ErrorCode(err), ratsmappe.EUNAVAILABLE; got != want {
				t.Fatalf("error code = %q (%v), want %q", got, err, want)
			}
			if got := ratsmappe.ErrorMessage(err); got != "Die Suche ist vorübergehend nicht verfügbar." {
				t.Errorf("message = %q", got)
			}
			x, err = bleve.Create(dir, bleve.Options{})
			if err != nil {
				t.Fatalf("Create after damage: %v", err)
			}
			defer x.Close()
			if got := haushalt(t, x); len(got) != 0 {
				t.Errorf("new index finds %v", got)
			}
		})
	}
}
