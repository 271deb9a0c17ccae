package pgnotify_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/internal/pgnotify"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// waitFor bounds every wait for a notification: long enough for a loaded
// machine, so that it fails a test only if nothing comes at all.
const waitFor = 30 * time.Second

// listener is a Listen whose notifications a test reads from a channel.
type listener struct {
	got chan pgnotify.Notification
}

func listen(t *testing.T, url string, channels ...string) *listener {
	t.Helper()
	return listenWith(t, pgnotify.Config{URL: url, Channels: channels})
}

func listenWith(t *testing.T, cfg pgnotify.Config) *listener {
	t.Helper()
	l := &listener{got: make(chan pgnotify.Notification, 100)}
	cfg.Handle = func(n pgnotify.Notification) { l.got <- n }
	ln, err := pgnotify.Listen(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ln.Close)
	l.next(t, pgnotify.Notification{Missed: true}) // listening now
	return l
}

// next fails unless the next notification is want.
func (l *listener) next(t *testing.T, want pgnotify.Notification) {
	t.Helper()
	select {
	case n := <-l.got:
		if n != want {
			t.Fatalf("got %+v, want %+v", n, want)
		}
	case <-time.After(waitFor):
		t.Fatalf("no notification %+v", want)
	}
}

func open(t *testing.T) (*sql.DB, string) {
	t.Helper()
	url := pgtest.URL(t)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

func notify(t *testing.T, db *sql.DB, channel, payload string) {
	t.Helper()
	if err := pgnotify.Notify(context.Background(), db, channel, payload); err != nil {
		t.Fatal(err)
	}
}

// Notifications arrive in the order they were sent, on the channels
// listened to only, and a notification of a transaction that rolled back
// never arrives.
func TestDelivery(t *testing.T) {
	db, url := open(t)
	l := listen(t, url, "live", "Ballot Box")
	notify(t, db, "live", "1")
	notify(t, db, "elsewhere", "nobody listens")
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT pg_notify('live', 'rolled back')`); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	notify(t, db, "Ballot Box", "ä ß 2")
	notify(t, db, "live", "3")
	l.next(t, pgnotify.Notification{Channel: "live", Payload: "1"})
	l.next(t, pgnotify.Notification{Channel: "Ballot Box", Payload: "ä ß 2"})
	l.next(t, pgnotify.Notification{Channel: "live", Payload: "3"})
	select {
	case n := <-l.got:
		t.Fatalf("unexpected %+v", n)
	default:
	}
}

// Two listeners, as two app servers have, each get every notification.
func TestTwoListeners(t *testing.T) {
	db, url := open(t)
	a, b := listen(t, url, "live"), listen(t, url, "live")
	for _, p := range []string{"1", "2", "3"} {
		notify(t, db, "live", p)
	}
	for _, l := range []*listener{a, b} {
		for _, p := range []string{"1", "2", "3"} {
			l.next(t, pgnotify.Notification{Channel: "live", Payload: p})
		}
	}
}

// When the server ends the listener's connection (a restart, a failover,
// an administrator's pg_terminate_backend), the listener reconnects,
// listens again, says that it may have missed something, and receives
// what is sent afterwards.
func TestReconnectAfterTerminate(t *testing.T) {
	db, url := open(t)
	l := listen(t, url, "live")
	var n int
	if err := db.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'ratsmappe listen'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("terminated %d listener connections, want 1", n)
	}
	l.next(t, pgnotify.Notification{Missed: true})
	notify(t, db, "live", "after")
	l.next(t, pgnotify.Notification{Channel: "live", Payload: "after"})
}

// A quiet connection is pinged, not dropped: after several idle checks
// the listener still listens on the connection it had, without a Missed.
func TestQuietConnectionStays(t *testing.T) {
	db, url := open(t)
	l := listenWith(t, pgnotify.Config{URL: url, Channels: []string{"live"}, IdleCheck: 10 * time.Millisecond})
	time.Sleep(200 * time.Millisecond) // some idle checks
	notify(t, db, "live", "still here")
	l.next(t, pgnotify.Notification{Channel: "live", Payload: "still here"})
}

// A URL that cannot be parsed is refused without being repeated.
func TestBadURL(t *testing.T) {
	_, err := pgnotify.Listen(context.Background(), pgnotify.Config{URL: "postgres://u:geheim@[::1", Handle: func(pgnotify.Notification) {}})
	if err == nil {
		t.Fatal("accepted a broken URL")
	}
	if got := err.Error(); strings.Contains(got, "geheim") {
		t.Fatalf("error repeats the URL: %s", got)
	}
}
