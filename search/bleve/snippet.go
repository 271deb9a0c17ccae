package bleve

import (
	"slices"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// snippetState is what the snippets of one query share.
type snippetState struct {
	p *plan
	// marks are the keys of p.marks.
	marks []string
	// memo remembers the mark of each word looked up, by the word as
	// written ("" for none).
	memo map[string]string
	// starts has a bit for the first two bytes of every mark, so that
	// mayCarry compares marks only where one may begin; short is set if a
	// mark is shorter than two bytes (then every place is compared).
	starts *[1 << 16 / 64]uint64
	short  bool
}

func newSnippetState(p *plan) *snippetState {
	s := &snippetState{p: p, memo: make(map[string]string, 1024), starts: new([1 << 16 / 64]uint64)}
	for m := range p.marks {
		s.marks = append(s.marks, m)
		if len(m) < 2 {
			s.short = true
			continue
		}
		b := uint16(m[0])<<8 | uint16(m[1])
		s.starts[b/64] |= 1 << (b % 64)
	}
	slices.Sort(s.marks)
	return s
}

// matches returns where the terms p marks occur in text, a hit's page, by
// analysing the page again: for the few pages a result shows, that is far
// cheaper than reading term vectors, which means walking the postings of
// every marked term up to each page. A compound matched by one of its
// parts is marked whole, since a part carries its compound's offsets.
//
// It gives what analysing the text token by token would (a word is
// marked by the first of its terms, stem then parts, that p marks), but
// cheaper: the analyzer's cache is large and shared, and a lookup for
// every word of ten pages was most of an uncached query. A plain ASCII
// word none of whose pieces is a mark cannot carry one (its terms are
// pieces of it, german.PlainASCII), which rules out most words without
// a lookup; the others are looked up once per distinct word as written.
func (x *Index) matches(text string, s *snippetState) []search.Match {
	var ms []search.Match
	german.WordsAsWritten(text, func(w german.Word) {
		if !s.mayCarry(w.Text) {
			return
		}
		mark, ok := s.memo[w.Text]
		if !ok {
			t := x.analyzer.Word(w.Text)
			if t.Stem != "" {
				if s.p.marks[t.Stem] {
					mark = t.Stem
				} else {
					for _, part := range t.Parts {
						if s.p.marks[part] {
							mark = part
							break
						}
					}
				}
			}
			s.memo[w.Text] = mark
		}
		if mark != "" {
			ms = append(ms, search.Match{Start: w.Start, End: w.End, Term: mark})
		}
	})
	return ms
}

// mayCarry reports whether word, as written, may have one of s's marks
// (lower case) among its terms: false only if it is plain ASCII and no
// mark is a piece of it, ignoring case.
func (s *snippetState) mayCarry(word string) bool {
	if s.short {
		for _, m := range s.marks {
			if containsFold(word, m) {
				return true
			}
		}
		return !german.PlainASCII(word)
	}
	for i := 0; i+1 < len(word); i++ {
		b := uint16(lowerASCII(word[i]))<<8 | uint16(lowerASCII(word[i+1]))
		if s.starts[b/64]&(1<<(b%64)) == 0 {
			continue
		}
		for _, m := range s.marks {
			if len(m) <= len(word)-i && hasPrefixFold(word[i:], m) {
				return true
			}
		}
	}
	return !german.PlainASCII(word)
}

// hasPrefixFold reports whether s begins with lower-case m, ASCII letters
// of s compared without case; len(s) >= len(m).
func hasPrefixFold(s, m string) bool {
	for j := 0; j < len(m); j++ {
		if lowerASCII(s[j]) != m[j] {
			return false
		}
	}
	return true
}

// containsFold reports whether lower-case m occurs in s, ASCII letters of
// s compared without case.
func containsFold(s, m string) bool {
	if len(m) == 0 {
		return true
	}
	first := m[0]
	for i := 0; i+len(m) <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < len(m) && lowerASCII(s[i+j]) == m[j] {
			j++
		}
		if j == len(m) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
