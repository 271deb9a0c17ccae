package notify_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
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
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// migrated migrates db, a new database of dbtest.Each, as the binary
// does (the push subscriptions refer to sessions' accounts) and returns
// it.
func migrated(t *testing.T, db *sql.DB) *sql.DB {
	t.Helper()
	if err := schema.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func message(key, to string) notify.Message {
	return notify.Message{
		Key:     key,
		From:    "Ratsmappe Lindenau <ratsmappe@lindenau.example>",
		To:      to,
		Subject: "Einladung zur Sitzung des Rates",
		Text:    "Sehr geehrte Damen und Herren,\n\nhiermit lade ich Sie ein.",
	}
}

// enqueue writes messages in one committed transaction.
func enqueue(t *testing.T, db *sql.DB, o *notify.Outbox, msgs ...notify.Message) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, m := range msgs {
		if _, err := o.Enqueue(ctx, tx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func sendDue(t *testing.T, o *notify.Outbox) int {
	t.Helper()
	n, err := o.SendDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func delivery(t *testing.T, o *notify.Outbox, key string) notify.Delivery {
	t.Helper()
	d, err := o.FindDelivery(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func outcomes(d notify.Delivery) string {
	var s []string
	for _, a := range d.Log {
		s = append(s, a.Outcome)
	}
	return strings.Join(s, ",")
}

// A message exists exactly when the change that caused it commits, and a
// replayed cause adds nothing.
func TestEnqueueInTransaction(t *testing.T) { dbtest.Each(t, testEnqueueInTransaction) }

func testEnqueueInTransaction(t *testing.T, db *sql.DB) {
	migrated(t, db)
	s := &notifytest.Sender{}
	o := notify.NewOutbox(db, s, notify.Options{})
	ctx := context.Background()

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(ctx, tx, message("rolled-back", "a@lindenau.example")); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if _, err := o.FindDelivery(ctx, "rolled-back"); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("rolled-back message: err = %v, want not found", err)
	}

	enqueue(t, db, o, message("k1", "a@lindenau.example"))
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	again := message("k1", "a@lindenau.example")
	again.Subject = "Anderer Betreff"
	added, err := o.Enqueue(ctx, tx, again)
	if err != nil || added {
		t.Fatalf("same key again: added=%v err=%v, want not added", added, err)
	}
	tx.Commit()

	if got, want := sendDue(t, o), 1; got != want {
		t.Fatalf("sent %d, want %d", got, want)
	}
	if got := s.Sent(); len(got) != 1 || got[0].Subject != "Einladung zur Sitzung des Rates" {
		t.Fatalf("sent %+v, want the first message once", got)
	}
	d := delivery(t, o, "k1")
	if d.State != notify.Sent || d.QueueID != "fake-1" || d.Attempts != 1 || outcomes(d) != "accepted" {
		t.Fatalf("delivery = %+v", d)
	}
	if d.MessageID != notify.MessageID("k1", "lindenau.example") || s.Sent()[0].MessageID != d.MessageID {
		t.Fatalf("message id %q, sent %q", d.MessageID, s.Sent()[0].MessageID)
	}
	if got := sendDue(t, o); got != 0 {
		t.Fatalf("sent again: %d", got)
	}
}

func TestEnqueueRefusesMalformed(t *testing.T) { dbtest.Each(t, testEnqueueRefusesMalformed) }

func testEnqueueRefusesMalformed(t *testing.T, db *sql.DB) {
	migrated(t, db)
	o := notify.NewOutbox(db, &notifytest.Sender{}, notify.Options{})
	ctx := context.Background()
	for name, mut := range map[string]func(*notify.Message){
		"no key":            func(m *notify.Message) { m.Key = "" },
		"long key":          func(m *notify.Message) { m.Key = strings.Repeat("k", notify.MaxKey+1) },
		"bad address":       func(m *notify.Message) { m.To = "nobody" },
		"address with name": func(m *notify.Message) { m.To = "Eve <eve@example.org>" },
		"two addresses":     func(m *notify.Message) { m.To = "a@lindenau.example, b@lindenau.example" },
		"header injection":  func(m *notify.Message) { m.Subject = "Hallo\r\nBcc: eve@example.org" },
		"name injection":    func(m *notify.Message) { m.ToName = "A\nBcc: eve@example.org" },
		"no text":           func(m *notify.Message) { m.Text = "" },
		"calendar method":   func(m *notify.Message) { m.Calendar = &notify.Calendar{Method: "REFRESH", Data: "x"} },
		"calendar mismatch": func(m *notify.Message) {
			m.Calendar = &notify.Calendar{Method: "CANCEL", Data: "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"}
		},
		"unsubscribe scheme":  func(m *notify.Message) { m.Unsubscribe = []string{"javascript:alert(1)"} },
		"unsubscribe bracket": func(m *notify.Message) { m.Unsubscribe = []string{"https://x.example/>, <mailto:eve@example.org"} },
		"one-click http":      func(m *notify.Message) { m.Unsubscribe, m.OneClick = []string{"http://x.example/u"}, true },
		"too large":           func(m *notify.Message) { m.HTML = strings.Repeat("x", notify.MaxBody) },
	} {
		t.Run(name, func(t *testing.T) {
			m := message("k", "a@lindenau.example")
			mut(&m)
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			_, err = o.Enqueue(ctx, tx, m)
			if code := ratsmappe.ErrorCode(err); code != ratsmappe.EINVALID && code != ratsmappe.ETOOLARGE {
				t.Fatalf("err = %v, want a refusal", err)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	base, max := 30*time.Second, time.Hour
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute},
		{7, 32 * time.Minute}, {8, time.Hour}, {9, time.Hour}, {1000, time.Hour},
	} {
		if got := notify.Backoff(tc.n, base, max); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// A temporary failure is retried after an exponentially growing wait; the
// attempt log keeps each try.
func TestRetryWithBackoff(t *testing.T) { dbtest.Each(t, testRetryWithBackoff) }

func testRetryWithBackoff(t *testing.T, db *sql.DB) {
	migrated(t, db)
	clk := newClock()
	s := &notifytest.Sender{Fail: func(m notify.Message, earlier int) error {
		if earlier < 3 {
			return errors.New("421 4.3.2 Service not available, closing transmission channel")
		}
		return nil
	}}
	o := notify.NewOutbox(db, s, notify.Options{Now: clk.Now, BackoffBase: 30 * time.Second, BackoffMax: time.Hour})
	enqueue(t, db, o, message("k", "a@lindenau.example"))

	start := clk.Now()
	for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		if got := sendDue(t, o); got != 1 {
			t.Fatalf("attempt %d: sent %d, want 1", i+1, got)
		}
		d := delivery(t, o, "k")
		if d.State != notify.Pending || d.Attempts != i+1 {
			t.Fatalf("after attempt %d: %+v", i+1, d)
		}
		// Jitter adds up to a tenth.
		if gap := d.Due.Sub(clk.Now()); gap < wait || gap > wait+wait/10 {
			t.Fatalf("after attempt %d: next in %v, want %v plus up to a tenth", i+1, gap, wait)
		}
		if !strings.Contains(d.LastError, "421") {
			t.Fatalf("last error %q", d.LastError)
		}
		// Not due yet: nothing happens.
		clk.Set(d.Due.Add(-time.Millisecond))
		if got := sendDue(t, o); got != 0 {
			t.Fatalf("sent %d before due", got)
		}
		clk.Set(d.Due)
	}
	if got := sendDue(t, o); got != 1 {
		t.Fatalf("last attempt: sent %d", got)
	}
	d := delivery(t, o, "k")
	if d.State != notify.Sent || outcomes(d) != "temporary,temporary,temporary,accepted" || d.LastError != "" {
		t.Fatalf("delivery = %+v, log %s", d, outcomes(d))
	}
	if !d.Sent.Equal(clk.Now()) || !d.Log[0].Started.Equal(start) {
		t.Fatalf("times: sent %v, first attempt %v", d.Sent, d.Log[0].Started)
	}
	if got := len(s.Sent()); got != 1 {
		t.Fatalf("accepted %d times, want once", got)
	}
}

func TestRejectedIsNotRetried(t *testing.T) { dbtest.Each(t, testRejectedIsNotRetried) }

func testRejectedIsNotRetried(t *testing.T, db *sql.DB) {
	migrated(t, db)
	clk := newClock()
	s := &notifytest.Sender{Fail: func(notify.Message, int) error {
		return fmt.Errorf("%w: 550 5.1.1 mailbox unavailable", notify.ErrRejected)
	}}
	o := notify.NewOutbox(db, s, notify.Options{Now: clk.Now})
	enqueue(t, db, o, message("k", "gone@lindenau.example"))
	sendDue(t, o)
	clk.Set(clk.Now().Add(48 * time.Hour))
	if got := sendDue(t, o); got != 0 {
		t.Fatalf("rejected message retried")
	}
	d := delivery(t, o, "k")
	if d.State != notify.Failed || !d.Rejected() || outcomes(d) != "rejected" || !strings.Contains(d.LastError, "550") {
		t.Fatalf("delivery = %+v", d)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) { dbtest.Each(t, testGivesUpAfterMaxAttempts) }

func testGivesUpAfterMaxAttempts(t *testing.T, db *sql.DB) {
	migrated(t, db)
	clk := newClock()
	s := &notifytest.Sender{Fail: func(notify.Message, int) error { return errors.New("connection refused") }}
	o := notify.NewOutbox(db, s, notify.Options{Now: clk.Now, MaxAttempts: 3})
	enqueue(t, db, o, message("k", "a@lindenau.example"))
	for range 5 {
		sendDue(t, o)
		clk.Set(clk.Now().Add(24 * time.Hour))
	}
	d := delivery(t, o, "k")
	if d.State != notify.Failed || d.Rejected() || d.Attempts != 3 || s.Attempts(d.MessageID) != 3 {
		t.Fatalf("delivery = %+v, offered %d times", d, s.Attempts(d.MessageID))
	}
}

// blockingSender accepts a message only when released, ignoring its
// context: a worker stuck in a send as a process that froze or died.
type blockingSender struct {
	notifytest.Sender
	entered, release chan struct{}
}

func (b *blockingSender) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Sender.Send(context.Background(), m)
}

// A message whose worker died while sending is sent again once the lease
// runs out, with the same Message-ID, and the log shows both attempts.
func TestLeaseExpiryResends(t *testing.T) { dbtest.Each(t, testLeaseExpiryResends) }

func testLeaseExpiryResends(t *testing.T, db *sql.DB) {
	migrated(t, db)
	clk := newClock()
	stuck := &blockingSender{entered: make(chan struct{}), release: make(chan struct{})}
	lease := 5 * time.Minute
	a := notify.NewOutbox(db, stuck, notify.Options{Now: clk.Now, Lease: lease})
	enqueue(t, db, a, message("k", "a@lindenau.example"))
	done := make(chan error)
	go func() {
		_, err := a.SendDue(context.Background())
		done <- err
	}()
	<-stuck.entered

	other := &notifytest.Sender{}
	b := notify.NewOutbox(db, other, notify.Options{Now: clk.Now, Lease: lease})
	if got := sendDue(t, b); got != 0 {
		t.Fatalf("second worker took a leased message")
	}
	if d := delivery(t, b, "k"); d.State != notify.Sending {
		t.Fatalf("state %s, want sending", d.State)
	}
	clk.Set(clk.Now().Add(lease))
	if got := sendDue(t, b); got != 1 {
		t.Fatalf("second worker sent %d after the lease, want 1", got)
	}
	d := delivery(t, b, "k")
	if d.State != notify.Sent || d.Attempts != 2 || outcomes(d) != "interrupted,accepted" {
		t.Fatalf("delivery = %+v, log %s", d, outcomes(d))
	}
	if got := other.Sent(); len(got) != 1 || got[0].MessageID != d.MessageID {
		t.Fatalf("resent %+v", got)
	}
	// The first worker comes back: its acceptance is logged, and the
	// record of the second attempt stands.
	close(stuck.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	d = delivery(t, b, "k")
	if d.State != notify.Sent || d.QueueID != "fake-1" || outcomes(d) != "accepted,accepted" {
		t.Fatalf("after the first worker returned: %+v, log %s", d, outcomes(d))
	}
}

// A worker stopped mid-send puts the message back, due at once.
func TestStopMidSend(t *testing.T) { dbtest.Each(t, testStopMidSend) }

func testStopMidSend(t *testing.T, db *sql.DB) {
	migrated(t, db)
	clk := newClock()
	ctx, cancel := context.WithCancel(context.Background())
	s := &notifytest.Sender{Fail: func(notify.Message, int) error {
		cancel()
		return context.Canceled
	}}
	o := notify.NewOutbox(db, s, notify.Options{Now: clk.Now})
	enqueue(t, db, o, message("k", "a@lindenau.example"))
	if _, err := o.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	d := delivery(t, o, "k")
	if d.State != notify.Pending || !d.Due.Equal(clk.Now()) || outcomes(d) != "interrupted" {
		t.Fatalf("delivery = %+v, log %s", d, outcomes(d))
	}
}

// Run sends what is enqueued while it runs, when kicked.
func TestRunKick(t *testing.T) { dbtest.Each(t, testRunKick) }

func testRunKick(t *testing.T, db *sql.DB) {
	migrated(t, db)
	s := &notifytest.Sender{}
	o := notify.NewOutbox(db, s, notify.Options{Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	for i := range 50 {
		enqueue(t, db, o, message(fmt.Sprintf("k%d", i), fmt.Sprintf("m%d@lindenau.example", i)))
		o.Kick()
	}
	for deadline := time.Now().Add(30 * time.Second); len(s.Sent()) < 50; {
		if time.Now().After(deadline) {
			t.Fatalf("sent %d of 50", len(s.Sent()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := len(s.Sent()); got != 50 {
		t.Fatalf("sent %d, want 50", got)
	}
}

func TestMessageID(t *testing.T) {
	a := notify.MessageID("ladung/meeting/42/person/7", "lindenau.example")
	if a != notify.MessageID("ladung/meeting/42/person/7", "lindenau.example") {
		t.Fatal("not deterministic")
	}
	if a == notify.MessageID("ladung/meeting/42/person/8", "lindenau.example") {
		t.Fatal("two keys, one id")
	}
	if strings.Contains(a, "person") || !strings.HasSuffix(a, "@lindenau.example") {
		t.Fatalf("id %q", a)
	}
	if got := notify.Domain("Ratsmappe <Post@Lindenau.Example>"); got != "lindenau.example" {
		t.Fatalf("Domain = %q", got)
	}
}

// Two app servers send from one PostgreSQL database at once, each with
// several workers: every message is offered to the mail system once, by
// one of them, and recorded sent.
func TestTwoSendersOnce(t *testing.T) {
	d := dbtest.New(t, sqldb.Postgres)
	db := migrated(t, d.Open(t))
	s := &notifytest.Sender{} // safe for concurrent use: one mail system
	var servers []*notify.Outbox
	for range 2 {
		servers = append(servers, notify.NewOutbox(d.Open(t), s, notify.Options{Batch: 4, Concurrency: 2}))
	}
	var msgs []notify.Message
	for i := range 200 {
		msgs = append(msgs, message(fmt.Sprintf("k%d", i), fmt.Sprintf("m%d@lindenau.example", i)))
	}
	enqueue(t, db, servers[0], msgs...)
	var wg sync.WaitGroup
	for _, o := range servers {
		for range 2 {
			wg.Go(func() {
				if _, err := o.SendDue(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if got := len(s.Sent()); got != len(msgs) {
		t.Errorf("offered %d messages, want %d", got, len(msgs))
	}
	for _, m := range msgs {
		d := delivery(t, servers[1], m.Key)
		if n := s.Attempts(d.MessageID); n != 1 || d.State != notify.Sent || d.Attempts != 1 {
			t.Fatalf("%s: offered %d times, %+v", m.Key, n, d)
		}
	}
}

// The worker outlives a database that fails for a while (here its table
// is gone): it logs, waits, and sends once the database works again.
func TestRunOutlivesDatabaseFailure(t *testing.T) { dbtest.Each(t, testRunOutlivesDatabaseFailure) }

func testRunOutlivesDatabaseFailure(t *testing.T, db *sql.DB) {
	migrated(t, db)
	s := &notifytest.Sender{}
	o := notify.NewOutbox(db, s, notify.Options{Poll: 10 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	enqueue(t, db, o, message("vorher", "anna@lindenau.example"))
	if _, err := db.Exec(`ALTER TABLE notify_outbox RENAME TO notify_outbox_weg`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	time.Sleep(300 * time.Millisecond) // several failed rounds
	if _, err := db.Exec(`ALTER TABLE notify_outbox_weg RENAME TO notify_outbox`); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); len(s.Sent()) < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not send after the database came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
