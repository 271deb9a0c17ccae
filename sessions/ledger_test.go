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

// agreeWithLedger checks that the ledger's public state of every meeting,
// agenda item, paper and attachment of the test council equals what the
// store's readers give a citizen now: the ledger records the rule's
// answers as they change, so the two never disagree.
func agreeWithLedger(t *testing.T, c *council, when string) {
	t.Helper()
	ctx := context.Background()
	anon := access.Viewer{}
	check := func(typ string, ids []int64, visible func(id int64) bool) {
		t.Helper()
		st, err := c.store.LedgerStatuses(ctx, typ, ids)
		must(t, err)
		for _, id := range ids {
			if got, want := st[id].Public, visible(id); got != want {
				t.Errorf("%s: %s %d: ledger says public=%v, the readers %v", when, typ, id, got, want)
			}
		}
	}
	check(access.ObjMeeting, c.meetingIDs, func(id int64) bool { _, err := c.store.FindMeetingByID(ctx, anon, id); return err == nil })
	check(access.ObjAgendaItem, c.itemIDs, func(id int64) bool { _, err := c.store.FindAgendaItemByID(ctx, anon, id); return err == nil })
	check(access.ObjPaper, c.paperIDs, func(id int64) bool { _, err := c.store.FindPaperByID(ctx, anon, id); return err == nil })
	check(access.ObjAttachment, c.attachmentIDs, func(id int64) bool { _, err := c.store.FindAttachmentByID(ctx, anon, id); return err == nil })
	check(access.ObjMinutes, []int64{c.minutesPublic, c.minutesNonPublic, c.minutesDraft}, func(id int64) bool {
		ms, err := c.store.FindMinutes(ctx, anon, c.published)
		for _, m := range ms {
			if err == nil && m.ID == id {
				return true
			}
		}
		return false
	})
}

// The ledger follows every change of the public view, including the ones
// a set time causes: an embargo ends without anyone writing, and an
// embargo lifted before its end leaves no trace.
func TestLedgerFollowsTheRule(t *testing.T) { dbtest.Each(t, testLedgerFollowsTheRule) }

func testLedgerFollowsTheRule(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	agreeWithLedger(t, c, "after setup")

	st, err := c.store.LedgerStatuses(ctx, access.ObjMeeting, []int64{c.draft, c.embargoed, c.published})
	must(t, err)
	if _, ok := st[c.draft]; ok {
		t.Errorf("the draft meeting, never public, has a ledger status: %+v", st[c.draft])
	}
	if _, ok := st[c.embargoed]; ok {
		t.Errorf("the embargoed meeting counts before its time: %+v", st[c.embargoed])
	}

	c.clock.t = c.clock.t.Add(time.Hour)
	agreeWithLedger(t, c, "after the embargo")
	st, err = c.store.LedgerStatuses(ctx, access.ObjMeeting, []int64{c.embargoed})
	must(t, err)
	if s := st[c.embargoed]; !s.Public || !s.Last.Equal(c.clock.t) {
		t.Errorf("embargoed meeting after its time: %+v, want public since %v", s, c.clock.t)
	}

	// Unpublish: everything of the meeting leaves the public view.
	c.clock.t = c.clock.t.Add(time.Minute)
	must(t, c.store.UnpublishMeeting(ctx, c.published))
	agreeWithLedger(t, c, "after unpublishing")
	st, err = c.store.LedgerStatuses(ctx, access.ObjAgendaItem, []int64{c.itemPublic, c.itemWithdrawn})
	must(t, err)
	if s := st[c.itemPublic]; !s.Gone() || !s.Last.Equal(c.clock.t) {
		t.Errorf("public item of the unpublished meeting: %+v, want gone at %v", s, c.clock.t)
	}
	if _, ok := st[c.itemWithdrawn]; ok {
		t.Errorf("an item withdrawn before publication was public once: %+v", st[c.itemWithdrawn])
	}

	// An embargo set and lifted before its time leaves the state as it was.
	gone := st[c.itemPublic]
	must(t, c.store.PublishMeeting(ctx, c.published, c.clock.t.Add(time.Hour)))
	must(t, c.store.UnpublishMeeting(ctx, c.published))
	c.clock.t = c.clock.t.Add(2 * time.Hour)
	st, err = c.store.LedgerStatuses(ctx, access.ObjAgendaItem, []int64{c.itemPublic})
	must(t, err)
	if st[c.itemPublic] != gone {
		t.Errorf("a lifted embargo changed the ledger: %+v, was %+v", st[c.itemPublic], gone)
	}
	agreeWithLedger(t, c, "after a lifted embargo")

	// Republished, with item flags and attachments changed.
	must(t, c.store.PublishMeeting(ctx, c.published, time.Time{}))
	must(t, c.store.UpdateAgendaItem(ctx, c.itemNonPublic, sessions.AgendaItemUpdate{Public: ptr(true)}))
	must(t, c.store.SetAttachmentPublic(ctx, c.attachments["public doc"], false))
	must(t, c.store.WithdrawAgendaItem(ctx, c.itemLate))
	must(t, c.store.SetMinutesState(ctx, c.minutesPublic, sessions.MinutesApproved))
	agreeWithLedger(t, c, "after republishing")

	// Exclusions and memberships are recorded, with a precise time.
	since := c.clock.t
	must(t, c.store.RemoveExclusion(ctx, c.itemNonPublic, c.persons["Clara"]))
	es, err := c.store.LedgerEntries(ctx, access.KindExclusion, since)
	must(t, err)
	if len(es) != 1 || es[0].Public || es[0].PersonID != c.persons["Clara"] || !es[0].At.Equal(since) {
		t.Errorf("lifted exclusion in the ledger: %+v", es)
	}
}

// A database from before the ledger gets the objects public now recorded
// once, at the upgrade; a second start changes nothing, and what was
// never public stays unrecorded.
func TestSeedLedger(t *testing.T) { dbtest.Each(t, testSeedLedger) }

func testSeedLedger(t *testing.T, db *sql.DB) {
	st, db, clk := openStore(t, db)
	ctx := context.Background()
	body := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Rat", Classification: sessions.ClassCouncil}
	must(t, st.CreateOrganization(ctx, org))
	public := &sessions.Meeting{OrganizationID: org.ID, Name: "Ratssitzung", Start: clk.t, Location: "Rathaus"}
	draft := &sessions.Meeting{OrganizationID: org.ID, Name: "Entwurf", Start: clk.t}
	must(t, st.CreateMeeting(ctx, public))
	must(t, st.CreateMeeting(ctx, draft))
	it := &sessions.AgendaItem{MeetingID: public.ID, Number: "Ö 1", Title: "Haushalt", Public: true}
	must(t, st.CreateAgendaItem(ctx, it))
	a := &sessions.Attachment{AgendaItemID: it.ID, DocumentID: newDocument(t, db, "Haushaltsplan")}
	must(t, st.Attach(ctx, a))
	must(t, st.SetAttachmentPublic(ctx, a.ID, true))
	must(t, st.PublishMeeting(ctx, public.ID, time.Time{}))
	// The database as it was before the ledger.
	if _, err := db.ExecContext(ctx, `DELETE FROM ledger`); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Hour)
	must(t, st.SeedLedger(ctx))
	must(t, st.SeedLedger(ctx))
	for _, c := range []struct {
		typ  string
		ids  []int64
		want int
	}{{access.ObjMeeting, []int64{public.ID, draft.ID}, 1}, {access.ObjLocation, []int64{public.ID, draft.ID}, 1},
		{access.ObjAgendaItem, []int64{it.ID}, 1}, {access.ObjAttachment, []int64{a.ID}, 1}} {
		s, err := st.LedgerStatuses(ctx, c.typ, c.ids)
		must(t, err)
		if len(s) != c.want || !s[c.ids[0]].Public || !s[c.ids[0]].Last.Equal(clk.t) {
			t.Errorf("%s after seeding: %+v, want %d public since %v", c.typ, s, c.want, clk.t)
		}
	}
	var rows int
	must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger`).Scan(&rows))
	if rows != 5 { // four objects and the seed marker
		t.Errorf("%d ledger rows after seeding twice, want 5", rows)
	}
}

// A consultation taken off its agenda item leaves a deleted stub if the
// public saw it, takes its paper out of the public view with it when it
// was the paper's last public agenda item, and its id is never reused.
func TestRemoveConsultation(t *testing.T) { dbtest.Each(t, testRemoveConsultation) }

func testRemoveConsultation(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	anon, clerk := access.Viewer{}, c.viewers["clerk"]
	consultation := func(paper, item int64) int64 {
		t.Helper()
		cs, err := c.store.FindConsultations(ctx, clerk, paper)
		must(t, err)
		for _, x := range cs {
			if x.AgendaItemID == item {
				return x.ID
			}
		}
		t.Fatalf("paper %d has no consultation on item %d", paper, item)
		return 0
	}
	both := c.papers["2026/0003"] // on the public and the non-public item
	pub, nonPub := consultation(both, c.itemPublic), consultation(both, c.itemNonPublic)

	c.clock.t = c.clock.t.Add(time.Minute)
	must(t, c.store.RemoveConsultation(ctx, both, nonPub))
	if g, err := c.store.FindGone(ctx, access.ObjConsultation, nonPub); err != nil || len(g) != 0 {
		t.Errorf("a never-public consultation removed: gone %+v, %v; want no stub", g, err)
	}
	if _, err := c.store.FindPaperByID(ctx, anon, both); err != nil {
		t.Errorf("the paper is still on a public item, but the public no longer sees it: %v", err)
	}

	c.clock.t = c.clock.t.Add(time.Minute)
	removed := c.clock.t
	must(t, c.store.RemoveConsultation(ctx, both, pub))
	agreeWithLedger(t, c, "after removing consultations")
	g, err := c.store.FindGone(ctx, access.ObjConsultation, pub)
	must(t, err)
	if len(g) != 1 || g[0].PaperID != both || !g[0].Gone.Equal(removed) {
		t.Errorf("removed public consultation: gone %+v, want a stub of paper %d at %v", g, both, removed)
	}
	if g, err := c.store.FindGone(ctx, access.ObjPaper, both); err != nil || len(g) != 1 {
		t.Errorf("paper off its last public item: gone %+v, %v; want its stub", g, err)
	}
	touched, err := c.store.PublicTouched(ctx, access.ObjPaper, both)
	must(t, err)
	if !touched.Equal(removed) {
		t.Errorf("paper's modified time %v, want the removal at %v", touched, removed)
	}

	if err := c.store.RemoveConsultation(ctx, both, pub); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("removing it again: %v, want not found", err)
	}
	if err := c.store.RemoveConsultation(ctx, c.papers["2026/0001"], consultation(c.papers["2026/0002"], c.itemNonPublic)); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("removing another paper's consultation: %v, want not found", err)
	}
	// A new consultation gets a new id, even where the removed one had the
	// highest.
	again := &sessions.Consultation{PaperID: both, AgendaItemID: c.itemPublic}
	must(t, c.store.Consult(ctx, again))
	if again.ID == pub || again.ID == nonPub {
		t.Errorf("a new consultation reuses removed id %d", again.ID)
	}
	if g, err := c.store.FindGone(ctx, access.ObjConsultation, pub); err != nil || len(g) != 1 {
		t.Errorf("the stub of the removed consultation after a new one: %+v, %v", g, err)
	}
	agreeWithLedger(t, c, "after consulting again")
}

// A file on an agenda item names the public papers consulted there
// (OParl File.paper), so its modified time moves when a paper is
// consulted on its item or taken off it: a mirror syncing with
// modified_since after the file was last changed would otherwise keep
// the file without the paper, or with one taken back (the reference
// model found it when its steps crossed a second).
func TestFileFollowsItsItemsPapers(t *testing.T) { dbtest.Each(t, testFileFollowsItsItemsPapers) }

func testFileFollowsItsItemsPapers(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	file := c.attachments["versioned doc"] // on the published meeting's public item, with a version the public reads
	touched := func() time.Time {
		t.Helper()
		at, err := c.store.PublicTouched(ctx, access.ObjAttachment, file)
		must(t, err)
		return at
	}
	listed := func(since time.Time) bool {
		t.Helper()
		refs, _, err := c.store.FindPublicPage(ctx, sessions.ListFiles, sessions.PublicListFilter{ModifiedSince: since, Limit: 1000})
		must(t, err)
		for _, r := range refs {
			if r.Type == access.ObjAttachment && r.ID == file {
				return true
			}
		}
		return false
	}
	paper := c.papers["2026/0002"] // not consulted on the public item
	c.clock.t = c.clock.t.Add(time.Hour)
	consulted := c.clock.t
	cons := &sessions.Consultation{PaperID: paper, AgendaItemID: c.itemPublic}
	must(t, c.store.Consult(ctx, cons))
	if at := touched(); !at.Equal(consulted) {
		t.Errorf("file's modified after a paper was consulted on its item: %v, want %v", at, consulted)
	}
	if !listed(consulted) {
		t.Error("the files modified since the consultation do not list the file")
	}
	c.clock.t = c.clock.t.Add(time.Hour)
	removed := c.clock.t
	must(t, c.store.RemoveConsultation(ctx, paper, cons.ID))
	if at := touched(); !at.Equal(removed) {
		t.Errorf("file's modified after the consultation was taken back: %v, want %v", at, removed)
	}
	if !listed(removed) {
		t.Error("the files modified since the consultation was taken back do not list the file")
	}
}

// A File serves its document's current version, so withdrawing that
// version — the one before it is current again — changes the File, and
// the meeting, agenda item or paper that embeds it, although no row of
// the attachment or the minutes changed and the public state did not
// either (the document still has a version to serve). A mirror syncing
// with modified_since after the file last changed kept the withdrawn
// version's bytes (the reference model found it when its steps crossed a
// second between publishing the minutes and withdrawing their version).
// The current version's state_changed_at is when it became current; the
// lists with modified_since must find what changed then.
func TestFileFollowsItsCurrentVersion(t *testing.T) { dbtest.Each(t, testFileFollowsItsCurrentVersion) }

func testFileFollowsItsCurrentVersion(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	// A meeting of its own: the council's others embed documents
	// uploaded on the real clock.
	pub, err := c.store.FindMeetingByID(ctx, access.Viewer{}, c.published)
	must(t, err)
	meeting := &sessions.Meeting{OrganizationID: pub.OrganizationID, Name: "Nachträge", Start: c.clock.t.Add(24 * time.Hour)}
	must(t, c.store.CreateMeeting(ctx, meeting))
	item := &sessions.AgendaItem{MeetingID: meeting.ID, Number: "Ö 1", Title: "Bericht", Public: true}
	must(t, c.store.CreateAgendaItem(ctx, item))
	must(t, c.store.PublishMeeting(ctx, meeting.ID, time.Time{}))
	doc, svc := versionedDocumentAt(t, db, c.clock.now, "eins", "zwei")
	att := &sessions.Attachment{DocumentID: doc, AgendaItemID: item.ID}
	must(t, c.store.Attach(ctx, att))
	must(t, c.store.SetAttachmentPublic(ctx, att.ID, true))
	minutesDoc, _ := versionedDocumentAt(t, db, c.clock.now, "Entwurf", "Fassung")
	mi := &sessions.Minutes{MeetingID: meeting.ID, DocumentID: minutesDoc, Public: true}
	must(t, c.store.CreateMinutes(ctx, mi))
	must(t, c.store.SetMinutesState(ctx, mi.ID, sessions.MinutesApproved))
	must(t, c.store.SetMinutesState(ctx, mi.ID, sessions.MinutesPublished))

	c.clock.t = c.clock.t.Add(time.Hour)
	withdrawn := c.clock.t
	must(t, svc.Withdraw(ctx, doc, 2))
	must(t, svc.Withdraw(ctx, minutesDoc, 2))

	// What OParl's modified of the File is built from: the current
	// version, current again since the withdrawal.
	fs, err := c.store.FindFolders(ctx, access.Viewer{}, []int64{meeting.ID})
	must(t, err)
	var found bool
	for _, m := range fs[0].Minutes {
		if m.Minutes.ID == mi.ID {
			found = true
			if v := m.Version; v == nil || v.Number != 1 || !v.StateChanged.Equal(withdrawn) {
				t.Errorf("the minutes' current version after the withdrawal: %+v, want number 1, state changed %v", v, withdrawn)
			}
		}
	}
	if !found {
		t.Fatal("the public does not see the published minutes")
	}
	listed := func(l sessions.PublicList, typ string, id int64) bool {
		t.Helper()
		refs, _, err := c.store.FindPublicPage(ctx, l, sessions.PublicListFilter{ModifiedSince: withdrawn, Gone: true, Limit: 1000})
		must(t, err)
		for _, r := range refs {
			if r.Type == typ && r.ID == id && r.Gone == nil {
				return true
			}
		}
		return false
	}
	for _, w := range []struct {
		what string
		l    sessions.PublicList
		typ  string
		id   int64
	}{
		{"the attachment", sessions.ListFiles, access.ObjAttachment, att.ID},
		{"the minutes", sessions.ListFiles, access.ObjMinutes, mi.ID},
		{"the attachment's agenda item", sessions.ListAgendaItems, access.ObjAgendaItem, item.ID},
		{"the meeting of both", sessions.ListMeetings, access.ObjMeeting, meeting.ID},
	} {
		if !listed(w.l, w.typ, w.id) {
			t.Errorf("the list modified since the withdrawal of a current version does not name %s", w.what)
		}
	}
}
