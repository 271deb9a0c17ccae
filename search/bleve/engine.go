package bleve

// The query engine. Bleve's searchers walk every matching page one by
// one through a tree of term, disjunction and conjunction searchers, each
// step allocating and scoring a match; with the viewer's filter as one
// more searcher, most of an uncached query went into that walk. The
// engine works on Bleve's segments directly instead:
//
//  1. Per segment, each clause's pages are the union of its
//     alternatives' postings bitmaps (roaring), a compound's parts their
//     intersection, a phrase the intersection of its terms checked for
//     consecutive positions. The pages of the query are the intersection
//     of its clauses, of the viewer's visible pages (a bitmap per viewer
//     and snapshot), of the user's filters and of the segment's live
//     pages: set operations on compressed bitmaps, not a walk.
//  2. Only the pages left are scored, by walking each alternative's
//     postings (frequency and norm) over them, with Bleve's own formula:
//     a term scores boost·idf²·√tf·norm, a clause the sum of its
//     matching alternatives times the share of them that match
//     (Bleve's coord), a page the sum of its clauses.
//  3. One pass groups the pages by document through the column cache's
//     document ordinals (an array, not a map), counts each document once
//     in the facets and keeps its best pages.
//
// What the viewer may not see is removed in step 1, before anything is
// counted, scored or shown.

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	rsearch "github.com/ratsmappe/ratsmappe/search"
)

// termKey names a term of a field.
type termKey struct{ field, term string }

// terms returns the distinct terms the plan and the filter f look up.
func (p *plan) terms(f rsearch.Filter) []termKey {
	var keys []termKey
	add := func(k termKey) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, c := range p.clauses {
		for _, a := range c {
			for _, t := range a.terms {
				add(termKey{a.field, t})
			}
		}
	}
	for _, v := range f.Committees {
		add(termKey{fieldCommittee, v})
	}
	for _, v := range f.Kinds {
		add(termKey{fieldKind, v})
	}
	for _, v := range f.Meetings {
		add(termKey{fieldMeeting, v})
	}
	return keys
}

// segQuery is a query's state in one segment.
type segQuery struct {
	seg   segment.Segment
	dicts map[string]segment.TermDictionary
	terms map[termKey]*termTF
	// alts are the pages of each alternative, by clause and alternative.
	alts [][]*roaring.Bitmap
}

// postings returns the postings list of term k in the segment.
func (s *segQuery) postings(k termKey) (segment.PostingsList, error) {
	d, ok := s.dicts[k.field]
	if !ok {
		var err error
		if d, err = s.seg.Dictionary(k.field); err != nil {
			return nil, err
		}
		s.dicts[k.field] = d
	}
	return d.PostingsList([]byte(k.term), nil, nil)
}

// bitmap returns the pages of term k in the segment. It must not be
// changed: it is the term cache's.
func (s *segQuery) bitmap(k termKey) *roaring.Bitmap {
	if t := s.terms[k]; t != nil {
		return t.bm
	}
	return roaring.New()
}

// anyOf returns the pages with one of the terms of field (owned).
func (s *segQuery) anyOf(field string, terms []string) *roaring.Bitmap {
	bms := make([]*roaring.Bitmap, 0, len(terms))
	for _, t := range terms {
		bms = append(bms, s.bitmap(termKey{field, t}))
	}
	return roaring.FastOr(bms...)
}

// altBitmap returns the pages alternative a matches (not to be changed);
// a compound's parts and a phrase only among the pages of within, if not
// nil.
func (s *segQuery) altBitmap(a *alt, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	switch a.kind {
	case altTerm:
		return s.bitmap(termKey{a.field, a.terms[0]}), nil
	case altAll:
		bms := make([]*roaring.Bitmap, 0, len(a.terms)+1)
		if within != nil {
			bms = append(bms, within)
		}
		for _, t := range a.terms {
			bms = append(bms, s.bitmap(termKey{a.field, t}))
		}
		return roaring.FastAnd(bms...), nil
	}
	// A phrase: pages with a term of every slot, then positions checked.
	var bms []*roaring.Bitmap
	for _, slot := range a.slots {
		if len(slot) > 0 {
			bms = append(bms, s.anyOf(a.field, slot))
		}
	}
	if within != nil {
		bms = append(bms, within)
	}
	cand := roaring.FastAnd(bms...)
	if cand.IsEmpty() {
		return cand, nil
	}
	if cand.GetCardinality() <= fewCandidates {
		return s.verifyPhraseStored(a, cand)
	}
	return s.verifyPhrase(a, cand)
}

// verifyPhrase returns the pages of cand on which a's slots occur at
// consecutive positions.
func (s *segQuery) verifyPhrase(a *alt, cand *roaring.Bitmap) (*roaring.Bitmap, error) {
	// An iterator's last posting is kept: Advance moves past it, and the
	// next candidate may be that very page.
	type iter struct {
		it   segment.PostingsIterator
		cur  segment.Posting
		done bool
	}
	slots := make([][]*iter, len(a.slots))
	for i, slot := range a.slots {
		for _, t := range slot {
			k := termKey{a.field, t}
			if tf := s.terms[k]; tf == nil || tf.n == 0 {
				continue
			}
			pl, err := s.postings(k)
			if err != nil {
				return nil, err
			}
			slots[i] = append(slots[i], &iter{it: pl.Iterator(true, false, true, nil)})
		}
	}
	out := roaring.New()
	positions := make([][]uint64, len(a.slots))
	it := cand.Iterator()
	for it.HasNext() {
		d := uint64(it.Next())
		for i := range slots {
			positions[i] = positions[i][:0]
			for _, pi := range slots[i] {
				if pi.done {
					continue
				}
				if pi.cur == nil || pi.cur.Number() < d {
					p, err := pi.it.Advance(d)
					if err != nil {
						return nil, err
					}
					if p == nil {
						pi.done = true
						continue
					}
					pi.cur = p
				}
				if pi.cur.Number() != d {
					continue
				}
				for _, l := range pi.cur.Locations() {
					positions[i] = append(positions[i], l.Pos())
				}
			}
		}
		if consecutive(positions, a.slots) {
			out.Add(uint32(d))
		}
	}
	return out, nil
}

// fewCandidates is up to how many candidate pages a phrase is checked
// on their stored analysis (snippet.go) rather than on the postings'
// positions: zap finds a page's positions only by decoding the postings
// before it, which for a common word costs more than reading a few
// pages.
const fewCandidates = 64

// verifyPhraseStored is verifyPhrase from the pages' stored analysis. A
// term is recognised by its hash there, so a page could match by a
// collision of hashes at exactly the right position among pages that
// have every word of the phrase: far less likely than a typo.
func (s *segQuery) verifyPhraseStored(a *alt, cand *roaring.Bitmap) (*roaring.Bitmap, error) {
	slotOf := make(map[uint32][]int)
	for i, slot := range a.slots {
		for _, t := range slot {
			h := termHash(t)
			slotOf[h] = append(slotOf[h], i)
		}
	}
	out := roaring.New()
	positions := make([][]uint64, len(a.slots))
	it := cand.Iterator()
	for it.HasNext() {
		d := it.Next()
		for i := range positions {
			positions[i] = positions[i][:0]
		}
		// The value is zap's buffer, valid only during the call.
		err := s.seg.VisitStoredFields(uint64(d), func(field string, _ byte, enc []byte, _ []uint64) bool {
			if field != fieldAnalysis {
				return true
			}
			var t token
			for {
				var ok bool
				if t, enc, ok = nextToken(enc, t); !ok {
					return false
				}
				for _, i := range slotOf[t.hash] {
					positions[i] = append(positions[i], uint64(t.position))
				}
			}
		})
		if err != nil {
			return nil, err
		}
		if consecutive(positions, a.slots) {
			out.Add(d)
		}
	}
	return out, nil
}

// consecutive reports whether some position p has, for every slot i that
// is not empty, p+i among positions[i].
func consecutive(positions [][]uint64, slots [][]string) bool {
	first := 0
	for first < len(slots) && len(slots[first]) == 0 {
		first++
	}
	if first == len(slots) {
		return false
	}
	for _, p0 := range positions[first] {
		start := int64(p0) - int64(first)
		ok := true
		for i := first + 1; i < len(slots) && ok; i++ {
			if len(slots[i]) == 0 {
				continue
			}
			ok = slices.Contains(positions[i], uint64(start+int64(i)))
		}
		if ok {
			return true
		}
	}
	return false
}

// execute runs plan p in snapshot snap for a viewer whose visible pages
// are vis (nil: everything), with the user's filter f, and collects the
// matching pages. n is how many top groups are wanted.
func (x *Index) execute(ctx context.Context, snap *scorch.IndexSnapshot, sc *snapColumns, p *plan, vis *visibleSet, f rsearch.Filter, n int, order rsearch.Order) (*collected, error) {
	segs := snap.Segments()
	keys := p.terms(f)

	// Every term's pages in every segment, and the number of pages each
	// term occurs on, for its weight.
	queries := make([]*segQuery, len(segs))
	df := make(map[termKey]uint64, len(keys))
	for i, ss := range segs {
		sq := &segQuery{seg: ss.Segment(), dicts: make(map[string]segment.TermDictionary), terms: make(map[termKey]*termTF, len(keys))}
		for _, k := range keys {
			t, err := x.tfs.get(sq, k)
			if err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
			sq.terms[k] = t
			df[k] += uint64(t.n)
		}
		queries[i] = sq
	}
	docCount, err := snap.DocCount()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	weight := func(k termKey, boost float64) float64 {
		idf := 1 + math.Log(float64(docCount)/float64(df[k]+1))
		return boost * idf * idf
	}

	c := x.slots.get(x.columns.documents())
	// By date, a page's group needs the date its document's first
	// matching page has, whichever page comes to be kept: every group is
	// made.
	c.n, c.cache, c.order, c.exhaustive = n, x.columns, order, x.exhaustive || order == rsearch.OrderNewest
	for i, ss := range segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sq := queries[i]
		m, err := x.matchSegment(sq, ss, p, vis, i, f)
		if err != nil {
			return nil, err
		}
		if m == nil || m.IsEmpty() {
			continue
		}
		rows := sc.cols[i].rows
		if !f.From.IsZero() || !f.To.IsZero() {
			m = dateFilter(m, rows, f)
		}
		off := sc.offsets[i]
		col := sc.cols[i]
		if c.exhaustive {
			docs, scores := c.page(m)
			if err := c.scoring.score(sq, p, m, docs, scores, weight); err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
			c.segs = append(c.segs, segPages{off: off, col: col, docs: docs, scores: scores})
			c.groupAll(off, col, docs, scores)
			continue
		}
		if err := c.collectTop(sq, p, m, off, col, weight); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return c, nil
}

// page returns the pages of m, ascending, and room for their scores.
// They are kept, for the pages of the groups shown, in the pooled
// buffers: a later segment may move the buffers, not what an earlier
// one's slices hold.
func (c *collected) page(m *roaring.Bitmap) (docs []uint32, scores []float64) {
	start, k := len(c.docs), int(m.GetCardinality())
	c.docs = slices.Grow(c.docs, k)[:start+k]
	m.ManyIterator().NextMany(c.docs[start:])
	c.scores = slices.Grow(c.scores, k)[:start+k]
	return c.docs[start:], c.scores[start:]
}

// collectTop counts the matching pages m of a segment (sq, col, starting
// at global number off) in the total and facets and keeps the best
// groups (keep). It scores first the pages of the
// strong alternatives (boost above 1: a title, a reference), which the
// best pages almost always have, and the other pages only if the best
// of them could still beat the worst kept group: each of their clauses
// scores at most the sum of its other alternatives' largest term values
// (the share of matching alternatives is at most 1). Those left
// unscored are kept as a bitmap; pagesOf scores the few it needs.
func (c *collected) collectTop(sq *segQuery, p *plan, m *roaring.Bitmap, off uint64, col *columns, weight func(termKey, float64) float64) error {
	if c.n > 0 {
		strong, bound, err := strongPages(sq, p, weight)
		if err != nil {
			return err
		}
		var first *roaring.Bitmap
		if strong != nil {
			first = within(m, strong)
		}
		if first != nil && !first.IsEmpty() && first.GetCardinality() < m.GetCardinality() {
			// Most of m is usually only counted: straight from the
			// bitmap, without listing its pages.
			c.countNew(col, m)
			docs, scores := c.page(first)
			if err := c.scoring.score(sq, p, first, docs, scores, weight); err != nil {
				return err
			}
			c.segs = append(c.segs, segPages{off: off, col: col, docs: docs, scores: scores})
			c.keep(off, col, docs, scores)
			// A margin for the sums' rounding in another order.
			if len(c.groups) == c.n && c.groups[0].top.score > bound*(1+1e-9) {
				c.segs = append(c.segs, segPages{off: off, col: col, rest: m, scored: first, sq: sq, plan: p, weight: weight})
				return nil
			}
			m = roaring.AndNot(m, first)
			docs, scores = c.page(m)
			return c.scoreKeep(sq, p, m, off, col, docs, scores, weight)
		}
	}
	docs, scores := c.page(m)
	c.countPages(col, docs)
	return c.scoreKeep(sq, p, m, off, col, docs, scores, weight)
}

// scoreKeep scores the pages docs of m and keeps their best groups.
func (c *collected) scoreKeep(sq *segQuery, p *plan, m *roaring.Bitmap, off uint64, col *columns, docs []uint32, scores []float64, weight func(termKey, float64) float64) error {
	if err := c.scoring.score(sq, p, m, docs, scores, weight); err != nil {
		return err
	}
	c.segs = append(c.segs, segPages{off: off, col: col, docs: docs, scores: scores})
	c.keep(off, col, docs, scores)
	return nil
}

// strongPages returns the pages of each of the segment's strong
// alternatives (boost above 1), nil if there are none, and the largest
// score a page without any of them can have. The caller narrows them to
// its matching pages before joining them: their union is bigger.
func strongPages(sq *segQuery, p *plan, weight func(termKey, float64) float64) ([]*roaring.Bitmap, float64, error) {
	var strong []*roaring.Bitmap
	bound := 0.0
	for ci, cl := range p.clauses {
		for ai := range cl {
			a := &cl[ai]
			if a.boost > 1 {
				if sq.alts[ci] == nil || sq.alts[ci][ai] == nil {
					return nil, 0, nil // not evaluated: no split
				}
				strong = append(strong, sq.alts[ci][ai])
				continue
			}
			for _, t := range a.terms {
				k := termKey{a.field, t}
				tf := sq.terms[k]
				if tf == nil || tf.n == 0 || a.boost == 0 {
					continue
				}
				if err := tf.decode(sq, k); err != nil {
					return nil, 0, err
				}
				bound += weight(k, a.boost) * float64(tf.max)
			}
		}
	}
	if len(strong) == 0 {
		return nil, 0, nil
	}
	return strong, bound, nil
}

// groupAll groups the matching pages docs of a segment (col, starting at
// global number off) with their scores by document: a group for every
// matching document, with its number of matching pages and best page,
// each document counted once in the facets. It is the exhaustive
// grouping that collectTop must agree with.
func (c *collected) groupAll(off uint64, col *columns, docs []uint32, scores []float64) {
	ords, pgs, infos := col.ords, col.pages, col.infos
	for j, local := range docs {
		o := ords[local]
		ph := pageHit{id: off + uint64(local), page: int(pgs[local]), score: scores[j]}
		gi := c.slots[o]
		if gi == 0 {
			d := &col.docs[infos[local]]
			c.groups = append(c.groups, group{doc: d.doc, ord: o, date: d.date, matches: 1, top: ph})
			c.slots[o] = int32(len(c.groups))
			c.count(d)
			continue
		}
		g := &c.groups[gi-1]
		g.matches++
		if better(ph, g.top) {
			g.top = ph
		}
	}
	c.total = len(c.groups)
}

// countNew counts the documents of a segment's matching pages m (col)
// that no earlier page matched, in the total and the facets (countPages),
// reading m's pages a chunk at a time rather than listing them all.
func (c *collected) countNew(col *columns, m *roaring.Bitmap) {
	counts := c.startCount(col)
	if col.docCombo != nil {
		c.markBefore(col)
	}
	// The chunk is the pooled state's: on the stack it escapes (through
	// the iterator's interface), 2 kB of garbage a segment.
	if c.chunk == nil {
		c.chunk = make([]uint32, countChunk)
	}
	buf := c.chunk
	it := m.ManyIterator()
	for {
		k := it.NextMany(buf)
		if k == 0 {
			break
		}
		if col.docCombo != nil {
			markOrds(col.ords, c.seen, buf[:k])
		} else {
			countOrds(col.oc, c.seen, counts, buf[:k])
		}
	}
	if col.docCombo != nil {
		c.countMarked(col, counts)
	}
	c.endCount(col, counts)
}

// markBefore keeps the words of c.seen that col's document ordinals
// fall in, for countMarked.
func (c *collected) markBefore(col *columns) {
	c.before = append(c.before[:0], c.seen[col.minOrd>>6:col.maxOrd>>6+1]...)
}

// markOrds marks the documents of pages in seen.
func markOrds(ords []int32, seen []uint64, pages []uint32) {
	for _, local := range pages {
		o := ords[local]
		seen[o>>6] |= 1 << uint(o&63)
	}
}

// countMarked counts in counts, by facet combination, the documents of
// col that markOrds marked since markBefore: each once, by its
// combination in the segment, which is its first matching page's.
func (c *collected) countMarked(col *columns, counts []int32) {
	lo := int(col.minOrd >> 6)
	for i, old := range c.before {
		w := lo + i
		for nw := c.seen[w] &^ old; nw != 0; nw &= nw - 1 {
			o := int32(w<<6 + bits.TrailingZeros64(nw))
			counts[col.docCombo[o-col.minOrd]]++
		}
	}
}

// countChunk is how many pages countNew reads from a bitmap at a time:
// a buffer that stays in the first-level cache.
const countChunk = 512

// countPages counts the documents of a segment's matching pages docs
// (col) that no earlier page matched, in the total and the facets: a bit
// per document ordinal says which were met, and the new ones are counted
// by their facet combination, added to the facets once at the end.
func (c *collected) countPages(col *columns, docs []uint32) {
	counts := c.startCount(col)
	if col.docCombo != nil {
		c.markBefore(col)
		markOrds(col.ords, c.seen, docs)
		c.countMarked(col, counts)
	} else {
		countOrds(col.oc, c.seen, counts, docs)
	}
	c.endCount(col, counts)
}

// startCount returns zeroed counts for col's facet combinations.
func (c *collected) startCount(col *columns) []int32 {
	counts := c.combos[:0]
	for range col.combos {
		counts = append(counts, 0)
	}
	return counts
}

// countOrds marks the documents of pages in seen and counts in counts,
// by facet combination, those not marked before.
func countOrds(oc []ordCombo, seen []uint64, counts []int32, pages []uint32) {
	// Without a branch: whether a page's document is new is about even
	// for a common word, so a branch would be mispredicted half the
	// time; the count adds 0 or 1 instead.
	for _, local := range pages {
		r := oc[local]
		w, sh := r.ord>>6, uint(r.ord&63)
		old := seen[w]
		seen[w] = old | 1<<sh
		counts[r.combo] += int32(^old>>sh) & 1
	}
}

// endCount adds a segment's counts by facet combination (col) to the
// total and the facets.
func (c *collected) endCount(col *columns, counts []int32) {
	for k, n := range counts {
		if n == 0 {
			continue
		}
		c.total += int(n)
		for fi, v := range col.combos[k] {
			c.grow(fi, v)
			c.facets[fi][v] += int(n)
		}
	}
	c.combos = counts
}

// keep is groupAll keeping only the best c.n groups by relevance (with
// countNew for the total and facets, and pagesOf for the kept groups'
// matches): a group is made only for a document that can still be among
// the best c.n, which c.groups keeps as a heap, the worst on top. A
// page that scores below the worst kept group's best page can neither
// bring its document in nor improve a kept one (which scores at least as
// much), so most pages cost a comparison.
func (c *collected) keep(off uint64, col *columns, docs []uint32, scores []float64) {
	if c.n == 0 {
		return
	}
	oc, pgs, infos := col.oc, col.pages, col.infos
	floor := math.Inf(-1) // the worst kept group's best score, once c.n are kept
	if len(c.groups) == c.n {
		floor = c.groups[0].top.score
	}
	for j, local := range docs {
		s := scores[j]
		if s < floor {
			continue
		}
		o := oc[local].ord
		ph := pageHit{id: off + uint64(local), page: int(pgs[local]), score: s}
		if gi := c.slots[o]; gi != 0 {
			g := &c.groups[gi-1]
			if better(ph, g.top) {
				g.top = ph
				c.down(int(gi - 1))
			}
		} else {
			d := &col.docs[infos[local]]
			g := group{doc: d.doc, ord: o, date: d.date, top: ph}
			switch {
			case len(c.groups) < c.n:
				c.groups = append(c.groups, g)
				c.slots[o] = int32(len(c.groups))
				c.up(len(c.groups) - 1)
			case c.better(&g, &c.groups[0]):
				c.slots[c.groups[0].ord] = 0
				c.groups[0] = g
				c.slots[o] = 1
				c.down(0)
			default:
				continue
			}
		}
		if len(c.groups) == c.n {
			floor = c.groups[0].top.score
		}
	}
}

// count counts a matching document, whose first matching page's table
// entry is d, in the facets.
func (c *collected) count(d *docInfo) {
	for fi, v := range d.facet {
		c.grow(fi, v)
		c.facets[fi][v]++
	}
}

// grow makes facet fi's counts long enough for ordinal v.
func (c *collected) grow(fi int, v uint32) {
	for len(c.facets[fi]) <= int(v) {
		c.facets[fi] = append(c.facets[fi], 0)
	}
}

// better orders groups by relevance, or by date first when newest, as
// top ranks them.
func (c *collected) better(a, b *group) bool {
	if c.order == rsearch.OrderNewest && a.date != b.date {
		return a.date > b.date
	}
	if a.best() != b.best() {
		return a.best() > b.best()
	}
	return a.doc < b.doc
}

// up and down restore keep's heap (the worst group on top) after the
// group at i got worse (up) or better (down), keeping slots in step.
func (c *collected) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !c.better(&c.groups[parent], &c.groups[i]) {
			break
		}
		c.swap(i, parent)
		i = parent
	}
}

func (c *collected) down(i int) {
	n := len(c.groups)
	for {
		worst := i
		if l := 2*i + 1; l < n && c.better(&c.groups[worst], &c.groups[l]) {
			worst = l
		}
		if r := 2*i + 2; r < n && c.better(&c.groups[worst], &c.groups[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		c.swap(i, worst)
		i = worst
	}
}

func (c *collected) swap(i, j int) {
	c.groups[i], c.groups[j] = c.groups[j], c.groups[i]
	c.slots[c.groups[i].ord], c.slots[c.groups[j].ord] = int32(i+1), int32(j+1)
}

// matchSegment returns the pages of segment i that match p, are visible
// and live and pass the filter's terms, nil for none. They are not to be
// changed: they may be a term's pages or the viewer's visible ones,
// where nothing narrowed them (a copy would be garbage of a search). Clauses with a phrase are evaluated last, on the pages the
// others left: checking positions is the expensive part.
func (x *Index) matchSegment(sq *segQuery, ss *scorch.SegmentSnapshot, p *plan, vis *visibleSet, i int, f rsearch.Filter) (*roaring.Bitmap, error) {
	var sets []*roaring.Bitmap
	if vis != nil {
		v := vis.segs[i]
		if v == nil || v.IsEmpty() {
			return nil, nil
		}
		sets = append(sets, v)
	}
	sq.alts = make([][]*roaring.Bitmap, len(p.clauses))
	var phrased, plain []int
	size := make([]uint64, len(p.clauses))
	for ci, cl := range p.clauses {
		if slices.ContainsFunc(cl, func(a alt) bool { return a.kind == altPhrase }) {
			phrased = append(phrased, ci)
			continue
		}
		// A compound's parts are intersected later, within the pages
		// left; its size is estimated by its rarest part.
		bms := make([]*roaring.Bitmap, len(cl))
		for ai := range cl {
			if cl[ai].kind == altAll {
				least := uint64(math.MaxUint64)
				for _, t := range cl[ai].terms {
					least = min(least, sq.bitmap(termKey{cl[ai].field, t}).GetCardinality())
				}
				size[ci] += least
				continue
			}
			bm, err := sq.altBitmap(&cl[ai], nil)
			if err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
			bms[ai] = bm
			size[ci] += bm.GetCardinality()
		}
		sq.alts[ci] = bms
		plain = append(plain, ci)
	}
	for _, filter := range []struct {
		field  string
		values []string
	}{{fieldCommittee, f.Committees}, {fieldKind, f.Kinds}, {fieldMeeting, f.Meetings}} {
		if len(filter.values) > 0 {
			sets = append(sets, sq.anyOf(filter.field, filter.values))
		}
	}
	// Smallest first: every intersection is then at most that small, and
	// a clause's alternatives are intersected with the pages left before
	// they are joined, rather than joined whole.
	slices.SortFunc(sets, func(a, b *roaring.Bitmap) int {
		return cmp.Compare(a.GetCardinality(), b.GetCardinality())
	})
	slices.SortFunc(plain, func(a, b int) int { return cmp.Compare(size[a], size[b]) })
	// m starts as the smallest set, which the visible set or a term's
	// pages are (not to be changed): the first operation that narrows it
	// makes it a bitmap of its own, rather than a copy made first (at ten
	// years a viewer's pages are a megabyte).
	var m *roaring.Bitmap
	owned := true
	and := func(b *roaring.Bitmap) {
		if owned {
			m.And(b)
		} else {
			m, owned = roaring.And(m, b), true
		}
	}
	switch {
	case len(sets) > 0 && (len(plain) == 0 || sets[0].GetCardinality() <= size[plain[0]]):
		m, owned = sets[0], false
		sets = sets[1:]
	case len(plain) > 0:
		sq.allWithin(p.clauses[plain[0]], plain[0], nil)
		m, owned = union(sq.alts[plain[0]])
		plain = plain[1:]
	default:
		m = roaring.New()
		m.AddRange(0, sq.seg.Count())
	}
	if d := ss.Deleted(); d != nil && !d.IsEmpty() {
		if owned {
			m.AndNot(d)
		} else {
			m, owned = roaring.AndNot(m, d), true
		}
	}
	for _, s := range sets {
		if m.IsEmpty() {
			break
		}
		and(s)
	}
	for _, ci := range plain {
		if m.IsEmpty() {
			break
		}
		sq.allWithin(p.clauses[ci], ci, m)
		alts := sq.alts[ci]
		if len(alts) == 1 {
			and(alts[0])
			continue
		}
		m, owned = within(m, alts), true
	}
	for _, ci := range phrased {
		if m.IsEmpty() {
			break
		}
		bm, err := sq.clauseBitmap(ci, p.clauses[ci], m)
		if err != nil {
			return nil, err
		}
		and(bm)
	}
	return m, nil
}

// union returns the pages of any of bms: one of bms itself (owned false:
// not to be changed) when there is one, else a bitmap of its own. It
// joins them pair by pair, which makes a sparse union's containers at
// their size, where FastOr makes each a 8 kB bitmap first and converts
// it back; and a single one is not copied.
func union(bms []*roaring.Bitmap) (u *roaring.Bitmap, owned bool) {
	switch len(bms) {
	case 0:
		return roaring.New(), true
	case 1:
		return bms[0], false
	}
	u = roaring.Or(bms[0], bms[1])
	for _, b := range bms[2:] {
		u.Or(b)
	}
	return u, true
}

// within returns the pages of m that are in any of bms (a bitmap of its
// own): each of bms narrowed to m first, which is smaller than their
// union, then those joined.
func within(m *roaring.Bitmap, bms []*roaring.Bitmap) *roaring.Bitmap {
	var u *roaring.Bitmap
	for _, b := range bms {
		in := roaring.And(m, b)
		switch {
		case in.IsEmpty():
		case u == nil:
			u = in
		default:
			u.Or(in)
		}
	}
	if u == nil {
		return roaring.New()
	}
	return u
}

// allWithin sets the pages of clause ci's compound parts alternatives:
// the pages of within (everything if nil) with all the parts.
func (s *segQuery) allWithin(cl clause, ci int, within *roaring.Bitmap) {
	for ai, a := range cl {
		if a.kind == altAll {
			s.alts[ci][ai], _ = s.altBitmap(&cl[ai], within) // no error without a phrase
		}
	}
}

// clauseBitmap returns the pages clause ci matches (not to be changed),
// and keeps its alternatives' pages for scoring. A phrase is checked
// only on pages in within, if not nil.
func (s *segQuery) clauseBitmap(ci int, cl clause, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	bms := make([]*roaring.Bitmap, len(cl))
	for ai := range cl {
		bm, err := s.altBitmap(&cl[ai], within)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		bms[ai] = bm
	}
	s.alts[ci] = bms
	if len(bms) == 1 {
		return bms[0], nil
	}
	return roaring.FastOr(bms...), nil
}

// dateFilter returns the pages of m whose date is in [f.From, f.To).
func dateFilter(m *roaring.Bitmap, rows []colRow, f rsearch.Filter) *roaring.Bitmap {
	lo, hi := int64(math.MinInt64+1), int64(math.MaxInt64)
	if !f.From.IsZero() {
		lo = f.From.Unix()
	}
	if !f.To.IsZero() {
		hi = f.To.Unix()
	}
	out := roaring.New()
	it := m.Iterator()
	for it.HasNext() {
		d := it.Next()
		if v := rows[d].date; v != noDate && v >= lo && v < hi {
			out.Add(d)
		}
	}
	return out
}

// scoring holds a query's buffers, kept with its pooled state.
type scoring struct {
	sum   []float64
	count []uint16
	// in are the pages of m an alternative matches, at their indexes in
	// docs.
	in []uint32
	at []int32
}

// score sets scores to the scores of docs (the pages of m, in order) in
// segment sq: for each clause, the sum of the scores of its alternatives
// that match, times the share of alternatives that match.
func (s *scoring) score(sq *segQuery, p *plan, m *roaring.Bitmap, docs []uint32, scores []float64, weight func(termKey, float64) float64) error {
	n := len(docs)
	s.sum = grow(s.sum, n)
	if cap(s.count) < n {
		s.count = make([]uint16, n)
	}
	s.count = s.count[:n]
	clear(scores)
	for ci, cl := range p.clauses {
		clear(s.sum)
		clear(s.count)
		for ai := range cl {
			a := &cl[ai]
			if a.kind == altTerm && a.boost != 0 {
				// The alternative's pages are its term's: one merge of
				// docs with the term's pages both counts and scores.
				k := termKey{a.field, a.terms[0]}
				tf := sq.terms[k]
				if tf == nil || tf.n == 0 {
					continue
				}
				if err := tf.decode(sq, k); err != nil {
					return err
				}
				s.termScores(docs, tf, weight(k, a.boost), len(cl) == 1)
				continue
			}
			in, at := s.matching(m, docs, sq.alts[ci][ai], len(cl) == 1)
			if len(in) == 0 {
				continue
			}
			if a.boost == 0 {
				continue
			}
			for _, t := range a.terms {
				k := termKey{a.field, t}
				tf := sq.terms[k]
				if tf == nil || tf.n == 0 {
					continue
				}
				if err := tf.decode(sq, k); err != nil {
					return err
				}
				w := weight(k, a.boost)
				if dense := tf.dense; dense != nil {
					for x, d := range in {
						if v := dense[d]; v != 0 {
							j := x
							if at != nil {
								j = int(at[x])
							}
							s.sum[j] += w * float64(v)
						}
					}
					continue
				}
				td := tf.post
				p := 0
				for x, d := range in {
					// Most pages are the term's next one: a step, not a
					// search.
					if p < len(td) && td[p].doc < d {
						if p++; p < len(td) && td[p].doc < d {
							p = tf.seek(p, d)
						}
					}
					if p == len(td) {
						break
					}
					if td[p].doc != d {
						continue
					}
					j := x
					if at != nil {
						j = int(at[x])
					}
					s.sum[j] += w * float64(td[p].val)
				}
			}
		}
		for j := range n {
			if s.count[j] > 0 {
				scores[j] += s.sum[j] * float64(s.count[j]) / float64(len(cl))
			}
		}
	}
	return nil
}

// termScores counts and scores the pages of docs that are among the
// term's pages, weighing each by w: the pages docs and the term have in
// common, found by walking the shorter and seeking in the longer. whole
// says every page of docs is one of the term's.
func (s *scoring) termScores(docs []uint32, tf *termTF, w float64, whole bool) {
	if dense := tf.dense; dense != nil {
		// Without a branch: a dense term is on a page or not about as
		// often. Where it is not, v is 0 and the sum gets +0, which
		// changes no sum (sums are never -0).
		count, sum := s.count[:len(docs)], s.sum[:len(docs)]
		for j, d := range docs {
			v := dense[d]
			var on uint16
			if v != 0 {
				on = 1
			}
			count[j] += on
			sum[j] += w * float64(v)
		}
		return
	}
	td := tf.post
	if whole || len(docs) <= len(td) {
		p := 0
		for j, d := range docs {
			// Most pages are the term's next one: a step, not a search.
			if p < len(td) && td[p].doc < d {
				if p++; p < len(td) && td[p].doc < d {
					p = tf.seek(p, d)
				}
			}
			if p == len(td) {
				break
			}
			if td[p].doc != d {
				continue
			}
			s.count[j]++
			s.sum[j] += w * float64(td[p].val)
		}
		return
	}
	j := 0
	for _, t := range td {
		if j < len(docs) && docs[j] < t.doc {
			if j++; j < len(docs) && docs[j] < t.doc {
				j = seekPage(docs, j, t.doc)
			}
		}
		if j == len(docs) {
			break
		}
		if docs[j] != t.doc {
			continue
		}
		s.count[j]++
		s.sum[j] += w * float64(t.val)
	}
}

// matching returns the pages of docs (the pages of m) that alternative
// bitmap alt matches, and counts them in s.count. at are their indexes
// in docs; nil when they are docs itself: the only alternative of a
// clause (whole) matches every page of m.
func (s *scoring) matching(m *roaring.Bitmap, docs []uint32, alt *roaring.Bitmap, whole bool) (in []uint32, at []int32) {
	if whole {
		for j := range s.count {
			s.count[j]++
		}
		return docs, nil
	}
	and := roaring.And(m, alt)
	k := int(and.GetCardinality())
	if k == 0 {
		return nil, nil
	}
	if cap(s.in) < k {
		s.in, s.at = make([]uint32, k), make([]int32, k)
	}
	s.in, s.at = s.in[:k], s.at[:k]
	and.ManyIterator().NextMany(s.in)
	j := 0
	for x, d := range s.in {
		for docs[j] < d {
			j++
		}
		s.at[x] = int32(j)
		s.count[j]++
	}
	return s.in, s.at
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// slotPool lends queries their collected state: an array from document
// ordinal to group (index + 1; 0 for none), cleared by put, and the
// groups' storage.
type slotPool struct{ p sync.Pool }

// get returns an empty collected state for n document ordinals.
func (s *slotPool) get(n int) *collected {
	c, ok := s.p.Get().(*collected)
	if !ok {
		c = &collected{}
	}
	if len(c.slots) < n {
		c.slots = make([]int32, n+n/4+1024)
		c.seen = make([]uint64, (len(c.slots)+63)/64)
	}
	return c
}

// put returns c, clearing the entries of its groups' documents; nothing
// of c may be used afterwards.
func (s *slotPool) put(c *collected) {
	for _, g := range c.groups {
		c.slots[g.ord] = 0
	}
	if !c.exhaustive {
		clear(c.seen)
	}
	clear(c.segs)
	*c = collected{groups: c.groups[:0], slots: c.slots, seen: c.seen, combos: c.combos[:0], before: c.before[:0], segs: c.segs[:0], docs: c.docs[:0], scores: c.scores[:0],
		scoring: c.scoring, shown: c.shown, chunk: c.chunk, facets: [3][]int{c.facets[0][:0], c.facets[1][:0], c.facets[2][:0]}}
	s.p.Put(c)
}

// tfCache keeps, per segment and term, the pages the term occurs on with
// √tf·norm of each, so that a query scores its pages by looking them up
// instead of walking the term's postings: zap finds a page's frequency
// only by decoding the postings before it, which for a common word is
// most of an uncached query. Segments never change, so an entry is
// valid as long as its segment lives; the cache is emptied when it
// outgrows its budget, and when the index is replaced (Reset).
type tfCache struct {
	mu    sync.Mutex
	m     map[tfKey]*termTF
	bytes int
	max   int
}

type tfKey struct {
	seg segment.Segment // compared, never used
	termKey
}

// termTF is a term's pages in a segment as a bitmap (not to be changed),
// and, decoded when a query first scores by the term, the same pages
// ascending with √tf·norm of each. Matching needs only the bitmap, which
// zap keeps ready: a term that only narrows a query (a typo expansion
// that matches nothing the other words match) is never decoded.
type termTF struct {
	bm *roaring.Bitmap
	n  int // pages

	once sync.Once
	err  error
	post []posting
	// dense, instead of post for a term on many of the segment's pages,
	// is √tf·norm by page, 0 where the term is not: a lookup instead of
	// a step or a seek per page, in at most twice the memory of post.
	dense []float32
	// blocks[b] is the index in post of the first page at or after
	// b<<shift: a seek starts there instead of searching (see seek).
	blocks []uint32
	shift  uint
	// max is the largest √tf·norm of the term in the segment.
	max float32
}

// posting is a page of a term with √tf·norm of the term on it: side by
// side, since scoring reads the one where it found the other.
type posting struct {
	doc uint32
	val float32
}

func newTFCache(max int) *tfCache {
	return &tfCache{m: make(map[tfKey]*termTF), max: max}
}

func (c *tfCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.bytes = 0
}

// get returns term k's entry in segment sq, reading its postings bitmap
// if it is not cached.
func (c *tfCache) get(sq *segQuery, k termKey) (*termTF, error) {
	key := tfKey{sq.seg, k}
	c.mu.Lock()
	t := c.m[key]
	c.mu.Unlock()
	if t != nil {
		return t, nil
	}
	pl, err := sq.postings(k)
	if err != nil {
		return nil, err
	}
	t = &termTF{bm: roaring.New()}
	if n := pl.Count(); n > 0 {
		t.n = int(n)
		it := pl.Iterator(false, false, false, nil)
		o, ok := it.(segment.OptimizablePostingsIterator)
		switch {
		case ok && o.ActualBitmap() != nil:
			// zap's bitmap lives in the segment's file: copied.
			t.bm = o.ActualBitmap().Clone()
		case ok:
			if d, ok := o.DocNum1Hit(); ok {
				t.bm.Add(uint32(d))
			}
		default:
			for {
				p, err := it.Next()
				if err != nil {
					return nil, err
				}
				if p == nil {
					break
				}
				t.bm.Add(uint32(p.Number()))
			}
		}
		t.bm.RunOptimize()
	}
	// The frequencies, once decoded, take 8 bytes a page, their block
	// index about half a byte; dense, 4 bytes a page of the segment.
	freqs := 8*t.n + t.n/2
	if n := sq.seg.Count(); uint64(t.n)*denseShare >= n {
		freqs = 4 * int(n)
	}
	size := freqs + int(t.bm.GetSizeInBytes()) + 128 + len(k.field) + len(k.term)
	if c.max < 0 {
		return t, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+size > c.max {
		clear(c.m)
		c.bytes = 0
	}
	if old, ok := c.m[key]; ok {
		return old, nil
	}
	c.m[key] = t
	c.bytes += size
	return t, nil
}

// decode decodes t's frequencies from term k's postings in segment sq,
// once.
func (t *termTF) decode(sq *segQuery, k termKey) error {
	t.once.Do(func() {
		if t.n == 0 {
			return
		}
		pl, err := sq.postings(k)
		if err != nil {
			t.err = err
			return
		}
		if n := sq.seg.Count(); uint64(t.n)*denseShare >= n {
			t.dense = make([]float32, n)
		}
		post := make([]posting, 0, t.n)
		it := pl.Iterator(true, true, false, nil)
		for {
			p, err := it.Next()
			if err != nil {
				t.err = err
				return
			}
			if p == nil {
				break
			}
			v := float32(math.Sqrt(float64(p.Frequency())) * p.Norm())
			t.max = max(t.max, v)
			if t.dense != nil {
				if v == 0 {
					// Not expected (tf ≥ 1, norm > 0), but 0 would
					// read as absent.
					t.dense = nil
				} else {
					t.dense[p.Number()] = v
				}
			}
			post = append(post, posting{uint32(p.Number()), v})
		}
		if t.dense != nil {
			return
		}
		t.post = post
		t.blocks, t.shift = blockIndex(post, sq.seg.Count())
	})
	return t.err
}

// denseShare: a term on at least one in denseShare of a segment's pages
// keeps its frequencies by page (termTF.dense).
const denseShare = 4

// pagesPerBlock is how many of a term's pages a block of its block index
// holds on average: a seek's linear part.
const pagesPerBlock = 8

// blockIndex returns the block index of a term's pages post in a segment
// of n documents: blocks of 2^shift document numbers, sized so that a
// block holds about pagesPerBlock of the term's pages, and for each
// block the index of its first page in post.
func blockIndex(post []posting, n uint64) (blocks []uint32, shift uint) {
	if len(post) == 0 {
		return nil, 0
	}
	for shift < 32 && n>>shift > uint64(len(post))/pagesPerBlock {
		shift++
	}
	blocks = make([]uint32, n>>shift+1)
	p := 0
	for b := range blocks {
		for p < len(post) && uint64(post[p].doc) < uint64(b)<<shift {
			p++
		}
		blocks[b] = uint32(p)
	}
	return blocks, shift
}

// seek returns the first index at or after from whose page is at least d
// (len(t.post) if none): from the start of d's block, a few steps, then
// galloping where the term's pages crowd a block.
func (t *termTF) seek(from int, d uint32) int {
	post := t.post
	if b := int(d >> t.shift); b < len(t.blocks) && int(t.blocks[b]) > from {
		from = int(t.blocks[b])
	}
	for range 2 * pagesPerBlock {
		if from >= len(post) || post[from].doc >= d {
			return from
		}
		from++
	}
	return seekPosting(post, from, d)
}

// seekPosting returns the first index at or after from whose page is at
// least d (len(td) if none), galloping: pages are looked up in order.
func seekPosting(td []posting, from int, d uint32) int {
	if from >= len(td) || td[from].doc >= d {
		return from
	}
	step := 1
	lo, hi := from, from+1
	for hi < len(td) && td[hi].doc < d {
		lo = hi
		step *= 2
		hi = from + step
	}
	hi = min(hi, len(td))
	// td[lo] < d, and hi is len(td) or td[hi] >= d: the answer is in
	// (lo, hi].
	for lo+1 < hi {
		mid := int(uint(lo+hi) >> 1)
		if td[mid].doc < d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// seekPage is seekPosting for a list of pages.
func seekPage(docs []uint32, from int, d uint32) int {
	if from >= len(docs) || docs[from] >= d {
		return from
	}
	step := 1
	lo, hi := from, from+1
	for hi < len(docs) && docs[hi] < d {
		lo = hi
		step *= 2
		hi = from + step
	}
	hi = min(hi, len(docs))
	for lo+1 < hi {
		mid := int(uint(lo+hi) >> 1)
		if docs[mid] < d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
