package portal

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Searcher answers full-text searches over the document pages a viewer
// may find (package sessions/indexer provides it). Errors with code
// EUNAVAILABLE mean the index cannot answer now; the portal then says so
// and everything else keeps working.
type Searcher interface {
	Search(ctx context.Context, q search.Query) (*search.Result, error)
	Suggest(ctx context.Context, q search.SuggestQuery) ([]string, error)
}

// errSearchUnavailable is what a viewer is told while the index cannot
// answer.
var errSearchUnavailable = ratsmappe.Errorf(ratsmappe.EUNAVAILABLE, "Suche vorübergehend nicht verfügbar.")

// parseSearch reads a search.Query from the URL's query v: q, committee,
// meeting, kind (each repeatable), from and to (dates YYYY-MM-DD, both
// inclusive), sort (absent: relevance; "newest") — for the viewer of r.
func parseSearch(r *http.Request, v url.Values) (search.Query, error) {
	q := search.Query{Text: strings.TrimSpace(v.Get("q")), Viewer: access.SearchViewer(request.Viewer(r.Context()))}
	clean := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return out
	}
	q.Filter.Committees = clean(v["committee"])
	q.Filter.Meetings = clean(v["meeting"])
	q.Filter.Kinds = clean(v["kind"])
	q.Order = search.Order(strings.TrimSpace(v.Get("sort")))
	if q.Order != search.OrderRelevance && q.Order != search.OrderNewest {
		return q, ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Sortierung %q (möglich: newest).", v.Get("sort"))
	}
	for _, d := range []struct {
		name string
		to   *time.Time
		add  int
	}{{"from", &q.Filter.From, 0}, {"to", &q.Filter.To, 1}} {
		s := strings.TrimSpace(v.Get(d.name))
		if s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", s, render.Berlin)
		if err != nil {
			return q, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiges Datum %q (erwartet JJJJ-MM-TT).", s)
		}
		*d.to = t.AddDate(0, 0, d.add)
	}
	return q, nil
}

// hitJSON is a hit in the API.
type hitJSON struct {
	Document    int64     `json:"document"`
	Version     int       `json:"version"`
	Title       string    `json:"title"`
	Reference   string    `json:"reference,omitempty"`
	Committee   string    `json:"committee,omitempty"`
	Meeting     string    `json:"meeting,omitempty"`
	Date        time.Time `json:"date,omitzero"`
	Kind        string    `json:"kind"`
	Page        int       `json:"page"`
	Pages       []int     `json:"pages"`
	Matches     int       `json:"matches"`
	Snippet     string    `json:"snippet"`
	SnippetHTML string    `json:"snippet_html"`
	URL         string    `json:"url"`
	FileURL     string    `json:"file_url"`
}

type facetValueJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// hitURLs returns the document page at the hit's page and the PDF opened
// at that page.
func hitURLs(h search.Hit) (doc, file string) {
	return fmt.Sprintf("/documents/%d#seite-%d", h.Document, h.Page),
		fmt.Sprintf("/api/v1/documents/%d/versions/%d/file#page=%d", h.Document, h.Version, h.Page)
}

// searchError turns a failed search into what the viewer is told: EINVALID
// as it is, anything else as "temporarily unavailable" (logged).
func (s *Handler) searchError(r *http.Request, err error) error {
	if ratsmappe.ErrorCode(err) == ratsmappe.EINVALID {
		return err
	}
	s.log.Warn("search unavailable", "path", r.URL.Path, "err", err)
	return errSearchUnavailable
}

// APISearch answers GET /api/v1/search.
func (s *Handler) APISearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := parseSearch(r, v)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if q.Offset, err = intParam(v.Get("offset"), 0); err == nil {
		q.Limit, err = intParam(v.Get("limit"), search.DefaultLimit)
	}
	if err != nil {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "offset und limit müssen Zahlen sein."))
		return
	}
	if s.cfg.Search == nil {
		render.Error(w, r, errSearchUnavailable)
		return
	}
	res, err := s.cfg.Search.Search(r.Context(), q)
	if err != nil {
		render.Error(w, r, s.searchError(r, err))
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Add("Vary", "Cookie, Authorization")
	if writeSearchJSON(w, res, q) {
		return
	}
	render.JSON(w, http.StatusOK, searchAnswer(res, q))
}

// searchAnswer is the API's answer to q, res.
func searchAnswer(res *search.Result, q search.Query) searchJSON {
	hits := make([]hitJSON, 0, len(res.Hits))
	for _, h := range res.Hits {
		doc, file := hitURLs(h)
		hits = append(hits, hitJSON{Document: h.Document, Version: h.Version, Title: h.Title, Reference: h.Reference,
			Committee: h.Committee, Meeting: h.Meeting, Date: h.Date, Kind: h.Kind, Page: h.Page, Pages: h.Pages,
			Matches: h.Matches, Snippet: h.Snippet.String(), SnippetHTML: string(h.Snippet.HTML()), URL: doc, FileURL: file})
	}
	facets := map[string][]facetValueJSON{}
	for _, f := range res.Facets {
		vals := make([]facetValueJSON, 0, len(f.Values))
		for _, fv := range f.Values {
			vals = append(vals, facetValueJSON{fv.Value, fv.Count})
		}
		facets[f.Name] = vals
	}
	return searchJSON{Facets: facets, Hits: hits, Limit: q.Limit, Offset: q.Offset, Total: res.Total}
}

// searchJSON is the answer of the API: a struct rather than a map, which
// encoding/json would sort and reflect on for every search; its fields
// are in the order of their names, as a map's keys were. It is written
// by appendSearchJSON (search_json.go); encoding/json writes it only
// where that cannot.
type searchJSON struct {
	Facets map[string][]facetValueJSON `json:"facets"`
	Hits   []hitJSON                   `json:"hits"`
	Limit  int                         `json:"limit"`
	Offset int                         `json:"offset"`
	Total  int                         `json:"total"`
}

func intParam(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

// APISuggest answers GET /api/v1/search/suggest.
func (s *Handler) APISuggest(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Search == nil {
		render.Error(w, r, errSearchUnavailable)
		return
	}
	words, err := s.cfg.Search.Suggest(r.Context(), search.SuggestQuery{Prefix: r.URL.Query().Get("q"),
		Viewer: access.SearchViewer(request.Viewer(r.Context()))})
	if err != nil {
		render.Error(w, r, s.searchError(r, err))
		return
	}
	if words == nil {
		words = []string{}
	}
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Add("Vary", "Cookie, Authorization")
	render.JSON(w, http.StatusOK, map[string]any{"suggestions": words})
}

// The search page.

type searchHit struct {
	search.Hit
	Snippet      template.HTML
	URL, FileURL string
	MeetingURL   string // narrows the search to the hit's meeting
	OtherPages   []pageLink
}

type pageLink struct {
	Page    int
	URL     string
	FileURL string
}

type facetLink struct {
	Value, Label, URL string
	Count             int
	Active            bool
}

type facetView struct {
	Name, Label string
	Values      []facetLink
}

type option struct {
	Value, Label string
	Selected     bool
}

type searchView struct {
	Query       string
	Searched    bool
	Unavailable bool
	Total       int
	From, To    int // 1-based numbers of the hits shown
	Hits        []searchHit
	Facets      []facetView
	Committees  []option
	Kinds       []option
	Meetings    []string
	DateFrom    string
	DateTo      string
	Prev, Next  string
	// Newest is the order chosen; ByRelevance and ByNewest link to the
	// same search in either order.
	Newest                bool
	ByRelevance, ByNewest string
	// Filtered counts the filters set, for the folded filter form's label.
	Filtered int
}

const searchPageSize = 10

// Search answers GET /search.
func (s *Handler) Search(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := render.Language(r)
	vals := r.URL.Query()
	q, err := parseSearch(r, vals)
	p := render.NewPage(w, r, render.T(lang, "search.title"))
	view := &searchView{Query: q.Text, Meetings: q.Filter.Meetings, DateFrom: vals.Get("from"), DateTo: vals.Get("to"), Newest: q.Order == search.OrderNewest,
		Filtered: len(q.Filter.Committees) + len(q.Filter.Kinds) + len(q.Filter.Meetings)}
	if !q.Filter.From.IsZero() || !q.Filter.To.IsZero() {
		view.Filtered++
	}
	p.Data = view
	orgs, oerr := s.committees(r)
	if oerr != nil {
		render.Error(w, r, oerr)
		return
	}
	for _, o := range orgs {
		view.Committees = append(view.Committees, option{o.Name, o.Name, contains(q.Filter.Committees, o.Name)})
	}
	for _, k := range documents.Kinds {
		view.Kinds = append(view.Kinds, option{k, render.T(lang, "kind."+k), contains(q.Filter.Kinds, k)})
	}
	status := http.StatusOK
	if err != nil {
		p.Error, status = ratsmappe.ErrorMessage(err), http.StatusBadRequest
		render.HTML(w, r, status, "search", p)
		return
	}
	page, _ := strconv.Atoi(vals.Get("page"))
	if page < 1 {
		page = 1
	}
	q.Offset, q.Limit = (page-1)*searchPageSize, searchPageSize
	if q.Text == "" && len(q.Filter.Committees)+len(q.Filter.Kinds)+len(q.Filter.Meetings) == 0 && q.Filter.From.IsZero() && q.Filter.To.IsZero() {
		render.HTML(w, r, status, "search", p)
		return
	}
	view.Searched = true
	var res *search.Result
	if s.cfg.Search == nil {
		err = errSearchUnavailable
	} else {
		res, err = s.cfg.Search.Search(ctx, q)
	}
	if err != nil {
		err = s.searchError(r, err)
		if ratsmappe.ErrorCode(err) == ratsmappe.EUNAVAILABLE {
			view.Unavailable = true
			p.Error, status = render.T(lang, "search.unavailable"), http.StatusServiceUnavailable
		} else {
			p.Error, status = ratsmappe.ErrorMessage(err), http.StatusBadRequest
		}
		render.HTML(w, r, status, "search", p)
		return
	}
	view.Total = res.Total
	if len(res.Hits) > 0 {
		view.From, view.To = q.Offset+1, q.Offset+len(res.Hits)
	}
	// with links to this search with key set to value (removed if value
	// is ""), from its first page.
	with := func(key, value string) string {
		u := url.Values{}
		for k, vs := range vals {
			if k != "page" && k != "lang" {
				u[k] = vs
			}
		}
		if value == "" {
			u.Del(key)
		} else {
			u.Set(key, value)
		}
		return "/search?" + u.Encode()
	}
	for _, h := range res.Hits {
		doc, file := hitURLs(h)
		sh := searchHit{Hit: h, Snippet: h.Snippet.HTML(), URL: doc, FileURL: file}
		if h.Meeting != "" {
			sh.MeetingURL = with("meeting", h.Meeting)
		}
		for _, pg := range h.Pages {
			if pg == h.Page {
				continue
			}
			hh := h
			hh.Page = pg
			d, f := hitURLs(hh)
			sh.OtherPages = append(sh.OtherPages, pageLink{pg, d, f})
		}
		view.Hits = append(view.Hits, sh)
	}
	for _, f := range res.Facets {
		fv := facetView{Name: f.Name, Label: render.T(lang, "search.facet."+f.Name)}
		for _, v := range f.Values {
			l := facetLink{Value: v.Value, Label: v.Value, Count: v.Count}
			switch f.Name {
			case search.FacetCommittee:
				l.URL, l.Active = with("committee", v.Value), contains(q.Filter.Committees, v.Value)
			case search.FacetKind:
				l.Label = render.T(lang, "kind."+v.Value)
				l.URL, l.Active = with("kind", v.Value), contains(q.Filter.Kinds, v.Value)
			case search.FacetYear:
				u := url.Values{}
				for k, vs := range vals {
					if k != "page" && k != "lang" && k != "from" && k != "to" {
						u[k] = vs
					}
				}
				u.Set("from", v.Value+"-01-01")
				u.Set("to", v.Value+"-12-31")
				l.URL = "/search?" + u.Encode()
				l.Active = vals.Get("from") == v.Value+"-01-01" && vals.Get("to") == v.Value+"-12-31"
			}
			fv.Values = append(fv.Values, l)
		}
		if len(fv.Values) > 0 {
			view.Facets = append(view.Facets, fv)
		}
	}
	view.ByNewest = with("sort", string(search.OrderNewest))
	view.ByRelevance = with("sort", "")
	if page > 1 {
		view.Prev = with("page", strconv.Itoa(page-1))
	}
	if q.Offset+len(res.Hits) < res.Total && q.Offset+searchPageSize <= search.MaxOffset {
		view.Next = with("page", strconv.Itoa(page+1))
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.HTML(w, r, status, "search", p)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
