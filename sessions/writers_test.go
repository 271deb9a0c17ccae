package sessions_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// Writers that read before they write — the next position on an agenda,
// the next consultation id — get what one after the other would get,
// however many write at once: on SQLite by its one writer, on PostgreSQL
// by the store's write lock.
func TestConcurrentWriters(t *testing.T) { dbtest.Each(t, testConcurrentWriters) }

func testConcurrentWriters(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	st, _, _ := openStore(t, db)
	body := &sessions.Body{Name: "Stadt"}
	must(t, st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Rat", Classification: sessions.ClassCouncil}
	must(t, st.CreateOrganization(ctx, org))
	m := &sessions.Meeting{OrganizationID: org.ID, Name: "Sitzung", Start: time.Date(2026, 4, 1, 17, 0, 0, 0, time.UTC)}
	must(t, st.CreateMeeting(ctx, m))
	paper := &sessions.Paper{BodyID: body.ID, Reference: "V/1", Name: "Vorlage"}
	must(t, st.CreatePaper(ctx, paper))

	const n = 12
	items := make([]*sessions.AgendaItem, n)
	consultations := make([]*sessions.Consultation, n)
	run := func(f func(i int) error) {
		t.Helper()
		for i, err := range dbtest.Concurrently(n, f) {
			if err != nil {
				t.Fatalf("writer %d: %v", i, err)
			}
		}
	}
	run(func(i int) error {
		items[i] = &sessions.AgendaItem{MeetingID: m.ID, Title: fmt.Sprintf("Punkt %d", i), Public: true}
		return st.CreateAgendaItem(ctx, items[i])
	})
	run(func(i int) error {
		consultations[i] = &sessions.Consultation{PaperID: paper.ID, AgendaItemID: items[i].ID}
		return st.Consult(ctx, consultations[i])
	})

	var positions []int
	rows, err := db.QueryContext(ctx, `SELECT position FROM agenda_items WHERE meeting_id = ? ORDER BY position`, m.ID)
	must(t, err)
	for rows.Next() {
		var p int
		must(t, rows.Scan(&p))
		positions = append(positions, p)
	}
	must(t, rows.Err())
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; !slices.Equal(positions, want) {
		t.Errorf("positions %v, want %v", positions, want)
	}
	var ids []int64
	for _, c := range consultations {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != n {
		t.Errorf("consultation ids %v, want %d different ones", ids, n)
	}
}
