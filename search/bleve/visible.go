package bleve

import (
	"context"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
)

// visibleQuery matches the pages in a set of internal document numbers:
// the pages a viewer may find in one snapshot (Index.visible). As a
// clause of a search it is the viewer's filter, computed once per viewer
// and snapshot instead of from the access fields on every query. It does
// not score.
type visibleQuery struct {
	pages *roaring64.Bitmap
}

func (q visibleQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, o search.SearcherOptions) (search.Searcher, error) {
	return &visibleSearcher{pages: q.pages, it: q.pages.Iterator(), count: q.pages.GetCardinality()}, nil
}

// visibleSearcher walks a visibleQuery's set.
type visibleSearcher struct {
	pages *roaring64.Bitmap
	it    roaring64.IntPeekable64
	count uint64
}

func (s *visibleSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	if !s.it.HasNext() {
		return nil, nil
	}
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = index.NewIndexInternalID(dm.IndexInternalID, s.it.Next())
	dm.Score = 0
	return dm, nil
}

func (s *visibleSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	s.it.AdvanceIfNeeded(id.Value())
	return s.Next(ctx)
}

func (s *visibleSearcher) Close() error               { return nil }
func (s *visibleSearcher) Weight() float64            { return 0 }
func (s *visibleSearcher) SetQueryNorm(float64)       {}
func (s *visibleSearcher) Count() uint64              { return s.count }
func (s *visibleSearcher) Min() int                   { return 0 }
func (s *visibleSearcher) Size() int                  { return 64 }
func (s *visibleSearcher) DocumentMatchPoolSize() int { return 1 }
