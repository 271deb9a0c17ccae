package web_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/web"
)

func newServer(t *testing.T, serveFiles bool) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := sqlite.Migrate(ctx, db, "documents", documents.Migrations()); err != nil {
		t.Fatal(err)
	}
	// The blob store is the in-memory fake: these tests are about HTTP.
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory()})
	h, err := web.NewServer(web.Config{Documents: svc, DB: db, ServeFilesUnchecked: serveFiles})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
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
	srv := newServer(t, false)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, body := get(t, srv.URL+p)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	resp, _ := get(t, srv.URL+"/healthz")
	for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
}

// A route that does not exist, a document that does not exist and a
// malformed id all answer the same 404 — nothing tells them apart.
func TestNotFoundIsUniform(t *testing.T) {
	srv := newServer(t, true)
	var first string
	for _, p := range []string{
		"/api/v1/documents/1/versions/1/file",
		"/api/v1/documents/999999/versions/3/file",
		"/api/v1/documents/abc/versions/1/file",
		"/api/v1/documents/-1/versions/0/file",
		"/nonexistent",
	} {
		resp, body := get(t, srv.URL+p)
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

func TestErrorStatus(t *testing.T) {
	for code, want := range map[string]int{
		ratsmappe.EINVALID: 400, ratsmappe.EUNAUTHORIZED: 401, ratsmappe.EFORBIDDEN: 403,
		ratsmappe.ENOTFOUND: 404, ratsmappe.ECONFLICT: 409, ratsmappe.ETOOLARGE: 413,
		ratsmappe.EUNSUPPORTED: 415, ratsmappe.EINTERNAL: 500, ratsmappe.EUNAVAILABLE: 503, "other": 500,
	} {
		if got := web.ErrorStatus(code); got != want {
			t.Errorf("ErrorStatus(%s) = %d, want %d", code, got, want)
		}
	}
}

// An internal error shows a person "internal error" and a request ID,
// never the error's text.
func TestInternalErrorHidesDetails(t *testing.T) {
	s, err := web.NewServer(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	s.Error(rec, req, errors.New("sql: database is locked at /var/lib/secret.db"))
	body := rec.Body.String()
	if rec.Code != 500 || strings.Contains(body, "secret") || strings.Contains(body, "sql") || !strings.Contains(body, "internal error") {
		t.Errorf("got %d %s", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	s.Error(rec, req, documents.Reject(documents.RejectEncrypted, errors.New("pdfium: 4")))
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"code":"encrypted"`) || strings.Contains(rec.Body.String(), "pdfium") {
		t.Errorf("rejection: %d %s", rec.Code, rec.Body.String())
	}
}
