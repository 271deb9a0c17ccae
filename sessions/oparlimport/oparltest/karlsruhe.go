// Package oparltest serves the Karlsruhe corpus (../shared/corpus/
// karlsruhe, real OParl 1.1 objects of a real council) as an OParl
// endpoint for import tests, with the quirks of real servers switched on
// at will, and validates OParl objects against the JSON schemas in
// ../shared/oparl/schema.
package oparltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/textpdf"
)

// origin is the prefix of every id in the corpus; the server answers
// with its own base instead.
const origin = "https://web1.karlsruhe.de/oparl"

const schema = "https://schema.oparl.org/1.1/"

// Options chooses what the server serves.
type Options struct {
	// PaperFiles keeps the files of the first PaperFiles papers and
	// MeetingFiles those of the first MeetingFiles meetings; the others
	// are served without files, so that a test ingests a few hundred
	// PDFs, not four thousand.
	PaperFiles, MeetingFiles int
	// PageSize of the lists; default 50.
	PageSize int
	// Quirks makes the server behave like real ones: a single object
	// where an array belongs, an embedded object where a URL belongs and
	// URLs where objects belong, empty strings, a deleted entry without
	// type, and a 503 (with Retry-After) for the first request to a few
	// list pages.
	Quirks bool
}

// Server is the Karlsruhe corpus as an OParl endpoint. Its handler
// serves /oparl/system and everything reachable from there.
type Server struct {
	opt Options
	dir string

	mu       sync.Mutex
	orgs     []map[string]any
	meetings []map[string]any
	papers   []map[string]any
	extra    []map[string]any // deleted entries of the meeting list
	byID     map[string]map[string]any
	files    map[string]map[string]any // by download path
	pdfs     map[string][]byte
	fails    map[string]int // path → 503s still to answer
	broken   string         // id of the file served as HTML, not PDF
	requests int
}

// NewKarlsruhe loads the corpus from dir (…/shared/corpus/karlsruhe).
func NewKarlsruhe(dir string, opt Options) (*Server, error) {
	if opt.PageSize <= 0 {
		opt.PageSize = 50
	}
	s := &Server{opt: opt, dir: dir, byID: map[string]map[string]any{}, files: map[string]map[string]any{}, pdfs: map[string][]byte{}, fails: map[string]int{}}
	for _, f := range []struct {
		name string
		into *[]map[string]any
	}{{"organizations.json", &s.orgs}, {"meetings.json", &s.meetings}, {"papers.json", &s.papers}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(f.into); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	for i, m := range s.meetings {
		if i >= opt.MeetingFiles {
			delete(m, "invitation")
			delete(m, "resultsProtocol")
			delete(m, "verbatimProtocol")
			delete(m, "auxiliaryFile")
			for _, it := range list(m["agendaItem"]) {
				delete(it, "auxiliaryFile")
			}
		}
		for _, it := range list(m["agendaItem"]) {
			s.byID[str(it["id"])] = it
		}
	}
	for i, p := range s.papers {
		if i >= opt.PaperFiles {
			delete(p, "mainFile")
			delete(p, "auxiliaryFile")
		}
	}
	for _, all := range [][]map[string]any{s.orgs, s.meetings, s.papers} {
		for _, o := range all {
			s.byID[str(o["id"])] = o
			s.indexFiles(o)
		}
	}
	if opt.Quirks {
		s.quirks()
	}
	return s, nil
}

func list(v any) []map[string]any {
	switch v := v.(type) {
	case []any:
		var out []map[string]any
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case map[string]any:
		return []map[string]any{v}
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

// indexFiles records every File embedded in o by its download paths.
func (s *Server) indexFiles(o map[string]any) {
	for _, k := range []string{"mainFile", "auxiliaryFile", "invitation", "resultsProtocol", "verbatimProtocol"} {
		for _, f := range list(o[k]) {
			s.byID[str(f["id"])] = f
			for _, u := range []string{str(f["accessUrl"]), str(f["downloadUrl"])} {
				if u != "" {
					s.files[strings.TrimPrefix(u, origin)] = f
				}
			}
		}
	}
	for _, it := range list(o["agendaItem"]) {
		s.indexFiles(it)
	}
}

func (s *Server) quirks() {
	// A single File object where the list belongs.
	for _, p := range s.papers {
		if fs, ok := p["auxiliaryFile"].([]any); ok && len(fs) == 1 {
			p["auxiliaryFile"] = fs[0]
			break
		}
	}
	// An embedded organization where its URL belongs, a single URL where
	// the list belongs, agenda items as URLs instead of objects.
	org := map[string]any{}
	for _, o := range s.orgs {
		if o["id"] == list2(s.meetings[0]["organization"]) {
			org = o
		}
	}
	if len(org) > 0 {
		s.meetings[0]["organization"] = []any{org}
	}
	if len(s.meetings) > 1 {
		s.meetings[1]["organization"] = list2(s.meetings[1]["organization"])
	}
	if len(s.meetings) > 2 {
		var urls []any
		for _, it := range list(s.meetings[2]["agendaItem"]) {
			urls = append(urls, it["id"])
		}
		s.meetings[2]["agendaItem"] = urls
	}
	// Empty strings where there is no value.
	s.orgs[0]["endDate"] = ""
	s.orgs[0]["website"] = ""
	// A deleted entry without type, of an object the importer never saw.
	s.extra = append(s.extra, map[string]any{"id": origin + "/bodies/0001/meetings/1", "deleted": true, "modified": "2025-06-01T10:00:00+02:00"})
	// One file that is no PDF (a server's error page): a typed rejection.
	for _, p := range s.papers {
		if fs := list(p["auxiliaryFile"]); len(fs) > 0 {
			s.broken = str(fs[0]["id"])
			break
		}
	}
	// 503s, each once, on a few pages.
	for _, p := range []string{"/bodies/0001/organizations", "/bodies/0001/papers?page=2", "/bodies/0001/meetings?page=2"} {
		s.fails[p] = 1
	}
}

func list2(v any) string {
	if a, ok := v.([]any); ok && len(a) > 0 {
		return str(a[0])
	}
	return str(v)
}

// Requests returns how many requests the server answered.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Counts returns how many organizations, meetings, agenda items, papers
// and distinct files the server serves.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := map[string]int{"organization": len(s.orgs), "meeting": len(s.meetings), "paper": len(s.papers)}
	for _, m := range s.meetings {
		c["agenda_item"] += len(list(m["agendaItem"]))
		if urls, ok := m["agendaItem"].([]any); ok && len(list(urls)) == 0 {
			c["agenda_item"] += len(urls)
		}
	}
	ids := map[string]bool{}
	for _, f := range s.files {
		ids[str(f["id"])] = true
	}
	c["file"] = len(ids)
	return c
}

// Change applies change to the object with OParl id id (as in the corpus,
// https://web1.karlsruhe.de/…) and sets its modified to now.
func (s *Server) Change(id string, change func(o map[string]any)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byID[id]
	if o == nil {
		return false
	}
	change(o)
	o["modified"] = time.Now().Format(time.RFC3339)
	return true
}

// Object returns a copy of the object with OParl id id, with corpus URLs.
func (s *Server) Object(id string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.byID[id])
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// Papers, Meetings return the ids of the served objects in list order.
func (s *Server) Papers() []string   { return ids(s.papers) }
func (s *Server) Meetings() []string { return ids(s.meetings) }

func ids(all []map[string]any) []string {
	var out []string
	for _, o := range all {
		out = append(out, str(o["id"]))
	}
	return out
}

// ServeHTTP serves the endpoint under /oparl.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	key := strings.TrimPrefix(r.URL.Path, "/oparl")
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	if s.fails[key] > 0 {
		s.fails[key]--
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	s.mu.Unlock()
	base := "http://" + r.Host + "/oparl"
	p := strings.TrimPrefix(r.URL.Path, "/oparl")
	switch {
	case p == "/system":
		s.json(w, base, map[string]any{"id": origin + "/system", "type": schema + "System", "oparlVersion": schema,
			"body": origin + "/bodies", "name": "Stadt Karlsruhe (Testkorpus)", "created": "2014-01-01T00:00:00+01:00", "modified": "2025-01-01T00:00:00+01:00"})
	case p == "/bodies":
		s.page(w, r, base, []map[string]any{s.body()})
	case p == "/bodies/0001":
		s.json(w, base, s.body())
	case p == "/bodies/0001/organizations":
		s.page(w, r, base, s.orgs)
	case p == "/bodies/0001/meetings":
		s.page(w, r, base, append(append([]map[string]any{}, s.meetings...), s.extra...))
	case p == "/bodies/0001/papers":
		s.page(w, r, base, s.papers)
	case p == "/bodies/0001/persons" || p == "/bodies/0001/memberships" || p == "/bodies/0001/legislativeterms":
		s.page(w, r, base, nil)
	case strings.HasPrefix(p, "/bodies/0001/downloadfiles/"):
		s.pdf(w, p)
	default:
		s.mu.Lock()
		o := s.byID[origin+p]
		s.mu.Unlock()
		if o == nil {
			http.Error(w, `{"type": "https://schema.oparl.org/1.1/Error", "message": "not found"}`, http.StatusNotFound)
			return
		}
		s.json(w, base, o)
	}
}

func (s *Server) body() map[string]any {
	b := origin + "/bodies/0001"
	return map[string]any{"id": b, "type": schema + "Body", "system": origin + "/system", "name": "Stadt Karlsruhe", "shortName": "Karlsruhe",
		"organization": b + "/organizations", "person": b + "/persons", "meeting": b + "/meetings", "paper": b + "/papers",
		"membership": b + "/memberships", "legislativeTermList": b + "/legislativeterms", "legislativeTerm": []any{},
		"created": "2014-01-01T00:00:00+01:00", "modified": "2025-01-01T00:00:00+01:00"}
}

// json writes v with the corpus's URLs turned into this server's.
func (s *Server) json(w http.ResponseWriter, base string, v any) {
	s.mu.Lock()
	b, err := json.Marshal(v)
	s.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	b = bytes.ReplaceAll(b, []byte(origin), []byte(base))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}

// page serves one page of all, filtered by modified_since, with
// links.next as long as there are more.
func (s *Server) page(w http.ResponseWriter, r *http.Request, base string, all []map[string]any) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("modified_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			http.Error(w, "bad modified_since", http.StatusBadRequest)
			return
		}
		since = t
	}
	s.mu.Lock()
	var kept []map[string]any
	for _, o := range all {
		if m, err := time.Parse(time.RFC3339, str(o["modified"])); since.IsZero() || (err == nil && !m.Before(since)) {
			kept = append(kept, o)
		}
	}
	s.mu.Unlock()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	from := min((page-1)*s.opt.PageSize, len(kept))
	to := min(from+s.opt.PageSize, len(kept))
	self := base + strings.TrimPrefix(r.URL.Path, "/oparl")
	links := map[string]any{}
	if to < len(kept) {
		nq := q
		nq.Set("page", strconv.Itoa(page+1))
		links["next"] = self + "?" + nq.Encode()
	}
	data := kept[from:to]
	if data == nil {
		data = []map[string]any{}
	}
	s.json(w, base, map[string]any{"data": data, "links": links,
		"pagination": map[string]any{"totalElements": len(kept), "elementsPerPage": s.opt.PageSize, "currentPage": page}})
}

// pdf serves a file's bytes: a PDF typeset from the corpus text of the
// file (text/<number>.txt), or from its name if the corpus has no text.
func (s *Server) pdf(w http.ResponseWriter, p string) {
	s.mu.Lock()
	f := s.files[p]
	cached := s.pdfs[p]
	s.mu.Unlock()
	if f == nil {
		http.NotFound(w, nil)
		return
	}
	if str(f["id"]) == s.broken && s.broken != "" {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Wartungsarbeiten</body></html>"))
		return
	}
	if cached == nil {
		id := str(f["id"])
		num := id[strings.LastIndex(id, "/")+1:]
		text, err := os.ReadFile(filepath.Join(s.dir, "text", num+".txt"))
		if err != nil {
			text = []byte(str(f["name"]) + "\n\n(Im Testkorpus gibt es zu dieser Datei keinen Text.)")
		}
		var buf bytes.Buffer
		if _, err := textpdf.Write(&buf, textpdf.Doc{Title: str(f["name"]), Author: "Stadt Karlsruhe", Header: "Stadt Karlsruhe · Testkorpus",
			Blocks: textpdf.FromText(string(text))}); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		cached = buf.Bytes()
		s.mu.Lock()
		// Both download paths of the file serve the same bytes.
		for _, u := range []string{str(f["accessUrl"]), str(f["downloadUrl"])} {
			s.pdfs[strings.TrimPrefix(u, origin)] = cached
		}
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Write(cached)
}

// Broken returns the id of the file served as HTML (with Quirks).
func (s *Server) Broken() string { return s.broken }

// FileIDs returns the ids of the files served, sorted.
func (s *Server) FileIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, f := range s.files {
		seen[str(f["id"])] = true
	}
	var out []string
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
