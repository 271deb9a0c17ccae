package sessions_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
)

// A deputy seated in a meeting's running session (MeetingFacts.Deputies)
// sees that meeting as a member of its organization: non-public items,
// their attachments, the meeting's own non-public documents, approved
// minutes, and the papers consulted there — unless excluded themselves;
// the exclusion of the member they sit for does not reach them. The
// rule alone, on facts as the store hands them over.
func TestDeputySeesTheMeetingAsAMember(t *testing.T) {
	at := time.Date(2026, 3, 12, 17, 0, 0, 0, time.UTC)
	now := at.Add(time.Hour)
	const deputy, member, outsider = 7, 8, 9
	seated := access.MeetingFacts{OrganizationID: 1, Start: at, PublishedAt: at.Add(-72 * time.Hour), Deputies: []int64{deputy}}
	other := seated // another meeting of the same body: no seat there
	other.Deputies = nil
	nonPublic := access.AttachmentFacts{}
	viewer := func(person int64, role access.Role) access.Viewer {
		return access.Viewer{AccountID: person, PersonID: person, Role: role}
	}
	for _, tc := range []struct {
		name string
		v    access.Viewer
		m    access.MeetingFacts
		excl []int64
		want access.Access
	}{
		{"deputy in the running session", viewer(deputy, access.RoleMember), seated, nil, access.Full},
		{"deputy, the member they sit for excluded", viewer(deputy, access.RoleMember), seated, []int64{member}, access.Full},
		{"deputy excluded themselves", viewer(deputy, access.RoleMember), seated, []int64{deputy}, access.Stub},
		{"deputy, another meeting of the body", viewer(deputy, access.RoleMember), other, nil, access.Stub},
		{"someone else", viewer(outsider, access.RoleMember), seated, nil, access.Stub},
		{"deputy's person on a non-member account", viewer(deputy, access.RoleAnonymous), seated, nil, access.Stub},
	} {
		it := access.ItemFacts{Meeting: tc.m, Excluded: tc.excl}
		tc.m.Excluded = tc.excl
		if got := access.ItemAccess(tc.v, it, now); got != tc.want {
			t.Errorf("%s: item %v, want %v", tc.name, got, tc.want)
		}
		wantDoc := access.None
		if tc.want == access.Full {
			wantDoc = access.Full
		}
		if got := access.ItemAttachmentAccess(tc.v, it, nonPublic, now); got != wantDoc {
			t.Errorf("%s: item's attachment %v, want %v", tc.name, got, wantDoc)
		}
		if got := access.MeetingAttachmentAccess(tc.v, tc.m, nonPublic, now); got != wantDoc {
			t.Errorf("%s: meeting's attachment %v, want %v", tc.name, got, wantDoc)
		}
		minutes := access.MinutesFacts{Meeting: tc.m, Approved: true}
		if got := access.MinutesAccess(tc.v, minutes, now); got != wantDoc {
			t.Errorf("%s: approved minutes %v, want %v", tc.name, got, wantDoc)
		}
		paper := access.PaperFacts{Items: []access.ItemFacts{it}, Excluded: tc.excl}
		if got := access.PaperAttachmentAccess(tc.v, paper, nonPublic, now); got != wantDoc {
			t.Errorf("%s: paper's attachment %v, want %v", tc.name, got, wantDoc)
		}
	}
}

// The store's side, on both databases: SetDeputies writes the fact in
// the caller's transaction, every read of the meeting carries it, the
// candidate queries and search records let the deputy's documents
// through (candidates stay a superset of the rule), the feed names the
// meeting's documents, the ledger keeps when the seat began and ended.
func TestSetDeputies(t *testing.T) { dbtest.Each(t, testSetDeputies) }

func testSetDeputies(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	dbtest.Migrate(t, db, "changes", changes.Migrations(), changes.PostgresMigrations())
	ctx := context.Background()
	bernd := c.viewers["other member"] // of another committee
	doc := c.docs["doc on non-public item"]
	seat := func(ds ...sessions.Deputy) {
		t.Helper()
		tx, err := db.BeginTx(ctx, nil)
		must(t, err)
		defer tx.Rollback()
		must(t, c.store.SetDeputies(ctx, tx, c.published, ds))
		must(t, tx.Commit())
	}
	sees := func(when string, want access.Access) {
		t.Helper()
		m, err := c.store.FindMeetingByID(ctx, bernd, c.published)
		must(t, err)
		if seated := len(m.Deputies) == 1 && m.Deputies[0] == bernd.PersonID; seated != (want == access.Full) {
			t.Fatalf("%s: the meeting's deputies %v", when, m.Deputies)
		}
		if got, err := c.store.DocumentAccess(ctx, bernd, doc); err != nil || got != want {
			t.Fatalf("%s: the deputy's access to the non-public item's document %v (%v), want %v", when, got, err, want)
		}
		for _, id := range c.allDocs {
			acc, err := c.store.DocumentAccess(ctx, bernd, id)
			must(t, err)
			cand, err := c.store.DocumentCandidate(ctx, bernd, id)
			must(t, err)
			if acc == access.Full && !cand {
				t.Fatalf("%s: document %d is visible to the deputy but no candidate", when, id)
			}
		}
		sa, _, err := c.store.SearchAccess(ctx, doc)
		must(t, err)
		if got := sa.Allows(access.SearchViewer(bernd), c.store.Now()); got != (want == access.Full) {
			t.Fatalf("%s: the search records allow the deputy: %v (%+v)", when, got, sa)
		}
	}
	sees("before", access.None)
	before, err := changes.Newest(ctx, db)
	must(t, err)
	seat(sessions.Deputy{PersonID: bernd.PersonID, ForPersonID: c.viewers["member"].PersonID})
	sees("seated", access.Full)
	var named int
	must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM changes WHERE seq > ? AND kind = 'document' AND object_id = ?`, before, doc).Scan(&named))
	if named == 0 {
		t.Fatalf("the feed does not name the meeting's documents when a deputy is seated")
	}
	seat() // the session ended
	sees("after", access.None)
	es, err := c.store.LedgerEntries(ctx, access.KindDeputy, time.Time{})
	must(t, err)
	if len(es) != 2 || !es[0].Public || es[1].Public || es[0].PersonID != bernd.PersonID {
		t.Fatalf("ledger: %+v", es)
	}
}
