// Package meili is the search backend for a Meilisearch server: a
// search.Index kept in one Meilisearch index through meilisearch-go, for
// installations that run a search server (RATSMAPPE_MEILI_URL and
// RATSMAPPE_MEILI_KEY).
//
// Every page is one Meilisearch document: Meilisearch ignores words past
// position 65,535 of an attribute, which a long document would reach, and
// pages are what results link to. Searches ask for `distinct` on the
// document, so that a document is one hit, its best page (a second search
// without it lists the matching pages of the documents shown). Texts are analysed by
// package search/german before they are sent, as for the Bleve backend:
// the searchable attributes hold stems in order ("terms"), the parts of
// compounds ("parts") and, on page 1, the title and the reference, so that
// stemming and compound splitting are the same in both backends; the
// German locale is set on them, and Meilisearch's typo tolerance (one typo
// from five letters, two from nine) applies. The viewer's filter is part
// of every search and facet search.
//
// Settings are applied, and waited for, before any document is sent.
// Every write waits for its task to finish and checks its final status: a
// task that failed is an error, although Meilisearch accepted the request.
package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/meilisearch/meilisearch-go"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// Config says which server and index to use.
type Config struct {
	URL string // such as http://localhost:7700
	Key string // API key; "" for a server without one
	// Index is the uid of the Meilisearch index; "" means "pages".
	Index string
	// Vocabulary splits compounds; nil means german.NewVocabulary(). It
	// learns from the public records indexed.
	Vocabulary *german.Vocabulary
	// Poll is how often a task's status is asked for; 0 means 20 ms.
	Poll time.Duration
	// HTTPClient, if not nil, is used for every request.
	HTTPClient *http.Client
}

// Index is a search.Index in a Meilisearch server. It is safe for
// concurrent use.
type Index struct {
	cfg      Config
	client   meilisearch.ServiceManager
	index    meilisearch.IndexManager
	analyzer *german.Analyzer
	vocab    *german.Vocabulary
	writeMu  sync.Mutex
}

var _ search.Index = (*Index)(nil)

// page is a record as Meilisearch stores it.
type page struct {
	ID         string   `json:"id"`
	Document   int64    `json:"document"`
	Version    int      `json:"version"`
	Page       int      `json:"page"`
	Text       string   `json:"text"`
	Terms      string   `json:"terms"`
	Parts      string   `json:"parts"`
	Words      []string `json:"words"`
	Title      string   `json:"title"`
	TitleTerms string   `json:"titleTerms,omitempty"`
	Reference  string   `json:"reference,omitempty"`
	Ref        string   `json:"ref,omitempty"` // searchable copy, page 1 only
	Committee  string   `json:"committee,omitempty"`
	Meeting    string   `json:"meeting,omitempty"`
	Date       int64    `json:"date"`
	Year       string   `json:"year,omitempty"`
	Kind       string   `json:"kind,omitempty"`
	ACL        []string `json:"acl"`
	Denied     []string `json:"denied"`
	NotBefore  int64    `json:"notBefore"`
}

// settings are applied before any document is added.
func settings() *meilisearch.Settings {
	prefix := "disabled"
	return &meilisearch.Settings{
		SearchableAttributes: []string{"ref", "titleTerms", "terms", "parts"},
		DisplayedAttributes:  []string{"*"},
		FilterableAttributes: []string{"document", "acl", "denied", "notBefore", "committee", "meeting", "kind", "year", "date", "words"},
		SortableAttributes:   []string{"date"},
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{
			{AttributePatterns: []string{"text", "terms", "parts", "title", "titleTerms", "words"}, Locales: []string{"deu"}},
		},
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnAttributes: []string{"ref"},
			DisableOnWords:      []string{},
		},
		// Prefix matching would let "Rat" find "Rathaus"; suggestions
		// come from a facet search instead.
		PrefixSearch: &prefix,
		FacetSearch:  true,
		Pagination:   &meilisearch.Pagination{MaxTotalHits: 100000},
		Faceting: &meilisearch.Faceting{
			MaxValuesPerFacet: 100,
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeCount},
		},
	}
}

// New connects to the server, creates the index if it does not exist and
// applies its settings, waiting until they are in force. It returns an
// EUNAVAILABLE error if the server cannot be reached or refuses.
func New(ctx context.Context, cfg Config) (*Index, error) {
	if cfg.Index == "" {
		cfg.Index = "pages"
	}
	if cfg.Poll == 0 {
		cfg.Poll = 20 * time.Millisecond
	}
	if cfg.Vocabulary == nil {
		cfg.Vocabulary = german.NewVocabulary()
	}
	opts := []meilisearch.Option{meilisearch.WithCustomRetries([]int{502, 503, 504}, 3)}
	if cfg.Key != "" {
		opts = append(opts, meilisearch.WithAPIKey(cfg.Key))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, meilisearch.WithCustomClient(cfg.HTTPClient))
	}
	client := meilisearch.New(cfg.URL, opts...)
	x := &Index{
		cfg: cfg, client: client, index: client.Index(cfg.Index),
		vocab: cfg.Vocabulary, analyzer: german.NewAnalyzer(cfg.Vocabulary),
	}
	if _, err := client.Health(ctx); err != nil {
		return nil, search.Unavailable(fmt.Errorf("meilisearch %s: %w", cfg.URL, err))
	}
	if _, err := client.GetIndex(ctx, cfg.Index); err != nil {
		info, err := client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: cfg.Index, PrimaryKey: "id"})
		if err != nil {
			return nil, search.Unavailable(fmt.Errorf("meilisearch: create index %s: %w", cfg.Index, err))
		}
		if err := x.wait(ctx, info, "create index"); err != nil {
			return nil, err
		}
	}
	info, err := x.index.UpdateSettings(ctx, settings())
	if err != nil {
		return nil, search.Unavailable(fmt.Errorf("meilisearch: settings: %w", err))
	}
	if err := x.wait(ctx, info, "settings"); err != nil {
		return nil, err
	}
	return x, nil
}

// wait waits for a task to end and returns an error unless it succeeded.
func (x *Index) wait(ctx context.Context, info *meilisearch.TaskInfo, what string) error {
	task, err := x.client.WaitForTask(ctx, info.TaskUID, x.cfg.Poll)
	if err != nil {
		return search.Unavailable(fmt.Errorf("meilisearch: %s: task %d: %w", what, info.TaskUID, err))
	}
	if task.Status != meilisearch.TaskStatusSucceeded {
		return search.Unavailable(fmt.Errorf("meilisearch: %s: task %d %s: %s (%s)", what, info.TaskUID, task.Status, task.Error.Message, task.Error.Code))
	}
	return nil
}

// Index implements search.Index: the old pages of the documents are
// deleted, then the new ones added, in one task each, in this order.
func (x *Index) Index(ctx context.Context, recs []search.Record) error {
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return err
		}
	}
	if len(recs) == 0 {
		return nil
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	var texts []string
	for i := range recs {
		r := &recs[i]
		if r.Access.NotBefore.IsZero() && len(r.Access.Denied) == 0 && slices.Contains(r.Access.Principals, search.Public) {
			texts = append(texts, r.Text, r.Title)
		}
	}
	x.vocab.Learn(texts...)
	var docs []int64
	pages := make([]page, len(recs))
	for i := range recs {
		if !slices.Contains(docs, recs[i].Document) {
			docs = append(docs, recs[i].Document)
		}
		pages[i] = x.page(&recs[i])
	}
	if err := x.remove(ctx, docs); err != nil {
		return err
	}
	pk := "id"
	info, err := x.index.AddDocuments(ctx, pages, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	if err != nil {
		return search.Unavailable(fmt.Errorf("meilisearch: add documents: %w", err))
	}
	return x.wait(ctx, info, "add documents")
}

// page turns a record into what Meilisearch stores.
func (x *Index) page(r *search.Record) page {
	p := page{
		ID: search.DocID(r.Document, r.Page), Document: r.Document, Version: r.Version, Page: r.Page,
		Text: r.Text, Title: r.Title, Reference: r.Reference, Committee: r.Committee, Meeting: r.Meeting,
		Kind: r.Kind, ACL: nonNil(r.Access.Principals), Denied: nonNil(r.Access.Denied),
	}
	if !r.Access.NotBefore.IsZero() {
		p.NotBefore = r.Access.NotBefore.Unix()
	}
	if !r.Date.IsZero() {
		p.Date = r.Date.Unix()
		p.Year = strconv.Itoa(r.Date.Year())
	}
	var terms, parts strings.Builder
	seen := make(map[string]bool)
	p.Words = []string{}
	x.analyzer.Analyze(r.Text, func(t german.Token) {
		b := &terms
		if t.Part {
			b = &parts
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Term)
		if !t.Part && utf8.RuneCountInString(t.Folded) >= search.MinSuggestPrefix && !seen[t.Word] && !hasDigit(t.Word) {
			seen[t.Word] = true
			w := r.Text[t.Start:t.End]
			if len(w) != len(t.Word) {
				w = t.Word
			}
			p.Words = append(p.Words, w)
		}
	})
	p.Terms, p.Parts = terms.String(), parts.String()
	// Title and reference are found on page 1 only (as in search/bleve).
	if r.Page == 1 {
		var tt strings.Builder
		x.analyzer.Analyze(r.Title, func(t german.Token) {
			if tt.Len() > 0 {
				tt.WriteByte(' ')
			}
			tt.WriteString(t.Term)
		})
		p.TitleTerms = tt.String()
		p.Ref = r.Reference
	}
	return p
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

// Remove implements search.Index.
func (x *Index) Remove(ctx context.Context, documents ...int64) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	return x.remove(ctx, documents)
}

func (x *Index) remove(ctx context.Context, documents []int64) error {
	if len(documents) == 0 {
		return nil
	}
	ids := make([]string, len(documents))
	for i, d := range documents {
		ids[i] = strconv.FormatInt(d, 10)
	}
	info, err := x.index.DeleteDocumentsByFilter(ctx, "document IN ["+strings.Join(ids, ", ")+"]", nil)
	if err != nil {
		return search.Unavailable(fmt.Errorf("meilisearch: delete documents: %w", err))
	}
	return x.wait(ctx, info, "delete documents")
}

// Reset implements search.Index: every document is deleted, the settings
// stay.
func (x *Index) Reset(ctx context.Context) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	info, err := x.index.DeleteAllDocuments(ctx, nil)
	if err != nil {
		return search.Unavailable(fmt.Errorf("meilisearch: delete all documents: %w", err))
	}
	return x.wait(ctx, info, "delete all documents")
}

// Close implements search.Index.
func (x *Index) Close() error {
	x.client.Close()
	return nil
}

// quote returns s as a string of Meilisearch's filter language.
// Principals and facet values never hold quotes (Record.Validate), but
// committee names typed into a filter might.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// filter returns the filter expression for viewer v at now and the
// user's filter f, and false if v may find nothing.
func filter(v search.Viewer, now time.Time, f search.Filter) (string, bool) {
	var clauses []string
	if !v.IsStaff() {
		if len(v.Principals) == 0 {
			return "", false
		}
		ps := quoteAll(v.Principals)
		clauses = append(clauses,
			"acl IN "+ps,
			"NOT denied IN "+ps,
			"notBefore <= "+strconv.FormatInt(now.Unix(), 10))
	}
	if len(f.Committees) > 0 {
		clauses = append(clauses, "committee IN "+quoteAll(f.Committees))
	}
	if len(f.Meetings) > 0 {
		clauses = append(clauses, "meeting IN "+quoteAll(f.Meetings))
	}
	if len(f.Kinds) > 0 {
		clauses = append(clauses, "kind IN "+quoteAll(f.Kinds))
	}
	if !f.From.IsZero() {
		clauses = append(clauses, "date >= "+strconv.FormatInt(f.From.Unix(), 10))
	}
	if !f.To.IsZero() {
		clauses = append(clauses, "date < "+strconv.FormatInt(f.To.Unix(), 10))
	}
	return strings.Join(clauses, " AND "), true
}

// queryText turns what a person typed into the terms Meilisearch searches
// for, and the stems a snippet marks.
func (x *Index) queryText(text string) (string, []string) {
	parsed := search.Parse(text)
	var words, marks []string
	for _, w := range parsed.Words {
		var toks []string
		x.analyzer.Analyze(w, func(t german.Token) {
			marks = append(marks, t.Term)
			if !t.Part {
				toks = append(toks, t.Term)
			}
		})
		switch {
		case len(toks) == 1:
			words = append(words, toks[0])
		case len(toks) > 1:
			words = append(words, `"`+strings.Join(toks, " ")+`"`)
		}
	}
	for _, ph := range parsed.Phrases {
		var toks []string
		x.analyzer.Analyze(ph, func(t german.Token) {
			marks = append(marks, t.Term)
			if !t.Part {
				toks = append(toks, t.Term)
			}
		})
		if len(toks) > 0 {
			words = append(words, `"`+strings.Join(toks, " ")+`"`)
		}
	}
	for _, r := range parsed.References {
		year, num, _ := strings.Cut(r, "/")
		marks = append(marks, year, num)
		words = append(words, `"`+year+" "+num+`"`)
	}
	return strings.Join(words, " "), marks
}

// Search implements search.Index: one search with distinct documents,
// totals and facets, and one for the matching pages of the documents
// shown.
func (x *Index) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	res := emptyResult()
	text, marks := x.queryText(q.Text)
	flt, ok := filter(q.Viewer, q.Now, q.Filter)
	if !ok || text == "" {
		return res, nil
	}
	hitsPerPage := int64(q.Limit)
	req := &meilisearch.SearchRequest{
		Filter:               flt,
		Distinct:             "document",
		MatchingStrategy:     meilisearch.All,
		Facets:               []string{"committee", "kind", "year"},
		AttributesToRetrieve: []string{"document", "version", "page", "text", "title", "reference", "committee", "meeting", "date", "kind"},
		HitsPerPage:          &hitsPerPage,
		Page:                 int64(q.Offset/q.Limit) + 1,
	}
	if q.Order == search.OrderNewest {
		req.Sort = []string{"date:desc"}
	}
	if q.Offset%q.Limit != 0 {
		// Not on a page boundary: ask for everything up to the end.
		hitsPerPage = int64(q.Offset + q.Limit)
		req.Page = 1
	}
	resp, err := x.index.Search(ctx, text, req)
	if err != nil {
		return nil, search.Unavailable(fmt.Errorf("meilisearch: search: %w", err))
	}
	var pages []page
	if err := resp.Hits.Decode(&pages); err != nil {
		return nil, fmt.Errorf("meilisearch: search: %w", err)
	}
	if q.Offset%q.Limit != 0 {
		pages = pages[min(q.Offset, len(pages)):]
	}
	res.Total = int(resp.TotalHits)
	var dist map[string]map[string]int
	if len(resp.FacetDistribution) > 0 {
		if err := json.Unmarshal(resp.FacetDistribution, &dist); err != nil {
			return nil, fmt.Errorf("meilisearch: facets: %w", err)
		}
	}
	for i, name := range []string{"committee", "kind", "year"} {
		for v, n := range dist[name] {
			res.Facets[i].Values = append(res.Facets[i].Values, search.FacetValue{Value: v, Count: n})
		}
		res.Facets[i].Values = search.SortFacet(res.Facets[i].Values)
	}
	if len(pages) == 0 {
		return res, nil
	}
	matching, counts, err := x.matchingPages(ctx, text, flt, pages)
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		h := search.Hit{
			Document: p.Document, Version: p.Version, Title: p.Title, Reference: p.Reference,
			Committee: p.Committee, Meeting: p.Meeting, Kind: p.Kind, Page: p.Page,
			Pages: matching[p.Document], Matches: counts[p.Document],
			Snippet: x.snippet(p.Text, marks),
		}
		if p.Date != 0 {
			h.Date = time.Unix(p.Date, 0).UTC()
		}
		if len(h.Pages) == 0 || h.Pages[0] != h.Page {
			h.Pages = append([]int{h.Page}, slices.DeleteFunc(h.Pages, func(n int) bool { return n == h.Page })...)
		}
		if len(h.Pages) > search.MaxPages {
			h.Pages = h.Pages[:search.MaxPages]
		}
		h.Matches = max(h.Matches, len(h.Pages))
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

// matchingPages returns the matching pages of the documents of hits, best
// first, and how many pages of each match.
func (x *Index) matchingPages(ctx context.Context, text, flt string, hits []page) (map[int64][]int, map[int64]int, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = strconv.FormatInt(h.Document, 10)
	}
	f := "document IN [" + strings.Join(ids, ", ") + "]"
	if flt != "" {
		f = flt + " AND " + f
	}
	resp, err := x.index.Search(ctx, text, &meilisearch.SearchRequest{
		Filter:               f,
		MatchingStrategy:     meilisearch.All,
		Facets:               []string{"document"},
		AttributesToRetrieve: []string{"document", "page"},
		Limit:                int64(len(hits) * search.MaxPages),
	})
	if err != nil {
		return nil, nil, search.Unavailable(fmt.Errorf("meilisearch: search pages: %w", err))
	}
	var pages []page
	if err := resp.Hits.Decode(&pages); err != nil {
		return nil, nil, fmt.Errorf("meilisearch: search pages: %w", err)
	}
	matching := make(map[int64][]int)
	for _, p := range pages {
		if len(matching[p.Document]) < search.MaxPages {
			matching[p.Document] = append(matching[p.Document], p.Page)
		}
	}
	counts := make(map[int64]int)
	var dist map[string]map[string]int
	if len(resp.FacetDistribution) > 0 && json.Unmarshal(resp.FacetDistribution, &dist) == nil {
		for d, n := range dist["document"] {
			if id, err := strconv.ParseInt(d, 10, 64); err == nil {
				counts[id] = n
			}
		}
	}
	return matching, counts, nil
}

// snippet marks the words of text whose stem (or a part's) is one of
// marks, or a typo away from one, as Meilisearch's typo tolerance would
// have matched them.
func (x *Index) snippet(text string, marks []string) search.Snippet {
	var ms []search.Match
	german.Words(text, func(w german.Word) {
		t := x.analyzer.Word(w.Text)
		if t.Stem == "" {
			return
		}
		for _, c := range append([]string{t.Stem}, t.Parts...) {
			for _, m := range marks {
				if c == m || typo(m, c) {
					ms = append(ms, search.Match{Start: w.Start, End: w.End, Term: m})
					return
				}
			}
		}
	})
	return search.MakeSnippet(text, ms)
}

// typo reports whether b is within Meilisearch's typo tolerance of a.
func typo(a, b string) bool {
	n := utf8.RuneCountInString(a)
	switch {
	case n >= 9:
		return distance(a, b) <= 2
	case n >= 5:
		return distance(a, b) <= 1
	}
	return false
}

// distance is the Levenshtein distance of a and b, or 3 if it is more.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > 2 || d < -2 {
		return 3
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], 3)
}

func emptyResult() *search.Result {
	return &search.Result{
		Hits: []search.Hit{},
		Facets: []search.Facet{
			{Name: search.FacetCommittee, Values: []search.FacetValue{}},
			{Name: search.FacetKind, Values: []search.FacetValue{}},
			{Name: search.FacetYear, Values: []search.FacetValue{}},
		},
	}
}

// Suggest implements search.Index with a facet search on the words of
// the pages the viewer may find.
func (x *Index) Suggest(ctx context.Context, q search.SuggestQuery) ([]string, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	i := strings.LastIndexFunc(q.Prefix, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	head, last := q.Prefix[:i+1], strings.Trim(q.Prefix[i+1:], `"„“»«.,;:!?()`)
	flt, ok := filter(q.Viewer, q.Now, search.Filter{})
	if !ok || utf8.RuneCountInString(german.Fold(last)) < search.MinSuggestPrefix {
		return []string{}, nil
	}
	raw, err := x.index.FacetSearch(ctx, &meilisearch.FacetSearchRequest{
		FacetName: "words", FacetQuery: last, Filter: flt, ExhaustiveFacetCount: true,
	})
	if err != nil {
		return nil, search.Unavailable(fmt.Errorf("meilisearch: facet search: %w", err))
	}
	var resp struct {
		FacetHits []struct {
			Value string `json:"value"`
			Count int    `json:"count"`
		} `json:"facetHits"`
	}
	if raw == nil {
		return nil, search.Unavailable(errors.New("meilisearch: facet search: empty answer"))
	}
	if err := json.Unmarshal(*raw, &resp); err != nil {
		return nil, fmt.Errorf("meilisearch: facet search: %w", err)
	}
	// Spellings of one word count together; the most frequent is shown.
	type word struct {
		spelling    string
		count, best int
	}
	byFolded := make(map[string]*word)
	var words []*word
	prefix := german.Fold(last)
	for _, h := range resp.FacetHits {
		f := german.Fold(h.Value)
		if !strings.HasPrefix(f, prefix) {
			continue // a typo-tolerant match is no completion
		}
		w := byFolded[f]
		if w == nil {
			w = &word{}
			byFolded[f] = w
			words = append(words, w)
		}
		w.count += h.Count
		if h.Count > w.best || h.Count == w.best && h.Value < w.spelling {
			w.spelling, w.best = h.Value, h.Count
		}
	}
	slices.SortStableFunc(words, func(a, b *word) int {
		if a.count != b.count {
			return b.count - a.count
		}
		return strings.Compare(german.Fold(a.spelling), german.Fold(b.spelling))
	})
	out := []string{}
	for _, w := range words {
		if len(out) == q.Limit {
			break
		}
		out = append(out, head+w.spelling)
	}
	return out, nil
}
