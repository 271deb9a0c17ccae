package annotate_test

import (
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/annotate"
)

// The old version: three pages of a draft resolution.
var (
	p1 = "Beschlussvorlage 2026/0042\nNeubau der Grundschule am Lindenplatz\n\n" +
		"Der Gemeinderat beschließt den Neubau der Grundschule am Lindenplatz mit vier Zügen. " +
		"Die Verwaltung wird beauftragt, die Planung bis zum Herbst vorzulegen. " +
		"Der Ausschuss empfiehlt die Annahme des Antrags in der vorgelegten Fassung."
	p2 = "Begründung\n\nDie Schülerzahlen im Stadtteil steigen seit fünf Jahren deutlich an. " +
		"Die bestehende Schule ist baulich in einem schlechten Zustand und nicht barrierefrei. " +
		"Eine Sanierung wäre teurer als ein Neubau an gleicher Stelle."
	p3 = "Finanzierung\n\nDie Kosten betragen 12,4 Millionen Euro. " +
		"Sie werden über die Haushaltsjahre 2027 und 2028 verteilt. " +
		"Fördermittel des Landes in Höhe von 3 Millionen Euro sind beantragt. " +
		"Der Ausschuss empfiehlt die Annahme des Antrags in der geänderten Fassung."
)

func quoteOn(page, exact string, pageNo int) annotate.Quote {
	i := strings.Index(page, exact)
	if i < 0 {
		panic("quote not on page: " + exact)
	}
	pre := page[max(0, i-32):i]
	suf := page[i+len(exact) : min(len(page), i+len(exact)+32)]
	return annotate.Quote{Exact: exact, Prefix: pre, Suffix: suf, Page: pageNo,
		Start: len([]rune(page[:i])), PageLen: len([]rune(page))}
}

// Re-anchoring on a table of edits: where each annotation lands, and how
// sure the server is.
func TestAnchorEdits(t *testing.T) {
	const (
		sentence  = "Die Verwaltung wird beauftragt, die Planung bis zum Herbst vorzulegen."
		school    = "Die bestehende Schule ist baulich in einem schlechten Zustand und nicht barrierefrei."
		costs     = "Die Kosten betragen 12,4 Millionen Euro."
		recommend = "Der Ausschuss empfiehlt die Annahme des Antrags in der vorgelegten Fassung."
	)
	for _, tc := range []struct {
		name      string
		pages     []string // the new version
		quote     annotate.Quote
		wantState string
		wantPage  int
		wantExact string // "" to skip
	}{
		{
			name:      "unchanged",
			pages:     []string{p1, p2, p3},
			quote:     quoteOn(p1, sentence, 1),
			wantState: annotate.Anchored, wantPage: 1, wantExact: sentence,
		},
		{
			name: "insertion before the quote on the same page",
			pages: []string{strings.Replace(p1, "Der Gemeinderat", "Nach Beratung im Bauausschuss am 3. März 2026: Der Gemeinderat", 1),
				p2, p3},
			quote:     quoteOn(p1, sentence, 1),
			wantState: annotate.Anchored, wantPage: 1, wantExact: sentence,
		},
		{
			name:      "insertion of a page before the quote",
			pages:     []string{"Deckblatt\n\nGeänderte Fassung vom 3. März 2026", p1, p2, p3},
			quote:     quoteOn(p2, school, 2),
			wantState: annotate.Anchored, wantPage: 3, wantExact: school,
		},
		{
			name:      "line breaks and spaces changed",
			pages:     []string{p1, strings.ReplaceAll(p2, " ", "\n "), p3},
			quote:     quoteOn(p2, school, 2),
			wantState: annotate.Anchored, wantPage: 2,
		},
		{
			name:      "edited quote: one figure changed",
			pages:     []string{p1, p2, strings.Replace(p3, "12,4 Millionen", "13,1 Millionen", 1)},
			quote:     quoteOn(p3, costs, 3),
			wantState: annotate.Anchored, wantPage: 3, wantExact: "Die Kosten betragen 13,1 Millionen Euro.",
		},
		{
			name: "edited quote: one word changed in a long sentence",
			pages: []string{strings.Replace(p1, "bis zum Herbst", "bis zum Frühjahr", 1),
				p2, p3},
			quote:     quoteOn(p1, sentence, 1),
			wantState: annotate.Anchored, wantPage: 1,
			wantExact: "Die Verwaltung wird beauftragt, die Planung bis zum Frühjahr vorzulegen.",
		},
		{
			name: "quote rewritten: a quarter of it different",
			pages: []string{strings.Replace(p1, sentence,
				"Die Verwaltung wird gebeten, die Planung bis Ende des Herbstes vorzulegen.", 1), p2, p3},
			quote:     quoteOn(p1, sentence, 1),
			wantState: annotate.Review, wantPage: 1,
		},
		{
			name: "moved paragraph: from page 2 to page 3",
			pages: []string{p1, strings.Replace(p2, school+" ", "", 1),
				p3 + " " + school},
			quote:     quoteOn(p2, school, 2),
			wantState: annotate.Anchored, wantPage: 3, wantExact: school,
		},
		{
			name: "quote rewritten entirely",
			pages: []string{strings.Replace(p1, sentence,
				"Die Verwaltung legt die fertige Planung dem Rat im kommenden Sommer vor.", 1), p2, p3},
			quote:     quoteOn(p1, sentence, 1),
			wantState: annotate.Orphaned,
		},
		{
			name:      "deleted paragraph",
			pages:     []string{p1, strings.Replace(p2, school+" ", "", 1), p3},
			quote:     quoteOn(p2, school, 2),
			wantState: annotate.Orphaned,
		},
		{
			// Page 3 has "…empfiehlt die Annahme des Antrags in der
			// geänderten Fassung": close to the quote, in another
			// context. It must not silently take the deleted sentence's
			// place.
			name:      "repeated look-alike sentence, original deleted",
			pages:     []string{strings.Replace(p1, " "+recommend, "", 1), p2, p3},
			quote:     quoteOn(p1, recommend, 1),
			wantState: annotate.Review, wantPage: 3,
		},
		{
			name: "repeated look-alike sentence, original kept",
			pages: []string{strings.Replace(p1, "Der Gemeinderat", "Neu: Der Gemeinderat", 1),
				p2, p3},
			quote:     quoteOn(p1, recommend, 1),
			wantState: annotate.Anchored, wantPage: 1, wantExact: recommend,
		},
		{
			// The same sentence now appears twice; its context tells
			// which one was meant.
			name: "identical sentence repeated elsewhere",
			pages: []string{p1, p2,
				"Zusammenfassung\n\n" + recommend + " Siehe Seite 1.\n\n" + p3},
			quote:     quoteOn(p1, recommend, 1),
			wantState: annotate.Anchored, wantPage: 1, wantExact: recommend,
		},
		{
			name:      "document replaced entirely",
			pages:     []string{"Niederschrift über die Sitzung des Kulturausschusses", "Tagesordnung und Anwesenheit"},
			quote:     quoteOn(p2, school, 2),
			wantState: annotate.Orphaned,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := annotate.NewText(tc.pages).Anchor(tc.quote)
			if m.State != tc.wantState || (tc.wantPage != 0 && m.Page != tc.wantPage) {
				t.Fatalf("got %s on page %d (score %.2f, %q), want %s on page %d",
					m.State, m.Page, m.Score, m.Exact, tc.wantState, tc.wantPage)
			}
			if tc.wantExact != "" && m.Exact != tc.wantExact {
				t.Fatalf("exact = %q, want %q", m.Exact, tc.wantExact)
			}
			if m.State != annotate.Orphaned {
				page := []rune(tc.pages[m.Page-1])
				if got := string(page[m.Start:m.End]); got != m.Exact {
					t.Fatalf("position %d..%d reads %q, not the quote %q", m.Start, m.End, got, m.Exact)
				}
			}
		})
	}
}

// Bookmarks and ink without a quote move with their page's text.
func TestPageOf(t *testing.T) {
	old := annotate.NewText([]string{p1, p2, p3})
	for _, tc := range []struct {
		name      string
		pages     []string
		page      int
		wantState string
		wantPage  int
	}{
		{"unchanged", []string{p1, p2, p3}, 2, annotate.Anchored, 2},
		{"page inserted before", []string{"Deckblatt", p1, p2, p3}, 2, annotate.Anchored, 3},
		{"page slightly edited", []string{p1, strings.Replace(p2, "fünf", "sechs", 1), p3}, 2, annotate.Anchored, 2},
		{"page replaced", []string{p1, "Ganz anderer Text auf dieser Seite, der mit der alten Begründung nichts gemein hat.", p3}, 2, annotate.Review, 2},
		{"page gone", []string{p1}, 3, annotate.Orphaned, 0},
	} {
		m := annotate.NewText(tc.pages).PageOf(old, tc.page)
		if m.State != tc.wantState || m.Page != tc.wantPage {
			t.Errorf("%s: got %s on page %d, want %s on page %d", tc.name, m.State, m.Page, tc.wantState, tc.wantPage)
		}
	}
}
