// Package german analyses German text for search: it splits text into
// words, folds case, umlauts and ß, drops stop words, stems (Räte → rat,
// Gebühren → gebuhr) and splits compounds into their parts
// (Straßenausbaubeiträge → strass, ausbau, beitrag) by a Vocabulary that
// is learnt from the public texts indexed and knows the system's German
// word list (Dictionary), so that a new index splits compounds too.
//
// Index and query must be analysed by the same Analyzer (and Vocabulary)
// for their terms to meet. The package knows nothing of any search engine;
// search/bleve feeds its tokens to Bleve.
package german

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	snowball "github.com/blevesearch/snowballstem/german"
	"golang.org/x/text/unicode/norm"
)

// MaxWordLength is the longest word, in bytes, that becomes a term; longer
// runs of letters are noise from PDF extraction and are skipped.
const MaxWordLength = 64

// Word is a word of a text: a run of letters and digits. A word broken
// at the end of a line by a hyphen ("Straßen-\nbahn") is one word.
type Word struct {
	// Text is the word as written, lower-cased, without a line-break
	// hyphen.
	Text string
	// Start and End are its byte offsets in the text (End exclusive).
	Start, End int
}

// Words calls fn for every word of text, in order.
func Words(text string, fn func(Word)) {
	words(text, true, fn)
}

// WordsAsWritten is Words without lower-casing: Word.Text is the word as
// written (Analyzer.Word takes it as it is).
func WordsAsWritten(text string, fn func(Word)) {
	words(text, false, fn)
}

func words(text string, lowerCase bool, fn func(Word)) {
	i := 0
	for i < len(text) {
		// Skip to the start of a word.
		c := text[i]
		if c < utf8.RuneSelf {
			if !isASCIIWordByte(c) {
				i++
				continue
			}
		} else {
			r, size := utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				i += size
				continue
			}
		}
		start := i
		end := scanWord(text, i)
		w := text[start:end]
		joined := ""
		// A hyphen at the end of a line followed by a lower-case letter
		// joins a word broken for typesetting, unless what follows is a
		// conjunction ("Straßenbahn-\nund Bushaltestelle").
		for {
			j := end
			if j >= len(text) || text[j] != '-' {
				break
			}
			k := j + 1
			for k < len(text) && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r') {
				k++
			}
			if k >= len(text) || text[k] != '\n' {
				break
			}
			k++
			for k < len(text) && (text[k] == ' ' || text[k] == '\t') {
				k++
			}
			if k >= len(text) {
				break
			}
			r, _ := utf8.DecodeRuneInString(text[k:])
			if !unicode.IsLower(r) {
				break
			}
			next := scanWord(text, k)
			if isConjunction(text[k:next]) {
				break
			}
			if joined == "" {
				joined = w
			}
			joined += text[k:next]
			end = next
		}
		if joined != "" {
			w = joined
		}
		if len(w) <= MaxWordLength {
			if lowerCase {
				w = lower(w)
			}
			fn(Word{Text: w, Start: start, End: end})
		}
		i = end
	}
}

func isConjunction(w string) bool {
	switch w {
	case "und", "oder", "bzw", "sowie", "bis", "als", "wie":
		return true
	}
	return false
}

// scanWord returns the end of the word that starts at i.
func scanWord(text string, i int) int {
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if !isASCIIWordByte(c) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			return i
		}
		i += size
	}
	return i
}

func isASCIIWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// lower lower-cases w, with a fast path for words that need nothing.
func lower(w string) string {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			return strings.ToLower(w)
		}
	}
	return w
}

// Fold returns word lower-cased, in composed form, with umlauts and ß
// folded as German readers treat them alike: ä and ae become a, ö and oe
// become o, ü and ue become u (not after q, and not in au, eu, ou), ß
// becomes ss. This is Lucene's German normalization, so that "Gebühr",
// "Gebuehr" and "GEBÜHR" fold alike.
func Fold(word string) string {
	word = lower(word)
	ascii := true
	for i := 0; i < len(word); i++ {
		if word[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii && !foldsASCII(word) {
		return word
	}
	if !ascii {
		word = norm.NFC.String(word)
	}
	var b strings.Builder
	b.Grow(len(word) + 2)
	state := plain
	for _, r := range word {
		switch r {
		case 'a', 'o':
			state = vowel
		case 'u':
			if state == plain {
				state = vowel
			} else {
				state = blocked
			}
		case 'e':
			if state == vowel {
				state = blocked
				continue
			}
			state = blocked
		case 'i', 'q', 'y':
			state = blocked
		case 'ä':
			r, state = 'a', blocked
		case 'ö':
			r, state = 'o', blocked
		case 'ü':
			r, state = 'u', blocked
		case 'ß':
			b.WriteString("ss")
			state = plain
			continue
		default:
			state = plain
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Fold's states.
const (
	plain   = iota
	vowel   // after a, o or u: a following e is an umlaut's e
	blocked // after a diphthong's second vowel or q, i, y: keep e
)

// PlainASCII reports whether Fold(word) is word with its ASCII letters
// lower-cased: word is ASCII and has no umlaut spelled with e. The terms
// of such a word (its stem and its compound parts) are then pieces of it:
// parts are cut from the folded word and the stemmer only removes
// endings.
func PlainASCII(word string) bool {
	for i := 0; i < len(word); i++ {
		if word[i] >= utf8.RuneSelf {
			return false
		}
	}
	return !foldsASCII(word)
}

// foldsASCII reports whether Fold changes a lower-case ASCII word: whether
// it has an e that is an umlaut's. Upper-case letters count as lower-case.
func foldsASCII(word string) bool {
	// An umlaut's e follows an a, o or u: most words have none of those
	// pairs, and are answered by this scan alone.
	pair := false
	for i := 1; i < len(word); i++ {
		if word[i]|0x20 == 'e' {
			if p := word[i-1] | 0x20; p == 'a' || p == 'o' || p == 'u' {
				pair = true
				break
			}
		}
	}
	if !pair {
		return false
	}
	state := plain
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A' // for PlainASCII
		}
		switch c {
		case 'a', 'o':
			state = vowel
		case 'u':
			if state == plain {
				state = vowel
			} else {
				state = blocked
			}
		case 'e':
			if state == vowel {
				return true
			}
			state = blocked
		case 'i', 'q', 'y':
			state = blocked
		default:
			state = plain
		}
	}
	return false
}

// Stem returns the stem of a folded word by the Snowball German stemmer:
// inflections are removed, so that rat, rate and rates, or gebuhr and
// gebuhren, have one stem. Words with digits are returned as they are.
func Stem(folded string) string {
	if len(folded) < 3 {
		return folded
	}
	for i := 0; i < len(folded); i++ {
		if c := folded[i]; c >= '0' && c <= '9' {
			return folded
		}
	}
	env := snowballstem.NewEnv(folded)
	snowball.Stem(env)
	return env.Current()
}

// IsStopWord reports whether a folded word is too common to be searched
// for: articles, pronouns, conjunctions, auxiliaries.
func IsStopWord(folded string) bool {
	_, ok := stopWords[folded]
	return ok
}

// stopWords is the Snowball German stop-word list, folded, without "weg"
// (a noun in municipal German: Radweg, Fußweg).
var stopWords = func() map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(`aber alle allem allen aller alles als also am an ander andere anderem
	anderen anderer anderes anderm andern anderr anders auch auf aus bei bin bis bist da damit dann der
	den des dem die das dass daß derselbe derselben denselben desselben demselben dieselbe dieselben
	dasselbe dazu dein deine deinem deinen deiner deines denn derer dessen dich dir du dies diese diesem
	diesen dieser dieses doch dort durch ein eine einem einen einer eines einig einige einigem einigen
	einiger einiges einmal er ihn ihm es etwas euer eure eurem euren eurer eures für gegen gewesen hab
	habe haben hat hatte hatten hier hin hinter ich mich mir ihr ihre ihrem ihren ihrer ihres euch im in
	indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem
	keinen keiner keines können könnte machen man manche manchem manchen mancher manches mein meine
	meinem meinen meiner meines mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein
	seine seinem seinen seiner seines selbst sich sie ihnen sind so solche solchem solchen solcher
	solches soll sollte sondern sonst über um und uns unsere unserem unseren unser unseres unter viel
	vom von vor während war waren warst was weil weiter welche welchem welchen welcher welches wenn
	werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen`) {
		m[Fold(w)] = struct{}{}
	}
	return m
}()
