package searchtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// Run runs the conformance suite against the indexes newIndex returns:
// each one new and empty, closed by the suite.
func Run(t *testing.T, newIndex func(t *testing.T) search.Index) {
	// One index with the fixture serves every test that only reads.
	ix := newIndex(t)
	t.Cleanup(func() { ix.Close() })
	ctx := context.Background()
	if err := ix.Index(ctx, Records()); err != nil {
		t.Fatalf("Index: %v", err)
	}

	t.Run("Leaks", func(t *testing.T) { testLeaks(t, ix) })
	t.Run("Roles", func(t *testing.T) { testRoles(t, ix) })
	t.Run("Hit", func(t *testing.T) { testHit(t, ix) })
	t.Run("Grouping", func(t *testing.T) { testGrouping(t, ix) })
	t.Run("German", func(t *testing.T) { testGerman(t, ix) })
	t.Run("Phrases", func(t *testing.T) { testPhrases(t, ix) })
	t.Run("References", func(t *testing.T) { testReferences(t, ix) })
	t.Run("Facets", func(t *testing.T) { testFacets(t, ix) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, ix) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, ix) })
	t.Run("Newest", func(t *testing.T) { testNewest(t, ix) })
	t.Run("Suggest", func(t *testing.T) { testSuggest(t, ix) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, ix) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, ix) })
	t.Run("Replace", func(t *testing.T) { testReplace(t, newIndex(t)) })
	t.Run("Remove", func(t *testing.T) { testRemove(t, newIndex(t)) })
	t.Run("Reset", func(t *testing.T) { testReset(t, newIndex(t)) })
}

var (
	citizen = search.Viewer{Principals: []string{search.Public}}
	staff   = search.Viewer{Principals: []string{search.Staff}}
)

func find(tb testing.TB, ix search.Index, q search.Query) *search.Result {
	tb.Helper()
	if q.Now.IsZero() {
		q.Now = T0
	}
	r, err := ix.Search(context.Background(), q)
	if err != nil {
		tb.Fatalf("Search(%q): %v", q.Text, err)
	}
	return r
}

func suggest(tb testing.TB, ix search.Index, q search.SuggestQuery) []string {
	tb.Helper()
	if q.Now.IsZero() {
		q.Now = T0
	}
	s, err := ix.Suggest(context.Background(), q)
	if err != nil {
		tb.Fatalf("Suggest(%q): %v", q.Prefix, err)
	}
	return s
}

func docs(r *search.Result) []int64 {
	var ds []int64
	for _, h := range r.Hits {
		ds = append(ds, h.Document)
	}
	return ds
}

func sorted(ds []int64) []int64 {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds
}

func jsonOf(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// allowed returns the fixture documents v may find at now that have a
// page for which match holds, by the reference rule search.Access.Allows.
func allowed(v search.Viewer, now time.Time, match func(search.Record) bool) []int64 {
	var ds []int64
	for _, r := range Records() {
		if r.Access.Allows(v, now) && match(r) && !slices.Contains(ds, r.Document) {
			ds = append(ds, r.Document)
		}
	}
	slices.Sort(ds)
	return ds
}

func containsWord(w string) func(search.Record) bool {
	return func(r search.Record) bool { return strings.Contains(r.Text, w) }
}

// testLeaks: for every role, before and after the embargo, whatever
// involves the canary answers exactly like the nonsense word unless the
// role may see a canary document — then it finds exactly those.
func testLeaks(t *testing.T, ix search.Index) {
	for _, now := range []time.Time{T0, Embargo.Add(time.Hour)} {
		for _, role := range Roles {
			t.Run(fmt.Sprintf("%s at %s", role.Name, now.Format(time.RFC3339)), func(t *testing.T) {
				v := role.Viewer
				want := allowed(v, now, containsWord(Canary))

				// Pairs of queries that differ only in canary and nonsense.
				pairs := []struct{ canary, nonsense search.Query }{
					{search.Query{Text: Canary}, search.Query{Text: Nonsense}},
					{search.Query{Text: strings.ToLower(Canary)}, search.Query{Text: strings.ToLower(Nonsense)}},
					{search.Query{Text: "Haushalt " + Canary}, search.Query{Text: "Haushalt " + Nonsense}},
					{search.Query{Text: `"Firma ` + Canary + `"`}, search.Query{Text: `"Firma ` + Nonsense + `"`}},
					{search.Query{Text: Canary, Filter: search.Filter{Committees: []string{Buildings}}},
						search.Query{Text: Nonsense, Filter: search.Filter{Committees: []string{Buildings}}}},
					{search.Query{Text: Canary + "x"}, search.Query{Text: Nonsense + "x"}}, // typo
				}
				for _, p := range pairs {
					p.canary.Viewer, p.nonsense.Viewer = v, v
					p.canary.Now, p.nonsense.Now = now, now
					rc := find(t, ix, p.canary)
					if len(want) == 0 {
						rn := find(t, ix, p.nonsense)
						if got, want := jsonOf(t, rc), jsonOf(t, rn); got != want {
							t.Errorf("Search(%q) = %s\nSearch(%q) = %s\nwant the same", p.canary.Text, got, p.nonsense.Text, want)
						}
						continue
					}
					for _, d := range docs(rc) {
						if !slices.Contains(want, d) && slices.Contains(canaryDocs, d) {
							t.Errorf("Search(%q) found document %d, which the role may not see", p.canary.Text, d)
						}
					}
				}

				// The canary itself finds exactly the canary documents the
				// role may see.
				r := find(t, ix, search.Query{Text: Canary, Viewer: v, Now: now})
				if got := sorted(docs(r)); !slices.Equal(got, want) {
					t.Errorf("Search(%q) found %v, want %v", Canary, got, want)
				}
				if got, want := r.Total, len(want); got != want {
					t.Errorf("Search(%q).Total = %d, want %d", Canary, got, want)
				}

				// A word in every document: only what the role may see,
				// counted, faceted and quoted from visible pages only.
				r = find(t, ix, search.Query{Text: "Haushalt", Viewer: v, Now: now, Limit: search.MaxLimit})
				wantAll := allowed(v, now, containsWord("Haushalt"))
				if got := sorted(docs(r)); !slices.Equal(got, wantAll) {
					t.Errorf("Search(Haushalt) found %v, want %v", got, wantAll)
				}
				if got, want := r.Total, len(wantAll); got != want {
					t.Errorf("Search(Haushalt).Total = %d, want %d", got, want)
				}
				for _, f := range r.Facets {
					n := 0
					for _, fv := range f.Values {
						n += fv.Count
					}
					if n > len(wantAll) {
						t.Errorf("facet %s counts %d documents, but the role may see only %d", f.Name, n, len(wantAll))
					}
				}
				for _, h := range r.Hits {
					if strings.Contains(h.Snippet.String(), Canary) && !slices.Contains(want, h.Document) {
						t.Errorf("snippet of document %d quotes the canary: %q", h.Document, h.Snippet.String())
					}
				}

				// Suggestions.
				sc := suggest(t, ix, search.SuggestQuery{Prefix: CanaryPrefix, Viewer: v, Now: now})
				if len(want) == 0 {
					sn := suggest(t, ix, search.SuggestQuery{Prefix: NonsensePrefix, Viewer: v, Now: now})
					if got, want := jsonOf(t, sc), jsonOf(t, sn); got != want {
						t.Errorf("Suggest(%q) = %s, Suggest(%q) = %s, want the same", CanaryPrefix, got, NonsensePrefix, want)
					}
				} else if !slices.Contains(sc, Canary) {
					t.Errorf("Suggest(%q) = %q, want %q among them", CanaryPrefix, sc, Canary)
				}
				sc = suggest(t, ix, search.SuggestQuery{Prefix: "Haushalt " + CanaryPrefix, Viewer: v, Now: now})
				for _, s := range sc {
					if strings.Contains(s, Canary) && len(want) == 0 {
						t.Errorf("Suggest suggests %q", s)
					}
				}
			})
		}
	}
}

// testRoles is the rule as a table: which documents each role finds for
// a word in all of them.
func testRoles(t *testing.T, ix search.Index) {
	tests := []struct {
		role   int
		now    time.Time
		expect []int64
	}{
		{0, T0, nil},
		{1, T0, []int64{101, 102, 108}},
		{1, Embargo, []int64{101, 102, 105, 108}},
		{2, T0, []int64{101, 102, 104, 106, 108}},
		{3, T0, []int64{101, 102, 104, 108}},
		{3, Embargo, []int64{101, 102, 104, 105, 108}},
		{4, T0, []int64{101, 102, 108}},
		{5, T0, []int64{101, 102, 104, 105, 106, 107, 108}},
	}
	for _, tt := range tests {
		role := Roles[tt.role]
		r := find(t, ix, search.Query{Text: "Haushalt", Viewer: role.Viewer, Now: tt.now, Limit: search.MaxLimit})
		if got := sorted(docs(r)); !slices.Equal(got, tt.expect) {
			t.Errorf("%s at %s finds %v, want %v", role.Name, tt.now.Format(time.RFC3339), got, tt.expect)
		}
	}
}

func testHit(t *testing.T, ix search.Index) {
	r := find(t, ix, search.Query{Text: "Rheinstraße", Viewer: citizen})
	if got, want := docs(r), []int64{102}; !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}
	h := r.Hits[0]
	if h.Title != "Radwegebau in der Südstadt" || h.Reference != "2025/0123" || h.Committee != Buildings ||
		h.Meeting != "Bauausschuss, 02.04.2025" || h.Kind != "draft_resolution" || h.Version != 2 || !h.Date.Equal(day(2025, 4, 2)) {
		t.Errorf("hit = %+v", h)
	}
	if got, want := h.Page, 1; got != want {
		t.Errorf("Page = %d, want %d", got, want)
	}
	if got, want := h.Pages, []int{1}; !slices.Equal(got, want) {
		t.Errorf("Pages = %v, want %v", got, want)
	}
	marked := false
	for _, s := range h.Snippet {
		if s.Mark {
			marked = true
			if got, want := s.Text, "Rheinstraße"; got != want {
				t.Errorf("marked %q, want %q", got, want)
			}
		}
	}
	if !marked {
		t.Errorf("snippet %q marks nothing", h.Snippet.String())
	}
	if got := string(h.Snippet.HTML()); !strings.Contains(got, "<mark>Rheinstraße</mark>") {
		t.Errorf("HTML = %s", got)
	}
}

func testGrouping(t *testing.T, ix search.Index) {
	r := find(t, ix, search.Query{Text: "Haushalt", Viewer: citizen, Filter: search.Filter{Kinds: []string{"attachment"}}})
	if got, want := docs(r), []int64{108}; !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}
	h := r.Hits[0]
	if got, want := h.Page, 3; got != want {
		t.Errorf("best page = %d, want %d (Haushalt four times)", got, want)
	}
	if got, want := sorted64(h.Pages), []int{1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("Pages = %v, want %v in some order", h.Pages, want)
	}
	if h.Pages[0] != h.Page {
		t.Errorf("Pages = %v do not start with Page %d", h.Pages, h.Page)
	}
	if got, want := h.Matches, 3; got != want {
		t.Errorf("Matches = %d, want %d", got, want)
	}
}

func sorted64(ps []int) []int {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	return ps
}

// testGerman: the analysis a German reader expects, as a table of queries
// and the documents they must find.
func testGerman(t *testing.T, ix search.Index) {
	// Rheinstraße (102) is a compound by the German word list only (see
	// NeedWordList); without it, Rhein is not a word the fixture teaches.
	streets := []int64{101, 103, 109}
	if german.SystemDictionary() != nil {
		streets = []int64{101, 102, 103, 109}
	}
	tests := []struct {
		name, query string
		want        []int64
	}{
		{"stem, umlaut plural", "Räte", []int64{101}},
		{"stem, singular finds plural", "Gebühr", []int64{101, 103}},
		{"folded ue", "Gebuehren", []int64{101, 103}},
		{"folded ß, and compounds", "Strasse", streets},
		{"ß finds ss", "Straße", streets},
		{"upper case", "HAUSHALTSPLAN", []int64{101}},
		{"compound part", "Beitrag", []int64{101, 109}},
		{"compound part, plural", "Beiträge", []int64{101, 109}},
		{"compound head", "Radweg", []int64{102}},
		{"compound itself", "Radwegebau", []int64{102}},
		{"typo, one edit", "Gebüren", []int64{101, 103}},
		{"typo, long word", "Personennahverkerh", []int64{103}},
		{"two words, both required", "Haushalt Schulden", []int64{108}},
		{"stop words only", "die und der", nil},
		{"short word exact", "Rat", []int64{101}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := find(t, ix, search.Query{Text: tt.query, Viewer: citizen})
			if got := sorted(docs(r)); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) found %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func testPhrases(t *testing.T, ix search.Index) {
	tests := []struct {
		query string
		want  []int64
	}{
		{`"öffentliche Personennahverkehr"`, []int64{103}},
		{`"öffentlicher Personennahverkehr"`, []int64{103}}, // inflection
		{`"Personennahverkehr öffentliche"`, nil},
		{`„Haushalt ist ausgeglichen“`, []int64{108}},
		{`"Haushalt ausgeglichen"`, nil}, // a stop word in between counts
		{`"Schulden Haushalt"`, nil},
	}
	for _, tt := range tests {
		r := find(t, ix, search.Query{Text: tt.query, Viewer: citizen})
		if got := sorted(docs(r)); !slices.Equal(got, tt.want) {
			t.Errorf("Search(%s) found %v, want %v", tt.query, got, tt.want)
		}
	}
}

func testReferences(t *testing.T, ix search.Index) {
	tests := []struct {
		query string
		first int64
		want  []int64
	}{
		{"2025/0123", 102, []int64{102}},
		{"2025/123", 102, []int64{102}},
		{"2025/0124", 103, []int64{103}},
		{"2024/0815", 102, []int64{102}}, // cited in the text
		{"2025/0999", 0, nil},
	}
	for _, tt := range tests {
		r := find(t, ix, search.Query{Text: tt.query, Viewer: citizen})
		if got := sorted(docs(r)); !slices.Equal(got, tt.want) {
			t.Errorf("Search(%s) found %v, want %v", tt.query, got, tt.want)
		}
		if tt.first != 0 && len(r.Hits) > 0 && r.Hits[0].Document != tt.first {
			t.Errorf("Search(%s) ranks %d first, want %d", tt.query, r.Hits[0].Document, tt.first)
		}
	}
}

func testFacets(t *testing.T, ix search.Index) {
	r := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff})
	want := []search.Facet{
		{Name: search.FacetCommittee, Values: []search.FacetValue{{Value: Council, Count: 4}, {Value: Buildings, Count: 3}}},
		{Name: search.FacetKind, Values: []search.FacetValue{
			{Value: "attachment", Count: 2}, {Value: "draft_resolution", Count: 2},
			{Value: "agenda", Count: 1}, {Value: "minutes", Count: 1}, {Value: "other", Count: 1}}},
		{Name: search.FacetYear, Values: []search.FacetValue{{Value: "2025", Count: 6}, {Value: "2024", Count: 1}}},
	}
	if got, want := jsonOf(t, r.Facets), jsonOf(t, want); got != want {
		t.Errorf("facets = %s\nwant %s", got, want)
	}
	// A document with several matching pages counts once.
	r = find(t, ix, search.Query{Text: "Haushalt", Viewer: citizen, Filter: search.Filter{Kinds: []string{"attachment"}}})
	if got, want := jsonOf(t, r.Facets[1].Values), `[{"Value":"attachment","Count":1}]`; got != want {
		t.Errorf("kind facet = %s, want %s", got, want)
	}
}

func testFilters(t *testing.T, ix search.Index) {
	tests := []struct {
		name   string
		filter search.Filter
		want   []int64
	}{
		{"committee", search.Filter{Committees: []string{Buildings}}, []int64{102, 104, 106}},
		{"committees", search.Filter{Committees: []string{Buildings, Council}}, []int64{101, 102, 104, 105, 106, 107, 108}},
		{"kind", search.Filter{Kinds: []string{"minutes", "agenda"}}, []int64{101, 105}},
		{"from", search.Filter{From: day(2025, 5, 20)}, []int64{104, 105, 106, 107}},
		{"to, exclusive", search.Filter{To: day(2025, 4, 2)}, []int64{101, 108}},
		{"range and committee", search.Filter{From: day(2025, 1, 1), To: day(2025, 5, 21), Committees: []string{Buildings}}, []int64{102, 104, 106}},
		{"unknown committee", search.Filter{Committees: []string{"Ältestenrat"}}, nil},
		{"meeting", search.Filter{Meetings: []string{"Bauausschuss, 20.05.2025"}}, []int64{104, 106}},
	}
	for _, tt := range tests {
		r := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Filter: tt.filter, Limit: search.MaxLimit})
		if got := sorted(docs(r)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: found %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testPaging(t *testing.T, ix search.Index) {
	all := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Limit: search.MaxLimit})
	if got, want := all.Total, 7; got != want {
		t.Fatalf("Total = %d, want %d", got, want)
	}
	var paged []int64
	for off := 0; off < 8; off += 3 {
		r := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Offset: off, Limit: 3})
		if got, want := r.Total, 7; got != want {
			t.Errorf("Total at offset %d = %d, want %d", off, got, want)
		}
		paged = append(paged, docs(r)...)
	}
	if got, want := paged, docs(all); !slices.Equal(got, want) {
		t.Errorf("pages list %v, all at once %v", got, want)
	}
	r := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Offset: 50})
	if got, want := len(r.Hits), 0; got != want {
		t.Errorf("hits past the end = %d, want %d", got, want)
	}
}

// testNewest: "Neueste zuerst" ranks by date, newest first, the same
// documents as by relevance, and pages through them without gaps.
func testNewest(t *testing.T, ix search.Index) {
	byRelevance := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Limit: search.MaxLimit})
	newest := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Limit: search.MaxLimit, Order: search.OrderNewest})
	if got, want := sorted(docs(newest)), sorted(docs(byRelevance)); !slices.Equal(got, want) {
		t.Fatalf("newest first found %v, by relevance %v", got, want)
	}
	for i := 1; i < len(newest.Hits); i++ {
		if newest.Hits[i].Date.After(newest.Hits[i-1].Date) {
			t.Errorf("hit %d (%d, %s) is newer than hit %d (%d, %s)", i, newest.Hits[i].Document, newest.Hits[i].Date.Format("2006-01-02"),
				i-1, newest.Hits[i-1].Document, newest.Hits[i-1].Date.Format("2006-01-02"))
		}
	}
	var paged []int64
	for off := 0; off < len(newest.Hits); off += 2 {
		paged = append(paged, docs(find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Offset: off, Limit: 2, Order: search.OrderNewest}))...)
	}
	if got, want := paged, docs(newest); !slices.Equal(got, want) {
		t.Errorf("pages list %v, all at once %v", got, want)
	}
	_, err := ix.Search(context.Background(), search.Query{Text: "Haushalt", Viewer: staff, Order: "oldest"})
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.EINVALID; got != want {
		t.Errorf("unknown order: code %q, want %q (err %v)", got, want, err)
	}
}

func testSuggest(t *testing.T, ix search.Index) {
	got := suggest(t, ix, search.SuggestQuery{Prefix: "Haush", Viewer: citizen})
	for _, w := range []string{"Haushalt", "Haushaltsplan"} {
		if !slices.Contains(got, w) {
			t.Errorf("Suggest(Haush) = %q, want %q among them", got, w)
		}
	}
	if len(got) > 0 && got[0] != "Haushalt" {
		t.Errorf("Suggest(Haush) = %q, want the most frequent, Haushalt, first", got)
	}
	got = suggest(t, ix, search.SuggestQuery{Prefix: "der Haush", Viewer: citizen, Limit: 1})
	if want := []string{"der Haushalt"}; !slices.Equal(got, want) {
		t.Errorf("Suggest(der Haush) = %q, want %q", got, want)
	}
	got = suggest(t, ix, search.SuggestQuery{Prefix: "Straß", Viewer: citizen})
	if !slices.Contains(got, "Straßenausbaubeiträge") || !slices.Contains(got, "Strasse") {
		t.Errorf("Suggest(Straß) = %q, want Straßenausbaubeiträge and Strasse", got)
	}
	got = suggest(t, ix, search.SuggestQuery{Prefix: "Ha", Viewer: citizen})
	if len(got) != 0 {
		t.Errorf("Suggest(Ha) = %q, want none for a prefix that short", got)
	}
}

func testInvalid(t *testing.T, ix search.Index) {
	ctx := context.Background()
	bad := []search.Query{
		{Text: "x", Viewer: citizen, Limit: search.MaxLimit + 1},
		{Text: "x", Viewer: citizen, Offset: -1},
		{Text: strings.Repeat("a", search.MaxQueryLength+1), Viewer: citizen},
	}
	for _, q := range bad {
		if _, err := ix.Search(ctx, q); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Search(limit %d, offset %d, %d bytes) error = %v, want %s", q.Limit, q.Offset, len(q.Text), err, ratsmappe.EINVALID)
		}
	}
	if err := ix.Index(ctx, []search.Record{{Document: 0, Version: 1, Page: 1}}); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("Index(document 0) error = %v, want %s", err, ratsmappe.EINVALID)
	}
	r := find(t, ix, search.Query{Text: "", Viewer: citizen})
	if r.Total != 0 || len(r.Hits) != 0 {
		t.Errorf("empty query found %d", r.Total)
	}
}

func testConcurrent(t *testing.T, ix search.Index) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				role := Roles[(i+j)%len(Roles)]
				r, err := ix.Search(context.Background(), search.Query{Text: "Haushalt", Viewer: role.Viewer, Now: T0})
				if err != nil {
					errs <- err
					return
				}
				want := allowed(role.Viewer, T0, containsWord("Haushalt"))
				if r.Total != len(want) {
					errs <- fmt.Errorf("%s: Total %d, want %d", role.Name, r.Total, len(want))
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testReplace(t *testing.T, ix search.Index) {
	defer ix.Close()
	ctx := context.Background()
	if err := ix.Index(ctx, Records()); err != nil {
		t.Fatal(err)
	}
	// Version 2 of the minutes has one page, and the public flag is gone.
	v2 := search.Record{Document: 101, Version: 2, Page: 1, Title: "Niederschrift (berichtigt)",
		Committee: Council, Date: day(2025, 3, 14), Kind: "minutes",
		Access: search.Access{Principals: []string{search.Org(5)}},
		Text:   "Berichtigung: Der Rat vertagt die Gebühren."}
	if err := ix.Index(ctx, []search.Record{v2}); err != nil {
		t.Fatal(err)
	}
	r := find(t, ix, search.Query{Text: "Straßenausbaubeiträge", Viewer: staff})
	if got := docs(r); slices.Contains(got, 101) {
		t.Errorf("page 2 of version 1 still found: %v", got)
	}
	r = find(t, ix, search.Query{Text: "Gebühren", Viewer: Roles[2].Viewer})
	i := slices.Index(docs(r), 101)
	if i < 0 {
		t.Fatalf("version 2 not found: %v", docs(r))
	}
	if got, want := r.Hits[i].Version, 2; got != want {
		t.Errorf("Version = %d, want %d", got, want)
	}
	if got, want := r.Hits[i].Title, "Niederschrift (berichtigt)"; got != want {
		t.Errorf("Title = %q, want %q", got, want)
	}
	r = find(t, ix, search.Query{Text: "Gebühren", Viewer: citizen})
	if got := docs(r); slices.Contains(got, 101) {
		t.Errorf("citizen still finds the minutes, now non-public: %v", got)
	}
	if s := suggest(t, ix, search.SuggestQuery{Prefix: "Berichtig", Viewer: citizen}); len(s) != 0 {
		t.Errorf("citizen gets suggestions from a non-public page: %q", s)
	}
}

func testRemove(t *testing.T, ix search.Index) {
	defer ix.Close()
	ctx := context.Background()
	if err := ix.Index(ctx, Records()); err != nil {
		t.Fatal(err)
	}
	if err := ix.Remove(ctx, 108, 999); err != nil {
		t.Fatal(err)
	}
	r := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff, Limit: search.MaxLimit})
	if got := docs(r); slices.Contains(got, 108) {
		t.Errorf("removed document found: %v", got)
	}
	if got, want := r.Total, 6; got != want {
		t.Errorf("Total = %d, want %d", got, want)
	}
	if s := suggest(t, ix, search.SuggestQuery{Prefix: "Kämmere", Viewer: staff}); len(s) != 0 {
		t.Errorf("suggestions from a removed document: %q", s)
	}
}

func testReset(t *testing.T, ix search.Index) {
	defer ix.Close()
	ctx := context.Background()
	if err := ix.Index(ctx, Records()); err != nil {
		t.Fatal(err)
	}
	if got := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff}).Total; got == 0 {
		t.Fatal("nothing indexed")
	}
	if err := ix.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got := find(t, ix, search.Query{Text: "Haushalt", Viewer: staff}).Total; got != 0 {
		t.Errorf("after Reset, Total = %d", got)
	}
	if err := ix.Index(ctx, Records()[:3]); err != nil {
		t.Fatal(err)
	}
	if got := docs(find(t, ix, search.Query{Text: "Haushalt", Viewer: staff})); !slices.Equal(got, []int64{101}) {
		t.Errorf("after rebuild found %v", got)
	}
}
