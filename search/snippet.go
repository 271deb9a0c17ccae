package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
// Matches must be in text order.
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
	s := Snippet{}
	add := func(t string, mark bool) {
		t = collapse(t)
		if t == "" {
			return
		}
		if n := len(s); n > 0 && s[n-1].Mark == mark {
			s[n-1].Text += t
			return
		}
		s = append(s, Span{Text: t, Mark: mark})
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

// collapse turns every run of white space (and soft hyphens) into one
// space, keeping a leading or trailing one.
func collapse(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00ad' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}
