package german

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Vocabulary counts the words of the texts it has learnt, folded, and
// splits compounds into words it knows. It starts with a built-in list of
// common words of municipal German and a Dictionary of all German words,
// so that the first texts indexed split too; the more it learns, the
// better it splits.
//
// A Vocabulary is safe for concurrent use.
type Vocabulary struct {
	dict    func() *Dictionary
	mu      sync.RWMutex
	counts  map[string]uint32
	total   uint64 // sum of counts
	bumped  uint64 // total when version last changed
	version atomic.Uint64
}

// growth is how much the vocabulary grows before Version changes: splits
// depend on counts, but not so much that every text learnt should undo
// what was computed before.
const growth = 1.25

// Decompounding limits.
const (
	// MinCompound is the shortest folded word, in bytes, that is tried as
	// a compound.
	MinCompound = 7
	// MinPart is the shortest part of a compound.
	MinPart = 3
	// MinPartCount is how often a word must have been seen on its own to
	// be a part.
	MinPartCount = 3
	maxParts     = 4
	seedCount    = 20
	// DictionaryCount is how often a word of the Dictionary counts as
	// seen besides what was learnt: enough to split a compound whose
	// parts were never seen (the whole word counts what was learnt only),
	// less than a word of the built-in list (seedCount), so that the
	// learnt and built-in words decide between cuts.
	DictionaryCount = 10
)

//go:embed seed.txt
var seedWords string

// NewVocabulary returns a vocabulary that knows the built-in word list
// and splits by SystemDictionary, read when it first splits a word.
func NewVocabulary() *Vocabulary {
	go SystemDictionary() // read it while the caller starts up
	return newVocabulary(SystemDictionary)
}

// NewVocabularyWith returns a vocabulary that knows the built-in word
// list and splits by d; nil d means by learnt words only.
func NewVocabularyWith(d *Dictionary) *Vocabulary {
	return newVocabulary(func() *Dictionary { return d })
}

func newVocabulary(dict func() *Dictionary) *Vocabulary {
	v := &Vocabulary{dict: dict, counts: make(map[string]uint32)}
	for _, line := range strings.Split(seedWords, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.Fields(line) {
			v.counts[Fold(w)] += seedCount
			v.total += seedCount
		}
	}
	v.bumped = v.total
	return v
}

// Learn counts the words of texts.
func (v *Vocabulary) Learn(texts ...string) {
	local := make(map[string]uint32)
	for _, t := range texts {
		Words(t, func(w Word) {
			if learnable(w.Text) {
				local[w.Text]++
			}
		})
	}
	if len(local) == 0 {
		return
	}
	// Fold once per distinct word, not per occurrence.
	folded := make(map[string]uint32, len(local))
	for w, n := range local {
		folded[Fold(w)] += n
	}
	v.mu.Lock()
	for w, n := range folded {
		c := uint64(v.counts[w]) + uint64(n)
		if c > math.MaxUint32 {
			c = math.MaxUint32
		}
		v.total += c - uint64(v.counts[w])
		v.counts[w] = uint32(c)
	}
	bump := float64(v.total) >= growth*float64(v.bumped)
	if bump {
		v.bumped = v.total
	}
	v.mu.Unlock()
	if bump {
		v.version.Add(1)
	}
}

// learnable reports whether a lower-cased word is worth counting: letters
// only, at least MinPart long.
func learnable(w string) bool {
	if len(w) < MinPart {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < utf8.RuneSelf && !(c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Count returns how often the folded word has been seen.
func (v *Vocabulary) Count(folded string) int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return int(v.counts[folded])
}

// Len returns the number of distinct words known.
func (v *Vocabulary) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.counts)
}

// Version changes whenever the vocabulary has grown by a quarter since it
// last changed: splits computed under one version may differ under the
// next. (Between changes, splits may be computed from slightly older
// counts.)
func (v *Vocabulary) Version() uint64 { return v.version.Load() }

// linking elements (Fugenelemente) that may follow a non-final part.
var links = []string{"", "s", "es", "n", "en", "e", "er", "ens"}

// inflections that may end the final part.
var inflections = []string{"s", "es", "n", "en", "e", "er", "ern", "ns"}

// Split returns the parts of a folded compound, folded, in order and
// without linking elements, or nil if the word is not one: radwegebau
// gives rad, weg, bau. It chooses, among all ways to cut the word into 2–4
// known words (each at least MinPart long and seen at least MinPartCount
// times, non-final ones optionally followed by a linking s, es, n, en, e,
// er or ens), the one whose parts are most frequent by geometric mean,
// and splits only if that mean exceeds the frequency of the whole word
// (Koehn and Knight, 2003).
func (v *Vocabulary) Split(folded string) []string {
	if !splittable(folded) {
		return nil
	}
	d := v.dict() // before the lock: the first call reads the word list
	v.mu.RLock()
	defer v.mu.RUnlock()
	best := v.bestCut(folded, d)
	var out []string
	for _, p := range best.parts {
		out = append(out, folded[p[0]:p[1]])
	}
	return out
}

// Parts returns what a compound is indexed by besides itself: the parts
// of Split, the parts of long parts split again, and runs of adjacent
// parts that are words of their own, so that Radweg finds Radwegebau:
// radwegebau gives rad, radweg, weg, bau. It returns nil if the word is
// not a compound.
func (v *Vocabulary) Parts(folded string) []string {
	if !splittable(folded) {
		return nil
	}
	d := v.dict()
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.parts(folded, d, 0)
}

func splittable(folded string) bool {
	if len(folded) < MinCompound {
		return false
	}
	for i := 0; i < len(folded); i++ {
		if c := folded[i]; c < utf8.RuneSelf && !(c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// bestCut returns the best cut of w, or a cut without parts: of the cuts
// into the fewest parts whose parts are more frequent than the whole word
// by geometric mean, the one with the highest mean. Fewest parts first,
// because a word list knows no frequencies: by mean alone, short words
// that happen to fit (beruf-saus-bildung) would beat the right cut into
// longer words (beruf-ausbildung); the parts of long parts are split
// again by Parts.
//
// A word that is more frequent than its parts (Oberbürgermeister,
// Stellplätze in council texts) is still cut if the dictionary alone can
// cut it: a word list knows its words, where frequencies only guess.
func (v *Vocabulary) bestCut(w string, d *Dictionary) cut {
	s := splitter{v: v, d: d, w: w, memo: make(map[[2]int]cut)}
	whole := float64(v.counts[w])
	for k := 2; k <= maxParts; k++ {
		c := s.best(0, k)
		if len(c.parts) == 0 || math.Exp(c.score/float64(k)) <= whole {
			continue
		}
		c.s = &s
		return c
	}
	if d == nil || whole == 0 {
		return cut{}
	}
	ds := s // shares what is known of the pieces
	ds.dictOnly, ds.memo = true, make(map[[2]int]cut)
	for k := 2; k <= maxParts; k++ {
		if c := ds.best(0, k); len(c.parts) > 0 {
			c.s = &s
			return c
		}
	}
	return cut{}
}

func (v *Vocabulary) parts(w string, d *Dictionary, depth int) []string {
	best := v.bestCut(w, d)
	if len(best.parts) == 0 {
		return nil
	}
	s := best.s
	var out []string
	add := func(p string) {
		for _, x := range out {
			if x == p {
				return
			}
		}
		out = append(out, p)
	}
	for i, p := range best.parts {
		part := w[p[0]:p[1]]
		add(part)
		if i == len(best.parts)-1 {
			// The stemmer may stem an inflected form apart from its
			// word (systems: system, but system: syst).
			if b := s.base(part); b != "" {
				add(b)
			}
		}
		if depth == 0 && len(part) >= MinCompound {
			for _, sub := range v.parts(part, d, 1) {
				add(sub)
			}
		}
		// Runs of adjacent parts that are words of their own: radweg in
		// rad-weg-e-bau, so that Radweg finds Radwegebau.
		for j := i + 1; j < len(best.parts); j++ {
			if i == 0 && j == len(best.parts)-1 {
				break
			}
			run := w[p[0]:best.parts[j][1]]
			n := s.part(run)
			if j == len(best.parts)-1 {
				n = s.final(run)
			}
			if n > 0 {
				add(run)
			}
		}
	}
	return out
}

// cut is a way to cut a suffix of the word: its parts as byte ranges of
// the word (without linking elements) and the sum of the logarithms of
// their counts.
type cut struct {
	parts [][2]int
	score float64
	s     *splitter
}

type splitter struct {
	v *Vocabulary
	d *Dictionary
	// dictOnly counts the dictionary's words only.
	dictOnly bool
	// known is the evidence of w[i:j] at i*(len(w)+1)+j.
	known []evidence
	w     string
	memo  map[[2]int]cut
}

// best returns the best cut of w[i:] into exactly k parts (no parts if
// there is none).
func (s *splitter) best(i, k int) cut {
	key := [2]int{i, k}
	if c, ok := s.memo[key]; ok {
		return c
	}
	var res cut
	if k == 1 {
		if n := s.finalAt(i, len(s.w)); n > 0 {
			res = cut{parts: [][2]int{{i, len(s.w)}}, score: math.Log(float64(n))}
		}
		s.memo[key] = res
		return res
	}
	res.score = math.Inf(-1)
	for j := i + MinPart; j <= len(s.w)-MinPart*(k-1); j++ {
		if !utf8.RuneStart(s.w[j]) {
			continue
		}
		n := s.partAt(i, j)
		if n == 0 {
			continue
		}
		for _, l := range links {
			if !strings.HasPrefix(s.w[j:], l) || j+len(l) > len(s.w)-MinPart*(k-1) {
				continue
			}
			tail := s.best(j+len(l), k-1)
			if len(tail.parts) == 0 {
				continue
			}
			score := math.Log(float64(n)) + tail.score
			if score > res.score {
				res = cut{parts: append([][2]int{{i, j}}, tail.parts...), score: score}
			}
		}
	}
	if len(res.parts) == 0 {
		res = cut{}
	}
	s.memo[key] = res
	return res
}

// part returns the count of a non-final part, 0 if it cannot be one: how
// often it was learnt (if at least MinPartCount times), plus
// DictionaryCount if the dictionary has it.
func (s *splitter) part(p string) uint32 { return s.count(s.evidence(p, false), false) }

// final returns the count of a final part, which may be inflected: its
// own or that of its uninflected form (see base), plus DictionaryCount if
// it is a form of a noun of the dictionary.
func (s *splitter) final(p string) uint32 { return s.count(s.evidence(p, true), true) }

// partAt and finalAt are part and final of w[i:j], whose evidence is
// looked up once per word (only final pieces, w[i:], as final parts).
func (s *splitter) partAt(i, j int) uint32  { return s.count(s.evidenceAt(i, j), false) }
func (s *splitter) finalAt(i, j int) uint32 { return s.count(s.evidenceAt(i, j), true) }

// evidence is what the vocabulary and the dictionary know of a piece of
// the word.
type evidence struct {
	known               bool
	part, final         uint32 // learnt counts
	dictPart, dictFinal bool
}

func (s *splitter) count(e evidence, final bool) uint32 {
	n, dict := e.part, e.dictPart
	if final {
		n, dict = e.final, e.dictFinal
	}
	if s.dictOnly {
		n = 0
	}
	if dict {
		n += DictionaryCount
	}
	return n
}

func (s *splitter) evidenceAt(i, j int) evidence {
	if s.known == nil {
		s.known = make([]evidence, (len(s.w)+1)*(len(s.w)+1))
	}
	e := &s.known[i*(len(s.w)+1)+j]
	if !e.known {
		*e = s.evidence(s.w[i:j], j == len(s.w))
	}
	return *e
}

func (s *splitter) evidence(p string, final bool) evidence {
	e := evidence{known: true}
	if len(p) < MinPart || IsStopWord(p) {
		return e
	}
	e.part = s.learnt(p)
	e.dictPart = s.d.part(p)
	if !final {
		return e
	}
	e.final = e.part
	e.dictFinal = s.d.head(p)
	if e.final == 0 || !e.dictFinal {
		b := s.base(p)
		if e.final == 0 && b != "" {
			e.final = s.learnt(b)
		}
		e.dictFinal = e.dictFinal || b != "" && s.d.head(b) || s.d.inflectedHead(p)
	}
	return e
}

// base returns the uninflected form of a final part, a word learnt or a
// noun of the dictionary (systems: system; beitrags: beitrag), or "".
func (s *splitter) base(p string) string {
	for _, suf := range inflections {
		if b, ok := strings.CutSuffix(p, suf); ok && len(b) >= MinPart && !IsStopWord(b) && (s.learnt(b) > 0 || s.d.head(b)) {
			return b
		}
	}
	return ""
}

// learnt returns how often p was learnt, 0 if less than MinPartCount.
func (s *splitter) learnt(p string) uint32 {
	if n := s.v.counts[p]; n >= MinPartCount {
		return n
	}
	return 0
}

// WriteTo writes the vocabulary as lines of "word count", most frequent
// first, for ReadFrom.
func (v *Vocabulary) WriteTo(w io.Writer) (int64, error) {
	v.mu.RLock()
	words := make([]string, 0, len(v.counts))
	for word := range v.counts {
		words = append(words, word)
	}
	counts := make(map[string]uint32, len(v.counts))
	for _, word := range words {
		counts[word] = v.counts[word]
	}
	v.mu.RUnlock()
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	bw := bufio.NewWriter(w)
	var n int64
	for _, word := range words {
		m, err := fmt.Fprintf(bw, "%s %d\n", word, counts[word])
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// ReadFrom adds the counts written by WriteTo to v.
func (v *Vocabulary) ReadFrom(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var n int64
	add := make(map[string]uint32)
	for sc.Scan() {
		line := sc.Text()
		n += int64(len(line)) + 1
		word, count, ok := strings.Cut(line, " ")
		c, err := strconv.ParseUint(count, 10, 32)
		if !ok || err != nil || word == "" {
			return n, fmt.Errorf("vocabulary: bad line %q", line)
		}
		add[word] += uint32(c)
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	v.mu.Lock()
	for w, c := range add {
		v.counts[w] += c
		v.total += uint64(c)
	}
	v.bumped = v.total
	v.mu.Unlock()
	v.version.Add(1)
	return n, nil
}
