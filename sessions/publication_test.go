package sessions_test

import (
	"context"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// An agenda scheduled for publication appears for citizens exactly when
// the clock reaches the set time, with its public documents.
func TestPublicationAtSetTime(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	anon := c.viewers["anonymous"]
	if _, err := c.store.FindMeetingByID(ctx, anon, c.embargoed); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("before the embargo: %v", err)
	}
	if acc, _ := c.store.DocumentAccess(ctx, anon, c.docs["embargoed doc"]); acc != sessions.None {
		t.Fatalf("document visible before the embargo")
	}
	c.clock.t = c.clock.t.Add(59 * time.Minute)
	if _, err := c.store.FindMeetingByID(ctx, anon, c.embargoed); err == nil {
		t.Fatalf("visible a minute before the embargo ends")
	}
	c.clock.t = c.clock.t.Add(time.Minute)
	if _, err := c.store.FindMeetingByID(ctx, anon, c.embargoed); err != nil {
		t.Fatalf("not visible when the embargo ends: %v", err)
	}
	if acc, _ := c.store.DocumentAccess(ctx, anon, c.docs["embargoed doc"]); acc != sessions.Full {
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
}

// Items and attachments added after publication are marked late
// (nachgereicht) and dated; those added before are not; late attachments
// are not public until set so.
func TestNachtrag(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	clerk := c.viewers["clerk"]
	_, items, err := c.store.FindAgenda(ctx, clerk, c.published)
	must(t, err)
	for _, it := range items {
		if it.Late() {
			t.Errorf("item %s marked late but was there before publication", it.Number)
		}
	}
	c.clock.t = c.clock.t.Add(2 * time.Hour)
	late := &sessions.AgendaItem{MeetingID: c.published, Number: "Ö 3", Title: "Dringlichkeitsantrag", Public: true}
	must(t, c.store.CreateAgendaItem(ctx, late))
	it, err := c.store.FindAgendaItemByID(ctx, clerk, late.ID)
	must(t, err)
	if !it.Late() || !it.LateAt.Equal(c.clock.t) {
		t.Errorf("late item: LateAt = %v, want %v", it.LateAt, c.clock.t)
	}
	if got, want := it.Position, 4; got != want {
		t.Errorf("position = %d, want %d (appended)", got, want)
	}
	as, err := c.store.FindAttachments(ctx, clerk, sessions.AttachmentTarget{AgendaItemID: c.itemPublic})
	must(t, err)
	var sawLate bool
	for _, a := range as {
		if a.DocumentID == c.docs["late doc"] {
			sawLate = true
			if !a.Late() || a.Public {
				t.Errorf("late attachment: late %v public %v, want late and not public", a.Late(), a.Public)
			}
		} else if a.Late() {
			t.Errorf("attachment of document %d marked late", a.DocumentID)
		}
	}
	if !sawLate {
		t.Errorf("late attachment missing for the clerk")
	}
	// Attach refuses to create a public link even when asked.
	a := &sessions.Attachment{AgendaItemID: c.itemPublic, DocumentID: c.docs["public doc"], Public: true}
	must(t, c.store.Attach(ctx, a))
	if a.Public {
		t.Errorf("Attach created a public link")
	}
}

// An exclusion takes effect at once, for the item, its documents and the
// non-public minutes.
func TestExclusionImmediate(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	anna := c.viewers["member"]
	if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs["doc on non-public item"]); acc != sessions.Full {
		t.Fatal("member does not see the non-public document before the exclusion")
	}
	must(t, c.store.AddExclusion(ctx, c.itemNonPublic, anna.PersonID, "Befangen"))
	it, err := c.store.FindAgendaItemByID(ctx, anna, c.itemNonPublic)
	must(t, err)
	if it.Access != sessions.Stub || it.Title == "Geheimer Titel N 1" {
		t.Errorf("excluded member still sees the item: %+v", it)
	}
	if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs["doc on non-public item"]); acc != sessions.None {
		t.Errorf("excluded member still sees the document")
	}
	if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs["non-public minutes"]); acc != sessions.None {
		t.Errorf("excluded member still sees the non-public minutes")
	}
	if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs["public doc"]); acc != sessions.Full {
		t.Errorf("exclusion hid a public document")
	}
	must(t, c.store.RemoveExclusion(ctx, c.itemNonPublic, anna.PersonID))
	if acc, _ := c.store.DocumentAccess(ctx, anna, c.docs["doc on non-public item"]); acc != sessions.Full {
		t.Errorf("lifting the exclusion did not restore access")
	}
}

// Membership counts at the meeting's date: a member who joined after it,
// or left before it, sees it as a citizen would.
func TestMembershipPeriod(t *testing.T) {
	at := time.Date(2026, 3, 12, 17, 0, 0, 0, time.UTC)
	facts := sessions.ItemFacts{Meeting: sessions.MeetingFacts{OrganizationID: 1, Start: at, PublishedAt: at.Add(-72 * time.Hour)}}
	now := at.Add(time.Hour)
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want       sessions.Access
	}{
		{"open", time.Time{}, time.Time{}, sessions.Full},
		{"joined before", at.AddDate(-1, 0, 0), time.Time{}, sessions.Full},
		{"joined after", at.AddDate(0, 0, 1), time.Time{}, sessions.Stub},
		{"left before", at.AddDate(-2, 0, 0), at.AddDate(0, 0, -1), sessions.Stub},
		{"left after", at.AddDate(-2, 0, 0), at.AddDate(0, 0, 1), sessions.Full},
	} {
		v := sessions.Viewer{AccountID: 1, PersonID: 7, Role: sessions.RoleMember,
			Memberships: []sessions.Period{{OrganizationID: 1, Start: tc.start, End: tc.end}}}
		if got := sessions.ItemAccess(v, facts, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, name(got), name(tc.want))
		}
	}
}

func TestMinutesWorkflow(t *testing.T) {
	c := newCouncil(t)
	ctx := context.Background()
	err := c.store.SetMinutesState(ctx, c.minutesNonPublic, sessions.MinutesDraft)
	must(t, err)
	m := &sessions.Minutes{MeetingID: c.published, DocumentID: c.docs["public doc"], Public: true}
	must(t, c.store.CreateMinutes(ctx, m))
	if err := c.store.SetMinutesState(ctx, m.ID, sessions.MinutesPublished); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("draft → published directly: %v, want a conflict", err)
	}
	ms, err := c.store.FindMinutes(ctx, c.viewers["anonymous"], c.published)
	must(t, err)
	if got, want := len(ms), 1; got != want {
		t.Errorf("anonymous sees %d minutes, want %d", got, want)
	}
}
