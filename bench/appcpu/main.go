// Command appcpu loads running servers in turns, as bench/munich loads one
// (32 clients, closed loop, a warm-up first, citizens' pages past the
// public cache with a unique nocache parameter), and prints per target and
// server the p50 / p99, requests per second, and the CPU per answered
// request of the server process and of PostgreSQL's backends (the
// children of a postmaster, from /proc): A/B runs of two binaries in the
// same minutes on a shared machine (issue 15, the app's CPU per page).
//
//	go run ./bench/appcpu -server main=URL,PID,PGPID -server mine=URL,PID,PGPID -token T -targets m-meeting=/meetings/83,... -rounds 3
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/measure"
)

type server struct {
	name, base string
	pid, pgpid int
	db         string
}

type servers []server

func (s *servers) String() string { return "" }
func (s *servers) Set(v string) error {
	name, rest, _ := strings.Cut(v, "=")
	f := strings.Split(rest, ",")
	if len(f) < 2 {
		return fmt.Errorf("want name=URL,PID[,PGPID]")
	}
	sv := server{name: name, base: f[0]}
	sv.pid, _ = strconv.Atoi(f[1])
	if len(f) > 2 {
		sv.pgpid, _ = strconv.Atoi(f[2])
	}
	if len(f) > 3 {
		sv.db = f[3]
	}
	*s = append(*s, sv)
	return nil
}

func main() {
	var ss servers
	flag.Var(&ss, "server", "name=URL,PID[,POSTMASTER_PID[,DATABASE]] (repeat; with DATABASE only its backends count)")
	token := flag.String("token", "", "member's bearer token for targets named m-*")
	targets := flag.String("targets", "", "key=path,… (m-* as the member, c-* as a citizen past the cache)")
	conc := flag.Int("c", 32, "clients")
	d := flag.Duration("d", 4*time.Second, "load per target and server")
	warm := flag.Duration("warm", time.Second, "warm-up")
	rounds := flag.Int("rounds", 2, "rounds")
	flag.Parse()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	for r := 0; r < *rounds; r++ {
		for _, t := range strings.Split(*targets, ",") {
			key, path, _ := strings.Cut(t, "=")
			order := ss
			if r%2 == 1 { // alternate who goes first
				order = append(servers{}, ss...)
				for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
					order[i], order[j] = order[j], order[i]
				}
			}
			for _, s := range order {
				gen := req(s.base, key, path, *token)
				c0, p0 := cpu(s.pid), pgcpu(s.pgpid, s.db)
				res := measure.LoadWarm(client, gen, *conc, *warm, *d)
				c1, p1 := cpu(s.pid), pgcpu(s.pgpid, s.db)
				n := res.N + res.WarmN
				fmt.Printf("r%d %-11s %-5s n=%5d p50 %6.1f p99 %6.1f rps %6.0f err %d app %.3f pg %.3f ms/req load %s\n",
					r, key, s.name, res.N, ms(res.P50), ms(res.P99), res.RPS, res.Errors,
					ms(c1-c0)/float64(n), ms(p1-p0)/float64(n), loadavg())
			}
		}
	}
}

func req(base, key, path, token string) measure.Request {
	return func(i int64) (*http.Request, func(*http.Response) bool) {
		u := base + path
		if strings.HasPrefix(key, "c-") {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			u = fmt.Sprintf("%s%snocache=%d", u, sep, i)
		}
		r, _ := http.NewRequest("GET", u, nil)
		if strings.HasPrefix(key, "m-") {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return r, func(resp *http.Response) bool {
			if resp.StatusCode != 200 {
				return false
			}
			return !strings.HasPrefix(key, "c-") || resp.Header.Get("X-Cache") == "miss"
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// cpu is a process's user+system CPU from /proc/PID/stat.
func cpu(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond // USER_HZ 100
}

// pgcpu is the CPU of every child of the postmaster pgpid, running now
// (backends that ended since are not counted; the pools keep theirs).
func pgcpu(pgpid int, db string) time.Duration {
	if pgpid == 0 {
		return 0
	}
	ents, _ := os.ReadDir("/proc")
	var sum time.Duration
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if pp, _ := strconv.Atoi(f[1]); pp == pgpid {
			if cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); db != "" && !strings.Contains(string(cl), " "+db+" ") {
				continue
			}
			sum += cpu(pid)
		}
	}
	return sum
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return "?"
	}
	return f[0]
}
