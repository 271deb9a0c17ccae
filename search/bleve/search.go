package bleve

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	rsearch "github.com/ratsmappe/ratsmappe/search"
)

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, q rsearch.Query) (*rsearch.Result, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed
	}
	key, cacheable := x.searchKey(q)
	if cacheable {
		if r, ok := x.cache.get(key); ok {
			return cloneResult(r.(*rsearch.Result)), nil
		}
	}
	release, err := x.acquire(ctx)
	if err != nil {
		return nil, err
	}
	gen := x.generation.Load()
	res, err := x.search(ctx, q)
	release()
	if err != nil {
		return nil, err
	}
	if !cacheable || x.opts.CacheEntries < 0 {
		return res, nil
	}
	x.cache.put(gen, x.generation.Load(), key, res)
	return cloneResult(res), nil
}

func emptyResult() *rsearch.Result {
	return &rsearch.Result{
		Hits: []rsearch.Hit{},
		Facets: []rsearch.Facet{
			{Name: rsearch.FacetCommittee, Values: []rsearch.FacetValue{}},
			{Name: rsearch.FacetKind, Values: []rsearch.FacetValue{}},
			{Name: rsearch.FacetYear, Values: []rsearch.FacetValue{}},
		},
	}
}

func (x *Index) search(ctx context.Context, q rsearch.Query) (res *rsearch.Result, err error) {
	defer func() {
		// A damaged segment can make Bleve panic deep inside a search.
		if r := recover(); r != nil {
			res, err = nil, rsearch.Unavailable(fmt.Errorf("search: panic: %v", r))
		}
	}()
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, rsearch.Unavailable(fmt.Errorf("search: not a scorch index"))
	}
	p, err := x.plan(r, q.Text)
	if err != nil {
		return nil, rsearch.Unavailable(fmt.Errorf("search: %w", err))
	}
	if len(p.clauses) == 0 {
		return emptyResult(), nil
	}
	sc, err := x.columns.forSnapshot(r)
	if err != nil {
		return nil, rsearch.Unavailable(fmt.Errorf("search: %w", err))
	}
	// The viewer's filter: the pages they may find in this snapshot,
	// computed once per viewer and snapshot (nil for staff).
	vk, err := x.viewerKey(q.Viewer, q.Now)
	if err != nil {
		return nil, rsearch.Unavailable(fmt.Errorf("search: %w", err))
	}
	vis, err := x.visibleSet(ctx, r, q.Viewer, q.Now, vk)
	if err != nil {
		return nil, err
	}
	c, err := x.execute(ctx, snap, sc, &p, vis, q.Filter, q.Offset+q.Limit, q.Order)
	if err != nil {
		return nil, err
	}
	defer x.slots.put(c)
	res = emptyResult()
	res.Total = c.total
	for f := range res.Facets {
		res.Facets[f].Values = rsearch.SortFacet(c.facet(f))
	}
	top := c.top()
	if q.Offset < len(top) {
		top = top[q.Offset:]
	} else {
		top = nil
	}
	pages, err := c.pagesOf(top)
	if err != nil {
		return nil, rsearch.Unavailable(fmt.Errorf("search: %w", err))
	}
	ss := newSnippetState(&p)
	res.Hits = make([]rsearch.Hit, 0, len(top))
	for k, g := range top {
		h, err := x.hit(snap, sc, g, pages[k], ss)
		if err != nil {
			return nil, err
		}
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

// pageHit is a matching page.
type pageHit struct {
	id    uint64 // internal document number in the snapshot
	page  int
	score float64
}

// group is a document with matching pages. It holds no pointers: a
// query makes one for every matching document.
type group struct {
	doc     int64
	date    int64   // Record.Date in unix seconds, noDate if none
	top     pageHit // the best page
	ord     int32   // the document's ordinal in the column cache
	matches int32
}

func (g *group) best() float64 { return g.top.score }

// addPage inserts a page into pages in score order, keeping at most
// MaxPages.
func addPage(pages []pageHit, p pageHit) []pageHit {
	i := len(pages)
	for i > 0 && better(p, pages[i-1]) {
		i--
	}
	if i >= rsearch.MaxPages {
		return pages
	}
	if len(pages) < rsearch.MaxPages {
		pages = append(pages, pageHit{})
	}
	copy(pages[i+1:], pages[i:])
	pages[i] = p
	return pages
}

func better(a, b pageHit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.page < b.page
}

// collected is what one pass over the matching pages found. It is
// pooled (slotPool), buffers and all: the search returns it when its
// hits are made.
type collected struct {
	// groups are the matching documents in the order met; slots maps a
	// document ordinal to its group's index + 1 (0: none).
	groups []group
	slots  []int32
	// seen has a bit per document ordinal, set for the matching ones
	// (countNew; cleared by put), and total counts them.
	seen  []uint64
	total int
	// before are words of seen before a segment's pages were marked
	// (countNew).
	before []uint64
	// combos counts, in countNew, a segment's newly matching documents
	// by columns.combos.
	combos []int32
	// exhaustive: a group for every matching document (groupAll), not
	// only for the best n (collectTop); always by date.
	exhaustive bool
	n          int // how many top groups are wanted
	order      rsearch.Order
	facets     [3][]int     // documents by facet value ordinal
	cache      *columnCache // for the names of the ordinals
	// segs are the matching pages of each segment with their scores,
	// for the pages of the groups shown; docs and scores hold them.
	segs   []segPages
	docs   []uint32
	scores []float64
	// scoring holds the scoring's buffers; shown maps a group's index
	// to its place among the groups shown + 1 (pagesOf, which clears it).
	scoring scoring
	shown   []int32
	// chunk is countNew's buffer of pages.
	chunk []uint32
}

// segPages are the matching pages of one segment: local numbers,
// ascending, and their scores.
type segPages struct {
	off    uint64 // the segment's first global document number
	col    *columns
	docs   []uint32
	scores []float64
	// rest, if not nil, are matching pages not scored (collectTop), with
	// what scores them: those of rest not in scored (nil for none), which
	// are another segPages' docs.
	rest   *roaring.Bitmap
	scored *roaring.Bitmap
	sq     *segQuery
	plan   *plan
	weight func(termKey, float64) float64
}

// pagesOf returns the best pages of each group in top, best first, at
// most MaxPages, and sets the groups' matches where collectTop left them
// to count. Only a result's groups need them, so they are found
// afterwards rather than kept for every matching document: looked up by
// document ordinal among each segment's matching pages (a page left
// unscored is scored here), or, after groupAll, in a second pass over
// the matching pages.
func (c *collected) pagesOf(top []*group) ([][]pageHit, error) {
	pages := make([][]pageHit, len(top))
	if !c.exhaustive {
		// The shown documents' rows, looked up among each segment's
		// matching pages.
		for k, g := range top {
			for _, sp := range c.segs {
				for _, r := range sp.col.rowsOf(g.ord) {
					var score float64
					if sp.rest != nil {
						if !sp.rest.Contains(r.local) || sp.scored != nil && sp.scored.Contains(r.local) {
							continue
						}
						one := []uint32{r.local}
						s := []float64{0}
						if err := c.scoring.score(sp.sq, sp.plan, roaring.BitmapOf(r.local), one, s, sp.weight); err != nil {
							return nil, err
						}
						score = s[0]
					} else {
						j, ok := slices.BinarySearch(sp.docs, r.local)
						if !ok {
							continue
						}
						score = sp.scores[j]
					}
					pages[k] = addPage(pages[k], pageHit{id: sp.off + uint64(r.local), page: int(sp.col.pages[r.local]), score: score})
					g.matches++
				}
			}
		}
		return pages, nil
	}
	if len(c.shown) < len(c.groups) {
		c.shown = make([]int32, len(c.groups)+len(c.groups)/4)
	}
	some := false
	for k, g := range top {
		if g.matches == 1 {
			pages[k] = []pageHit{g.top}
			continue
		}
		c.shown[c.slots[g.ord]-1], some = int32(k+1), true
	}
	if !some {
		return pages, nil
	}
	for _, sp := range c.segs {
		for j, local := range sp.docs {
			gi := c.slots[sp.col.ords[local]] - 1
			if k := c.shown[gi]; k > 0 {
				pages[k-1] = addPage(pages[k-1], pageHit{id: sp.off + uint64(local), page: int(sp.col.pages[local]), score: sp.scores[j]})
			}
		}
	}
	for _, g := range top {
		c.shown[c.slots[g.ord]-1] = 0
	}
	return pages, nil
}

// parseDocPage parses a "document-page" term.
func parseDocPage(b []byte) (doc int64, page int) {
	i := 0
	for ; i < len(b) && b[i] != '-'; i++ {
		doc = doc*10 + int64(b[i]-'0')
	}
	for i++; i < len(b); i++ {
		page = page*10 + int(b[i]-'0')
	}
	return doc, page
}

// facet returns the values of facet f with their counts.
func (c *collected) facet(f int) []rsearch.FacetValue {
	k := 0
	for o, n := range c.facets[f] {
		if o != 0 && n != 0 {
			k++
		}
	}
	vs := make([]rsearch.FacetValue, 0, k)
	for o, n := range c.facets[f] {
		if o == 0 || n == 0 {
			continue // no value
		}
		vs = append(vs, rsearch.FacetValue{Value: c.cache.name(uint32(o)), Count: n})
	}
	return vs
}

// top returns the best c.n groups, best first: by the score of their best
// page (with OrderNewest: by date first), then by document number.
func (c *collected) top() []*group {
	h := &groupHeap{gs: make([]*group, 0, min(c.n, len(c.groups))), newest: c.order == rsearch.OrderNewest}
	for i := range c.groups {
		g := &c.groups[i]
		if h.Len() < c.n {
			heap.Push(h, g)
		} else if c.n > 0 && h.better(g, h.gs[0]) {
			h.gs[0] = g
			heap.Fix(h, 0)
		}
	}
	out := make([]*group, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(*group)
	}
	return out
}

// better orders groups by relevance, or by date first when newest.
func (h groupHeap) better(a, b *group) bool {
	if h.newest && a.date != b.date {
		return a.date > b.date
	}
	if a.best() != b.best() {
		return a.best() > b.best()
	}
	return a.doc < b.doc
}

// groupHeap is a min-heap: the worst kept group on top.
type groupHeap struct {
	gs     []*group
	newest bool
}

func (h groupHeap) Len() int           { return len(h.gs) }
func (h groupHeap) Less(i, j int) bool { return h.better(h.gs[j], h.gs[i]) }
func (h groupHeap) Swap(i, j int)      { h.gs[i], h.gs[j] = h.gs[j], h.gs[i] }
func (h *groupHeap) Push(v any)        { h.gs = append(h.gs, v.(*group)) }
func (h *groupHeap) Pop() any {
	old := h.gs
	v := old[len(old)-1]
	h.gs = old[:len(old)-1]
	return v
}

// hit loads what a result shows of a group's document from its best page,
// with a snippet around the matches on that page.
func (x *Index) hit(snap *scorch.IndexSnapshot, sc *snapColumns, g *group, pages []pageHit, ss *snippetState) (rsearch.Hit, error) {
	best := g.top
	si := sc.locate(best.id, 0)
	local := best.id - sc.offsets[si]
	h := rsearch.Hit{Document: g.doc, Page: best.page, Matches: int(g.matches), Pages: make([]int, 0, len(pages))}
	for _, pg := range pages {
		h.Pages = append(h.Pages, pg.page)
	}
	if d := sc.cols[si].rows[local].date; d != noDate {
		h.Date = time.Unix(d, 0).UTC()
	}
	// Values are zap's buffer, valid only during the call: the snippet is
	// cut there, and what it keeps is copied.
	// Zap stores fields in the order of their names, so the text comes
	// before its analysis: the snippet is cut when the analysis comes.
	var text []byte
	cut := false
	err := snap.Segments()[si].Segment().VisitStoredFields(local, func(field string, _ byte, value []byte, _ []uint64) bool {
		switch field {
		case fieldText:
			text = value
		case fieldAnalysis:
			if text != nil {
				h.Snippet = snippet(unsafe.String(unsafe.SliceData(text), len(text)), ss.matches(value))
				cut = true
			}
		case fieldTitle:
			h.Title = string(value)
		case fieldRef:
			h.Reference = string(value)
		case fieldCommittee:
			h.Committee = string(value)
		case fieldKind:
			h.Kind = string(value)
		case fieldMeeting:
			h.Meeting = string(value)
		case fieldVersion:
			h.Version, _ = strconv.Atoi(string(value))
		}
		return true
	})
	if err != nil {
		return rsearch.Hit{}, fmt.Errorf("search: %w", err)
	}
	if !cut {
		// No analysis after the text (not written so by this package):
		// the start of the page, without marks.
		err = snap.Segments()[si].Segment().VisitStoredFields(local, func(field string, _ byte, value []byte, _ []uint64) bool {
			if field == fieldText {
				h.Snippet = snippet(unsafe.String(unsafe.SliceData(value), len(value)), nil)
				return false
			}
			return true
		})
		if err != nil {
			return rsearch.Hit{}, fmt.Errorf("search: %w", err)
		}
	}
	return h, nil
}

// snippet is rsearch.MakeSnippet, whose spans are a string of their own
// (never parts of text, which here is zap's buffer).
func snippet(text string, ms []rsearch.Match) rsearch.Snippet {
	return rsearch.MakeSnippet(text, ms)
}

// cloneResult copies r so that callers may change what they get without
// changing the cache.
func cloneResult(r *rsearch.Result) *rsearch.Result {
	c := *r
	c.Hits = append([]rsearch.Hit{}, r.Hits...)
	for i := range c.Hits {
		c.Hits[i].Pages = append([]int(nil), c.Hits[i].Pages...)
		c.Hits[i].Snippet = append(rsearch.Snippet(nil), c.Hits[i].Snippet...)
	}
	c.Facets = append([]rsearch.Facet{}, r.Facets...)
	for i := range c.Facets {
		c.Facets[i].Values = append([]rsearch.FacetValue{}, c.Facets[i].Values...)
	}
	return &c
}
