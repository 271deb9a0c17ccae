package search_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

var referenceRE = regexp.MustCompile(`^[0-9]{4}/[0-9]{4,5}$`)

// FuzzQueryParse feeds the query parser (what citizens type into the search
// box) arbitrary text: it never panics, and what it returns is clean —
// words without spaces that start and end with a letter or digit,
// normalized references, phrases without surrounding or doubled spaces —
// and survives the German analysis.
func FuzzQueryParse(f *testing.F) {
	for _, s := range []string{
		`Haushalt 2026`, `"Neubau Feuerwache"`, `„Radweg Nord“ 2025/123`, `»Kita« «x»`, `"offen`, `2025/0123 2025/123456 12/3`,
		"a\u00a0b\tc\nd", `„“"”»«`, `"a b`, "„x“ 2025/1", "»«", "\xff\xfe", `Straßenausbaubeiträge-Satzung!!`, ``, `   `,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := search.Parse(text)
		again := search.Parse(text)
		if !slices.Equal(p.Words, again.Words) || !slices.Equal(p.Phrases, again.Phrases) || !slices.Equal(p.References, again.References) {
			t.Fatalf("Parse(%q) is not deterministic", text)
		}
		for _, w := range p.Words {
			first, _ := utf8.DecodeRuneInString(w)
			last, _ := utf8.DecodeLastRuneInString(w)
			if w == "" || strings.IndexFunc(w, unicode.IsSpace) >= 0 || !(unicode.IsLetter(first) || unicode.IsDigit(first)) || !(unicode.IsLetter(last) || unicode.IsDigit(last)) {
				t.Fatalf("Parse(%q): word %q", text, w)
			}
			german.Stem(german.Fold(w)) // must not panic
		}
		for _, r := range p.References {
			if !referenceRE.MatchString(r) {
				t.Fatalf("Parse(%q): reference %q", text, r)
			}
		}
		for _, ph := range p.Phrases {
			if ph == "" || ph != strings.Join(strings.Fields(ph), " ") {
				t.Fatalf("Parse(%q): phrase %q", text, ph)
			}
			german.Words(ph, func(german.Word) {})
		}
		if p.Empty() != (len(p.Words)+len(p.Phrases)+len(p.References) == 0) {
			t.Fatalf("Empty() disagrees")
		}
	})
}
