package live_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// A deputy recorded present for a member gets the member's view of the
// meeting exactly while the session runs: the store writes the fact with
// the start, every attendance change and the end, the rule reads it with
// the meeting, and the ledger keeps when the seat began and ended.
func TestDeputySeatFollowsTheSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		vera := access.Viewer{AccountID: 1, PersonID: c.deputy, Role: access.RoleMember}
		sees := func(when string, want access.Access) {
			t.Helper()
			it, err := c.st.FindAgendaItemByID(ctx, vera, c.nonPublic)
			must(t, err)
			if got := it.Access; got != want || (want == access.Stub && it.Title == "Grundstück Lindenplatz") {
				t.Fatalf("%s: the deputy sees the non-public item as %v (%q), want %v", when, got, it.Title, want)
			}
		}
		deputies := func(when string, want ...int64) {
			t.Helper()
			m, err := c.st.FindMeetingByID(ctx, vera, c.meeting)
			must(t, err)
			if !slices.Equal(m.Deputies, want) {
				t.Fatalf("%s: deputies %v, want %v", when, m.Deputies, want)
			}
		}

		// Recorded before the start (check-in): no view yet.
		must(t, c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Present, SubstituteFor: c.m[2]}))
		deputies("before the start")
		sees("before the start", access.Stub)

		_, err := c.live.Start(ctx, c.meeting)
		must(t, err)
		deputies("running", c.deputy)
		sees("running", access.Full)

		// Leaving ends the view; coming back starts it again.
		must(t, c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Absent, SubstituteFor: c.m[2]}))
		deputies("left")
		sees("left", access.Stub)
		must(t, c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Present, SubstituteFor: c.m[2]}))
		sees("back", access.Full)

		// Present in their own name (no seat to sit in) is no deputy.
		must(t, c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Present}))
		deputies("present as guest")
		sees("present as guest", access.Stub)
		must(t, c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Present, SubstituteFor: c.m[2]}))

		// Their own exclusion applies; the member's does not reach them.
		must(t, c.st.AddExclusion(ctx, c.nonPublic, c.m[2], "Befangenheit"))
		sees("member excluded", access.Full)
		must(t, c.st.AddExclusion(ctx, c.nonPublic, c.deputy, "Befangenheit"))
		sees("deputy excluded", access.Stub)
		must(t, c.st.RemoveExclusion(ctx, c.nonPublic, c.deputy))

		// The view is of this meeting only.
		other := &sessions.Meeting{OrganizationID: c.org, Name: "Nächste Sitzung", Start: time.Now().Add(48 * time.Hour)}
		must(t, c.st.CreateMeeting(ctx, other))
		np := &sessions.AgendaItem{MeetingID: other.ID, Number: "N 1", Title: "Anderes Grundstück"}
		must(t, c.st.CreateAgendaItem(ctx, np))
		must(t, c.st.PublishMeeting(ctx, other.ID, time.Now().Add(-time.Minute)))
		if it, err := c.st.FindAgendaItemByID(ctx, vera, np.ID); err != nil || it.Access != access.Stub {
			t.Fatalf("the deputy sees another meeting's non-public item as %v (%v)", it.Access, err)
		}

		_, err = c.live.End(ctx, c.meeting)
		must(t, err)
		deputies("ended")
		sees("ended", access.Stub)

		// A correction of the record after the end grants nothing.
		must(t, c.live.SetAttendance(ctx, c.meeting, live.Attendee{Person: c.deputy, Status: live.Present, SubstituteFor: c.m[3]}))
		deputies("corrected after the end")

		es, err := c.st.LedgerEntries(ctx, access.KindDeputy, time.Time{})
		must(t, err)
		var seats []bool
		for _, e := range es {
			if e.PersonID != c.deputy || e.Object.ID != c.meeting {
				t.Fatalf("ledger entry %+v", e)
			}
			seats = append(seats, e.Public)
		}
		if want := []bool{true, false, true, false, true, false}; !slices.Equal(seats, want) {
			t.Fatalf("ledger: seats %v, want %v", seats, want)
		}
	})
}
