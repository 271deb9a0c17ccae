package alerts_test

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/notifytest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
)

// canary is in the title of every non-public object of the fixture: no
// message may ever contain it.
const canary = "KANARIE-7f3a"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	db     *sql.DB
	st     *sessions.Store
	alerts *alerts.Store
	outbox *notify.Outbox
	sender *notifytest.Sender
	clock  *clock
	org    int64
	body   int64
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// newFixture migrates db, a new database of dbtest.Each, as the binary
// does, and gives it an outbox sending to the in-memory fake (these tests
// are about what is sent) and a committee.
func newFixture(t *testing.T, db *sql.DB) *fixture {
	t.Helper()
	s := &notifytest.Sender{}
	f := newFixtureWith(t, db, s)
	f.sender = s
	return f
}

// newFixtureWith is newFixture with the outbox sending through sender.
func newFixtureWith(t *testing.T, db *sql.DB, sender notify.Sender) *fixture {
	t.Helper()
	ctx := context.Background()
	must(t, schema.Migrate(ctx, db))
	f := &fixture{db: db, clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	f.st = sessions.NewStore(db, f.clock.Now)
	f.outbox = notify.NewOutbox(db, sender, notify.Options{Now: f.clock.Now})
	f.alerts = alerts.NewStore(db, f.st, f.outbox, alerts.Options{BaseURL: "https://rat.example", Key: make([]byte, 32),
		Site: "Ratsinfo Lindenau", Now: f.clock.Now})
	b := &sessions.Body{Name: "Stadt Lindenau"}
	must(t, f.st.CreateBody(ctx, b))
	o := &sessions.Organization{BodyID: b.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	must(t, f.st.CreateOrganization(ctx, o))
	f.org, f.body = o.ID, b.ID
	return f
}

func (f *fixture) doc(t *testing.T, title string) int64 {
	t.Helper()
	var id int64
	must(t, f.db.QueryRow(`INSERT INTO documents (title, kind, file_name, created_at, created_by)
		VALUES (?, 'attachment', 'a.pdf', '2026-01-01T00:00:00Z', 'test') RETURNING id`, title).Scan(&id))
	return id
}

// meeting creates a meeting of the committee with a public item and its
// public attachment, a non-public attachment on the public item, and a
// non-public item with an attachment; the non-public ones carry the
// canary. It returns the meeting's id.
func (f *fixture) meeting(t *testing.T, name string) int64 {
	t.Helper()
	ctx := context.Background()
	m := &sessions.Meeting{OrganizationID: f.org, Name: name, Start: f.clock.Now().Add(7 * 24 * time.Hour)}
	must(t, f.st.CreateMeeting(ctx, m))
	pub := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Radweg Hauptstraße", Public: true}
	must(t, f.st.CreateAgendaItem(ctx, pub))
	secret := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: "Grundstücksverkauf " + canary}
	must(t, f.st.CreateAgendaItem(ctx, secret))
	// A paper consulted on the public item, and one on the non-public
	// item, each with a public attachment.
	consulted := func(item int64, ref, name string) int64 {
		pa := &sessions.Paper{BodyID: f.body, Reference: ref, Name: name}
		must(t, f.st.CreatePaper(ctx, pa))
		must(t, f.st.Consult(ctx, &sessions.Consultation{PaperID: pa.ID, AgendaItemID: item}))
		return pa.ID
	}
	open := consulted(pub.ID, name+"/V1", "Radverkehrskonzept")
	closed := consulted(secret.ID, name+"/V2", "Verkauf "+canary)
	for _, a := range []*sessions.Attachment{
		{PaperID: open, Title: "Konzeptpapier Radverkehr", Public: true, DocumentID: f.doc(t, "Konzeptpapier Radverkehr")},
		{PaperID: closed, Title: "Wertgutachten " + canary, Public: true, DocumentID: f.doc(t, "Wertgutachten "+canary)},
		{AgendaItemID: pub.ID, Title: "Planskizze Radweg", Public: true, DocumentID: f.doc(t, "Planskizze Radweg")},
		{AgendaItemID: pub.ID, Title: "Gutachten " + canary, DocumentID: f.doc(t, "Gutachten "+canary)},
		{AgendaItemID: secret.ID, Title: "Kaufvertrag " + canary, Public: true, DocumentID: f.doc(t, "Kaufvertrag "+canary)},
	} {
		public := a.Public
		must(t, f.st.Attach(ctx, a))
		if public {
			must(t, f.st.SetAttachmentPublic(ctx, a.ID, true))
		}
	}
	return m.ID
}

// process runs the worker over everything up to now (past the lag) and
// sends what it enqueued.
func (f *fixture) process(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	f.clock.Add(time.Minute)
	n, err := f.alerts.Process(ctx)
	must(t, err)
	_, err = f.outbox.SendDue(ctx)
	must(t, err)
	return n
}

var confirmLink = regexp.MustCompile(`https://rat\.example/alerts/confirm/([A-Za-z0-9_-]+)`)

// token returns the token of the last confirmation mail to addr.
func (f *fixture) token(t *testing.T, addr string) string {
	t.Helper()
	_, err := f.outbox.SendDue(context.Background())
	must(t, err)
	msgs := f.sender.To(addr)
	if len(msgs) == 0 {
		t.Fatalf("no confirmation mail to %s", addr)
	}
	m := confirmLink.FindStringSubmatch(msgs[len(msgs)-1].Text)
	if m == nil {
		t.Fatalf("no confirmation link in %q", msgs[len(msgs)-1].Text)
	}
	return m[1]
}

func (f *fixture) rows(t *testing.T, addr string) int {
	t.Helper()
	var n int
	must(t, f.db.QueryRow(`SELECT COUNT(*) FROM alert_subscriptions WHERE email = ?`, addr).Scan(&n))
	return n
}

func TestDoubleOptIn(t *testing.T) { dbtest.Each(t, testDoubleOptIn) }

func testDoubleOptIn(t *testing.T, db *sql.DB) {
	f := newFixture(t, db)
	ctx := context.Background()
	f.process(t) // starts the cursor
	const addr = "buerger@example.org"
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: " Buerger@Example.org ", OrganizationID: f.org}))
	token := f.token(t, addr)
	conf := f.sender.To(addr)[0]
	if !strings.Contains(conf.Text, "Bauausschuss") || !conf.OneClick || len(conf.Unsubscribe) != 1 ||
		conf.Unsubscribe[0] != "https://rat.example/api/v1/alerts/unsubscribe/"+token {
		t.Fatalf("confirmation: %+v", conf)
	}

	// Unconfirmed: a publication alerts nobody.
	must(t, f.st.PublishMeeting(ctx, f.meeting(t, "1. Sitzung"), time.Time{}))
	if n := f.process(t); n != 0 {
		t.Fatalf("%d alerts before confirmation", n)
	}
	if got := len(f.sender.To(addr)); got != 1 {
		t.Fatalf("%d messages before confirmation, want the confirmation only", got)
	}

	// Asking again resends the same link and stores no second row.
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	if got := f.token(t, addr); got != token {
		t.Fatalf("second confirmation carries another token")
	}
	if got := f.rows(t, addr); got != 1 {
		t.Fatalf("%d rows, want 1", got)
	}

	sub, err := f.alerts.Confirm(ctx, token)
	must(t, err)
	if sub.Confirmed.IsZero() {
		t.Fatal("not confirmed")
	}
	must(t, f.st.PublishMeeting(ctx, f.meeting(t, "2. Sitzung"), time.Time{}))
	if n := f.process(t); n != 1 {
		t.Fatalf("%d alerts after confirmation, want 1", n)
	}
	msgs := f.sender.To(addr)
	alert := msgs[len(msgs)-1]
	for _, want := range []string{"2. Sitzung", "Planskizze Radweg", "https://rat.example/alerts/unsubscribe/" + token} {
		if !strings.Contains(alert.Text, want) || !strings.Contains(alert.HTML, want) {
			t.Errorf("alert lacks %q:\n%s", want, alert.Text)
		}
	}
	if strings.Contains(alert.Text, "1. Sitzung") {
		t.Errorf("alert names the meeting published before confirmation")
	}
	// Confirmed: subscribing again sends nothing.
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	_, err = f.outbox.SendDue(ctx)
	must(t, err)
	if got := len(f.sender.To(addr)); got != len(msgs) {
		t.Fatalf("subscribing a confirmed address sent a message")
	}
	// Nothing new: no alert; a second run over the same window none either.
	if n := f.process(t); n != 0 {
		t.Fatalf("%d alerts without news", n)
	}
}

// TestCanary publishes a meeting with a non-public item and a non-public
// attachment whose titles carry the canary: subscribers of the committee
// and of a saved search learn of the meeting and its public attachment,
// and no message anyone gets contains the canary.
func TestCanary(t *testing.T) { dbtest.Each(t, testCanary) }

func testCanary(t *testing.T, db *sql.DB) {
	f := newFixture(t, db)
	ctx := context.Background()
	f.process(t)
	addrs := []string{"a@example.org", "b@example.org"}
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addrs[0], OrganizationID: f.org}))
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addrs[1], OrganizationID: f.org, Language: "en"}))
	for _, a := range addrs {
		_, err := f.alerts.Confirm(ctx, f.token(t, a))
		must(t, err)
	}
	id := f.meeting(t, "Sitzung des Bauausschusses")
	must(t, f.st.PublishMeeting(ctx, id, time.Time{}))
	if n := f.process(t); n != 2 {
		t.Fatalf("%d alerts, want 2", n)
	}
	for _, a := range addrs {
		msgs := f.sender.To(a)
		if len(msgs) != 2 {
			t.Fatalf("%s got %d messages, want confirmation and alert", a, len(msgs))
		}
		for _, want := range []string{"Planskizze Radweg", "Radverkehrskonzept", "Konzeptpapier Radverkehr"} {
			if !strings.Contains(msgs[1].Text, want) {
				t.Errorf("alert to %s lacks the public %q:\n%s", a, want, msgs[1].Text)
			}
		}
	}
	for _, m := range f.sender.Sent() {
		for _, part := range []string{m.Subject, m.Text, m.HTML} {
			if strings.Contains(part, canary) {
				t.Fatalf("message to %s contains the canary:\n%s", m.To, part)
			}
			if strings.Contains(part, "kind.") {
				t.Errorf("message to %s has an untranslated text:\n%s", m.To, part)
			}
		}
	}
}

// TestEmbargo: a meeting published for a later time alerts only once that
// time has come.
func TestEmbargo(t *testing.T) { dbtest.Each(t, testEmbargo) }

func testEmbargo(t *testing.T, db *sql.DB) {
	f := newFixture(t, db)
	ctx := context.Background()
	f.process(t)
	const addr = "c@example.org"
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	_, err := f.alerts.Confirm(ctx, f.token(t, addr))
	must(t, err)
	must(t, f.st.PublishMeeting(ctx, f.meeting(t, "Gesperrte Sitzung"), f.clock.Now().Add(2*time.Hour)))
	if n := f.process(t); n != 0 {
		t.Fatalf("%d alerts during the embargo", n)
	}
	f.clock.Add(2 * time.Hour)
	if n := f.process(t); n != 1 {
		t.Fatalf("%d alerts after the embargo, want 1", n)
	}
}

func TestUnsubscribeDeletesAddress(t *testing.T) { dbtest.Each(t, testUnsubscribeDeletesAddress) }

func testUnsubscribeDeletesAddress(t *testing.T, db *sql.DB) {
	f := newFixture(t, db)
	ctx := context.Background()
	f.process(t)
	const addr = "d@example.org"
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	token := f.token(t, addr)
	_, err := f.alerts.Confirm(ctx, token)
	must(t, err)
	ok, err := f.alerts.Unsubscribe(ctx, token)
	must(t, err)
	if !ok || f.rows(t, addr) != 0 {
		t.Fatalf("unsubscribe: %v, %d rows left", ok, f.rows(t, addr))
	}
	if ok, err := f.alerts.Unsubscribe(ctx, token); err != nil || ok {
		t.Fatalf("second unsubscribe: %v %v", ok, err)
	}
	if _, err := f.alerts.Find(ctx, token); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("find after unsubscribe: %v", err)
	}
}

func TestUnconfirmedExpire(t *testing.T) { dbtest.Each(t, testUnconfirmedExpire) }

func testUnconfirmedExpire(t *testing.T, db *sql.DB) {
	f := newFixture(t, db)
	ctx := context.Background()
	const addr = "e@example.org"
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	token := f.token(t, addr)
	f.clock.Add(alerts.UnconfirmedTTL + time.Minute)
	if _, err := f.alerts.Confirm(ctx, token); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("confirm after 48 h: %v", err)
	}
	n, err := f.alerts.Sweep(ctx)
	must(t, err)
	if n != 1 || f.rows(t, addr) != 0 {
		t.Fatalf("sweep deleted %d, %d rows left", n, f.rows(t, addr))
	}
	var left int
	must(t, f.db.QueryRow(`SELECT COUNT(*) FROM alert_requests`).Scan(&left))
	if left != 0 {
		t.Fatalf("%d request log rows left after a day", left)
	}
}

func TestAddressLimit(t *testing.T) { dbtest.Each(t, testAddressLimit) }

func testAddressLimit(t *testing.T, db *sql.DB) {
	f := newFixture(t, db)
	ctx := context.Background()
	const addr = "f@example.org"
	for range alerts.MaxRequestsPerAddress + 2 {
		must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	}
	_, err := f.outbox.SendDue(ctx)
	must(t, err)
	if got := len(f.sender.To(addr)); got != alerts.MaxRequestsPerAddress {
		t.Fatalf("%d confirmation mails, want %d", got, alerts.MaxRequestsPerAddress)
	}
	f.clock.Add(alerts.RequestWindow)
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	_, err = f.outbox.SendDue(ctx)
	must(t, err)
	if got := len(f.sender.To(addr)); got != alerts.MaxRequestsPerAddress+1 {
		t.Fatalf("after a day: %d confirmation mails", got)
	}
}

func TestSubscribeRefuses(t *testing.T) { dbtest.Each(t, testSubscribeRefuses) }

func testSubscribeRefuses(t *testing.T, db *sql.DB) {
	f := newFixture(t, db)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  alerts.Request
		code string
	}{
		{"no address", alerts.Request{OrganizationID: f.org}, ratsmappe.EINVALID},
		{"address with name", alerts.Request{Email: "Anna <a@example.org>", OrganizationID: f.org}, ratsmappe.EINVALID},
		{"header injection", alerts.Request{Email: "a@example.org\r\nBcc: x@example.org", OrganizationID: f.org}, ratsmappe.EINVALID},
		{"no target", alerts.Request{Email: "a@example.org"}, ratsmappe.EINVALID},
		{"two targets", alerts.Request{Email: "a@example.org", OrganizationID: f.org, Query: "x"}, ratsmappe.EINVALID},
		{"missing committee", alerts.Request{Email: "a@example.org", OrganizationID: 9999}, ratsmappe.ENOTFOUND},
		{"long query", alerts.Request{Email: "a@example.org", Query: strings.Repeat("x", alerts.MaxQuery+1)}, ratsmappe.EINVALID},
		{"query in a line break", alerts.Request{Email: "a@example.org", Query: "Rad\r\nweg"}, ratsmappe.EINVALID},
		{"search without an index", alerts.Request{Email: "a@example.org", Query: "Radweg"}, ratsmappe.EUNAVAILABLE},
	} {
		if err := f.alerts.Subscribe(ctx, tc.req); ratsmappe.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	var n int
	must(t, f.db.QueryRow(`SELECT COUNT(*) FROM alert_subscriptions`).Scan(&n))
	if n != 0 {
		t.Fatalf("%d rows stored from refused requests", n)
	}
}

// Two app servers on one PostgreSQL database: requests for one address
// sent at once through both stay within the address's limit and fail
// none, and the workers of both, whose clocks differ by a millisecond,
// send each subscriber one alert for one publication.
func TestTwoServers(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t, sqldb.Postgres)
	f := newFixture(t, d.Open(t))
	f.process(t) // starts the cursors
	var servers []*alerts.Store
	for i := range 2 {
		db := d.Open(t)
		now := func() time.Time { return f.clock.Now().Add(time.Duration(i) * time.Millisecond) }
		st := sessions.NewStore(db, now)
		out := notify.NewOutbox(db, f.sender, notify.Options{Now: now})
		servers = append(servers, alerts.NewStore(db, st, out, alerts.Options{BaseURL: "https://rat.example", Key: make([]byte, 32),
			Site: "Ratsinfo Lindenau", Now: now}))
	}
	const addr = "buerger@example.org"
	var wg sync.WaitGroup
	for range 4 {
		for _, s := range servers {
			wg.Go(func() {
				if err := s.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}); err != nil {
					t.Errorf("subscribe: %v", err)
				}
			})
		}
	}
	wg.Wait()
	f.clock.Add(time.Second) // past the later clock's due times
	_, err := f.outbox.SendDue(ctx)
	must(t, err)
	if got := len(f.sender.To(addr)); got != alerts.MaxRequestsPerAddress {
		t.Errorf("%d confirmation mails for 8 requests at once, want the limit, %d", got, alerts.MaxRequestsPerAddress)
	}
	_, err = f.alerts.Confirm(ctx, f.token(t, addr))
	must(t, err)
	before := len(f.sender.To(addr))

	must(t, f.st.PublishMeeting(ctx, f.meeting(t, "2. Sitzung"), time.Time{}))
	f.clock.Add(time.Minute)
	for _, s := range servers {
		wg.Go(func() {
			if _, err := s.Process(ctx); err != nil {
				t.Errorf("process: %v", err)
			}
		})
	}
	wg.Wait()
	f.clock.Add(time.Second)
	_, err = f.outbox.SendDue(ctx)
	must(t, err)
	if got := len(f.sender.To(addr)) - before; got != 1 {
		t.Errorf("%d alerts for one publication, want 1", got)
	}
}
