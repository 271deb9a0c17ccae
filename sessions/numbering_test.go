package sessions_test

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The agenda's numbers follow its order: the case (moving "Ö 2" up
// gave Ö 2, Ö 1, N 1) and the rules around it — new items numbered
// automatically, a number fixed by hand kept and left out of the count, a
// withdrawn item keeping its place, a public item turned non-public moving
// to the N numbers, and a fixed number released again.
func TestAgendaNumbersFollowTheOrder(t *testing.T) { dbtest.Each(t, testAgendaNumbersFollowTheOrder) }

func testAgendaNumbersFollowTheOrder(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	st, _, clk := openStore(t, db)
	body := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	must(t, st.CreateOrganization(ctx, org))
	m := &sessions.Meeting{OrganizationID: org.ID, Name: "Bauausschuss", Start: clk.t.AddDate(0, 0, 7)}
	must(t, st.CreateMeeting(ctx, m))
	clerk := access.Viewer{AccountID: 1, Role: access.RoleClerk}

	ids := map[string]int64{} // by title
	add := func(number, title string, public bool) {
		t.Helper()
		it := &sessions.AgendaItem{MeetingID: m.ID, Number: number, Title: title, Public: public}
		must(t, st.CreateAgendaItem(ctx, it))
		ids[title] = it.ID
	}
	// agenda reads the agenda as "number title[*]", * for fixed by hand.
	agenda := func() string {
		t.Helper()
		_, items, err := st.FindAgenda(ctx, clerk, m.ID)
		must(t, err)
		var b []string
		for _, it := range items {
			s := it.Number + " " + it.Title
			if it.NumberFixed {
				s += "*"
			}
			b = append(b, s)
		}
		return strings.Join(b, ", ")
	}
	order := func(titles ...string) {
		t.Helper()
		var o []int64
		for _, tt := range titles {
			o = append(o, ids[tt])
		}
		must(t, st.ReorderAgenda(ctx, m.ID, o))
	}
	want := func(step, w string) {
		t.Helper()
		if got := agenda(); got != w {
			t.Fatalf("%s:\n got %s\nwant %s", step, got, w)
		}
	}

	// Typed as automatic numbering would give them, or left empty.
	add("Ö 1", "a", true)
	add("Ö 2", "b", true)
	add("", "c", false)
	want("created", "Ö 1 a, Ö 2 b, N 1 c")

	order("b", "a", "c")
	want("Ö 2 moved up", "Ö 1 b, Ö 2 a, N 1 c")

	order("c", "b", "a")
	want("N 1 moved first", "N 1 c, Ö 1 b, Ö 2 a")

	// A number other than the next one is fixed by hand and not counted.
	add("Ö 2.1", "d", true)
	add("", "e", true)
	want("sub-item and next", "N 1 c, Ö 1 b, Ö 2 a, Ö 2.1 d*, Ö 3 e")
	order("c", "d", "b", "a", "e")
	want("fixed number moved", "N 1 c, Ö 2.1 d*, Ö 1 b, Ö 2 a, Ö 3 e")

	// A withdrawn item keeps its number and its place in the count.
	must(t, st.WithdrawAgendaItem(ctx, ids["b"]))
	order("c", "d", "a", "b", "e")
	want("withdrawn keeps its place", "N 1 c, Ö 2.1 d*, Ö 1 a, Ö 2 b, Ö 3 e")

	// Turned non-public, an item moves to the N numbers.
	must(t, st.UpdateAgendaItem(ctx, ids["e"], sessions.AgendaItemUpdate{Public: ptr(false)}))
	want("e non-public", "N 1 c, Ö 2.1 d*, Ö 1 a, Ö 2 b, N 2 e")

	// Typing a number fixes it; the same number again changes nothing.
	must(t, st.UpdateAgendaItem(ctx, ids["a"], sessions.AgendaItemUpdate{Number: ptr("Ö 1"), Title: ptr("a")}))
	want("same number saved", "N 1 c, Ö 2.1 d*, Ö 1 a, Ö 2 b, N 2 e")
	must(t, st.UpdateAgendaItem(ctx, ids["a"], sessions.AgendaItemUpdate{Number: ptr("Ö 7")}))
	want("a fixed by hand", "N 1 c, Ö 2.1 d*, Ö 7 a*, Ö 1 b, N 2 e")

	// Released, a fixed number follows the order again.
	must(t, st.UpdateAgendaItem(ctx, ids["a"], sessions.AgendaItemUpdate{Number: ptr("Ö 7"), NumberFixed: ptr(false)}))
	want("a released", "N 1 c, Ö 2.1 d*, Ö 1 a, Ö 2 b, N 2 e")

	// Fixed explicitly, even in the automatic form.
	add("Ö 3", "f", true)
	must(t, st.UpdateAgendaItem(ctx, ids["f"], sessions.AgendaItemUpdate{NumberFixed: ptr(true)}))
	order("f", "c", "d", "a", "b", "e")
	want("f fixed and moved", "Ö 3 f*, N 1 c, Ö 2.1 d*, Ö 1 a, Ö 2 b, N 2 e")
}

// Numbers stored before number_fixed existed were all typed by hand; the
// migration lets those in the automatic form follow the order and keeps
// every other one as it is.
func TestNumberFixedMigration(t *testing.T) { dbtest.Each(t, testNumberFixedMigration) }

func testNumberFixedMigration(t *testing.T, db *sql.DB) {
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	// The sessions migrations up to the one before number_fixed.
	before := fstest.MapFS{}
	all := sessions.Migrations()
	if sqldb.DialectOf(db) == sqldb.Postgres {
		all = sessions.PostgresMigrations()
	}
	names, err := fs.Glob(all, "*.sql")
	must(t, err)
	for _, n := range names {
		if n < "0009" {
			b, err := fs.ReadFile(all, n)
			must(t, err)
			before[n] = &fstest.MapFile{Data: b}
		}
	}
	dbtest.Migrate(t, db, "sessions", before, before)
	_, err = db.Exec(`INSERT INTO bodies (id, name, created, modified) VALUES (1, 'Stadt', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
		INSERT INTO organizations (id, body_id, name, classification, created, modified) VALUES (1, 1, 'Rat', 'committee', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
		INSERT INTO meetings (id, organization_id, name, start, created, modified) VALUES (1, 1, 'Sitzung', '2026-02-01T17:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`)
	must(t, err)
	want := map[string]bool{"Ö 1": false, "N 12": false, "Ö 3.1": true, "TOP 4": true, "N 0": true, "Ö 2a": true, "–": true}
	pos := 0
	for n := range want {
		pos++
		_, err := db.Exec(`INSERT INTO agenda_items (meeting_id, number, position, title, created, modified) VALUES (1, ?, ?, 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, n, pos)
		must(t, err)
	}
	dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
	for n, fixed := range want {
		var got bool
		must(t, db.QueryRow(`SELECT number_fixed FROM agenda_items WHERE number = ?`, n).Scan(&got))
		if got != fixed {
			t.Errorf("%q: fixed %v, want %v", n, got, fixed)
		}
	}
}
