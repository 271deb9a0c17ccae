package sessions_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// An agenda scheduled for publication appears for citizens exactly when
// the clock reaches the set time, with its public documents.
func TestPublicationAtSetTime(t *testing.T) { dbtest.Each(t, testPublicationAtSetTime) }

func testPublicationAtSetTime(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	anon := c.viewers["anonymous"]
	if _, err := c.store.FindMeetingByID(ctx, anon, c.embargoed); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("before the embargo: %v", err)
	}
	if acc, _ := c.store.DocumentAccess(ctx, anon, c.docs["embargoed doc"]); acc != access.None {
		t.Fatalf("document visible before the embargo")
	}
	c.clock.t = c.clock.t.Add(59*time.Minute + 59*time.Second)
	if _, err := c.store.FindMeetingByID(ctx, anon, c.embargoed); err == nil {
		t.Fatalf("visible a second before the embargo ends")
	}
	c.clock.t = c.clock.t.Add(time.Second)
	if _, err := c.store.FindMeetingByID(ctx, anon, c.embargoed); err != nil {
		t.Fatalf("not visible when the embargo ends: %v", err)
	}
	if acc, _ := c.store.DocumentAccess(ctx, anon, c.docs["embargoed doc"]); acc != access.Full {
		t.Errorf("public document not visible after the embargo")
	}
	ms, err := c.store.FindMeetings(ctx, anon, sessions.MeetingFilter{})
	must(t, err)
	if got, want := len(ms), 2; got != want {
		t.Errorf("anonymous lists %d meetings, want %d", got, want)
	}
	// Taking the publication back hides it again.
	must(t, c.store.UnpublishMeeting(ctx, c.embargoed))
	if _, err := c.store.FindMeetingByID(ctx, anon, c.embargoed); err == nil {
		t.Errorf("still visible after unpublishing")
	}
	if acc, _ := c.store.DocumentAccess(ctx, anon, c.docs["embargoed doc"]); acc != access.None {
		t.Errorf("document still visible after unpublishing")
	}
	if err := c.store.PublishMeeting(ctx, 999999, time.Time{}); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("publishing a missing meeting: %v", err)
	}
}

// A paper published on its own at a set time appears then, with its public
// documents only.
func TestPaperPublicationAtSetTime(t *testing.T) { dbtest.Each(t, testPaperPublicationAtSetTime) }

func testPaperPublicationAtSetTime(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	anon := c.viewers["anonymous"]
	id := c.papers["2026/0005"]
	if _, err := c.store.FindPaperByID(ctx, anon, id); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("embargoed paper: %v", err)
	}
	c.clock.t = c.clock.t.Add(time.Hour)
	p, err := c.store.FindPaperByID(ctx, anon, id)
	must(t, err)
	if !p.PublishedAt.Equal(c.clock.t) {
		t.Errorf("PublishedAt = %v, want %v", p.PublishedAt, c.clock.t)
	}
	if acc, _ := c.store.DocumentAccess(ctx, anon, c.docs["public doc of embargoed paper"]); acc != access.Full {
		t.Errorf("public document of the paper not visible after its publication")
	}
	// Attached after the paper's publication: late, non-public.
	a := &sessions.Attachment{PaperID: id, DocumentID: c.docs["unlinked doc"]}
	must(t, c.store.Attach(ctx, a))
	if !a.Late() || a.Public {
		t.Errorf("attachment to a published paper: late %v public %v", a.Late(), a.Public)
	}
	if acc, _ := c.store.DocumentAccess(ctx, anon, c.docs["unlinked doc"]); acc != access.None {
		t.Errorf("late attachment of a published paper is visible")
	}
	must(t, c.store.UnpublishPaper(ctx, id))
	if _, err := c.store.FindPaperByID(ctx, anon, id); err == nil {
		t.Errorf("paper visible after unpublishing")
	}
}

// Items and attachments added once the agenda is published are marked late
// (nachgereicht) and dated; those added before it, or during an embargo,
// are not. Late attachments are not public until set so.
func TestNachtrag(t *testing.T) { dbtest.Each(t, testNachtrag) }

func testNachtrag(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	clerk := c.viewers["clerk"]
	_, items, err := c.store.FindAgenda(ctx, clerk, c.published)
	must(t, err)
	for _, it := range items {
		if got, want := it.Late(), it.ID == c.itemLate || it.ID == c.itemLateNonPublic; got != want {
			t.Errorf("item %s: late %v, want %v", it.Number, got, want)
		}
	}
	c.clock.t = c.clock.t.Add(2 * time.Hour)
	late := &sessions.AgendaItem{MeetingID: c.published, Number: "Ö 4", Title: "Dringlichkeitsantrag", Public: true}
	must(t, c.store.CreateAgendaItem(ctx, late))
	it, err := c.store.FindAgendaItemByID(ctx, clerk, late.ID)
	must(t, err)
	if !it.Late() || !it.LateAt.Equal(c.clock.t) {
		t.Errorf("late item: LateAt = %v, want %v", it.LateAt, c.clock.t)
	}
	if got, want := it.Position, 6; got != want {
		t.Errorf("position = %d, want %d (appended)", got, want)
	}
	as, err := c.store.FindAttachments(ctx, clerk, sessions.AttachmentTarget{AgendaItemID: c.itemPublic})
	must(t, err)
	for _, a := range as {
		late := a.ID == c.attachments["late doc"] || a.ID == c.attachments["late doc set public"]
		if a.Late() != late {
			t.Errorf("attachment of document %d: late %v, want %v", a.DocumentID, a.Late(), late)
		}
		if a.ID == c.attachments["late doc"] && a.Public {
			t.Errorf("late attachment is public by default")
		}
	}
	// Attach refuses to create a public link even when asked.
	a := &sessions.Attachment{AgendaItemID: c.itemPublic, DocumentID: c.docs["public doc"], Public: true}
	must(t, c.store.Attach(ctx, a))
	if a.Public {
		t.Errorf("Attach created a public link")
	}
	got, err := c.store.FindAttachmentByID(ctx, clerk, a.ID)
	must(t, err)
	if got.Public || !got.Late() {
		t.Errorf("stored attachment: public %v late %v", got.Public, got.Late())
	}
}

// During an embargo nobody outside the office has seen the agenda, so
// nothing added then is late; from the publication time on, it is.
func TestNachtragDuringEmbargo(t *testing.T) { dbtest.Each(t, testNachtragDuringEmbargo) }

func testNachtragDuringEmbargo(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	_, items, err := c.store.FindAgenda(ctx, c.viewers["clerk"], c.embargoed)
	must(t, err)
	before := &sessions.AgendaItem{MeetingID: c.embargoed, Number: "Ö 2", Title: "Vor der Veröffentlichung"}
	must(t, c.store.CreateAgendaItem(ctx, before))
	a := &sessions.Attachment{AgendaItemID: items[0].ID, DocumentID: c.docs["unlinked doc"]}
	must(t, c.store.Attach(ctx, a))
	if before.Late() || a.Late() {
		t.Errorf("added during the embargo: item late %v, attachment late %v", before.Late(), a.Late())
	}
	c.clock.t = c.clock.t.Add(time.Hour)
	after := &sessions.AgendaItem{MeetingID: c.embargoed, Number: "Ö 3", Title: "Nach der Veröffentlichung"}
	must(t, c.store.CreateAgendaItem(ctx, after))
	if !after.Late() {
		t.Errorf("item added when the embargo ended is not late")
	}
	if after.Public {
		t.Errorf("new item is public by default")
	}
}

// Withdrawn items and attachments stay stored and visible to the office,
// marked; a withdrawn attachment cannot be made public again.
func TestWithdrawKeepsStored(t *testing.T) { dbtest.Each(t, testWithdrawKeepsStored) }

func testWithdrawKeepsStored(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	clerk := c.viewers["clerk"]
	it, err := c.store.FindAgendaItemByID(ctx, clerk, c.itemWithdrawn)
	must(t, err)
	if !it.Withdrawn() {
		t.Fatalf("withdrawn item not marked for the clerk")
	}
	first := it.WithdrawnAt
	c.clock.t = c.clock.t.Add(time.Hour)
	must(t, c.store.WithdrawAgendaItem(ctx, c.itemWithdrawn))
	it, err = c.store.FindAgendaItemByID(ctx, clerk, c.itemWithdrawn)
	must(t, err)
	if !it.WithdrawnAt.Equal(first) {
		t.Errorf("withdrawing again moved the time from %v to %v", first, it.WithdrawnAt)
	}
	a, err := c.store.FindAttachmentByID(ctx, clerk, c.attachments["withdrawn doc"])
	must(t, err)
	if !a.Withdrawn() {
		t.Errorf("withdrawn attachment not marked for the clerk")
	}
	if err := c.store.SetAttachmentPublic(ctx, a.ID, true); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("making a withdrawn attachment public: %v, want a conflict", err)
	}
	if err := c.store.WithdrawAgendaItem(ctx, 999999); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("withdrawing a missing item: %v", err)
	}
}

// An exclusion takes effect at once, for the item, its documents, papers
// consulted on it, the meeting's non-public documents and the non-public
// minutes; lifting it restores access at once.
func TestExclusionImmediate(t *testing.T) { dbtest.Each(t, testExclusionImmediate) }

func testExclusionImmediate(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	anna := c.viewers["member"]
	// The public item consults paper 2026/0003 too, which the non-public
	// item also consults: the exclusion follows that matter to the public
	// item, whose non-public attachments only insiders see.
	hidden := []string{"doc on non-public item", "non-public minutes", "non-public meeting doc", "non-public paper doc", "non-public doc of paper on both",
		"non-public doc on public item"}
	for _, name := range hidden {
		if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs[name]); acc != access.Full {
			t.Fatalf("member does not see %s before the exclusion", name)
		}
	}
	must(t, c.store.AddExclusion(ctx, c.itemNonPublic, anna.PersonID, "Befangen"))
	it, err := c.store.FindAgendaItemByID(ctx, anna, c.itemNonPublic)
	must(t, err)
	if it.Access != access.Stub || it.Title == "Geheimer Titel N 1" {
		t.Errorf("excluded member still sees the item: %+v", it)
	}
	for _, name := range hidden {
		if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs[name]); acc != access.None {
			t.Errorf("excluded member still sees %s", name)
		}
	}
	if _, err := c.store.FindPaperByID(ctx, anna, c.papers["2026/0002"]); err == nil {
		t.Errorf("excluded member still sees the paper of the item")
	}
	for _, name := range []string{"public doc", "public doc of paper on both"} {
		if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs[name]); acc != access.Full {
			t.Errorf("exclusion hid %s", name)
		}
	}
	must(t, c.store.RemoveExclusion(ctx, c.itemNonPublic, anna.PersonID))
	for _, name := range hidden {
		if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs[name]); acc != access.Full {
			t.Errorf("lifting the exclusion did not restore %s", name)
		}
	}
	if err := c.store.AddExclusion(ctx, 999999, anna.PersonID, ""); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("excluding from a missing item: %v", err)
	}
}

func TestMinutesWorkflow(t *testing.T) { dbtest.Each(t, testMinutesWorkflow) }

func testMinutesWorkflow(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	must(t, c.store.SetMinutesState(ctx, c.minutesNonPublic, sessions.MinutesDraft))
	if acc, _ := c.store.DocumentAccess(ctx, c.viewers["member"], c.docs["non-public minutes"]); acc != access.None {
		t.Errorf("member sees minutes taken back to draft")
	}
	if err := c.store.SetMinutesState(ctx, c.minutesDraft, sessions.MinutesPublished); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("draft → published directly: %v, want a conflict", err)
	}
	if err := c.store.SetMinutesState(ctx, c.minutesDraft, "final"); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("unknown state: %v", err)
	}
	for _, tc := range []struct {
		role string
		want int
	}{{"anonymous", 1}, {"member", 1}, {"other member", 1}, {"clerk", 3}} {
		ms, err := c.store.FindMinutes(ctx, c.viewers[tc.role], c.published)
		must(t, err)
		if got := len(ms); got != tc.want {
			t.Errorf("%s sees %d minutes, want %d", tc.role, got, tc.want)
		}
	}
	must(t, c.store.SetMinutesState(ctx, c.minutesDraft, sessions.MinutesApproved))
	must(t, c.store.SetMinutesState(ctx, c.minutesDraft, sessions.MinutesPublished))
	ms, err := c.store.FindMinutes(ctx, c.viewers["anonymous"], c.published)
	must(t, err)
	if got, want := len(ms), 2; got != want {
		t.Errorf("anonymous sees %d minutes after publication, want %d", got, want)
	}
}

// Stored times keep their order at sub-second precision, so that filters
// by time are exact.
func TestMeetingFilterByTime(t *testing.T) { dbtest.Each(t, testMeetingFilterByTime) }

func testMeetingFilterByTime(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	m, err := c.store.FindMeetingByID(ctx, c.viewers["clerk"], c.published)
	must(t, err)
	clerk := c.viewers["clerk"]
	for _, tc := range []struct {
		from time.Time
		want int
	}{
		{m.Start, 3},
		{m.Start.Add(time.Millisecond), 0},
		{m.Start.Add(-time.Millisecond), 3},
	} {
		ms, err := c.store.FindMeetings(ctx, clerk, sessions.MeetingFilter{From: tc.from})
		must(t, err)
		if got := len(ms); got != tc.want {
			t.Errorf("meetings from %v: %d, want %d", tc.from.Format(time.RFC3339Nano), got, tc.want)
		}
	}
	// Offset and Limit count visible meetings only.
	ms, err := c.store.FindMeetings(ctx, c.viewers["anonymous"], sessions.MeetingFilter{Limit: 1})
	must(t, err)
	if len(ms) != 1 || ms[0].ID != c.published {
		t.Errorf("first visible meeting = %v", ms)
	}
	ms, err = c.store.FindMeetings(ctx, clerk, sessions.MeetingFilter{Offset: 1, Limit: 1})
	must(t, err)
	if len(ms) != 1 || ms[0].ID != c.embargoed {
		t.Errorf("second meeting for the clerk = %v", ms)
	}
}

// Write paths answer with the codes the web layer maps to statuses.
func TestValidation(t *testing.T) { dbtest.Each(t, testValidation) }

func testValidation(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	body, err := c.store.FindBodies(ctx)
	must(t, err)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"meeting without name", c.store.CreateMeeting(ctx, &sessions.Meeting{OrganizationID: 1, Start: c.clock.t}), ratsmappe.EINVALID},
		{"meeting of missing organization", c.store.CreateMeeting(ctx, &sessions.Meeting{OrganizationID: 999, Name: "X", Start: c.clock.t}), ratsmappe.ENOTFOUND},
		{"meeting ending before it starts", c.store.CreateMeeting(ctx, &sessions.Meeting{OrganizationID: 1, Name: "X", Start: c.clock.t, End: c.clock.t.Add(-time.Hour)}), ratsmappe.EINVALID},
		{"item without title", c.store.CreateAgendaItem(ctx, &sessions.AgendaItem{MeetingID: c.published, Number: "Ö 9", Title: " "}), ratsmappe.EINVALID},
		{"item of missing meeting", c.store.CreateAgendaItem(ctx, &sessions.AgendaItem{MeetingID: 999, Number: "Ö 1", Title: "X"}), ratsmappe.ENOTFOUND},
		{"duplicate paper reference", c.store.CreatePaper(ctx, &sessions.Paper{BodyID: body[0].ID, Reference: "2026/0001", Name: "X"}), ratsmappe.ECONFLICT},
		{"paper with bad date", c.store.CreatePaper(ctx, &sessions.Paper{BodyID: body[0].ID, Reference: "2026/0099", Name: "X", Date: "1.2.2026"}), ratsmappe.EINVALID},
		{"membership ending before it starts", c.store.CreateMembership(ctx, &sessions.Membership{PersonID: c.persons["Anna"], OrganizationID: 1, StartDate: "2026-01-01", EndDate: "2025-01-01"}), ratsmappe.EINVALID},
		{"membership of missing person", c.store.CreateMembership(ctx, &sessions.Membership{PersonID: 999, OrganizationID: 1}), ratsmappe.ENOTFOUND},
		{"attachment to two targets", c.store.Attach(ctx, &sessions.Attachment{AgendaItemID: c.itemPublic, PaperID: c.papers["2026/0001"], DocumentID: c.docs["public doc"]}), ratsmappe.EINVALID},
		{"attachment of missing document", c.store.Attach(ctx, &sessions.Attachment{AgendaItemID: c.itemPublic, DocumentID: 999999}), ratsmappe.ENOTFOUND},
		{"attachment to missing paper", c.store.Attach(ctx, &sessions.Attachment{PaperID: 999, DocumentID: c.docs["public doc"]}), ratsmappe.ENOTFOUND},
		{"attachment with unknown role", c.store.Attach(ctx, &sessions.Attachment{AgendaItemID: c.itemPublic, DocumentID: c.docs["public doc"], Role: "cover"}), ratsmappe.EINVALID},
		{"consultation twice", c.store.Consult(ctx, &sessions.Consultation{PaperID: c.papers["2026/0001"], AgendaItemID: c.itemPublic}), ratsmappe.ECONFLICT},
		{"reorder with an item missing", c.store.ReorderAgenda(ctx, c.published, []int64{c.itemPublic}), ratsmappe.EINVALID},
		{"organization of unknown kind", c.store.CreateOrganization(ctx, &sessions.Organization{BodyID: body[0].ID, Name: "X", Classification: "club"}), ratsmappe.EINVALID},
	} {
		if got := ratsmappe.ErrorCode(tc.err); got != tc.want {
			t.Errorf("%s: %v, want code %s", tc.name, tc.err, tc.want)
		}
	}
}
