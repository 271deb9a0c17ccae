package measure

import (
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Request makes the i-th request of a load and the check its answer must
// pass (a status, a header) to count as good.
type Request func(i int64) (*http.Request, func(*http.Response) bool)

// Result is what a load measured.
type Result struct {
	N        int // answers received
	RPS      float64
	P50, P99 time.Duration
	Errors   int // failed requests and answers that did not pass their check
	// Of a warm-up (LoadWarm): how many answers it had, not counted
	// above, and the slowest of them.
	WarmN   int
	WarmMax time.Duration
}

// Load sends the requests of next from conc clients (closed loop: each
// sends its next request when the last answer is read) for d, over c.
func Load(c *http.Client, next Request, conc int, d time.Duration) Result {
	return LoadWarm(c, next, conc, 0, d)
}

// LoadWarm is Load after a warm-up: the clients send requests for warm
// and then for d, and only the answers to requests sent after warm count
// (the requests go on numbering through the warm-up, so a target that
// must miss a cache does). Result.WarmMax is the slowest answer of the
// warm-up: the first wave after a server's start, which meets its cold
// caches — a PostgreSQL server process per pooled connection that plans
// every statement the first time.
func LoadWarm(c *http.Client, next Request, conc int, warm, d time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), warm+d)
	defer cancel()
	var seq atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var warmN int
	var warmMax time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	counted := start.Add(warm)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad, wn := 0, 0
			var wmax time.Duration
			for ctx.Err() == nil {
				req, good := next(seq.Add(1))
				t0 := time.Now()
				resp, err := c.Do(req.WithContext(ctx))
				warming := t0.Before(counted)
				if err != nil {
					if ctx.Err() == nil && !warming {
						bad++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if warming {
					wn++
					wmax = max(wmax, time.Since(t0))
					continue
				}
				if !good(resp) {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			warmN += wn
			warmMax = max(warmMax, wmax)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(counted)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := Result{N: len(lat), RPS: float64(len(lat)) / el.Seconds(), Errors: errs, WarmN: warmN, WarmMax: warmMax}
	if len(lat) > 0 {
		r.P50 = lat[len(lat)/2]
		r.P99 = lat[len(lat)*99/100]
	}
	return r
}
