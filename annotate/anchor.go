package annotate

import (
	"index/suffixarray"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Text is the text of one document version, page by page, prepared for
// anchoring: whitespace removed (PDF text extraction breaks and joins
// lines unpredictably, so anchoring compares whitespace-insensitively),
// with a map back to code-point offsets in the page text.
type Text struct {
	pages []pageText

	// A suffix array over all pages (joined by NUL bytes, which no
	// normalized text contains) finds a quote, or pieces of it, in
	// O(m log n) instead of scanning every page; built on first use.
	once   sync.Once
	index  *suffixarray.Index
	starts []int // offset of each page in the joined text
}

type pageText struct {
	orig  []rune
	norm  string  // the page text without whitespace and soft hyphens
	runes []int32 // runes[i]: offset in orig of the rune that norm byte i belongs to
}

// NewText prepares the text of a version; pages[0] is page 1.
func NewText(pages []string) *Text {
	t := &Text{pages: make([]pageText, len(pages))}
	for i, p := range pages {
		t.pages[i] = preparePage(p)
	}
	return t
}

func (t *Text) buildIndex() {
	t.once.Do(func() {
		var b strings.Builder
		t.starts = make([]int, len(t.pages))
		for i, p := range t.pages {
			t.starts[i] = b.Len()
			b.WriteString(p.norm)
			b.WriteByte(0)
		}
		t.index = suffixarray.New([]byte(b.String()))
	})
}

// occurrences returns (page index, offset in the page's norm) of every
// occurrence of s.
func (t *Text) occurrences(s string) [][2]int {
	t.buildIndex()
	offs := t.index.Lookup([]byte(s), -1)
	out := make([][2]int, 0, len(offs))
	for _, o := range offs {
		pi := sort.SearchInts(t.starts, o+1) - 1
		out = append(out, [2]int{pi, o - t.starts[pi]})
	}
	return out
}

// Pages returns the number of pages.
func (t *Text) Pages() int { return len(t.pages) }

func preparePage(s string) pageText {
	p := pageText{orig: []rune(s)}
	var b strings.Builder
	b.Grow(len(s))
	p.runes = make([]int32, 0, len(s))
	for i, r := range p.orig {
		if unicode.IsSpace(r) || r == '\u00ad' || r == '\u200b' {
			continue
		}
		n := utf8.RuneLen(r)
		if n < 0 {
			r, n = utf8.RuneError, 3
		}
		b.WriteRune(r)
		for k := 0; k < n; k++ {
			p.runes = append(p.runes, int32(i))
		}
	}
	p.norm = b.String()
	return p
}

func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u00ad' || r == '\u200b' {
			return -1
		}
		return r
	}, s)
}

// Quote is what an annotation anchors by: the quoted text with its
// context, and where it was (page from 1; Start in code points of that
// page's text, -1 if unknown).
type Quote struct {
	Exact, Prefix, Suffix string
	Page                  int
	Start                 int
	PageLen               int // code points of the old page's text, for the position hint; 0 if unknown
}

// Match is where a Quote was found on a version.
type Match struct {
	State      string  // Anchored, Review or Orphaned
	Score      float64 // 0..1
	Page       int     // 0 if orphaned
	Start, End int     // code points in the page text
	// Exact, Prefix, Suffix are the quote and 32 code points of context
	// as they read on this version.
	Exact, Prefix, Suffix string
}

// Scoring weights, after Hypothesis' match-quote: the quote counts most,
// its context next, its position on the page breaks ties; the page's
// distance from the old page breaks what is left.
const (
	quoteWeight  = 50
	prefixWeight = 20
	suffixWeight = 20
	posWeight    = 2
	pageWeight   = 4

	contextLen = 64 // normalized bytes of prefix/suffix compared

	// Thresholds: an exact quote is anchored unless its context is lost
	// as well (then it may be a repeated phrase, and goes to review). An
	// approximate quote is anchored when at least 85 % of it and half of
	// its context agree, in review down to 60 % of the quote; below, the
	// annotation is orphaned.
	anchoredQuote  = 0.85
	anchoredContxt = 0.5
	reviewQuote    = 0.6
	minApprox      = 8 // normalized bytes: shorter quotes are found exactly or not at all
)

type candidate struct {
	page, start, end, errors int // start, end: byte offsets in norm
	quote, prefix, suffix    float64
	context                  float64
	total                    float64
}

// Anchor finds q on t: the exact quote first (on every page), then an
// approximate match of the quote, searching the old page and its
// neighbours first and every page only if those hold no good match. Each
// candidate is scored on quote, prefix, suffix, position and page.
func (t *Text) Anchor(q Quote) Match {
	exact := normalize(q.Exact)
	if exact == "" {
		return Match{State: Orphaned}
	}
	prefix, suffix := tail(normalize(q.Prefix), contextLen), head(normalize(q.Suffix), contextLen)
	order := t.pageOrder(q.Page)

	var cands []candidate
	occ := t.occurrences(exact)
	if len(occ) > 100 {
		// A phrase found everywhere: keep the occurrences nearest the
		// old page.
		sort.Slice(occ, func(i, j int) bool {
			di, dj := abs(occ[i][0]+1-q.Page), abs(occ[j][0]+1-q.Page)
			return di < dj || di == dj && (occ[i][0] < occ[j][0] || occ[i][0] == occ[j][0] && occ[i][1] < occ[j][1])
		})
		occ = occ[:100]
	}
	for _, o := range occ {
		cands = append(cands, candidate{page: o[0] + 1, start: o[1], end: o[1] + len(exact)})
	}
	var best *candidate
	if len(cands) > 0 {
		best = t.best(cands, q, prefix, suffix, len(exact))
		if best.context >= anchoredContxt || len(cands) == 1 || (prefix == "" && suffix == "") {
			return t.match(Anchored, best)
		}
		return t.match(Review, best)
	}
	if len(exact) < minApprox {
		return Match{State: Orphaned}
	}
	// Approximate: near pages first, all pages if need be.
	near := order
	if len(near) > 3 {
		near = near[:3]
	}
	cands = t.approx(near, exact)
	if len(cands) > 0 {
		best = t.best(cands, q, prefix, suffix, len(exact))
	}
	if best == nil || best.quote < anchoredQuote || best.context < anchoredContxt {
		if more := t.approx(t.sharing(order[len(near):], exact), exact); len(more) > 0 {
			cands = append(cands, more...)
			best = t.best(cands, q, prefix, suffix, len(exact))
		}
	}
	switch {
	case best == nil || best.quote < reviewQuote:
		return Match{State: Orphaned, Score: scoreOf(best)}
	case best.quote >= anchoredQuote && best.context >= anchoredContxt:
		return t.match(Anchored, best)
	default:
		return t.match(Review, best)
	}
}

func scoreOf(c *candidate) float64 {
	if c == nil {
		return 0
	}
	return round(c.total)
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// pageOrder returns page indexes, the old page first, then its neighbours
// alternating after and before.
func (t *Text) pageOrder(page int) []int {
	n := len(t.pages)
	order := make([]int, 0, n)
	p := page - 1
	if p < 0 {
		p = 0
	}
	if p >= n {
		p = n - 1
	}
	if n == 0 {
		return order
	}
	order = append(order, p)
	for d := 1; len(order) < n; d++ {
		if p+d < n {
			order = append(order, p+d)
		}
		if p-d >= 0 {
			order = append(order, p-d)
		}
	}
	return order
}

// approx finds approximate occurrences of exact on the given pages. The
// search runs Myers' bit-parallel algorithm with a pattern of at most 64
// bytes — the whole quote, or its first and last 64 bytes for a longer
// one — and aligns the full quote around each hit.
func (t *Text) approx(pages []int, exact string) []candidate {
	m := len(exact)
	k := m / 3
	var pats []string
	if m <= 64 {
		pats = []string{exact}
	} else {
		pats = []string{exact[:64], exact[m-64:]}
	}
	var out []candidate
	for _, pi := range pages {
		norm := t.pages[pi].norm
		seen := map[int]bool{}
		for pn, pat := range pats {
			pk := len(pat) / 3
			for _, end := range bestEnds(myers(pat, norm, pk), 3) {
				// The window where the whole quote could lie.
				var lo, hi int
				if pn == 0 {
					lo, hi = end-len(pat)-pk, end-len(pat)+m+k
				} else {
					lo, hi = end-m-k, end+pk
				}
				lo, hi = max(lo, 0), min(hi, len(norm))
				if lo >= hi {
					continue
				}
				start, stop, errs := align(exact, norm[lo:hi])
				start, stop = start+lo, stop+lo
				if errs > k || seen[start] {
					continue
				}
				seen[start] = true
				out = append(out, candidate{page: pi + 1, start: start, end: stop, errors: errs})
			}
		}
	}
	return out
}

// chunk is the length of the pieces of a quote that sharing looks for.
const chunk = 12

// sharing returns those of pages that contain at least one piece of exact
// (cut into pieces of 12 bytes) verbatim. Far from the old page, only
// they are searched approximately: an edit that leaves no 12 bytes of a
// quote intact anywhere leaves little worth anchoring to, and the full
// approximate scan of every page is what costs time.
func (t *Text) sharing(pages []int, exact string) []int {
	var pieces []string
	for i := 0; i+chunk <= len(exact); i += chunk {
		pieces = append(pieces, exact[i:i+chunk])
	}
	if len(exact)%chunk != 0 && len(exact) >= chunk {
		pieces = append(pieces, exact[len(exact)-chunk:])
	}
	has := map[int]bool{}
	for _, p := range pieces {
		for _, o := range t.occurrences(p) {
			has[o[0]] = true
		}
	}
	var out []int
	for _, pi := range pages {
		if has[pi] {
			out = append(out, pi)
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// best scores the candidates and returns the best one.
func (t *Text) best(cands []candidate, q Quote, prefix, suffix string, m int) *candidate {
	var best *candidate
	for i := range cands {
		c := &cands[i]
		norm := t.pages[c.page-1].norm
		c.quote = 1 - float64(c.errors)/float64(m)
		c.prefix, c.suffix = 1, 1
		n := 0
		c.context = 0
		if prefix != "" {
			c.prefix = similarity(prefix, tail(norm[:c.start], len(prefix)))
			c.context += c.prefix
			n++
		}
		if suffix != "" {
			c.suffix = similarity(suffix, head(norm[c.end:], len(suffix)))
			c.context += c.suffix
			n++
		}
		if n > 0 {
			c.context /= float64(n)
		} else {
			c.context = 1
		}
		pos := 0.0
		if c.page == q.Page && q.Start >= 0 && q.PageLen > 0 {
			p := &t.pages[c.page-1]
			at := float64(p.runes[c.start]) / float64(max(len(p.orig), 1))
			pos = 1 - math.Abs(at-float64(q.Start)/float64(q.PageLen))
		}
		dist := math.Abs(float64(c.page - q.Page))
		pageScore := 1 - math.Min(dist, 10)/10
		c.total = (quoteWeight*c.quote + prefixWeight*c.prefix + suffixWeight*c.suffix + posWeight*pos + pageWeight*pageScore) /
			(quoteWeight + prefixWeight + suffixWeight + posWeight + pageWeight)
		if best == nil || c.total > best.total {
			best = c
		}
	}
	return best
}

func (t *Text) match(state string, c *candidate) Match {
	p := &t.pages[c.page-1]
	start := int(p.runes[c.start])
	end := int(p.runes[c.end-1]) + 1
	return Match{
		State: state, Score: round(c.total), Page: c.page, Start: start, End: end,
		Exact:  string(p.orig[start:end]),
		Prefix: string(p.orig[max(0, start-32):start]),
		Suffix: string(p.orig[end:min(len(p.orig), end+32)]),
	}
}

// PageOf finds where the text of page (from 1) of the old version went on
// t: the page holding most of three samples of it (at a quarter, half and
// three quarters of the page). Two or three samples found on one page
// anchor there; one puts it there for review; none keeps the page number
// for review, or orphans it if t has no such page. Bookmarks, and ink and
// point notes without a quote, move this way.
func (t *Text) PageOf(old *Text, page int) Match {
	if page < 1 || page > len(old.pages) {
		return Match{State: Orphaned}
	}
	norm := old.pages[page-1].norm
	if page <= len(t.pages) && t.pages[page-1].norm == norm {
		return Match{State: Anchored, Score: 1, Page: page}
	}
	const sample = 40
	votes := map[int]int{}
	if len(norm) >= sample {
		for _, f := range []int{1, 2, 3} {
			at := len(norm) * f / 4
			at = min(at, len(norm)-sample)
			for at > 0 && !utf8.RuneStart(norm[at]) {
				at--
			}
			end := at + sample
			for end < len(norm) && !utf8.RuneStart(norm[end]) {
				end++
			}
			s := norm[at:end]
			for _, pi := range t.pageOrder(page) {
				if strings.Contains(t.pages[pi].norm, s) {
					votes[pi+1]++
					break
				}
			}
		}
	}
	bestPage, bestVotes := 0, 0
	for _, pi := range t.pageOrder(page) {
		if v := votes[pi+1]; v > bestVotes {
			bestPage, bestVotes = pi+1, v
		}
	}
	switch {
	case bestVotes >= 2:
		return Match{State: Anchored, Score: round(float64(bestVotes) / 3), Page: bestPage}
	case bestVotes == 1:
		return Match{State: Review, Score: round(1.0 / 3), Page: bestPage}
	case page <= len(t.pages):
		return Match{State: Review, Score: 0, Page: page}
	}
	return Match{State: Orphaned}
}

// PageText returns the text of page n (from 1).
func (t *Text) PageText(n int) string {
	if n < 1 || n > len(t.pages) {
		return ""
	}
	return string(t.pages[n-1].orig)
}

// tail returns at most the last n bytes of s, cut at a rune start.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// head returns at most the first n bytes of s, cut at a rune start.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// similarity is 1 - edit distance / length of a.
func similarity(a, b string) float64 {
	if a == "" {
		return 1
	}
	d := levenshtein(a, b)
	return math.Max(0, 1-float64(d)/float64(len(a)))
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// bestEnds returns the ends of the n hits with the fewest errors: aligning
// the whole quote is the expensive step, and a page rarely holds more
// than one place worth it.
func bestEnds(hits []hit, n int) []int {
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].errors < hits[j].errors })
	var ends []int
	for i := 0; i < len(hits) && i < n; i++ {
		ends = append(ends, hits[i].end)
	}
	return ends
}

type hit struct{ end, errors int }

// myers returns the end offsets (exclusive) in text where pattern (1 to 64
// bytes) matches with at most k errors, one per run of matching ends (the
// end with the fewest errors), with their errors. It is Myers' bit-vector algorithm for
// approximate string matching (Myers 1999; Hyyrö's formulation): one pass
// over text, a few word operations per byte.
func myers(pattern, text string, k int) []hit {
	m := len(pattern)
	if m == 0 || m > 64 {
		return nil
	}
	var peq [256]uint64
	for i := 0; i < m; i++ {
		peq[pattern[i]] |= 1 << i
	}
	pv, mv := ^uint64(0), uint64(0)
	score := m
	last := uint64(1) << (m - 1)
	var ends []hit
	bestEnd, bestScore := -1, k+1
	for j := 0; j < len(text); j++ {
		eq := peq[text[j]]
		xv := eq | mv
		xh := (((eq & pv) + pv) ^ pv) | eq
		ph := mv | ^(xh | pv)
		mh := pv & xh
		if ph&last != 0 {
			score++
		} else if mh&last != 0 {
			score--
		}
		ph <<= 1
		mh <<= 1
		pv = mh | ^(xv | ph)
		mv = ph & xv
		if score <= k {
			if score < bestScore {
				bestEnd, bestScore = j+1, score
			}
		} else if bestEnd >= 0 {
			ends = append(ends, hit{bestEnd, bestScore})
			bestEnd, bestScore = -1, k+1
		}
	}
	if bestEnd >= 0 {
		ends = append(ends, hit{bestEnd, bestScore})
	}
	return ends
}

// align returns where in text pattern matches best (semi-global edit
// distance: the match may start and end anywhere in text) and its number
// of errors. It is a plain dynamic programme, run only on the short window
// around a hit of myers.
func align(pattern, text string) (start, end, errs int) {
	n := len(text)
	cost := make([]int, n+1)
	from := make([]int, n+1)
	ncost := make([]int, n+1)
	nfrom := make([]int, n+1)
	for j := 0; j <= n; j++ {
		cost[j], from[j] = 0, j
	}
	for i := 1; i <= len(pattern); i++ {
		ncost[0], nfrom[0] = i, 0
		for j := 1; j <= n; j++ {
			sub := 1
			if pattern[i-1] == text[j-1] {
				sub = 0
			}
			c, f := cost[j-1]+sub, from[j-1]
			if d := cost[j] + 1; d < c {
				c, f = d, from[j]
			}
			if d := ncost[j-1] + 1; d < c {
				c, f = d, nfrom[j-1]
			}
			ncost[j], nfrom[j] = c, f
		}
		cost, ncost = ncost, cost
		from, nfrom = nfrom, from
	}
	errs = math.MaxInt
	for j := 0; j <= n; j++ {
		if cost[j] < errs || (cost[j] == errs && j-from[j] < end-start) {
			errs, start, end = cost[j], from[j], j
		}
	}
	// Never split a UTF-8 sequence.
	for start > 0 && start < n && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < n && end > 0 && !utf8.RuneStart(text[end]) {
		end++
	}
	if end <= start {
		end = min(n, start+1)
	}
	return start, end, errs
}
