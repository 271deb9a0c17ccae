package sessions

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// OParl's modified time of a paper (and of a meeting, an agenda item)
// looks up the ledger by object id for each embedded object, on a
// database without statistics too — a fresh bulk load before
// autovacuum's first ANALYZE. There PostgreSQL had turned `object_id IN
// (the embedded ids)` into a join driven from the ledger's side, every
// public transition of the type scanned and the ids' query run for each:
// 0.7 s for one page of the demo's papers. The plan is asked, not the
// time: every read of the ledger must be an index lookup by object id.
func TestTouchedLooksUpByObjectWithoutStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		if sqldb.DialectOf(db) != sqldb.Postgres {
			t.Skip("a PostgreSQL plan")
		}
		dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
		dbtest.Migrate(t, db, "sessions", Migrations(), PostgresMigrations())
		// The demo's order of magnitude, never analysed.
		for _, q := range []string{
			`INSERT INTO ledger (at, recorded, kind, object_type, object_id, public)
				SELECT '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'public', t, n, 1
				FROM generate_series(1, 400) AS n, (VALUES ('attachment'), ('consultation'), ('paper')) AS types(t)`,
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, typ := range []string{access.ObjPaper, access.ObjAgendaItem, access.ObjMeeting, access.ObjAttachment} {
			q := `SELECT j.value, ` + touchedAt(typ, "j.value", "at <= '2026-12-07'") + ` FROM json_each('[1,2,3,4,5,6,7,8,9,10]') j`
			var plan string
			if err := db.QueryRow(`EXPLAIN (FORMAT JSON) ` + q).Scan(&plan); err != nil {
				t.Fatal(err)
			}
			var nodes []any
			if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
				t.Fatal(err)
			}
			for _, n := range ledgerScans(nodes) {
				if cond, _ := n["Index Cond"].(string); !strings.Contains(cond, "object_id") {
					t.Errorf("%s: the ledger is read by %s %q, not looked up by object id:\n%s", typ, n["Node Type"], cond, plan)
				}
			}
		}
	})
}

// ledgerScans returns the plan nodes under v that read table ledger.
func ledgerScans(v any) []map[string]any {
	var out []map[string]any
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, ledgerScans(e)...)
		}
	case map[string]any:
		if x["Relation Name"] == "ledger" {
			out = append(out, x)
		}
		for _, e := range x {
			out = append(out, ledgerScans(e)...)
		}
	}
	return out
}
