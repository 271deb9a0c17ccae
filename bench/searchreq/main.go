// Command searchreq measures what a served search request costs: the
// server's CPU per search and the latencies at a number of clients, for
// several running servers in turn (A/B: main's binary and a branch's on
// copies of the same data), and whether their answers are the same.
//
//	searchreq -server main=http://127.0.0.1:8081,PID -server new=http://127.0.0.1:8082,PID cpu
//	searchreq -server ... -c 32 -d 5s -rounds 3 load
//	searchreq -server ... -token TOKEN hash
//
// It asks bench/munich's queries (bench/internal/queries) at
// /api/v1/search as a citizen unless -token names a member; -path
// /search asks the page instead. CPU is the server process's utime +
// stime from /proc/PID/stat, so the server must run on this machine;
// the servers take turns in every round, so that the machine's load from
// other work falls on all of them alike.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/queries"
)

type server struct {
	name, base string
	pid        int
}

type servers []server

func (s *servers) String() string { return fmt.Sprint(*s) }

func (s *servers) Set(v string) error {
	name, rest, ok := strings.Cut(v, "=")
	base, pid, ok2 := strings.Cut(rest, ",")
	if !ok || !ok2 {
		return fmt.Errorf("want NAME=URL,PID")
	}
	n, err := strconv.Atoi(pid)
	if err != nil {
		return err
	}
	*s = append(*s, server{name, base, n})
	return nil
}

var (
	list   servers
	path   = flag.String("path", "/api/v1/search", "the route asked")
	token  = flag.String("token", "", "a member's API token (Authorization: Bearer); none: a citizen")
	n      = flag.Int("n", 1500, "cpu: sequential requests per server and round")
	conc   = flag.Int("c", 32, "load: clients")
	dur    = flag.Duration("d", 5*time.Second, "load: duration per server and round")
	rounds = flag.Int("rounds", 3, "rounds; the servers take turns in each")
	extra  = flag.String("extra", "", "hash: more query strings (after ?), separated by '|'")
)

var client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func main() {
	flag.Var(&list, "server", "NAME=URL,PID of a running server (repeatable)")
	flag.Parse()
	if len(list) == 0 || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: searchreq -server NAME=URL,PID ... cpu|load|hash")
		os.Exit(2)
	}
	switch flag.Arg(0) {
	case "cpu":
		cpu()
	case "load":
		load()
	case "hash":
		hash()
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", flag.Arg(0))
		os.Exit(2)
	}
}

func get(u string) ([]byte, int, error) {
	req, _ := http.NewRequest("GET", u, nil)
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return b, resp.StatusCode, err
}

func queryURL(s server, i int64) string {
	return s.base + *path + "?q=" + url.QueryEscape(queries.Munich(i))
}

// cpuTime is the process's user and system time.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		panic(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ 100
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// inTurn is the servers in round r's order: as given in even rounds,
// reversed in odd ones, so that neither always runs first.
func inTurn(r int) servers {
	if r%2 == 0 {
		return list
	}
	order := slices.Clone(list)
	slices.Reverse(order)
	return order
}

func cpu() {
	for _, s := range list { // warm: one pass over the queries
		for i := range int64(queries.Count) {
			get(queryURL(s, i))
		}
	}
	per := map[string][]float64{}
	for r := range *rounds {
		for _, s := range inTurn(r) {
			c0, t0 := cpuTime(s.pid), time.Now()
			for i := range int64(*n) {
				if _, code, err := get(queryURL(s, i)); err != nil || code != 200 {
					fmt.Fprintln(os.Stderr, s.name, code, err)
				}
			}
			c1, wall := cpuTime(s.pid), time.Since(t0)
			ms := float64(c1-c0) / float64(time.Millisecond) / float64(*n)
			per[s.name] = append(per[s.name], ms)
			fmt.Printf("round %d %-8s server CPU %.3f ms/search  wall %.3f ms/search  load %s\n", r+1, s.name, ms, float64(wall)/float64(time.Millisecond)/float64(*n), loadavg())
		}
	}
	for _, s := range list {
		fmt.Printf("%-8s CPU ms/search: %s  median %.3f\n", s.name, fmtList(per[s.name]), median(per[s.name]))
	}
}

func load() {
	for r := range *rounds {
		for _, s := range inTurn(r) {
			var seq atomic.Int64
			var mu sync.Mutex
			var lat []time.Duration
			errs := 0
			c0 := cpuTime(s.pid)
			start := time.Now()
			end := start.Add(*dur)
			var wg sync.WaitGroup
			for range *conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []time.Duration
					bad := 0
					for time.Now().Before(end) {
						t := time.Now()
						_, code, err := get(queryURL(s, seq.Add(1)))
						if err != nil || code != 200 {
							bad++
							continue
						}
						mine = append(mine, time.Since(t))
					}
					mu.Lock()
					lat = append(lat, mine...)
					errs += bad
					mu.Unlock()
				}()
			}
			wg.Wait()
			wall := time.Since(start)
			c1 := cpuTime(s.pid)
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			q := func(p float64) float64 {
				if len(lat) == 0 {
					return 0
				}
				return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
			}
			fmt.Printf("round %d %-8s %d clients: p50 %.1f p99 %.1f ms  %.0f/s  server CPU %.3f ms/search  errors %d  load %s\n",
				r+1, s.name, *conc, q(0.5), q(0.99), float64(len(lat))/wall.Seconds(),
				float64(c1-c0)/float64(time.Millisecond)/float64(max(len(lat), 1)), errs, loadavg())
		}
	}
}

// csrf masks the sign-in's CSRF token, which differs per server.
var csrf = regexp.MustCompile(`(csrf[-_]token"? (?:value|content)=)"[^"]*"`)

func hash() {
	var qs []string
	for _, q := range queries.All() {
		qs = append(qs, "q="+url.QueryEscape(q))
	}
	if *extra != "" {
		qs = append(qs, strings.Split(*extra, "|")...)
	}
	all := map[string]hashes{}
	for _, s := range list {
		h := hashes{per: map[string]string{}, sum: sha256.New()}
		for _, q := range qs {
			b, code, err := get(s.base + *path + "?" + q)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			b = csrf.ReplaceAll(b, []byte(`$1"-"`))
			sum := sha256.Sum256(b)
			v := fmt.Sprintf("%d %s", code, hex.EncodeToString(sum[:8]))
			h.per[q] = v
			fmt.Fprintf(h.sum, "%s %s\n", q, v)
		}
		all[s.name] = h
		fmt.Printf("%-8s %d answers, sha256 %s\n", s.name, len(qs), hex.EncodeToString(h.sum.Sum(nil))[:16])
	}
	first := all[list[0].name]
	for _, s := range list[1:] {
		diff := 0
		for _, q := range qs {
			if all[s.name].per[q] != first.per[q] {
				diff++
				if diff <= 5 {
					fmt.Printf("  differs: %s %s: %s vs %s\n", s.name, q, first.per[q], all[s.name].per[q])
				}
			}
		}
		fmt.Printf("%-8s vs %s: %d of %d answers differ\n", s.name, list[0].name, diff, len(qs))
	}
}

type hashes struct {
	per map[string]string
	sum interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func fmtList(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf("%.3f", x))
	}
	return strings.Join(s, " ")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	ys := append([]float64{}, xs...)
	sort.Float64s(ys)
	return ys[len(ys)/2]
}
