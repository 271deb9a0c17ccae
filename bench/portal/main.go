// Command portal measures what citizens feel when they arrive at once:
// requests per second and p50/p99 latency of the start page, a meeting
// page, an OParl list page and a file download revalidated by ETag, on the
// demo council — side by side with a bare net/http handler writing the
// same bytes from memory (the ceiling), in the same run, from a load
// generator in this process over loopback.
//
//	go run ./bench/portal [-duration 5s] [-concurrency 32] [-postgres]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/demoserver"
	"github.com/ratsmappe/ratsmappe/bench/internal/measure"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long each target is loaded per round")
	conc := flag.Int("concurrency", 32, "concurrent clients")
	withPG := flag.Bool("postgres", false, "also serve the demo from a throwaway PostgreSQL cluster (Debian's postgresql) and compare")
	rounds := flag.Int("rounds", 3, "rounds; each reports the best round and the spread, because the machine may be shared")
	flag.Parse()

	demo, err := demoserver.Start(os.Stderr, 3*time.Minute)
	check(err)
	defer demo.Stop()
	base := demo.Base

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2}}
	targets := targetsOf(client, base)
	// The same demo served from PostgreSQL (issue 15: public pages at
	// least 80 % of SQLite's figures), measured in the same rounds.
	var pgBase string
	var pgTargets []target
	if *withPG {
		url, drop, err := measure.PostgresDatabase()
		check(err)
		defer pgtest.Stop()
		defer drop()
		pg, err := demoserver.StartEnv(os.Stderr, 3*time.Minute, []string{"RATSMAPPE_DATABASE_URL=" + url})
		check(err)
		defer pg.Stop()
		pgBase = pg.Base
		pgTargets = targetsOf(client, pgBase)
	}
	type row struct {
		name string
		size int
		best result // best round of the target
		bare result // best round of the bare handler
		pg   result // best round of the target served from PostgreSQL
		runs []float64
	}
	rows := make([]*row, len(targets))
	for round := 0; round < *rounds; round++ {
		for i, tg := range targets {
			body, etag := fetch(client, base+tg.path)
			if rows[i] == nil {
				rows[i] = &row{name: tg.name + " " + tg.path, size: len(body)}
			}
			hdr := ""
			if tg.etag {
				hdr = etag
			}
			bare := bareServer(body, etag)
			b := load(client, bare.url+"/x", hdr, *conc, *duration)
			bare.close()
			r := load(client, base+tg.path, hdr, *conc, *duration)
			w := rows[i]
			w.runs = append(w.runs, r.RPS)
			if r.RPS > w.best.RPS {
				w.best = r
			}
			if b.RPS > w.bare.RPS {
				w.bare = b
			}
			if pgBase != "" {
				if p := load(client, pgBase+pgTargets[i].path, etagOf(client, pgBase+pgTargets[i].path, tg.etag), *conc, *duration); p.RPS > w.pg.RPS {
					w.pg = p
				}
			}
		}
	}
	fmt.Printf("demo council, %d clients, %v per target and round, best of %d rounds, loopback, %d cores\n", *conc, *duration, *rounds, runtime.NumCPU())
	fmt.Printf("(load generator, server and bare handler share the cores; other work on the machine shows as spread)\n\n")
	fmt.Printf("%-58s %8s | %8s %15s %8s %8s %6s | %8s %8s | %6s %s\n", "target", "bytes", "req/s", "spread", "p50", "p99", "errors", "bare/s", "bare p99", "% bare", "goal")
	for _, w := range rows {
		lo, hi := w.runs[0], w.runs[0]
		for _, x := range w.runs {
			lo, hi = min(lo, x), max(hi, x)
		}
		pct := 100 * w.best.RPS / w.bare.RPS
		goal := "ok"
		if pct < 25 || w.best.P99 > 50*time.Millisecond || w.best.Errors > 0 {
			goal = "MISSED"
		}
		fmt.Printf("%-58s %8d | %8.0f %7.0f–%-7.0f %8s %8s %6d | %8.0f %8s | %5.0f%% %s\n", trunc(w.name, 58), w.size, w.best.RPS, lo, hi,
			w.best.P50, w.best.P99, w.best.Errors, w.bare.RPS, w.bare.P99, pct, goal)
	}
	fmt.Println("\ngoal (issue 6): every public page ≥ 25 % of the bare handler writing the same bytes, p99 ≤ 50 ms")
	if pgBase == "" {
		return
	}
	fmt.Printf("\nthe same demo served from PostgreSQL (one server, same machine, fsync on), same rounds\n\n")
	fmt.Printf("%-58s | %8s %8s | %8s %8s %6s | %9s %s\n", "target", "SQLite/s", "p99", "PG req/s", "PG p99", "errors", "% SQLite", "goal")
	for _, w := range rows {
		pct := 100 * w.pg.RPS / w.best.RPS
		goal := "ok"
		if pct < 80 || w.pg.Errors > 0 {
			goal = "MISSED"
		}
		fmt.Printf("%-58s | %8.0f %8s | %8.0f %8s %6d | %8.0f%% %s\n", trunc(w.name, 58), w.best.RPS, w.best.P99, w.pg.RPS, w.pg.P99, w.pg.Errors, pct, goal)
	}
	fmt.Println("\ngoal (issue 15): on PostgreSQL, every public page ≥ 80 % of the SQLite figure")
}

type target struct {
	name, path string
	etag       bool
}

// targetsOf finds the pages the benchmark loads on the demo at base: a
// meeting in the middle of the list, its first document and file.
func targetsOf(client *http.Client, base string) []target {
	var meetings struct {
		Data []struct {
			ID        int64
			Published *time.Time
		}
	}
	getJSON(client, base+"/api/v1/meetings", &meetings)
	mid := meetings.Data[len(meetings.Data)/2].ID
	var detail struct {
		Agenda []struct {
			Documents []struct {
				ID  int64
				URL string
			}
		}
	}
	getJSON(client, fmt.Sprintf("%s/api/v1/meetings/%d", base, mid), &detail)
	file, doc := "", int64(0)
	for _, it := range detail.Agenda {
		if len(it.Documents) > 0 {
			file, doc = it.Documents[0].URL, it.Documents[0].ID
			break
		}
	}
	var oparlBody struct{ Organization, Meeting string }
	getJSON(client, base+"/oparl/v1/body/1", &oparlBody)
	return []target{
		{"start page", "/", false},
		{"meetings list", "/meetings", false},
		{"meeting page", fmt.Sprintf("/meetings/%d", mid), false},
		{"committee page", "/organizations/2", false},
		{"document page", fmt.Sprintf("/documents/%d", doc), false},
		{"OParl organization list", strings.TrimPrefix(oparlBody.Organization, base), false},
		{"OParl meeting list", strings.TrimPrefix(oparlBody.Meeting, base), false},
		{"Atom feed", "/feeds/documents.atom", false},
		{"file download (PDF)", file, false},
		{"file, ETag revalidation (304)", file, true},
	}
}

// etagOf is the ETag to revalidate url with, if etag.
func etagOf(client *http.Client, url string, etag bool) string {
	if !etag {
		return ""
	}
	_, e := fetch(client, url)
	return e
}

func trunc(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

type result = measure.Result

// load sends GETs of url from conc clients for d and measures them.
func load(c *http.Client, url, ifNoneMatch string, conc int, d time.Duration) result {
	r := measure.Load(c, func(int64) (*http.Request, func(*http.Response) bool) {
		req, _ := http.NewRequest("GET", url, nil)
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		return req, func(resp *http.Response) bool { return resp.StatusCode == 200 || resp.StatusCode == 304 }
	}, conc, d)
	r.P50, r.P99 = r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond)
	return r
}

type bare struct {
	url   string
	close func()
}

// bareServer serves body from memory (304 on a matching ETag), the
// fastest any page could be served here.
func bareServer(body []byte, etag string) bare {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if etag != "" && r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})}
	go srv.Serve(ln)
	return bare{url: "http://" + ln.Addr().String(), close: func() { srv.Close() }}
}

func fetch(c *http.Client, url string) ([]byte, string) {
	resp, err := c.Get(url)
	check(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		check(fmt.Errorf("%s: %d", url, resp.StatusCode))
	}
	return b, resp.Header.Get("ETag")
}

func getJSON(c *http.Client, url string, v any) {
	b, _ := fetch(c, url)
	check(json.Unmarshal(b, v))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
