package bleve

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// matches must find, from a page's encoded analysis, exactly what
// analysing the page token by token finds, for marks of every kind
// (stems, compound parts, numbers) on real pages.
func TestMatchesAsAnalysis(t *testing.T) {
	files, err := searchtest.LoadKarlsruhe(searchtest.KarlsruheDir)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skipf("corpus not found (CI=true makes this a failure): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > 400 {
		files = files[:400]
	}
	v := german.NewVocabulary()
	for _, f := range files {
		v.Learn(f.Pages...)
	}
	x := &Index{vocab: v, analyzer: german.NewAnalyzer(v)}

	// Marks: the terms of every 97th distinct word.
	seen := make(map[string]bool)
	var marks []string
	for _, f := range files {
		for _, pg := range f.Pages {
			german.WordsAsWritten(pg, func(w german.Word) {
				if seen[w.Text] {
					return
				}
				seen[w.Text] = true
				tm := x.analyzer.Word(w.Text)
				if tm.Stem == "" {
					return
				}
				if len(seen)%97 == 0 {
					marks = append(marks, tm.Stem)
					marks = append(marks, tm.Parts...)
				}
			})
		}
	}

	// The matches of every page, for sets of those marks.
	for i := 0; i+8 <= len(marks); i += 8 {
		p := &plan{marks: make(map[string]bool)}
		for _, m := range marks[i : i+8] {
			p.marks[m] = true
		}
		ss := newSnippetState(p)
		f := files[(i/8)%len(files)]
		for _, pg := range f.Pages {
			pa := &pageAnalysis{analyzer: x.analyzer, text: pg}
			pa.run()
			got := ss.matches(pa.enc)
			want := analysed(x.analyzer, pg, p)
			if !slices.Equal(got, want) {
				t.Fatalf("matches of %v in a page of file %d:\n got %v\nwant %v", marks[i:i+8], f.ID, got, want)
			}
		}
	}
}

// analysed is matches the slow way: every token of the text analysed.
func analysed(a *german.Analyzer, text string, p *plan) []search.Match {
	var ms []search.Match
	a.Analyze(text, func(t german.Token) {
		if p.marks[t.Term] {
			ms = append(ms, search.Match{Start: t.Start, End: t.End, Term: t.Term})
		}
	})
	slices.SortStableFunc(ms, func(a, b search.Match) int { return a.Start - b.Start })
	return slices.CompactFunc(ms, func(a, b search.Match) bool { return a.Start == b.Start })
}
