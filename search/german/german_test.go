package german_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/search/german"
)

func TestStem(t *testing.T) {
	tests := []struct{ word, stem string }{
		{"Räte", "rat"},
		{"Rat", "rat"},
		{"Rates", "rat"},
		{"Gebühren", "gebuhr"},
		{"Gebühr", "gebuhr"},
		{"Gebuehren", "gebuhr"},
		{"GEBÜHREN", "gebuhr"},
		{"Beiträge", "beitrag"},
		{"Beitrag", "beitrag"},
		{"Straße", "strass"},
		{"Strasse", "strass"},
		{"Straßen", "strass"},
		{"Anträge", "antrag"},
		{"Häuser", "haus"},
		{"Haushalte", "haushalt"},
		{"Haushalts", "haushalt"},
		{"Bebauungspläne", "bebauungsplan"},
		{"Ausschüsse", "ausschuss"},
		{"Sitzungen", "sitzung"},
		{"Verkehrs", "verkehr"},
		{"2025", "2025"},
		{"b10", "b10"},
	}
	for _, tt := range tests {
		if got := german.Stem(german.Fold(tt.word)); got != tt.stem {
			t.Errorf("Stem(Fold(%q)) = %q, want %q", tt.word, got, tt.stem)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ word, folded string }{
		{"Gebühr", "gebuhr"},
		{"Gebuehr", "gebuhr"},
		{"Gebu\u0308hr", "gebuhr"}, // decomposed ü, as some PDFs and keyboards write it
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"Öffentlich", "offentlich"},
		{"Oeffentlich", "offentlich"},
		{"Ärger", "arger"},
		{"Aerger", "arger"},
		{"Steuer", "steuer"}, // eu is a diphthong, not an umlaut
		{"Bauer", "bauer"},
		{"Quelle", "quelle"},
		{"Radweg", "radweg"},
	}
	for _, tt := range tests {
		if got := german.Fold(tt.word); got != tt.folded {
			t.Errorf("Fold(%q) = %q, want %q", tt.word, got, tt.folded)
		}
	}
}

func TestStopWords(t *testing.T) {
	for _, w := range []string{"und", "der", "für", "über", "dass", "daß"} {
		if !german.IsStopWord(german.Fold(w)) {
			t.Errorf("IsStopWord(%q) = false", w)
		}
	}
	for _, w := range []string{"weg", "rat", "stadt", "haushalt"} {
		if german.IsStopWord(w) {
			t.Errorf("IsStopWord(%q) = true", w)
		}
	}
}

// vocabulary returns a vocabulary that has learnt a little council
// German, without a word list (see compound_test.go for splitting by
// one).
func vocabulary() *german.Vocabulary {
	return learn(german.NewVocabularyWith(nil))
}

// learn teaches v a little council German.
func learn(v *german.Vocabulary) *german.Vocabulary {
	v.Learn(strings.Repeat("Die Gemeinde erhebt Beiträge für den Ausbau der Straßen. Der Beitrag ist hoch. "+
		"Der Radweg und der Weg zum Rad. Der Bau beginnt. Die Sitzung des Gemeinderats. ", 5))
	return v
}

func TestSplit(t *testing.T) {
	v := vocabulary()
	tests := []struct {
		word string
		has  []string // among Parts; nil: not a compound
	}{
		{"Straßenausbaubeiträge", []string{"ausbau", "beitrage"}},
		{"Radwegebau", []string{"radweg", "bau"}},
		{"Gemeinderatssitzung", []string{"gemeinde", "sitzung"}},
		{"Beitrag", nil},
		{"Straßen", nil},
		{"Xylophonkonzert", nil}, // parts unknown
	}
	for _, tt := range tests {
		f := german.Fold(tt.word)
		split, parts := v.Split(f), v.Parts(f)
		if tt.has == nil {
			if split != nil || parts != nil {
				t.Errorf("Split(%q) = %q, Parts = %q, want no split", f, split, parts)
			}
			continue
		}
		// The parts of Split, in order, make up the word but for
		// linking elements.
		rest := f
		for _, p := range split {
			i := strings.Index(rest, p)
			if i < 0 || i > 3 {
				t.Errorf("Split(%q) = %q: %q does not follow", f, split, p)
				break
			}
			rest = rest[i+len(p):]
		}
		if len(split) < 2 || len(rest) > 0 {
			t.Errorf("Split(%q) = %q does not make up the word", f, split)
		}
		for _, h := range tt.has {
			if !slices.Contains(parts, h) {
				t.Errorf("Parts(%q) = %q, want %q among them", f, parts, h)
			}
		}
	}
}

// TestAnalyzer: the terms a page is found by, as a table of texts and
// the stems they must and must not yield.
func TestAnalyzer(t *testing.T) {
	a := german.NewAnalyzer(vocabulary())
	tests := []struct {
		text      string
		want, not []string
	}{
		{"Die Straßenausbaubeiträge", []string{"strassenausbaubeitrag", "ausbau", "beitrag"}, []string{"die"}},
		{"Radwegebau", []string{"radwegebau", "radweg", "bau"}, nil},
		{"Räte und Gebühren", []string{"rat", "gebuhr"}, []string{"und"}},
		{"Vorlage 2025/0123", []string{"vorlag", "2025", "0123"}, nil},
		{"Straßen-\nbahn", []string{"strassenbahn"}, []string{"strassen-"}},
		{"Straßen- und Bushaltestelle", []string{"strass", "bushaltestell"}, nil},
	}
	for _, tt := range tests {
		var terms []string
		a.Analyze(tt.text, func(tok german.Token) { terms = append(terms, tok.Term) })
		for _, w := range tt.want {
			if !slices.Contains(terms, w) {
				t.Errorf("Analyze(%q) = %q, want %q among them", tt.text, terms, w)
			}
		}
		for _, w := range tt.not {
			if slices.Contains(terms, w) {
				t.Errorf("Analyze(%q) = %q, want no %q", tt.text, terms, w)
			}
		}
	}
}

func TestAnalyzerPositions(t *testing.T) {
	a := german.NewAnalyzer(vocabulary())
	text := "Die Straßenausbaubeiträge steigen"
	var toks []german.Token
	a.Analyze(text, func(tok german.Token) { toks = append(toks, tok) })
	if len(toks) < 3 {
		t.Fatalf("tokens %+v", toks)
	}
	// "Die" is a stop word: no token, but it counts as a position.
	if got, want := toks[0].Position, 2; got != want {
		t.Errorf("first token at position %d, want %d", got, want)
	}
	for _, tok := range toks {
		if tok.Part && (tok.Position != 2 || text[tok.Start:tok.End] != "Straßenausbaubeiträge") {
			t.Errorf("part %+v is not at its compound", tok)
		}
	}
	last := toks[len(toks)-1]
	if got, want := last.Position, 3; got != want || last.Term != "steig" {
		t.Errorf("last token %+v, want steig at %d", last, want)
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		text  string
		words []string
	}{
		{"Straßen-\nbahn", []string{"straßenbahn"}},
		{"Straßen-  \n  bahn fährt", []string{"straßenbahn", "fährt"}},
		{"Straßenbahn-\nund Bushaltestelle", []string{"straßenbahn", "und", "bushaltestelle"}},
		{"Nord-\nSüd-Achse", []string{"nord", "süd", "achse"}},
		{"2025/0123, E-Mail!", []string{"2025", "0123", "e", "mail"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		var got []string
		german.Words(tt.text, func(w german.Word) {
			got = append(got, w.Text)
		})
		if !slices.Equal(got, tt.words) {
			t.Errorf("Words(%q) = %q, want %q", tt.text, got, tt.words)
		}
	}
}

func TestVocabularyRoundTrip(t *testing.T) {
	v := vocabulary()
	var buf bytes.Buffer
	if _, err := v.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	w := german.NewVocabulary()
	before := w.Count("beitrag")
	if _, err := w.ReadFrom(&buf); err != nil {
		t.Fatal(err)
	}
	if got, want := w.Count("beitrag"), before+v.Count("beitrag"); got != want {
		t.Errorf("Count(beitrag) = %d after ReadFrom, want %d", got, want)
	}
	if _, err := german.NewVocabulary().ReadFrom(strings.NewReader("kaputt\n")); err == nil {
		t.Error("ReadFrom(garbage) succeeded")
	}
}

func FuzzAnalyze(f *testing.F) {
	// With the system's word list where it is installed, so that
	// splitting by it is fuzzed too.
	a := german.NewAnalyzer(learn(german.NewVocabulary()))
	for _, s := range []string{"Straßen-\nbahn", "Gebu\u0308hr", "2025/0123", "\xff\xfe", "a-\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a.Analyze(text, func(tok german.Token) {
			if tok.Start < 0 || tok.End > len(text) || tok.Start >= tok.End || tok.Term == "" {
				t.Fatalf("token %+v out of %q", tok, text)
			}
		})
	})
}
