package invitation_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/notifytest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

// TestDocumentOpening: a member's first opening of any document of the
// meeting — here a paper consulted on one of its items — is the proof of
// access of the invitation, written once; a document of another meeting
// proves nothing; after a Nachtrag the next opening proves its access too.
func TestDocumentOpening(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		now := time.Now()
		c, svc, res, meeting := openingDemo(t, db, nil, &now)
		st := c.Sessions
		staff := access.Viewer{Role: access.RoleClerk}
		m, items, err := st.FindAgenda(ctx, staff, meeting.ID)
		if err != nil {
			t.Fatal(err)
		}
		org, err := st.FindOrganizationByID(ctx, m.OrganizationID)
		if err != nil {
			t.Fatal(err)
		}
		// A paper with a document, consulted on the meeting's first item, and
		// a document of another meeting.
		doc := func(name string) int64 {
			t.Helper()
			f := filepath.Join(c.Dir, name+".pdf")
			if err := os.WriteFile(f, []byte("%PDF-1.4 "+name), 0o600); err != nil {
				t.Fatal(err)
			}
			added, err := c.Documents.AddDocument(ctx, documents.Upload{Path: f, FileName: name + ".pdf", Title: name, Uploader: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return added.Document.ID
		}
		paper := &sessions.Paper{BodyID: org.BodyID, Reference: "2026/0999", Name: "Vorlage zur Öffnung", Type: "Beschlussvorlage"}
		if err := st.CreatePaper(ctx, paper); err != nil {
			t.Fatal(err)
		}
		ours := doc("vorlage")
		if err := st.Attach(ctx, &sessions.Attachment{DocumentID: ours, PaperID: paper.ID, Role: sessions.RoleMain, Title: "Vorlage"}); err != nil {
			t.Fatal(err)
		}
		if err := st.Consult(ctx, &sessions.Consultation{PaperID: paper.ID, AgendaItemID: items[0].ID, Role: "Beratung"}); err != nil {
			t.Fatal(err)
		}
		var other demo.Meeting
		for _, x := range res.Meetings {
			if x.ID != meeting.ID {
				other = x
			}
		}
		theirs := doc("fremd")
		if err := st.Attach(ctx, &sessions.Attachment{DocumentID: theirs, MeetingID: other.ID, Role: sessions.RoleAttachment, Title: "Fremd"}); err != nil {
			t.Fatal(err)
		}

		if _, err := svc.Issue(ctx, meeting.ID, invitation.Request{Urgency: "Test"}); err != nil {
			t.Fatal(err)
		}
		anna, bernd := res.Members[0], res.Members[1]
		opened := func(person int64, number int) time.Time {
			t.Helper()
			return openedAt(t, svc, meeting.ID, person, number)
		}
		first := now
		for _, id := range []int64{ours, ours, theirs} {
			if err := svc.RecordDocumentOpening(ctx, anna.PersonID, id); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
		}
		if err := svc.RecordDocumentOpening(ctx, bernd.PersonID, theirs); err != nil {
			t.Fatal(err)
		}
		if got := opened(anna.PersonID, 1); !got.Equal(time.UnixMilli(first.UnixMilli()).UTC()) {
			t.Errorf("Anna's opening: %v, want her first, %v", got, first)
		}
		if got := opened(bernd.PersonID, 1); !got.IsZero() {
			t.Errorf("a document of another meeting counted as Bernd's opening: %v", got)
		}

		// A Nachtrag: Anna's next opening of the same document proves it.
		item := &sessions.AgendaItem{MeetingID: meeting.ID, Number: "Ö 99", Title: "Nachgereicht", Public: true}
		if err := st.CreateAgendaItem(ctx, item); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Issue(ctx, meeting.ID, invitation.Request{Supplement: true, Urgency: "Test"}); err != nil {
			t.Fatal(err)
		}
		if got := opened(anna.PersonID, 2); !got.IsZero() {
			t.Fatalf("Nachtrag opened before it was issued: %v", got)
		}
		if err := svc.RecordDocumentOpening(ctx, anna.PersonID, ours); err != nil {
			t.Fatal(err)
		}
		if got := opened(anna.PersonID, 2); !got.Equal(time.UnixMilli(now.UnixMilli()).UTC()) {
			t.Errorf("Anna's opening of the Nachtrag: %v, want %v", got, now)
		}
	})
}

// TestMeetingOpening: a member's opening of the meeting is recorded once
// per invitation — the first after the Ladung, the first after a
// Nachtrag — and opening it again in between asks the database nothing,
// so that a member's meeting page, read again and again, costs no
// statement for it.
func TestMeetingOpening(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		now := time.Now()
		var statements *atomic.Int64
		c, svc, res, meeting := openingDemo(t, db, func(db *sql.DB) *sql.DB {
			var counted *sql.DB
			counted, statements = dbtest.Counting(t, db)
			return counted
		}, &now)
		if _, err := svc.Issue(ctx, meeting.ID, invitation.Request{Urgency: "Test"}); err != nil {
			t.Fatal(err)
		}
		anna := res.Members[0]
		opened := func(number int) time.Time {
			t.Helper()
			return openedAt(t, svc, meeting.ID, anna.PersonID, number)
		}
		open := func() int64 {
			t.Helper()
			start := statements.Load()
			if err := svc.RecordOpening(ctx, anna.PersonID, meeting.ID); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
			return statements.Load() - start
		}
		first := now
		open()
		// Only SQLite's one process remembers; on PostgreSQL another app
		// server may have issued an invitation since.
		if n := open(); n != 0 && sqldb.DialectOf(db) == sqldb.SQLite {
			t.Errorf("opening the meeting again: %d statements, want none", n)
		} else if n == 0 && sqldb.DialectOf(db) == sqldb.Postgres {
			t.Errorf("opening the meeting again on PostgreSQL asked the database nothing")
		}
		if got := opened(1); !got.Equal(time.UnixMilli(first.UnixMilli()).UTC()) {
			t.Errorf("Anna's opening: %v, want her first, %v", got, first)
		}

		item := &sessions.AgendaItem{MeetingID: meeting.ID, Number: "Ö 99", Title: "Nachgereicht", Public: true}
		if err := c.Sessions.CreateAgendaItem(ctx, item); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Issue(ctx, meeting.ID, invitation.Request{Supplement: true, Urgency: "Test"}); err != nil {
			t.Fatal(err)
		}
		second := now
		open()
		if got := opened(2); !got.Equal(time.UnixMilli(second.UnixMilli()).UTC()) {
			t.Errorf("Anna's opening of the Nachtrag: %v, want %v", got, second)
		}
		if got := opened(1); !got.Equal(time.UnixMilli(first.UnixMilli()).UTC()) {
			t.Errorf("the Ladung's opening moved to %v, want %v", got, first)
		}
	})
}

// openingDemo loads the demo council on db with an invitation service
// whose clock is *now, on the handle wrap makes of the council's (nil:
// the council's own), and returns them with the council meeting ahead.
func openingDemo(t *testing.T, db *sql.DB, wrap func(*sql.DB) *sql.DB, now *time.Time) (*demotest.Council, *invitation.Service, *demo.Result, demo.Meeting) {
	t.Helper()
	c := openDemo(t, db)
	handle := c.DB
	if wrap != nil {
		handle = wrap(c.DB)
	}
	outbox := notify.NewOutbox(c.DB, &notifytest.Sender{}, notify.Options{})
	svc := invitation.New(invitation.Config{DB: handle, Sessions: c.Sessions, Documents: c.Documents, Outbox: outbox,
		From: killFrom, BaseURL: "https://rat.lindenau.example", TempDir: c.Dir, Now: func() time.Time { return *now }})
	res := c.Load(t, demo.Options{Invitations: svc})
	return c, svc, res, councilMeeting(t, res)
}

// openedAt is when person opened invitation number of meeting, zero if
// not yet.
func openedAt(t *testing.T, svc *invitation.Service, meeting, person int64, number int) time.Time {
	t.Helper()
	ds, err := svc.Deliveries(context.Background(), meeting)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.PersonID == person && d.Invitation == number {
			return d.Opened
		}
	}
	t.Fatalf("person %d has no invitation %d", person, number)
	return time.Time{}
}
