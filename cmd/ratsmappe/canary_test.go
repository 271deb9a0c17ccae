package main_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/sessions/demo"
)

// The leak crawl's second half: every id the database holds, asked for
// directly on every route that takes it, by every role; the OParl API
// with and without modified_since; annotations; the reader's manifests.

// excludedWord is in the items clara is excluded from, and nowhere else.
var excludedWord = demo.ExcludedWord(canary)

// dbIDs are the ids of everything in the demo's database, and the
// committees each belongs to.
type dbIDs struct {
	documents, meetings, items, papers, files []int64
	organizations, persons                    []int64
	versions                                  [][2]int64 // document, number
	// hashes are the SHA-256 of every rendition and every original, with
	// the document they belong to
	hashes                 []hashOf
	minutes, consultations [][2]int64 // meeting or paper, id
	max                    int64
	// org[kind][id] are the names of the committees the object belongs to
	org map[string]map[int64]map[string]bool
	// excludedDoc is a document of an item clara is excluded from (of a
	// published meeting), publicDoc a public one of the Bauausschuss.
	excludedDoc, publicDoc int64
}

// enumerate opens the demo's SQLite file read-only and lists every id.
func enumerate(t *testing.T, data string) *dbIDs {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "ratsmappe.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	ids := &dbIDs{org: map[string]map[int64]map[string]bool{}}
	list := func(q string) []int64 {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			out = append(out, id)
			ids.max = max(ids.max, id)
		}
		return out
	}
	pairs := func(q string) [][2]int64 {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out [][2]int64
		for rows.Next() {
			var a, b int64
			rows.Scan(&a, &b)
			out = append(out, [2]int64{a, b})
			ids.max = max(ids.max, a, b)
		}
		return out
	}
	ids.documents = list(`SELECT id FROM documents ORDER BY id`)
	ids.organizations = list(`SELECT id FROM organizations ORDER BY id`)
	ids.persons = list(`SELECT id FROM persons ORDER BY id`)
	ids.meetings = list(`SELECT id FROM meetings ORDER BY id`)
	ids.items = list(`SELECT id FROM agenda_items ORDER BY id`)
	ids.papers = list(`SELECT id FROM papers ORDER BY id`)
	ids.files = list(`SELECT id FROM attachments ORDER BY id`)
	ids.versions = pairs(`SELECT document_id, number FROM versions ORDER BY document_id, number`)
	ids.minutes = pairs(`SELECT meeting_id, id FROM minutes ORDER BY id`)
	{
		rows, err := db.QueryContext(ctx, `SELECT document_id, sha256 FROM versions UNION SELECT document_id, original_sha256 FROM versions ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h hashOf
			rows.Scan(&h.document, &h.sha)
			ids.hashes = append(ids.hashes, h)
		}
		rows.Close()
	}
	ids.consultations = pairs(`SELECT paper_id, id FROM consultations ORDER BY id`)
	orgOf := map[string]string{
		"organization": `SELECT id, name FROM organizations`,
		"meeting":      `SELECT m.id, o.name FROM meetings m JOIN organizations o ON o.id = m.organization_id`,
		"item":         `SELECT i.id, o.name FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id JOIN organizations o ON o.id = m.organization_id`,
		"paper": `SELECT c.paper_id, o.name FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			JOIN meetings m ON m.id = i.meeting_id JOIN organizations o ON o.id = m.organization_id`,
		"consultation": `SELECT c.id, o.name FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			JOIN meetings m ON m.id = i.meeting_id JOIN organizations o ON o.id = m.organization_id`,
		"minutes": `SELECT x.id, o.name FROM minutes x JOIN meetings m ON m.id = x.meeting_id JOIN organizations o ON o.id = m.organization_id`,
		"file": `SELECT a.id, o.name FROM attachments a
			LEFT JOIN consultations c ON c.paper_id = a.paper_id
			JOIN agenda_items i ON i.id = COALESCE(a.agenda_item_id, c.agenda_item_id)
			JOIN meetings m ON m.id = i.meeting_id JOIN organizations o ON o.id = m.organization_id
			UNION SELECT a.id, o.name FROM attachments a JOIN meetings m ON m.id = a.meeting_id JOIN organizations o ON o.id = m.organization_id`,
	}
	for kind, q := range orgOf {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		ids.org[kind] = map[int64]map[string]bool{}
		for rows.Next() {
			var id int64
			var name string
			rows.Scan(&id, &name)
			if ids.org[kind][id] == nil {
				ids.org[kind][id] = map[string]bool{}
			}
			ids.org[kind][id][name] = true
		}
		rows.Close()
	}
	// A document belongs to the committees of its attachments and minutes.
	ids.org["document"] = map[int64]map[string]bool{}
	addDoc := func(doc int64, names map[string]bool) {
		if ids.org["document"][doc] == nil {
			ids.org["document"][doc] = map[string]bool{}
		}
		for n := range names {
			ids.org["document"][doc][n] = true
		}
	}
	for _, p := range pairs(`SELECT id, document_id FROM attachments`) {
		addDoc(p[1], ids.org["file"][p[0]])
	}
	for _, p := range pairs(`SELECT id, document_id FROM minutes`) {
		addDoc(p[1], ids.org["minutes"][p[0]])
	}
	db.QueryRowContext(ctx, `SELECT a.document_id FROM attachments a JOIN exclusions e ON e.agenda_item_id = a.agenda_item_id
		JOIN agenda_items i ON i.id = a.agenda_item_id JOIN meetings m ON m.id = i.meeting_id
		WHERE m.published_at IS NOT NULL ORDER BY a.id LIMIT 1`).Scan(&ids.excludedDoc)
	db.QueryRowContext(ctx, `SELECT a.document_id FROM attachments a JOIN agenda_items i ON i.id = a.agenda_item_id
		JOIN meetings m ON m.id = i.meeting_id JOIN organizations o ON o.id = m.organization_id
		WHERE a.public = 1 AND a.withdrawn_at IS NULL AND o.name = 'Bauausschuss' AND m.published_at IS NOT NULL AND i.public = 1
		ORDER BY a.id LIMIT 1`).Scan(&ids.publicDoc)
	// The demo's leak cases are all there.
	for what, q := range map[string]string{
		"embargoed meeting":    `SELECT COUNT(*) FROM meetings WHERE published_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')`,
		"withdrawn attachment": `SELECT COUNT(*) FROM attachments WHERE withdrawn_at IS NOT NULL AND public = 1`,
		"superseded version withdrawn": `SELECT COUNT(*) FROM versions v WHERE v.state = 'withdrawn'
			AND EXISTS (SELECT 1 FROM versions w WHERE w.document_id = v.document_id AND w.number > v.number AND w.state = 'active')`,
		"exclusion": `SELECT COUNT(*) FROM exclusions`,
	} {
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil || n == 0 {
			t.Errorf("the demo has no %s (%v)", what, err)
		}
	}
	if len(ids.documents) == 0 || len(ids.versions) == 0 || len(ids.files) == 0 || len(ids.minutes) == 0 || ids.excludedDoc == 0 || ids.publicDoc == 0 {
		t.Fatalf("enumerated too little: %d documents, %d versions, %d files, %d minutes, excluded %d, public %d",
			len(ids.documents), len(ids.versions), len(ids.files), len(ids.minutes), ids.excludedDoc, ids.publicDoc)
	}
	return ids
}

// hashOf is a content hash of one of a document's versions.
type hashOf struct {
	document int64
	sha      string
}

// fullResponse is a response with the headers that may tell ids apart.
type fullResponse struct {
	status int
	body   string
	header http.Header
}

func (c *crawler) fetch(path string) fullResponse {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), "GET", c.base+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s: %v", path, err)
	}
	c.requests++
	return fullResponse{resp.StatusCode, string(b), resp.Header}
}

var cookieValueRE = regexp.MustCompile(`=[^;]*`)

// fingerprint is everything of a response a client can see, but for
// what differs between any two requests (the date, fresh random cookie
// and CSRF token values).
func fingerprint(r fullResponse) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", r.status)
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.header[k] {
			if k == "Set-Cookie" {
				v = cookieValueRE.ReplaceAllString(v, "=")
			}
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString(csrfRE.ReplaceAllString(r.body, "$1=\"\""))
	return b.String()
}

// probe asks for every id on every route that takes it. An answer 200
// is checked for the crawler's word, unless exempt says the role may see
// what the object carries; any other answer must be the very answer to
// an id that does not exist.
func (c *crawler) probe(ids *dbIDs, exempt func(kind string, id int64) bool) (refused int) {
	c.t.Helper()
	missing := ids.max + 1000
	type route struct {
		kind  string
		paths []string
		ids   [][2]int64
	}
	single := func(xs []int64) [][2]int64 {
		out := make([][2]int64, len(xs))
		for i, x := range xs {
			out[i] = [2]int64{x, x}
		}
		return out
	}
	var multi [][2]int64 // consecutive versions, for the diffs
	for i := 1; i < len(ids.versions); i++ {
		if ids.versions[i][0] == ids.versions[i-1][0] {
			multi = append(multi, ids.versions[i])
		}
	}
	routes := []route{
		{"document", []string{"/documents/%[1]d", "/documents/%[1]d/diff", "/api/v1/documents/%[1]d/diff",
			"/api/v1/annotations?document=%[1]d", "/api/v1/documents/%[1]d/read"}, single(ids.documents)},
		{"document", []string{"/api/v1/documents/%[1]d/versions/%[2]d/file", "/api/v1/documents/%[1]d/versions/%[2]d/annotations.json",
			"/api/v1/documents/%[1]d/versions/%[2]d/annotations.pdf"}, ids.versions},
		{"document", []string{"/documents/%[1]d/diff?from=%[3]d&to=%[2]d", "/api/v1/documents/%[1]d/diff?from=%[3]d&to=%[2]d"}, multi},
		{"meeting", []string{"/meetings/%[1]d", "/api/v1/meetings/%[1]d", "/api/v1/meetings/%[1]d/packet.pdf",
			"/oparl/v1/meeting/%[1]d", "/api/v1/reader/meetings/%[1]d/manifest"}, single(ids.meetings)},
		{"item", []string{"/oparl/v1/agendaItem/%[1]d"}, single(ids.items)},
		{"paper", []string{"/papers/%[1]d", "/oparl/v1/paper/%[1]d"}, single(ids.papers)},
		{"file", []string{"/oparl/v1/file/%[1]d", "/oparl/v1/file/%[1]d/access", "/oparl/v1/file/%[1]d/download"}, single(ids.files)},
		{"minutes", []string{"/oparl/v1/meeting/%[1]d/protocol/%[2]d", "/oparl/v1/meeting/%[1]d/protocol/%[2]d/access",
			"/oparl/v1/meeting/%[1]d/protocol/%[2]d/download"}, ids.minutes},
		{"consultation", []string{"/oparl/v1/paper/%[1]d/consultation/%[2]d"}, ids.consultations},
		{"organization", []string{"/organizations/%[1]d", "/organizations/%[1]d/calendar.ics", "/organizations/%[1]d/documents.atom",
			"/oparl/v1/organization/%[1]d", "/oparl/v1/organization/%[1]d/meeting"}, single(ids.organizations)},
		{"person", []string{"/oparl/v1/person/%[1]d"}, single(ids.persons)},
	}
	for _, r := range routes {
		for _, tmpl := range r.paths {
			ref := c.fetch(fmt.Sprintf(tmpl, missing, missing, 1))
			if ref.status == 200 {
				c.t.Errorf("%s answers 200 for ids that do not exist", tmpl)
			}
			want := fingerprint(ref)
			for _, id := range r.ids {
				p := fmt.Sprintf(tmpl, id[0], id[1], id[1]-1)
				got := c.fetch(p)
				if got.status == 200 {
					if c.ok == nil {
						c.ok = map[string]int{}
					}
					c.ok[tmpl]++
					// which object decides: the second id of a pair
					// names the object but for versions (the document)
					obj := id[1]
					if r.kind == "document" {
						obj = id[0]
					}
					if exempt == nil || !exempt(r.kind, obj) {
						c.check(p, response{got.status, got.body, got.header.Get("Content-Type")})
					}
					continue
				}
				refused++
				if fp := fingerprint(got); fp != want {
					c.t.Errorf("LEAK: %s answers unlike an id that does not exist:\n%.500s\n---\n%.500s", p, fp, want)
				}
			}
		}
	}
	// Public files at content-addressed URLs: every rendition and every
	// original the database holds, against a hash that exists nowhere.
	ref := c.fetch("/files/" + strings.Repeat("0", 64) + ".pdf")
	if ref.status == 200 {
		c.t.Errorf("/files answers 200 for a hash that does not exist")
	}
	want := fingerprint(ref)
	for _, h := range ids.hashes {
		p := "/files/" + h.sha + ".pdf"
		got := c.fetch(p)
		if got.status == 200 {
			if c.ok == nil {
				c.ok = map[string]int{}
			}
			c.ok["/files/{sha256}.pdf"]++
			if exempt == nil || !exempt("document", h.document) {
				c.check(p, response{got.status, got.body, got.header.Get("Content-Type")})
			}
			continue
		}
		refused++
		if fp := fingerprint(got); fp != want {
			c.t.Errorf("LEAK: %s answers unlike a hash that does not exist:\n%.500s\n---\n%.500s", p, fp, want)
		}
	}
	return refused
}

// crawlOParl walks the OParl API from /oparl/v1/system: every list of
// every body, page by page along links.next, with and without
// modified_since, and the bytes of every file it lists.
func (c *crawler) crawlOParl(since string) (objects, deleted int) {
	c.t.Helper()
	origin := func(u string) string {
		p, err := url.Parse(u)
		if err != nil {
			c.t.Fatalf("OParl URL %q: %v", u, err)
		}
		return p.RequestURI()
	}
	getJSON := func(p string, v any) {
		r := c.get(p)
		c.check(p, r)
		if r.status != 200 {
			c.t.Fatalf("OParl %s: %d %.200s", p, r.status, r.body)
		}
		if err := json.Unmarshal([]byte(r.body), v); err != nil {
			c.t.Fatalf("OParl %s: %v", p, err)
		}
	}
	var system struct{ Body string }
	getJSON("/oparl/v1/system", &system)
	type list struct {
		Data  []map[string]any
		Links struct{ Next string }
	}
	walk := func(u string, each func(map[string]any)) {
		if since != "" {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + "modified_since=" + url.QueryEscape(since)
		}
		for p := origin(u); p != ""; {
			var l list
			getJSON(p, &l)
			for _, o := range l.Data {
				objects++
				if o["deleted"] == true {
					deleted++
				}
				each(o)
			}
			if l.Links.Next == "" {
				break
			}
			p = origin(l.Links.Next)
		}
	}
	files := map[string]bool{}
	walk(system.Body, func(body map[string]any) {
		for _, k := range []string{"organization", "person", "meeting", "paper", "legislativeTermList", "agendaItem", "consultation", "file", "locationList", "membership"} {
			u, _ := body[k].(string)
			if u == "" {
				continue
			}
			walk(u, func(o map[string]any) {
				if a, ok := o["accessUrl"].(string); ok {
					files[origin(a)] = true
				}
			})
		}
	})
	if since == "" {
		for p := range files {
			c.check(p, c.get(p))
		}
	}
	return objects, deleted
}

// annotateCanary has anna write private notes carrying the excluded
// word (and so the canary) on a public document and on a document of an
// item clara is excluded from: neither another member nor clara may
// ever read them.
func annotateCanary(t *testing.T, base, token string, ids *dbIDs) {
	t.Helper()
	anna := api{t, base, token}
	for i, doc := range []int64{ids.publicDoc, ids.excludedDoc} {
		anna.must(201, "PUT", fmt.Sprintf("/api/v1/annotations/5b0c7e10-9a1d-4c3e-8f00-00000000000%d", i+1), map[string]any{
			"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "commenting",
			"body":   map[string]any{"type": "TextualBody", "value": "Notiz " + excludedWord},
			"target": map[string]any{"source": fmt.Sprintf("/api/v1/documents/%d/versions/1", doc), "selector": []any{map[string]any{"type": "FragmentSelector", "value": "page=1"}}},
		})
	}
}

// pdfTexts caches pdftotext by content: the same PDF comes by many routes.
var pdfTexts = map[[32]byte]string{}

func cachedPDFText(t *testing.T, pdf string) string {
	k := sha256.Sum256([]byte(pdf))
	if s, ok := pdfTexts[k]; ok {
		return s
	}
	s := pdfText(t, pdf)
	pdfTexts[k] = s
	return s
}
