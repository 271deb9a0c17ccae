// Command live measures the live view (issue 16): how long a vote's
// result takes to reach 1,000 followers of a meeting's live stream
// (Server-Sent Events) on loopback, and what 1,000 idle followers cost the
// server in CPU. It starts the demo council as a user would (the real
// binary, `serve --demo`), starts the session of a published meeting as
// the council office, makes a public item current and connects the
// followers as anonymous citizens (the public display and livestream
// overlay). Then, round after round, it opens a vote and closes it with
// counts entered by hand, and records for every follower the time from
// sending the close to receiving the state with the result. Goals: p99 at
// most 200 ms; the idle followers add at most 5 % of one core.
//
//	go run ./bench/live [-followers 1000] [-rounds 20] [-idle 30s]
//
// The followers run in this process and share the machine's cores with
// the server; on a small, shared machine the figures include their time.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/measure"
)

func main() {
	followers := flag.Int("followers", 1000, "live streams to open")
	rounds := flag.Int("rounds", 20, "votes to open and close")
	idle := flag.Duration("idle", 30*time.Second, "window to measure the CPU of idle followers (≥ 15 s: one heartbeat)")
	flag.Parse()
	ctx := context.Background()
	demo, err := measure.StartDemo(ctx)
	check(err)
	defer demo.Stop()
	clerk := ""
	for _, a := range demo.Accounts {
		if a.Role == "clerk" {
			clerk = a.Token
		}
	}
	if clerk == "" {
		check(fmt.Errorf("the demo has no clerk account"))
	}
	var meeting, item int64
	check(demo.DB.QueryRowContext(ctx, `SELECT a.meeting_id, a.id FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id
		WHERE a.public = 1 AND a.withdrawn_at IS NULL AND m.published_at IS NOT NULL AND m.published_at <= ?
		ORDER BY m.start DESC LIMIT 1`, time.Now().UTC().Format(time.RFC3339)).Scan(&meeting, &item))
	api := func(method, path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, demo.Base+"/api/v1"+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+clerk)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		check(err)
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode >= 300 {
			check(fmt.Errorf("%s %s: %d %v", method, path, res.StatusCode, out))
		}
		return out
	}
	api("POST", fmt.Sprintf("/meetings/%d/start", meeting), nil)
	api("PUT", fmt.Sprintf("/meetings/%d/current", meeting), map[string]any{"item": item})

	base := cpu(demo.Pid())
	time.Sleep(*idle)
	idleNone := cpu(demo.Pid()) - base

	// The followers: each records when it first sees the closed vote it
	// waits for.
	var want atomic.Value // string: the marker of the closed vote of this round
	want.Store("\x00")
	got := make([]time.Time, *followers)
	var mu sync.Mutex
	var ready, waiting sync.WaitGroup
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: *followers}
	client := &http.Client{Transport: tr}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var broken atomic.Int64
	for i := 0; i < *followers; i++ {
		ready.Add(1)
		go func(i int) {
			req, _ := http.NewRequestWithContext(lctx, "GET", fmt.Sprintf("%s/api/v1/meetings/%d/live", demo.Base, meeting), nil)
			res, err := client.Do(req)
			if err != nil || res.StatusCode != 200 {
				broken.Add(1)
				ready.Done()
				return
			}
			defer res.Body.Close()
			first := true
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if !strings.HasPrefix(line, "data: ") {
					continue
				}
				if first {
					first = false
					ready.Done()
				}
				if strings.Contains(line, want.Load().(string)) && strings.Contains(line, `"state":"closed"`) {
					now := time.Now()
					mu.Lock()
					if got[i].IsZero() {
						got[i] = now
						waiting.Done()
					}
					mu.Unlock()
				}
			}
		}(i)
	}
	ready.Wait()
	connected := *followers - int(broken.Load())
	base = cpu(demo.Pid())
	time.Sleep(*idle)
	idleMany := cpu(demo.Pid()) - base

	var lat, closing, roundP99 []time.Duration
	for r := 0; r < *rounds; r++ {
		v := api("POST", fmt.Sprintf("/items/%d/votes", item), map[string]any{"kind": "open", "rule": "simple", "quorum_reason": "Benchmark"})
		id := int64(v["id"].(float64))
		mu.Lock()
		for i := range got {
			got[i] = time.Time{}
		}
		mu.Unlock()
		waiting.Add(connected)
		want.Store(`"vote":{"id":` + strconv.FormatInt(id, 10) + `,`)
		time.Sleep(200 * time.Millisecond) // the open vote's state has reached everyone
		t0 := time.Now()
		api("POST", fmt.Sprintf("/votes/%d/close", id), map[string]any{"yes": 0, "no": 0, "abstain": 0})
		closing = append(closing, time.Since(t0))
		done := make(chan struct{})
		go func() { waiting.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			check(fmt.Errorf("round %d: not every follower got the result within 30 s", r))
		}
		var round []time.Duration
		mu.Lock()
		for _, t := range got {
			if !t.IsZero() {
				round = append(round, t.Sub(t0))
			}
		}
		mu.Unlock()
		lat = append(lat, round...)
		sort.Slice(round, func(i, j int) bool { return round[i] < round[j] })
		roundP99 = append(roundP99, round[int(0.99*float64(len(round)-1))])
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("live view: %d followers connected (%d refused), %d rounds, %d cores\n", connected, broken.Load(), *rounds, runtime.NumCPU())
	fmt.Printf("result reaches followers: p50 %s, p99 %s, max %s (goal p99 ≤ 200 ms)\n", measure.Ms(q(0.5)), measure.Ms(q(0.99)), measure.Ms(lat[len(lat)-1]))
	fmt.Printf("median over the rounds of each round's p99: %s (one slow round on a shared machine moves the overall p99)\n", measure.Ms(measure.Median(roundP99)))
	fmt.Printf("the close request itself (result, item, audit): median %s\n", measure.Ms(measure.Median(closing)))
	share := func(d time.Duration) string { return fmt.Sprintf("%.2f %% of a core", 100*d.Seconds()/idle.Seconds()) }
	fmt.Printf("server CPU over %s: no followers %s, %d idle followers %s; added %s (goal ≤ 5 %%)\n",
		*idle, share(idleNone), connected, share(idleMany), share(idleMany-idleNone))
}

// cpu returns the user and system CPU time of process pid so far.
func cpu(pid int) time.Duration {
	d, err := measure.CPU(pid)
	check(err)
	return d
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
}
