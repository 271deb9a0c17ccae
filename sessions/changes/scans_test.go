package changes_test

import (
	"context"
	"database/sql"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions/demo/scale"
)

// The feed's triggers read what a change touches through indexes, never a
// whole table, so that a write costs the same in a city's first year as
// in its tenth (demo --scale slowed year by year while they did not).
// On SQLite, which plans without statistics and so the same on an empty
// database as on a full one, every statement of every trigger is planned
// and no table may be scanned. On PostgreSQL, whose plans follow the
// data, each kind of write is made on a small database and again after a
// year of an unrelated city was added beside it: it must read about the
// same rows.
func TestTriggersReadByIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		if sqldb.DialectOf(db) == sqldb.SQLite {
			testTriggerPlans(t, db)
		} else {
			testTriggerReads(t, db)
		}
	})
}

// organizationWide are the triggers that name an organization's meetings,
// from a read of meetings (which has no index by organization; one would
// change the plans of the meeting lists). Memberships and renames are
// rare, and meetings are a small table.
var organizationWide = map[string]bool{"changes_organizations_u": true,
	"changes_memberships_i": true, "changes_memberships_u": true, "changes_memberships_d": true}

func testTriggerPlans(t *testing.T, db *sql.DB) {
	migrate(t, db)
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'changes\_%' ESCAPE '\' ORDER BY name`)
	must(t, err)
	triggers := map[string]string{}
	for rows.Next() {
		var name, sql string
		must(t, rows.Scan(&name, &sql))
		triggers[name] = sql
	}
	must(t, rows.Err())
	if len(triggers) < 40 {
		t.Fatalf("%d triggers of the feed, want all of them", len(triggers))
	}
	row := regexp.MustCompile(`\b(NEW|OLD)\.\w+`)
	scan := regexp.MustCompile(`^SCAN (\w+)`)
	for _, name := range slices.Sorted(maps.Keys(triggers)) {
		body := triggers[name]
		body = body[strings.Index(body, "BEGIN")+len("BEGIN") : strings.LastIndex(body, "END")]
		for _, stmt := range strings.Split(body, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			// A trigger's NEW and OLD are values the plan is made for, as
			// parameters are.
			stmt = row.ReplaceAllString(stmt, "?")
			args := make([]any, strings.Count(stmt, "?"))
			for i := range args {
				args[i] = 1
			}
			plan, err := db.Query("EXPLAIN QUERY PLAN "+stmt, args...)
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, stmt)
			}
			for plan.Next() {
				var id, parent, unused int
				var detail string
				must(t, plan.Scan(&id, &parent, &unused, &detail))
				m := scan.FindStringSubmatch(detail)
				if m == nil || strings.HasPrefix(m[1], "changes_") || m[1] == "CONSTANT" {
					continue // a view's rows, found through its branches' indexes
				}
				if organizationWide[name] && (m[1] == "meetings" || m[1] == "m") {
					continue
				}
				t.Errorf("%s reads a table whole (%s):\n%s", name, detail, strings.TrimSpace(stmt))
			}
			must(t, plan.Close())
		}
	}
}

// watched are the tables whose rows grow with a city's years.
var watched = []string{"meetings", "agenda_items", "papers", "consultations", "attachments", "minutes", "exclusions",
	"memberships", "meeting_deputies", "documents", "versions", "pages", "ledger", "changes"}

func testTriggerReads(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	f := newFixture(t, db)
	stamp := "2026-01-01T00:00:00Z"
	for _, fn := range []string{"changes_organizations", "changes_memberships", "changes_meetings", "changes_agenda_items",
		"changes_papers", "changes_consultations", "changes_exclusions", "changes_meeting_deputies",
		"changes_documents_of_meetings", "changes_documents_of_papers"} {
		var settings string
		must(t, db.QueryRow(`SELECT COALESCE(array_to_string(proconfig, ','), '') FROM pg_proc WHERE proname = ?`, fn).Scan(&settings))
		config := strings.Split(settings, ",")
		for _, want := range []string{"enable_seqscan=off", "enable_hashjoin=off", "enable_mergejoin=off", "jit=off"} {
			if !slices.Contains(config, want) {
				t.Errorf("function %s is planned without %s (its settings: %q)", fn, want, settings)
				break
			}
		}
	}
	writes := []struct {
		name    string
		orgWide bool
		stmts   []string
		args    []any
	}{
		{"agenda item added and removed", false, []string{
			`INSERT INTO agenda_items (id, meeting_id, number, position, title, created, modified) VALUES (999999, ?, 'Ö 9', 9, 'Neu', ?, ?)`,
			`UPDATE agenda_items SET title = 'Anders' WHERE id = 999999`,
			`DELETE FROM agenda_items WHERE id = 999999`}, []any{f.committee, stamp, stamp}},
		{"agenda item renamed", false, []string{`UPDATE agenda_items SET title = 'Anders' WHERE id = ?`}, []any{f.committeeItem}},
		{"meeting renamed", false, []string{`UPDATE meetings SET name = 'Anders' WHERE id = ?`}, []any{f.council}},
		{"paper renamed", false, []string{`UPDATE papers SET name = 'Anders' WHERE id = ?`}, []any{f.paper}},
		{"consultation added, moved and removed", false, []string{
			`INSERT INTO agenda_items (id, meeting_id, number, position, title, created, modified) VALUES (999998, ?, 'Ö 8', 8, 'Neu', ?, ?)`,
			`INSERT INTO agenda_items (id, meeting_id, number, position, title, created, modified) VALUES (999999, ?, 'Ö 9', 9, 'Neu', ?, ?)`,
			`INSERT INTO consultations (id, paper_id, agenda_item_id, created) VALUES (999999, ?, 999998, ?)`,
			`UPDATE consultations SET agenda_item_id = 999999 WHERE id = 999999`,
			`DELETE FROM consultations WHERE id = 999999`}, []any{f.council, stamp, stamp, f.committee, stamp, stamp, f.paper, stamp}},
		{"exclusion added, changed and lifted", false, []string{
			`INSERT INTO exclusions (agenda_item_id, person_id, reason, created) VALUES (?, ?, 'befangen', ?)`,
			`UPDATE exclusions SET reason = 'Art. 49' WHERE agenda_item_id = ?`,
			`DELETE FROM exclusions WHERE agenda_item_id = ?`}, []any{f.committeeItem, f.person, stamp, f.committeeItem, f.committeeItem}},
		{"deputy seated, changed and leaving", false, []string{
			`INSERT INTO meeting_deputies (meeting_id, person_id, for_person_id) VALUES (?, ?, ?)`,
			`UPDATE meeting_deputies SET for_person_id = for_person_id WHERE meeting_id = ?`,
			`DELETE FROM meeting_deputies WHERE meeting_id = ?`}, []any{f.council, f.person, f.person, f.council, f.council}},
		{"attachment and minutes added", false, []string{
			`INSERT INTO attachments (document_id, meeting_id, created, modified) VALUES (?, ?, ?, ?)`,
			`INSERT INTO minutes (meeting_id, document_id, state_changed_at, created, modified) VALUES (?, ?, ?, ?, ?)`},
			[]any{f.councilDoc, f.council, stamp, stamp, f.council, f.councilDoc, stamp, stamp, stamp}},
		{"membership added, changed and ended", true, []string{
			`INSERT INTO memberships (id, person_id, organization_id, created, modified) VALUES (999999, ?, ?, ?, ?)`,
			`UPDATE memberships SET role = 'Vorsitz' WHERE id = 999999`,
			`DELETE FROM memberships WHERE id = 999999`}, []any{f.person, f.org, stamp, stamp}},
		{"organization renamed", true, []string{`UPDATE organizations SET name = 'Planungsausschuss' WHERE id = ?`}, []any{f.org}},
	}
	measure := func() map[string]map[string]int64 {
		reads := map[string]map[string]int64{}
		for _, w := range writes {
			reads[w.name] = rowsRead(t, db, w.stmts, w.args)
			if w.orgWide {
				delete(reads[w.name], "meetings")
			}
		}
		return reads
	}
	small := measure()
	// A year of a city beside it: none of its rows is what the writes
	// above touch.
	_, err := scale.Generate(ctx, db, scale.Options{Years: 1, Seed: 3, Now: time.Now(), MeetingsPerYear: 120})
	must(t, err)
	_, err = db.ExecContext(ctx, `ANALYZE`)
	must(t, err)
	grown := measure()
	// The same rows, give or take an index entry of a row an earlier
	// write rolled back (or a plan that counts its pages differently); a
	// table read whole would add a year's rows, a thousand or more.
	const slack = 10
	for _, w := range writes {
		for table, n := range grown[w.name] {
			if n > small[w.name][table]+slack {
				t.Errorf("%s: read %d rows of %s, %d before a year was added beside it; want about the same (all: %v, before %v)",
					w.name, n, table, small[w.name][table], grown[w.name], small[w.name])
			}
		}
	}
}

// rowsRead runs stmts (their ?s take args in order) in a transaction it
// rolls back and returns the rows each watched table (its heap and its
// indexes) returned to the statements and their triggers. Outside the
// feed's functions, which bring their own settings, the transaction
// plans with indexes too: the foreign keys' checks on a table of a few
// rows would otherwise be planned as scans on the small database only.
func rowsRead(t *testing.T, db *sql.DB, stmts []string, args []any) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	must(t, err)
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`)
	must(t, err)
	read := func() map[string]int64 {
		rows, err := tx.QueryContext(ctx, `SELECT t.relname, pg_stat_get_xact_tuples_returned(t.oid)
			+ COALESCE((SELECT SUM(pg_stat_get_xact_tuples_returned(x.indexrelid)) FROM pg_index x WHERE x.indrelid = t.oid), 0)
			FROM pg_class t WHERE t.relkind = 'r' AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY (string_to_array(?, ','))`, strings.Join(watched, ","))
		must(t, err)
		defer rows.Close()
		n := map[string]int64{}
		for rows.Next() {
			var table string
			var read int64
			must(t, rows.Scan(&table, &read))
			n[table] = read
		}
		must(t, rows.Err())
		return n
	}
	before := read()
	for _, s := range stmts {
		k := strings.Count(s, "?")
		if _, err := tx.ExecContext(ctx, s, args[:k]...); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		args = args[k:]
	}
	diff := map[string]int64{}
	for table, n := range read() {
		if d := n - before[table]; d != 0 {
			diff[table] = d
		}
	}
	return diff
}
