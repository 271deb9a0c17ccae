package live_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// council is a council of five members with voting right (m[0]…m[4]), a
// deputy who is no member, a meeting with a public item (m[1] excluded
// from it) and a non-public one, in a real SQLite database.
type council struct {
	db        *sql.DB
	st        *sessions.Store
	live      *live.Store
	org       int64
	m         []int64
	deputy    int64
	meeting   int64
	public    int64
	nonPublic int64
}

func TestMain(m *testing.M) { pgtest.Main(m) }

func newCouncil(t *testing.T, db *sql.DB) *council {
	t.Helper()
	ctx := context.Background()
	migrate(t, db)
	st := sessions.NewStore(db, nil)
	c := &council{db: db, st: st, live: live.NewStore(db, st, nil)}
	body := &sessions.Body{Name: "Stadt Lindenau"}
	must(t, st.CreateBody(ctx, body))
	o := &sessions.Organization{BodyID: body.ID, Name: "Gemeinderat", Classification: sessions.ClassCouncil}
	must(t, st.CreateOrganization(ctx, o))
	c.org = o.ID
	person := func(name string) int64 {
		p := &sessions.Person{BodyID: body.ID, GivenName: name, FamilyName: "Beispiel"}
		must(t, st.CreatePerson(ctx, p))
		return p.ID
	}
	for _, n := range []string{"Anna", "Bert", "Carl", "Dora", "Emil"} {
		p := person(n)
		must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p, OrganizationID: o.ID, VotingRight: true, StartDate: "2024-01-01"}))
		c.m = append(c.m, p)
	}
	c.deputy = person("Vera")
	m := &sessions.Meeting{OrganizationID: o.ID, Name: "Sitzung", Start: time.Now().Add(time.Hour)}
	must(t, st.CreateMeeting(ctx, m))
	c.meeting = m.ID
	pub := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Schule", Public: true}
	must(t, st.CreateAgendaItem(ctx, pub))
	c.public = pub.ID
	np := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: "Grundstück Lindenplatz"}
	must(t, st.CreateAgendaItem(ctx, np))
	c.nonPublic = np.ID
	must(t, st.AddExclusion(ctx, pub.ID, c.m[1], "Befangenheit"))
	must(t, st.PublishMeeting(ctx, m.ID, time.Now().Add(-time.Minute)))
	return c
}

// migrate applies to db the scopes the live session's tables stand on, as
// internal/schema orders them: documents, sessions, the changes feed (its
// triggers take PostgreSQL's write lock, as in production), live.
func migrate(t *testing.T, db *sql.DB) {
	t.Helper()
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
	dbtest.Migrate(t, db, "changes", changes.Migrations(), changes.PostgresMigrations())
	dbtest.Migrate(t, db, "live", live.Migrations(), live.PostgresMigrations())
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantReason(t *testing.T, what string, err error, code, reason string) {
	t.Helper()
	if ratsmappe.ErrorCode(err) != code || ratsmappe.ErrorReason(err) != reason {
		t.Fatalf("%s: got %v, want %s (%s)", what, err, code, reason)
	}
}

func (c *council) present(t *testing.T, persons ...int64) {
	t.Helper()
	for _, p := range persons {
		must(t, c.live.SetAttendance(context.Background(), c.meeting, live.Attendee{Person: p, Status: live.Present}))
	}
}

func TestSessionAttendanceAndNamedVote(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)

		_, err := c.live.OpenVote(ctx, c.public, live.Open, live.Simple, "")
		wantReason(t, "vote before the start", err, ratsmappe.ECONFLICT, "not_running")
		_, err = c.live.Start(ctx, c.meeting)
		must(t, err)
		_, err = c.live.Start(ctx, c.meeting)
		wantReason(t, "second start", err, ratsmappe.ECONFLICT, "running")

		// Two of five present: not quorate (three needed).
		c.present(t, c.m[0], c.m[1])
		st, err := c.live.Attendance(ctx, c.meeting)
		must(t, err)
		if q := st.Quorum; q.Reached || q.Present != 2 || q.Required != 3 || q.Statutory != 5 {
			t.Fatalf("quorum %+v", q)
		}
		// A deputy for Carl makes three.
		must(t, c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Present, SubstituteFor: c.m[2]}))
		err = c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.m[2], Status: live.Present})
		wantReason(t, "member and deputy in one seat", err, ratsmappe.ECONFLICT, "seat_taken")
		err = c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Present, SubstituteFor: c.deputy})
		wantReason(t, "deputy for themselves", err, ratsmappe.EINVALID, "not_a_seat")
		st, err = c.live.Attendance(ctx, c.meeting)
		must(t, err)
		if !st.Quorum.Reached || st.Quorum.Present != 3 {
			t.Fatalf("quorum with deputy %+v", st.Quorum)
		}

		// Bert is excluded from the public item: two voters of five — no
		// quorum for the item without a reason.
		_, err = c.live.OpenVote(ctx, c.public, live.Named, live.Simple, "")
		wantReason(t, "vote without quorum", err, ratsmappe.ECONFLICT, "no_quorum")
		c.present(t, c.m[3])
		v, err := c.live.OpenVote(ctx, c.public, live.Named, live.Simple, "")
		must(t, err)
		if v.Entitled != 3 {
			t.Fatalf("entitled %d, want 3", v.Entitled)
		}
		_, err = c.live.OpenVote(ctx, c.nonPublic, live.Open, live.Simple, "")
		wantReason(t, "second open vote", err, ratsmappe.ECONFLICT, "vote_open")

		err = c.live.Ballot(ctx, v.ID, c.m[1], live.Yes)
		wantReason(t, "excluded member", err, ratsmappe.EFORBIDDEN, "excluded")
		var e *ratsmappe.Error
		if errors.As(err, &e); e.MessageEN == "" || e.Message == "" {
			t.Fatal("the refusal needs German and English")
		}
		err = c.live.Ballot(ctx, v.ID, c.m[4], live.Yes)
		wantReason(t, "absent member", err, ratsmappe.EFORBIDDEN, "not_entitled")
		err = c.live.Ballot(ctx, v.ID, c.m[2], live.Yes)
		wantReason(t, "member whose deputy sits", err, ratsmappe.EFORBIDDEN, "not_entitled")
		must(t, c.live.Ballot(ctx, v.ID, c.m[0], live.No))
		must(t, c.live.Ballot(ctx, v.ID, c.m[0], live.Yes)) // changed while open
		must(t, c.live.Ballot(ctx, v.ID, c.deputy, live.Yes))
		must(t, c.live.Ballot(ctx, v.ID, c.m[3], live.No))
		_, err = c.live.Close(ctx, v.ID, &live.Counts{Yes: 3})
		wantReason(t, "named by hand", err, ratsmappe.EINVALID, "named_by_hand")
		v, err = c.live.Close(ctx, v.ID, nil)
		must(t, err)
		r := v.Result
		if r.Yes != 2 || r.No != 1 || r.Abstain != 0 || !r.Adopted || len(r.Named) != 3 || len(r.Excluded) != 1 || r.Excluded[0] != c.m[1] {
			t.Fatalf("result %+v", r)
		}
		for _, n := range r.Named {
			if n.Person == c.deputy && n.Seat != c.m[2] {
				t.Errorf("the deputy voted for seat %d, want Carl's %d", n.Seat, c.m[2])
			}
		}
		it, err := c.st.FindAgendaItemByID(ctx, access.Viewer{}, c.public)
		must(t, err)
		if it.Result != "angenommen (Ja: 2, Nein: 1, Enthaltung: 0)" {
			t.Errorf("item result %q", it.Result)
		}
		err = c.live.Ballot(ctx, v.ID, c.m[3], live.Yes)
		wantReason(t, "ballot after closing", err, ratsmappe.ECONFLICT, "vote_closed")

		// A correction is a new version, the first stays.
		_, err = c.live.Correct(ctx, v.ID, live.Correction{Named: r.Named})
		wantReason(t, "correction without reason", err, ratsmappe.EINVALID, "no_reason")
		fixed := append([]live.NamedChoice{}, r.Named...)
		for i := range fixed {
			fixed[i].Choice = live.No
		}
		v, err = c.live.Correct(ctx, v.ID, live.Correction{Named: fixed, Reason: "Zählfehler"})
		must(t, err)
		if v.Result.Version != 2 || v.Result.Adopted || v.Result.No != 3 {
			t.Fatalf("corrected %+v", v.Result)
		}
		rs, err := c.live.FindResults(ctx, v.ID)
		must(t, err)
		if len(rs) != 2 || rs[0].Yes != 2 || rs[1].Reason != "Zählfehler" {
			t.Fatalf("versions %+v", rs)
		}
		// A meeting's votes read at once (OParl's pages) are each item's.
		byItem, err := c.live.FindVotesOfMeetings(ctx, []int64{c.meeting})
		must(t, err)
		one, err := c.live.FindVotes(ctx, c.public)
		must(t, err)
		if got := byItem[c.public]; len(byItem) != 1 || len(got) != 1 || len(one) != 1 || got[0].ID != one[0].ID || got[0].Result.Version != 2 {
			t.Fatalf("votes of the meeting %+v, of its item %+v", byItem, one)
		}
		if none, err := c.live.FindVotesOfMeetings(ctx, nil); err != nil || len(none) != 0 {
			t.Fatalf("votes of no meetings: %v %v", none, err)
		}

		_, err = c.live.End(ctx, c.meeting)
		must(t, err)
		_, err = c.live.OpenVote(ctx, c.public, live.Open, live.Simple, "")
		wantReason(t, "vote after the end", err, ratsmappe.ECONFLICT, "not_running")
	})
}

func TestVoteWithoutQuorumNeedsReason(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		must(t, c.live.SetQuorumRule(ctx, c.org, live.QuorumRule{Kind: live.QuorumFixed, Number: 4}))
		_, err := c.live.Start(ctx, c.meeting)
		must(t, err)
		c.present(t, c.m[0], c.m[2], c.m[3])
		_, err = c.live.OpenVote(ctx, c.nonPublic, live.Open, live.TwoThirds, "  ")
		wantReason(t, "three of four", err, ratsmappe.ECONFLICT, "no_quorum")
		v, err := c.live.OpenVote(ctx, c.nonPublic, live.Open, live.TwoThirds, "Dringlichkeit, § 49 Abs. 2 GO")
		must(t, err)
		if v.QuorumReason == "" {
			t.Fatal("reason not kept")
		}
		// A show of hands: the office enters counts; more than are present
		// is refused.
		_, err = c.live.Close(ctx, v.ID, &live.Counts{Yes: 3, No: 1})
		wantReason(t, "four hands of three", err, ratsmappe.EINVALID, "too_many")
		v, err = c.live.Close(ctx, v.ID, &live.Counts{Yes: 2, No: 1})
		must(t, err)
		if !v.Result.ByHand || !v.Result.Adopted {
			t.Fatalf("%+v", v.Result)
		}
	})
}

func TestSecretVoteCountsOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		_, err := c.live.Start(ctx, c.meeting)
		must(t, err)
		c.present(t, c.m[0], c.m[2], c.m[3], c.m[4])
		v, err := c.live.OpenVote(ctx, c.nonPublic, live.Secret, live.Absolute, "")
		must(t, err)
		must(t, c.live.Ballot(ctx, v.ID, c.m[0], live.Yes))
		err = c.live.Ballot(ctx, v.ID, c.m[0], live.No)
		wantReason(t, "second secret ballot", err, ratsmappe.ECONFLICT, "already_voted")
		must(t, c.live.Ballot(ctx, v.ID, c.m[2], live.Yes))
		must(t, c.live.Ballot(ctx, v.ID, c.m[3], live.No))
		open, err := c.live.FindVoteByID(ctx, v.ID)
		must(t, err)
		if open.Voted != 3 || open.Result != nil {
			t.Fatalf("open secret vote shows %+v", open)
		}
		var ballots int
		must(t, c.db.QueryRow(`SELECT COUNT(*) FROM live_ballots`).Scan(&ballots))
		if ballots != 0 {
			t.Fatalf("%d ballot rows for a secret vote", ballots)
		}
		v, err = c.live.Close(ctx, v.ID, nil)
		must(t, err)
		// Absolute: 2 yes of 5 statutory members is not more than half.
		if r := v.Result; r.Yes != 2 || r.No != 1 || r.Adopted || len(r.Named) != 0 {
			t.Fatalf("%+v", r)
		}

		// After a restart the count in memory is gone: closing refuses, the
		// office counts by hand.
		v2, err := c.live.OpenVote(ctx, c.nonPublic, live.Secret, live.Simple, "")
		must(t, err)
		must(t, c.live.Ballot(ctx, v2.ID, c.m[0], live.Yes))
		restarted := live.NewStore(c.db, c.st, nil)
		_, err = restarted.Close(ctx, v2.ID, nil)
		wantReason(t, "lost count", err, ratsmappe.ECONFLICT, "tally_lost")
		err = restarted.Ballot(ctx, v2.ID, c.m[2], live.Yes)
		wantReason(t, "ballot into a lost count", err, ratsmappe.ECONFLICT, "tally_lost")
		_, err = restarted.Close(ctx, v2.ID, &live.Counts{Yes: 3, No: 1})
		must(t, err)
		noChoiceLinked(t, db, c.m...)
	})
}

func TestSnapshotForViewers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		_, err := c.live.Start(ctx, c.meeting)
		must(t, err)
		c.present(t, c.m[0], c.m[2], c.m[3])
		must(t, c.live.SetCurrentItem(ctx, c.meeting, c.nonPublic))
		v, err := c.live.OpenVote(ctx, c.nonPublic, live.Open, live.Simple, "")
		must(t, err)
		must(t, c.live.Ballot(ctx, v.ID, c.m[0], live.Yes))
		_, err = c.live.Close(ctx, v.ID, nil)
		must(t, err)
		snap, err := c.live.Snapshot(ctx, c.meeting)
		must(t, err)
		now := time.Now()

		citizen, ok := snap.For(access.Viewer{}, now)
		if !ok || citizen.Current == nil || citizen.Current.Title != sessions.StubTitle || citizen.Vote != nil {
			t.Fatalf("citizen sees %+v", citizen)
		}
		member := access.Viewer{AccountID: 1, PersonID: c.m[0], Role: access.RoleMember,
			Memberships: []access.Period{{OrganizationID: c.org}}}
		mv, _ := snap.For(member, now)
		if mv.Current.Title != "Grundstück Lindenplatz" || mv.Vote == nil || mv.Vote.Result == nil || mv.Vote.Result.Yes != 1 {
			t.Fatalf("member sees %+v", mv)
		}
		if !citizen.Attendance.Quorum.Reached || len(citizen.Attendance.Present) != 3 {
			t.Fatalf("attendance %+v", citizen.Attendance)
		}
		// The shared encoding is each viewer's own view.
		excluded := member
		excluded.PersonID = c.m[1]
		must(t, c.st.AddExclusion(ctx, c.nonPublic, c.m[1], "Befangenheit"))
		c.live.Hub().Publish(c.meeting)
		snap, err = c.live.Snapshot(ctx, c.meeting)
		must(t, err)
		for _, v := range []access.Viewer{{}, member, excluded, member, {}, {Role: access.RoleClerk}} {
			view, _ := snap.For(v, now)
			want, _ := json.Marshal(view)
			if got, _ := snap.JSONFor(v, now); string(got) != string(want) {
				t.Errorf("viewer %+v: shared %s, own %s", v, got, want)
			}
		}
		if got, _ := snap.JSONFor(excluded, now); strings.Contains(string(got), "Grundstück") {
			t.Errorf("the excluded member's view: %s", got)
		}

		// An unpublished meeting does not exist for the public.
		must(t, c.st.UnpublishMeeting(ctx, c.meeting))
		c.live.Hub().Publish(c.meeting)
		snap, err = c.live.Snapshot(ctx, c.meeting)
		must(t, err)
		if _, ok := snap.For(access.Viewer{}, now); ok {
			t.Fatal("a draft meeting is live for the public")
		}
	})
}

func TestSpeakerList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		err := c.live.RequestToSpeak(ctx, c.public, c.m[0])
		wantReason(t, "before the start", err, ratsmappe.ECONFLICT, "not_running")
		_, err = c.live.Start(ctx, c.meeting)
		must(t, err)
		c.present(t, c.m[0], c.m[1], c.m[2])
		must(t, c.live.SetCurrentItem(ctx, c.meeting, c.public))
		err = c.live.RequestToSpeak(ctx, c.public, c.m[3])
		wantReason(t, "absent member", err, ratsmappe.EFORBIDDEN, "not_present")
		err = c.live.RequestToSpeak(ctx, c.public, c.m[1])
		wantReason(t, "excluded member", err, ratsmappe.EFORBIDDEN, "excluded")
		must(t, c.live.RequestToSpeak(ctx, c.public, c.m[2]))
		must(t, c.live.RequestToSpeak(ctx, c.public, c.m[0]))
		err = c.live.RequestToSpeak(ctx, c.public, c.m[0])
		wantReason(t, "second request", err, ratsmappe.ECONFLICT, "already_listed")
		must(t, c.live.SetSpeakingLimit(ctx, c.public, 180))

		sp, err := c.live.FindSpeakers(ctx, c.public)
		must(t, err)
		if sp.Current != nil || len(sp.Waiting) != 2 || sp.Waiting[0].Person != c.m[2] || sp.LimitSeconds != 180 {
			t.Fatalf("list %+v", sp)
		}
		must(t, c.live.GiveFloor(ctx, c.public, c.m[2]))
		must(t, c.live.GiveFloor(ctx, c.public, c.m[0])) // ends Carl's speech
		sp, err = c.live.FindSpeakers(ctx, c.public)
		must(t, err)
		if sp.Current == nil || sp.Current.Person != c.m[0] || len(sp.Waiting) != 0 {
			t.Fatalf("after two speeches %+v", sp)
		}
		must(t, c.live.EndSpeech(ctx, c.meeting))
		must(t, c.live.RequestToSpeak(ctx, c.public, c.m[0])) // again, after speaking
		must(t, c.live.WithdrawRequest(ctx, c.public, c.m[0]))
		wantReason(t, "withdraw twice", c.live.WithdrawRequest(ctx, c.public, c.m[0]), ratsmappe.ENOTFOUND, "")
		sp, err = c.live.FindSpeakers(ctx, c.public)
		must(t, err)
		if sp.Current != nil || len(sp.Waiting) != 0 {
			t.Fatalf("at the end %+v", sp)
		}
		wantReason(t, "limit", c.live.SetSpeakingLimit(ctx, c.public, -1), ratsmappe.EINVALID, "bad_limit")
	})
}

// noChoiceLinked fails if a row of any table of db links one of voters
// with a choice: the rows that speak of a choice are a result (counts,
// no roll call) and an item's result in words, and no row of the live
// session's tables holds a voter beside a choice. (web's
// TestLiveSecretVoteLeavesNoTrace also searches the log, the audit and
// the API's answers, on SQLite.)
func noChoiceLinked(t *testing.T, db *sql.DB, voters ...int64) {
	t.Helper()
	tables := dbtest.Tables(t, db)
	if !slices.Contains(tables, "live_voted") {
		t.Fatalf("tables %v", tables)
	}
	choiceWord := regexp.MustCompile(`(?i)\b(yes|no|abstain|ja|nein|enthaltung)\b`)
	for _, table := range tables {
		for _, row := range dbtest.Rows(t, db, table) {
			if !choiceWord.MatchString(row.Text()) {
				continue
			}
			if table != "live_results" && table != "agenda_items" {
				t.Errorf("table %s holds a choice outside a result: %v", table, row.Vals)
			}
			if table == "live_results" && row.Get("named") != "[]" {
				t.Errorf("a secret vote's result names voters: %v", row.Vals)
			}
			for _, p := range voters {
				if strings.HasPrefix(table, "live_") && table != "live_results" && row.Ints()[p] {
					t.Errorf("table %s links person %d with a choice: %v", table, p, row.Vals)
				}
			}
		}
	}
}
