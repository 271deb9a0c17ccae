package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Match is a word of a text that a query matched.
type Match struct {
	Start, End int    // byte offsets of the word in the text
	Term       string // what it matched as; distinct terms make a better passage
}

// Snippet sizes in bytes of text: a passage, and how much of it precedes
// its first match.
const (
	SnippetSize = 240
	snippetLead = 60
)

// MakeSnippet cuts the passage of text with the most distinct matched
// terms (then the most matches; the earliest of equals) and marks the
// matches in it. Without matches (a page found by its title) it is the
// start of the text. White space is collapsed; a cut is shown as "…".
// Matches must be in text order. The spans' text is one string of its
// own, never a part of text, so text may be a buffer reused afterwards;
// matches are not kept.
func MakeSnippet(text string, matches []Match) Snippet {
	if len(matches) == 0 {
		return passage(text, 0, nil)
	}
	bestI, bestDistinct, bestCount := 0, 0, 0
	seen := make(map[string]bool)
	for i := range matches {
		clear(seen)
		count := 0
		for j := i; j < len(matches) && matches[j].End-matches[i].Start <= SnippetSize-snippetLead; j++ {
			seen[matches[j].Term] = true
			count++
		}
		if len(seen) > bestDistinct || len(seen) == bestDistinct && count > bestCount {
			bestI, bestDistinct, bestCount = i, len(seen), count
		}
	}
	return passage(text, max(0, matches[bestI].Start-snippetLead), matches)
}

// passage cuts about SnippetSize bytes of text from start at word
// boundaries and marks the matches inside.
func passage(text string, start int, matches []Match) Snippet {
	if start > 0 {
		for start < len(text) && !spaceAt(text, start) {
			start++
		}
	}
	end := start + SnippetSize
	if end >= len(text) {
		end = len(text)
	} else {
		for end < len(text) && !spaceAt(text, end) {
			end++
		}
	}
	for start < end && !utf8.RuneStart(text[start]) {
		start++
	}
	// The pieces go, white space collapsed, into one buffer that becomes
	// one string, the spans its parts: not a string per piece and
	// another per joined piece.
	// At most a span per match in the passage and one after each, and
	// the leading "… ".
	n := 2
	for _, m := range matches {
		if m.Start >= start && m.End <= end {
			n += 2
		}
	}
	s := make(Snippet, 0, n)
	buf := make([]byte, 0, end-start+8)
	var endsArr [16]int
	ends := endsArr[:0] // of each span in buf
	add := func(t string, mark bool) {
		n0 := len(buf)
		buf = appendCollapsed(buf, t)
		if len(buf) == n0 {
			return
		}
		if n := len(s); n > 0 && s[n-1].Mark == mark {
			ends[n-1] = len(buf)
			return
		}
		s = append(s, Span{Mark: mark})
		ends = append(ends, len(buf))
	}
	if start > 0 {
		add("… ", false)
	}
	pos := start
	for _, m := range matches {
		if m.Start < pos || m.End > end {
			continue
		}
		add(text[pos:m.Start], false)
		add(text[m.Start:m.End], true)
		pos = m.End
	}
	add(text[pos:end], false)
	if end < len(text) {
		add(" …", false)
	}
	// buf is not written again: the string is its bytes, not a copy.
	all, from := unsafe.String(unsafe.SliceData(buf), len(buf)), 0
	for i := range s {
		s[i].Text, from = all[from:ends[i]], ends[i]
	}
	if len(s) > 0 {
		s[0].Text = strings.TrimLeft(s[0].Text, " ")
		s[len(s)-1].Text = strings.TrimRight(s[len(s)-1].Text, " ")
	}
	return s
}

func spaceAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsSpace(r)
}

// appendCollapsed appends s with every run of white space (and soft
// hyphens) turned into one space, keeping a leading or trailing one.
func appendCollapsed(b []byte, s string) []byte {
	// Most passages have nothing to change: no white space but single
	// ASCII spaces, and no byte that may begin a Unicode space or soft
	// hyphen (C2: U+0085, U+00A0, U+00AD; E1, E2, E3: the others).
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		switch c := s[i]; c {
		case '\t', '\n', '\v', '\f', '\r', 0xC2, 0xE1, 0xE2, 0xE3:
			plain = false
		case ' ':
			plain = i == 0 || s[i-1] != ' '
		}
	}
	if plain && utf8.ValidString(s) {
		return append(b, s...)
	}
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		size := 1
		isSpace := false
		if c < utf8.RuneSelf {
			isSpace = c == ' ' || c >= '\t' && c <= '\r'
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			isSpace = unicode.IsSpace(r) || r == '\u00ad'
			if r == utf8.RuneError && size == 1 {
				// Invalid UTF-8 is shown as U+FFFD, as ranging over
				// the string would.
				if space {
					b = append(b, ' ')
					space = false
				}
				b = utf8.AppendRune(b, r)
				i += size
				continue
			}
		}
		if isSpace {
			space = true
		} else {
			if space {
				b = append(b, ' ')
				space = false
			}
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	if space {
		b = append(b, ' ')
	}
	return b
}
