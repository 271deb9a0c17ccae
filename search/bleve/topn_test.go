package bleve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
)

// A search keeps groups only for the documents that can be among the
// best it shows (collectTop); the answers must be those of grouping every
// matching document: the same hits in the same order with the same pages,
// matches and snippets, the same total and facets, for every viewer,
// filter, order and page of results. Random documents of a few repeated
// words, some copies of others (so that scores tie), some not public, under embargo or with a
// denied member, in several segments, some written twice (so that a
// segment holds deleted pages of a document that lives in another).
func TestTopGroupsAgreeWithAll(t *testing.T) {
	ctx := context.Background()
	x, err := bleve.Create(t.TempDir(), bleve.Options{CacheEntries: -1, BatchSize: 150})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rng := rand.New(rand.NewPCG(15, 2026))
	words := strings.Fields("Haushalt Sanierung Grundschule Neubau Kosten Planung Ausbau Betrieb Radweg Straßenbäume " +
		"Bürgerbeteiligung Westpark Vergabe Stadtbibliothek Feuerwache der die und Antrag Stadtrat Sportanlage")
	committees := []string{"Stadtrat", "Bauausschuss", "Hauptausschuss", "Bezirksausschuss 1"}
	kinds := []string{"Antrag", "Niederschrift", "Vorlage"}
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	now := base.AddDate(6, 0, 0)
	text := func() string {
		n := 3 + rng.IntN(25)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(ws, " ") + "."
	}
	records := func(doc int64) []search.Record {
		acc := search.Access{Principals: []string{search.Public}}
		switch rng.IntN(6) {
		case 0:
			acc = search.Access{Principals: []string{search.Org(1)}}
		case 1:
			acc = search.Access{Principals: []string{search.Org(1)}, Denied: []string{search.Person(2)}}
		case 2:
			acc = search.Access{}
		case 3:
			acc.NotBefore = now.AddDate(0, 0, rng.IntN(3)-1)
		}
		title, committee, kind := text(), committees[rng.IntN(len(committees))], kinds[rng.IntN(len(kinds))]
		date := base.AddDate(0, 0, rng.IntN(5*365))
		pages := 1 + rng.IntN(7)
		var recs []search.Record
		for p := 1; p <= pages; p++ {
			recs = append(recs, search.Record{Document: doc, Page: p, Version: 1, Title: title, Text: text(),
				Committee: committee, Kind: kind, Date: date, Reference: fmt.Sprintf("2025/%04d", doc), Access: acc})
		}
		return recs
	}
	const documents = 600
	var last []search.Record
	for start := int64(1); start <= documents; start += 100 {
		var recs []search.Record
		for d := start; d < start+100; d++ {
			if len(last) > 0 && rng.IntN(5) == 0 {
				// A copy of the last document under another number:
				// the same scores, ranked by document number.
				for _, r := range last {
					r.Document, r.Reference = d, fmt.Sprintf("2025/%04d", d)
					recs = append(recs, r)
				}
				continue
			}
			last = records(d)
			recs = append(recs, last...)
		}
		if err := x.Index(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if err := x.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var again []search.Record
	for range 60 {
		again = append(again, records(1+rng.Int64N(documents))...)
	}
	if err := x.Index(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := x.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	viewers := []search.Viewer{
		{Principals: []string{search.Public}},
		{Principals: []string{search.Public, search.Org(1), search.Person(2)}},
		{Principals: []string{search.Public, search.Org(1), search.Person(3)}},
		{Principals: []string{search.Staff}},
	}
	answer := func(q search.Query, exhaustive bool) string {
		t.Helper()
		bleve.SetExhaustive(x, exhaustive)
		r, err := x.Search(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		b, _ := json.Marshal(r)
		return string(b)
	}
	some := 0
	for i := range 400 {
		q := search.Query{Text: words[rng.IntN(len(words))], Viewer: viewers[i%len(viewers)], Now: now}
		if rng.IntN(2) == 0 {
			q.Text += " " + words[rng.IntN(len(words))]
		}
		switch rng.IntN(8) {
		case 0:
			q.Filter.Committees = []string{committees[rng.IntN(len(committees))]}
		case 1:
			q.Filter.Kinds = []string{kinds[rng.IntN(len(kinds))], kinds[rng.IntN(len(kinds))]}
		case 2:
			q.Filter.From = base.AddDate(0, 0, rng.IntN(3*365))
			q.Filter.To = q.Filter.From.AddDate(1, 0, 0)
		}
		if rng.IntN(4) == 0 {
			q.Order = search.OrderNewest
		}
		q.Limit = []int{0, 1, 3, 10, 100}[rng.IntN(5)]
		if rng.IntN(3) == 0 {
			q.Offset = rng.IntN(40)
		}
		// Bleve merges segments in the background, which drops deleted
		// pages from the terms' counts and so changes their weights: a
		// difference counts only if the exhaustive answer was the same
		// before and after (the counts only fall, so the index between
		// had them too).
		var all, top string
		for range 10 {
			all, top = answer(q, true), answer(q, false)
			if answer(q, true) == all {
				break
			}
		}
		if top != all {
			t.Fatalf("%+v:\nbest groups only: %s\nevery group:      %s", q, brief(top), brief(all))
		}
		if !strings.Contains(all, `"Total":0,`) {
			some++
		}
	}
	if some < 200 {
		t.Fatalf("only %d of 400 queries found something: the comparison says little", some)
	}
}

// brief is what a failure shows of an answer: the total, the facets and
// each hit's document, page, pages and matches.
func brief(answer string) string {
	var r search.Result
	if err := json.Unmarshal([]byte(answer), &r); err != nil {
		return answer
	}
	var b strings.Builder
	fmt.Fprintf(&b, "total %d, facets %v, hits", r.Total, r.Facets)
	for _, h := range r.Hits {
		fmt.Fprintf(&b, " %d:%d%v×%d", h.Document, h.Page, h.Pages, h.Matches)
	}
	return b.String()
}
