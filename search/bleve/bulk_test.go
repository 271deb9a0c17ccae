package bleve_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// A bulk load skips looking up the old pages of a document it writes for
// the first time; a document written again, in the load, after Compact
// ended it or after a Reset began another, still loses the pages its new
// version no longer has, and a removal still removes.
func TestReplaceAroundBulkLoad(t *testing.T) {
	ctx := context.Background()
	staff := search.Viewer{Principals: []string{search.Staff}}
	// Version 2 of the minutes (document 101) has one page; page 2 of
	// version 1 held "Straßenausbaubeiträge".
	v2 := search.Record{Document: 101, Version: 2, Page: 1, Title: "Niederschrift (berichtigt)",
		Committee: "Rat", Date: time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC), Kind: "minutes",
		Access: search.Access{Principals: []string{search.Public}},
		Text:   "Berichtigung: Der Rat vertagt die Gebühren."}
	found := func(t *testing.T, x *bleve.Index, text string) []int64 {
		t.Helper()
		r, err := x.Search(ctx, search.Query{Text: text, Viewer: staff, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var ds []int64
		for _, h := range r.Hits {
			ds = append(ds, h.Document)
		}
		return ds
	}
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, x *bleve.Index)
	}{
		{"in the load", func(t *testing.T, x *bleve.Index) {}},
		{"after Compact", func(t *testing.T, x *bleve.Index) {
			if err := x.Compact(ctx); err != nil {
				t.Fatal(err)
			}
		}},
		{"after Reset", func(t *testing.T, x *bleve.Index) {
			if err := x.Compact(ctx); err != nil {
				t.Fatal(err)
			}
			if err := x.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if err := x.Index(ctx, searchtest.Records()); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := bleve.Create(t.TempDir(), bleve.Options{CacheEntries: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if err := x.Index(ctx, searchtest.Records()); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(found(t, x, "Straßenausbaubeiträge"), 101) {
				t.Fatalf("version 1 of 101 not found")
			}
			tc.before(t, x)
			if err := x.Index(ctx, []search.Record{v2}); err != nil {
				t.Fatal(err)
			}
			if got := found(t, x, "Straßenausbaubeiträge"); slices.Contains(got, 101) {
				t.Errorf("page 2 of version 1 still found: %v", got)
			}
			if got := found(t, x, "Berichtigung"); !slices.Contains(got, 101) {
				t.Errorf("version 2 not found: %v", got)
			}
			if err := x.Remove(ctx, 101); err != nil {
				t.Fatal(err)
			}
			if got := found(t, x, "Berichtigung"); slices.Contains(got, 101) {
				t.Errorf("removed, still found: %v", got)
			}
		})
	}
}
