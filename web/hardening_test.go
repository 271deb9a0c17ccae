package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

// checkSecurityHeaders fails unless resp carries the headers every answer
// must: a CSP that forbids eval and framing by other sites, nosniff and a
// Referrer-Policy.
func checkSecurityHeaders(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors") {
		t.Errorf("%s (%d): Content-Security-Policy %q", what, resp.StatusCode, csp)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s (%d): X-Content-Type-Options %q", what, resp.StatusCode, got)
	}
	if resp.Header.Get("Referrer-Policy") == "" {
		t.Errorf("%s (%d): no Referrer-Policy", what, resp.StatusCode)
	}
}

// Every kind of answer carries the security headers: pages (fresh and from
// the cache), JSON, files, OParl, feeds, static assets, redirects and
// every error — 404 page and JSON, 405, 413, 403 CSRF, 304.
func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	v, err := e.docs.Store().FindVersion(ctx, e.doc, 0)
	must(t, err)
	_, home := e.fetch(t, "/")
	css := between(home, `<link rel="stylesheet" href="`, `"`)
	if css == "" {
		t.Fatalf("no stylesheet on the start page")
	}
	for _, p := range []string{
		"/", "/", "/meetings", fmt.Sprintf("/meetings/%d", e.published), fmt.Sprintf("/documents/%d", e.doc), "/login",
		"/api/v1/meetings", fmt.Sprintf("/api/v1/meetings/%d", e.published), "/api/v1/openapi.json",
		"/files/" + v.SHA256 + ".pdf", fmt.Sprintf("/api/v1/documents/%d/versions/1/file", e.doc),
		fmt.Sprintf("/api/v1/meetings/%d/packet.pdf", e.published),
		"/oparl/v1/system", "/oparl/v1/body/1/meeting", "/oparl/v1/file/1/download", "/oparl/v1/nothing",
		"/feeds/documents.atom", "/calendar.ics", "/sitemap.xml", css, "/static/nothing.css",
		"/meetings/999999", "/nothing", "/api/v1/nothing", "/files/" + strings.Repeat("0", 64) + ".pdf", "/healthz", "/oparl/v1/",
	} {
		resp, _ := e.fetch(t, p)
		checkSecurityHeaders(t, "GET "+p, resp)
	}
	resp, _ := e.fetch(t, "/files/"+v.SHA256+".pdf", "If-None-Match", `"`+v.SHA256+`"`)
	checkSecurityHeaders(t, "304 file", resp)
	resp, _ = e.fetch(t, "/meetings")
	resp, _ = e.fetch(t, "/meetings", "If-None-Match", resp.Header.Get("ETag"))
	checkSecurityHeaders(t, "304 page", resp)
	for _, c := range []struct{ method, path, ctype, body string }{
		{"POST", "/login", "application/x-www-form-urlencoded", "name=a&password=b"},                  // 403 CSRF
		{"POST", "/login", "application/x-www-form-urlencoded", "name=" + strings.Repeat("a", 1<<20)}, // 413
		{"DELETE", "/meetings", "", ""},                                        // 405
		{"POST", "/api/v1/meetings", "application/json", `{}`},                 // 401
		{"POST", "/api/v1/meetings", "text/plain", strings.Repeat("a", 2<<20)}, // 413
	} {
		req, _ := http.NewRequest(c.method, e.srv.URL+c.path, strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		checkSecurityHeaders(t, c.method+" "+c.path, resp)
	}
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	j := strings.Index(s, b)
	if j < 0 {
		return ""
	}
	return s[:j]
}

// No parameter reaches a file path or a header unchecked: traversal in
// every path parameter answers 404 without touching files outside the
// store; CR/LF in parameters that end up in Location, Set-Cookie or
// Content-Disposition never make a header of their own.
func TestTraversalAndHeaderInjection(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	for _, p := range []string{
		"/static/../../go.mod", "/static/..%2f..%2fgo.mod", "/static/%2e%2e/%2e%2e/go.mod", "/static/x/../../web.go",
		"/files/..%2f..%2ft.db", "/files/%2e%2e%2ft.db.pdf", "/files/../t.db",
		"/api/v1/documents/..%2f1/versions/1/file", "/api/v1/documents/1/versions/..%2f1/file",
		"/api/v1/meetings/..%2f1/packet.pdf", "/oparl/v1/file/..%2f1/download", "/documents/..%2f..%2ft.db",
	} {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("GET", e.srv.URL+p, nil)
		req.URL.Opaque = p // send the path exactly as written
		resp, err := client.Do(req)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || strings.Contains(string(b), "module github.com") || strings.Contains(string(b), "SQLite format") || strings.Contains(string(b), "package web") {
			t.Errorf("%s: %d %.80q", p, resp.StatusCode, b)
		}
	}

	// A file name with quotes, CR/LF and a path from an upload.
	f := filepath.Join(e.dir, "evil.pdf")
	must(t, os.WriteFile(f, []byte("%PDF-1.7 evil"), 0o600))
	evil := "../../x\"; filename=evil.exe\r\nSet-Cookie: auth=planted\r\n.pdf"
	added, err := e.docs.AddDocument(ctx, documents.Upload{Path: f, FileName: evil, Title: "Böse", Uploader: "amt"})
	must(t, err)
	a := &sessions.Attachment{AgendaItemID: e.item, DocumentID: added.Document.ID}
	must(t, e.st.Attach(ctx, a))
	must(t, e.st.SetAttachmentPublic(ctx, a.ID, true))
	for _, p := range []string{"/files/" + added.Version.SHA256 + ".pdf?download=1", fmt.Sprintf("/api/v1/documents/%d/versions/1/file?download=1", added.Document.ID)} {
		resp, _ := e.fetch(t, p)
		cd := resp.Header.Get("Content-Disposition")
		disp, params, err := mime.ParseMediaType(cd)
		name := params["filename"]
		if resp.StatusCode != 200 || resp.Header.Get("Set-Cookie") != "" || err != nil || disp != "attachment" || len(params) != 1 ||
			strings.ContainsAny(name, "/\\\"\r\n") || !strings.HasSuffix(name, ".pdf") {
			t.Errorf("%s: %d Content-Disposition %q (%v %q %v), Set-Cookie %q", p, resp.StatusCode, cd, err, disp, params, resp.Header.Get("Set-Cookie"))
		}
	}

	// Parameters that reach Location and Set-Cookie.
	c := browser(t)
	for _, p := range []string{"/meetings?lang=de%0d%0aSet-Cookie:%20auth=planted", "/meetings?lang=en;%20Domain=evil.example", "/login?next=/%0d%0aSet-Cookie:%20auth=planted"} {
		resp, err := c.Get(e.srv.URL + p)
		must(t, err)
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "auth" || ck.Domain != "" || (ck.Name == "lang" && ck.Value != "de" && ck.Value != "en") {
				t.Errorf("%s: cookie %+v", p, ck)
			}
		}
	}
	tok := loginForm(t, c, e.srv.URL)
	for _, next := range []string{"/meetings\r\nSet-Cookie: auth=planted", "/%0d%0aSet-Cookie:%20auth=planted", "//evil.example/", "/\\evil.example"} {
		resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"csrf_token": {tok}, "name": {"anna"}, "password": {"falsch"}, "next": {next}})
		must(t, err)
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "auth" {
				t.Errorf("next %q: auth cookie set", next)
			}
		}
	}
	resp := postLoginNext(t, c, e.srv.URL, tok, "anna", "ein gutes Passwort", "/meetings\r\nSet-Cookie: auth=planted")
	if loc := resp.Header.Get("Location"); strings.ContainsAny(loc, "\r\n") || strings.Contains(loc, "Set-Cookie") {
		t.Errorf("Location %q", loc)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "auth" && ck.Value == "planted" {
			t.Errorf("injected cookie")
		}
	}
}

func postLoginNext(t *testing.T, c *http.Client, base, token, name, pw, next string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(base+"/login", url.Values{"csrf_token": {token}, "name": {name}, "password": {pw}, "next": {next}})
	must(t, err)
	resp.Body.Close()
	return resp
}

// Session fixation with a real token: an attacker signs in with their own
// account and plants that auth cookie in the victim's browser. When the
// victim signs in, the cookie's value changes, and the planted token is
// dead — the attacker cannot ride the victim's sign-in, nor the victim
// act as the attacker.
func TestSessionFixationWithValidToken(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	must(t, accounts.NewStore(e.db, nil).CreateAccount(ctx, &accounts.Account{Name: "mallory", DisplayName: "Mallory", Role: access.RoleMember}, "ein böses Passwort"))
	attacker := browser(t)
	tok := loginForm(t, attacker, e.srv.URL)
	resp := postLogin(t, attacker, e.srv.URL, tok, "mallory", "ein böses Passwort")
	var planted string
	for _, ck := range resp.Cookies() {
		if ck.Name == "auth" {
			planted = ck.Value
		}
	}
	if planted == "" {
		t.Fatalf("attacker's sign-in failed: %d", resp.StatusCode)
	}

	victim := browser(t)
	u, _ := url.Parse(e.srv.URL)
	victim.Jar.SetCookies(u, []*http.Cookie{{Name: "auth", Value: planted, Path: "/"}})
	tok = loginForm(t, victim, e.srv.URL)
	resp = postLogin(t, victim, e.srv.URL, tok, "anna", "ein gutes Passwort")
	var got string
	for _, ck := range resp.Cookies() {
		if ck.Name == "auth" {
			got = ck.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || got == "" || got == planted {
		t.Fatalf("victim's sign-in: %d, auth cookie changed: %v", resp.StatusCode, got != planted)
	}
	// The planted token no longer signs anyone in.
	req, _ := http.NewRequest("GET", e.srv.URL+"/meetings", nil)
	req.AddCookie(&http.Cookie{Name: "auth", Value: planted})
	r2, err := http.DefaultClient.Do(req)
	must(t, err)
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if strings.Contains(string(b), "Mallory") || strings.Contains(string(b), "Anna Beispiel") {
		t.Errorf("the planted token still signs someone in")
	}
	if _, err := accounts.NewStore(e.db, nil).ResolveSignIn(ctx, planted, 1e12, 1e12); err == nil {
		t.Errorf("the planted token is still valid")
	}
	// The victim's own cookie works.
	r3, err := victim.Get(e.srv.URL + "/meetings")
	must(t, err)
	b, _ = io.ReadAll(r3.Body)
	r3.Body.Close()
	if !strings.Contains(string(b), "Anna Beispiel") {
		t.Errorf("the victim is not signed in")
	}
}

// With a public URL configured, every absolute URL is built on it,
// whatever Host a request names: OParl ids and the redirect of the API
// root, feed links and ids, the sitemap, calendar UIDs. A forged Host
// (cache poisoning, links to another site in feeds) gets nothing.
func TestPublicURLOverridesHost(t *testing.T) {
	e := newCacheEnv(t)
	h, err := web.NewServer(web.Config{Documents: e.docs, Sessions: e.st, DB: e.db, Logger: slog.New(slog.DiscardHandler), PublicURL: "https://rat.example.org/"})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct{ path, want string }{
		{"/oparl/v1/system", `"id":"https://rat.example.org/oparl/v1/system"`},
		{"/oparl/v1/body/1/meeting", `"id":"https://rat.example.org/oparl/v1/meeting/`},
		{"/feeds/documents.atom", `href="https://rat.example.org/files/`},
		{"/feeds/documents.atom", `<id>tag:rat.example.org,`},
		{"/sitemap.xml", `<loc>https://rat.example.org/sitemaps/pages.xml</loc>`},
		{"/sitemap.xml", `<loc>https://rat.example.org/sitemaps/meetings-0.xml</loc>`},
		{"/sitemaps/pages.xml", `<loc>https://rat.example.org/meetings</loc>`},
		{"/sitemaps/meetings-0.xml", `<loc>https://rat.example.org/meetings/`},
		{"/robots.txt", "Sitemap: https://rat.example.org/sitemap.xml"},
		{"/calendar.ics", `@rat.example.org`},
	} {
		for _, host := range []string{"evil.example", "rat.example.org"} {
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			req.Host = host
			req.Header.Set("X-Forwarded-Host", "evil.example")
			req.Header.Set("X-Forwarded-Proto", "http")
			resp, err := client.Do(req)
			must(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := strings.ReplaceAll(string(b), `\/`, `/`)
			if resp.StatusCode != 200 || !strings.Contains(body, c.want) || strings.Contains(body, "evil.example") || strings.Contains(body, "127.0.0.1") {
				t.Errorf("%s with Host %s: %d, want %q in %.300s", c.path, host, resp.StatusCode, c.want, body)
			}
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/oparl/v1/", nil)
	req.Host = "evil.example"
	resp, err := client.Do(req)
	must(t, err)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "https://rat.example.org/oparl/v1/system" {
		t.Errorf("redirect of the API root to %q", loc)
	}
	if _, err := web.NewServer(web.Config{Documents: e.docs, Sessions: e.st, DB: e.db, PublicURL: "https://rat.example.org/portal"}); err == nil {
		t.Errorf("a public URL with a path is accepted")
	}
}
