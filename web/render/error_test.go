package render_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
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
		ratsmappe.EUNSUPPORTED: 415, ratsmappe.EUNPROCESSABLE: 422, ratsmappe.EINTERNAL: 500, ratsmappe.EUNAVAILABLE: 503, "other": 500,
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
}

// A refused upload is a ratsmappe.Error like any other refusal. The API
// answers it as it has since v1 (422 with the reason as its code, 413 for
// a file over the limit), with both messages and never the cause; a page
// shows its German message; neither is logged as an internal error.
func TestRefusedUpload(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo}))
	for _, c := range []struct {
		err    error
		status int
		body   string
	}{
		{documents.Reject(documents.RejectEncrypted, errors.New("pdfium: 4")), 422,
			`{"code":"encrypted","message":"Das PDF ist mit einem Passwort geschützt. Bitte entfernen Sie den Passwortschutz und laden Sie es erneut hoch.","message_en":"The PDF is password-protected. Please remove the password and upload it again.","reason":"encrypted"}`},
		{fmt.Errorf("add: %w", documents.Reject(documents.RejectNotPDF, nil)), 422, `"code":"not_pdf"`},
		{documents.RejectLimit(documents.LimitPages, 10000, errors.New("pdfcpu: 12000 pages")), 422, `"code":"resource_limit"`},
		{documents.Reject(documents.RejectTooLarge, errors.New("http: request body too large")), 413, `{"code":"too_large","message":"Die Datei ist zu groß.`},
	} {
		rec := httptest.NewRecorder()
		ctx := request.WithLogger(context.Background(), log)
		render.As(render.API)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			render.Error(w, r, c.err)
		})).ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/documents", nil).WithContext(ctx))
		body := rec.Body.String()
		if rec.Code != c.status || !strings.Contains(body, c.body) || strings.Contains(body, "pdfium") || strings.Contains(body, "pdfcpu") || strings.Contains(body, "request body") {
			t.Errorf("%v: got %d %s", c.err, rec.Code, body)
		}
		rec = httptest.NewRecorder()
		render.As(render.Pages)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			render.Error(w, r, c.err)
		})).ServeHTTP(rec, httptest.NewRequest("POST", "/office/documents", nil).WithContext(ctx))
		if want := documents.RejectionOf(c.err).Message; rec.Code != c.status || !strings.Contains(rec.Body.String(), html.EscapeString(want)) {
			t.Errorf("%v as a page: got %d, want the message %q", c.err, rec.Code, want)
		}
	}
	if logged.Len() != 0 {
		t.Errorf("logged: %s", logged.String())
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
