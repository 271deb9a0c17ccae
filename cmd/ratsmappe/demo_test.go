package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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

const canary = "KANARIENVOGEL7"

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
	base, _ := c.serve(t)
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
	t.Logf("anonymous crawl: %d requests, %d PDFs read, canary found 0 times", crawl.requests, crawl.pdfs)
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
	t.Logf("member of other committees: %d requests, %d PDFs read, canary found 0 times", member.requests, member.pdfs)
	if member.requests < 100 {
		t.Errorf("member's crawl made only %d requests", member.requests)
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
	scope        []string // if set, only paths with these prefixes are followed
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
		text = pdfText(c.t, r.body)
	}
	if strings.Contains(text, canary) {
		c.found++
		if !c.expectCanary {
			c.t.Errorf("LEAK: %s shows the canary", path)
		}
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
	sm := crawl.get("/sitemap.xml")
	crawl.check("/sitemap.xml", sm)
	if !strings.Contains(sm.body, "<urlset") || !strings.Contains(sm.body, "/meetings/") {
		t.Errorf("sitemap: %.200s", sm.body)
	}
	if missing := crawl.get("/organizations/999999/calendar.ics"); missing.status != 404 {
		t.Errorf("calendar of a missing organization: %d", missing.status)
	}
}
