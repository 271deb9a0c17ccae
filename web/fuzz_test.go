package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The parsers of untrusted request input never panic, and what they let
// through is safe: redirects stay on the site, header values stay one
// line, times parse or are refused with a message.

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/meetings", "//evil.example", "https://evil.example/", "/\\evil", "javascript:alert(1)", "/a?b=c#d", "/%2F%2Fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}

func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"Vorlage.pdf", "a\"b;c.pdf", "../../etc/passwd", "Straßenausbaubeiträge – „neu“.pdf", "x\r\nSet-Cookie: a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v := documents.ContentDisposition("attachment", name)
		if strings.ContainsAny(v, "\r\n\x00") || !utf8.ValidString(v) || !strings.HasPrefix(v, "attachment") {
			t.Fatalf("ContentDisposition(%q) = %q", name, v)
		}
	})
}

// FuzzRequest sends arbitrary requests — method, target, content type,
// body, language and condition headers — through the whole middleware
// chain (admission, body limits and form parsing, CSRF, language,
// authentication, the public cache) and every route of a server on an
// empty database: never a panic, never a 5xx, always the security
// headers.
func FuzzRequest(f *testing.F) {
	s := fuzzServer(f)
	f.Add("POST", "/login", "application/x-www-form-urlencoded", "name=a&password=b&csrf_token=x", "de-DE,en;q=0.5", `"abc"`, "auth=x; lang=en")
	f.Add("GET", "/healthz?lang=en", "", "", "en", "*", "")
	f.Add("PUT", "/static/../x", "multipart/form-data; boundary=x", "--x\r\n\r\n--x--", "", "", "csrf=abc")
	f.Add("POST", "/api/v1/meetings", "application/json", `{"a":`, "*;q=0", `W/"x", "y"`, "")
	f.Add("GET", "/oparl/v1/body/1/meeting?limit=2&page=3&modified_since=2026-01-01T00:00:00Z", "", "", "", "", "")
	f.Add("GET", "/files/0000000000000000000000000000000000000000000000000000000000000000.pdf?download=1", "", "", "", "", "")
	f.Add("HEAD", "/meetings/1", "", "", "en", "", "lang=de")
	f.Add("GET", "/api/v1/meetings?from=2026-13-01", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, target, ctype, body, acceptLang, ifNoneMatch, cookie string) {
		if !validToken(method) || !strings.HasPrefix(target, "/") {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "/", strings.NewReader(body))
		r.Method, r.URL, r.RequestURI = method, u, target
		r.ContentLength = int64(len(body))
		for k, v := range map[string]string{"Content-Type": ctype, "Accept-Language": acceptLang, "If-None-Match": ifNoneMatch, "Cookie": cookie} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 || w.Code < 100 {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body.String())
		}
		if w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s %s: %d without security headers", method, target, w.Code)
		}
	})
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// fuzzServer is a server on a real, empty database with one account
// (anna, a member).
func fuzzServer(f testing.TB) *Server {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "t.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if err := schema.Migrate(ctx, db); err != nil {
		f.Fatal(err)
	}
	st := sessions.NewStore(db, nil)
	if err := accounts.NewStore(db, nil).CreateAccount(ctx, &accounts.Account{Name: "anna", Role: access.RoleMember}, "ein gutes Passwort"); err != nil {
		f.Fatal(err)
	}
	s, err := NewServer(Config{Sessions: st, DB: db, Documents: documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db)}),
		Logger: slog.New(slog.DiscardHandler), TempDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// FuzzLoginForm posts arbitrary sign-in forms (with a valid form token)
// to the real handler on a real database: the answer is a redirect on the
// site with a fresh auth cookie, or a refusal — never a 5xx. Each
// attempt costs the full argon2id work, so few run per second; the seeds
// run in every go test.
func FuzzLoginForm(f *testing.F) {
	s := fuzzServer(f)
	tok := s.csrf.sign(make([]byte, 16))
	f.Add("name=anna&password=ein+gutes+Passwort&next=/meetings", "10.0.0.1")
	f.Add("name=ANNA+&password=x&next=//evil.example", "10.0.0.2")
	f.Add("name=%00&password=%ff%fe&next=/%0d%0aX:y", "")
	f.Add("name=a&name=b&password=;&next=javascript:alert(1)", "::1")
	f.Fuzz(func(t *testing.T, form, ip string) {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form+"&csrf_token="+tok))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
		r.RemoteAddr = net.JoinHostPort(ip, "1234") // spreads the per-address limit
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusSeeOther:
			loc := w.Header().Get("Location")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\\r\n") {
				t.Fatalf("form %q: redirect to %q", form, loc)
			}
			if !strings.Contains(w.Header().Get("Set-Cookie"), authCookie+"=") {
				t.Fatalf("form %q: signed in without a cookie", form)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("form %q: %d %s", form, w.Code, w.Body.String())
		}
	})
}

// FuzzRequestHeaders checks the small parsers of request headers and
// cookies: the language is always one the UI speaks, If-None-Match lists
// and CSRF tokens never panic, and a signed token is valid.
func FuzzRequestHeaders(f *testing.F) {
	c := newCSRF([]byte("0123456789abcdef0123456789abcdef"), func(*http.Request) bool { return false })
	f.Add("de-DE,de;q=0.9,en;q=0.8", "en", "fr", `W/"a", "b"`, "AAAA", []byte("0123456789abcdef"))
	f.Add("*", "", "en;x", "*", "", []byte{})
	f.Fuzz(func(t *testing.T, acceptLang, cookieLang, queryLang, inm, token string, nonce []byte) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = url.Values{"lang": {queryLang}}.Encode()
		r.Header.Set("Accept-Language", acceptLang)
		r.Header.Set("Cookie", "lang="+cookieLang)
		if l := render.Language(r); l != "de" && l != "en" {
			t.Fatalf("language = %q", l)
		}
		request.ETagMatches(inm, `"abc"`)
		c.valid(token)
		if len(nonce) == 16 && !c.valid(c.sign(nonce)) {
			t.Fatalf("a signed token is not valid")
		}
	})
}
