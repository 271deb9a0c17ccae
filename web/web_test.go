package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

type env struct {
	srv      *httptest.Server
	sessions *sessions.Store
	accounts *accounts.Store
	db       *sql.DB
}

func newServer(t *testing.T) *env {
	t.Helper()
	return newServerWith(t, nil)
}

// newServerWith is newServer with configure changing the server's
// configuration before it starts (nil: none).
func newServerWith(t *testing.T, configure func(db *sql.DB, cfg *web.Config)) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := sessions.NewStore(db, nil)
	// The blob store is the in-memory fake and the ingester refuses
	// everything: these tests are about HTTP. Real uploads are tested end
	// to end in cmd/ratsmappe.
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: refuseAll{}})
	cfg := web.Config{Documents: svc, Sessions: st, DB: db}
	if configure != nil {
		configure(db, &cfg)
	}
	h, err := web.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{srv: srv, sessions: st, accounts: accounts.NewStore(db, nil), db: db}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHealth(t *testing.T) {
	e := newServer(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, body := get(t, e.srv.URL+p)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	resp, _ := get(t, e.srv.URL+"/healthz")
	for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
}

// A route that does not exist, a document that does not exist and a
// malformed id all answer the same 404 — nothing tells them apart.
func TestNotFoundIsUniform(t *testing.T) {
	e := newServer(t)
	var first string
	for _, p := range []string{
		"/api/v1/documents/1/versions/1/file",
		"/api/v1/documents/999999/versions/3/file",
		"/api/v1/documents/abc/versions/1/file",
		"/api/v1/documents/-1/versions/0/file",
		"/nonexistent",
	} {
		resp, body := get(t, e.srv.URL+p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("%s: body %q differs from %q", p, body, first)
		}
	}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// browser is a client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func loginForm(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token in the login form")
	}
	return string(m[1])
}

func postLogin(t *testing.T, c *http.Client, base, token, name, pw string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(base+"/login", url.Values{"csrf_token": {token}, "name": {name}, "password": {pw}, "next": {"/meetings"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestLogin(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	if err := e.accounts.CreateAccount(ctx, &accounts.Account{Name: "amt", Role: access.RoleClerk}, "ein gutes Passwort"); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	tok := loginForm(t, c, e.srv.URL)

	// Without the CSRF token: refused, no cookie.
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"name": {"amt"}, "password": {"ein gutes Passwort"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d, want 403", resp.StatusCode)
	}
	// Wrong password.
	if resp := postLogin(t, c, e.srv.URL, tok, "amt", "falsch"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	// Right password: a See Other to next, and an auth cookie with the
	// right flags.
	resp = postLogin(t, c, e.srv.URL, tok, "amt", "ein gutes Passwort")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/meetings" {
		t.Fatalf("login: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var auth *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "auth" {
			auth = ck
		}
	}
	if auth == nil || !auth.HttpOnly || auth.SameSite != http.SameSiteLaxMode {
		t.Fatalf("auth cookie = %+v", auth)
	}
	if auth.Secure {
		t.Errorf("auth cookie is Secure on plain localhost; the browser would drop it")
	}
	// The page now knows who is signed in.
	resp, err = c.Get(e.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Abmelden") {
		t.Errorf("signed-in page has no sign-out")
	}
	// Signing out ends the sign-in on the server, not only the cookie.
	resp, err = c.PostForm(e.srv.URL+"/logout", url.Values{"csrf_token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := e.accounts.ResolveSignIn(ctx, auth.Value, 1e12, 1e12); err == nil {
		t.Errorf("sign-in still valid after logout")
	}
}

// A token an attacker planted in the victim's browser is not promoted at
// sign-in (session fixation).
func TestNoSessionFixation(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	a := &accounts.Account{Name: "anna", Role: access.RoleMember}
	if err := e.accounts.CreateAccount(ctx, a, "ein gutes Passwort"); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	u, _ := url.Parse(e.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "auth", Value: "planted-by-attacker", Path: "/"}})
	tok := loginForm(t, c, e.srv.URL)
	resp := postLogin(t, c, e.srv.URL, tok, "anna", "ein gutes Passwort")
	for _, ck := range resp.Cookies() {
		if ck.Name == "auth" && ck.Value == "planted-by-attacker" {
			t.Errorf("planted token kept")
		}
	}
	if _, err := e.accounts.ResolveSignIn(ctx, "planted-by-attacker", 1e12, 1e12); err == nil {
		t.Errorf("planted token became valid")
	}
}

// A redirect after sign-in never leaves the site.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	e.accounts.CreateAccount(ctx, &accounts.Account{Name: "clara", Role: access.RoleMember}, "ein gutes Passwort")
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
		c := browser(t)
		tok := loginForm(t, c, e.srv.URL)
		resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"csrf_token": {tok}, "name": {"clara"}, "password": {"ein gutes Passwort"}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
	}
}

// Bearer tokens authenticate scripts; a wrong one is refused outright.
func TestBearerToken(t *testing.T) {
	e := newServer(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/healthz", nil)
	req.Header.Set("Authorization", "Bearer rm_wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", resp.StatusCode)
	}
}

// A signed-in browser's API changes need the CSRF token too; a forged
// request riding on the cookie is refused before it does anything.
func TestAPICSRFWithCookie(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	e.accounts.CreateAccount(ctx, &accounts.Account{Name: "amt", Role: access.RoleClerk}, "ein gutes Passwort")
	c := browser(t)
	tok := loginForm(t, c, e.srv.URL)
	postLogin(t, c, e.srv.URL, tok, "amt", "ein gutes Passwort")
	post := func(csrf string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/meetings", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(""); got != http.StatusForbidden {
		t.Errorf("without token: %d, want 403", got)
	}
	if got := post(tok); got != http.StatusBadRequest {
		t.Errorf("with token: %d, want 400 (the empty meeting is invalid)", got)
	}
	// A request another site's page makes is refused even with a token.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/meetings", strings.NewReader(`{}`))
	req.Header.Set("X-CSRF-Token", tok)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site: %d, want 403", resp.StatusCode)
	}
}

// The office pages render for staff, do not exist for members, and send
// anonymous visitors to sign in.
func TestOfficePages(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	st := e.sessions
	body := &sessions.Body{Name: "Stadt Test"}
	st.CreateBody(ctx, body)
	org := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	st.CreateOrganization(ctx, org)
	m := &sessions.Meeting{OrganizationID: org.ID, Name: "1. Sitzung", Start: time.Now().Add(48 * time.Hour)}
	if err := st.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	st.CreateAgendaItem(ctx, &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Eröffnung", Public: true})
	st.CreateAgendaItem(ctx, &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: "Vertraulich"})
	token := func(name string, role access.Role) string {
		a := &accounts.Account{Name: name, Role: role}
		if err := e.accounts.CreateAccount(ctx, a, ""); err != nil {
			t.Fatal(err)
		}
		_, tok, _ := e.accounts.CreateAPIToken(ctx, a.ID, "test")
		return tok
	}
	clerk, admin, member := token("amt", access.RoleClerk), token("admin", access.RoleAdmin), token("anna", access.RoleMember)
	get := func(tok, path string) int {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	meeting := fmt.Sprintf("/office/meetings/%d", m.ID)
	for _, tc := range []struct {
		who, tok, path string
		want           int
	}{
		{"clerk", clerk, "/office", 200},
		{"clerk", clerk, meeting, 200},
		{"clerk", clerk, "/office/calendar", 200},
		{"clerk", clerk, "/office/calendar?month=2027-02", 200},
		{"clerk", clerk, "/office/audit", 404},
		{"admin", admin, "/office/audit", 200},
		{"member", member, "/office", 404},
		{"member", member, meeting, 404},
		{"anonymous", "", "/office", 303},
	} {
		if got := get(tc.tok, tc.path); got != tc.want {
			t.Errorf("%s GET %s: %d, want %d", tc.who, tc.path, got, tc.want)
		}
	}
}

// A browser upload (multipart, cookie, CSRF header) reaches the handler
// with its body intact: the CSRF check must not consume it.
func TestUploadWithCookieKeepsBody(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	e.accounts.CreateAccount(ctx, &accounts.Account{Name: "amt", Role: access.RoleClerk}, "ein gutes Passwort")
	c := browser(t)
	tok := loginForm(t, c, e.srv.URL)
	postLogin(t, c, e.srv.URL, tok, "amt", "ein gutes Passwort")
	var buf strings.Builder
	buf.WriteString("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"brief.txt\"\r\nContent-Type: text/plain\r\n\r\nkein PDF\r\n--XYZ--\r\n")
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/documents", strings.NewReader(buf.String()))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=XYZ")
	req.Header.Set("X-CSRF-Token", tok)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The file arrived and was judged: not a PDF.
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "not_pdf") {
		t.Errorf("upload: %d %s", resp.StatusCode, b)
	}
}

// refuseAll is an ingester that refuses every file as not a PDF.
type refuseAll struct{}

func (refuseAll) Ingest(context.Context, string) (*documents.Ingested, error) {
	return nil, documents.Reject(documents.RejectNotPDF, nil)
}

// HEAD works wherever GET does (feed readers and link checkers use it).
func TestHead(t *testing.T) {
	e := newServer(t)
	for _, p := range []string{"/healthz", "/meetings", "/oparl/v1/system", "/calendar.ics"} {
		req, _ := http.NewRequest("HEAD", e.srv.URL+p, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("HEAD %s: %d", p, resp.StatusCode)
		}
	}
}
