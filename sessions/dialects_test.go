package sessions_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The same council, built and changed the same way, gives the same answer
// to every read on both databases — also the reads no other test of this
// package compares with the rule (the OParl lists and pages, the public
// data's finders and updates, the ledger's entries and stubs, the OParl
// import's records). The first database's answers are the reference.
func TestSameAnswersOnBothDatabases(t *testing.T) {
	var ref []string
	var refDialect sqldb.Dialect
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		st := c.store
		var got []string
		note := func(what string, v any, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			got = append(got, what+": "+string(b))
		}

		// Public data: finders and updates.
		bodies, err := st.FindBodies(ctx)
		note("bodies", bodies, err)
		body := bodies[0]
		body.Name = "Stadt Neustadt"
		note("update body", nil, st.UpdateBody(ctx, body))
		b, err := st.FindBodyByID(ctx, body.ID)
		note("body", b, err)
		orgs, err := st.FindOrganizations(ctx, sessions.OrganizationFilter{BodyID: body.ID, IDs: []int64{1, 2, 99}})
		note("organizations", orgs, err)
		names, err := st.OrganizationNames(ctx, []int64{1, 2, 99})
		note("organization names", names, err)
		for _, o := range orgs {
			if names[o.ID] != o.Name {
				t.Errorf("OrganizationNames: %d is %q, FindOrganizations says %q", o.ID, names[o.ID], o.Name)
			}
		}
		if len(names) != len(orgs) {
			t.Errorf("OrganizationNames: %d names, FindOrganizations %d organizations", len(names), len(orgs))
		}
		orgs[0].ShortName = "BA"
		note("update organization", nil, st.UpdateOrganization(ctx, orgs[0]))
		o, err := st.FindOrganizationByID(ctx, orgs[0].ID)
		note("organization", o, err)
		persons, err := st.FindPersons(ctx, sessions.PersonFilter{OrganizationID: orgs[0].ID})
		note("persons", persons, err)
		persons[0].Title = "Dr."
		note("update person", nil, st.UpdatePerson(ctx, persons[0]))
		p, err := st.FindPersonByID(ctx, persons[0].ID)
		note("person", p, err)
		ms, err := st.FindMemberships(ctx, 0, orgs[0].ID)
		note("memberships", ms, err)
		c.clock.t = c.clock.t.Add(time.Hour)
		ms[0].EndDate = "2026-12-31"
		note("update membership", nil, st.UpdateMembership(ctx, ms[0]))
		term := &sessions.LegislativeTerm{BodyID: body.ID, Name: "2024–2029", StartDate: "2024-07-01"}
		note("create term", nil, st.CreateLegislativeTerm(ctx, term))
		term.EndDate = "2029-06-30"
		note("update term", nil, st.UpdateLegislativeTerm(ctx, term))
		terms, err := st.FindLegislativeTerms(ctx, body.ID)
		note("terms", terms, err)

		// Meetings and papers changed.
		name, loc := "Sitzung (verlegt)", "Rathaus, Saal 2"
		m, err := st.UpdateMeeting(ctx, c.published, sessions.MeetingUpdate{Name: &name, Location: &loc})
		note("update meeting", m, err)
		var paperIDs []int64
		for _, id := range c.papers {
			paperIDs = append(paperIDs, id)
		}
		slices.Sort(paperIDs)
		reference := "V/2026/99"
		pa, err := st.UpdatePaper(ctx, paperIDs[0], sessions.PaperUpdate{Reference: &reference})
		note("update paper", pa, err)

		// OParl's lists, pages and stubs, with and without the filters.
		since := c.clock.t.Add(-30 * time.Minute)
		for _, f := range []sessions.PublicListFilter{
			{Limit: 100},
			{Limit: 2, After: 1, Gone: true},
			{Limit: 100, BodyID: body.ID, ModifiedSince: since, CreatedUntil: c.clock.t.Add(time.Hour)},
		} {
			for _, l := range []sessions.PublicList{sessions.ListMeetings, sessions.ListLocations, sessions.ListAgendaItems,
				sessions.ListPapers, sessions.ListConsultations, sessions.ListFiles} {
				refs, more, err := st.FindPublicPage(ctx, l, f)
				note(fmt.Sprintf("page %s %+v", l, f), []any{refs, more}, err)
			}
			ps, pms, more, err := st.PersonPage(ctx, f)
			note("person page", []any{ps, pms, more}, err)
			mps, more, err := st.MembershipPage(ctx, f)
			note("membership page", []any{mps, more}, err)
		}
		for _, typ := range []string{access.ObjMeeting, access.ObjAgendaItem, access.ObjPaper, access.ObjAttachment, access.ObjMinutes} {
			touched, err := st.PublicTouchedAll(ctx, typ, []int64{1, 2, 3, 4, 5, 6, 7, 8})
			note("touched "+typ, touched, err)
			for id := int64(1); id <= 8; id++ {
				gone, err := st.FindGone(ctx, typ, id)
				note(fmt.Sprintf("gone %s %d", typ, id), gone, err)
			}
		}
		entries, err := st.LedgerEntries(ctx, "", time.Time{})
		note("ledger", entries, err)

		// Folders of papers and withdrawn items, for every viewer.
		for _, role := range roles {
			v := c.viewers[role]
			folders, err := st.FindPaperFolders(ctx, v, paperIDs)
			note("paper folders "+role, len(folders), err)
			it, err := st.WithdrawnItemFor(ctx, v, c.itemWithdrawn)
			if err != nil {
				note("withdrawn item "+role, err.Error(), nil)
			} else {
				note("withdrawn item "+role, it, nil)
			}
		}

		// The OParl import's records.
		rej := &sessions.OParlRejection{ExternalID: "https://ris.example/file/1", Code: "encrypted", Message: "verschlüsselt", At: c.clock.t}
		note("save rejection", nil, st.SaveOParlRejection(ctx, rej))
		note("save rejection again", nil, st.SaveOParlRejection(ctx, rej))
		r, err := st.FindOParlRejection(ctx, rej.ExternalID)
		note("rejection", r, err)
		_, err = st.FindUnlinkedDocument(ctx, "amt", strings.Repeat("0", 64))
		note("unlinked document", err != nil, nil)

		audit, err := st.FindAuditEntries(ctx, 100)
		note("audit", audit, err)

		if ref == nil {
			ref, refDialect = got, sqldb.DialectOf(db)
			return
		}
		for i := range max(len(ref), len(got)) {
			var want, have string
			if i < len(ref) {
				want = ref[i]
			}
			if i < len(got) {
				have = got[i]
			}
			if want != have {
				t.Errorf("answer %d differs from %s's:\n got %s\nwant %s", i, refDialect, have, want)
			}
		}
	})
}
