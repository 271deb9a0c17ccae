package sessions_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// A public list reads its pages in windows of ids: a page whose visible
// objects are few and far apart crosses windows, and must still be the
// visible objects in order, each once, with "more" until the last.
func TestPublicPagesCrossWindows(t *testing.T) { dbtest.Each(t, testPublicPagesCrossWindows) }

func testPublicPagesCrossWindows(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	st, _, clk := openStore(t, db)
	body := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, st.CreateBody(ctx, body))
	// 300 papers, every 37th published: far more ids between two visible
	// papers than a window of a one-entry page holds.
	var want []int64
	for i := range 300 {
		p := &sessions.Paper{BodyID: body.ID, Reference: fmt.Sprintf("2026/%04d", i), Name: "Vorlage"}
		must(t, st.CreatePaper(ctx, p))
		if i%37 == 5 {
			must(t, st.PublishPaper(ctx, p.ID, clk.t.Add(-1)))
			want = append(want, p.ID)
		}
	}
	for _, limit := range []int{1, 2, 50} {
		var got []int64
		after := int64(0)
		for {
			refs, more, err := st.FindPublicPage(ctx, sessions.ListPapers, sessions.PublicListFilter{Limit: limit, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(refs) > limit {
				t.Fatalf("limit %d: a page of %d", limit, len(refs))
			}
			for _, r := range refs {
				got = append(got, r.ID)
			}
			if !more {
				break
			}
			if len(refs) == 0 {
				t.Fatalf("limit %d: an empty page with more after %d", limit, after)
			}
			after = refs[len(refs)-1].Key
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: pages list papers %v, want %v", limit, got, want)
		}
	}
}

// On PostgreSQL, the stores' `x IN (SELECT value FROM json_each(?))`
// must read x's index, not the whole table: json_each(text) is declared
// to return a short list (sessions' migration 0013). Without it, a
// meeting's agenda items were a hash join over every agenda item, a cost
// that grew with the archive. Plans, not timings: the tables hold enough
// rows here that a sequential scan would be the planner's choice for a
// list of a thousand
// (the old estimate).
func TestIDListsUseIndexes(t *testing.T) { dbtest.Each(t, testIDListsUseIndexes) }

func testIDListsUseIndexes(t *testing.T, db *sql.DB) {
	if sqldb.DialectOf(db) != sqldb.Postgres {
		t.Skip("a PostgreSQL plan; SQLite's json_each probes the index per value")
	}
	ctx := context.Background()
	st, db, _ := openStore(t, db)
	body := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Gemeinderat", Classification: sessions.ClassCouncil}
	must(t, st.CreateOrganization(ctx, org))
	// Rows in one statement each: enough that reading all is dearer than
	// probing, without a store call per row.
	mustExec(t, db, `INSERT INTO meetings (organization_id, name, start, "end", location, state, created, modified)
		SELECT ?, 'Sitzung', '2026-01-01T18:00:00Z', '', '', 'planned', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
		FROM generate_series(1, 2000)`, org.ID)
	mustExec(t, db, `INSERT INTO agenda_items (meeting_id, number, position, public, title, public_title, created, modified)
		SELECT m.id, 'Ö ' || n, n, 1, 'Punkt', '', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
		FROM meetings m, generate_series(1, 10) AS n`)
	mustExec(t, db, `ANALYZE meetings`)
	mustExec(t, db, `ANALYZE agenda_items`)
	q := `SELECT id FROM agenda_items WHERE meeting_id IN (SELECT value FROM json_each('[1,2]'))`
	if plan := explain(t, db, q); strings.Contains(plan, `"Seq Scan"`) {
		t.Errorf("%s\nreads the whole table:\n%s", q, plan)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// explain returns PostgreSQL's plan of q, as JSON.
func explain(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	var plan string
	if err := db.QueryRow(`EXPLAIN (FORMAT JSON) ` + q).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	return plan
}
