package live_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// accepted counts the nil errors in errs and fails on any that is not a
// refusal with one of reasons.
func accepted(t *testing.T, what string, errs []error, reasons ...string) int {
	t.Helper()
	n := 0
	for i, err := range errs {
		switch {
		case err == nil:
			n++
		case !slices.Contains(reasons, ratsmappe.ErrorReason(err)):
			t.Fatalf("%s %d: %v", what, i, err)
		}
	}
	return n
}

// bigCouncil adds members with voting right to c's council until it has
// n, all recorded present.
func bigCouncil(t *testing.T, c *council, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	body, err := c.st.FindOrganizationByID(ctx, c.org)
	must(t, err)
	for i := len(c.m); i < n; i++ {
		p := &sessions.Person{BodyID: body.BodyID, GivenName: fmt.Sprint("Mitglied ", i), FamilyName: "Beispiel"}
		must(t, c.st.CreatePerson(ctx, p))
		must(t, c.st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: c.org, VotingRight: true, StartDate: "2024-01-01"}))
		c.m = append(c.m, p.ID)
	}
	_, err = c.live.Start(ctx, c.meeting)
	must(t, err)
	c.present(t, c.m...)
	return c.m
}

// Many members cast at once, each twice (a double tap), while the office
// closes the vote: every ballot the store accepted is counted exactly
// once, none after the closing, and a secret vote takes one ballot per
// person. On PostgreSQL a ballot and the closing each read the vote's
// state before they write; without the write lock a ballot committed
// after the count was read and went uncounted.
func TestConcurrentBallots(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		members := bigCouncil(t, c, 24)
		choices := []string{live.Yes, live.No, live.Abstain}
		for _, kind := range []string{live.Secret, live.Open, live.Named} {
			v, err := c.live.OpenVote(ctx, c.nonPublic, kind, live.Simple, "")
			must(t, err)
			var closed *live.Vote
			start := time.Now()
			errs := dbtest.Concurrently(2*len(members)+1, func(i int) error {
				if i == 2*len(members) {
					// The office closes once about half have voted.
					var err error
					closed, err = c.live.Close(ctx, v.ID, nil)
					return err
				}
				p := members[i/2]
				return c.live.Ballot(ctx, v.ID, p, choices[int(p)%3])
			})
			t.Logf("%s: %d ballots and the closing at once took %v", kind, 2*len(members), time.Since(start).Round(time.Millisecond))
			if errs[len(errs)-1] != nil {
				t.Fatalf("%s: close: %v", kind, errs[len(errs)-1])
			}
			errs = errs[:len(errs)-1]
			// Each person's accepted ballots, and the counts they make.
			var want live.Counts
			for i, p := range members {
				ok := 0
				for _, err := range errs[2*i : 2*i+2] {
					if err == nil {
						ok++
					}
				}
				if kind == live.Secret && ok > 1 {
					t.Errorf("secret: person %d cast %d ballots", p, ok)
				}
				if ok > 0 {
					want.Add(choices[int(p)%3])
				}
			}
			accepted(t, kind, errs, "vote_closed", "already_voted")
			if got := closed.Result.Counts; got != want {
				t.Errorf("%s: counted %+v, the store accepted %+v", kind, got, want)
			}
			if kind == live.Named && len(closed.Result.Named) != want.Total() {
				t.Errorf("named: roll call of %d, %d ballots", len(closed.Result.Named), want.Total())
			}
		}
	})
}

// The office records two deputies for one member at once (two clerks, or
// a check-in confirmed twice): one takes the seat, the other is refused.
// Two votes opened at once: one opens. Two requests to speak of one
// person: one is listed. The chair gives the floor to several at once:
// one speaks.
func TestConcurrentOffice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		_, err := c.live.Start(ctx, c.meeting)
		must(t, err)
		var deputies []int64
		body, err := c.st.FindOrganizationByID(ctx, c.org)
		must(t, err)
		for i := range 6 {
			p := &sessions.Person{BodyID: body.BodyID, GivenName: fmt.Sprint("Vertretung ", i), FamilyName: "Beispiel"}
			must(t, c.st.CreatePerson(ctx, p))
			deputies = append(deputies, p.ID)
		}
		errs := dbtest.Concurrently(len(deputies), func(i int) error {
			return c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: deputies[i], Status: live.Present, SubstituteFor: c.m[4]})
		})
		if n := accepted(t, "deputy", errs, "seat_taken"); n != 1 {
			t.Errorf("%d deputies took one seat", n)
		}

		c.present(t, c.m[0], c.m[2], c.m[3])
		errs = dbtest.Concurrently(6, func(i int) error {
			_, err := c.live.OpenVote(ctx, c.nonPublic, live.Open, live.Simple, "")
			return err
		})
		if n := accepted(t, "open vote", errs, "vote_open"); n != 1 {
			t.Errorf("%d votes opened at once", n)
		}

		must(t, c.live.SetCurrentItem(ctx, c.meeting, c.public))
		errs = dbtest.Concurrently(6, func(int) error { return c.live.RequestToSpeak(ctx, c.public, c.m[0]) })
		if n := accepted(t, "request", errs, "already_listed"); n != 1 {
			t.Errorf("%d requests of one person listed", n)
		}
		speakers := []int64{c.m[0], c.m[2], c.m[3]}
		errs = dbtest.Concurrently(len(speakers), func(i int) error { return c.live.GiveFloor(ctx, c.public, speakers[i]) })
		accepted(t, "give the floor", errs)
		var speaking int
		must(t, db.QueryRow(`SELECT COUNT(*) FROM live_speakers WHERE started_at IS NOT NULL AND ended_at IS NULL`).Scan(&speaking))
		if speaking != 1 {
			t.Errorf("%d speak at once", speaking)
		}
	})
}
