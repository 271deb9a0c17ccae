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

// TestOParlRecords checks the importer's records: saved, found, replaced,
// counted; and the progress of an import run.
func TestOParlRecords(t *testing.T) { dbtest.Each(t, testOParlRecords) }

func testOParlRecords(t *testing.T, db *sql.DB) {
	st, _, c := openStore(t, db)
	ctx := context.Background()
	if _, err := st.FindOParlObject(ctx, "meeting", "https://x/m/1"); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("missing record: %v", err)
	}
	for _, o := range []*sessions.OParlObject{
		{Kind: "meeting", ExternalID: "https://x/m/1", LocalID: 7, Modified: "2025-01-01T10:00:00+01:00"},
		{Kind: "meeting", ExternalID: "https://x/m/1", LocalID: 7, Modified: "2025-02-01T10:00:00+01:00", Deleted: true},
		{Kind: "paper", ExternalID: "https://x/m/1", LocalID: 3},
	} {
		if err := st.SaveOParlObject(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.FindOParlObject(ctx, "meeting", "https://x/m/1")
	if err != nil || got.LocalID != 7 || !got.Deleted || got.Modified != "2025-02-01T10:00:00+01:00" {
		t.Fatalf("record: %+v %v", got, err)
	}
	if n, _ := st.CountOParlObjects(ctx); n["meeting"] != 1 || n["paper"] != 1 {
		t.Errorf("counts %v", n)
	}
	if m, _ := st.OParlMapped(ctx, "paper", 3); !m {
		t.Error("paper 3 not mapped")
	}
	if m, _ := st.OParlMapped(ctx, "paper", 7); m {
		t.Error("paper 7 mapped")
	}

	run, err := st.StartOParlImport(ctx, "https://x/system", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.FindLastOParlImport(ctx, "https://x/system", true); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("unfinished run counts as finished: %v", err)
	}
	if err := st.SetOParlList(ctx, run.ID, "https://x/l", sessions.OParlListState{Next: "https://x/l?page=2"}); err != nil {
		t.Fatal(err)
	}
	if l, err := st.FindOParlList(ctx, run.ID, "https://x/l"); err != nil || l.Next != "https://x/l?page=2" || l.Done {
		t.Errorf("list state %+v %v", l, err)
	}
	c.t = c.t.Add(time.Hour)
	if err := st.FinishOParlImport(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	last, err := st.FindLastOParlImport(ctx, "https://x/system", true)
	if err != nil || last.ID != run.ID || last.Finished.IsZero() || !last.Since.IsZero() {
		t.Errorf("last finished run %+v %v", last, err)
	}
}

// TestWithdrawTouchesContainer: OParl clients ask with modified_since, so
// a withdrawn item changes its meeting and a withdrawn or hidden
// attachment the object it hangs on.
func TestWithdrawTouchesContainer(t *testing.T) { dbtest.Each(t, testWithdrawTouchesContainer) }

func testWithdrawTouchesContainer(t *testing.T, db *sql.DB) {
	st, db, c := openStore(t, db)
	ctx := context.Background()
	b := &sessions.Body{Name: "Stadt"}
	must(t, st.CreateBody(ctx, b))
	o := &sessions.Organization{BodyID: b.ID, Name: "Rat", Classification: sessions.ClassCouncil}
	must(t, st.CreateOrganization(ctx, o))
	m := &sessions.Meeting{OrganizationID: o.ID, Name: "Sitzung", Start: c.t.Add(24 * time.Hour)}
	must(t, st.CreateMeeting(ctx, m))
	it := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Punkt", Public: true}
	must(t, st.CreateAgendaItem(ctx, it))
	p := &sessions.Paper{BodyID: b.ID, Reference: "2026/1", Name: "Vorlage"}
	must(t, st.CreatePaper(ctx, p))
	a := &sessions.Attachment{DocumentID: newDocument(t, db, "Anlage"), PaperID: p.ID}
	must(t, st.Attach(ctx, a))
	staff := access.Viewer{Role: access.RoleClerk}

	c.t = c.t.Add(time.Hour)
	must(t, st.WithdrawAgendaItem(ctx, it.ID))
	got, err := st.FindMeetingByID(ctx, staff, m.ID)
	if err != nil || !got.Modified.Equal(c.t) {
		t.Errorf("meeting modified %v after withdrawing its item at %v (%v)", got.Modified, c.t, err)
	}
	c.t = c.t.Add(time.Hour)
	must(t, st.SetAttachmentPublic(ctx, a.ID, true))
	pp, err := st.FindPaperByID(ctx, staff, p.ID)
	if err != nil || !pp.Modified.Equal(c.t) {
		t.Errorf("paper modified %v after its attachment went public at %v (%v)", pp.Modified, c.t, err)
	}
}
