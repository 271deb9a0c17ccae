package sessions_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The leak an outside review found: a paper is consulted on non-public
// items of two meetings, the committee's and then the council's. A member
// of both bodies excluded (Befangenheit) on the committee's item saw,
// through the council meeting, that item's title, a document attached to
// it, the paper and the search records. An exclusion follows the matter:
// she is an outsider of the paper, of every item that consults it and of
// every document of either, in every meeting, for as long as it stands.
func TestExclusionFollowsTheMatter(t *testing.T) { dbtest.Each(t, testExclusionFollowsTheMatter) }

func testExclusionFollowsTheMatter(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	st, db, clk := openStore(t, db)
	body := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, st.CreateBody(ctx, body))
	org := func(name string) int64 {
		o := &sessions.Organization{BodyID: body.ID, Name: name, Classification: sessions.ClassCommittee}
		must(t, st.CreateOrganization(ctx, o))
		return o.ID
	}
	bau, rat := org("Bauausschuss"), org("Gemeinderat")
	viewer := func(name string, orgs ...int64) (access.Viewer, int64) {
		p := &sessions.Person{BodyID: body.ID, GivenName: name, FamilyName: "Beispiel"}
		must(t, st.CreatePerson(ctx, p))
		for _, o := range orgs {
			must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: o, Role: "Mitglied", StartDate: "2024-07-01"}))
		}
		return accountViewer(t, st, db, &accounts.Account{Name: name, Role: access.RoleMember, PersonID: p.ID}), p.ID
	}
	clara, claraID := viewer("clara", bau, rat)
	anna, _ := viewer("anna", bau, rat)

	now := clk.t
	meeting := func(org int64, name string, in time.Duration) int64 {
		m := &sessions.Meeting{OrganizationID: org, Name: name, Start: now.Add(in)}
		must(t, st.CreateMeeting(ctx, m))
		return m.ID
	}
	item := func(meeting int64, title string) int64 {
		it := &sessions.AgendaItem{MeetingID: meeting, Number: "N 1", Title: title, PublicTitle: "Grundstücksangelegenheit"}
		must(t, st.CreateAgendaItem(ctx, it))
		return it.ID
	}
	attach := func(a sessions.Attachment, title string) int64 {
		a.DocumentID = newDocument(t, db, title)
		must(t, st.Attach(ctx, &a))
		return a.DocumentID
	}
	committee, council := meeting(bau, "Bauausschuss", 24*time.Hour), meeting(rat, "Gemeinderat", 14*24*time.Hour)
	// A second, unrelated matter on the council's agenda: clara stays an
	// insider there, and of the council's own non-public papers.
	committeeItem, councilItem := item(committee, "Verkauf Flurstück 12"), item(council, "Verkauf Flurstück 12")
	otherItem := item(council, "Pacht Sportplatz")
	paper := &sessions.Paper{BodyID: body.ID, Reference: "2026/0100", Name: "Verkauf Flurstück 12", Type: "Beschlussvorlage"}
	must(t, st.CreatePaper(ctx, paper))
	for _, it := range []int64{committeeItem, councilItem} {
		must(t, st.Consult(ctx, &sessions.Consultation{PaperID: paper.ID, AgendaItemID: it, Role: "Vorberatung"}))
	}
	paperDoc := attach(sessions.Attachment{PaperID: paper.ID, Role: sessions.RoleMain}, "Vorlage Flurstück 12")
	councilDoc := attach(sessions.Attachment{AgendaItemID: councilItem}, "Kaufvertrag Entwurf")
	otherDoc := attach(sessions.Attachment{AgendaItemID: otherItem}, "Pachtvertrag")
	minutes := &sessions.Minutes{MeetingID: council, DocumentID: newDocument(t, db, "Niederschrift Gemeinderat")}
	must(t, st.CreateMinutes(ctx, minutes))
	must(t, st.SetMinutesState(ctx, minutes.ID, sessions.MinutesApproved))
	for _, m := range []int64{committee, council} {
		must(t, st.PublishMeeting(ctx, m, now.Add(-time.Hour)))
	}

	type seen struct {
		councilItem                                 access.Access
		paper, paperDoc, councilDoc, minutes, other bool
		agenda                                      string // title of the council item in the agenda
		consultations                               int    // of the paper, as listed
	}
	look := func(v access.Viewer) seen {
		t.Helper()
		var s seen
		it, err := st.FindAgendaItemByID(ctx, v, councilItem)
		must(t, err)
		s.councilItem = it.Access
		_, agenda, err := st.FindAgenda(ctx, v, council)
		must(t, err)
		for _, a := range agenda {
			if a.ID == councilItem {
				s.agenda = a.Title
			}
		}
		_, err = st.FindPaperByID(ctx, v, paper.ID)
		s.paper = err == nil
		docs, err := st.FilterDocuments(ctx, v, []int64{paperDoc, councilDoc, minutes.DocumentID, otherDoc})
		must(t, err)
		s.paperDoc, s.councilDoc = slices.Contains(docs, paperDoc), slices.Contains(docs, councilDoc)
		s.minutes, s.other = slices.Contains(docs, minutes.DocumentID), slices.Contains(docs, otherDoc)
		for _, id := range []int64{paperDoc, councilDoc, minutes.DocumentID, otherDoc} {
			single, err := st.DocumentAccess(ctx, v, id)
			must(t, err)
			if (single == access.Full) != slices.Contains(docs, id) {
				t.Errorf("document %d: DocumentAccess %v disagrees with FilterDocuments %v", id, single, docs)
			}
		}
		if s.paper {
			cs, err := st.FindConsultations(ctx, v, paper.ID)
			must(t, err)
			s.consultations = len(cs)
		}
		return s
	}
	insider := seen{councilItem: access.Full, paper: true, paperDoc: true, councilDoc: true, minutes: true, other: true,
		agenda: "Verkauf Flurstück 12", consultations: 2}
	if got := look(anna); got != insider {
		t.Fatalf("anna (insider of both meetings): %+v, want %+v", got, insider)
	}
	if got := look(clara); got != insider {
		t.Fatalf("clara before her exclusion: %+v, want %+v", got, insider)
	}

	must(t, st.AddExclusion(ctx, committeeItem, claraID, "Eigentümerin des Nachbargrundstücks"))
	outsider := seen{councilItem: access.Stub, agenda: "Grundstücksangelegenheit", other: true}
	if got := look(clara); got != outsider {
		t.Errorf("clara excluded on the committee's item: %+v, want %+v (an outsider of the matter in the council too; still an insider of the other item, but not of the minutes, which record the matter)", got, outsider)
	}
	if got := look(anna); got != insider {
		t.Errorf("anna after clara's exclusion: %+v, want %+v", got, insider)
	}

	// The search index holds the same answer: clara's principals do not
	// reach the paper's or the council item's pages, and still reach the
	// other item's.
	for doc, want := range map[int64]bool{paperDoc: false, councilDoc: false, minutes.DocumentID: false, otherDoc: true} {
		acc, _, err := st.SearchAccess(ctx, doc)
		must(t, err)
		if got := acc.Allows(access.SearchViewer(clara), clk.t); got != want {
			t.Errorf("search: clara reaches document %d: %v, want %v (%+v)", doc, got, want, acc)
		}
		if !acc.Allows(access.SearchViewer(anna), clk.t) {
			t.Errorf("search: anna does not reach document %d (%+v)", doc, acc)
		}
	}

	// Lifting the exclusion gives everything back.
	must(t, st.RemoveExclusion(ctx, committeeItem, claraID))
	if got := look(clara); got != insider {
		t.Errorf("clara after the exclusion was lifted: %+v, want %+v", got, insider)
	}
}
