package main_test

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/mmcdole/gofeed"
)

type demoResult struct {
	Accounts []struct {
		Name, Role, Password, Token string
	}
	Meetings []struct {
		ID           int64
		Name         string
		Organization string
		State        string
	}
	Documents int
}

// canary is letters only, so that suggestions would offer it if they
// could (words with digits are never suggested).
const canary = "KANARIENVOGELQX"

// The demo council loads into an empty data directory, refuses a second
// time, and its accounts work.
func TestDemo(t *testing.T) {
	c := newCLI(t)
	var res demoResult
	if err := json.Unmarshal([]byte(c.run("demo", "--json", "--canary", canary)), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Meetings) < 30 || res.Documents < 200 || len(res.Accounts) != 5 {
		t.Fatalf("demo too small: %d meetings, %d documents, %d accounts", len(res.Meetings), res.Documents, len(res.Accounts))
	}
	states := map[string]int{}
	for _, m := range res.Meetings {
		states[m.State]++
	}
	if states["draft"] == 0 || states["embargoed"] != 1 || states["published"] == 0 {
		t.Errorf("meeting states %v: want drafts, one embargoed, published", states)
	}
	cmd := c.command(t.Context(), "demo")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "schon Daten") {
		t.Errorf("second demo load: %v %s", err, out)
	}

	// A citizen crawls everything reachable, and asks for every meeting
	// and document by id: the canary never appears, and refused ids
	// answer exactly like ids that do not exist.
	ids := enumerate(t, c.data)
	base, stop := c.serve(t)
	tokens := map[string]string{}
	for _, a := range res.Accounts {
		tokens[a.Name] = a.Token
	}
	annotateCanary(t, base, tokens["anna"], ids)
	crawl := newCrawler(t, base, "")
	crawl.visit("/")
	crawl.visit("/organizations")
	crawl.visit("/meetings")
	crawl.visit("/api/v1/meetings")
	missingMeeting := crawl.get("/api/v1/meetings/999999")
	missingPage := crawl.get("/meetings/999999")
	for _, m := range res.Meetings {
		api := crawl.get(fmt.Sprintf("/api/v1/meetings/%d", m.ID))
		page := crawl.get(fmt.Sprintf("/meetings/%d", m.ID))
		if m.State != "published" {
			if api != missingMeeting || !sameStatusBody(page, missingPage) {
				t.Errorf("%s meeting %d does not answer like a missing one", m.State, m.ID)
			}
			continue
		}
		crawl.visit(fmt.Sprintf("/meetings/%d", m.ID))
		crawl.visit(fmt.Sprintf("/api/v1/meetings/%d", m.ID))
		crawl.visit(fmt.Sprintf("/api/v1/meetings/%d/packet.pdf", m.ID))
	}
	missingFile := crawl.get("/api/v1/documents/999999/versions/1/file")
	for id := 1; id <= res.Documents+5; id++ {
		for v := 1; v <= 2; v++ {
			p := fmt.Sprintf("/api/v1/documents/%d/versions/%d/file", id, v)
			if r := crawl.get(p); r.status == 200 {
				crawl.check(p, r)
			} else if r != missingFile {
				t.Errorf("%s answers %d %q, unlike a missing file", p, r.status, r.body)
			}
		}
	}
	checkFeeds(t, crawl)
	waitForSearch(t, crawl)
	checkSearchLeak(t, crawl, "", true)
	checkSearchLeak(t, crawl, "&committee=Bauausschuss&kind=draft_resolution", false)
	refused := crawl.probe(ids, nil)
	objects, _ := crawl.crawlOParl("")
	since, deleted := crawl.crawlOParl("2000-01-01T00:00:00Z")
	if objects == 0 || since < objects || deleted == 0 {
		t.Errorf("OParl: %d objects, %d with modified_since of which %d deleted: want the deleted ones too", objects, since, deleted)
	}
	t.Logf("anonymous crawl: %d requests (%d refused ids, all like missing ones; OParl %d objects, %d with modified_since, %d deleted), %d PDFs read, canary found %d times",
		crawl.requests, refused, objects, since, deleted, crawl.pdfs, crawl.found)
	if crawl.pdfs < 50 {
		t.Errorf("only %d PDFs seen: the crawl did not reach the documents", crawl.pdfs)
	}

	// A member of other committees (bernd: Gemeinderat, Planungsausschuss,
	// Umweltausschuss) crawls the meetings of the committees he is not on,
	// their documents, papers and packets: no canary either.
	var berndToken string
	for _, a := range res.Accounts {
		if a.Name == "bernd" {
			berndToken = a.Token
		}
	}
	his := map[string]bool{"Gemeinderat": true, "Planungsausschuss": true, "Ausschuss für Umwelt und Gesundheit": true}
	member := newCrawler(t, base, berndToken)
	member.scope = []string{"/meetings/", "/documents/", "/papers/", "/api/v1/meetings/", "/api/v1/documents/"}
	for _, m := range res.Meetings {
		if m.State == "published" && !his[m.Organization] {
			member.visit(fmt.Sprintf("/meetings/%d", m.ID))
			member.visit(fmt.Sprintf("/api/v1/meetings/%d", m.ID))
			member.visit(fmt.Sprintf("/api/v1/meetings/%d/packet.pdf", m.ID))
		}
	}
	// His search over the committees he is not on finds the canary no
	// more than a nonsense word. (Unfiltered, it rightly finds the
	// non-public documents of his own committees.)
	others := map[string]bool{}
	for _, m := range res.Meetings {
		if !his[m.Organization] {
			others[m.Organization] = true
		}
	}
	for org := range others {
		checkSearchLeak(t, member, "&committee="+url.QueryEscape(org), false)
	}
	// Unfiltered, he does find the non-public documents of his own
	// committees — and only of those.
	var own struct {
		Total int
		Hits  []struct{ Committee string }
	}
	mine := member.get("/api/v1/search?limit=100&q=" + canary)
	if err := json.Unmarshal([]byte(mine.body), &own); err != nil || own.Total == 0 {
		t.Errorf("a member does not find the non-public documents of his committees: %d %.200s", mine.status, mine.body)
	}
	for _, h := range own.Hits {
		if !his[h.Committee] {
			t.Errorf("LEAK: a member finds the canary in a document of %q", h.Committee)
		}
	}
	member.scope = nil
	refused = member.probe(ids, func(kind string, id int64) bool {
		for n := range ids.org[kind][id] {
			if his[n] {
				return true
			}
		}
		return false
	})
	for _, p := range []string{"/api/v1/annotations/changes", "/api/v1/reads", "/calendar.ics", "/feeds/documents.atom", "/sitemap.xml", "/"} {
		r := member.get(p)
		if p == "/" {
			// His start page lists the council's agenda, which carries
			// the Bauausschuss paper Clara is excluded from on its second
			// reading: he sits on the council, so that item is his to see.
			r.body = strings.ReplaceAll(r.body, excludedWord, "")
		}
		member.check(p, r)
	}
	// OParl reads as the public whoever asks; a token widens nothing.
	if n, _ := member.crawlOParl("2000-01-01T00:00:00Z"); n != since {
		t.Errorf("OParl with a member's token: %d objects, anonymous %d", n, since)
	}
	t.Logf("member of other committees: %d requests (%d refused ids), %d PDFs read, canary found %d times", member.requests, refused, member.pdfs, member.found)
	if member.requests < 100 {
		t.Errorf("member's crawl made only %d requests", member.requests)
	}

	// clara sits on the Bauausschuss and is excluded from one of its
	// non-public items in every meeting: she crawls her committees'
	// meetings, asks for every id, searches, syncs annotations; the word
	// of the items she is excluded from never appears.
	hers := map[string]bool{"Gemeinderat": true, "Bauausschuss": true, "Ausschuss für Bildung und Soziales": true}
	excluded := newCrawler(t, base, tokens["clara"])
	excluded.word = excludedWord
	excluded.scope = []string{"/meetings/", "/documents/", "/papers/", "/api/v1/meetings/", "/api/v1/documents/"}
	for _, m := range res.Meetings {
		if m.State == "published" && hers[m.Organization] {
			excluded.visit(fmt.Sprintf("/meetings/%d", m.ID))
			excluded.visit(fmt.Sprintf("/api/v1/meetings/%d", m.ID))
			excluded.visit(fmt.Sprintf("/api/v1/meetings/%d/packet.pdf", m.ID))
		}
	}
	excluded.scope = nil
	refused = excluded.probe(ids, nil)
	for _, p := range []string{"/api/v1/annotations/changes", "/api/v1/reads", "/calendar.ics", "/feeds/documents.atom", "/sitemap.xml", "/"} {
		excluded.check(p, excluded.get(p))
	}
	if n, _ := excluded.crawlOParl("2000-01-01T00:00:00Z"); n != since {
		t.Errorf("OParl with a member's token: %d objects, anonymous %d", n, since)
	}
	// Her probe reached every channel: each route answered her for
	// some id (but the minutes of draft meetings' protocols, which the
	// demo has none of unpublished).
	for _, tmpl := range []string{"/api/v1/reader/meetings/%[1]d/manifest", "/api/v1/annotations?document=%[1]d",
		"/api/v1/documents/%[1]d/versions/%[2]d/annotations.json", "/api/v1/documents/%[1]d/versions/%[2]d/annotations.pdf",
		"/api/v1/meetings/%[1]d/packet.pdf", "/oparl/v1/file/%[1]d/access", "/documents/%[1]d/diff?from=%[3]d&to=%[2]d"} {
		if excluded.ok[tmpl] == 0 {
			t.Errorf("the excluded member's probe never got an answer from %s", tmpl)
		}
	}
	nonsenseLong := nonsense + "ZIRBELNUSS"
	checkSearchLeakOf(t, excluded, excludedWord, nonsenseLong, "", true, []int{len(canary) + 2, len(excludedWord) - 1})
	checkSearchLeakOf(t, excluded, excludedWord, nonsenseLong, "&committee=Bauausschuss", false, nil)
	t.Logf("excluded member: %d requests (%d refused ids), %d PDFs read, excluded item's word found %d times", excluded.requests, refused, excluded.pdfs, excluded.found)
	if excluded.requests < 100 {
		t.Errorf("excluded member's crawl made only %d requests", excluded.requests)
	}

	// The same crawl as the office does find the canary: it is in the
	// data, and the crawler reaches it — so the zero above means something.
	var clerk string
	for _, a := range res.Accounts {
		if a.Role == "clerk" {
			clerk = a.Token
		}
	}
	office := newCrawler(t, base, clerk)
	office.expectCanary = true
	office.visit(fmt.Sprintf("/api/v1/meetings/%d", res.Meetings[len(res.Meetings)-1].ID))
	for _, m := range res.Meetings {
		office.visit(fmt.Sprintf("/meetings/%d", m.ID))
	}
	if office.found == 0 {
		t.Errorf("the office's crawl never saw the canary: the leak test proves nothing")
	}
	// The excluded item's word and anna's notes are there to be found.
	if r := office.get(fmt.Sprintf("/documents/%d", ids.excludedDoc)); !strings.Contains(r.body, excludedWord) {
		t.Errorf("the office does not see the excluded item's word in document %d: %d", ids.excludedDoc, r.status)
	}
	for _, doc := range []int64{ids.publicDoc, ids.excludedDoc} {
		anna := newCrawler(t, base, tokens["anna"])
		if r := anna.get(fmt.Sprintf("/api/v1/annotations?document=%d", doc)); !strings.Contains(r.body, excludedWord) {
			t.Errorf("anna does not read her own note on document %d: %d %.200s", doc, r.status, r.body)
		}
	}
	// The office's search finds it, so the leak checks of search mean
	// something too.
	var found struct{ Total int }
	r := office.get("/api/v1/search?q=" + canary)
	if err := json.Unmarshal([]byte(r.body), &found); err != nil || found.Total == 0 {
		t.Errorf("the office's search does not find the canary: %d %.200s", r.status, r.body)
	}
	if r := office.get("/api/v1/search/suggest?q=" + strings.ToLower(canary[:6])); !strings.Contains(strings.ToLower(r.body), strings.ToLower(canary[:9])) {
		t.Errorf("the office is not offered the canary as a suggestion: %.200s", r.body)
	}
	checkIndexRepair(t, c, base, stop)
}

// nonsense is a word that occurs nowhere.
const nonsense = "QUAPPWURZELBAUMX"

// waitForSearch waits until the server's search index has been built
// (the server builds it on first start, answering 503 meanwhile).
func waitForSearch(t *testing.T, c *crawler) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r := c.get("/api/v1/search?q=Haushalt")
		if r.status == 200 {
			return
		}
		if r.status != 503 || !strings.Contains(r.body, "vorübergehend nicht verfügbar") {
			t.Fatalf("search while the index is built: %d %.200s", r.status, r.body)
		}
		if time.Now().After(deadline) {
			t.Fatal("search index not built within 2 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var csrfRE = regexp.MustCompile(`(name="csrf-token" content|name="csrf_token" value)="[^"]*"`)

// checkSearchLeak asks the search page, the search API and (with
// suggest) the suggestions for the canary and for a nonsense word, with
// the query string extra: the answers must be identical byte for byte,
// once the word itself is blanked out. Hits, totals, facets, snippets and
// suggestions are all in them.
func checkSearchLeak(t *testing.T, c *crawler, extra string, suggest bool) {
	t.Helper()
	checkSearchLeakOf(t, c, canary, nonsense, extra, suggest, []int{6, 9, len(canary) - 1})
}

// checkSearchLeakOf is checkSearchLeak for word against nonsense (at
// least as long), suggestions for its prefixes of lengths prefixes.
func checkSearchLeakOf(t *testing.T, c *crawler, canary, nonsense, extra string, suggest bool, prefixes []int) {
	t.Helper()
	paths := []string{"/search?q=%s" + extra, "/search?lang=en&q=%s" + extra, "/api/v1/search?q=%s" + extra,
		"/api/v1/search?limit=100&q=%%22%s%%22" + extra, "/search?page=2&q=%s" + extra}
	if suggest {
		paths = append(paths, "/api/v1/search/suggest?q=%s")
	}
	norm := func(body, word string) string {
		for _, w := range []string{word, strings.ToLower(word), url.QueryEscape(word)} {
			body = strings.ReplaceAll(body, w, "WORT")
		}
		return csrfRE.ReplaceAllString(body, "$1=\"\"")
	}
	for _, p := range paths {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "%%", "%"), "%s", "@")
		a := c.get(strings.ReplaceAll(p, "@", canary))
		b := c.get(strings.ReplaceAll(p, "@", nonsense))
		if a.status != 200 || b.status != 200 {
			t.Errorf("%s: status %d for the canary, %d for nonsense", p, a.status, b.status)
		}
		if na, nb := norm(a.body, canary), norm(b.body, nonsense); na != nb {
			t.Errorf("LEAK: %s answers the canary unlike a nonsense word:\n%.600s\n---\n%.600s", strings.ReplaceAll(p, "@", canary), na, nb)
		}
	}
	if suggest {
		// Suggestions while typing the canary: prefixes of it against
		// prefixes of the nonsense word.
		for _, n := range prefixes {
			a := c.get("/api/v1/search/suggest?q=" + url.QueryEscape("haushalt "+strings.ToLower(canary[:n])))
			b := c.get("/api/v1/search/suggest?q=" + url.QueryEscape("haushalt "+strings.ToLower(nonsense[:n])))
			if a.status != 200 || a.body != b.body {
				t.Errorf("LEAK: suggestions for %q: %d %s, for nonsense %s", canary[:n], a.status, a.body, b.body)
			}
		}
	}
}

// checkIndexRepair damages the search index of the stopped server,
// starts it again and checks that everything but search works at once,
// that search says it is unavailable rather than answering wrongly, and
// that the index is rebuilt to the same answers; then `ratsmappe
// reindex` rebuilds it again from the database.
func checkIndexRepair(t *testing.T, c *cli, base string, stop func()) {
	t.Helper()
	stop()
	root := filepath.Join(c.data, "search", "index")
	n := 0
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			os.WriteFile(p, []byte("kaputt"), 0o644)
			n++
		}
		return nil
	})
	if n == 0 {
		t.Fatalf("no index files under %s", root)
	}
	base, stop = c.serve(t)
	citizen := newCrawler(t, base, "")
	if r := citizen.get("/meetings"); r.status != 200 {
		t.Errorf("meetings with a damaged index: %d", r.status)
	}
	r := citizen.get("/api/v1/search?q=Haushalt&limit=20")
	if r.status != 200 && r.status != 503 {
		t.Errorf("search with a damaged index: %d %.200s", r.status, r.body)
	}
	waitForSearch(t, citizen)
	// The first build learnt compounds while it went; a rebuild starts
	// with all it learnt, so it may rank differently — but it answers.
	rebuilt := citizen.get("/api/v1/search?q=Haushalt&limit=20")
	var res struct{ Total int }
	if json.Unmarshal([]byte(rebuilt.body), &res); rebuilt.status != 200 || res.Total == 0 {
		t.Errorf("rebuilt index: %d %.300s", rebuilt.status, rebuilt.body)
	}
	stop()
	var stdout, stderr strings.Builder
	cmd := c.command(t.Context(), "reindex")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("reindex: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Suchindex neu aufgebaut") || !strings.Contains(stderr.String(), "Suchindex: ") {
		t.Errorf("reindex said %q, progress %q", stdout.String(), stderr.String())
	}
	base, _ = c.serve(t)
	citizen = newCrawler(t, base, "")
	// Equal scores may come in another order; totals and facets agree.
	type summary struct {
		Total  int
		Facets json.RawMessage
	}
	var a, b summary
	after := citizen.get("/api/v1/search?q=Haushalt&limit=20")
	json.Unmarshal([]byte(after.body), &a)
	json.Unmarshal([]byte(rebuilt.body), &b)
	if after.status != 200 || a.Total != b.Total || string(a.Facets) != string(b.Facets) {
		t.Errorf("after reindex, unlike after the rebuild:\n%.300s\n---\n%.300s", after.body, rebuilt.body)
	}
}

type response struct {
	status int
	body   string
	ctype  string
}

func sameStatusBody(a, b response) bool { return a.status == b.status }

type crawler struct {
	t        *testing.T
	base     string
	token    string
	seen     map[string]bool
	requests int
	pdfs     int

	expectCanary bool // the office may see it: count, do not fail
	found        int
	scope        []string       // if set, only paths with these prefixes are followed
	word         string         // what must not appear; canary if ""
	ok           map[string]int // probe: answers 200 per route
}

func newCrawler(t *testing.T, base, token string) *crawler {
	return &crawler{t: t, base: base, token: token, seen: map[string]bool{}}
}

func (c *crawler) get(path string) response {
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
	b, _ := io.ReadAll(resp.Body)
	c.requests++
	return response{resp.StatusCode, string(b), resp.Header.Get("Content-Type")}
}

var linkRE = regexp.MustCompile(`(?:href|"url"|"packet_url")(?:=|:)\s*"(/[^"#?]*)`)

// visit fetches path, checks it for the canary and follows its links.
func (c *crawler) visit(path string) {
	c.t.Helper()
	if c.seen[path] || strings.HasPrefix(path, "/static/") || path == "/login" {
		return
	}
	if c.scope != nil {
		in := false
		for _, p := range c.scope {
			in = in || strings.HasPrefix(path, p)
		}
		if !in {
			return
		}
	}
	c.seen[path] = true
	r := c.get(path)
	if r.status != 200 && !c.expectCanary {
		c.t.Errorf("%s, linked from a page, answers %d", path, r.status)
	}
	c.check(path, r)
	for _, m := range linkRE.FindAllStringSubmatch(r.body, -1) {
		c.visit(m[1])
	}
}

func (c *crawler) check(path string, r response) {
	c.t.Helper()
	text := r.body
	if strings.HasPrefix(r.ctype, "application/pdf") {
		c.pdfs++
		text = cachedPDFText(c.t, r.body)
	}
	if strings.Contains(text, cmp.Or(c.word, canary)) {
		c.found++
		if !c.expectCanary {
			c.t.Errorf("LEAK: %s shows the canary", path)
		}
	}
}

// checkSitemap reads the sitemap as a search engine would: the index,
// then each of its files. Every URL in them answers 200 to the crawler
// (the anonymous citizen: a URL of something refused would answer 404),
// and meetings and papers are listed.
func checkSitemap(t *testing.T, crawl *crawler) {
	t.Helper()
	sm := crawl.get("/sitemap.xml")
	crawl.check("/sitemap.xml", sm)
	var index struct {
		XMLName  xml.Name `xml:"sitemapindex"`
		Sitemaps []struct {
			Loc string `xml:"loc"`
		} `xml:"sitemap"`
	}
	if err := xml.Unmarshal([]byte(sm.body), &index); err != nil || len(index.Sitemaps) < 3 {
		t.Fatalf("sitemap index (%v): %.300s", err, sm.body)
	}
	kinds := map[string]int{}
	for _, s := range index.Sitemaps {
		u, err := url.Parse(s.Loc)
		if err != nil || !strings.HasPrefix(s.Loc, crawl.base) {
			t.Fatalf("sitemap file %q", s.Loc)
		}
		f := crawl.get(u.Path)
		crawl.check(u.Path, f)
		var set struct {
			XMLName xml.Name `xml:"urlset"`
			URLs    []struct {
				Loc string `xml:"loc"`
			} `xml:"url"`
		}
		if err := xml.Unmarshal([]byte(f.body), &set); err != nil || f.status != 200 || len(set.URLs) == 0 {
			t.Fatalf("sitemap file %s: %d %v %.300s", u.Path, f.status, err, f.body)
		}
		for _, l := range set.URLs {
			p := strings.TrimPrefix(l.Loc, crawl.base)
			kinds[strings.Split(p, "/")[1]]++
			if crawl.token != "" {
				continue
			}
			if r := crawl.get(p); r.status != 200 {
				t.Errorf("LEAK or dead link: the sitemap lists %s, which answers %d", p, r.status)
			}
		}
	}
	if kinds["meetings"] < 10 || kinds["papers"] < 10 {
		t.Errorf("sitemap lists %v", kinds)
	}
	if r := crawl.get("/sitemaps/papers-999999.xml"); r.status != 404 {
		t.Errorf("an empty sitemap file answers %d", r.status)
	}
}

// pdfText extracts the text of a PDF with pdftotext.
func pdfText(t *testing.T, pdf string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext missing")
		}
		t.Skip("pdftotext missing")
	}
	f := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(f, []byte(pdf), 0o644)
	out, err := exec.Command(bin, "-q", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out) + pdf
}

// checkFeeds reads the calendars, Atom feeds and the sitemap as a
// citizen's programs would: they parse, have content, and carry no
// canary.
func checkFeeds(t *testing.T, crawl *crawler) {
	t.Helper()
	cal := crawl.get("/calendar.ics")
	crawl.check("/calendar.ics", cal)
	c, err := ics.ParseCalendar(strings.NewReader(cal.body))
	if err != nil {
		t.Fatalf("calendar.ics does not parse: %v", err)
	}
	if len(c.Events()) < 10 {
		t.Errorf("calendar has %d events", len(c.Events()))
	}
	uids := map[string]bool{}
	for _, e := range c.Events() {
		uid := e.Id()
		if uids[uid] || uid == "" {
			t.Errorf("event UID %q missing or repeated", uid)
		}
		uids[uid] = true
		if e.GetProperty(ics.ComponentPropertyDtStart) == nil || e.GetProperty(ics.ComponentPropertySummary) == nil {
			t.Errorf("event %s lacks DTSTART or SUMMARY", uid)
		}
	}
	for _, p := range []string{"/feeds/documents.atom", "/organizations/2/documents.atom", "/organizations/3/calendar.ics"} {
		r := crawl.get(p)
		if r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
			continue
		}
		crawl.check(p, r)
		if strings.HasSuffix(p, ".atom") {
			f, err := gofeed.NewParser().ParseString(r.body)
			if err != nil {
				t.Errorf("%s does not parse: %v", p, err)
				continue
			}
			if f.FeedType != "atom" || len(f.Items) == 0 {
				t.Errorf("%s: type %s, %d entries", p, f.FeedType, len(f.Items))
			}
			for _, it := range f.Items {
				if it.Title == "" || it.Link == "" || it.GUID == "" || it.UpdatedParsed == nil {
					t.Errorf("%s: incomplete entry %+v", p, it)
					break
				}
			}
		}
	}
	checkSitemap(t, crawl)
	if missing := crawl.get("/organizations/999999/calendar.ics"); missing.status != 404 {
		t.Errorf("calendar of a missing organization: %d", missing.status)
	}
}
