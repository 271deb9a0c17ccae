package dbcopy_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/internal/dbcopy"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// letters is the documents service the invitation stores its letter with:
// demotest's ingester, whose page text is UTF-8 as a real one's is
// (ingesttest's would take the PDF's bytes for text).
func letters(t *testing.T, db *sql.DB) *documents.Service {
	return documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: demotest.CopyIngester{Dir: t.TempDir()}})
}

// A council that held a session and invited to it moves to PostgreSQL and
// back: the live session's tables (attendance, votes open, named and
// secret with their results, speakers, check-ins) and the invitation's
// (consents, rules, invitations, recipients, calendar moves) arrive with
// the same rows, the stores read them there, new votes get new ids, and
// the copy back equals the original.
func TestLiveSessionAndInvitationCopy(t *testing.T) {
	ctx := context.Background()
	src := dbtest.Open(t, sqldb.SQLite)
	if err := schema.Migrate(ctx, src); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	st := sessions.NewStore(src, nil)
	ls := live.NewStore(src, st, nil)
	inv := invitation.New(invitation.Config{DB: src, Sessions: st, Documents: letters(t, src), TempDir: t.TempDir()})
	body := &sessions.Body{Name: "Stadt Lindenau"}
	must(st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Gemeinderat", Classification: sessions.ClassCouncil}
	must(st.CreateOrganization(ctx, org))
	var members []int64
	for i := range 5 {
		p := &sessions.Person{BodyID: body.ID, GivenName: fmt.Sprint("Mitglied ", i), FamilyName: "Beispiel"}
		must(st.CreatePerson(ctx, p))
		must(st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: org.ID, VotingRight: true, StartDate: "2024-01-01"}))
		must(inv.SetConsent(ctx, &invitation.Consent{PersonID: p.ID, Electronic: i%2 == 0, GivenOn: "2024-01-01", How: "schriftlich",
			Email: fmt.Sprintf("m%d@lindenau.example", i)}, "amt"))
		members = append(members, p.ID)
	}
	m := &sessions.Meeting{OrganizationID: org.ID, Name: "Sitzung", Start: time.Now().Add(30 * 24 * time.Hour)}
	must(st.CreateMeeting(ctx, m))
	item := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Schule", Public: true}
	must(st.CreateAgendaItem(ctx, item))
	must(st.PublishMeeting(ctx, m.ID, time.Now().Add(-time.Minute)))
	if _, err := inv.Issue(ctx, m.ID, invitation.Request{Urgency: "Test"}); err != nil {
		t.Fatal(err)
	}
	tx, err := src.BeginTx(ctx, nil)
	must(err)
	_, _, err = invitation.CalendarMove(ctx, tx, m.ID, "verlegt", time.Now())
	must(err)
	must(tx.Commit())

	_, err = ls.Start(ctx, m.ID)
	must(err)
	for _, p := range members[:4] {
		must(ls.SetAttendance(ctx, m.ID, live.Attendee{Person: p, Status: live.Present}))
	}
	must(ls.CheckIn(ctx, m.ID, members[4], 0))
	must(ls.SetCurrentItem(ctx, m.ID, item.ID))
	must(ls.RequestToSpeak(ctx, item.ID, members[0]))
	must(ls.GiveFloor(ctx, item.ID, members[1]))
	must(ls.SetSpeakingLimit(ctx, item.ID, 180))
	var closed []*live.Vote
	for _, kind := range []string{live.Named, live.Secret} {
		v, err := ls.OpenVote(ctx, item.ID, kind, live.Simple, "")
		must(err)
		for i, p := range members[:4] {
			must(ls.Ballot(ctx, v.ID, p, []string{live.Yes, live.No}[i%2]))
		}
		v, err = ls.Close(ctx, v.ID, nil)
		must(err)
		closed = append(closed, v)
	}

	scopes := []string{"documents", "sessions", "changes", "annotate", "invitation", "live"}
	pg := dbtest.Open(t, sqldb.Postgres)
	r := mustCopy(t, src, pg, dbcopy.Options{Source: "sqlite:original", Scopes: scopes})
	want := map[string]int64{"live_sessions": 1, "live_attendance": 4, "live_checkins": 1, "live_votes": 2, "live_ballots": 4,
		"live_voted": 4, "live_results": 2, "live_speakers": 2, "live_speaking_limits": 1, "invitation_consents": 5,
		"invitations": 1, "invitation_items": 1, "invitation_recipients": 5, "calendar_moves": 1}
	for _, tb := range r.Tables {
		if !tb.OK() {
			t.Errorf("%s: source %v, target %v", tb.Name, tb.Source, tb.Target)
		}
		if n, ok := want[tb.Name]; ok {
			if tb.Target.Rows != n {
				t.Errorf("%s: %d rows, want %d", tb.Name, tb.Target.Rows, n)
			}
			delete(want, tb.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("tables not copied: %v", want)
	}

	// The stores read the copy, and go on from it.
	pst := sessions.NewStore(pg, nil)
	pls := live.NewStore(pg, pst, nil)
	for _, c := range closed {
		v, err := pls.FindVoteByID(ctx, c.ID)
		if err != nil || v.Result == nil || v.Result.Counts != c.Result.Counts || len(v.Result.Named) != len(c.Result.Named) {
			t.Errorf("vote %d on PostgreSQL: %+v, %v; want %+v", c.ID, v, err, c.Result)
		}
	}
	v, err := pls.OpenVote(ctx, item.ID, live.Open, live.Simple, "")
	if err != nil || v.ID != closed[1].ID+1 {
		t.Fatalf("a new vote on PostgreSQL: %+v, %v; want id %d", v, err, closed[1].ID+1)
	}
	pinv := invitation.New(invitation.Config{DB: pg, Sessions: pst, Documents: letters(t, pg), TempDir: t.TempDir()})
	ds, err := pinv.Deliveries(ctx, m.ID)
	if err != nil || len(ds) != 5 {
		t.Fatalf("deliveries on PostgreSQL: %d, %v", len(ds), err)
	}
	tx, err = pg.BeginTx(ctx, nil)
	must(err)
	defer tx.Rollback()
	for key, want := range map[string]int{"verlegt": 1, "nochmals verlegt": 2} {
		if seq, ok, err := invitation.CalendarMove(ctx, tx, m.ID, key, time.Now()); err != nil || !ok || seq != want {
			t.Errorf("calendar move %q on PostgreSQL: %d, %t, %v; want %d", key, seq, ok, err, want)
		}
	}
	must(tx.Rollback())
	must(pls.Ballot(ctx, v.ID, members[0], live.Yes))
	_, err = pls.Close(ctx, v.ID, nil)
	must(err)

	// The copy back has the original's rows, and the new vote.
	back := dbtest.Open(t, sqldb.SQLite)
	r2 := mustCopy(t, pg, back, dbcopy.Options{Source: "postgres://copy", Scopes: scopes})
	orig, again := sums(r, false), sums(r2, true)
	for name, s := range orig {
		if name == "live_votes" || name == "live_ballots" || name == "live_results" || name == "agenda_items" || name == "changes" {
			continue // the new vote, its ballot and result in words
		}
		if again[name] != s {
			t.Errorf("%s after the round trip: %v, original %v", name, again[name], s)
		}
	}
	var votes int
	if err := back.QueryRow(`SELECT COUNT(*) FROM live_votes`).Scan(&votes); err != nil || votes != 3 {
		t.Errorf("votes after the round trip: %d, %v", votes, err)
	}
}
