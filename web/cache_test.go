package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/web"
)

// testClock is the injectable clock of the store (and so of the policy
// and the cache).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cacheEnv is a small council on a real SQLite file: a published meeting
// with a public item and a public document, a draft and an embargoed
// meeting, a member account.
type cacheEnv struct {
	srv                           *httptest.Server
	h                             http.Handler
	st                            *sessions.Store
	docs                          *documents.Service
	db                            *sql.DB
	file, dir                     string
	clock                         *testClock
	org, person, item, attachment int64
	published, draft, embargoed   int64
	doc                           int64
	embargoEnd                    time.Time // when meeting embargoed becomes public
}

func newCacheEnv(t testing.TB) *cacheEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	e := &cacheEnv{dir: dir, file: filepath.Join(dir, "t.db"), clock: &testClock{t: time.Now().UTC().Truncate(time.Second)}}
	db, err := sqlite.Open(ctx, e.file)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	must(t, schema.Migrate(ctx, db))
	e.db = db
	e.st = sessions.NewStore(db, e.clock.Now)
	e.docs = documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: demotest.CopyIngester{Dir: dir}})
	st := e.st
	body := &sessions.Body{Name: "Stadt Cachingen"}
	must(t, st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	must(t, st.CreateOrganization(ctx, org))
	e.org = org.ID
	p := &sessions.Person{BodyID: body.ID, GivenName: "Anna", FamilyName: "Beispiel"}
	must(t, st.CreatePerson(ctx, p))
	e.person = p.ID
	must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: org.ID, Role: "Mitglied", VotingRight: true, StartDate: "2020-01-01"}))
	must(t, accounts.NewStore(db, nil).CreateAccount(ctx, &accounts.Account{Name: "anna", DisplayName: "Anna Beispiel", Role: access.RoleMember, PersonID: p.ID}, "ein gutes Passwort"))

	now := e.clock.Now()
	meeting := func(name string) int64 {
		m := &sessions.Meeting{OrganizationID: org.ID, Name: name, Start: now.Add(48 * time.Hour), Location: "Rathaus"}
		must(t, st.CreateMeeting(ctx, m))
		return m.ID
	}
	e.published = meeting("Sitzung Alpha")
	it := &sessions.AgendaItem{MeetingID: e.published, Number: "Ö 1", Title: "Radweg Nord", Public: true}
	must(t, st.CreateAgendaItem(ctx, it))
	e.item = it.ID
	e.doc = e.upload(t, 0, "Vorlage Radweg")
	a := &sessions.Attachment{AgendaItemID: it.ID, DocumentID: e.doc}
	must(t, st.Attach(ctx, a))
	must(t, st.SetAttachmentPublic(ctx, a.ID, true))
	e.attachment = a.ID
	must(t, st.PublishMeeting(ctx, e.published, now.Add(-time.Hour)))
	e.draft = meeting("Sitzung Bravo")
	e.embargoed = meeting("Sitzung Charlie")
	e.embargoEnd = now.Add(time.Hour)
	must(t, st.PublishMeeting(ctx, e.embargoed, e.embargoEnd))

	h, err := web.NewServer(web.Config{Documents: e.docs, Sessions: st, DB: db, Logger: slog.New(slog.DiscardHandler)})
	must(t, err)
	e.h = h
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// upload adds a document (id 0) or a new version of it, with distinct bytes.
func (e *cacheEnv) upload(t testing.TB, id int64, title string) int64 {
	t.Helper()
	f := filepath.Join(e.dir, fmt.Sprintf("up-%d.pdf", time.Now().UnixNano()))
	must(t, os.WriteFile(f, []byte(fmt.Sprintf("%%PDF-1.7 %s %d\n", title, time.Now().UnixNano())), 0o600))
	var added *documents.Added
	var err error
	if id == 0 {
		added, err = e.docs.AddDocument(context.Background(), documents.Upload{Path: f, FileName: "vorlage.pdf", Title: title, Uploader: "amt"})
	} else {
		added, err = e.docs.AddVersion(context.Background(), id, documents.Upload{Path: f, FileName: "vorlage.pdf", Uploader: "amt", Note: title})
	}
	must(t, err)
	return added.Document.ID
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fetch GETs path anonymously (with extra headers as key, value pairs).
func (e *cacheEnv) fetch(t *testing.T, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The second anonymous request is served from the cache, with a strong
// ETag, 304 on If-None-Match, public, no-cache and the right Vary; each
// language has its own entry.
func TestCacheServesAnonymousCopies(t *testing.T) {
	e := newCacheEnv(t)
	for _, p := range []string{"/", "/meetings", fmt.Sprintf("/meetings/%d", e.published), fmt.Sprintf("/documents/%d", e.doc),
		"/organizations", fmt.Sprintf("/organizations/%d", e.org), "/oparl/v1/body/1/meeting", "/oparl/v1/system",
		"/feeds/documents.atom", "/calendar.ics", "/sitemap.xml", "/api/v1/meetings"} {
		r1, b1 := e.fetch(t, p)
		r2, b2 := e.fetch(t, p)
		if r1.StatusCode != 200 || r2.StatusCode != 200 {
			t.Fatalf("%s: %d, %d", p, r1.StatusCode, r2.StatusCode)
		}
		if got := r2.Header.Get("X-Cache"); got != "hit" {
			t.Errorf("%s: second request X-Cache %q, want hit", p, got)
		}
		etag := r2.Header.Get("ETag")
		if b1 != b2 || etag == "" || etag != r1.Header.Get("ETag") || strings.HasPrefix(etag, "W/") {
			t.Errorf("%s: bodies equal %v, ETags %q %q", p, b1 == b2, r1.Header.Get("ETag"), etag)
		}
		if got := r2.Header.Get("Cache-Control"); got != "public, no-cache" {
			t.Errorf("%s: Cache-Control %q", p, got)
		}
		vary := r2.Header.Get("Vary")
		for _, v := range []string{"Cookie", "Authorization", "Accept-Language"} {
			if !strings.Contains(vary, v) {
				t.Errorf("%s: Vary %q lacks %s", p, vary, v)
			}
		}
		if r2.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: cached response sets a cookie", p)
		}
		r3, b3 := e.fetch(t, p, "If-None-Match", etag)
		if r3.StatusCode != http.StatusNotModified || b3 != "" || r3.Header.Get("ETag") != etag {
			t.Errorf("%s: If-None-Match: %d %q", p, r3.StatusCode, r3.Header.Get("ETag"))
		}
		// HEAD is answered from the same entry, without a body.
		req, _ := http.NewRequest("HEAD", e.srv.URL+p, nil)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("ETag") != etag {
			t.Errorf("HEAD %s: %d %q", p, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	de, _ := e.fetch(t, "/meetings", "Accept-Language", "de-DE")
	en, body := e.fetch(t, "/meetings", "Accept-Language", "en-GB,en;q=0.8")
	if en.Header.Get("Content-Language") != "en" || de.Header.Get("Content-Language") != "de" || en.Header.Get("ETag") == de.Header.Get("ETag") {
		t.Errorf("languages share an entry: de %q %q, en %q %q", de.Header.Get("Content-Language"), de.Header.Get("ETag"), en.Header.Get("Content-Language"), en.Header.Get("ETag"))
	}
	if !strings.Contains(body, "Meetings") {
		t.Errorf("English page is not English")
	}
	if _, body := e.fetch(t, "/meetings?lang=en"); !strings.Contains(body, `lang="en"`) {
		t.Errorf("?lang=en served another language's copy")
	}
}

// Every change of what citizens may see shows in the very next anonymous
// response: publication, depublication, a new version, a document made
// non-public, a withdrawn item, an exclusion, a write by another process,
// and an embargo that ends without any write.
func TestCacheInvalidation(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	meetingPage := fmt.Sprintf("/meetings/%d", e.published)
	docPage := fmt.Sprintf("/documents/%d", e.doc)
	pages := []string{"/", "/meetings", meetingPage, docPage, "/oparl/v1/body/1/meeting", "/feeds/documents.atom", "/sitemap.xml", "/sitemaps/meetings-0.xml", "/calendar.ics"}
	warm := func() {
		t.Helper()
		for _, p := range pages {
			if r, _ := e.fetch(t, p); r.StatusCode == 404 {
				continue // gone for citizens (withdrawn)
			}
			if r, _ := e.fetch(t, p); r.Header.Get("X-Cache") != "hit" {
				t.Fatalf("%s: not cached (%d, X-Cache %q)", p, r.StatusCode, r.Header.Get("X-Cache"))
			}
		}
	}
	has := func(p, s string) bool {
		t.Helper()
		_, b := e.fetch(t, p)
		return strings.Contains(b, s)
	}

	warm()
	must(t, e.st.PublishMeeting(ctx, e.draft, e.clock.Now()))
	for _, p := range []string{"/meetings", "/sitemaps/meetings-0.xml", "/calendar.ics"} {
		if !has(p, "Sitzung Bravo") && !has(p, fmt.Sprintf("/meetings/%d", e.draft)) {
			t.Errorf("publish: %s does not show the published meeting", p)
		}
	}

	warm()
	must(t, e.st.UnpublishMeeting(ctx, e.published))
	if has("/meetings", "Sitzung Alpha") || has("/oparl/v1/body/1/meeting", "Sitzung Alpha") || has("/feeds/documents.atom", "Vorlage Radweg") {
		t.Errorf("depublish: the meeting is still listed")
	}
	if r, _ := e.fetch(t, meetingPage); r.StatusCode != 404 {
		t.Errorf("depublish: meeting page %d", r.StatusCode)
	}
	if r, _ := e.fetch(t, docPage); r.StatusCode != 404 {
		t.Errorf("depublish: document page %d", r.StatusCode)
	}
	must(t, e.st.PublishMeeting(ctx, e.published, e.clock.Now().Add(-time.Minute)))

	warm()
	e.upload(t, e.doc, "zweite Fassung")
	if !has(docPage, "Version 2") || !has(meetingPage, "Fassung 2") {
		t.Errorf("new version: not shown")
	}

	warm()
	must(t, e.st.SetAttachmentPublic(ctx, e.attachment, false))
	if has(meetingPage, "Vorlage Radweg") || has("/", "Vorlage Radweg") {
		t.Errorf("document made non-public: still listed")
	}
	if r, _ := e.fetch(t, docPage); r.StatusCode != 404 {
		t.Errorf("document made non-public: document page %d", r.StatusCode)
	}
	must(t, e.st.SetAttachmentPublic(ctx, e.attachment, true))

	warm()
	must(t, e.st.AddExclusion(ctx, e.item, e.person, "Befangenheit"))
	if r, _ := e.fetch(t, meetingPage); r.Header.Get("X-Cache") != "miss" {
		t.Errorf("exclusion: cache not emptied")
	}

	warm()
	must(t, e.st.WithdrawAgendaItem(ctx, e.item))
	if has(meetingPage, "Radweg Nord") {
		t.Errorf("withdrawn item: still shown")
	}

	// Another process (the CLI, an import) writes to the same file.
	warm()
	other, err := sqlite.Open(ctx, e.file)
	must(t, err)
	_, err = other.ExecContext(ctx, `UPDATE meetings SET name = 'Sitzung Delta' WHERE id = ?`, e.published)
	other.Close()
	must(t, err)
	if !has("/meetings", "Sitzung Delta") || !has(meetingPage, "Sitzung Delta") {
		t.Errorf("write by another process: not shown")
	}

	// A paper the office publishes on its own at a set time: it appears
	// in the OParl paper list the second that time comes.
	paper := &sessions.Paper{BodyID: 1, Reference: "2026/0042", Name: "Antrag Stadtbäume", Type: "Antrag"}
	must(t, e.st.CreatePaper(ctx, paper))
	must(t, e.st.PublishPaper(ctx, paper.ID, e.clock.Now().Add(10*time.Minute)))
	e.clock.Add(10*time.Minute - time.Second)
	if r, b := e.fetch(t, "/oparl/v1/body/1/paper"); r.StatusCode != 200 || strings.Contains(b, "Stadtbäume") {
		t.Fatalf("paper list before the paper's publication: %d, listed %v", r.StatusCode, strings.Contains(b, "Stadtbäume"))
	}
	if r, _ := e.fetch(t, "/oparl/v1/body/1/paper"); r.Header.Get("X-Cache") != "hit" {
		t.Fatalf("paper list not cached")
	}
	e.clock.Add(time.Second)
	if !has("/oparl/v1/body/1/paper", "Stadtbäume") {
		t.Errorf("paper publication time passed: not listed")
	}
	if r, _ := e.fetch(t, fmt.Sprintf("/papers/%d", paper.ID)); r.StatusCode != 200 {
		t.Errorf("paper publication time passed: paper page %d", r.StatusCode)
	}

	// The embargo ends: no write, only time.
	warm()
	if has("/meetings", "Sitzung Charlie") {
		t.Fatalf("embargoed meeting listed before its time")
	}
	e.clock.Add(e.embargoEnd.Sub(e.clock.Now()) - time.Second)
	if has("/meetings", "Sitzung Charlie") {
		t.Errorf("embargoed meeting listed a second before its time")
	}
	e.clock.Add(time.Second)
	for _, p := range []string{"/meetings", "/oparl/v1/body/1/meeting", "/sitemaps/meetings-0.xml"} {
		if !has(p, "Sitzung Charlie") && !has(p, fmt.Sprintf("/meetings/%d", e.embargoed)) {
			t.Errorf("embargo ended: %s does not list the meeting", p)
		}
	}
}

// A signed-in viewer's pages are never cached nor served from the cache,
// and are private, no-store; what they see never reaches citizens.
func TestCacheNeverForSignedIn(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	secret := &sessions.AgendaItem{MeetingID: e.published, Number: "N 1", Title: "Grundstücksgeheimnis", Public: false}
	must(t, e.st.CreateAgendaItem(ctx, secret))
	meetingPage := fmt.Sprintf("/meetings/%d", e.published)
	e.fetch(t, meetingPage) // cached for citizens

	c := browser(t)
	tok := loginForm(t, c, e.srv.URL)
	if resp := postLogin(t, c, e.srv.URL, tok, "anna", "ein gutes Passwort"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	for _, p := range []string{meetingPage, "/meetings", "/oparl/v1/body/1/meeting"} {
		for i := 0; i < 2; i++ {
			resp, err := c.Get(e.srv.URL + p)
			must(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// OParl is public whoever asks (and says so); everything else
			// a member gets is private.
			if resp.Header.Get("X-Cache") != "" || (!strings.HasPrefix(p, "/oparl/") && resp.Header.Get("Cache-Control") != "private, no-store") {
				t.Errorf("signed in, %s: X-Cache %q, Cache-Control %q", p, resp.Header.Get("X-Cache"), resp.Header.Get("Cache-Control"))
			}
			if p == meetingPage && !strings.Contains(string(b), "Grundstücksgeheimnis") {
				t.Errorf("the member does not see the non-public item")
			}
		}
	}
	// A bearer token bypasses the cache the same way.
	resp, _ := e.fetch(t, "/meetings", "Authorization", "Bearer falsch")
	if resp.Header.Get("X-Cache") != "" {
		t.Errorf("bearer request served from the cache")
	}
	for _, p := range []string{meetingPage, "/meetings"} {
		if _, b := e.fetch(t, p); strings.Contains(b, "Grundstücksgeheimnis") || strings.Contains(b, "Anna Beispiel") {
			t.Errorf("%s: a citizen sees what the member saw", p)
		}
	}
}

// BenchmarkCachedPage is the cost of answering a cached start page, the
// whole middleware chain included, without the network.
func BenchmarkCachedPage(b *testing.B) {
	e := newCacheEnv(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/", nil)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("%d", w.Code)
			}
		}
	})
}
