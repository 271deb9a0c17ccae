package notices_test

import (
	"context"
	"database/sql"
	"fmt"
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
	"github.com/ratsmappe/ratsmappe/documents/ingesttest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/notifytest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/notices"
)

const canary = "ZQCANARYGRUNDSTUECK"

func TestMain(m *testing.M) { pgtest.Main(m) }

// migrate migrates db, a new database of dbtest.Each, as the binary does.
func migrate(t *testing.T, db *sql.DB) {
	t.Helper()
	must(t, schema.Migrate(context.Background(), db))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A committee of Anna (e-mail at once, and push), Bernd (daily digest,
// excluded from a non-public item) and Clara (reader only), and Dora, who
// sits on another committee. Every change after the publication reaches
// exactly the members who may see it, once, in their chosen way; the
// canary title of the item Bernd is excluded from reaches no message and
// no notice of his.
func TestNotices(t *testing.T) { dbtest.Each(t, testNotices) }

func testNotices(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	dir := t.TempDir()
	migrate(t, db)
	var err error
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := sessions.NewStore(db, clock)
	acc := accounts.NewStore(db, clock)
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: ingesttest.Ingester{}})

	body := &sessions.Body{Name: "Stadt Lindenau"}
	must(t, st.CreateBody(ctx, body))
	bau := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	kultur := &sessions.Organization{BodyID: body.ID, Name: "Kulturausschuss", Classification: sessions.ClassCommittee}
	must(t, st.CreateOrganization(ctx, bau))
	must(t, st.CreateOrganization(ctx, kultur))
	accountOf := map[string]int64{}
	personOf := map[string]int64{}
	for _, p := range []struct {
		name string
		org  int64
	}{{"Anna", bau.ID}, {"Bernd", bau.ID}, {"Clara", bau.ID}, {"Dora", kultur.ID}} {
		per := &sessions.Person{BodyID: body.ID, GivenName: p.name, FamilyName: "Beispiel"}
		must(t, st.CreatePerson(ctx, per))
		must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: per.ID, OrganizationID: p.org, Role: "Mitglied", VotingRight: true, StartDate: "2024-07-01"}))
		a := &accounts.Account{Name: strings.ToLower(p.name), DisplayName: p.name, Role: access.RoleMember, PersonID: per.ID}
		must(t, acc.CreateAccount(ctx, a, "ein gutes Passwort"))
		accountOf[p.name], personOf[p.name] = a.ID, per.ID
	}
	prefs := func(ctx context.Context, tx *sql.Tx, account int64) (notices.Pref, error) {
		switch account {
		case accountOf["Anna"]:
			return notices.Pref{Email: "anna@lindenau.example"}, nil
		case accountOf["Bernd"]:
			return notices.Pref{Email: "bernd@lindenau.example", Digest: true}, nil
		}
		return notices.Pref{}, nil
	}
	sender := &notifytest.Sender{}
	out := notify.NewOutbox(db, sender, notify.Options{Now: clock, Domain: "lindenau.example"})
	w := notices.NewWorker(notices.Config{DB: db, Store: st, Outbox: out, Prefs: prefs, BaseURL: "https://rat.lindenau.example", Now: clock})
	step := func() {
		t.Helper()
		steps(t, ctx, w)
		_, err := out.SendDue(ctx)
		must(t, err)
	}
	list := func(name string) []notices.Notice {
		t.Helper()
		ns, err := notices.List(ctx, db, accountOf[name], 0, 100)
		must(t, err)
		return ns
	}

	m := &sessions.Meeting{OrganizationID: bau.ID, Name: "Bauausschuss", Start: now.Add(7 * 24 * time.Hour), Location: "Rathaus, Saal 1"}
	must(t, st.CreateMeeting(ctx, m))
	public := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Radweg Lindenstraße", Public: true}
	must(t, st.CreateAgendaItem(ctx, public))
	upload := func(content string) int64 {
		p := filepath.Join(dir, "u.pdf")
		must(t, os.WriteFile(p, []byte("%PDF-"+content), 0o644))
		a, err := svc.AddDocument(ctx, documents.Upload{Path: p, FileName: "Vorlage.pdf", Title: "Beschlussvorlage Radweg", Uploader: "amt"})
		must(t, err)
		return a.Document.ID
	}
	doc := upload("Fassung 1")
	must(t, st.Attach(ctx, &sessions.Attachment{AgendaItemID: public.ID, DocumentID: doc, Public: true}))
	step() // nothing published yet
	must(t, st.PublishMeeting(ctx, m.ID, time.Time{}))
	// Anna was invited by e-mail (her calendar has the meeting); Clara
	// by post.
	_, err = db.ExecContext(ctx, `INSERT INTO invitations (id, meeting_id, number, deadline_at, issued_at, document_id, version, mailer)
		VALUES (900, ?, 1, 0, 0, ?, 1, 1)`, m.ID, doc)
	must(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO invitation_recipients (invitation_id, person_id, channel, address, outbox_key)
		VALUES (900, ?, 'email', 'anna@lindenau.example', 'k1'), (900, ?, 'post', '', '')`, personOf["Anna"], personOf["Clara"])
	must(t, err)
	step()
	for _, n := range []string{"Anna", "Bernd", "Clara", "Dora"} {
		if ns := list(n); len(ns) != 0 {
			t.Errorf("%s is told of the publication itself: %+v", n, ns)
		}
	}

	// A late item, public; then a non-public one Bernd is excluded from.
	now = now.Add(time.Hour)
	late := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 2", Title: "Spielplatz Am Anger", Public: true}
	must(t, st.CreateAgendaItem(ctx, late))
	secret := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: "Verkauf " + canary}
	must(t, st.CreateAgendaItem(ctx, secret))
	must(t, st.AddExclusion(ctx, secret.ID, personOf["Bernd"], "Befangenheit"))
	step()
	// A new version of the attached document, the meeting moved, the
	// secret item withdrawn.
	now = now.Add(time.Hour)
	p := filepath.Join(dir, "u2.pdf")
	must(t, os.WriteFile(p, []byte("%PDF-Fassung 2"), 0o644))
	_, err = svc.AddVersion(ctx, doc, documents.Upload{Path: p, FileName: "Vorlage.pdf", Uploader: "amt"})
	must(t, err)
	newStart := m.Start.Add(24 * time.Hour)
	_, err = st.UpdateMeeting(ctx, m.ID, sessions.MeetingUpdate{Start: &newStart})
	must(t, err)
	must(t, st.WithdrawAgendaItem(ctx, secret.ID))
	step()
	step() // again: nothing new

	kinds := func(ns []notices.Notice) map[string]int {
		k := map[string]int{}
		for _, n := range ns {
			k[n.Kind]++
		}
		return k
	}
	anna, bernd, clara := kinds(list("Anna")), kinds(list("Bernd")), kinds(list("Clara"))
	want := map[string]int{notices.KindLateItem: 2, notices.KindVersion: 1, notices.KindMoved: 1, notices.KindWithdrawn: 1}
	for k, n := range want {
		if anna[k] != n || clara[k] != n {
			t.Errorf("%s: Anna %d, Clara %d, want %d", k, anna[k], clara[k], n)
		}
	}
	if bernd[notices.KindLateItem] != 1 || bernd[notices.KindWithdrawn] != 0 || bernd[notices.KindVersion] != 1 || bernd[notices.KindMoved] != 1 {
		t.Errorf("Bernd, excluded from the secret item: %v", bernd)
	}
	if ns := list("Dora"); len(ns) != 0 {
		t.Errorf("Dora, of another committee, is told: %+v", ns)
	}
	for _, n := range list("Bernd") {
		if strings.Contains(n.Text+n.TextEN, canary) {
			t.Errorf("Bernd's notice names the item he is excluded from: %q", n.Text)
		}
	}
	for _, n := range list("Anna") {
		if n.Kind == notices.KindVersion && !strings.HasPrefix(n.URL, "/documents/") {
			t.Errorf("a new version links %q, not its diff", n.URL)
		}
	}

	// Anna is told at once by e-mail, one message per batch; Bernd gets
	// nothing until his digest; Clara chose the reader only.
	msgs := sender.Sent()
	to := map[string]int{}
	for _, msg := range msgs {
		to[msg.To]++
		if msg.To != "anna@lindenau.example" {
			t.Errorf("message to %s before any digest", msg.To)
		}
	}
	if to["anna@lindenau.example"] != 2 {
		t.Errorf("Anna got %d messages, want one per batch (2)", to["anna@lindenau.example"])
	}
	// The move updates the entry in Anna's calendar: the invitation was
	// revision 0, the move is 1, at the new time.
	if len(msgs) == 2 {
		cal := msgs[1].Calendar
		if msgs[0].Calendar != nil || cal == nil || cal.Method != "REQUEST" || !strings.Contains(cal.Data, "SEQUENCE:1\r\n") ||
			!strings.Contains(cal.Data, "DTSTART:"+newStart.UTC().Format("20060102T150405Z")) {
			t.Errorf("calendar of the move: %+v; of the late items: %+v", cal, msgs[0].Calendar)
		}
	}
	if n, err := w.Digest(ctx, now); err != nil || n != 0 {
		t.Fatalf("digest before the morning: %d, %v", n, err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err)
	morning := time.Date(2026, 11, 3, 7, 0, 0, 0, berlin)
	if n, err := w.Digest(ctx, morning); err != nil || n != 1 {
		t.Fatalf("digest: %d, %v", n, err)
	}
	if n, err := w.Digest(ctx, morning.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("a second digest the same day: %d, %v", n, err)
	}
	// With nothing due, a digest run is one read and no write: Run asks
	// every few seconds.
	counted, statements := dbtest.Counting(t, db)
	idle := notices.NewWorker(notices.Config{DB: counted, Store: st, Outbox: out, Prefs: prefs, Now: clock})
	if n, err := idle.Digest(ctx, morning.Add(time.Hour)); err != nil || n != 0 || statements.Load() != 1 {
		t.Errorf("a digest run with nothing due: %d, %v, %d statements, want 1", n, err, statements.Load())
	}
	_, err = out.SendDue(ctx)
	must(t, err)
	var digest *notify.Message
	for _, msg := range sender.Sent() {
		if msg.To == "bernd@lindenau.example" {
			if digest != nil {
				t.Error("Bernd got two digests")
			}
			digest = &msg
		}
	}
	if digest == nil || !strings.Contains(digest.Text, "Spielplatz Am Anger") {
		t.Fatalf("Bernd's digest: %+v", digest)
	}
	for _, msg := range sender.Sent() {
		if msg.To != "anna@lindenau.example" && strings.Contains(msg.Subject+msg.Text+msg.HTML, canary) {
			t.Errorf("message to %s names the canary", msg.To)
		}
	}
	// A change after the morning's digest waits for the next morning's,
	// rather than being marked sent with the one already sent.
	now = morning.Add(2 * time.Hour)
	must(t, st.CreateAgendaItem(ctx, &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 3", Title: "Bolzplatz Mühlweg", Public: true}))
	step()
	if n, err := w.Digest(ctx, now); err != nil || n != 0 {
		t.Errorf("digest the same day after a new change: %d, %v", n, err)
	}
	if n, err := w.Digest(ctx, morning.AddDate(0, 0, 1)); err != nil || n != 1 {
		t.Fatalf("the next morning's digest: %d, %v", n, err)
	}
	_, err = out.SendDue(ctx)
	must(t, err)
	if got := sender.To("bernd@lindenau.example"); len(got) != 2 || !strings.Contains(got[1].Text, "Bolzplatz Mühlweg") {
		t.Errorf("Bernd's digests: %d, the second lacks the change after the first", len(got))
	}

	// Cancelled: everyone on the committee is told.
	now = now.Add(time.Hour)
	cancelled := sessions.MeetingCancelled
	_, err = st.UpdateMeeting(ctx, m.ID, sessions.MeetingUpdate{State: &cancelled})
	must(t, err)
	step()
	for _, n := range []string{"Anna", "Bernd", "Clara"} {
		if kinds(list(n))[notices.KindCancelled] != 1 {
			t.Errorf("%s is not told of the cancellation", n)
		}
	}

	// The reader's list: read marks.
	ns := list("Clara")
	must(t, notices.MarkRead(ctx, db, accountOf["Clara"], ns[0].ID, now))
	for _, n := range list("Clara") {
		if !n.Read {
			t.Errorf("notice %d unread after MarkRead", n.ID)
		}
	}
}

// Two app servers run the worker on one PostgreSQL database at once:
// every change is taken by one of them, and every member is told of it
// once.
func TestTwoWorkersTellOnce(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t, sqldb.Postgres)
	db := d.Open(t)
	st, m, anna := annasCommittee(t, db)
	prefs := func(context.Context, *sql.Tx, int64) (notices.Pref, error) {
		return notices.Pref{Email: "anna@lindenau.example"}, nil
	}
	sender := &notifytest.Sender{}
	var workers []*notices.Worker
	var out *notify.Outbox
	for range 2 {
		db := d.Open(t)
		out = notify.NewOutbox(db, sender, notify.Options{Domain: "lindenau.example"})
		workers = append(workers, notices.NewWorker(notices.Config{DB: db, Store: sessions.NewStore(db, nil), Outbox: out, Prefs: prefs}))
	}
	steps(t, ctx, workers[0]) // the meeting as Anna sees it is recorded silently first
	var start int64
	must(t, db.QueryRow(`SELECT seq FROM changes_cursors WHERE consumer = 'notices'`).Scan(&start))
	const rounds = 12
	var mu sync.Mutex
	consumed := 0
	for i := range rounds {
		must(t, st.CreateAgendaItem(ctx, &sessions.AgendaItem{MeetingID: m.ID, Number: fmt.Sprintf("Ö %d", i+1), Title: fmt.Sprintf("Antrag %d", i+1), Public: true}))
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() {
				for {
					n, err := w.Step(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
					mu.Lock()
					consumed += n
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	var fed int
	must(t, db.QueryRow(`SELECT COUNT(*) FROM changes WHERE seq > ?`, start).Scan(&fed))
	if consumed != fed {
		t.Errorf("the workers took %d changes of the feed's %d: some twice", consumed, fed)
	}
	ns, err := notices.List(ctx, db, anna.ID, 0, 100)
	must(t, err)
	if len(ns) != rounds {
		t.Errorf("%d notices, want %d", len(ns), rounds)
	}
	_, err = out.SendDue(ctx)
	must(t, err)
	if got := len(sender.Sent()); got != rounds {
		t.Errorf("%d messages, want one per round (%d)", got, rounds)
	}
	for _, msg := range sender.Sent() {
		if n := sender.Attempts(msg.MessageID); n != 1 {
			t.Errorf("%s sent %d times", msg.Key, n)
		}
	}
}

// annasCommittee migrates db and makes a committee whose one member, Anna,
// has an account, and a published meeting of it.
func annasCommittee(t *testing.T, db *sql.DB) (*sessions.Store, *sessions.Meeting, *accounts.Account) {
	t.Helper()
	ctx := context.Background()
	migrate(t, db)
	st := sessions.NewStore(db, nil)
	body := &sessions.Body{Name: "Stadt Lindenau"}
	must(t, st.CreateBody(ctx, body))
	bau := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	must(t, st.CreateOrganization(ctx, bau))
	per := &sessions.Person{BodyID: body.ID, GivenName: "Anna", FamilyName: "Beispiel"}
	must(t, st.CreatePerson(ctx, per))
	must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: per.ID, OrganizationID: bau.ID, StartDate: "2024-07-01"}))
	anna := &accounts.Account{Name: "anna", DisplayName: "Anna", Role: access.RoleMember, PersonID: per.ID}
	must(t, accounts.NewStore(db, nil).CreateAccount(ctx, anna, "ein gutes Passwort"))
	m := &sessions.Meeting{OrganizationID: bau.ID, Name: "Bauausschuss", Start: time.Now().Add(7 * 24 * time.Hour)}
	must(t, st.CreateMeeting(ctx, m))
	must(t, st.PublishMeeting(ctx, m.ID, time.Time{}))
	return st, m, anna
}

// A batch's transaction only writes: the worker reads every meeting of
// the batch as each member sees it before it begins. On SQLite that
// transaction holds the one write lock; had it read the meetings through
// the pool meanwhile, every other writer — a member's request, the
// outbox — waited seconds per batch, hundreds of batches in a row on the
// first start after a year of meetings appeared, and the pool's
// connections with them. Shown structurally: the worker works on a pool
// of a single connection, which its transaction would hold while it
// waited for a second one for ever.
func TestBatchTransactionOnlyWrites(t *testing.T) {
	dbtest.EachDatabase(t, func(t *testing.T, d dbtest.Database) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db := d.Open(t)
		st, m, anna := annasCommittee(t, db)
		one := d.Open(t)
		one.SetMaxOpenConns(1)
		w := notices.NewWorker(notices.Config{DB: one, Store: sessions.NewStore(one, nil)})
		steps(t, ctx, w) // the published meeting, recorded silently
		must(t, st.CreateAgendaItem(ctx, &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Radweg Lindenstraße", Public: true}))
		steps(t, ctx, w)
		ns, err := notices.List(ctx, db, anna.ID, 0, 10)
		must(t, err)
		if len(ns) != 1 || ns[0].Kind != notices.KindLateItem {
			t.Errorf("notices: %+v, want the late item", ns)
		}
	})
}

// steps lets w take batches until the feed is read to its end.
func steps(t *testing.T, ctx context.Context, w *notices.Worker) {
	t.Helper()
	for {
		n, err := w.Step(ctx)
		must(t, err)
		if n == 0 {
			return
		}
	}
}
