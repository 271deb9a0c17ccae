package bleve_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// TestRelevance indexes the Karlsruhe corpus (all 4,114 texts, cut into
// pages) and requires every judged file among the first ten documents of
// its query.
func TestRelevance(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the whole corpus")
	}
	files, err := searchtest.LoadKarlsruhe(searchtest.KarlsruheDir)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skipf("corpus not found (CI=true makes this a failure): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	x, err := bleve.Create(t.TempDir(), bleve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	public := search.Access{Principals: []string{search.Public}}
	var recs []search.Record
	for _, f := range files {
		recs = append(recs, f.Records(f.ID, public)...)
	}
	start := time.Now()
	for _, r := range recs {
		x.Learn(r.Text)
	}
	if err := x.Index(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	t.Logf("indexed %d files, %d pages in %v", len(files), len(recs), time.Since(start))

	citizen := search.Viewer{Principals: []string{search.Public}}
	found, wanted := 0, 0
	for _, j := range searchtest.Relevance {
		r, err := x.Search(context.Background(), search.Query{Text: j.Query, Viewer: citizen, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var top []int64
		for _, h := range r.Hits {
			top = append(top, h.Document)
		}
		for _, w := range j.Want {
			wanted++
			if slices.Contains(top, w) {
				found++
				continue
			}
			t.Errorf("%q: file %d not among the first ten %v (%d found)", j.Query, w, top, r.Total)
		}
	}
	if got := len(searchtest.Relevance); got < 30 {
		t.Errorf("relevance set has %d queries, want at least 30", got)
	}
	t.Logf("recall@10 = %d/%d = %.3f over %d queries", found, wanted, float64(found)/float64(wanted), len(searchtest.Relevance))
}
