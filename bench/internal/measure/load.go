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
}

// Load sends the requests of next from conc clients (closed loop: each
// sends its next request when the last answer is read) for d, over c.
func Load(c *http.Client, next Request, conc int, d time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var seq atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				req, good := next(seq.Add(1))
				t0 := time.Now()
				resp, err := c.Do(req.WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if !good(resp) {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := Result{N: len(lat), RPS: float64(len(lat)) / el.Seconds(), Errors: errs}
	if len(lat) > 0 {
		r.P50 = lat[len(lat)/2]
		r.P99 = lat[len(lat)*99/100]
	}
	return r
}
