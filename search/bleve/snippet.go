package bleve

import (
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// matches returns where the terms p marks occur in text, a hit's page, by
// analysing the page again: for the few pages a result shows, that is far
// cheaper than reading term vectors, which means walking the postings of
// every marked term up to each page. A compound matched by one of its
// parts is marked whole, since a part carries its compound's offsets.
//
// It gives what analysing the text token by token would (a word is
// marked by the first of its terms, stem then parts, that p marks), but
// it looks each distinct word up once: a page repeats its articles,
// conjunctions and key words often, and the analyzer's cache is large and
// shared, while memo is small and the caller's own. memo is keyed by the
// word as written, so that a repeated word is not even lower-cased again.
func (x *Index) matches(text string, p *plan, memo map[string]string) []search.Match {
	var ms []search.Match
	german.WordsAsWritten(text, func(w german.Word) {
		mark, ok := memo[w.Text]
		if !ok {
			t := x.analyzer.Word(w.Text)
			if t.Stem != "" {
				if p.marks[t.Stem] {
					mark = t.Stem
				} else {
					for _, part := range t.Parts {
						if p.marks[part] {
							mark = part
							break
						}
					}
				}
			}
			memo[w.Text] = mark
		}
		if mark != "" {
			ms = append(ms, search.Match{Start: w.Start, End: w.End, Term: mark})
		}
	})
	return ms
}
