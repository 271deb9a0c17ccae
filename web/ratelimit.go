package web

import (
	"context"
	"crypto/sha256"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe/accounts"
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

// signInThrottle slows down password guessing without letting anyone lock
// a council member out (members' names are public):
//
//   - per account name and client address, five wrong passwords cost
//     nothing; after that, each further attempt from that address for that
//     name waits twice as long as the one before — 1 s, 2 s, 4 s, … at most
//     15 minutes — until a right password, or an hour without a wrong one;
//   - per client address (an IPv6 client's /64), at most fifty wrong
//     passwords across all names in 15 minutes.
//
// The right password from another address signs in at once, however
// throttled one address is.
//
// With a Store the counts are in the database (package accounts), so that
// several app servers behind one balancer count a guesser's attempts
// together; without one (tests of the policy) in memory.
type signInThrottle struct {
	pairs *backoff
	addrs *limiter
	db    *accounts.Store
	now   func() time.Time
}

const (
	signInFree        = 5
	signInFirstWait   = time.Second
	signInMaxWait     = 15 * time.Minute
	signInForget      = time.Hour
	signInAddressMax  = 50
	signInAddressSpan = 15 * time.Minute
)

func newSignInThrottle(now func() time.Time) *signInThrottle {
	return &signInThrottle{
		pairs: &backoff{free: signInFree, first: signInFirstWait, max: signInMaxWait, forget: signInForget, now: now, keys: map[string]strikes{}},
		addrs: newLimiter(signInAddressMax, signInAddressSpan, now),
		now:   now,
	}
}

// newSharedSignInThrottle is the throttle with its counts in db.
func newSharedSignInThrottle(db *accounts.Store, now func() time.Time) *signInThrottle {
	t := newSignInThrottle(now)
	t.db = db
	return t
}

// Wait returns how long name from addr must wait before its next attempt
// (0: it may try now). If the database cannot be read, it does not hold
// anyone back: the password check that follows needs the database too.
func (t *signInThrottle) Wait(ctx context.Context, name, addr string) time.Duration {
	a := addressKey(addr)
	if t.db == nil {
		d := t.pairs.Wait(pairKey(name, a))
		if ok, wait := t.addrs.Allowed(a); !ok {
			d = max(d, wait)
		}
		return d
	}
	now := t.now()
	var d time.Duration
	if n, last, err := t.db.SignInStrikes(ctx, pairKey(name, a)); err == nil && now.Sub(last) < signInForget {
		d = backoffWait(n, last, now, signInFree, signInFirstWait, signInMaxWait)
	}
	if n, oldest, err := t.db.AddressFailures(ctx, a, now.Add(-signInAddressSpan)); err == nil && n >= signInAddressMax {
		d = max(d, oldest.Add(signInAddressSpan).Sub(now))
	}
	return d
}

// Fail records a wrong password for name from addr.
func (t *signInThrottle) Fail(ctx context.Context, name, addr string) error {
	a := addressKey(addr)
	if t.db == nil {
		t.pairs.Fail(pairKey(name, a))
		t.addrs.Fail(a)
		return nil
	}
	return t.db.AddSignInStrike(ctx, pairKey(name, a), a, t.now(), signInForget)
}

// Succeed forgets the wrong passwords for name from addr (not the
// address's budget).
func (t *signInThrottle) Succeed(ctx context.Context, name, addr string) error {
	key := pairKey(name, addressKey(addr))
	if t.db == nil {
		t.pairs.Reset(key)
		return nil
	}
	return t.db.ClearSignInStrikes(ctx, key)
}

func pairKey(name, addrKey string) string { return strings.ToLower(name) + "\x00" + addrKey }

// addressKey is the key of a client address: the address, or for IPv6 its
// /64, which one client usually has whole.
func addressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// backoff doubles the wait before each attempt of a key after free
// failures, from first up to max; a key without a failure for forget
// starts afresh.
type backoff struct {
	mu                 sync.Mutex
	free               int
	first, max, forget time.Duration
	now                func() time.Time
	keys               map[string]strikes
}

type strikes struct {
	n    int
	last time.Time
}

// Wait returns how long key must wait before its next attempt.
func (b *backoff) Wait(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.keys[key]
	now := b.now()
	if !ok || s.n < b.free {
		return 0
	}
	if now.Sub(s.last) >= b.forget {
		delete(b.keys, key)
		return 0
	}
	return backoffWait(s.n, s.last, now, b.free, b.first, b.max)
}

// backoffWait is how long a key with n failures, the last at last, waits
// at now: nothing for the first free, then first, doubling up to most.
func backoffWait(n int, last, now time.Time, free int, first, most time.Duration) time.Duration {
	if n < free {
		return 0
	}
	d := most
	if shift := n - free; shift < 30 && first<<shift < most {
		d = first << shift
	}
	return max(0, last.Add(d).Sub(now))
}

// Fail records a failure of key.
func (b *backoff) Fail(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	s := b.keys[key]
	if now.Sub(s.last) >= b.forget {
		s = strikes{}
	}
	s.n++
	s.last = now
	if len(b.keys) >= 100_000 {
		for k, o := range b.keys {
			if now.Sub(o.last) >= b.forget {
				delete(b.keys, k)
			}
		}
	}
	b.keys[key] = s
}

// Reset forgets key's failures.
func (b *backoff) Reset(key string) {
	b.mu.Lock()
	delete(b.keys, key)
	b.mu.Unlock()
}

// knownTokens are credentials (hashed) that verified in the last minute;
// they skip the lane for checking unknown ones (see authenticate). Being
// here grants nothing else: every request's credential is still checked.
type knownTokens struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[[32]byte]time.Time
}

func newKnownTokens(now func() time.Time) *knownTokens {
	return &knownTokens{now: now, m: map[[32]byte]time.Time{}}
}

func (k *knownTokens) has(tok string) bool {
	h := sha256.Sum256([]byte(tok))
	k.mu.Lock()
	defer k.mu.Unlock()
	exp, ok := k.m[h]
	return ok && k.now().Before(exp)
}

func (k *knownTokens) add(tok string) {
	h := sha256.Sum256([]byte(tok))
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) >= 10_000 {
		// Only valid credentials get here; so many at once is not a
		// council. Start afresh rather than grow.
		clear(k.m)
	}
	k.m[h] = k.now().Add(time.Minute)
}
