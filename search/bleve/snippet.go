package bleve

import (
	"slices"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// matches returns where the terms p marks occur in text, a hit's page, by
// analysing the page again: for the few pages a result shows, that is far
// cheaper than reading term vectors, which means walking the postings of
// every marked term up to each page. A compound matched by one of its
// parts is marked whole, since a part carries its compound's offsets.
func (x *Index) matches(text string, p *plan) []search.Match {
	var ms []search.Match
	x.analyzer.Analyze(text, func(t german.Token) {
		if p.marks[t.Term] {
			ms = append(ms, search.Match{Start: t.Start, End: t.End, Term: t.Term})
		}
	})
	slices.SortStableFunc(ms, func(a, b search.Match) int { return a.Start - b.Start })
	// A compound matched by several parts is one match.
	return slices.CompactFunc(ms, func(a, b search.Match) bool { return a.Start == b.Start })
}
