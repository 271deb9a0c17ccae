package bleve

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	rsearch "github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// Suggest implements search.Index. It completes the last word with words
// as written in the pages the viewer may find, ranked by how many of
// those pages contain them. Every candidate word is counted only over the
// viewer's pages (candidates are visited in order of an upper bound of
// that count, and the visit stops once no further word can make the
// list), so that a word that occurs only where the viewer may not look is
// never suggested, nor does it push another word out.
func (x *Index) Suggest(ctx context.Context, q rsearch.SuggestQuery) (out []string, err error) {
	q, err = q.Normalize()
	if err != nil {
		return nil, err
	}
	head, last := splitLast(q.Prefix)
	folded := german.Fold(last)
	if utf8.RuneCountInString(folded) < rsearch.MinSuggestPrefix {
		return []string{}, nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed
	}
	vk, err := x.viewerKey(q.Viewer, q.Now)
	if err != nil {
		return nil, rsearch.Unavailable(err)
	}
	key := "s\x1e" + folded + "\x1e" + vk + "\x1e" + strconv.Itoa(q.Limit)
	var words []string
	if v, ok := x.cache.get(key); ok {
		words = v.([]string)
	} else {
		release, err := x.acquire(ctx)
		if err != nil {
			return nil, err
		}
		gen := x.generation.Load()
		words, err = x.suggest(ctx, q, folded, vk)
		release()
		if err != nil {
			return nil, err
		}
		x.cache.put(gen, x.generation.Load(), key, words)
	}
	out = make([]string, len(words))
	for i, w := range words {
		out[i] = head + w
	}
	return out, nil
}

// splitLast splits s into what precedes its last word (with the space)
// and the last word without surrounding punctuation.
func splitLast(s string) (head, last string) {
	i := strings.LastIndexFunc(s, unicode.IsSpace)
	head, last = s[:i+1], s[i+1:]
	last = strings.TrimFunc(last, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return head, last
}

// candidate is a folded word and its spellings in the dictionary.
type candidate struct {
	folded   string
	terms    []string // dictionary terms: folded \x00 as written
	bound    uint64   // sum of their document counts: at least the visible count
	count    int      // pages the viewer may find that contain it
	spelling string   // the most frequent spelling among those pages
}

func (x *Index) suggest(ctx context.Context, q rsearch.SuggestQuery, folded, vk string) (words []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			words, err = nil, rsearch.Unavailable(fmt.Errorf("suggest: panic: %v", r))
		}
	}()
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	visible, err := x.visible(ctx, r, q.Viewer, q.Now, vk)
	if err != nil {
		return nil, err
	}
	dict, err := r.FieldDictPrefix(fieldWords, []byte(folded))
	if err != nil {
		return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
	}
	defer dict.Close()
	byFolded := make(map[string]*candidate)
	var cands []*candidate
	for {
		e, err := dict.Next()
		if err != nil {
			return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
		}
		if e == nil {
			break
		}
		f, _, ok := strings.Cut(e.Term, "\x00")
		if !ok {
			continue
		}
		c := byFolded[f]
		if c == nil {
			c = &candidate{folded: f}
			byFolded[f] = c
			cands = append(cands, c)
		}
		c.terms = append(c.terms, e.Term)
		c.bound += e.Count
	}
	slices.SortFunc(cands, func(a, b *candidate) int {
		if a.bound != b.bound {
			if a.bound > b.bound {
				return -1
			}
			return 1
		}
		return strings.Compare(a.folded, b.folded)
	})
	var found []*candidate
	var tfd index.TermFieldDoc
	for i, c := range cands {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		// Once q.Limit words are found, a word whose bound is below the
		// last of them cannot make the list.
		if len(found) >= q.Limit && int(c.bound) < found[q.Limit-1].count {
			break
		}
		bestSpelling := 0
		for _, t := range c.terms {
			n, err := countVisible(ctx, r, t, visible, &tfd)
			if err != nil {
				return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
			}
			c.count += n
			_, spelling, _ := strings.Cut(t, "\x00")
			if n > bestSpelling || n == bestSpelling && n > 0 && spelling < c.spelling {
				bestSpelling, c.spelling = n, spelling
			}
		}
		if c.count == 0 {
			continue
		}
		found = append(found, c)
		slices.SortStableFunc(found, func(a, b *candidate) int {
			if a.count != b.count {
				return b.count - a.count
			}
			return strings.Compare(a.folded, b.folded)
		})
	}
	words = []string{}
	for i := 0; i < len(found) && i < q.Limit; i++ {
		words = append(words, found[i].spelling)
	}
	return words, nil
}

// countVisible counts the pages with term in the suggestion field that
// are in visible (all pages if visible is nil).
func countVisible(ctx context.Context, r index.IndexReader, term string, visible *roaring64.Bitmap, tfd *index.TermFieldDoc) (int, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), fieldWords, false, false, false)
	if err != nil {
		return 0, err
	}
	defer tfr.Close()
	n := 0
	for {
		d, err := tfr.Next(tfd)
		if err != nil {
			return 0, err
		}
		if d == nil {
			return n, nil
		}
		if visible == nil || visible.Contains(d.ID.Value()) {
			n++
		}
	}
}

// visible returns the pages viewer v may find at now in snapshot r, by
// global document number; nil for staff, who see everything.
func (x *Index) visible(ctx context.Context, r index.IndexReader, v rsearch.Viewer, now time.Time, vk string) (*roaring64.Bitmap, error) {
	s, err := x.visibleSet(ctx, r, v, now, vk)
	if s == nil || err != nil {
		return nil, err
	}
	return s.bm, nil
}

// visibleSet returns the pages viewer v may find at now in snapshot r,
// by global document number and by segment; nil for staff. vk is v's
// viewerKey.
func (x *Index) visibleSet(ctx context.Context, r index.IndexReader, v rsearch.Viewer, now time.Time, vk string) (*visibleSet, error) {
	if v.IsStaff() {
		return nil, nil
	}
	// Internal document numbers belong to one snapshot of the index:
	// merging segments renumbers them, with or without a write.
	x.views.mu.Lock()
	e, ok := x.views.visible[vk]
	x.views.mu.Unlock()
	if ok && e.snapshot == r {
		return e, nil
	}
	allow, deny := accessFilter(v, now)
	var q query.Query = allow
	if deny != nil {
		q = query.NewBooleanQuery([]query.Query{allow}, nil, []query.Query{deny})
	}
	s, err := q.Searcher(ctx, r, x.idx.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
	}
	defer s.Close()
	bm := roaring64.New()
	sctx := &search.SearchContext{
		DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       r,
	}
	for {
		dm, err := s.Next(sctx)
		if err != nil {
			return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
		}
		if dm == nil {
			break
		}
		bm.Add(dm.IndexInternalID.Value())
		sctx.DocumentMatchPool.Put(dm)
	}
	e = &visibleSet{snapshot: r, bm: bm}
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		// The same pages by segment, as the engine intersects them.
		it := bm.Iterator()
		var off uint64
		buf := make([]uint32, 0, 4096)
		for _, ss := range snap.Segments() {
			n := ss.Segment().Count()
			seg := roaring.New()
			it.AdvanceIfNeeded(off)
			for it.HasNext() && it.PeekNext() < off+n {
				buf = append(buf, uint32(it.Next()-off))
				if len(buf) == cap(buf) {
					seg.AddMany(buf)
					buf = buf[:0]
				}
			}
			seg.AddMany(buf)
			buf = buf[:0]
			seg.RunOptimize()
			e.segs = append(e.segs, seg)
			off += n
		}
	}
	x.views.mu.Lock()
	if len(x.views.visible) >= x.views.maxViews {
		clear(x.views.visible)
	}
	x.views.visible[vk] = e
	x.views.mu.Unlock()
	return e, nil
}
