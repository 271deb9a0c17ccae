package web_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/notifytest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
	"github.com/ratsmappe/ratsmappe/web"
)

type alertEnv struct {
	*env
	db     *sql.DB
	outbox *notify.Outbox
	sender *notifytest.Sender
	org    int64
}

// newAlertServer is newServer with citizen alerts and a committee; the
// outbox sends to the in-memory fake, since these tests are about the
// pages (the alerts package's tests send over a real SMTP server).
func newAlertServer(t *testing.T) *alertEnv {
	t.Helper()
	e := &alertEnv{sender: &notifytest.Sender{}}
	e.env = newServerWith(t, func(db *sql.DB, cfg *web.Config) {
		e.db, e.outbox = db, notify.NewOutbox(db, e.sender, notify.Options{})
		cfg.Alerts = alerts.NewStore(db, cfg.Sessions, e.outbox, alerts.Options{BaseURL: "https://rat.example", Key: make([]byte, 32)})
	})
	ctx := context.Background()
	b := &sessions.Body{Name: "Stadt Lindenau"}
	if err := e.sessions.CreateBody(ctx, b); err != nil {
		t.Fatal(err)
	}
	o := &sessions.Organization{BodyID: b.ID, Name: "Umweltausschuss", Classification: sessions.ClassCommittee}
	if err := e.sessions.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	e.org = o.ID
	return e
}

// page GETs path with c and returns the status, body and the form token.
func (e *alertEnv) page(t *testing.T, c *http.Client, path string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	tok := ""
	if m := csrfRE.FindSubmatch(b); m != nil {
		tok = string(m[1])
	}
	return resp.StatusCode, string(b), tok
}

func (e *alertEnv) post(t *testing.T, c *http.Client, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(e.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var alertToken = regexp.MustCompile(`/alerts/confirm/([A-Za-z0-9_-]+)`)

// subscribe fills in the form for addr and returns the token of the
// confirmation mail.
func (e *alertEnv) subscribe(t *testing.T, addr string) string {
	t.Helper()
	c := browser(t)
	status, body, tok := e.page(t, c, "/alerts?organization="+itoa(e.org))
	if status != http.StatusOK || !strings.Contains(body, "Umweltausschuss") || !strings.Contains(body, "48 Stunden") {
		t.Fatalf("form: %d\n%s", status, body)
	}
	status, body = e.post(t, c, "/alerts", url.Values{"csrf_token": {tok}, "organization": {itoa(e.org)}, "email": {addr}})
	if status != http.StatusOK {
		t.Fatalf("subscribe: %d\n%s", status, body)
	}
	if _, err := e.outbox.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := e.sender.To(addr)
	if len(msgs) == 0 {
		t.Fatalf("no confirmation mail")
	}
	m := alertToken.FindStringSubmatch(msgs[len(msgs)-1].Text)
	if m == nil {
		t.Fatalf("no link in %q", msgs[len(msgs)-1].Text)
	}
	return m[1]
}

func (e *alertEnv) state(t *testing.T, addr string) string {
	t.Helper()
	var confirmed sql.NullInt64
	err := e.db.QueryRow(`SELECT confirmed_at FROM alert_subscriptions WHERE email = ?`, addr).Scan(&confirmed)
	switch {
	case err == sql.ErrNoRows:
		return "none"
	case err != nil:
		t.Fatal(err)
	case confirmed.Valid:
		return "confirmed"
	}
	return "unconfirmed"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAlertDoubleOptInPages(t *testing.T) {
	e := newAlertServer(t)
	const addr = "buerger@example.org"
	token := e.subscribe(t, addr)
	if got := e.state(t, addr); got != "unconfirmed" {
		t.Fatalf("after the form: %s", got)
	}
	c := browser(t)
	// The link's GET (what a mail scanner fetches) confirms nothing.
	status, body, tok := e.page(t, c, "/alerts/confirm/"+token)
	if status != http.StatusOK || !strings.Contains(body, "Umweltausschuss") || tok == "" {
		t.Fatalf("confirm page: %d\n%s", status, body)
	}
	if got := e.state(t, addr); got != "unconfirmed" {
		t.Fatalf("after GET: %s", got)
	}
	// A POST without the form token is refused.
	if status, _ := e.post(t, browser(t), "/alerts/confirm/"+token, nil); status != http.StatusForbidden {
		t.Fatalf("POST without form token: %d", status)
	}
	if status, body := e.post(t, c, "/alerts/confirm/"+token, url.Values{"csrf_token": {tok}}); status != http.StatusOK {
		t.Fatalf("confirm: %d\n%s", status, body)
	}
	if got := e.state(t, addr); got != "confirmed" {
		t.Fatalf("after POST: %s", got)
	}
	// In English, on request.
	if _, body, _ := e.page(t, c, "/alerts/confirm/"+token+"?lang=en"); !strings.Contains(body, "Subscription confirmed") && !strings.Contains(body, "Confirm subscription") {
		t.Fatalf("English page:\n%s", body)
	}
	// A made-up token is missing.
	if status, _, _ := e.page(t, c, "/alerts/confirm/"+strings.Repeat("A", 43)); status != http.StatusNotFound {
		t.Fatalf("unknown token: %d", status)
	}
}

func TestAlertUnsubscribe(t *testing.T) {
	e := newAlertServer(t)

	// Through the page: GET shows the button, POST deletes the address.
	const a = "a@example.org"
	token := e.subscribe(t, a)
	c := browser(t)
	status, body, tok := e.page(t, c, "/alerts/unsubscribe/"+token)
	if status != http.StatusOK || e.state(t, a) != "unconfirmed" {
		t.Fatalf("unsubscribe page: %d, %s\n%s", status, e.state(t, a), body)
	}
	if status, body := e.post(t, c, "/alerts/unsubscribe/"+token, url.Values{"csrf_token": {tok}}); status != http.StatusOK {
		t.Fatalf("unsubscribe: %d\n%s", status, body)
	}
	if got := e.state(t, a); got != "none" {
		t.Fatalf("after unsubscribing: %s", got)
	}

	// One-click (RFC 8058): the mail client's POST, without cookies or
	// form token, to the List-Unsubscribe URI.
	const b = "b@example.org"
	token = e.subscribe(t, b)
	conf := e.sender.To(b)[0]
	if !conf.OneClick || conf.Unsubscribe[0] != "https://rat.example/api/v1/alerts/unsubscribe/"+token {
		t.Fatalf("List-Unsubscribe: %v %v", conf.Unsubscribe, conf.OneClick)
	}
	path := strings.TrimPrefix(conf.Unsubscribe[0], "https://rat.example")
	if status, _ := e.post(t, http.DefaultClient, path, url.Values{"other": {"x"}}); status != http.StatusBadRequest {
		t.Fatalf("POST without List-Unsubscribe=One-Click: %d", status)
	}
	if e.state(t, b) == "none" {
		t.Fatal("deleted without One-Click")
	}
	if status, body := e.post(t, http.DefaultClient, path, url.Values{"List-Unsubscribe": {"One-Click"}}); status != http.StatusOK {
		t.Fatalf("one-click: %d\n%s", status, body)
	}
	if got := e.state(t, b); got != "none" {
		t.Fatalf("after one-click: %s", got)
	}
	// Again: the same answer.
	if status, _ := e.post(t, http.DefaultClient, path, url.Values{"List-Unsubscribe": {"One-Click"}}); status != http.StatusOK {
		t.Fatalf("second one-click: %d", status)
	}
}

// TestAlertFormRefuses: a bad address is told on the form; the same page
// answers a new and an already confirmed address; a flood from one client
// is stopped.
func TestAlertFormRefuses(t *testing.T) {
	e := newAlertServer(t)
	c := browser(t)
	_, _, tok := e.page(t, c, "/alerts")
	status, body := e.post(t, c, "/alerts", url.Values{"csrf_token": {tok}, "organization": {itoa(e.org)}, "email": {"kein-adresse"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "gültige E-Mail-Adresse") {
		t.Fatalf("bad address: %d\n%s", status, body)
	}
	token := e.subscribe(t, "x@example.org")
	_, _, ctok := e.page(t, c, "/alerts/confirm/"+token)
	e.post(t, c, "/alerts/confirm/"+token, url.Values{"csrf_token": {ctok}})
	answer := func(addr string) string {
		_, body := e.post(t, c, "/alerts", url.Values{"csrf_token": {tok}, "organization": {itoa(e.org)}, "email": {addr}})
		return body
	}
	if known, fresh := answer("x@example.org"), answer("y@example.org"); known != fresh {
		t.Fatalf("the answer tells a subscribed address from a new one")
	}
	var last int
	for range 12 {
		last, _ = e.post(t, c, "/alerts", url.Values{"csrf_token": {tok}, "organization": {itoa(e.org)}, "email": {"z@example.org"}})
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("flood from one client: %d, want 429", last)
	}
}

// Without an alert store the pages are missing.
func TestAlertPagesWithoutStore(t *testing.T) {
	e := newServer(t)
	for _, path := range []string{"/alerts", "/alerts/confirm/x", "/alerts/unsubscribe/x"} {
		if resp, _ := get(t, e.srv.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	resp, err := http.PostForm(e.srv.URL+"/api/v1/alerts/unsubscribe/x", url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("one-click: %d", resp.StatusCode)
	}
}

// The portal leads citizens to the alerts: the committee's page to its
// subscription, a search's results to a saved search, the footer of every
// page to the form — and nowhere when the server offers no alerts.
func TestAlertLinksOnPortal(t *testing.T) {
	e := &alertEnv{sender: &notifytest.Sender{}}
	e.env = newServerWith(t, func(db *sql.DB, cfg *web.Config) {
		cfg.Alerts = alerts.NewStore(db, cfg.Sessions, notify.NewOutbox(db, e.sender, notify.Options{}),
			alerts.Options{BaseURL: "https://rat.example", Key: make([]byte, 32)})
		cfg.Search = &fakeSearcher{}
	})
	without := newServerWith(t, func(db *sql.DB, cfg *web.Config) { cfg.Search = &fakeSearcher{} })
	ctx := context.Background()
	for _, st := range []*sessions.Store{e.sessions, without.sessions} {
		b := &sessions.Body{Name: "Stadt Lindenau"}
		must(t, st.CreateBody(ctx, b))
		must(t, st.CreateOrganization(ctx, &sessions.Organization{BodyID: b.ID, Name: "Umweltausschuss", Classification: sessions.ClassCommittee}))
	}
	orgs, err := e.sessions.FindOrganizations(ctx, sessions.OrganizationFilter{})
	must(t, err)
	org := itoa(orgs[0].ID)
	for _, tc := range []struct{ path, link string }{
		{"/organizations/" + org, `href="/alerts?organization=` + org + `">E-Mail-Benachrichtigung`},
		{"/search?q=Radweg%20S%C3%BCd", `href="/alerts?q=Radweg%20S%c3%bcd">E-Mail-Benachrichtigung`},
		{"/", `href="/alerts">Benachrichtigung per E-Mail</a>`},
	} {
		resp, body := get(t, e.srv.URL+tc.path)
		if resp.StatusCode != 200 || !strings.Contains(body, tc.link) {
			t.Errorf("%s: %d, lacks %s", tc.path, resp.StatusCode, tc.link)
		}
		if resp, body := get(t, without.srv.URL+tc.path); resp.StatusCode != 200 || strings.Contains(body, `href="/alerts`) {
			t.Errorf("%s without alerts: %d, links to them", tc.path, resp.StatusCode)
		}
	}
	// The links lead to the form for that committee and that search.
	for path, want := range map[string]string{"/alerts?organization=" + org: "Umweltausschuss", "/alerts?q=Radweg%20S%C3%BCd": "Radweg Süd"} {
		if resp, body := get(t, e.srv.URL+path); resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, lacks %q", path, resp.StatusCode, want)
		}
	}
}
