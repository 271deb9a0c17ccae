// Package oparl is the OParl 1.1 surface of web: the read API under
// /oparl/v1/ (entry: GET /oparl/v1/system) that mirrors, syndicators and
// importers follow. It builds the objects of package oparl (the types,
// imported under the same name) from the stores; web/routes.go registers
// its handlers.
//
// Everything here reads as the anonymous viewer (access.Viewer{}),
// whoever asks: OParl is a public standard, the store's policy decides
// what is public, and a response never depends on a cookie or token.
//
// Implemented: System, Body, Organization, Person, Membership,
// LegislativeTerm, Meeting (with embedded AgendaItem, Location, files),
// AgendaItem, Paper (with embedded Consultation and files), Consultation,
// File (accessUrl inline, downloadUrl attachment, sha512Checksum, text),
// Location (one per meeting with a location text). External lists: the
// body's organization, person, meeting, paper, legislativeTermList,
// membership and locationList, and an organization's meeting list; keyset
// pages of oparlPageSize, ordered by id, links.next continuing after the
// last id, with created_since, created_until, modified_since,
// modified_until, omit_internal and limit carried through every link.
// CORS, ETag/If-None-Match on every JSON answer.
//
// Deleted objects: every object that was public once and is not any more
// answers as {id, type, created, modified, deleted: true} at its URL and in
// its lists with modified_since; "public once" is read from the
// publication ledger (deleted.go), never from the audit log.
//
// Published public minutes are Meeting.resultsProtocol, as Files at
// /oparl/v1/meeting/{mid}/protocol/{id} (minutes are no attachments).
//
// Lists that grow with the years are read a page at a time in SQL and
// their objects built from folders read for the page (lists.go);
// bodies, organizations, persons, memberships and legislative terms are
// read whole and cut to the page.
//
// Missing (known gaps): Person.status.
package oparl

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// oparlPageSize is the default number of objects per list page; a client
// may ask for fewer or more (up to oparlMaxPageSize) with limit.
const (
	oparlPageSize    = 50
	oparlMaxPageSize = 200
	// oparlMaxSkip bounds what page=n (links of the old format) skips:
	// the objects before the page are built to find where it starts.
	oparlMaxSkip = 10000
)

// Config is what the OParl API reads, and what it says about the body
// that the database does not hold (empty: left out of the answers).
type Config struct {
	Sessions  *sessions.Store
	Documents *documents.Service
	// Live has the closed votes of the extension "ratsmappe:votes"; nil:
	// none are shown.
	Live *live.Store
	// AGS is the body's Amtlicher Gemeindeschlüssel (Body.ags): eight
	// digits.
	AGS string
	// License is the URL of the license the data are published under
	// (System.license and Body.license), e.g.
	// https://creativecommons.org/licenses/by/4.0/.
	License string
}

// Handler serves the OParl API.
type Handler struct {
	cfg Config
}

// New returns the OParl API's handlers. It refuses an AGS that is not
// eight digits and a license that is not an absolute http(s) URL, so that
// a typo in the configuration stops the start instead of reaching every
// mirror.
func New(cfg Config) (*Handler, error) {
	if cfg.AGS != "" {
		if len(cfg.AGS) != 8 || strings.Trim(cfg.AGS, "0123456789") != "" {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Der Amtliche Gemeindeschlüssel (AGS) hat acht Ziffern, nicht %q. / The AGS has eight digits.", cfg.AGS)
		}
	}
	if cfg.License != "" {
		u, err := url.Parse(cfg.License)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Die Lizenz ist als vollständige URL anzugeben, nicht %q. / The license must be an absolute URL.", cfg.License)
		}
	}
	return &Handler{cfg: cfg}, nil
}

// oparlViewer is the only viewer OParl reads as: anonymous.
var oparlViewer = access.Viewer{}

// CORS lets any web page read the API (OParl 1.1, chapter CORS).
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since")
		h.Set("Access-Control-Expose-Headers", "ETag")
		next.ServeHTTP(w, r)
	})
}

// oparlBase is the absolute URL of the API root, e.g.
// https://rat.example.org/oparl/v1 (see baseURL).
func oparlBase(r *http.Request) string { return request.BaseURL(r) + "/oparl/v1" }

// oparlQuery is a list request's filters, parsed and validated.
type oparlQuery struct {
	createdSince, createdUntil, modifiedSince, modifiedUntil time.Time
	omitInternal                                             bool
	page, limit                                              int
	// after is the key (id) the page continues after: the keyset cursor
	// of links.next.
	after int64
	// params are the filter parameters as given, carried into every link.
	params url.Values
}

func parseOParlQuery(r *http.Request) (*oparlQuery, error) {
	q := &oparlQuery{page: 1, limit: oparlPageSize, params: url.Values{}}
	in := r.URL.Query()
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"created_since", &q.createdSince}, {"created_until", &q.createdUntil},
		{"modified_since", &q.modifiedSince}, {"modified_until", &q.modifiedUntil}} {
		v := in.Get(f.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "%s ist keine vollständige Zeitangabe (yyyy-mm-ddThh:mm:ss±hh:mm).", f.name)
		}
		*f.t = t
		q.params.Set(f.name, v)
	}
	if v := in.Get("omit_internal"); v != "" {
		q.omitInternal = v == "true"
		q.params.Set("omit_internal", v)
	}
	if v := in.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "limit ist keine positive Zahl.")
		}
		q.limit = min(n, oparlMaxPageSize)
		q.params.Set("limit", strconv.Itoa(q.limit))
	}
	if v := in.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "after ist keine gültige Listenposition.")
		}
		q.after = n
	}
	if v := in.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "page ist keine positive Seitenzahl.")
		}
		q.page = n
	}
	return q, nil
}

// match reports whether an object with these times passes the filters.
func (q *oparlQuery) match(created, modified time.Time) bool {
	c, m := created.Truncate(time.Second), modified.Truncate(time.Second)
	return (q.createdSince.IsZero() || !c.Before(q.createdSince)) &&
		(q.createdUntil.IsZero() || !c.After(q.createdUntil)) &&
		(q.modifiedSince.IsZero() || !m.Before(q.modifiedSince)) &&
		(q.modifiedUntil.IsZero() || !m.After(q.modifiedUntil))
}

// pageURL is the canonical URL of the page of the list at listURL that
// continues after key after (the first page if 0): filter parameters
// sorted by name (url.Values.Encode), the cursor with them.
func (q *oparlQuery) pageURL(listURL string, after int64) string {
	v := url.Values{}
	for k, vs := range q.params {
		v[k] = vs
	}
	if after > 0 {
		v.Set("after", strconv.FormatInt(after, 10))
	}
	if len(v) == 0 {
		return listURL
	}
	return listURL + "?" + v.Encode()
}

// oparlItem is one object of a list, with the times the filters need and
// the id that orders the list.
type oparlItem struct {
	id                int64
	created, modified time.Time
	deleted           bool
	obj               any
}

// oparlLister returns one page of a list as the anonymous viewer sees
// it: the objects with keys after q.after, in key order, at most q.limit
// of them, filtered by q (deleted ones, marked, only if q asks with
// modified_since); and the key the next page continues after, 0 if this
// is the last page.
type oparlLister func(r *http.Request, q *oparlQuery) (items []oparlItem, next int64, err error)

// list serves an external object list: filtered, ordered by id
// (stable: ids never change), a keyset page at a time — links.next
// carries the last key as after. page=n (links of earlier versions)
// still works: the keys of the pages before it are skipped first.
func (s *Handler) list(w http.ResponseWriter, r *http.Request, list oparlLister) {
	q, err := parseOParlQuery(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if q.page > 1 && q.after == 0 {
		// The pages before page n as one page: its last key is
		// where page n starts. That costs what an offset costs, so
		// it is bounded; links.next never leads here.
		if q.page > oparlMaxSkip/q.limit {
			render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "page ist zu groß: bitte links.next folgen. / page is too large: follow links.next."))
			return
		}
		skip := *q
		skip.limit = (q.page - 1) * q.limit
		items, next, err := list(r, &skip)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		if next == 0 || len(items) == 0 {
			render.Error(w, r, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Diese Listenseite gibt es nicht."))
			return
		}
		q.after = next
	}
	items, next, err := list(r, q)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	listURL := oparlBase(r) + strings.TrimPrefix(r.URL.Path, "/oparl/v1")
	p := oparl.List{
		Data:       make([]any, 0, len(items)),
		Pagination: oparl.Pagination{ElementsPerPage: q.limit},
		Links:      oparl.Links{First: q.pageURL(listURL, 0), Self: q.pageURL(listURL, q.after)},
	}
	for _, it := range items {
		p.Data = append(p.Data, it.obj)
	}
	if next != 0 {
		p.Links.Next = q.pageURL(listURL, next)
	}
	writeOParl(w, r, p)
}

// wholeList is the lister of a list read whole (oparlPageOf).
func wholeList(all func(r *http.Request, q *oparlQuery) ([]oparlItem, error)) oparlLister {
	return func(r *http.Request, q *oparlQuery) ([]oparlItem, int64, error) {
		items, err := all(r, q)
		if err != nil {
			return nil, 0, err
		}
		page, next := oparlPageOf(items, q)
		return page, next, nil
	}
}

// pageFilter is the store's filter for the page q asks of body bodyID's
// list.
func (q *oparlQuery) pageFilter(bodyID int64) sessions.PublicListFilter {
	return sessions.PublicListFilter{BodyID: bodyID, After: q.after, Limit: q.limit,
		CreatedSince: q.createdSince, CreatedUntil: q.createdUntil, ModifiedSince: q.modifiedSince, ModifiedUntil: q.modifiedUntil}
}

// nextKey is the key after which the list continues: the page's last if
// there is more, else 0.
func nextKey(page []oparlItem, more bool) int64 {
	if !more || len(page) == 0 {
		return 0
	}
	return page[len(page)-1].id
}

// oparlPageOf cuts the page q asks for out of a whole list (the small
// lists that do not grow with the council's work: bodies, organizations,
// legislative terms — tens of rows, read in one or two queries).
func oparlPageOf(all []oparlItem, q *oparlQuery) ([]oparlItem, int64) {
	slices.SortStableFunc(all, func(a, b oparlItem) int { return cmp.Compare(a.id, b.id) })
	var out []oparlItem
	for _, it := range all {
		if it.id <= q.after || !q.match(it.created, it.modified) || (it.deleted && q.modifiedSince.IsZero()) {
			continue
		}
		if len(out) == q.limit {
			return out, out[len(out)-1].id
		}
		out = append(out, it)
	}
	return out, 0
}

// object serves one object.
func (s *Handler) object(w http.ResponseWriter, r *http.Request, get func(r *http.Request) (any, error)) {
	obj, err := get(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	writeOParl(w, r, obj)
}

// writeOParl writes v as JSON (UTF-8, no HTML escaping, as OParl asks)
// with an ETag of its bytes, answering If-None-Match with 304. The data
// is public and the same for everyone, so caches may keep it but must
// revalidate: an object can stop being public at any time.
func writeOParl(w http.ResponseWriter, r *http.Request, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(buf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, no-cache")
	if request.ETagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// oparlID reads the numeric URL parameter name; a malformed one (leading
// zeros included: URLs are canonical) is not found.
func oparlID(r *http.Request, name string) (int64, error) {
	raw := chi.URLParam(r, name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	return id, nil
}
