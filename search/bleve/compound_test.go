package bleve_test

import (
	"context"
	"testing"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// TestCompoundsFreshIndex: an index that has learnt nothing splits
// inflected compounds by the word list, so that their heads find them.
func TestCompoundsFreshIndex(t *testing.T) {
	searchtest.NeedWordList(t)
	x, err := bleve.Create(t.TempDir(), bleve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if n := x.Vocabulary().Len(); n > 1000 {
		t.Fatalf("a fresh index knows %d learnt words", n)
	}
	texts := []string{
		"Erhebung von Straßenausbaubeiträgen",
		"Auskunft aus dem Ratsinformationssystem",
		"Einleitung des Bebauungsplanverfahrens",
		"Sanierung der Kindertagesstätten",
	}
	var recs []search.Record
	for i, text := range texts {
		recs = append(recs, search.Record{Document: int64(i + 1), Version: 1, Page: 1, Text: text, Title: "Vorlage",
			Access: search.Access{Principals: []string{search.Public}}})
	}
	if err := x.Index(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		query string
		doc   int64
	}{
		{"Beitrag", 1}, {"Beiträge", 1}, {"Straßenausbau", 1},
		{"System", 2}, {"Information", 2},
		{"Verfahren", 3}, {"Bebauungsplan", 3},
		{"Stätte", 4}, {"Kinder", 4},
	} {
		r, err := x.Search(context.Background(), search.Query{Text: tt.query, Viewer: search.Viewer{Principals: []string{search.Public}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Hits) == 0 || r.Hits[0].Document != tt.doc {
			t.Errorf("%q finds %+v, want document %d", tt.query, r.Hits, tt.doc)
		}
	}
}
