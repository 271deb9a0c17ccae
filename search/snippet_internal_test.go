package search

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestSnippetAsBefore: MakeSnippet, which builds a snippet's spans as
// parts of one string, gives the spans the former one gave (a string per
// piece, joined pieces concatenated; kept below as the reference), for
// random texts of words, runs of white space, Unicode spaces, soft
// hyphens, invalid UTF-8 and markup characters, with random matches.
func TestSnippetAsBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 7))
	pieces := []string{"Bürgerbeteiligung", "Kosten", "der", "Straßenbäume", " ", "  ", "\n", "\t", "\r\n", "\u00a0", "\u00ad", "\u2003",
		"\xff", "\xe2\x80", "<b>", "&", "…", "😀", "a", "Ö 3.1", "\u0085", "\u3000"}
	for n := range 20000 {
		var b strings.Builder
		for range rng.IntN(200) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		var ms []Match
		for range rng.IntN(12) {
			if len(text) == 0 {
				break
			}
			s := rng.IntN(len(text))
			e := min(len(text), s+1+rng.IntN(20))
			ms = append(ms, Match{Start: s, End: e, Term: []string{"a", "b", "c"}[rng.IntN(3)]})
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].Start < ms[j].Start })
		// Matches do not overlap (words of the text).
		kept := ms[:0]
		for _, m := range ms {
			if len(kept) == 0 || m.Start >= kept[len(kept)-1].End {
				kept = append(kept, m)
			}
		}
		got, want := MakeSnippet(text, kept), refMakeSnippet(text, kept)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: text %q matches %v:\n got %q\nwant %q", n, text, kept, got, want)
		}
	}
}

func refMakeSnippet(text string, matches []Match) Snippet {
	if len(matches) == 0 {
		return refPassage(text, 0, nil)
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
	return refPassage(text, max(0, matches[bestI].Start-snippetLead), matches)
}

// passage cuts about SnippetSize bytes of text from start at word
// boundaries and marks the matches inside.
func refPassage(text string, start int, matches []Match) Snippet {
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
		t = refCollapse(t)
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

// collapse turns every run of white space (and soft hyphens) into one
// space, keeping a leading or trailing one.
func refCollapse(s string) string {
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
		return s
	}
	b := make([]byte, 0, len(s))
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
	return string(b)
}
