// Command scale measures whether a list costs one page, not the whole
// list: it starts the demo council as a user would (the real binary,
// `serve --demo`), times the first page of every list route — portal,
// JSON API, office and OParl, as a citizen, a member and the office — then
// grows the council to 50 times its size and times them again. Per route
// it prints the cold time (the first request after a publication, which
// empties the portal's cache) and the warm time (the median of the
// requests after it), at 1x and at 50x — the fastest sample and the
// median — and the factor between the fastest ones (on a shared machine
// the median of a few samples swings by several times with the other
// processes' load; the fastest is the route's own cost). Each
// is timed once the server's background work after the publication is
// done (see settle): the search indexer's re-indexing of the meeting's
// documents would otherwise share the cores with the request timed
// (goals: OParl pages cold at most 100 ms at 50x; no route slower by more
// than 2x).
//
// The council grows by direct inserts into the server's SQLite file while
// it runs (the API would take many minutes on a shared machine): every
// meeting with its agenda items, exclusions, papers and consultations is
// copied 49 times, each copy a week earlier than the one before, with the
// same publication state. Documents and their attachments are not copied
// (no new PDFs), so file lists do not grow.
//
//	go run ./bench/scale [-factor 50] [-warm 10] [-cold 2] [-routes calendar]
//
// -routes times only the routes whose name contains one of its
// comma-separated words (case-insensitive), e.g. "calendar" or
// "oparl,api": one route at 1x and 50x takes a minute or two, all of them
// about seven. With -warm 300 or more, the server's CPU time per warm
// request (printed after the table) compares the sizes even when other
// processes load the machine.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/measure"
)

type target struct {
	name, path, who string
}

// timing is a route's cold and warm time: the median of the samples and
// the fastest one.
type timing struct{ cold, warm, coldMin, warmMin time.Duration }

// serverCPU is the server process's CPU time per warm request: what the
// other processes of a shared machine can hardly change (in ticks of
// 10 ms, so it takes a few hundred warm requests to mean something).
var serverCPU = map[string][2]time.Duration{}

func main() {
	factor := flag.Int("factor", 50, "how many times the demo council grows")
	warmN := flag.Int("warm", 10, "warm requests per route (median)")
	coldN := flag.Int("cold", 2, "cold requests per route, each after a publication (median)")
	routes := flag.String("routes", "", "time only the routes whose name contains one of these comma-separated words (default: all)")
	flag.Parse()
	*warmN, *coldN = max(*warmN, 1), max(*coldN, 1)
	ctx := context.Background()

	demo, err := measure.StartDemo(ctx)
	check(err)
	defer demo.Stop()
	db, c := demo.DB, demo.Client
	tokens := map[string]string{"citizen": "", "member": demo.Accounts["anna"].Token, "office": demo.Accounts["ratsbuero"].Token}

	targets := selectTargets(listTargets(c), *routes)
	if len(targets) == 0 {
		check(fmt.Errorf("no route matches -routes %q", *routes))
	}
	publish := republisher(c, tokens["office"])
	pub := func() { publish(); settle(db, demo.Pid()) }
	settle(db, demo.Pid())
	before := map[string]timing{}
	counts := func() string {
		var m, i, p int
		db.QueryRow(`SELECT (SELECT COUNT(*) FROM meetings), (SELECT COUNT(*) FROM agenda_items), (SELECT COUNT(*) FROM papers)`).Scan(&m, &i, &p)
		return fmt.Sprintf("%d meetings, %d agenda items, %d papers", m, i, p)
	}
	fmt.Printf("list routes, demo council, loopback, %d cores; cold: first request after a publication (%d samples), warm: the requests after it (%d), in ms\n\n", runtime.NumCPU(), *coldN, *warmN)
	fmt.Println("1x:", counts())
	// One request to every route first: the first request a fresh process
	// serves (templates, SQLite's page cache) is not what "cold" means here.
	for _, t := range targets {
		c.Get(t.path, tokens[t.who])
	}
	for _, t := range targets {
		before[t.name] = measureRoute(c, t, tokens[t.who], pub, *coldN, *warmN, demo.Pid(), 0)
	}
	start := time.Now()
	check(grow(ctx, db, *factor))
	grown := time.Since(start)
	settle(db, demo.Pid())
	fmt.Printf("%dx: %s (grown in %v by direct inserts; search index caught up after %v)\n\n", *factor, counts(), grown.Round(time.Second), (time.Since(start) - grown).Round(time.Second))

	fmt.Printf("%-34s %-8s %17s %17s %6s %15s %15s %6s\n", "route (first page)", "viewer", "cold 1x", fmt.Sprintf("cold %dx", *factor), "×",
		"warm 1x", fmt.Sprintf("warm %dx", *factor), "×")
	var worst, worstMedian float64
	var worstName, worstMedianName string
	oparlCold, oparlColdMin := time.Duration(0), time.Duration(0)
	growth := func(a, b time.Duration) float64 { return float64(b) / float64(a) }
	for _, t := range targets {
		a := before[t.name]
		b := measureRoute(c, t, tokens[t.who], pub, *coldN, *warmN, demo.Pid(), 1)
		fc, fw := growth(a.coldMin, b.coldMin), growth(a.warmMin, b.warmMin)
		for _, f := range []float64{fc, fw} {
			if f > worst {
				worst, worstName = f, t.name
			}
		}
		for _, f := range []float64{growth(a.cold, b.cold), growth(a.warm, b.warm)} {
			if f > worstMedian {
				worstMedian, worstMedianName = f, t.name
			}
		}
		if strings.HasPrefix(t.name, "OParl") {
			oparlCold, oparlColdMin = max(oparlCold, b.cold), max(oparlColdMin, b.coldMin)
		}
		fmt.Printf("%-34s %-8s %17s %17s %5.1fx %15s %15s %5.1fx\n", t.name, t.who, pair(a.coldMin, a.cold), pair(b.coldMin, b.cold), fc,
			pair(a.warmMin, a.warm), pair(b.warmMin, b.warm), fw)
	}
	fmt.Printf("\n(fastest / median of the samples; × compares the fastest, which other processes on a shared machine can only slow down)\n")
	for _, t := range targets {
		if cpu := serverCPU[t.name]; cpu[0] > 0 {
			fmt.Printf("server CPU per warm request, %s: %s at 1x, %s at %dx (%.1fx)\n", t.name, cpu[0].Round(time.Microsecond), cpu[1].Round(time.Microsecond), *factor, growth(cpu[0], cpu[1]))
		}
	}
	fmt.Printf("slowest OParl page cold at %dx: %s median, %s fastest (goal: at most 100 ms)\n", *factor, measure.Ms(oparlCold), measure.Ms(oparlColdMin))
	fmt.Printf("largest growth 1x → %dx: %.1fx, %s (goal: at most 2x); of the medians: %.1fx, %s\n", *factor, worst, worstName, worstMedian, worstMedianName)
}

// pair prints the fastest and the median time, in ms.
func pair(fastest, median time.Duration) string {
	return fmt.Sprintf("%.2f / %.2f", float64(fastest)/float64(time.Millisecond), float64(median)/float64(time.Millisecond))
}

// listTargets are the first pages of every list route; the OParl lists are
// found by following the body's links, as a harvester does.
func listTargets(c *measure.Client) []target {
	ts := []target{
		{"start page", "/", "citizen"},
		{"meetings page", "/meetings", "citizen"},
		{"meetings page", "/meetings", "member"},
		{"committee page", "/organizations/2", "citizen"},
		{"API meetings", "/api/v1/meetings", "citizen"},
		{"API meetings", "/api/v1/meetings", "member"},
		{"API meetings", "/api/v1/meetings", "office"},
		{"office", "/office", "office"},
		{"office calendar", "/office/calendar", "office"},
	}
	for i := range ts {
		ts[i].name = ts[i].name + " (" + ts[i].who + ")"
	}
	status, b, _, err := c.Get("/oparl/v1/body", "")
	check(err)
	if status != 200 {
		check(fmt.Errorf("/oparl/v1/body: %d", status))
	}
	var bodies struct{ Data []map[string]any }
	check(json.Unmarshal(b, &bodies))
	if len(bodies.Data) == 0 {
		check(fmt.Errorf("no OParl body"))
	}
	for _, key := range []string{"organization", "person", "meeting", "paper", "agendaItem", "consultation", "file", "membership", "locationList"} {
		if u, ok := bodies.Data[0][key].(string); ok {
			ts = append(ts, target{"OParl " + key, strings.TrimPrefix(u, c.Base), "citizen"})
		}
	}
	return ts
}

// selectTargets keeps the targets whose name contains one of the
// comma-separated words of routes, case-insensitive; all if routes is
// empty.
func selectTargets(ts []target, routes string) []target {
	if strings.TrimSpace(routes) == "" {
		return ts
	}
	var out []target
	for _, t := range ts {
		for _, w := range strings.Split(routes, ",") {
			if w = strings.TrimSpace(w); w != "" && strings.Contains(strings.ToLower(t.name), strings.ToLower(w)) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// republisher returns a function that makes a real publication through the
// API — the office publishes a published meeting again at its own
// publication time, which changes nothing anyone sees but is a
// publication all the same (the portal's cache starts over).
func republisher(c *measure.Client, office string) func() {
	status, b, _, err := c.Get("/api/v1/meetings?limit=1", "")
	check(err)
	var ms struct {
		Data []struct {
			ID        int64
			Published time.Time
		}
	}
	check(json.Unmarshal(b, &ms))
	if status != 200 || len(ms.Data) == 0 {
		check(fmt.Errorf("no published meeting (%d)", status))
	}
	m := ms.Data[0]
	body := fmt.Sprintf(`{"at": %q}`, m.Published.Format(time.RFC3339Nano))
	return func() {
		req, err := newPost(c.Base+fmt.Sprintf("/api/v1/meetings/%d/publish", m.ID), office, body)
		check(err)
		resp, err := c.HTTP.Do(req)
		check(err)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			check(fmt.Errorf("publish: %d", resp.StatusCode))
		}
	}
}

// settle waits, up to three minutes, until the server's background work
// after a change is done, so that a measurement does not share the cores
// with it: the search indexer has applied every due row of its outbox,
// every consumer of the changes feed (the indexer, the members' notices)
// has read it to the end, and then the server process itself rests (less
// than a tick of CPU in 200 ms: the index's own merging after a batch).
func settle(db *sql.DB, pid int) {
	deadline := time.Now().Add(3 * time.Minute)
	for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var n int
		if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM search_outbox WHERE due <= ?)
			+ (SELECT COUNT(*) FROM changes_cursors WHERE seq < (SELECT COALESCE(MAX(seq), 0) FROM changes))`,
			time.Now().UnixMilli()).Scan(&n); err != nil || n == 0 {
			break
		}
	}
	last, err := measure.CPU(pid)
	for err == nil && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		var now time.Duration
		if now, err = measure.CPU(pid); now-last <= 10*time.Millisecond {
			return
		}
		last = now
	}
}

// measureRoute times t cold (after a publication) and warm, and notes the
// server's (pid's) CPU time per warm request in serverCPU[t.name][size].
func measureRoute(c *measure.Client, t target, token string, publish func(), coldN, warmN, pid, size int) timing {
	get := func() time.Duration {
		status, _, d, err := c.Get(t.path, token)
		check(err)
		if status != 200 {
			check(fmt.Errorf("%s as %s: %d", t.path, t.who, status))
		}
		return d
	}
	var cold, warm []time.Duration
	for i := 0; i < coldN; i++ {
		publish()
		cold = append(cold, get())
	}
	if measure.Median(cold) > 5*time.Second {
		warmN = min(warmN, 2) // a route that slow is not measured for minutes
	}
	cpu, err := measure.CPU(pid)
	for i := 0; i < warmN; i++ {
		warm = append(warm, get())
	}
	if after, e := measure.CPU(pid); err == nil && e == nil {
		v := serverCPU[t.name]
		v[size] = (after - cpu) / time.Duration(warmN)
		serverCPU[t.name] = v
	}
	mc, mw := measure.Median(cold), measure.Median(warm) // sorts them
	return timing{cold: mc, warm: mw, coldMin: cold[0], warmMin: warm[0]}
}

// grow copies every meeting with its agenda, exclusions, papers and
// consultations factor-1 times, copy k shifted k weeks back, in one
// transaction.
func grow(ctx context.Context, db *sql.DB, factor int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	type row = []any
	read := func(q string, n int) ([]row, error) {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			r := make(row, n)
			ptrs := make([]any, n)
			for i := range r {
				ptrs[i] = &r[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	meetings, err := read(`SELECT id, organization_id, name, start, end, location, state, published_at, created, modified FROM meetings`, 10)
	if err != nil {
		return err
	}
	items, err := read(`SELECT id, meeting_id, number, position, public, title, public_title, result, resolution, late_at, withdrawn_at, created, modified FROM agenda_items`, 13)
	if err != nil {
		return err
	}
	papers, err := read(`SELECT id, body_id, reference, name, paper_type, date, originator, published_at, created, modified FROM papers`, 10)
	if err != nil {
		return err
	}
	consultations, err := read(`SELECT paper_id, agenda_item_id, role, authoritative, created FROM consultations`, 5)
	if err != nil {
		return err
	}
	exclusions, err := read(`SELECT agenda_item_id, person_id, reason, created FROM exclusions`, 4)
	if err != nil {
		return err
	}
	insMeeting, _ := tx.PrepareContext(ctx, `INSERT INTO meetings (organization_id, name, start, end, location, state, published_at, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	insItem, _ := tx.PrepareContext(ctx, `INSERT INTO agenda_items (meeting_id, number, position, public, title, public_title, result, resolution, late_at, withdrawn_at, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	insPaper, _ := tx.PrepareContext(ctx, `INSERT INTO papers (body_id, reference, name, paper_type, date, originator, published_at, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	// Consultations get their ids from the store, past every removed
	// one's (sessions.Store.Consult), not from the table: on PostgreSQL
	// a sequence would not know them. The copies continue from there.
	var consID int64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM consultations
		UNION ALL SELECT MAX(id) FROM consultation_tombstones UNION ALL SELECT 0) AS ids`).Scan(&consID); err != nil {
		return err
	}
	insCons, _ := tx.PrepareContext(ctx, `INSERT INTO consultations (id, paper_id, agenda_item_id, role, authoritative, created) VALUES (?, ?, ?, ?, ?, ?)`)
	insExcl, err := tx.PrepareContext(ctx, `INSERT INTO exclusions (agenda_item_id, person_id, reason, created) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	for k := 1; k < factor; k++ {
		shift := func(v any) any {
			s, ok := v.(string)
			if !ok || s == "" {
				return v
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return v
			}
			return t.AddDate(0, 0, -7*k).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
		}
		newMeeting, newItem, newPaper := map[int64]int64{}, map[int64]int64{}, map[int64]int64{}
		for _, m := range meetings {
			res, err := insMeeting.ExecContext(ctx, m[1], fmt.Sprintf("%s (%d)", m[2], k), shift(m[3]), shift(m[4]), m[5], m[6], shift(m[7]), m[8], m[9])
			if err != nil {
				return fmt.Errorf("meeting: %w", err)
			}
			newMeeting[m[0].(int64)], _ = res.LastInsertId()
		}
		for _, it := range items {
			res, err := insItem.ExecContext(ctx, newMeeting[it[1].(int64)], it[2], it[3], it[4], it[5], it[6], it[7], it[8], shift(it[9]), shift(it[10]), it[11], it[12])
			if err != nil {
				return fmt.Errorf("agenda item: %w", err)
			}
			newItem[it[0].(int64)], _ = res.LastInsertId()
		}
		for _, p := range papers {
			res, err := insPaper.ExecContext(ctx, p[1], fmt.Sprintf("%s-%d", p[2], k), p[3], p[4], p[5], p[6], shift(p[7]), p[8], p[9])
			if err != nil {
				return fmt.Errorf("paper: %w", err)
			}
			newPaper[p[0].(int64)], _ = res.LastInsertId()
		}
		for _, c := range consultations {
			consID++
			if _, err := insCons.ExecContext(ctx, consID, newPaper[c[0].(int64)], newItem[c[1].(int64)], c[2], c[3], c[4]); err != nil {
				return fmt.Errorf("consultation: %w", err)
			}
		}
		for _, e := range exclusions {
			if _, err := insExcl.ExecContext(ctx, newItem[e[0].(int64)], e[1], e[2], e[3]); err != nil {
				return fmt.Errorf("exclusion: %w", err)
			}
		}
	}
	return tx.Commit()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func newPost(url, token, body string) (*http.Request, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
