// Command munich measures what users feel at Munich scale (issue 15,
// point 6): for each database and each size it creates the data with the
// CLI as an operator would (`ratsmappe demo --scale N --json`), prints the
// time and the database's size, times `reindex` (server stopped), starts
// `serve`, waits until /readyz says the search index is ready and until
// the server's own work has stopped (its workers reading the generated
// changes feed: -quiet-wait), and loads at 32 concurrent clients: a
// signed-in member's meeting list and meeting page, citizen pages past the public cache (a unique query parameter per
// request, checked by X-Cache: miss), OParl's paper list at page 1 and deep
// in its pagination, search at 1 and 32 clients; then times `backup`.
// It prints one table per database with the figures per size, the growth
// between the first and the last size, and the goals.
//
//	go run ./bench/munich [-db sqlite,postgres] [-sizes 0,1] [-keep DIR] [-postgres URL] [-duration 3s] [-warmup 1s] [-deep 50] [-gen-timeout 10m] [-reindex-timeout 30m] [-quiet-wait 30m]
//
// Size 0 is the plain demo council; N adds N years of a large city
// (3,000 meetings a year). When generating a size takes longer than
// -gen-timeout, that database stops there and says so. When `reindex`
// takes longer than -reindex-timeout, or the served index still lags
// after -search-wait, the search rows of that size say so and the other
// rows are measured all the same: at ten years the index of 1.6 million
// pages does not finish on two cores in any time a benchmark can wait,
// while members' and citizens' pages must be measured there. Without a
// finished index the server runs with a search backend that does not
// answer (an unreachable Meilisearch), so that no rebuild of the embedded
// index competes with the loads. A request target the server does not
// answer within -duration shows "none within …".
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/measure"
	"github.com/ratsmappe/ratsmappe/bench/internal/queries"
	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

var (
	duration   = flag.Duration("duration", 3*time.Second, "how long each target is loaded")
	conc       = flag.Int("concurrency", 32, "concurrent clients")
	deep       = flag.Int("deep", 50, "follow OParl's links.next this many times (or as far as the list goes) for the deep page")
	genTimeout = flag.Duration("gen-timeout", 10*time.Minute, "give up generating a size after this long and stop that database there")
	reindexTO  = flag.Duration("reindex-timeout", 30*time.Minute, "stop `reindex` after this long; the search rows then say so and the other rows are measured without an index")
	keep       = flag.String("keep", "", "keep each size's generated data directory in this directory and reuse it on the next run (the generation time printed is then the first run's); for a ten-year run, whose generation takes 20 minutes, measured again after a change. On PostgreSQL only with -postgres, whose server then keeps the database munich_keep_N")
	pgServer   = flag.String("postgres", "", "an existing PostgreSQL server's URL (a user that may create databases) to generate in, instead of a throwaway cluster started like the tests'; with -keep its databases munich_keep_N are kept and reused")
	searchWait = flag.Duration("search-wait", 10*time.Minute, "wait this long at most for the served index to catch up (search_lag 0); then the search rows say so")
	warmup     = flag.Duration("warmup", time.Second, "before each target's -duration, load it this long without counting its answers (their slowest is printed as \"first\": the cold first wave after the server's start)")
	quietWait  = flag.Duration("quiet-wait", 30*time.Minute, "before the loads, wait this long at most until the server's own work stops (under 5 % of a core for 5 s: the workers catching up on the generated changes feed); 0 loads at once")
)

// unreachableMeili is a search backend that refuses connections (the
// discard port), for a server whose index could not be built: it answers
// searches "unavailable" and rebuilds nothing under the loads.
const unreachableMeili = "http://127.0.0.1:9"

func main() {
	dbs := flag.String("db", "sqlite,postgres", "databases, comma-separated: sqlite, postgres")
	sizesFlag := flag.String("sizes", "0,1", "sizes, comma-separated: 0 = the demo council, N = demo --scale N (years of a large city)")
	flag.Parse()
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			check(fmt.Errorf("-sizes: %q is not a size", s))
		}
		sizes = append(sizes, n)
	}
	dir, err := os.MkdirTemp("", "bench-munich-")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ratsmappe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ratsmappe")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())

	for _, db := range strings.Split(*dbs, ",") {
		db = strings.TrimSpace(db)
		if db != "sqlite" && db != "postgres" {
			check(fmt.Errorf("-db: %q is neither sqlite nor postgres", db))
		}
		var cols []*column
		stopped := ""
		for _, n := range sizes {
			c, err := runSize(bin, dir, db, n)
			if err != nil {
				stopped = fmt.Sprintf("stopped at size %d: %v", n, err)
				fmt.Fprintln(os.Stderr, db+": "+stopped)
				break
			}
			cols = append(cols, c)
		}
		printTable(db, cols, stopped)
	}
	pgtest.Stop()
}

// column is what one size measured on one database.
type column struct {
	size               int
	meetings, papers   int
	gen, reindex, back time.Duration
	dbBytes            int64
	load               [2]string // load average before and after the loads
	res                map[string]result
	notes              map[string]string // why a row was not measured, by key
	reindexStopped     bool
	deepPage           int
	quiet              time.Duration // how long the server worked on its own before the loads
	quietStopped       bool          // still working after -quiet-wait
}

// note marks the rows of keys as not measured, for why.
func (c *column) note(why string, keys ...string) {
	for _, k := range keys {
		c.notes[k] = why
	}
}

// row names a measured target; goal says what it must reach.
type row struct {
	key, name string
	goal      func(r result, c *column) bool
	goalText  string
}

var rows = []row{
	{"m-api", "member: /api/v1/meetings", p99Under(50), "p99 ≤ 50 ms"},
	{"m-html", "member: /meetings (HTML)", p99Under(50), "p99 ≤ 50 ms"},
	{"m-meeting", "member: meeting page", p99Under(50), "p99 ≤ 50 ms"},
	{"c-home", "citizen, uncached: start page", p99Under(50), "p99 ≤ 50 ms"},
	{"c-meetings", "citizen, uncached: /meetings", p99Under(50), "p99 ≤ 50 ms"},
	{"c-meeting", "citizen, uncached: meeting page", p99Under(50), "p99 ≤ 50 ms"},
	{"c-paper", "citizen, uncached: paper page", p99Under(50), "p99 ≤ 50 ms"},
	{"c-document", "citizen, uncached: document page", p99Under(50), "p99 ≤ 50 ms"},
	{"o-page1", "OParl papers, page 1, uncached", nil, ""},
	{"o-deep", "OParl papers, deep page, uncached", deepLikePage1, "p50 ≤ 1.5 × page 1"},
	{"s-1", "search, 1 client", nil, ""},
	{"s-32", "search, 32 clients", p99Under(20), "p99 ≤ 20 ms"},
}

func p99Under(ms int) func(result, *column) bool {
	return func(r result, _ *column) bool {
		return r.Errors == 0 && r.N > 0 && r.P99 <= time.Duration(ms)*time.Millisecond
	}
}

func deepLikePage1(r result, c *column) bool {
	p1 := c.res["o-page1"]
	return r.Errors == 0 && r.N > 0 && float64(r.P50) <= 1.5*float64(p1.P50)
}

// demoOut is what `demo --json` prints that the benchmark needs.
type demoOut struct {
	Accounts []struct {
		Name, Role, Token string
	}
	Scale *struct{ Meetings, Papers int }
}

// runSize creates size n on db, measures it and removes it.
func runSize(bin, dir, db string, n int) (*column, error) {
	c := &column{size: n, res: map[string]result{}, notes: map[string]string{}}
	data := filepath.Join(dir, fmt.Sprintf("%s-%d", db, n))
	kept := ""
	if *keep != "" && (db == "sqlite" || *pgServer != "") {
		data = filepath.Join(*keep, fmt.Sprintf("%s-%d", db, n))
		kept = filepath.Join(*keep, fmt.Sprintf("%s-%d.json", db, n))
	} else {
		defer os.RemoveAll(data)
	}
	env := append(os.Environ(), "RATSMAPPE_DATA="+data)
	var dbURL string
	if db == "postgres" {
		var (
			u    string
			drop func() error
			err  error
		)
		switch {
		case *pgServer == "":
			u, drop, err = measure.PostgresDatabase()
		case kept != "":
			u, err = keptDatabase(*pgServer, fmt.Sprintf("munich_keep_%d", n), kept)
			drop = func() error { return nil }
		default:
			u, drop, err = serverDatabase(*pgServer, fmt.Sprintf("munich_%d_%d", n, os.Getpid()))
		}
		if err != nil {
			return nil, err
		}
		defer drop()
		dbURL = u
		env = append(env, "RATSMAPPE_DATABASE_URL="+u)
	}
	var (
		out []byte
		err error
	)
	if b, err := os.ReadFile(kept); err == nil && kept != "" {
		// A kept size: its data directory and demo --json from an
		// earlier run, with how long the generation took then.
		var k keptRun
		if err := json.Unmarshal(b, &k); err != nil {
			return nil, fmt.Errorf("%s: %w", kept, err)
		}
		out, c.gen = k.Demo, k.Gen
		fmt.Fprintf(os.Stderr, "%s, size %d: reusing %s (generated in %v then)\n", db, n, data, c.gen.Round(time.Second))
	} else {
		os.RemoveAll(data)
		fmt.Fprintf(os.Stderr, "%s, size %d: generating (load %s) …\n", db, n, loadavg())
		args := []string{"demo", "--json"}
		if n > 0 {
			args = append(args, "--scale", strconv.Itoa(n))
		}
		o, d, err := run(bin, env, *genTimeout, args...)
		if err != nil {
			return nil, fmt.Errorf("generating: %w", err)
		}
		out, c.gen = o, d
		if kept != "" {
			b, _ := json.Marshal(keptRun{Demo: o, Gen: d})
			if err := os.WriteFile(kept, b, 0o600); err != nil {
				return nil, err
			}
		}
	}
	var demo demoOut
	if err := json.Unmarshal(out, &demo); err != nil {
		return nil, fmt.Errorf("demo --json: %w", err)
	}
	if demo.Scale != nil {
		c.meetings, c.papers = demo.Scale.Meetings, demo.Scale.Papers
	}
	token := ""
	for _, a := range demo.Accounts {
		if a.Role == "member" && a.Token != "" {
			token = a.Token
			break
		}
	}
	if token == "" {
		return nil, errors.New("demo --json names no member with a token")
	}
	if c.dbBytes, err = dbSize(data, dbURL); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "  generated in %v, %d MB; reindexing (at most %v) …\n", c.gen.Round(time.Second), c.dbBytes>>20, *reindexTO)
	_, c.reindex, err = run(bin, env, *reindexTO, "reindex")
	switch {
	case errors.Is(err, errTimeout):
		c.reindexStopped = true
		c.note(fmt.Sprintf("stopped: reindex > %v", *reindexTO), "s-1", "s-32")
		fmt.Fprintf(os.Stderr, "  reindex stopped after %v; serving without a search index …\n", *reindexTO)
	case err != nil:
		return nil, fmt.Errorf("reindex: %w", err)
	default:
		fmt.Fprintf(os.Stderr, "  reindexed in %v; serving …\n", c.reindex.Round(time.Millisecond))
	}
	srv, base, lag, err := serve(bin, env, !c.reindexStopped)
	if err != nil {
		return nil, err
	}
	if lag != "" {
		c.note(fmt.Sprintf("stopped: search lag %s > %v", lag, *searchWait), "s-1", "s-32")
	}
	defer stop(srv)
	// A generated city's changes feed is unread: the notices worker
	// reads all of it after the start (at ten years 4 million rows, a
	// quarter to half a core for many minutes), which a running city's
	// server has long done. Loads measured meanwhile measure that too.
	if *quietWait > 0 {
		fmt.Fprintf(os.Stderr, "  waiting for the server's own work to stop (at most %v) …\n", *quietWait)
		c.quiet, c.quietStopped = waitQuiet(srv.Process.Pid, *quietWait)
	}
	c.load[0] = loadavg()
	if err := measureAll(c, base, token); err != nil {
		return nil, err
	}
	c.load[1] = loadavg()
	// An operator's nightly backup runs beside the server.
	if _, c.back, err = run(bin, env, 30*time.Minute, "backup", filepath.Join(data+"-backup")); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	os.RemoveAll(data + "-backup")
	return c, nil
}

// waitQuiet waits until process pid uses less than 5 % of a core for 5 s,
// at most max, and returns how long that took and whether max ran out.
func waitQuiet(pid int, max time.Duration) (time.Duration, bool) {
	const window = 5 * time.Second
	start := time.Now()
	for {
		c0, err := measure.CPU(pid)
		if err != nil {
			return time.Since(start), false
		}
		time.Sleep(window)
		c1, err := measure.CPU(pid)
		if err != nil || c1-c0 < window/20 {
			return time.Since(start), false
		}
		if time.Since(start) > max {
			return time.Since(start), true
		}
	}
}

// keptDatabase returns the URL of database name on the server at admin,
// created empty unless the kept run's record exists (it is then the
// database that run generated).
func keptDatabase(admin, name, kept string) (string, error) {
	u, err := withDatabase(admin, name)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(kept); err == nil {
		return u, nil
	}
	return u, adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)", "CREATE DATABASE "+name)
}

// serverDatabase creates database name on the server at admin and
// returns its URL and how to drop it.
func serverDatabase(admin, name string) (string, func() error, error) {
	u, err := withDatabase(admin, name)
	if err != nil {
		return "", nil, err
	}
	if err := adminExec(admin, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	return u, func() error {
		return adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}, nil
}

// withDatabase is the server URL u with database name.
func withDatabase(u, name string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("-postgres: %w", err)
	}
	p.Path = "/" + name
	return p.String(), nil
}

// adminExec runs statements on the server at admin, one by one.
func adminExec(admin string, stmts ...string) error {
	ctx := context.Background()
	db, err := postgres.Open(ctx, admin)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// keptRun is what -keep records of a generated size beside its data.
type keptRun struct {
	Demo json.RawMessage `json:"demo"`
	Gen  time.Duration   `json:"gen"`
}

// errTimeout is run's error for a command it stopped at its timeout.
var errTimeout = errors.New("not done in time")

// run runs the binary with env and returns its stdout and how long it took.
func run(bin string, env []string, timeout time.Duration, args ...string) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if ctx.Err() != nil {
		return nil, d, fmt.Errorf("%s: %w: %v", args[0], errTimeout, timeout)
	}
	if err != nil {
		return nil, d, fmt.Errorf("%s: %w: %s", args[0], err, lastLines(errb.String()))
	}
	return out.Bytes(), d, nil
}

func lastLines(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}

// dbSize is the SQLite file's size (with its WAL) or pg_database_size.
func dbSize(data, dbURL string) (int64, error) {
	if dbURL == "" {
		var n int64
		for _, f := range []string{"ratsmappe.db", "ratsmappe.db-wal"} {
			if st, err := os.Stat(filepath.Join(data, f)); err == nil {
				n += st.Size()
			}
		}
		return n, nil
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n.Int64, err
}

// serve starts `serve` and waits until /readyz reports it ready and, with
// withIndex, the search index ready with nothing to catch up — for
// -search-wait at most; lag is then the lag it last reported. Without
// an index the server gets a search backend that does not answer.
func serve(bin string, env []string, withIndex bool) (cmd *exec.Cmd, base, lag string, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", "", err
	}
	addr := l.Addr().String()
	l.Close()
	// --search-cache 0: search is measured uncached (issue 15), every
	// query the index's own work; the 300 queries fit the result cache.
	args := []string{"serve", "--addr", addr, "--log-level", "error", "--search-cache", "0"}
	if !withIndex {
		args = append(args, "--meili-url", unreachableMeili)
	}
	cmd = exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", "", err
	}
	base = "http://" + addr
	started := time.Now()
	lag = "?"
	for deadline := started.Add(*searchWait); ; time.Sleep(250 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			if time.Since(started) > 10*time.Minute {
				stop(cmd)
				return nil, "", "", errors.New("serve: not answering within 10 min")
			}
			continue
		}
		var st map[string]string
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			continue
		}
		if !withIndex || st["search"] == "ok" && st["search_lag"] == "0" {
			return cmd, base, "", nil
		}
		if st["search_lag"] != "" {
			lag = st["search_lag"]
		}
		if time.Now().After(deadline) {
			return cmd, base, lag, nil
		}
	}
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

var client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}

// measureAll finds the targets on the server at base and loads them.
func measureAll(c *column, base, token string) error {
	// A meeting the member sees, from the middle of their list. A list
	// that does not come within the client's minute leaves the member's
	// rows unmeasured; the others are measured all the same.
	var meetings struct{ Data []struct{ ID int64 } }
	if err := getJSON(base+"/api/v1/meetings", token, &meetings); err != nil {
		var te interface{ Timeout() bool }
		if !errors.As(err, &te) || !te.Timeout() {
			return err
		}
		c.note(fmt.Sprintf("stopped: list > %v", client.Timeout), "m-api", "m-html", "m-meeting")
	} else if len(meetings.Data) == 0 {
		return errors.New("the member sees no meetings")
	}
	mid := int64(0)
	if len(meetings.Data) > 0 {
		mid = meetings.Data[len(meetings.Data)/2].ID
	}
	// A public meeting, paper and document for citizens: from OParl.
	var body struct{ Paper, Meeting string }
	if err := getJSON(base+"/oparl/v1/body/1", "", &body); err != nil {
		return err
	}
	type oparlPage struct {
		Data  []struct{ ID string }
		Links struct{ Next string }
	}
	var mp oparlPage
	body.Paper, body.Meeting = base+rel(body.Paper), base+rel(body.Meeting)
	if err := getJSON(body.Meeting, "", &mp); err != nil {
		return err
	}
	var pp oparlPage
	if err := getJSON(body.Paper, "", &pp); err != nil {
		return err
	}
	if len(mp.Data) == 0 || len(pp.Data) == 0 {
		return errors.New("OParl lists no public meeting or paper")
	}
	pubMeeting, paper := lastID(mp.Data[len(mp.Data)/2].ID), lastID(pp.Data[0].ID)
	var detail struct {
		Agenda []struct{ Documents []struct{ ID int64 } }
	}
	if err := getJSON(fmt.Sprintf("%s/api/v1/meetings/%s", base, pubMeeting), "", &detail); err != nil {
		return err
	}
	doc := int64(0)
	for _, it := range detail.Agenda {
		if len(it.Documents) > 0 {
			doc = it.Documents[0].ID
			break
		}
	}
	if doc == 0 {
		return fmt.Errorf("public meeting %s has no document", pubMeeting)
	}
	// The deep page: follow links.next.
	deepURL, page := body.Paper, 1
	for next := pp.Links.Next; next != "" && page <= *deep; page++ {
		deepURL = base + rel(next)
		var p oparlPage
		if err := getJSON(deepURL, "", &p); err != nil {
			return err
		}
		next = p.Links.Next
	}
	c.deepPage = page
	if c.papers == 0 {
		c.papers = len(pp.Data) // the demo: at least the first page
	}

	member := func(path string) gen { return fixed(base+path, token) }
	citizen := func(path string) gen { return uncached(rel(path), base) }
	targets := []struct {
		key  string
		g    gen
		conc int
	}{
		{"m-api", member("/api/v1/meetings"), *conc},
		{"m-html", member("/meetings"), *conc},
		{"m-meeting", member(fmt.Sprintf("/meetings/%d", mid)), *conc},
		{"c-home", citizen("/"), *conc},
		{"c-meetings", citizen("/meetings"), *conc},
		{"c-meeting", citizen("/meetings/" + pubMeeting), *conc},
		{"c-paper", citizen("/papers/" + paper), *conc},
		{"c-document", citizen(fmt.Sprintf("/documents/%d", doc)), *conc},
		{"o-page1", citizen(body.Paper), *conc},
		{"o-deep", citizen(deepURL), *conc},
		{"s-1", searches(base), 1},
		{"s-32", searches(base), *conc},
	}
	for _, t := range targets {
		if why := c.notes[t.key]; why != "" {
			fmt.Fprintf(os.Stderr, "  %s: %s\n", t.key, why)
			continue
		}
		fmt.Fprintf(os.Stderr, "  %s …\n", t.key)
		c.res[t.key] = load(t.g, t.conc, *duration)
	}
	return nil
}

// rel is the path and query of u: the server's links name its public
// address, which need not be the one it listens on here.
func rel(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.RequestURI()
}

// lastID is the last path element of an OParl id URL.
func lastID(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

// gen makes the i-th request of a target and says whether its response
// counts (status 200; X-Cache: miss where the cache must be missed).
type gen func(i int64) (*http.Request, func(*http.Response) bool)

func ok200(r *http.Response) bool { return r.StatusCode == 200 }

func fixed(u, token string) gen {
	return func(int64) (*http.Request, func(*http.Response) bool) {
		req, _ := http.NewRequest("GET", u, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, ok200
	}
}

// uncached adds nocache=<i> to path, so every request misses the public
// cache, and counts a response that was not a miss as an error.
func uncached(path, base string) gen {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return func(i int64) (*http.Request, func(*http.Response) bool) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s%snocache=%d", base, path, sep, i), nil)
		return req, func(r *http.Response) bool { return r.StatusCode == 200 && r.Header.Get("X-Cache") == "miss" }
	}
}

// searches asks /api/v1/search distinct German queries in turn: a word,
// or two (queries.Count distinct queries, bench/internal/queries).
func searches(base string) gen {
	return func(i int64) (*http.Request, func(*http.Response) bool) {
		q := queries.Munich(i)
		req, _ := http.NewRequest("GET", base+"/api/v1/search?q="+url.QueryEscape(q), nil)
		return req, ok200
	}
}

type result = measure.Result

// load sends the target's requests from conc clients for d.
func load(g gen, conc int, d time.Duration) result {
	return measure.LoadWarm(client, measure.Request(g), conc, *warmup, d)
}

func getJSON(u, token string, v any) error {
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d %s", u, resp.StatusCode, lastLines(string(b)))
	}
	return json.Unmarshal(b, v)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// printTable prints one database's figures, a column per size, the growth
// from the first to the last size and the goal.
func printTable(db string, cols []*column, stopped string) {
	fmt.Printf("\n== %s — %d clients, %v per target, %d cores, loopback (load generator and server share the cores) ==\n", db, *conc, *duration, runtime.NumCPU())
	if len(cols) == 0 {
		fmt.Println(stopped)
		return
	}
	hdr := fmt.Sprintf("%-36s", "")
	for _, c := range cols {
		hdr += fmt.Sprintf(" | %-26s", fmt.Sprintf("size %d", c.size))
	}
	fmt.Println(hdr + " | growth p50/p99 | goal")
	line := func(name string, cell func(c *column) string, tail string) {
		s := fmt.Sprintf("%-36s", name)
		for _, c := range cols {
			s += fmt.Sprintf(" | %-26s", cell(c))
		}
		fmt.Println(s + tail)
	}
	first, last := cols[0], cols[len(cols)-1]
	factor := func(a, b float64) string {
		if a <= 0 || b <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", b/a)
	}
	line("scale meetings / papers", func(c *column) string { return fmt.Sprintf("+%d / +%d", c.meetings, c.papers) }, "")
	line("generate (demo --scale N)", func(c *column) string { return c.gen.Round(100 * time.Millisecond).String() }, "")
	line("database size", func(c *column) string { return fmt.Sprintf("%d MB", c.dbBytes>>20) },
		" | "+factor(float64(first.dbBytes), float64(last.dbBytes)))
	line("reindex (server stopped)", func(c *column) string {
		if c.reindexStopped {
			return fmt.Sprintf("stopped > %v", *reindexTO)
		}
		return c.reindex.Round(10 * time.Millisecond).String()
	}, " | "+factor(float64(first.reindex), float64(last.reindex)*b2f(!last.reindexStopped)))
	line("backup (server running)", func(c *column) string { return c.back.Round(10 * time.Millisecond).String() },
		" | "+factor(float64(first.back), float64(last.back)))
	line("server's own work before loads", func(c *column) string {
		switch {
		case *quietWait == 0:
			return "not waited for"
		case c.quietStopped:
			return fmt.Sprintf("still busy after %v", c.quiet.Round(time.Second))
		}
		return fmt.Sprintf("quiet after %v", c.quiet.Round(time.Second))
	}, "")
	line("load average before/after loads", func(c *column) string { return c.load[0] + " / " + c.load[1] }, "")
	line("OParl deep page reached", func(c *column) string { return strconv.Itoa(c.deepPage) }, "")
	fmt.Printf("%-36s", fmt.Sprintf("request: p50 / p99 ms, req/s, errors, slowest of the first %v (not counted)", *warmup))
	fmt.Println()
	var missed, unmeasured []string
	for _, r := range rows {
		verdict := ""
		if r.goal != nil {
			verdict = "ok"
			for _, c := range cols {
				if c.notes[r.key] != "" {
					verdict = fmt.Sprintf("not measured (size %d)", c.size)
				} else if !r.goal(c.res[r.key], c) {
					verdict = fmt.Sprintf("MISSED (size %d)", c.size)
				}
			}
			if strings.HasPrefix(verdict, "MISSED") {
				missed = append(missed, r.name)
			} else if verdict != "ok" {
				unmeasured = append(unmeasured, r.name)
			}
			verdict = r.goalText + ": " + verdict
		}
		a, b := first.res[r.key], last.res[r.key]
		if first.notes[r.key] != "" || last.notes[r.key] != "" {
			a, b = result{}, result{} // no growth to tell
		}
		line(r.name, func(c *column) string {
			if why := c.notes[r.key]; why != "" {
				return why
			}
			x := c.res[r.key]
			if x.N == 0 {
				return fmt.Sprintf("none within %v", *duration)
			}
			e := ""
			if x.Errors > 0 {
				e = fmt.Sprintf(" E%d", x.Errors)
			}
			first := ""
			if x.WarmN > 0 {
				first = ", first " + ms(x.WarmMax)
			}
			return fmt.Sprintf("%s / %s, %.0f/s%s%s", ms(x.P50), ms(x.P99), x.RPS, e, first)
		}, fmt.Sprintf(" | %s / %s | %s", factor(float64(a.P50), float64(b.P50)), factor(float64(a.P99), float64(b.P99)), verdict))
	}
	if len(cols) > 1 {
		years := math.Max(1, float64(last.size-first.size))
		fmt.Printf("growth: last size over first; goal: at most logarithmic in the data (here %.0f year(s) added)\n", years)
	}
	fmt.Println("goals (issue 15): p99 ≤ 50 ms at 32 clients for signed-in and uncached citizen pages; OParl deep page ≈ page 1; search p99 ≤ 20 ms at 32 clients")
	if stopped != "" {
		fmt.Println(stopped)
	}
	if len(missed) > 0 {
		fmt.Println("missed:", strings.Join(missed, "; "))
	}
	if len(unmeasured) > 0 {
		fmt.Println("not measured at every size:", strings.Join(unmeasured, "; "))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
