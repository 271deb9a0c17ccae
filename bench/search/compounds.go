package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// compoundsFile is the judged set of compound queries: lines of "query
// TAB compound", where a search for the query must find every text of
// the corpus in which the compound is written.
const compoundsFile = "search/german/testdata/compounds.tsv"

// letterRun is a word as the judged set sees it: a run of letters. It is
// deliberately not the analyzer's tokenizer.
var letterRun = regexp.MustCompile(`\p{L}+`)

// sampleCompounds prints n candidates for the judged set, drawn at random
// with a fixed seed, by a procedure that knows nothing of the analyzer:
// the capitalized words of the corpus of at least 10 letters whose end,
// after at least 4 letters, is a noun of the word list (the longest such
// noun is the head); the head is the query. The candidates are reviewed
// by hand before they go into compoundsFile: words that are not
// compounds are dropped and inflected heads put in their dictionary form.
func sampleCompounds(files []*searchtest.File, wordList string, n int) {
	nouns := make(map[string]string) // lower-case → as written
	f, err := os.Open(wordList)
	check(err)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := sc.Text()
		r, _ := utf8.DecodeRuneInString(w)
		if utf8.RuneCountInString(w) >= 4 && unicode.IsUpper(r) && !strings.ContainsFunc(w[1:], unicode.IsUpper) {
			nouns[strings.ToLower(w)] = w
		}
	}
	check(sc.Err())
	check(f.Close())
	seen := make(map[string]bool)
	var cands []string
	for _, f := range files {
		for _, p := range f.Pages {
			for _, w := range letterRun.FindAllString(p, -1) {
				r, _ := utf8.DecodeRuneInString(w)
				if seen[w] || utf8.RuneCountInString(w) < 10 || !unicode.IsUpper(r) || strings.ContainsFunc(w[1:], unicode.IsUpper) {
					continue
				}
				seen[w] = true
				cands = append(cands, w)
			}
		}
	}
	sort.Strings(cands)
	rng := rand.New(rand.NewPCG(13, 10))
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	printed := 0
	for _, w := range cands {
		if printed == n {
			break
		}
		lw := strings.ToLower(w)
		runes := []rune(lw)
		for i := 4; i <= len(runes)-4; i++ {
			if head, ok := nouns[string(runes[i:])]; ok {
				fmt.Printf("%s\t%s\n", head, w)
				printed++
				break
			}
		}
	}
}

// judgedCompound is a line of compoundsFile.
type judgedCompound struct{ query, compound string }

func loadCompounds(path string) []judgedCompound {
	b, err := os.ReadFile(path)
	check(err)
	var out []judgedCompound
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		q, c, ok := strings.Cut(line, "\t")
		if !ok {
			check(fmt.Errorf("%s: bad line %q", path, line))
		}
		out = append(out, judgedCompound{q, c})
	}
	return out
}

// compoundRecall returns the share of (query, text) pairs found, where the
// texts of a query are those of the corpus (replica 0, public) that have
// its compound, at most three per compound. A text is found if the query
// matches it: it is looked for among the matches of the query narrowed
// to its committee and date, so that its rank does not matter.
func compoundRecall(x *bleve.Index, v search.Viewer, now time.Time, files []*searchtest.File, judged []judgedCompound) (recall float64, pairs int) {
	found := 0
	for _, j := range judged {
		n := 0
		for _, f := range files {
			if n == 3 {
				break
			}
			if !hasWord(f, j.compound) {
				continue
			}
			n++
			pairs++
			filter := search.Filter{Committees: []string{f.Committee}}
			if !f.Date.IsZero() {
				filter.From, filter.To = f.Date, f.Date.Add(24*time.Hour)
			}
		pages:
			for off := 0; off <= search.MaxOffset; off += search.MaxLimit {
				r, err := x.Search(context.Background(), search.Query{Text: j.query, Viewer: v, Now: now, Filter: filter, Offset: off, Limit: search.MaxLimit})
				check(err)
				for _, h := range r.Hits {
					if h.Document == f.ID {
						found++
						break pages
					}
				}
				if len(r.Hits) < search.MaxLimit {
					break
				}
			}
		}
	}
	if pairs == 0 {
		return 0, 0
	}
	return float64(found) / float64(pairs), pairs
}

func hasWord(f *searchtest.File, w string) bool {
	for _, p := range f.Pages {
		for i := strings.Index(p, w); i >= 0; {
			end := i + len(w)
			before, _ := utf8.DecodeLastRuneInString(p[:i])
			after, _ := utf8.DecodeRuneInString(p[end:])
			if (i == 0 || !unicode.IsLetter(before)) && (end == len(p) || !unicode.IsLetter(after)) {
				return true
			}
			next := strings.Index(p[i+1:], w)
			if next < 0 {
				break
			}
			i += 1 + next
		}
	}
	return false
}
