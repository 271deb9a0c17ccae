package sessions_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// council is a small council with one object in every state the policy
// distinguishes, and a viewer for every role.
type council struct {
	store   *sessions.Store
	clock   *clock
	db      *sql.DB
	docSvc  *documents.Service
	viewers map[string]access.Viewer
	persons map[string]int64

	draft, embargoed, published                   int64 // meetings of the Bauausschuss
	itemPublic, itemNonPublic, itemWithdrawn      int64 // items of the published meeting
	itemLate, itemLateNonPublic                   int64 // added after publication
	docs                                          map[string]int64
	attachments                                   map[string]int64 // by document name
	papers                                        map[string]int64
	minutesPublic, minutesNonPublic, minutesDraft int64
	versioned, versionedNonPublic                 int64 // documents with real versions
	meetingIDs, itemIDs, paperIDs, attachmentIDs  []int64
	allDocs                                       []int64
}

// roles are the columns of the visibility table.
var roles = []string{"anonymous", "member", "other member", "excluded member", "clerk", "admin"}

func newCouncil(t *testing.T, db *sql.DB) *council {
	t.Helper()
	ctx := context.Background()
	st, db, clk := openStore(t, db)
	c := &council{store: st, db: db, clock: clk, docs: map[string]int64{}, attachments: map[string]int64{}, papers: map[string]int64{},
		viewers: map[string]access.Viewer{}, persons: map[string]int64{}}
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
		c.persons[name] = p.ID
		return p.ID
	}
	anna, bernd, clara := person("Anna", bau.ID), person("Bernd", kultur.ID), person("Clara", bau.ID)
	account := func(name string, role access.Role, personID int64) access.Viewer {
		return accountViewer(t, st, db, &accounts.Account{Name: name, Role: role, PersonID: personID})
	}
	c.viewers["anonymous"] = access.Viewer{}
	c.viewers["member"] = account("anna", access.RoleMember, anna)
	c.viewers["other member"] = account("bernd", access.RoleMember, bernd)
	c.viewers["excluded member"] = account("clara", access.RoleMember, clara)
	c.viewers["clerk"] = account("amt", access.RoleClerk, 0)
	c.viewers["admin"] = account("admin", access.RoleAdmin, 0)

	now := clk.t
	meeting := func(name string) int64 {
		m := &sessions.Meeting{OrganizationID: bau.ID, Name: name, Start: now.Add(48 * time.Hour), Location: "Rathaus, Saal 1"}
		must(t, st.CreateMeeting(ctx, m))
		c.meetingIDs = append(c.meetingIDs, m.ID)
		return m.ID
	}
	item := func(meeting int64, number string, public bool) int64 {
		it := &sessions.AgendaItem{MeetingID: meeting, Number: number, Title: "Geheimer Titel " + number, Public: public}
		must(t, st.CreateAgendaItem(ctx, it))
		c.itemIDs = append(c.itemIDs, it.ID)
		return it.ID
	}
	link := func(name string, docID int64, a sessions.Attachment, public bool) {
		a.DocumentID = docID
		must(t, st.Attach(ctx, &a))
		if public {
			must(t, st.SetAttachmentPublic(ctx, a.ID, true))
		}
		c.docs[name] = a.DocumentID
		c.attachments[name] = a.ID
		c.attachmentIDs = append(c.attachmentIDs, a.ID)
	}
	attach := func(name string, a sessions.Attachment, public bool) {
		link(name, newDocument(t, db, name), a, public)
	}
	paper := func(ref string, itemIDs ...int64) int64 {
		p := &sessions.Paper{BodyID: body.ID, Reference: ref, Name: "Vorlage " + ref, Type: "Beschlussvorlage"}
		must(t, st.CreatePaper(ctx, p))
		for _, id := range itemIDs {
			must(t, st.Consult(ctx, &sessions.Consultation{PaperID: p.ID, AgendaItemID: id, Role: "Entscheidung"}))
		}
		c.papers[ref] = p.ID
		c.paperIDs = append(c.paperIDs, p.ID)
		return p.ID
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
	attach("non-public meeting doc", sessions.Attachment{MeetingID: c.published, Role: sessions.RoleAgenda}, false)
	attach("non-public doc of a draft meeting", sessions.Attachment{MeetingID: c.draft}, false)
	c.docs["unlinked doc"] = newDocument(t, db, "unlinked doc")

	// Documents with real versions: 1 superseded, 2 withdrawn, 3 active.
	var svc *documents.Service
	c.versioned, svc = versionedDocument(t, db, "eins", "zwei", "drei")
	must(t, svc.Withdraw(ctx, c.versioned, 2))
	link("versioned doc", c.versioned, sessions.Attachment{AgendaItemID: c.itemPublic}, true)
	c.versionedNonPublic, _ = versionedDocument(t, db, "alt", "neu")
	link("versioned non-public doc", c.versionedNonPublic, sessions.Attachment{AgendaItemID: c.itemNonPublic}, true)

	paper("2026/0001", c.itemPublic)
	paper("2026/0002", c.itemNonPublic)
	paper("2026/0003", c.itemPublic, c.itemNonPublic)
	published := paper("2026/0004")
	embargoedPaper := paper("2026/0005")
	paper("2026/0006")
	attach("public paper doc", sessions.Attachment{PaperID: c.papers["2026/0001"], Role: sessions.RoleMain}, true)
	attach("non-public paper doc", sessions.Attachment{PaperID: c.papers["2026/0002"], Role: sessions.RoleMain}, true)
	attach("public doc of paper on both", sessions.Attachment{PaperID: c.papers["2026/0003"], Role: sessions.RoleMain}, true)
	attach("non-public doc of paper on both", sessions.Attachment{PaperID: c.papers["2026/0003"]}, false)
	attach("public doc of published paper", sessions.Attachment{PaperID: published, Role: sessions.RoleMain}, true)
	attach("non-public doc of published paper", sessions.Attachment{PaperID: published}, false)
	attach("public doc of embargoed paper", sessions.Attachment{PaperID: embargoedPaper, Role: sessions.RoleMain}, true)
	attach("public doc of unpublished paper", sessions.Attachment{PaperID: c.papers["2026/0006"], Role: sessions.RoleMain}, true)
	attach("withdrawn paper doc", sessions.Attachment{PaperID: c.papers["2026/0003"]}, true)
	attach("withdrawn meeting doc", sessions.Attachment{MeetingID: c.published, Role: sessions.RoleInvitation}, true)
	must(t, st.PublishPaper(ctx, published, time.Time{}))
	must(t, st.PublishPaper(ctx, embargoedPaper, now.Add(time.Hour)))

	must(t, st.PublishMeeting(ctx, c.published, now.Add(-time.Hour)))
	must(t, st.WithdrawAgendaItem(ctx, c.itemWithdrawn))
	for _, name := range []string{"withdrawn doc", "withdrawn paper doc", "withdrawn meeting doc"} {
		must(t, st.WithdrawAttachment(ctx, c.attachments[name]))
	}
	must(t, st.AddExclusion(ctx, c.itemNonPublic, clara, "Grundstücksnachbarin"))

	// Nachgereicht: added after publication. Attachments are non-public
	// by default; one is then set public on purpose.
	attach("late doc", sessions.Attachment{AgendaItemID: c.itemPublic}, false)
	attach("late doc set public", sessions.Attachment{AgendaItemID: c.itemPublic}, true)
	c.itemLate = item(c.published, "Ö 3", true)
	c.itemLateNonPublic = item(c.published, "N 2", false)

	minutes := func(name string, public bool, state string) int64 {
		m := &sessions.Minutes{MeetingID: c.published, DocumentID: newDocument(t, db, name), Public: public}
		must(t, st.CreateMinutes(ctx, m))
		if state != sessions.MinutesDraft {
			must(t, st.SetMinutesState(ctx, m.ID, sessions.MinutesApproved))
		}
		if state == sessions.MinutesPublished {
			must(t, st.SetMinutesState(ctx, m.ID, sessions.MinutesPublished))
		}
		c.docs[name] = m.DocumentID
		return m.ID
	}
	c.minutesPublic = minutes("public minutes", true, sessions.MinutesPublished)
	c.minutesNonPublic = minutes("non-public minutes", false, sessions.MinutesApproved)
	c.minutesDraft = minutes("draft minutes", true, sessions.MinutesDraft)

	for _, id := range c.docs {
		c.allDocs = append(c.allDocs, id)
	}
	slices.Sort(c.allDocs)
	c.allDocs = slices.Compact(c.allDocs)
	c.docSvc = svc
	return c
}

// probe asks the store what a viewer gets of one object.
type probe func(v access.Viewer) (access.Access, error)

func (c *council) meeting(id int64) probe {
	return func(v access.Viewer) (access.Access, error) {
		_, err := c.store.FindMeetingByID(context.Background(), v, id)
		return accessOf(err)
	}
}

func (c *council) item(id int64) probe {
	return func(v access.Viewer) (access.Access, error) {
		it, err := c.store.FindAgendaItemByID(context.Background(), v, id)
		if err != nil {
			return accessOf(err)
		}
		return it.Access, nil
	}
}

func (c *council) doc(name string) probe {
	return func(v access.Viewer) (access.Access, error) {
		id, ok := c.docs[name]
		if !ok {
			return access.None, fmt.Errorf("no document %q", name)
		}
		return c.store.DocumentAccess(context.Background(), v, id)
	}
}

func (c *council) paper(ref string) probe {
	return func(v access.Viewer) (access.Access, error) {
		_, err := c.store.FindPaperByID(context.Background(), v, c.papers[ref])
		return accessOf(err)
	}
}

func (c *council) version(docID int64, n int) probe {
	return func(v access.Viewer) (access.Access, error) {
		ok, err := c.store.CanSeeVersion(context.Background(), v, docID, n)
		if ok {
			return access.Full, err
		}
		return access.None, err
	}
}

func accessOf(err error) (access.Access, error) {
	switch ratsmappe.ErrorCode(err) {
	case "":
		return access.Full, nil
	case ratsmappe.ENOTFOUND:
		return access.None, nil
	}
	return access.None, err
}

// Every role × every object state, through the store's read paths.
func TestVisibility(t *testing.T) { dbtest.Each(t, testVisibility) }

func testVisibility(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	const F, S, N = access.Full, access.Stub, access.None
	// Columns follow roles: anonymous, member, other member, excluded
	// member, clerk, admin.
	for _, r := range []struct {
		name string
		want [6]access.Access
		get  probe
	}{
		{"draft meeting", [6]access.Access{N, N, N, N, F, F}, c.meeting(c.draft)},
		{"embargoed meeting", [6]access.Access{N, N, N, N, F, F}, c.meeting(c.embargoed)},
		{"published meeting", [6]access.Access{F, F, F, F, F, F}, c.meeting(c.published)},

		{"public item", [6]access.Access{F, F, F, F, F, F}, c.item(c.itemPublic)},
		{"non-public item", [6]access.Access{S, F, S, S, F, F}, c.item(c.itemNonPublic)},
		{"withdrawn item", [6]access.Access{N, N, N, N, F, F}, c.item(c.itemWithdrawn)},
		{"nachgereicht public item", [6]access.Access{F, F, F, F, F, F}, c.item(c.itemLate)},
		{"nachgereicht non-public item", [6]access.Access{S, F, S, F, F, F}, c.item(c.itemLateNonPublic)},

		{"document of draft agenda", [6]access.Access{N, N, N, N, F, F}, c.doc("draft doc")},
		{"document of embargoed agenda", [6]access.Access{N, N, N, N, F, F}, c.doc("embargoed doc")},
		{"public document, published", [6]access.Access{F, F, F, F, F, F}, c.doc("public doc")},
		// The excluded member is excluded from the public item too: it
		// consults paper 2026/0003, as does the item she is excluded from
		// (the exclusion follows the matter), so she sees only what the
		// public sees of it.
		{"non-public document on public item", [6]access.Access{N, F, N, N, F, F}, c.doc("non-public doc on public item")},
		{"document on non-public item", [6]access.Access{N, F, N, N, F, F}, c.doc("doc on non-public item")},
		{"document on withdrawn item", [6]access.Access{N, N, N, N, F, F}, c.doc("doc on withdrawn item")},
		{"withdrawn attachment", [6]access.Access{N, N, N, N, F, F}, c.doc("withdrawn doc")},
		{"withdrawn attachment of a paper", [6]access.Access{N, N, N, N, F, F}, c.doc("withdrawn paper doc")},
		{"withdrawn attachment of a meeting", [6]access.Access{N, N, N, N, F, F}, c.doc("withdrawn meeting doc")},
		{"late attachment (non-public by default)", [6]access.Access{N, F, N, N, F, F}, c.doc("late doc")},
		{"late attachment set public", [6]access.Access{F, F, F, F, F, F}, c.doc("late doc set public")},
		{"public invitation of the meeting", [6]access.Access{F, F, F, F, F, F}, c.doc("meeting invitation")},
		{"non-public document of the meeting", [6]access.Access{N, F, N, N, F, F}, c.doc("non-public meeting doc")},
		{"non-public document of a draft meeting", [6]access.Access{N, N, N, N, F, F}, c.doc("non-public doc of a draft meeting")},
		{"document linked nowhere", [6]access.Access{N, N, N, N, F, F}, c.doc("unlinked doc")},

		{"paper on public item", [6]access.Access{F, F, F, F, F, F}, c.paper("2026/0001")},
		{"paper on non-public item", [6]access.Access{N, F, N, N, F, F}, c.paper("2026/0002")},
		{"paper on public and non-public item", [6]access.Access{F, F, F, F, F, F}, c.paper("2026/0003")},
		{"paper published on its own", [6]access.Access{F, F, F, F, F, F}, c.paper("2026/0004")},
		{"paper embargoed on its own", [6]access.Access{N, N, N, N, F, F}, c.paper("2026/0005")},
		{"paper on no agenda, unpublished", [6]access.Access{N, N, N, N, F, F}, c.paper("2026/0006")},
		{"public document of paper", [6]access.Access{F, F, F, F, F, F}, c.doc("public paper doc")},
		{"document of non-public paper", [6]access.Access{N, F, N, N, F, F}, c.doc("non-public paper doc")},
		{"public document of paper on both", [6]access.Access{F, F, F, F, F, F}, c.doc("public doc of paper on both")},
		{"non-public document of paper on both", [6]access.Access{N, F, N, N, F, F}, c.doc("non-public doc of paper on both")},
		{"public document of published paper", [6]access.Access{F, F, F, F, F, F}, c.doc("public doc of published paper")},
		{"non-public document of published paper", [6]access.Access{N, N, N, N, F, F}, c.doc("non-public doc of published paper")},
		{"public document of embargoed paper", [6]access.Access{N, N, N, N, F, F}, c.doc("public doc of embargoed paper")},
		{"public document of unpublished paper", [6]access.Access{N, N, N, N, F, F}, c.doc("public doc of unpublished paper")},

		{"published public minutes", [6]access.Access{F, F, F, F, F, F}, c.doc("public minutes")},
		{"approved non-public minutes", [6]access.Access{N, F, N, N, F, F}, c.doc("non-public minutes")},
		{"draft minutes", [6]access.Access{N, N, N, N, F, F}, c.doc("draft minutes")},

		{"superseded version of public document", [6]access.Access{F, F, F, F, F, F}, c.version(c.versioned, 1)},
		{"withdrawn version of public document", [6]access.Access{N, N, N, N, F, F}, c.version(c.versioned, 2)},
		{"current version of public document", [6]access.Access{F, F, F, F, F, F}, c.version(c.versioned, 3)},
		{"version that does not exist", [6]access.Access{N, N, N, N, N, N}, c.version(c.versioned, 4)},
		{"superseded version of non-public document", [6]access.Access{N, F, N, N, F, F}, c.version(c.versionedNonPublic, 1)},
		{"current version of non-public document", [6]access.Access{N, F, N, N, F, F}, c.version(c.versionedNonPublic, 2)},
	} {
		for i, role := range roles {
			got, err := r.get(c.viewers[role])
			if err != nil {
				t.Fatalf("%s / %s: %v", r.name, role, err)
			}
			if got != r.want[i] {
				t.Errorf("%s / %s: access %v, want %v", r.name, role, got, r.want[i])
			}
		}
	}
}

// The policy functions alone, for the facts the store never produces
// together: membership periods and exclusions on minutes.
func TestMembershipPeriod(t *testing.T) {
	at := time.Date(2026, 3, 12, 17, 0, 0, 0, time.UTC)
	facts := access.ItemFacts{Meeting: access.MeetingFacts{OrganizationID: 1, Start: at, PublishedAt: at.Add(-72 * time.Hour)}}
	now := at.Add(time.Hour)
	for _, tc := range []struct {
		name       string
		start, end time.Time
		role       access.Role
		want       access.Access
	}{
		{"open", time.Time{}, time.Time{}, access.RoleMember, access.Full},
		{"joined before", at.AddDate(-1, 0, 0), time.Time{}, access.RoleMember, access.Full},
		{"joined that very moment", at, time.Time{}, access.RoleMember, access.Full},
		{"joined after", at.AddDate(0, 0, 1), time.Time{}, access.RoleMember, access.Stub},
		{"left before", at.AddDate(-2, 0, 0), at.AddDate(0, 0, -1), access.RoleMember, access.Stub},
		{"left that very moment", at.AddDate(-2, 0, 0), at, access.RoleMember, access.Stub},
		{"left after", at.AddDate(-2, 0, 0), at.AddDate(0, 0, 1), access.RoleMember, access.Full},
		{"member with role anonymous", time.Time{}, time.Time{}, access.RoleAnonymous, access.Stub},
	} {
		v := access.Viewer{AccountID: 1, PersonID: 7, Role: tc.role,
			Memberships: []access.Period{{OrganizationID: 1, Start: tc.start, End: tc.end}}}
		if got := access.ItemAccess(v, facts, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A member account without a person is no member of anything.
	v := access.Viewer{AccountID: 1, Role: access.RoleMember, Memberships: []access.Period{{OrganizationID: 1}}}
	if got := access.ItemAccess(v, facts, now); got != access.Stub {
		t.Errorf("member without person: %v, want stub", got)
	}
}

// ViewerFor turns the membership's last day into a period that ends at the
// following midnight, so a meeting on the last day still counts.
func TestViewerForEndDate(t *testing.T) { dbtest.Each(t, testViewerForEndDate) }

func testViewerForEndDate(t *testing.T, db *sql.DB) {
	st, db, _ := openStore(t, db)
	ctx := context.Background()
	body := &sessions.Body{Name: "Stadt"}
	must(t, st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Rat", Classification: sessions.ClassCouncil}
	must(t, st.CreateOrganization(ctx, org))
	p := &sessions.Person{BodyID: body.ID, FamilyName: "Muster"}
	must(t, st.CreatePerson(ctx, p))
	must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: org.ID, StartDate: "2020-05-01", EndDate: "2026-04-30"}))
	v := accountViewer(t, st, db, &accounts.Account{Name: "muster", Role: access.RoleMember, PersonID: p.ID})
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2020, 4, 30, 23, 59, 0, 0, berlin), false},
		{time.Date(2020, 5, 1, 0, 0, 0, 0, berlin), true},
		{time.Date(2026, 4, 30, 23, 59, 0, 0, berlin), true},
		{time.Date(2026, 5, 1, 0, 0, 0, 0, berlin), false},
	} {
		if got := v.MemberOf(org.ID, tc.at); got != tc.want {
			t.Errorf("member at %v: %v, want %v", tc.at, got, tc.want)
		}
	}
}

// A refused object is indistinguishable from a missing one: same code,
// same message.
func TestRefusedLooksMissing(t *testing.T) { dbtest.Each(t, testRefusedLooksMissing) }

func testRefusedLooksMissing(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	anon := c.viewers["anonymous"]
	const missing = 999999
	for _, tc := range []struct {
		name    string
		find    func(id int64) error
		refused int64
	}{
		{"meeting", func(id int64) error { _, err := c.store.FindMeetingByID(ctx, anon, id); return err }, c.draft},
		{"agenda", func(id int64) error { _, _, err := c.store.FindAgenda(ctx, anon, id); return err }, c.embargoed},
		{"item", func(id int64) error { _, err := c.store.FindAgendaItemByID(ctx, anon, id); return err }, c.itemWithdrawn},
		{"paper", func(id int64) error { _, err := c.store.FindPaperByID(ctx, anon, id); return err }, c.papers["2026/0002"]},
		{"attachment", func(id int64) error { _, err := c.store.FindAttachmentByID(ctx, anon, id); return err }, c.attachments["late doc"]},
		{"minutes", func(id int64) error { _, err := c.store.FindMinutes(ctx, anon, id); return err }, c.draft},
		{"consultations", func(id int64) error { _, err := c.store.FindConsultations(ctx, anon, id); return err }, c.papers["2026/0006"]},
	} {
		refused, gone := tc.find(tc.refused), tc.find(missing)
		if refused == nil || fmt.Sprint(refused) != fmt.Sprint(gone) {
			t.Errorf("%s: refused %v, missing %v", tc.name, refused, gone)
		}
		if got, want := ratsmappe.ErrorMessage(refused), ratsmappe.ErrorMessage(gone); got != want {
			t.Errorf("%s: refused says %q, missing says %q", tc.name, got, want)
		}
	}
}

// A stub never carries the real title, result, resolution or exclusions.
func TestStubHidesTitle(t *testing.T) { dbtest.Each(t, testStubHidesTitle) }

func testStubHidesTitle(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	must(t, c.store.UpdateAgendaItem(ctx, c.itemNonPublic, sessions.AgendaItemUpdate{Result: ptr("abgelehnt"), Resolution: ptr("Der Ausschuss lehnt den Verkauf ab.")}))
	_, items, err := c.store.FindAgenda(ctx, c.viewers["anonymous"], c.published)
	must(t, err)
	var numbers []string
	for _, it := range items {
		numbers = append(numbers, it.Number)
		if it.Access == access.Stub {
			if it.Title != sessions.StubTitle || it.Result != "" || it.Resolution != "" || it.Excluded != nil || it.PublicTitle != "" {
				t.Errorf("stub %s carries more than number and public title: %+v", it.Number, it)
			}
		}
	}
	if got, want := fmt.Sprint(numbers), "[Ö 1 N 1 Ö 3 N 2]"; got != want {
		t.Errorf("anonymous agenda = %s, want %s (withdrawn Ö 2 gone)", got, want)
	}
	must(t, c.store.UpdateAgendaItem(ctx, c.itemNonPublic, sessions.AgendaItemUpdate{PublicTitle: ptr("Grundstücksangelegenheit")}))
	it, err := c.store.FindAgendaItemByID(ctx, c.viewers["other member"], c.itemNonPublic)
	must(t, err)
	if got, want := it.Title, "Grundstücksangelegenheit"; got != want {
		t.Errorf("stub title = %q, want %q", got, want)
	}
}

// Lists and single reads agree, for every role, before and after an
// embargo ends: an object is listed exactly when its single read succeeds.
func TestListsAgreeWithReads(t *testing.T) { dbtest.Each(t, testListsAgreeWithReads) }

func testListsAgreeWithReads(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	for _, shift := range []time.Duration{0, 2 * time.Hour} {
		c.clock.t = c.clock.t.Add(shift)
		for _, role := range roles {
			v := c.viewers[role]
			where := fmt.Sprintf("%s at +%v", role, shift)

			ms, err := c.store.FindMeetings(ctx, v, sessions.MeetingFilter{})
			must(t, err)
			agree(t, where+": meetings", ids(ms, func(m *sessions.Meeting) int64 { return m.ID }), c.meetingIDs, func(id int64) bool {
				_, err := c.store.FindMeetingByID(ctx, v, id)
				return err == nil
			})

			var listedItems, listedAttachments []int64
			for _, id := range c.meetingIDs {
				_, items, err := c.store.FindAgenda(ctx, v, id)
				if _, err2 := c.store.FindMeetingByID(ctx, v, id); (err == nil) != (err2 == nil) {
					t.Errorf("%s: agenda of meeting %d: %v, meeting: %v", where, id, err, err2)
				}
				for _, it := range items {
					listedItems = append(listedItems, it.ID)
					one, err := c.store.FindAgendaItemByID(ctx, v, it.ID)
					if err != nil || one.Access != it.Access || one.Title != it.Title {
						t.Errorf("%s: item %d listed as %v %q, read as %v", where, it.ID, it.Access, it.Title, err)
					}
					as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{AgendaItemID: it.ID})
					must(t, err)
					listedAttachments = append(listedAttachments, ids(as, func(a *sessions.Attachment) int64 { return a.ID })...)
				}
				as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{MeetingID: id})
				must(t, err)
				listedAttachments = append(listedAttachments, ids(as, func(a *sessions.Attachment) int64 { return a.ID })...)
			}
			agree(t, where+": agenda items", listedItems, c.itemIDs, func(id int64) bool {
				_, err := c.store.FindAgendaItemByID(ctx, v, id)
				return err == nil
			})

			ps, err := c.store.FindPapers(ctx, v, sessions.PaperFilter{})
			must(t, err)
			agree(t, where+": papers", ids(ps, func(p *sessions.Paper) int64 { return p.ID }), c.paperIDs, func(id int64) bool {
				_, err := c.store.FindPaperByID(ctx, v, id)
				return err == nil
			})
			for _, id := range c.paperIDs {
				as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{PaperID: id})
				must(t, err)
				listedAttachments = append(listedAttachments, ids(as, func(a *sessions.Attachment) int64 { return a.ID })...)
			}
			agree(t, where+": attachments", listedAttachments, c.attachmentIDs, func(id int64) bool {
				_, err := c.store.FindAttachmentByID(ctx, v, id)
				return err == nil
			})

			// Whatever attachment is listed, its document can be read.
			for _, id := range listedAttachments {
				a, err := c.store.FindAttachmentByID(ctx, v, id)
				must(t, err)
				if acc, err := c.store.DocumentAccess(ctx, v, a.DocumentID); err != nil || acc != access.Full {
					t.Errorf("%s: attachment %d listed, document %d refused", where, id, a.DocumentID)
				}
			}

			visible, err := c.store.FilterDocuments(ctx, v, c.allDocs)
			must(t, err)
			agree(t, where+": documents", visible, c.allDocs, func(id int64) bool {
				acc, err := c.store.DocumentAccess(ctx, v, id)
				must(t, err)
				return acc == access.Full
			})

			mins, err := c.store.FindMinutes(ctx, v, c.published)
			must(t, err)
			for _, m := range mins {
				if acc, _ := c.store.DocumentAccess(ctx, v, m.DocumentID); acc != access.Full {
					t.Errorf("%s: minutes %d listed, document refused", where, m.ID)
				}
			}
		}
	}
}

// agree checks that listed holds exactly those of all for which read
// succeeds.
func agree(t *testing.T, what string, listed, all []int64, read func(int64) bool) {
	t.Helper()
	for _, id := range all {
		if got, want := slices.Contains(listed, id), read(id); got != want {
			t.Errorf("%s: %d listed %v, single read %v", what, id, got, want)
		}
	}
	for _, id := range listed {
		if !slices.Contains(all, id) {
			t.Errorf("%s: listed unknown %d", what, id)
		}
	}
}

func ids[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// FilterDocuments keeps the caller's order and drops what the viewer may
// not see, including ids that do not exist.
func TestFilterDocumentsOrder(t *testing.T) { dbtest.Each(t, testFilterDocumentsOrder) }

func testFilterDocumentsOrder(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	in := []int64{c.docs["public minutes"], 999999, c.docs["late doc"], c.docs["public doc"], c.docs["draft doc"]}
	got, err := c.store.FilterDocuments(ctx, c.viewers["anonymous"], in)
	must(t, err)
	if want := []int64{c.docs["public minutes"], c.docs["public doc"]}; !slices.Equal(got, want) {
		t.Errorf("anonymous: %v, want %v", got, want)
	}
	got, err = c.store.FilterDocuments(ctx, c.viewers["member"], in)
	must(t, err)
	if want := []int64{c.docs["public minutes"], c.docs["late doc"], c.docs["public doc"]}; !slices.Equal(got, want) {
		t.Errorf("member: %v, want %v", got, want)
	}
	got, err = c.store.FilterDocuments(ctx, c.viewers["anonymous"], nil)
	must(t, err)
	if len(got) != 0 {
		t.Errorf("nothing in, %v out", got)
	}
}
