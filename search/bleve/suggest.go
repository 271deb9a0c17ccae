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
// those pages contain their term (see suggest). Every candidate is
// counted only over the viewer's pages (candidates are visited in order
// of an upper bound of that count, and the visit stops once no further
// word can make the list), so that a word that occurs only where the
// viewer may not look is never suggested, nor does it push another word
// out.
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

// candidate is a term of the text field a suggestion may complete to.
type candidate struct {
	term  string
	bound uint64   // pages with the term: at least the visible count
	count int      // pages the viewer may find with the term
	pages []uint64 // the first of those pages, for its spelling
}

// spellingPages is up to how many of a candidate's visible pages are
// read for its spelling; reading stops after spellingMinPages if a
// spelling was found.
const (
	spellingPages    = 8
	spellingMinPages = 2
)

// suggest completes the folded prefix with terms of the text field:
// stems and compound parts that begin with it, and stems it begins with
// (a word typed out, "gebuhren", has the stem "gebuhr"). Each is counted
// over the viewer's pages and shown as it is most often written, as a
// word of its own with that stem, on the first of those pages: the
// spelling is read from text the viewer may read. Suggestions need no
// field of their own: a field of every word as written was a fifth of
// the cost of indexing.
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
	var cands []*candidate
	dict, err := r.FieldDictPrefix(fieldText, []byte(folded))
	if err != nil {
		return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
	}
	for {
		e, err := dict.Next()
		if err != nil {
			dict.Close()
			return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
		}
		if e == nil {
			break
		}
		cands = append(cands, &candidate{term: e.Term, bound: e.Count})
	}
	dict.Close()
	for k := len(folded) - 1; k >= len(folded)-4 && utf8.RuneCountInString(folded[:max(k, 0)]) >= rsearch.MinSuggestPrefix; k-- {
		if !utf8.RuneStart(folded[k]) {
			continue
		}
		tfr, err := r.TermFieldReader(ctx, []byte(folded[:k]), fieldText, false, false, false)
		if err != nil {
			return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
		}
		if n := tfr.Count(); n > 0 {
			cands = append(cands, &candidate{term: folded[:k], bound: n})
		}
		tfr.Close()
	}
	slices.SortFunc(cands, func(a, b *candidate) int {
		if a.bound != b.bound {
			if a.bound > b.bound {
				return -1
			}
			return 1
		}
		return strings.Compare(a.term, b.term)
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
		if err := countVisible(ctx, r, c, visible, &tfd); err != nil {
			return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
		}
		if c.count == 0 {
			continue
		}
		found = append(found, c)
		slices.SortStableFunc(found, func(a, b *candidate) int {
			if a.count != b.count {
				return b.count - a.count
			}
			return strings.Compare(a.term, b.term)
		})
	}
	sc, err := x.columns.forSnapshot(r)
	if err != nil || sc == nil {
		return nil, rsearch.Unavailable(fmt.Errorf("suggest: %v", err))
	}
	snap := r.(*scorch.IndexSnapshot)
	words = []string{}
	for _, c := range found {
		if len(words) == q.Limit {
			break
		}
		w, err := x.spelling(snap, sc, c, folded)
		if err != nil {
			return nil, rsearch.Unavailable(fmt.Errorf("suggest: %w", err))
		}
		if w != "" && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words, nil
}

// spelling returns how c's term is most often written as a word of its
// own that begins with folded, on the first of c's pages; "" if it is
// not (a term seen there only as a part of compounds). The words are
// found by the pages' stored analysis (snippet.go): a token of the term
// that is not a part, whose word is then checked by the analyzer.
func (x *Index) spelling(snap *scorch.IndexSnapshot, sc *snapColumns, c *candidate, folded string) (string, error) {
	counts := make(map[string]int)
	checked := make(map[string]bool)
	h := termHash(c.term)
	segs := snap.Segments()
	for i, n := range c.pages {
		if i >= spellingMinPages && len(counts) > 0 {
			break
		}
		si := sc.locate(n, 0)
		var text string
		var words [][2]int
		err := segs[si].Segment().VisitStoredFields(n-sc.offsets[si], func(field string, _ byte, value []byte, _ []uint64) bool {
			switch field {
			case fieldText:
				text = string(value)
			case fieldAnalysis:
				// The value is zap's buffer, valid only during the call.
				var t token
				enc := value
				for {
					var ok bool
					if t, enc, ok = nextToken(enc, t); !ok {
						break
					}
					if t.hash == h && !t.part {
						words = append(words, [2]int{t.start, t.end})
					}
				}
			}
			return true
		})
		if err != nil {
			return "", err
		}
		for _, w := range words {
			if w[1] > len(text) {
				continue
			}
			surface := text[w[0]:w[1]]
			ok, seen := checked[surface]
			if !seen {
				tm := x.analyzer.Word(surface)
				ok = tm.Stem == c.term && strings.HasPrefix(tm.Folded, folded)
				checked[surface] = ok
			}
			if ok {
				counts[surface]++
			}
		}
	}
	best, most := "", 0
	for w, n := range counts {
		if n > most || n == most && w < best {
			best, most = w, n
		}
	}
	return best, nil
}

// countVisible counts c's pages in visible (all pages if visible is nil)
// and keeps the first few.
func countVisible(ctx context.Context, r index.IndexReader, c *candidate, visible *roaring64.Bitmap, tfd *index.TermFieldDoc) error {
	tfr, err := r.TermFieldReader(ctx, []byte(c.term), fieldText, false, false, false)
	if err != nil {
		return err
	}
	defer tfr.Close()
	for {
		d, err := tfr.Next(tfd)
		if err != nil {
			return err
		}
		if d == nil {
			return nil
		}
		if n := d.ID.Value(); visible == nil || visible.Contains(n) {
			c.count++
			if len(c.pages) < spellingPages {
				c.pages = append(c.pages, n)
			}
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
