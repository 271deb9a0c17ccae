package bleve

import (
	"context"
	"fmt"
	"slices"

	index "github.com/blevesearch/bleve_index_api"

	"github.com/ratsmappe/ratsmappe/search"
)

// matches returns, for each of the pages ids, where the terms p marks
// occur in its text, read from the term vectors the index keeps: the words
// need not be analysed again, and a compound matched by one of its parts
// is marked whole.
func matches(ctx context.Context, r index.IndexReader, ids []uint64, p *plan) (map[uint64][]search.Match, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	terms := make([]string, 0, len(p.marks))
	for t := range p.marks {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	out := make(map[uint64][]search.Match)
	var tfd index.TermFieldDoc
	for _, t := range terms {
		tfr, err := r.TermFieldReader(ctx, []byte(t), fieldText, false, false, true)
		if err != nil {
			return nil, fmt.Errorf("snippets: %w", err)
		}
		for _, id := range ids {
			d, err := tfr.Advance(index.NewIndexInternalID(nil, id), &tfd)
			if err != nil {
				tfr.Close()
				return nil, fmt.Errorf("snippets: %w", err)
			}
			if d == nil {
				break
			}
			if d.ID.Value() != id {
				continue
			}
			for _, v := range d.Vectors {
				out[id] = append(out[id], search.Match{Start: int(v.Start), End: int(v.End), Term: t})
			}
		}
		tfr.Close()
	}
	for id, ms := range out {
		slices.SortFunc(ms, func(a, b search.Match) int { return a.Start - b.Start })
		// A compound matched by several parts is one match.
		out[id] = slices.CompactFunc(ms, func(a, b search.Match) bool { return a.Start == b.Start })
	}
	return out, nil
}
