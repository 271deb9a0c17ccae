// Command refused measures whether a refused id costs what a missing one
// costs: a restricted object must answer exactly like one that does not
// exist, in its bytes and in its time, or the response time counts hidden
// objects. It starts the demo council as a user would (the real binary,
// `serve --demo`), takes the ids of objects that exist but that a viewer
// may not see (drafts, embargoed meetings, non-public items, papers and
// files — for a citizen, and for clara, a member excluded from one
// non-public item) and ids that do not exist, and prints per route the
// median time of both, side by side, with their ratio (goal: at most
// 1.2x) and whether the answers are the same bytes.
//
//	go run ./bench/refused [-rounds 15] [-ids 30]
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/measure"
)

// route is one single-object route: its family (API, pages, OParl), its
// name, the query that lists the ids of every object it serves (one or
// two columns) and how an id becomes a path.
type route struct {
	family, name, ids string
	path              func(a, b int64) string
	oparl             bool // OParl reads as anonymous only
}

var routes = []route{
	{"API", "meeting", `SELECT id, 0 FROM meetings`, func(a, _ int64) string { return fmt.Sprintf("/api/v1/meetings/%d", a) }, false},
	{"API", "version file", `SELECT document_id, number FROM versions`, func(a, b int64) string { return fmt.Sprintf("/api/v1/documents/%d/versions/%d/file", a, b) }, false},
	{"pages", "meeting", `SELECT id, 0 FROM meetings`, func(a, _ int64) string { return fmt.Sprintf("/meetings/%d", a) }, false},
	{"pages", "paper", `SELECT id, 0 FROM papers`, func(a, _ int64) string { return fmt.Sprintf("/papers/%d", a) }, false},
	{"pages", "document", `SELECT id, 0 FROM documents`, func(a, _ int64) string { return fmt.Sprintf("/documents/%d", a) }, false},
	{"OParl", "meeting", `SELECT id, 0 FROM meetings`, func(a, _ int64) string { return fmt.Sprintf("/oparl/v1/meeting/%d", a) }, true},
	{"OParl", "agendaItem", `SELECT id, 0 FROM agenda_items`, func(a, _ int64) string { return fmt.Sprintf("/oparl/v1/agendaItem/%d", a) }, true},
	{"OParl", "paper", `SELECT id, 0 FROM papers`, func(a, _ int64) string { return fmt.Sprintf("/oparl/v1/paper/%d", a) }, true},
	{"OParl", "file", `SELECT id, 0 FROM attachments`, func(a, _ int64) string { return fmt.Sprintf("/oparl/v1/file/%d", a) }, true},
	{"OParl", "file access", `SELECT id, 0 FROM attachments`, func(a, _ int64) string { return fmt.Sprintf("/oparl/v1/file/%d/access", a) }, true},
}

// volatile is what differs between two answers for reasons other than the
// object: a signed-in page's CSRF token, a request id.
var volatile = regexp.MustCompile(`(csrf[-_]token"? (?:content|value)=")[^"]*|("request_id":")[^"]*|(Kennung:?\s*<[^>]*>)[^<]*`)

func main() {
	rounds := flag.Int("rounds", 15, "rounds over every id; each id is asked once a round, in a new random order")
	perRoute := flag.Int("ids", 30, "refused and missing ids per route and viewer")
	flag.Parse()
	ctx := context.Background()

	demo, err := measure.StartDemo(ctx)
	check(err)
	defer demo.Stop()
	accounts, db, c := demo.Accounts, demo.DB, demo.Client

	viewers := []struct{ name, token string }{{"citizen", ""}, {"clara (excluded)", accounts["clara"].Token}}
	fmt.Printf("refused vs missing ids, demo council, loopback, %d cores, %d rounds, median time to last byte\n\n", runtime.NumCPU(), *rounds)
	fmt.Printf("%-6s %-13s %-17s %8s %12s %12s %7s %s\n", "family", "route", "viewer", "refused", "missing", "refused", "ratio", "same answer")
	worst := 0.0
	for _, rt := range routes {
		ids := objectIDs(db, rt)
		for _, v := range viewers {
			if rt.oparl && v.token != "" {
				continue
			}
			refused := refusedPaths(c, rt, ids, v.token, *perRoute)
			if len(refused) == 0 {
				fmt.Printf("%-6s %-13s %-17s %8s\n", rt.family, rt.name, v.name, "none")
				continue
			}
			missing := missingPaths(rt, ids, len(refused))
			same := sameAnswer(c, refused[0], missing[0], v.token)
			tRef, tMiss := timeBoth(c, refused, missing, v.token, *rounds)
			ratio := float64(tRef) / float64(tMiss)
			worst = max(worst, ratio)
			fmt.Printf("%-6s %-13s %-17s %8d %12s %12s %6.2fx %v\n", rt.family, rt.name, v.name, len(refused), measure.Ms(tMiss), measure.Ms(tRef), ratio, same)
		}
	}
	fmt.Printf("\nworst ratio %.2fx (goal: at most 1.20x)\n", worst)
}

// objectIDs lists the ids of every object rt serves, as staff would see
// them: read from the database, so that nothing the policy hides is
// missed.
func objectIDs(db *sql.DB, rt route) [][2]int64 {
	rows, err := db.Query(rt.ids)
	check(err)
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var a, b int64
		check(rows.Scan(&a, &b))
		out = append(out, [2]int64{a, b})
	}
	check(rows.Err())
	return out
}

// refusedPaths returns up to n paths of objects that exist but answer 404
// to the viewer, spread over the ids.
func refusedPaths(c *measure.Client, rt route, ids [][2]int64, token string, n int) []string {
	var all []string
	for _, id := range ids {
		p := rt.path(id[0], id[1])
		status, _, _, err := c.Get(p, token)
		check(err)
		if status == 404 {
			all = append(all, p)
		}
	}
	if len(all) <= n {
		return all
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, all[i*len(all)/n])
	}
	return out
}

// missingPaths returns n paths of ids beyond the largest that exists.
func missingPaths(rt route, ids [][2]int64, n int) []string {
	var top int64
	for _, id := range ids {
		top = max(top, id[0])
	}
	out := make([]string, n)
	for i := range out {
		out[i] = rt.path(top+100+int64(i)*7, 1)
	}
	return out
}

// sameAnswer reports whether a refused and a missing path answer with the
// same status and the same bytes, but for per-request tokens.
func sameAnswer(c *measure.Client, refused, missing, token string) bool {
	s1, b1, _, err := c.Get(refused, token)
	check(err)
	s2, b2, _, err := c.Get(missing, token)
	check(err)
	strip := func(b []byte) string { return string(volatile.ReplaceAll(b, []byte("$1$2$3"))) }
	return s1 == s2 && strip(b1) == strip(b2)
}

// timeBoth asks every refused and missing path once per round, all in
// one shuffled order (so that a slow moment of a shared machine hits both
// alike), after one round of warm-up, and returns both medians.
func timeBoth(c *measure.Client, refused, missing []string, token string, rounds int) (time.Duration, time.Duration) {
	type req struct {
		path    string
		refused bool
	}
	var all []req
	for _, p := range refused {
		all = append(all, req{p, true})
	}
	for _, p := range missing {
		all = append(all, req{p, false})
	}
	var tRef, tMiss []time.Duration
	for r := 0; r <= rounds; r++ {
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, q := range all {
			status, _, d, err := c.Get(q.path, token)
			check(err)
			if status != 404 {
				check(fmt.Errorf("%s answered %d, not 404", q.path, status))
			}
			if r == 0 {
				continue // warm-up
			}
			if q.refused {
				tRef = append(tRef, d)
			} else {
				tMiss = append(tMiss, d)
			}
		}
	}
	return measure.Median(tRef), measure.Median(tMiss)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "refused:", err)
		os.Exit(1)
	}
}
