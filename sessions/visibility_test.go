package sessions_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// council is a small council with one object in every state the policy
// distinguishes, and a viewer for every role.
type council struct {
	store   *sessions.Store
	clock   *clock
	viewers map[string]sessions.Viewer

	draft, embargoed, published              int64 // meetings
	itemPublic, itemNonPublic, itemWithdrawn int64
	docs                                     map[string]int64
	paperPublic, paperNonPublic              int64
	minutesPublic, minutesNonPublic          int64
}

var roles = []string{"anonymous", "member", "other member", "excluded member", "clerk", "admin"}

func newCouncil(t *testing.T) *council {
	t.Helper()
	ctx := context.Background()
	st, db, clk := openStore(t)
	c := &council{store: st, clock: clk, docs: map[string]int64{}, viewers: map[string]sessions.Viewer{}}
	body := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, st.CreateBody(ctx, body))
	bau := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	kultur := &sessions.Organization{BodyID: body.ID, Name: "Kulturausschuss", Classification: sessions.ClassCommittee}
	must(t, st.CreateOrganization(ctx, bau))
	must(t, st.CreateOrganization(ctx, kultur))

	person := func(name string, org int64) int64 {
		p := &sessions.Person{BodyID: body.ID, GivenName: name, FamilyName: "Beispiel"}
		must(t, st.CreatePerson(ctx, p))
		must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: org, Role: "Mitglied", VotingRight: true, StartDate: "2024-07-01"}))
		return p.ID
	}
	anna, bernd, clara := person("Anna", bau.ID), person("Bernd", kultur.ID), person("Clara", bau.ID)
	account := func(name string, role sessions.Role, personID int64) sessions.Viewer {
		a := &sessions.Account{Name: name, Role: role, PersonID: personID}
		must(t, st.CreateAccount(ctx, a, "ein langes Passwort"))
		v, err := st.ViewerFor(ctx, a)
		must(t, err)
		return v
	}
	c.viewers["anonymous"] = sessions.Viewer{}
	c.viewers["member"] = account("anna", sessions.RoleMember, anna)
	c.viewers["other member"] = account("bernd", sessions.RoleMember, bernd)
	c.viewers["excluded member"] = account("clara", sessions.RoleMember, clara)
	c.viewers["clerk"] = account("amt", sessions.RoleClerk, 0)
	c.viewers["admin"] = account("admin", sessions.RoleAdmin, 0)

	now := clk.t
	meeting := func(name string) int64 {
		m := &sessions.Meeting{OrganizationID: bau.ID, Name: name, Start: now.Add(48 * time.Hour), Location: "Rathaus, Saal 1"}
		must(t, st.CreateMeeting(ctx, m))
		return m.ID
	}
	item := func(meeting int64, number string, public bool) int64 {
		it := &sessions.AgendaItem{MeetingID: meeting, Number: number, Title: "Geheimer Titel " + number, PublicTitle: "", Public: public}
		must(t, st.CreateAgendaItem(ctx, it))
		return it.ID
	}
	attach := func(name string, a sessions.Attachment, public bool) {
		a.DocumentID = newDocument(t, db, name)
		must(t, st.Attach(ctx, &a))
		if public {
			must(t, st.SetAttachmentPublic(ctx, a.ID, true))
		}
		c.docs[name] = a.DocumentID
	}

	c.draft = meeting("Entwurf")
	attach("draft doc", sessions.Attachment{AgendaItemID: item(c.draft, "Ö 1", true)}, true)

	c.embargoed = meeting("Sperrfrist")
	attach("embargoed doc", sessions.Attachment{AgendaItemID: item(c.embargoed, "Ö 1", true)}, true)
	must(t, st.PublishMeeting(ctx, c.embargoed, now.Add(time.Hour)))

	c.published = meeting("Öffentlich")
	c.itemPublic = item(c.published, "Ö 1", true)
	c.itemNonPublic = item(c.published, "N 1", false)
	c.itemWithdrawn = item(c.published, "Ö 2", true)
	attach("public doc", sessions.Attachment{AgendaItemID: c.itemPublic}, true)
	attach("non-public doc on public item", sessions.Attachment{AgendaItemID: c.itemPublic}, false)
	attach("doc on non-public item", sessions.Attachment{AgendaItemID: c.itemNonPublic}, true)
	attach("doc on withdrawn item", sessions.Attachment{AgendaItemID: c.itemWithdrawn}, true)
	attach("withdrawn doc", sessions.Attachment{AgendaItemID: c.itemPublic}, true)
	attach("meeting invitation", sessions.Attachment{MeetingID: c.published, Role: sessions.RoleInvitation}, true)
	attach("unlinked doc", sessions.Attachment{MeetingID: c.draft}, false)

	// Papers: one on the public item, one on the non-public item.
	paper := func(ref string, itemID int64) int64 {
		p := &sessions.Paper{BodyID: body.ID, Reference: ref, Name: "Vorlage " + ref, Type: "Beschlussvorlage"}
		must(t, st.CreatePaper(ctx, p))
		must(t, st.Consult(ctx, &sessions.Consultation{PaperID: p.ID, AgendaItemID: itemID, Role: "Entscheidung"}))
		return p.ID
	}
	c.paperPublic = paper("2026/0001", c.itemPublic)
	c.paperNonPublic = paper("2026/0002", c.itemNonPublic)
	attach("public paper doc", sessions.Attachment{PaperID: c.paperPublic, Role: sessions.RoleMain}, true)
	attach("non-public paper doc", sessions.Attachment{PaperID: c.paperNonPublic, Role: sessions.RoleMain}, true)

	must(t, st.PublishMeeting(ctx, c.published, now.Add(-time.Hour)))
	must(t, st.WithdrawAgendaItem(ctx, c.itemWithdrawn))
	must(t, st.WithdrawAttachment(ctx, attachmentOf(t, st, c.itemPublic, c.docs["withdrawn doc"])))
	must(t, st.AddExclusion(ctx, c.itemNonPublic, clara, "Grundstücksnachbarin"))

	// A late attachment: added after publication, non-public by default.
	attach("late doc", sessions.Attachment{AgendaItemID: c.itemPublic}, false)

	// Minutes: public ones published, non-public ones approved.
	minutes := func(name string, public bool, state string) int64 {
		m := &sessions.Minutes{MeetingID: c.published, DocumentID: newDocument(t, db, name), Public: public}
		must(t, st.CreateMinutes(ctx, m))
		must(t, st.SetMinutesState(ctx, m.ID, sessions.MinutesApproved))
		if state == sessions.MinutesPublished {
			must(t, st.SetMinutesState(ctx, m.ID, sessions.MinutesPublished))
		}
		c.docs[name] = m.DocumentID
		return m.ID
	}
	c.minutesPublic = minutes("public minutes", true, sessions.MinutesPublished)
	c.minutesNonPublic = minutes("non-public minutes", false, sessions.MinutesApproved)
	return c
}

func attachmentOf(t *testing.T, st *sessions.Store, itemID, docID int64) int64 {
	t.Helper()
	as, err := st.FindAttachments(context.Background(), sessions.Viewer{Role: sessions.RoleClerk}, sessions.AttachmentTarget{AgendaItemID: itemID})
	must(t, err)
	for _, a := range as {
		if a.DocumentID == docID {
			return a.ID
		}
	}
	t.Fatalf("no attachment of document %d on item %d", docID, itemID)
	return 0
}

// Every role × every object state, through the store's read paths.
func TestVisibility(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	const F, S, N = sessions.Full, sessions.Stub, sessions.None
	// Columns follow roles: anonymous, member, other member, excluded
	// member, clerk, admin.
	type row struct {
		name string
		want [6]sessions.Access
		get  func(v sessions.Viewer) (sessions.Access, error)
	}
	meeting := func(id int64) func(sessions.Viewer) (sessions.Access, error) {
		return func(v sessions.Viewer) (sessions.Access, error) {
			_, err := c.store.FindMeetingByID(ctx, v, id)
			return accessOf(err)
		}
	}
	item := func(id int64) func(sessions.Viewer) (sessions.Access, error) {
		return func(v sessions.Viewer) (sessions.Access, error) {
			it, err := c.store.FindAgendaItemByID(ctx, v, id)
			if err != nil {
				return accessOf(err)
			}
			return it.Access, nil
		}
	}
	doc := func(name string) func(sessions.Viewer) (sessions.Access, error) {
		return func(v sessions.Viewer) (sessions.Access, error) {
			return c.store.DocumentAccess(ctx, v, c.docs[name])
		}
	}
	paper := func(id int64) func(sessions.Viewer) (sessions.Access, error) {
		return func(v sessions.Viewer) (sessions.Access, error) {
			_, err := c.store.FindPaperByID(ctx, v, id)
			return accessOf(err)
		}
	}
	version := func(name, state string) func(sessions.Viewer) (sessions.Access, error) {
		return func(v sessions.Viewer) (sessions.Access, error) {
			acc, err := c.store.DocumentAccess(ctx, v, c.docs[name])
			return sessions.VersionAccess(v, acc, state), err
		}
	}
	for _, r := range []row{
		{"draft meeting", [6]sessions.Access{N, N, N, N, F, F}, meeting(c.draft)},
		{"embargoed meeting", [6]sessions.Access{N, N, N, N, F, F}, meeting(c.embargoed)},
		{"published meeting", [6]sessions.Access{F, F, F, F, F, F}, meeting(c.published)},
		{"public item", [6]sessions.Access{F, F, F, F, F, F}, item(c.itemPublic)},
		{"non-public item", [6]sessions.Access{S, F, S, S, F, F}, item(c.itemNonPublic)},
		{"withdrawn item", [6]sessions.Access{N, N, N, N, F, F}, item(c.itemWithdrawn)},
		{"document of draft agenda", [6]sessions.Access{N, N, N, N, F, F}, doc("draft doc")},
		{"document of embargoed agenda", [6]sessions.Access{N, N, N, N, F, F}, doc("embargoed doc")},
		{"public document, published", [6]sessions.Access{F, F, F, F, F, F}, doc("public doc")},
		{"non-public document on public item", [6]sessions.Access{N, F, N, F, F, F}, doc("non-public doc on public item")},
		{"document on non-public item", [6]sessions.Access{N, F, N, N, F, F}, doc("doc on non-public item")},
		{"document on withdrawn item", [6]sessions.Access{N, N, N, N, F, F}, doc("doc on withdrawn item")},
		{"withdrawn attachment", [6]sessions.Access{N, N, N, N, F, F}, doc("withdrawn doc")},
		{"late attachment (non-public by default)", [6]sessions.Access{N, F, N, F, F, F}, doc("late doc")},
		{"public invitation of the meeting", [6]sessions.Access{F, F, F, F, F, F}, doc("meeting invitation")},
		{"non-public document linked to a draft", [6]sessions.Access{N, N, N, N, F, F}, doc("unlinked doc")},
		{"paper on public item", [6]sessions.Access{F, F, F, F, F, F}, paper(c.paperPublic)},
		{"paper on non-public item", [6]sessions.Access{N, F, N, N, F, F}, paper(c.paperNonPublic)},
		{"public document of paper", [6]sessions.Access{F, F, F, F, F, F}, doc("public paper doc")},
		{"document of non-public paper", [6]sessions.Access{N, F, N, N, F, F}, doc("non-public paper doc")},
		{"published public minutes", [6]sessions.Access{F, F, F, F, F, F}, doc("public minutes")},
		{"approved non-public minutes", [6]sessions.Access{N, F, N, N, F, F}, doc("non-public minutes")},
		{"superseded version of public document", [6]sessions.Access{F, F, F, F, F, F}, version("public doc", "superseded")},
		{"withdrawn version of public document", [6]sessions.Access{N, N, N, N, F, F}, version("public doc", "withdrawn")},
		{"superseded version of non-public document", [6]sessions.Access{N, F, N, N, F, F}, version("doc on non-public item", "superseded")},
	} {
		for i, role := range roles {
			got, err := r.get(c.viewers[role])
			if err != nil {
				t.Fatalf("%s / %s: %v", r.name, role, err)
			}
			if got != r.want[i] {
				t.Errorf("%s / %s: access %v, want %v", r.name, role, name(got), name(r.want[i]))
			}
		}
	}
}

func accessOf(err error) (sessions.Access, error) {
	switch ratsmappe.ErrorCode(err) {
	case "":
		return sessions.Full, nil
	case ratsmappe.ENOTFOUND:
		return sessions.None, nil
	}
	return sessions.None, err
}

func name(a sessions.Access) string {
	return [...]string{"None", "Stub", "Full"}[a]
}

// A refused object is indistinguishable from a missing one: same code,
// same message.
func TestRefusedLooksMissing(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	anon := c.viewers["anonymous"]
	_, refused := c.store.FindMeetingByID(ctx, anon, c.draft)
	_, missing := c.store.FindMeetingByID(ctx, anon, 999999)
	if refused == nil || fmt.Sprint(refused) != fmt.Sprint(missing) {
		t.Errorf("refused %v, missing %v", refused, missing)
	}
	_, refused = c.store.FindAgendaItemByID(ctx, anon, c.itemWithdrawn)
	_, missing = c.store.FindAgendaItemByID(ctx, anon, 999999)
	if refused == nil || fmt.Sprint(refused) != fmt.Sprint(missing) {
		t.Errorf("item: refused %v, missing %v", refused, missing)
	}
}

// A stub never carries the real title.
func TestStubHidesTitle(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	_, items, err := c.store.FindAgenda(ctx, c.viewers["anonymous"], c.published)
	must(t, err)
	if got, want := len(items), 2; got != want {
		t.Fatalf("anonymous sees %d items, want %d (public and stub; withdrawn gone)", got, want)
	}
	for _, it := range items {
		if it.Number == "N 1" && (it.Title != sessions.StubTitle || it.Access != sessions.Stub) {
			t.Errorf("stub = %+v", it)
		}
	}
	must(t, c.store.UpdateAgendaItem(ctx, c.itemNonPublic, sessions.AgendaItemUpdate{PublicTitle: ptr("Grundstücksangelegenheit")}))
	it, err := c.store.FindAgendaItemByID(ctx, c.viewers["other member"], c.itemNonPublic)
	must(t, err)
	if it.Title != "Grundstücksangelegenheit" {
		t.Errorf("stub title = %q", it.Title)
	}
}

// Lists and single reads agree: what FindAgenda and FindAttachments list
// is exactly what the single reads allow.
func TestListsAgreeWithReads(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	for _, role := range roles {
		v := c.viewers[role]
		for _, id := range []int64{c.draft, c.embargoed, c.published} {
			_, items, err := c.store.FindAgenda(ctx, v, id)
			if _, err2 := c.store.FindMeetingByID(ctx, v, id); (err == nil) != (err2 == nil) {
				t.Errorf("%s: agenda %v, meeting %v", role, err, err2)
			}
			for _, it := range items {
				one, err := c.store.FindAgendaItemByID(ctx, v, it.ID)
				if err != nil || one.Access != it.Access {
					t.Errorf("%s: item %d listed as %v, read as %v %v", role, it.ID, name(it.Access), one, err)
				}
				as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{AgendaItemID: it.ID})
				must(t, err)
				for _, a := range as {
					acc, err := c.store.DocumentAccess(ctx, v, a.DocumentID)
					if err != nil || acc != sessions.Full {
						t.Errorf("%s: attachment of document %d listed but not readable", role, a.DocumentID)
					}
				}
			}
		}
		ms, err := c.store.FindMeetings(ctx, v, sessions.MeetingFilter{})
		must(t, err)
		for _, m := range ms {
			if _, err := c.store.FindMeetingByID(ctx, v, m.ID); err != nil {
				t.Errorf("%s: meeting %d listed but not readable", role, m.ID)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
