package web

import (
	"sync"
	"time"
)

// limiter counts failures per key (an account name, a client address) in a
// sliding window and refuses further attempts once a key has too many.
// It forgets keys whose window has passed, so its memory stays bounded by
// the traffic of one window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, fails: map[string][]time.Time{}}
}

// Allowed reports whether key may try again now, and if not, how long
// until it may.
func (l *limiter) Allowed(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.prune(key, now)
	if len(ts) < l.max {
		return true, 0
	}
	return false, ts[0].Add(l.window).Sub(now)
}

// Fail records a failed attempt of key.
func (l *limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.fails[key] = append(l.prune(key, now), now)
	if len(l.fails) > 100_000 {
		for k := range l.fails {
			l.prune(k, now)
		}
	}
}

// Reset forgets key's failures (after a successful sign-in).
func (l *limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

func (l *limiter) prune(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}
