package render_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

func TestStatus(t *testing.T) {
	for code, want := range map[string]int{
		ratsmappe.EINVALID: 400, ratsmappe.EUNAUTHORIZED: 401, ratsmappe.EFORBIDDEN: 403,
		ratsmappe.ENOTFOUND: 404, ratsmappe.ECONFLICT: 409, ratsmappe.ETOOLARGE: 413,
		ratsmappe.EUNSUPPORTED: 415, ratsmappe.EINTERNAL: 500, ratsmappe.EUNAVAILABLE: 503, "other": 500,
	} {
		if got := render.Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
}

// An internal error shows a person "internal error" and a request ID,
// never the error's text — as JSON, as a page and as an OParl object.
func TestInternalErrorHidesDetails(t *testing.T) {
	secret := errors.New("sql: database is locked at /var/lib/secret.db")
	for _, c := range []struct {
		name    string
		surface render.Surface
		accept  string
		want    string
	}{
		{"api", render.API, "", `"message":"internal error"`},
		{"by request, json", render.ByRequest, "application/json", `"message":"internal error"`},
		{"by request, page", render.ByRequest, "text/html", "<html"},
		{"page", render.Pages, "", "<html"},
		{"oparl", render.OParl, "", `"type":"https://schema.oparl.org/1.1/Error"`},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Accept", c.accept)
		render.As(c.surface)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			render.Error(w, r, secret)
		})).ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != 500 || strings.Contains(body, "secret") || strings.Contains(body, "sql") || !strings.Contains(body, c.want) {
			t.Errorf("%s: got %d %s", c.name, rec.Code, body)
		}
	}
	rec := httptest.NewRecorder()
	render.Error(rec, httptest.NewRequest("GET", "/x", nil), documents.Reject(documents.RejectEncrypted, errors.New("pdfium: 4")))
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"code":"encrypted"`) || strings.Contains(rec.Body.String(), "pdfium") {
		t.Errorf("rejection: %d %s", rec.Code, rec.Body.String())
	}
}

// A request whose client went away is not an internal error: nothing is
// logged at error level (before, every canceled query of a closed tab was).
func TestCanceledIsNotAnInternalError(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(request.WithLogger(context.Background(), log))
	cancel()
	rec := httptest.NewRecorder()
	render.Error(rec, httptest.NewRequest("GET", "/x", nil).WithContext(ctx), fmt.Errorf("find meetings: %w", context.Canceled))
	if logged.Len() != 0 {
		t.Errorf("logged: %s", logged.String())
	}
	// Canceled without the request being canceled (a timeout inside) is
	// still the server's error.
	rec = httptest.NewRecorder()
	render.Error(rec, httptest.NewRequest("GET", "/x", nil).WithContext(request.WithLogger(context.Background(), log)), context.Canceled)
	if rec.Code != 500 || !strings.Contains(logged.String(), "internal error") {
		t.Errorf("an inner cancellation: %d, logged %q", rec.Code, logged.String())
	}
}
