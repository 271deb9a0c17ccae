package search

import (
	"strings"
	"unicode"
)

// Parsed is a query text taken apart.
type Parsed struct {
	// Words are the words outside quotes, as typed, without surrounding
	// punctuation, paper references excluded.
	Words []string
	// Phrases are the texts inside quotes ("…", „…“, »…«), each to be
	// found as written, word after word.
	Phrases []string
	// References are paper references such as 2025/0123, with the
	// number padded to four digits (2025/123 → 2025/0123).
	References []string
}

// Empty reports whether p asks for nothing.
func (p Parsed) Empty() bool {
	return len(p.Words) == 0 && len(p.Phrases) == 0 && len(p.References) == 0
}

// Parse takes a query text apart. A quote that is not closed runs to the
// end of the text.
func Parse(text string) Parsed {
	var p Parsed
	var cur strings.Builder
	inPhrase := false
	var closeQuote rune
	flushWord := func() {
		w := strings.TrimFunc(cur.String(), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		cur.Reset()
		if w == "" {
			return
		}
		if ref, ok := reference(w); ok {
			p.References = append(p.References, ref)
			return
		}
		p.Words = append(p.Words, w)
	}
	flushPhrase := func() {
		ph := strings.Join(strings.Fields(cur.String()), " ")
		cur.Reset()
		if ph != "" {
			p.Phrases = append(p.Phrases, ph)
		}
	}
	for _, r := range text {
		switch {
		case inPhrase && (r == closeQuote || r == '"'):
			flushPhrase()
			inPhrase = false
		case inPhrase:
			cur.WriteRune(r)
		case r == '"' || r == '„' || r == '“' || r == '»' || r == '«':
			flushWord()
			inPhrase = true
			switch r {
			case '„':
				closeQuote = '“'
			case '“':
				closeQuote = '”'
			case '»':
				closeQuote = '«'
			case '«':
				closeQuote = '»'
			default:
				closeQuote = '"'
			}
		case unicode.IsSpace(r):
			flushWord()
		default:
			cur.WriteRune(r)
		}
	}
	if inPhrase {
		flushPhrase()
	} else {
		flushWord()
	}
	return p
}

// reference reports whether w is a paper reference (four-digit year, a
// slash, a number of one to five digits) and returns it normalized.
func reference(w string) (string, bool) {
	year, num, ok := strings.Cut(w, "/")
	if !ok || len(year) != 4 || len(num) < 1 || len(num) > 5 || !digits(year) || !digits(num) {
		return "", false
	}
	for len(num) < 4 {
		num = "0" + num
	}
	return year + "/" + num, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
