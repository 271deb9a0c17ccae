package portal_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

// BenchmarkCitizenPages costs one uncached anonymous request of the start
// page, of /meetings, of the documents' Atom feed, of the calendar and of
// the meeting, paper and document pages bench/munich loads on a copy of a real data set — a data directory
// made by `ratsmappe demo --scale N` (RATSMAPPE_BENCH_DATA, its SQLite
// file) or a PostgreSQL database (RATSMAPPE_BENCH_DATABASE_URL) — and
// reports the SQL statements per request (counted in a second request, so
// that the counting does not weigh on the time). The server is built as
// serve builds it, without the network, so that -cpuprofile and
// -memprofile show the server's work only. It migrates the database: give
// it a copy. Skipped without either variable.
func BenchmarkCitizenPages(b *testing.B) {
	h, _, _ := fixtureServer(b, false)
	counted, n, _ := fixtureServer(b, true)
	var db *sql.DB // PostgreSQL's, to read its server's CPU time
	if u := os.Getenv("RATSMAPPE_BENCH_DATABASE_URL"); u != "" {
		var err error
		if db, err = postgres.Open(context.Background(), u); err != nil {
			b.Fatal(err)
		}
		defer db.Close()
	}
	pages := map[string]string{"home": "/", "meetings": "/meetings", "feed": "/feeds/documents.atom", "calendar": "/calendar.ics"}
	for name, path := range citizenFolderPages(b, h) {
		pages[name] = path
	}
	for name, path := range pages {
		b.Run(name, func(b *testing.B) {
			// A query the public cache has not seen: bench/munich's
			// "uncached".
			get := func(h http.Handler) {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", fmt.Sprintf("%s?nocache=%d", path, uncached.Add(1)), nil))
				if w.Code != http.StatusOK || w.Header().Get("X-Cache") != "miss" {
					b.Fatalf("GET %s: %d, X-Cache %q", path, w.Code, w.Header().Get("X-Cache"))
				}
			}
			measure(b, get, h, counted, n, db)
		})
	}
}

// citizenFolderPages finds, through h, a public meeting, paper and
// document page as bench/munich loads them as a citizen: the meeting from
// the middle of the citizen's /api/v1/meetings, the first paper and the
// first document its page links to (none if it links none). (bench/munich
// takes them from OParl's first pages, which at a year of Munich list
// none: their first objects are not public yet.)
func citizenFolderPages(tb testing.TB, h http.Handler) map[string]string {
	tb.Helper()
	get := func(path string) []byte {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusOK {
			tb.Fatalf("GET %s: %d", path, w.Code)
		}
		return w.Body.Bytes()
	}
	var ms struct{ Data []struct{ ID int64 } }
	if err := json.Unmarshal(get("/api/v1/meetings"), &ms); err != nil || len(ms.Data) == 0 {
		tb.Fatalf("/api/v1/meetings: %v, %d meetings", err, len(ms.Data))
	}
	out := map[string]string{"meeting": fmt.Sprintf("/meetings/%d", ms.Data[len(ms.Data)/2].ID)}
	page := string(get(out["meeting"]))
	if p := firstPaper.FindStringSubmatch(page); p != nil {
		out["paper"] = "/papers/" + p[1]
	}
	if d := firstLink.FindStringSubmatch(page); d != nil {
		out["document"] = "/documents/" + d[1]
	}
	return out
}

// measure runs get on h in the benchmark's loop and reports its CPU time
// per request and the statements (counted by n) of one get on counted,
// which runs first.
func measure(b *testing.B, get func(http.Handler), h, counted http.Handler, n *atomic.Int64, db *sql.DB) {
	// The first request warms what a server keeps across requests
	// (the anonymous start page's news); the second is counted.
	get(counted)
	start := n.Load()
	get(counted)
	queries := n.Load() - start
	b.ReportAllocs()
	cpu, dbCPU := cpuTime(), serverCPU(b, db)
	for b.Loop() {
		get(h)
	}
	// CPU time says more than the wall clock on a shared machine: the
	// process's, and on PostgreSQL (db) the database server's for this
	// database.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	if db != nil {
		b.ReportMetric(float64(serverCPU(b, db)-dbCPU)/float64(time.Millisecond)/float64(b.N), "pg-cpu-ms/op")
	}
	b.ReportMetric(float64(queries), "queries/op")
}

// uncached numbers the benchmark's requests, so that none is a cached one.
var uncached atomic.Int64

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time of the PostgreSQL server processes connected
// to db's database (the server is on this machine): /proc's user and
// system time of each backend. 0 without db.
func serverCPU(tb testing.TB, db *sql.DB) time.Duration {
	if db == nil {
		return 0
	}
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			tb.Fatal(err)
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // ended meanwhile
		}
		// The fields after the command's closing parenthesis; utime
		// and stime are the 14th and 15th of the line, in clock ticks
		// (100 a second on Linux).
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return total
}

// TestCitizenPagesDump writes the uncached start page, /meetings, the
// documents' Atom feeds and the calendars (the council's and each
// organization's) of the
// fixture (see BenchmarkCitizenPages) into RATSMAPPE_BENCH_OUT, to compare
// a change's output with the one before it byte for byte.
func TestCitizenPagesDump(t *testing.T) {
	out := os.Getenv("RATSMAPPE_BENCH_OUT")
	if out == "" {
		t.Skip("RATSMAPPE_BENCH_OUT not set")
	}
	h, _, _ := fixtureServer(t, false)
	get := func(name, path string) string {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, w.Code)
		}
		if err := os.WriteFile(filepath.Join(out, name), w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return w.Body.String()
	}
	get("home.html", "/?nocache=dump")
	// The continuation of the coming meetings, as its link gives it.
	if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(get("meetings.html", "/meetings?nocache=dump")); m != nil {
		get("meetings-more.html", html.UnescapeString(m[1]))
	}
	get("documents.atom", "/feeds/documents.atom?nocache=dump")
	get("calendar.ics", "/calendar.ics?nocache=dump")
	for _, m := range regexp.MustCompile(`href="/organizations/(\d+)"`).FindAllStringSubmatch(get("organizations.html", "/organizations?nocache=dump"), -1) {
		get("documents-"+m[1]+".atom", "/organizations/"+m[1]+"/documents.atom?nocache=dump")
		get("calendar-"+m[1]+".ics", "/organizations/"+m[1]+"/calendar.ics?nocache=dump")
	}
}

// fixtureServer opens the fixture the environment names and returns its
// server, if count the number of statements it sent (through a counting
// handle), and the database itself (uncounted).
func fixtureServer(tb testing.TB, count bool) (http.Handler, *atomic.Int64, *sql.DB) {
	tb.Helper()
	ctx := context.Background()
	var db *sql.DB
	var err error
	pg := os.Getenv("RATSMAPPE_BENCH_DATABASE_URL")
	switch dir := os.Getenv("RATSMAPPE_BENCH_DATA"); {
	case pg != "":
		db, err = postgres.Open(ctx, pg)
	case dir != "":
		db, err = sqlite.Open(ctx, filepath.Join(dir, "ratsmappe.db"))
	default:
		tb.Skip("neither RATSMAPPE_BENCH_DATA nor RATSMAPPE_BENCH_DATABASE_URL set")
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := schema.Migrate(ctx, db); err != nil {
		tb.Fatal(err)
	}
	cdb, n := db, new(atomic.Int64)
	if count {
		cdb, n = dbtest.Counting(tb, db)
	}
	st := sessions.NewStore(cdb, nil)
	// The pages measured read no blobs: the in-memory fake stands in
	// for the data directory's.
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(cdb), Blobs: blobtest.NewMemory()})
	h, err := web.NewServer(web.Config{Documents: svc, Sessions: st, DB: cdb, ChangesNotified: pg != ""})
	if err != nil {
		tb.Fatal(err)
	}
	return h, n, db
}
