package meili_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/meili"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// Meilisearch cannot be installed on the machines this project is built
// and tested on, so these tests run the adapter against a fake server
// that records the requests it receives and answers as Meilisearch would.
// They check what the adapter asks for; what Meilisearch then finds is
// checked by TestConformance against a real server, when one is given in
// RATSMAPPE_TEST_MEILI_URL (and RATSMAPPE_TEST_MEILI_KEY).

type request struct {
	Method, Path string
	Body         map[string]any
	List         []map[string]any
}

type fake struct {
	mu       sync.Mutex
	requests []request
	tasks    int
	failed   map[string]bool // path of writes whose task fails
	status   map[int]string
	search   func(body map[string]any) any
	facets   any
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{failed: map[string]bool{}, status: map[int]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	req := request{Method: r.Method, Path: r.URL.Path}
	if len(body) > 0 && body[0] == '[' {
		json.Unmarshal(body, &req.List)
	} else if len(body) > 0 {
		json.Unmarshal(body, &req.Body)
	}
	f.requests = append(f.requests, req)
	w.Header().Set("Content-Type", "application/json")
	task := func() {
		f.tasks++
		status := "succeeded"
		if f.failed[r.URL.Path] {
			status = "failed"
		}
		f.status[f.tasks] = status
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"taskUid":%d,"indexUid":"pages","status":"enqueued","type":"x","enqueuedAt":"2025-06-01T12:00:00Z"}`, f.tasks)
	}
	switch {
	case r.URL.Path == "/health":
		io.WriteString(w, `{"status":"available"}`)
	case r.Method == http.MethodGet && r.URL.Path == "/indexes/pages":
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Index pages not found.","code":"index_not_found","type":"invalid_request","link":""}`)
	case strings.HasPrefix(r.URL.Path, "/tasks/"):
		var uid int
		fmt.Sscanf(r.URL.Path, "/tasks/%d", &uid)
		status := f.status[uid]
		errJSON := `null`
		if status == "failed" {
			errJSON = `{"message":"Index pages: attribute acl is not filterable","code":"invalid_document_filter","type":"invalid_request","link":""}`
		}
		fmt.Fprintf(w, `{"uid":%d,"status":%q,"indexUid":"pages","type":"x","error":%s,"enqueuedAt":"2025-06-01T12:00:00Z"}`, uid, status, errJSON)
	case strings.HasSuffix(r.URL.Path, "/search"):
		json.NewEncoder(w).Encode(f.search(req.Body))
	case strings.HasSuffix(r.URL.Path, "/facet-search"):
		json.NewEncoder(w).Encode(f.facets)
	default:
		task()
	}
}

func (f *fake) requestsTo(method, pathSuffix string) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rs []request
	for _, r := range f.requests {
		if r.Method == method && strings.HasSuffix(r.Path, pathSuffix) {
			rs = append(rs, r)
		}
	}
	return rs
}

func (f *fake) index(method, pathSuffix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.requests {
		if r.Method == method && strings.HasSuffix(r.Path, pathSuffix) {
			return i
		}
	}
	return -1
}

func open(t *testing.T, srv *httptest.Server) *meili.Index {
	t.Helper()
	x, err := meili.New(context.Background(), meili.Config{URL: srv.URL, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func TestSettingsBeforeDocuments(t *testing.T) {
	f, srv := newFake(t)
	x := open(t, srv)
	if err := x.Index(context.Background(), searchtest.Records()); err != nil {
		t.Fatal(err)
	}
	settings, docs := f.index(http.MethodPatch, "/indexes/pages/settings"), f.index(http.MethodPost, "/indexes/pages/documents")
	if settings < 0 || docs < 0 || settings > docs {
		t.Fatalf("settings at request %d, documents at %d: settings must come first", settings, docs)
	}
	if f.index(http.MethodPost, "/indexes") > settings {
		t.Error("index created after its settings")
	}
	s := f.requestsTo(http.MethodPatch, "/settings")[0].Body
	got, _ := json.Marshal(s["localizedAttributes"])
	if !strings.Contains(string(got), `"deu"`) || !strings.Contains(string(got), `"terms"`) {
		t.Errorf("localizedAttributes = %s, want German on the text attributes", got)
	}
	typo, _ := json.Marshal(s["typoTolerance"])
	if !strings.Contains(string(typo), `"oneTypo":5`) || !strings.Contains(string(typo), `"twoTypos":9`) {
		t.Errorf("typoTolerance = %s, want typos from 5 and 9 letters", typo)
	}
	filterable, _ := s["filterableAttributes"].([]any)
	for _, a := range []string{"acl", "denied", "notBefore", "document", "words"} {
		if !slices.Contains(filterable, any(a)) {
			t.Errorf("filterableAttributes %v lack %s", filterable, a)
		}
	}
	if s["prefixSearch"] != "disabled" {
		t.Errorf("prefixSearch = %v", s["prefixSearch"])
	}
}

func TestIndexOnePagePerRecord(t *testing.T) {
	f, srv := newFake(t)
	x := open(t, srv)
	recs := searchtest.Records()
	if err := x.Index(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	del, add := f.index(http.MethodPost, "/documents/delete"), f.index(http.MethodPost, "/indexes/pages/documents")
	if del < 0 || del > add {
		t.Fatalf("old pages deleted at request %d, new ones added at %d: delete first", del, add)
	}
	if got := f.requestsTo(http.MethodPost, "/documents/delete")[0].Body["filter"]; !strings.HasPrefix(fmt.Sprint(got), "document IN [101, 102, 103") {
		t.Errorf("delete filter = %v", got)
	}
	pages := f.requestsTo(http.MethodPost, "/indexes/pages/documents")[0].List
	if got, want := len(pages), len(recs); got != want {
		t.Fatalf("%d Meilisearch documents for %d pages", got, want)
	}
	byID := map[string]map[string]any{}
	for _, p := range pages {
		byID[fmt.Sprint(p["id"])] = p
	}
	p := byID["101-2"]
	if p == nil {
		t.Fatalf("no document 101-2 among %v", len(byID))
	}
	if !strings.Contains(fmt.Sprint(p["terms"]), "strassenausbaubeitrag") || !strings.Contains(fmt.Sprint(p["parts"]), "beitrag") {
		t.Errorf("terms %q, parts %q: want the German stems and the compound's parts", p["terms"], p["parts"])
	}
	if p["titleTerms"] != nil {
		t.Errorf("page 2 has titleTerms %v; the title is found on page 1", p["titleTerms"])
	}
	if byID["101-1"]["titleTerms"] == nil {
		t.Error("page 1 lacks titleTerms")
	}
	emb := byID["105-1"]
	if fmt.Sprint(emb["acl"]) != "[public]" || emb["notBefore"].(float64) != float64(searchtest.Embargo.Unix()) {
		t.Errorf("embargoed page: acl %v, notBefore %v", emb["acl"], emb["notBefore"])
	}
	if fmt.Sprint(byID["106-1"]["denied"]) != "[person:7]" {
		t.Errorf("denied = %v", byID["106-1"]["denied"])
	}
}

// A task that fails is an error, although Meilisearch accepted the
// request that made it.
func TestFailedTask(t *testing.T) {
	f, srv := newFake(t)
	x := open(t, srv)
	f.mu.Lock()
	f.failed["/indexes/pages/documents"] = true
	f.mu.Unlock()
	err := x.Index(context.Background(), searchtest.Records())
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.EUNAVAILABLE; got != want {
		t.Fatalf("Index error = %v (code %q), want code %q", err, got, want)
	}
	if !strings.Contains(err.Error(), "not filterable") {
		t.Errorf("error %v does not say why the task failed", err)
	}
	if msg := ratsmappe.ErrorMessage(err); strings.Contains(msg, "filterable") {
		t.Errorf("person-safe message %q shows internals", msg)
	}
}

func TestServerDown(t *testing.T) {
	_, srv := newFake(t)
	srv.Close()
	_, err := meili.New(context.Background(), meili.Config{URL: srv.URL, Poll: time.Millisecond})
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.EUNAVAILABLE; got != want {
		t.Fatalf("New error = %v, want code %q", err, want)
	}
}

func TestSearchRequest(t *testing.T) {
	f, srv := newFake(t)
	x := open(t, srv)
	var bodies []map[string]any
	f.search = func(body map[string]any) any {
		bodies = append(bodies, body)
		if body["distinct"] == "document" {
			return map[string]any{
				"hits": []map[string]any{{"document": 101, "version": 1, "page": 3, "title": "Niederschrift",
					"text": "Der Rat beschließt die neuen Gebühren einstimmig.", "committee": "Gemeinderat", "kind": "minutes", "date": 1741910400}},
				"totalHits": 1, "hitsPerPage": 10, "page": 1, "totalPages": 1,
				"facetDistribution": map[string]any{"committee": map[string]int{"Gemeinderat": 1}, "kind": map[string]int{"minutes": 1}, "year": map[string]int{"2025": 1}},
			}
		}
		return map[string]any{
			"hits":              []map[string]any{{"document": 101, "page": 3}, {"document": 101, "page": 1}},
			"facetDistribution": map[string]any{"document": map[string]int{"101": 2}},
		}
	}
	now := searchtest.T0
	r, err := x.Search(context.Background(), search.Query{Text: "Gebühren", Viewer: search.Viewer{Principals: []string{search.Public, search.Org(5)}}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 {
		t.Fatalf("%d searches, want 2", len(bodies))
	}
	b := bodies[0]
	wantFilter := fmt.Sprintf(`acl IN ["public", "org:5"] AND NOT denied IN ["public", "org:5"] AND notBefore <= %d`, now.Unix())
	if got := b["filter"]; got != wantFilter {
		t.Errorf("filter = %v\nwant     %s", got, wantFilter)
	}
	if got, want := b["q"], "gebuhr"; got != want {
		t.Errorf("q = %v, want the stem %q", got, want)
	}
	if got := b["matchingStrategy"]; got != "all" {
		t.Errorf("matchingStrategy = %v", got)
	}
	if got := bodies[1]["filter"]; !strings.HasPrefix(fmt.Sprint(got), wantFilter+" AND document IN [101]") {
		t.Errorf("pages search filter = %v: the viewer's filter must be in every search", got)
	}
	if _, ok := bodies[1]["distinct"]; ok {
		t.Errorf("pages search asks for distinct documents")
	}
	if r.Total != 1 || len(r.Hits) != 1 {
		t.Fatalf("result %+v", r)
	}
	h := r.Hits[0]
	if h.Page != 3 || !slices.Equal(h.Pages, []int{3, 1}) || h.Matches != 2 || h.Committee != "Gemeinderat" {
		t.Errorf("hit = %+v", h)
	}
	if got := string(h.Snippet.HTML()); !strings.Contains(got, "<mark>Gebühren</mark>") {
		t.Errorf("snippet = %s", got)
	}
	if got := fmt.Sprint(r.Facets[0].Values); got != "[{Gemeinderat 1}]" {
		t.Errorf("committee facet = %s", got)
	}
}

func TestSearchStaffAndNobody(t *testing.T) {
	f, srv := newFake(t)
	x := open(t, srv)
	var bodies []map[string]any
	f.search = func(body map[string]any) any {
		bodies = append(bodies, body)
		return map[string]any{"hits": []any{}, "totalHits": 0}
	}
	if _, err := x.Search(context.Background(), search.Query{Text: "Haushalt", Viewer: search.Viewer{Principals: []string{search.Staff}},
		Filter: search.Filter{Committees: []string{`Bau"ausschuss`}}}); err != nil {
		t.Fatal(err)
	}
	if got, want := bodies[0]["filter"], `committee IN ["Bau\"ausschuss"]`; got != want {
		t.Errorf("staff filter = %v, want %s", got, want)
	}
	r, err := x.Search(context.Background(), search.Query{Text: "Haushalt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 1 || r.Total != 0 {
		t.Errorf("a viewer without principals was searched for (%d searches, total %d)", len(bodies)-1, r.Total)
	}
}

func TestSuggestRequest(t *testing.T) {
	f, srv := newFake(t)
	x := open(t, srv)
	f.facets = map[string]any{"facetHits": []map[string]any{
		{"value": "Haushalt", "count": 5}, {"value": "haushalt", "count": 1}, {"value": "Haushaltsplan", "count": 2}, {"value": "Hausbau", "count": 9},
	}}
	got, err := x.Suggest(context.Background(), search.SuggestQuery{Prefix: "der Haush", Viewer: search.Viewer{Principals: []string{search.Public}}, Now: searchtest.T0})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"der Haushalt", "der Haushaltsplan"}; !slices.Equal(got, want) {
		t.Errorf("Suggest = %q, want %q", got, want)
	}
	req := f.requestsTo(http.MethodPost, "/facet-search")[0].Body
	if req["facetName"] != "words" || req["facetQuery"] != "Haush" || !strings.HasPrefix(fmt.Sprint(req["filter"]), `acl IN ["public"]`) {
		t.Errorf("facet search = %v", req)
	}
}

// TestConformance runs the suite every backend passes against a real
// Meilisearch server, if RATSMAPPE_TEST_MEILI_URL names one.
func TestConformance(t *testing.T) {
	url := os.Getenv("RATSMAPPE_TEST_MEILI_URL")
	if url == "" {
		t.Skip("RATSMAPPE_TEST_MEILI_URL not set: no Meilisearch server to test against")
	}
	searchtest.Run(t, func(t *testing.T) search.Index {
		uid := fmt.Sprintf("ratsmappe_test_%d", rand.Int64())
		x, err := meili.New(context.Background(), meili.Config{URL: url, Key: os.Getenv("RATSMAPPE_TEST_MEILI_KEY"), Index: uid})
		if err != nil {
			t.Fatal(err)
		}
		return x
	})
}
