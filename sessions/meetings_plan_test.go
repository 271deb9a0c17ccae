package sessions

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// A page of meetings — a member's list in the reader, the portal's
// upcoming and past windows, the JSON API, the office — reads its own rows
// in the list's order through index meetings_start and stops after the
// page: no plan that reads every meeting and sorts them, on either
// database. (At a year of Munich, 3,000 meetings, that is the difference
// between a page that costs what it costs on the demo and one that grows
// with the archive.) The plan is asked, not the time, so the test holds
// on a busy machine; on PostgreSQL the planner is told to avoid reading
// tables whole and sorting, as it would for the test's empty tables, and
// must then find the index path.
func TestMeetingPagePlan(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
		dbtest.Migrate(t, db, "sessions", Migrations(), PostgresMigrations())
		now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
		cut := &MeetingCursor{Start: now.Add(-12 * time.Hour)}
		deep := &MeetingCursor{Start: now.AddDate(-3, 0, 0), ID: 4711}
		viewers := map[string]access.Viewer{
			"citizen": {},
			"member":  {Role: access.RoleMember, AccountID: 3, PersonID: 1},
			"clerk":   {Role: access.RoleClerk, AccountID: 2},
		}
		pages := map[string]MeetingFilter{
			"first page":          {Limit: 51},
			"upcoming window":     {After: cut, Limit: 21},
			"past window":         {After: cut, Descending: true, Limit: 21},
			"deep in the list":    {After: deep, Limit: 51},
			"deep, descending":    {After: deep, Descending: true, Limit: 51},
			"from a date, a page": {From: now, Limit: 51},
		}
		for vn, v := range viewers {
			for pn, f := range pages {
				q, args := findMeetingsQuery(v, f, now)
				if plan := explain(t, db, q, args); !orderedByIndex(plan) {
					t.Errorf("%s, %s: the plan does not read the page through meetings_start in order:\n%s", vn, pn, plan)
				}
			}
		}
	})
}

// explain returns the plan of q: SQLite's EXPLAIN QUERY PLAN, one line
// per step, or PostgreSQL's as JSON.
func explain(t *testing.T, db *sql.DB, q string, args []any) string {
	t.Helper()
	ctx := context.Background()
	if sqldb.DialectOf(db) == sqldb.Postgres {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, off := range []string{"enable_seqscan", "enable_bitmapscan", "enable_sort"} {
			if _, err := tx.ExecContext(ctx, `SELECT set_config('`+off+`', 'off', true)`); err != nil {
				t.Fatal(err)
			}
		}
		var plan string
		if err := tx.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+q, args...).Scan(&plan); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return plan
	}
	rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// orderedByIndex reports whether plan reads meetings through
// meetings_start and sorts nothing whole: on PostgreSQL an incremental
// sort of the rows of one start (ordered by id) is fine, a sort of
// everything is not.
func orderedByIndex(plan string) bool {
	if !strings.HasPrefix(plan, "[") { // SQLite
		return strings.Contains(plan, "USING INDEX meetings_start") && !strings.Contains(plan, "TEMP B-TREE")
	}
	var root []struct {
		Plan pgNode `json:"Plan"`
	}
	if json.Unmarshal([]byte(plan), &root) != nil || len(root) != 1 {
		return false
	}
	indexed, sorted := false, false
	var walk func(n pgNode)
	walk = func(n pgNode) {
		switch n.Type {
		case "Index Scan", "Index Only Scan":
			indexed = indexed || n.Index == "meetings_start"
		case "Sort", "Seq Scan", "Bitmap Heap Scan":
			sorted = true
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	return indexed && !sorted
}

type pgNode struct {
	Type  string   `json:"Node Type"`
	Index string   `json:"Index Name"`
	Plans []pgNode `json:"Plans"`
}
