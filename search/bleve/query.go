package bleve

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// Boosts of the alternatives of a query word.
const (
	boostText  = 1.0
	boostTitle = 2.0
	boostParts = 0.5
	boostFuzzy = 0.3
	boostRef   = 4.0
	// Filter clauses must not change scores: a viewer who may see more
	// would otherwise rank the same pages differently.
	boostFilter = 0
)

// Typo tolerance: words of at least fuzzyMin letters match stems one
// edit away, of at least fuzzyMin2 letters two edits away.
const (
	fuzzyMin  = 5
	fuzzyMin2 = 9
)

// plan is a query text made ready for the engine (engine.go).
type plan struct {
	// clauses must all match (AND); none means nothing to search for.
	clauses []clause
	// marks are the terms of the text field a snippet marks.
	marks map[string]bool
}

// A clause matches a page if one of its alternatives does (OR).
type clause []alt

// An alt is one way a clause can match: a term of a field, all of
// several terms of the text field (a compound's parts), or a phrase of
// the text field.
type alt struct {
	kind  altKind
	field string
	// terms are the term (altTerm), the parts (altAll), or every term of
	// the phrase's slots (altPhrase): the terms a match scores by.
	terms []string
	// slots are the phrase's terms by position from its first; an empty
	// slot (a stop word) matches any word.
	slots [][]string
	boost float64
}

type altKind uint8

const (
	altTerm altKind = iota
	altAll
	altPhrase
)

func termAlt(field, t string, boost float64) alt {
	return alt{kind: altTerm, field: field, terms: []string{t}, boost: boost}
}

func phraseAlt(slots [][]string, boost float64) alt {
	a := alt{kind: altPhrase, field: fieldText, slots: slots, boost: boost}
	for _, s := range slots {
		for _, t := range s {
			if !slices.Contains(a.terms, t) {
				a.terms = append(a.terms, t)
			}
		}
	}
	return a
}

// plan turns a query text into clauses; r expands fuzzy terms.
func (x *Index) plan(r index.IndexReader, text string) (p plan, err error) {
	p = plan{marks: make(map[string]bool)}
	parsed := search.Parse(text)
	for _, w := range parsed.Words {
		c, err := x.wordClause(r, w, &p)
		if err != nil {
			return p, err
		}
		if c != nil {
			p.clauses = append(p.clauses, c)
		}
	}
	for _, ph := range parsed.Phrases {
		if c := x.phraseClause(ph, &p); c != nil {
			p.clauses = append(p.clauses, c)
		}
	}
	for _, ref := range parsed.References {
		p.clauses = append(p.clauses, referenceClause(ref, &p))
	}
	return p, nil
}

// wordClause returns the clause of one word as typed, nil for a stop word.
func (x *Index) wordClause(r index.IndexReader, w string, p *plan) (clause, error) {
	var toks []german.Token
	x.analyzer.Analyze(w, func(t german.Token) { toks = append(toks, t) })
	if len(toks) == 0 {
		return nil, nil
	}
	if toks[len(toks)-1].Position != toks[0].Position {
		// "E-Mail", "und/oder": several words in one.
		return x.phraseClause(w, p), nil
	}
	t := x.analyzer.Word(toks[0].Word)
	p.marks[t.Stem] = true
	alts := clause{
		termAlt(fieldText, t.Stem, boostText),
		termAlt(fieldTitle, t.Stem, boostTitle),
	}
	if len(t.Cover) > 1 {
		parts := alt{kind: altAll, field: fieldText, boost: boostParts}
		for _, c := range t.Cover {
			parts.terms = append(parts.terms, c)
			p.marks[c] = true
		}
		alts = append(alts, parts)
	}
	if n := utf8.RuneCountInString(t.Folded); n >= fuzzyMin && !hasDigit(t.Folded) {
		d := 1
		if n >= fuzzyMin2 {
			d = 2
		}
		near, err := x.fuzzy(r, t.Stem, d)
		if err != nil {
			return nil, err
		}
		for _, n := range near {
			alts = append(alts, termAlt(fieldText, n, boostFuzzy))
			p.marks[n] = true
		}
	}
	return alts, nil
}

// fuzzy returns the terms of the text field at most d edits from stem
// that begin with the same letter, other than stem itself. Expansions are
// cached until the next write.
func (x *Index) fuzzy(r index.IndexReader, stem string, d int) ([]string, error) {
	key := strconv.Itoa(d) + stem
	x.fuzzyMu.Lock()
	near, ok := x.fuzzyCache[key]
	x.fuzzyMu.Unlock()
	if ok {
		return near, nil
	}
	fr, ok := r.(index.IndexReaderFuzzy)
	if !ok {
		return nil, nil
	}
	_, size := utf8.DecodeRuneInString(stem)
	dict, err := fr.FieldDictFuzzy(fieldText, stem, d, stem[:size])
	if err != nil {
		return nil, fmt.Errorf("fuzzy %q: %w", stem, err)
	}
	defer dict.Close()
	for {
		e, err := dict.Next()
		if err != nil {
			return nil, fmt.Errorf("fuzzy %q: %w", stem, err)
		}
		if e == nil {
			break
		}
		if e.Term != stem {
			near = append(near, e.Term)
		}
	}
	x.fuzzyMu.Lock()
	if len(x.fuzzyCache) >= maxFuzzyCache {
		clear(x.fuzzyCache)
	}
	x.fuzzyCache[key] = near
	x.fuzzyMu.Unlock()
	return near, nil
}

const maxFuzzyCache = 1 << 14

// phraseClause returns the clause of a phrase: its words at consecutive
// positions (stop words leave gaps), a compound's parts standing in for it.
func (x *Index) phraseClause(ph string, p *plan) clause {
	var slots [][]string
	first := 0
	x.analyzer.Analyze(ph, func(t german.Token) {
		if first == 0 {
			first = t.Position
		}
		i := t.Position - first
		for len(slots) <= i {
			slots = append(slots, nil)
		}
		slots[i] = append(slots[i], t.Term)
		p.marks[t.Term] = true
	})
	switch {
	case len(slots) == 0:
		return nil
	case len(slots) == 1:
		var alts clause
		for _, t := range slots[0] {
			alts = append(alts, termAlt(fieldText, t, boostText), termAlt(fieldTitle, t, boostTitle))
		}
		return alts
	}
	return clause{phraseAlt(slots, boostText)}
}

// referenceClause finds a paper by its reference, and pages that cite it.
func referenceClause(ref string, p *plan) clause {
	year, num, _ := strings.Cut(ref, "/")
	short := strings.TrimLeft(num, "0")
	p.marks[year] = true
	p.marks[num] = true
	alts := clause{
		termAlt(fieldRef, ref, boostRef),
		phraseAlt([][]string{{year}, {num}}, boostText),
	}
	if short != num && short != "" {
		p.marks[short] = true
		alts = append(alts, phraseAlt([][]string{{year}, {short}}, boostText))
	}
	return alts
}

func term(field, t string, boost float64) query.Query {
	q := query.NewTermQuery(t)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// accessFilter returns the query's filter for viewer v at now: nil for
// staff, who see everything. A record matches if it lists one of v's
// principals; it is excluded if it is embargoed past now or denies one of
// v's principals. It is part of the query, so that nothing else is ever
// counted.
func accessFilter(v search.Viewer, now time.Time) (must, mustNot query.Query) {
	if v.IsStaff() {
		return nil, nil
	}
	var allow, deny []query.Query
	for _, p := range v.Principals {
		allow = append(allow, term(fieldACL, p, boostFilter))
		deny = append(deny, term(fieldDenied, p, boostFilter))
	}
	if len(allow) == 0 {
		return query.NewMatchNoneQuery(), nil
	}
	after := float64(now.Unix())
	exclusive := false
	embargo := query.NewNumericRangeInclusiveQuery(&after, nil, &exclusive, nil)
	embargo.SetField(fieldNotBefore)
	embargo.SetBoost(boostFilter)
	deny = append(deny, embargo)
	must = query.NewDisjunctionQuery(allow)
	must.(*query.DisjunctionQuery).SetBoost(boostFilter)
	return must, query.NewDisjunctionQuery(deny)
}
