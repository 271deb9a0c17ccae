package web_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/web"
)

// A calendar is offered to subscribe to, not only to download: a
// webcal:// link and the https address to copy, both on the server's
// public address (html/template must not blank the webcal scheme), on the
// start page and on a committee's page.
func TestICalSubscription(t *testing.T) {
	e := newCacheEnv(t)
	h, err := web.NewServer(web.Config{Documents: e.docs, Sessions: e.st, DB: e.db, Logger: slog.New(slog.DiscardHandler), PublicURL: "https://rat.example.org/"})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for path, cal := range map[string]string{"/": "/calendar.ics", "/organizations/1": "/organizations/1/calendar.ics"} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		for _, want := range []string{`href="webcal://rat.example.org` + cal + `"`, `value="https://rat.example.org` + cal + `"`, `data-copy="calendar-url"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}
