package invitation_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/notifytest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openDemo is demotest.OpenOn for a test of dbtest.Each. These tests send
// through notify's outbox, so they need every scope's tables: on
// PostgreSQL they skip while a scope has no PostgreSQL migrations.
func openDemo(t *testing.T, db *sql.DB) *demotest.Council {
	t.Helper()
	if d := sqldb.DialectOf(db); d == sqldb.Postgres {
		var missing []string
		for _, s := range schema.Scopes() {
			if s.For(d) == nil {
				missing = append(missing, s.Name)
			}
		}
		if len(missing) > 0 {
			t.Skipf("these tests send through notify's outbox; scopes %v have no PostgreSQL migrations yet", missing)
		}
	}
	return demotest.OpenOn(t, db)
}

// migrateOwn applies to db the scopes the invitation's own tables stand
// on, without the outbox: documents, sessions, the changes feed,
// invitation.
func migrateOwn(t *testing.T, db *sql.DB) {
	t.Helper()
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
	dbtest.Migrate(t, db, "changes", changes.Migrations(), changes.PostgresMigrations())
	dbtest.Migrate(t, db, "invitation", invitation.Migrations(), invitation.PostgresMigrations())
}

// server is one app server's invitation service on a shared database: its
// own documents service, and its own outbox if sender is not nil.
func server(t *testing.T, db *sql.DB, st *sessions.Store, sender notify.Sender) (*invitation.Service, *notify.Outbox) {
	t.Helper()
	dir := t.TempDir()
	docs := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: demotest.CopyIngester{Dir: dir}})
	cfg := invitation.Config{DB: db, Sessions: st, Documents: docs, From: killFrom, BaseURL: "https://rat.lindenau.example", TempDir: dir}
	var outbox *notify.Outbox
	if sender != nil {
		outbox = notify.NewOutbox(db, sender, notify.Options{})
		cfg.Outbox = outbox
	}
	return invitation.New(cfg), outbox
}

// Several app servers issue a meeting's Ladung at once (two clerks
// clicking, a retried request on another server): one invitation is
// issued, its recipients recorded once, the others are refused; the same
// for a Nachtrag. Without a mail server, so that it needs only the
// invitation's own tables; TestSendOnceAcrossServers adds the outbox.
func TestIssueOnceAcrossServers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		migrateOwn(t, db)
		st := sessions.NewStore(db, nil)
		const servers, members, paper = 4, 12, 3
		svcs := make([]*invitation.Service, servers)
		for i := range svcs {
			svcs[i], _ = server(t, db, st, nil)
		}
		org, persons := largeCouncil(t, st, svcs[0], members, paper)
		meeting := publishedMeeting(t, st, org, "1. Sitzung", time.Now().Add(30*24*time.Hour), 4, 1, persons[0])

		issued := func(supplement bool) *invitation.Invitation {
			t.Helper()
			invs := make([]*invitation.Invitation, servers)
			errs := dbtest.Concurrently(servers, func(i int) error {
				var err error
				invs[i], err = svcs[i].Issue(ctx, meeting, invitation.Request{Supplement: supplement, Urgency: "Test"})
				return err
			})
			var won *invitation.Invitation
			for i, err := range errs {
				switch {
				case err == nil && won == nil:
					won = invs[i]
				case err == nil:
					t.Fatalf("issued twice: %+v and %+v", won, invs[i])
				case ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT:
					t.Fatalf("server %d: %v", i, err)
				}
			}
			if won == nil {
				t.Fatalf("none issued: %v", errs)
			}
			return won
		}
		inv := issued(false)
		if inv.Number != 1 || inv.Emails != members || inv.Letters != paper {
			t.Fatalf("Ladung %+v", inv)
		}
		it := &sessions.AgendaItem{MeetingID: meeting, Number: "Ö 9", Title: "Nachgereicht", Public: true}
		if err := st.CreateAgendaItem(ctx, it); err != nil {
			t.Fatal(err)
		}
		if sup := issued(true); sup.Number != 2 || !slices.Equal(sup.Items, []int64{it.ID}) {
			t.Fatalf("Nachtrag %+v", sup)
		}
		ds, err := svcs[0].Deliveries(ctx, meeting)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, d := range ds {
			k := fmt.Sprint(d.Invitation, "/", d.PersonID)
			if seen[k] {
				t.Errorf("delivery %s twice", k)
			}
			seen[k] = true
		}
		if want := 2 * (members + paper); len(ds) != want {
			t.Errorf("%d deliveries, want %d", len(ds), want)
		}
	})
}

// Two app servers, each with its own outbox worker, on one database: both
// issue the Ladung at once and both send what is due at once; every
// member with consent gets exactly one message, and the delivery table
// shows each accepted once.
func TestSendOnceAcrossServers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := openDemo(t, db)
		senders := []*notifytest.Sender{{}, {}}
		svcs := make([]*invitation.Service, len(senders))
		outboxes := make([]*notify.Outbox, len(senders))
		for i, s := range senders {
			svcs[i], outboxes[i] = server(t, db, c.Sessions, s)
		}
		res := c.Load(t, demo.Options{Invitations: svcs[0]})
		meeting := councilMeeting(t, res)
		errs := dbtest.Concurrently(len(svcs), func(i int) error {
			_, err := svcs[i].Issue(ctx, meeting.ID, invitation.Request{Urgency: "Test"})
			return err
		})
		if errs[0] != nil && errs[1] != nil || errs[0] == nil && errs[1] == nil {
			t.Fatalf("issued by both or neither: %v", errs)
		}
		for {
			errs := dbtest.Concurrently(len(outboxes), func(i int) error {
				_, err := outboxes[i].SendDue(ctx)
				return err
			})
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			n, err := outboxes[0].Backlog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		for _, mb := range res.Members {
			got := len(senders[0].To(mb.Email)) + len(senders[1].To(mb.Email))
			if want := map[bool]int{true: 1}[mb.Consent]; got != want {
				t.Errorf("%s (consent %t): %d messages, want %d", mb.Name, mb.Consent, got, want)
			}
		}
		ds, err := svcs[1].Deliveries(ctx, meeting.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Channel == "email" && (d.State != invitation.StateAccepted || d.Attempts != 1) {
				t.Errorf("%s: %s after %d attempts", d.Name, d.State, d.Attempts)
			}
		}
	})
}

// A meeting moved after its invitation carries one calendar SEQUENCE per
// move, counted in the order the moves were recorded, the same for a
// move told again — on both databases (PostgreSQL has no rowid).
func TestCalendarMoves(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		migrateOwn(t, db)
		st := sessions.NewStore(db, nil)
		svc, _ := server(t, db, st, nil)
		org, persons := largeCouncil(t, st, svc, 2, 0)
		meeting := publishedMeeting(t, st, org, "1. Sitzung", time.Now().Add(30*24*time.Hour), 2, 0, persons[0])
		move := func(key string, at time.Time) (int, bool) {
			t.Helper()
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			seq, ok, err := invitation.CalendarMove(ctx, tx, meeting, key, at)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			return seq, ok
		}
		t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		if _, ok := move("a", t0); ok {
			t.Fatal("a meeting never invited has a calendar entry to move")
		}
		if _, err := svc.Issue(ctx, meeting, invitation.Request{Urgency: "Test"}); err != nil {
			t.Fatal(err)
		}
		// "z" before "b" in time: time orders, not the key.
		for _, step := range []struct {
			key  string
			at   time.Time
			want int
		}{{"z", t0, 1}, {"b", t0.Add(time.Minute), 2}, {"z", t0.Add(time.Hour), 1}, {"c", t0.Add(2 * time.Minute), 3}} {
			if seq, ok := move(step.key, step.at); !ok || seq != step.want {
				t.Errorf("move %s: sequence %d (%t), want %d", step.key, seq, ok, step.want)
			}
		}
	})
}
