package german_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/search/german"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// TestDictionarySplit: with the word list and nothing learnt, compounds
// split into the words a person searches for, inflected heads and linking
// elements included, and words that only look like compounds do not.
func TestDictionarySplit(t *testing.T) {
	a := german.NewAnalyzer(german.NewVocabularyWith(searchtest.NeedWordList(t)))
	tests := []struct {
		word string
		has  []string // words whose stems are among the word's terms; nil: must not split
	}{
		{"Straßenausbaubeiträgen", []string{"Beitrag", "Ausbau", "Straße"}}, // dative plural
		{"Straßenausbaubeitrags", []string{"Beitrag", "Ausbau"}},            // genitive
		{"Ratsinformationssystems", []string{"System", "Information", "Rat"}},
		{"Bebauungsplanverfahren", []string{"Bebauungsplan", "Verfahren"}},
		{"Bebauungsplanverfahrens", []string{"Bebauungsplan", "Verfahren"}},
		{"Gemeinderatssitzung", []string{"Gemeinderat", "Sitzung"}},         // Fugen-s
		{"Verkehrsberuhigung", []string{"Verkehr", "Beruhigung"}},           // Fugen-s
		{"Landesregierung", []string{"Land", "Regierung"}},                  // Fugen-es
		{"Straßenbahnhaltestellen", []string{"Straßenbahn", "Haltestelle"}}, // Fugen-n
		{"Personennahverkehrs", []string{"Person", "Nahverkehr"}},           // Fugen-en
		{"Kindertagesstätten", []string{"Kinder", "Tag", "Stätte"}},         // Fugen-er, -es
		{"Wohngebiete", []string{"Wohnen", "Gebiet"}},                       // a verb's stem
		{"Schulwegs", []string{"Schule", "Weg"}},                            // a noun without its e
		{"Berufsausbildung", []string{"Beruf", "Ausbildung"}},               // not beruf-saus-bildung
		{"Verein", nil},
		{"Vereine", nil},
		{"Vertrag", nil},
		{"Verkehr", nil},
		{"Verwaltung", nil},
		{"Erhebung", nil},
		{"Beitrags", nil},
		{"Landschaft", nil},
		{"Gesellschaft", nil},
		{"Bearbeitung", nil},
		{"Unterlagen", nil},
		{"Maßnahmen", nil},
	}
	for _, tt := range tests {
		w := a.Word(tt.word)
		if tt.has == nil {
			if w.Parts != nil {
				t.Errorf("%s splits into %q, want no split", tt.word, w.Parts)
			}
			continue
		}
		for _, h := range tt.has {
			if s := a.Word(h).Stem; s != w.Stem && !slices.Contains(w.Parts, s) {
				t.Errorf("%s: stem %q, parts %q; want %q (of %s) among them", tt.word, w.Stem, w.Parts, s, h)
			}
		}
	}
}

// TestDictionaryCompoundSet: on the judged compound set, a fresh
// vocabulary (nothing learnt, the word list) gives the compound the terms
// its query is found by: the query's stem, or all the parts of a query
// that is a compound itself.
func TestDictionaryCompoundSet(t *testing.T) {
	a := german.NewAnalyzer(german.NewVocabularyWith(searchtest.NeedWordList(t)))
	b, err := os.ReadFile("testdata/compounds.tsv")
	if err != nil {
		t.Fatal(err)
	}
	found, n := 0, 0
	for _, line := range strings.Split(string(b), "\n") {
		query, compound, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		c, q := a.Word(compound), a.Word(query)
		terms := append([]string{c.Stem}, c.Parts...)
		if slices.Contains(terms, q.Stem) || len(q.Cover) > 1 && allIn(q.Cover, terms) {
			found++
		} else {
			t.Logf("%s not found by %s (%q, %q)", compound, query, c.Stem, c.Parts)
		}
	}
	recall := float64(found) / float64(n)
	t.Logf("recall %.3f on %d judged compounds", recall, n)
	// 0.949 when written; bench/search measures the recall of an index
	// that has learnt the corpus, where the goal is 0.95.
	if n < 200 || recall < 0.94 {
		t.Errorf("recall %.3f on %d judged compounds, want ≥ 0.94 on ≥ 200", recall, n)
	}
}

func allIn(list, set []string) bool {
	for _, x := range list {
		if !slices.Contains(set, x) {
			return false
		}
	}
	return true
}

// Without a word list, a vocabulary splits by what it learnt and its
// built-in words only.
func TestNoWordList(t *testing.T) {
	v := german.NewVocabularyWith(nil)
	if got := v.Split("xylophonkonzert"); got != nil {
		t.Errorf("Split(xylophonkonzert) = %q without a word list", got)
	}
	if got := v.Split("strassenausbaubeitragen"); len(got) != 3 {
		t.Errorf("Split(strassenausbaubeitragen) = %q, want the built-in words", got)
	}
}

func TestReadDictionary(t *testing.T) {
	d, err := german.ReadDictionary(strings.NewReader("Beitrag\nBeiträgen\nbeitragen\nAfD\nGmbH\nAbt\nCafé\nStraße\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"beitrag", "beitragen", "strasse"} {
		if !d.Has(w) {
			t.Errorf("Has(%q) = false", w)
		}
	}
	for _, w := range []string{"afd", "gmbh", "abt", "cafe", "café", "beitr"} {
		if d.Has(w) {
			t.Errorf("Has(%q) = true", w)
		}
	}
	if got, want := d.Len(), 3; got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
}
