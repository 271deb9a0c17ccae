package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

// fakeSearcher stands in for the indexer, which is tested with a real
// index in sessions/indexer and end to end in cmd/ratsmappe; here only
// the HTTP side matters: what is asked and how the answer is shown.
type fakeSearcher struct {
	mu          sync.Mutex
	last        search.Query
	unavailable bool
}

func (f *fakeSearcher) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	f.mu.Lock()
	f.last = q
	f.mu.Unlock()
	if f.unavailable {
		return nil, search.Unavailable(nil)
	}
	return &search.Result{Total: 1, Hits: []search.Hit{{
		Document: 7, Version: 2, Title: "Radwegebau Südstadt", Reference: "2025/0123", Committee: "Bauausschuss",
		Meeting: "Bauausschuss, 02.04.2025", Date: time.Date(2025, 4, 2, 17, 0, 0, 0, time.UTC), Kind: "draft_resolution",
		Page: 3, Pages: []int{3, 1}, Matches: 2, Snippet: search.Snippet{{Text: "Der "}, {Text: "Radweg", Mark: true}, {Text: " <neu>"}},
	}}, Facets: []search.Facet{
		{Name: search.FacetCommittee, Values: []search.FacetValue{{Value: "Bauausschuss", Count: 1}}},
		{Name: search.FacetKind, Values: []search.FacetValue{{Value: "draft_resolution", Count: 1}}},
		{Name: search.FacetYear, Values: []search.FacetValue{{Value: "2025", Count: 1}}},
	}}, nil
}

func (f *fakeSearcher) Suggest(ctx context.Context, q search.SuggestQuery) ([]string, error) {
	if f.unavailable {
		return nil, search.Unavailable(nil)
	}
	return []string{"radwegebau"}, nil
}

func newSearchServer(t *testing.T, s web.Searcher) *httptest.Server {
	t.Helper()
	srv, _, _ := newSearchServerStore(t, s)
	return srv
}

func newSearchServerStore(t *testing.T, s web.Searcher) (*httptest.Server, *sessions.Store, *accounts.Store) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	must(t, schema.Migrate(ctx, db))
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: refuseAll{}})
	st := sessions.NewStore(db, nil)
	h, err := web.NewServer(web.Config{Documents: svc, Sessions: st, DB: db, Search: s})
	must(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, st, accounts.NewStore(db, nil)
}

// A member searches with their person's principal besides the public
// one, staff as staff: the index then admits what the policy admits them.
func TestSearchViewers(t *testing.T) {
	f := &fakeSearcher{}
	srv, st, acc := newSearchServerStore(t, f)
	ctx := context.Background()
	body := &sessions.Body{Name: "Stadt"}
	must(t, st.CreateBody(ctx, body))
	p := &sessions.Person{BodyID: body.ID, FamilyName: "Beispiel"}
	must(t, st.CreatePerson(ctx, p))
	for _, tc := range []struct {
		role access.Role
		want []string
	}{
		{access.RoleMember, []string{search.Public, search.Person(p.ID)}},
		{access.RoleClerk, []string{search.Staff}},
	} {
		a := &accounts.Account{Name: string(tc.role), Role: tc.role, PersonID: p.ID}
		must(t, acc.CreateAccount(ctx, a, ""))
		_, token, err := acc.CreateAPIToken(ctx, a.ID, "test")
		must(t, err)
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/search?q=Radweg", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		f.mu.Lock()
		got := f.last.Viewer.Principals
		f.mu.Unlock()
		if resp.StatusCode != 200 || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %d, principals %v, want %v", tc.role, resp.StatusCode, got, tc.want)
		}
	}
}

func TestSearchPage(t *testing.T) {
	f := &fakeSearcher{}
	srv := newSearchServer(t, f)
	resp, body := get(t, srv.URL+"/search?q=Radweg&committee=Bauausschuss&kind=draft_resolution&from=2025-01-01&to=2025-12-31&meeting=Bauausschuss,+02.04.2025")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`Der <mark>Radweg</mark> &lt;neu&gt;`,
		`href="/api/v1/documents/7/versions/2/file#page=3"`, "Seite 3 öffnen",
		`href="/documents/7#seite-3"`, `/api/v1/documents/7/versions/2/file#page=1`,
		"2025/0123", "Beschlussvorlage", "Treffer 1 bis 1 von 1 Dokumenten",
		`<option value="draft_resolution" selected>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %q", want)
		}
	}
	q := f.last
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if q.Text != "Radweg" || len(q.Filter.Committees) != 1 || q.Filter.Kinds[0] != "draft_resolution" ||
		q.Filter.Meetings[0] != "Bauausschuss, 02.04.2025" ||
		!q.Filter.From.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, berlin)) || !q.Filter.To.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, berlin)) {
		t.Errorf("query %+v", q)
	}
	if got := q.Viewer.Principals; len(got) != 1 || got[0] != search.Public {
		t.Errorf("anonymous viewer searches as %v", got)
	}
	_, body = get(t, srv.URL+"/search?q=Radweg&lang=en")
	if !strings.Contains(body, "Open page 3") || !strings.Contains(body, "Draft resolution") {
		t.Errorf("English search page lacks its texts")
	}
	// The search box is in every page's header but the search page's.
	_, body = get(t, srv.URL+"/meetings")
	if !strings.Contains(body, `action="/search"`) {
		t.Errorf("no search box in the header")
	}
	resp, body = get(t, srv.URL+"/search?q=x&from=gestern")
	if resp.StatusCode != 400 || !strings.Contains(body, "Ungültiges Datum") {
		t.Errorf("bad date: %d", resp.StatusCode)
	}
}

func TestSearchAPI(t *testing.T) {
	srv := newSearchServer(t, &fakeSearcher{})
	resp, body := get(t, srv.URL+"/api/v1/search?q=Radweg&limit=5")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var res struct {
		Total int
		Hits  []struct {
			Document    int64
			Page        int
			SnippetHTML string `json:"snippet_html"`
			FileURL     string `json:"file_url"`
		}
		Facets map[string][]struct {
			Value string
			Count int
		}
	}
	must(t, json.Unmarshal([]byte(body), &res))
	if res.Total != 1 || res.Hits[0].Page != 3 || res.Hits[0].FileURL != "/api/v1/documents/7/versions/2/file#page=3" ||
		res.Hits[0].SnippetHTML != "Der <mark>Radweg</mark> &lt;neu&gt;" || res.Facets["committee"][0].Value != "Bauausschuss" {
		t.Errorf("answer %s", body)
	}
	resp, body = get(t, srv.URL+"/api/v1/search/suggest?q=radw")
	if resp.StatusCode != 200 || !strings.Contains(body, `"suggestions":["radwegebau"]`) {
		t.Errorf("suggest: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, srv.URL+"/api/v1/search?q=x&limit=abc")
	if resp.StatusCode != 400 {
		t.Errorf("bad limit: %d", resp.StatusCode)
	}
}

// An index that cannot answer makes search say so — 503 — while every
// other page works.
func TestSearchUnavailable(t *testing.T) {
	for name, s := range map[string]web.Searcher{"unavailable": &fakeSearcher{unavailable: true}, "none": nil} {
		srv := newSearchServer(t, s)
		resp, body := get(t, srv.URL+"/search?q=Radweg")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Suche vorübergehend nicht verfügbar") {
			t.Errorf("%s: page %d", name, resp.StatusCode)
		}
		for _, p := range []string{"/api/v1/search?q=Radweg", "/api/v1/search/suggest?q=Radweg"} {
			resp, body = get(t, srv.URL+p)
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, ratsmappe.EUNAVAILABLE) {
				t.Errorf("%s: %s: %d %s", name, p, resp.StatusCode, body)
			}
		}
		for _, p := range []string{"/", "/meetings", "/search"} {
			if resp, _ := get(t, srv.URL+p); resp.StatusCode != 200 {
				t.Errorf("%s: %s: %d", name, p, resp.StatusCode)
			}
		}
	}
}

// "Neueste zuerst": sort=newest reaches the index as OrderNewest, the page
// links to both orders and keeps the order through the filter form; an
// unknown order is refused in words.
func TestSearchOrder(t *testing.T) {
	f := &fakeSearcher{}
	srv := newSearchServer(t, f)
	resp, body := get(t, srv.URL+"/search?q=Radweg&sort=newest")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	f.mu.Lock()
	order := f.last.Order
	f.mu.Unlock()
	if order != search.OrderNewest {
		t.Errorf("order %q, want %q", order, search.OrderNewest)
	}
	for _, want := range []string{`<input type="hidden" name="sort" value="newest">`, `href="/search?q=Radweg">Relevanz</a>`,
		`href="/search?q=Radweg&amp;sort=newest" aria-current="true">Neueste zuerst</a>`} {
		if !strings.Contains(strings.ReplaceAll(body, "\n  ", " "), want) {
			t.Errorf("search page lacks %q", want)
		}
	}
	get(t, srv.URL+"/api/v1/search?q=Radweg")
	f.mu.Lock()
	order = f.last.Order
	f.mu.Unlock()
	if order != search.OrderRelevance {
		t.Errorf("API without sort: order %q", order)
	}
	for _, u := range []string{"/search?q=Radweg&sort=oldest", "/api/v1/search?q=Radweg&sort=oldest"} {
		resp, body = get(t, srv.URL+u)
		if resp.StatusCode != 400 || !strings.Contains(body, "Unbekannte Sortierung") {
			t.Errorf("%s: %d", u, resp.StatusCode)
		}
	}
}

// statusSearcher is a fake whose index is being rebuilt and lags.
type statusSearcher struct{ fakeSearcher }

func (s *statusSearcher) Status(context.Context) (bool, int, error) { return false, 3, nil }

// /readyz says whether the search index answers and how far it lags,
// without taking the server out of service.
func TestReadyzSearch(t *testing.T) {
	srv := newSearchServer(t, &statusSearcher{})
	resp, err := http.Get(srv.URL + "/readyz")
	must(t, err)
	defer resp.Body.Close()
	var got map[string]string
	must(t, json.NewDecoder(resp.Body).Decode(&got))
	if resp.StatusCode != 200 || got["search"] != "rebuilding" || got["search_lag"] != "3" {
		t.Errorf("readyz: %d %v", resp.StatusCode, got)
	}
}
