package german

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// Analyzer turns text into search terms: stems of the words that are not
// stop words, and stems of the parts of compounds at the position of the
// compound. It caches what it computed for each word until its
// Vocabulary learns again. An Analyzer is safe for concurrent use.
type Analyzer struct {
	vocab *Vocabulary
	cache atomic.Pointer[wordCache]
}

// NewAnalyzer returns an analyzer that splits compounds by v.
func NewAnalyzer(v *Vocabulary) *Analyzer {
	return &Analyzer{vocab: v}
}

// Vocabulary returns the vocabulary a splits by.
func (a *Analyzer) Vocabulary() *Vocabulary { return a.vocab }

// Terms is what a word becomes.
type Terms struct {
	Folded string // the word folded (see Fold)
	Stem   string // the stem of Folded; "" for a stop word
	// Parts are the stems a compound is indexed by besides Stem (see
	// Vocabulary.Parts); Cover are the stems of its parts in order (see
	// Vocabulary.Split). Both are nil for a word that is not a compound.
	Parts []string
	Cover []string
}

// Token is a term of a text.
type Token struct {
	Term     string // a stem
	Position int    // of its word, counting words from 1, stop words included
	// Start and End are the byte offsets of its word in the text.
	Start, End int
	// Part is set for the parts of a compound; they follow the token of
	// the compound itself, at its position.
	Part bool
	// Word is the word as written, lower-cased; "" for a part.
	Word string
	// Folded is Word folded; "" for a part.
	Folded string
}

// Analyze calls fn for every token of text, in order.
func (a *Analyzer) Analyze(text string, fn func(Token)) {
	c := a.current()
	pos := 0
	Words(text, func(w Word) {
		pos++
		t := c.get(a.vocab, w.Text)
		if t.Stem == "" {
			return
		}
		fn(Token{Term: t.Stem, Position: pos, Start: w.Start, End: w.End, Word: w.Text, Folded: t.Folded})
		for _, p := range t.Parts {
			fn(Token{Term: p, Position: pos, Start: w.Start, End: w.End, Part: true})
		}
	})
}

// Word returns the terms of one word (any case).
func (a *Analyzer) Word(word string) Terms {
	return a.current().get(a.vocab, lower(word))
}

func (a *Analyzer) current() *wordCache {
	v := a.vocab.Version()
	c := a.cache.Load()
	if c != nil && c.version == v {
		return c
	}
	n := newWordCache(v)
	if a.cache.CompareAndSwap(c, n) {
		return n
	}
	return a.cache.Load()
}

const (
	cacheShards   = 64
	maxShardWords = 1 << 14
)

// wordCache holds the Terms of words for one version of the vocabulary.
type wordCache struct {
	version uint64
	seed    maphash.Seed
	shards  [cacheShards]struct {
		mu sync.RWMutex
		m  map[string]Terms
	}
}

func newWordCache(version uint64) *wordCache {
	c := &wordCache{version: version, seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]Terms)
	}
	return c
}

// get returns the terms of a lower-cased word.
func (c *wordCache) get(v *Vocabulary, word string) Terms {
	s := &c.shards[maphash.String(c.seed, word)%cacheShards]
	s.mu.RLock()
	t, ok := s.m[word]
	s.mu.RUnlock()
	if ok {
		return t
	}
	t = compute(v, word)
	s.mu.Lock()
	if len(s.m) >= maxShardWords {
		s.m = make(map[string]Terms)
	}
	s.m[word] = t
	s.mu.Unlock()
	return t
}

func compute(v *Vocabulary, word string) Terms {
	f := Fold(word)
	t := Terms{Folded: f}
	if IsStopWord(f) {
		return t
	}
	t.Stem = Stem(f)
	for _, p := range v.Parts(f) {
		s := Stem(p)
		if s == t.Stem || contains(t.Parts, s) {
			continue
		}
		t.Parts = append(t.Parts, s)
	}
	if t.Parts != nil {
		for _, p := range v.Split(f) {
			t.Cover = append(t.Cover, Stem(p))
		}
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
