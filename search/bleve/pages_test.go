package bleve_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
)

// A hit links at most MaxPages of its document's matching pages, best
// first, and says how many matched — also for a document whose pages
// were indexed in several writes (segments), for a hit past the first
// result page, and for a document matching on one page only.
func TestHitPages(t *testing.T) {
	x, err := bleve.Create(t.TempDir(), bleve.Options{CacheEntries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	public := search.Access{Principals: []string{search.Public}}
	page := func(doc int64, n, times int) search.Record {
		text := "Bericht der Verwaltung. " + strings.Repeat("Die Feuerwache braucht Platz. ", times)
		if times == 0 {
			text = "Bericht der Verwaltung über den Haushalt."
		}
		return search.Record{Document: doc, Version: 1, Page: n, Title: "Bericht", Text: text, Access: public}
	}
	// Document 1: 14 matching pages, page p mentioning the word p times
	// (page 15 not at all); documents 2–12: one matching page each.
	var recs []search.Record
	for p := 1; p <= 14; p++ {
		recs = append(recs, page(1, p, p))
	}
	recs = append(recs, page(1, 15, 0))
	if err := x.Index(ctx, recs); err != nil {
		t.Fatal(err)
	}
	for d := int64(2); d <= 12; d++ {
		if err := x.Index(ctx, []search.Record{page(d, 1, 1), page(d, 2, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	q := search.Query{Text: "Feuerwache", Viewer: search.Viewer{Principals: []string{search.Public}}, Order: search.OrderNewest}
	var all []search.Hit
	for _, off := range []int{0, 10} {
		q.Offset = off
		r, err := x.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 12 {
			t.Fatalf("Total = %d, want 12", r.Total)
		}
		all = append(all, r.Hits...)
	}
	if len(all) != 12 {
		t.Fatalf("%d hits on two pages, want 12", len(all))
	}
	for _, h := range all {
		want, matches := []int{1}, 1
		if h.Document == 1 {
			want, matches = []int{14, 13, 12, 11, 10, 9, 8, 7, 6, 5}, 14
		}
		if !slices.Equal(h.Pages, want) || h.Page != want[0] || h.Matches != matches {
			t.Errorf("document %d: Page %d, Pages %v, Matches %d; want %d, %v, %d", h.Document, h.Page, h.Pages, h.Matches, want[0], want, matches)
		}
	}
}
