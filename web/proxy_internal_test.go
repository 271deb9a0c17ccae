package web

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// Forwarding headers count only from trusted proxies; X-Forwarded-For
// gives the right-most address that is not a trusted proxy.
func TestResolveClient(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.7 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		hdr        map[string]string
		tls        bool
		public     string
		addr, base string
		https      bool
	}{
		{"no proxy", "203.0.113.5:4000", nil, false, "", "203.0.113.5", "http://rat.test", false},
		{"untrusted peer's headers ignored", "203.0.113.5:4000",
			map[string]string{"X-Forwarded-For": "1.2.3.4", "X-Real-IP": "5.6.7.8", "X-Forwarded-Proto": "https"}, false, "", "203.0.113.5", "http://rat.test", false},
		{"loopback is not trusted by default", "127.0.0.1:4000", map[string]string{"X-Real-IP": "5.6.7.8"}, false, "", "127.0.0.1", "http://rat.test", false},
		{"trusted: X-Real-IP", "10.1.2.3:4000", map[string]string{"X-Real-IP": "198.51.100.9", "X-Forwarded-Proto": "https"}, false, "", "198.51.100.9", "https://rat.test", true},
		{"trusted: right-most untrusted of X-Forwarded-For", "10.1.2.3:4000",
			map[string]string{"X-Forwarded-For": "6.6.6.6, 198.51.100.9, 10.9.9.9", "X-Real-IP": "7.7.7.7"}, false, "", "198.51.100.9", "http://rat.test", false},
		{"trusted: every hop trusted", "10.1.2.3:4000", map[string]string{"X-Forwarded-For": "10.0.0.2, 192.168.1.7"}, false, "", "10.0.0.2", "http://rat.test", false},
		{"trusted: garbage left of a hop", "10.1.2.3:4000", map[string]string{"X-Forwarded-For": "6.6.6.6, nonsense, 10.4.4.4"}, false, "", "10.4.4.4", "http://rat.test", false},
		{"trusted: garbage only", "10.1.2.3:4000", map[string]string{"X-Forwarded-For": "nonsense", "X-Real-IP": "198.51.100.9"}, false, "", "198.51.100.9", "http://rat.test", false},
		{"trusted IPv6 peer, mapped client", "[::1]:4000", map[string]string{"X-Forwarded-For": "::ffff:198.51.100.9"}, false, "", "198.51.100.9", "http://rat.test", false},
		{"single trusted address only", "192.168.1.8:4000", map[string]string{"X-Real-IP": "5.6.7.8"}, false, "", "192.168.1.8", "http://rat.test", false},
		{"trusted proxy says http over TLS", "10.1.2.3:4000", map[string]string{"X-Forwarded-Proto": "http"}, true, "", "10.1.2.3", "http://rat.test", false},
		{"TLS", "203.0.113.5:4000", nil, true, "", "203.0.113.5", "https://rat.test", true},
		{"public URL wins over Host", "203.0.113.5:4000", map[string]string{"X-Forwarded-Proto": "http"}, false, "https://rat.example.org", "203.0.113.5", "https://rat.example.org", true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr, r.Host = c.peer, "rat.test"
		for k, v := range c.hdr {
			r.Header.Set(k, v)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		got := resolve(r, trusted, c.public)
		if got.addr.String() != c.addr || got.base != c.base || got.https != c.https {
			t.Errorf("%s: %v %q https=%v, want %s %q https=%v", c.name, got.addr, got.base, got.https, c.addr, c.base, c.https)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "1.2.3"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"rat.example.org", "ftp://rat.example.org", "https://rat.example.org/portal", "https://rat.example.org/?a=b", "https://"} {
		if _, err := parsePublicURL(bad); err == nil {
			t.Errorf("parsePublicURL(%q) accepted", bad)
		}
	}
	if got, err := parsePublicURL("https://rat.example.org:8443/"); err != nil || got != "https://rat.example.org:8443" {
		t.Errorf("parsePublicURL: %q %v", got, err)
	}
}

// Wrong passwords slow down one name from one address, with doubling
// waits; an address has a budget across names; an IPv6 client counts by
// its /64.
//
// The same policy holds with the counts in memory and in the database
// (where several app servers share them): a second throttle on the same
// database sees the first one's counts.
func TestSignInThrottle(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		testSignInThrottle(t, func(now func() time.Time) (*signInThrottle, *signInThrottle) {
			th := newSignInThrottle(now)
			return th, th
		})
	})
	t.Run("database", func(t *testing.T) {
		s := fuzzServer(t)
		testSignInThrottle(t, func(now func() time.Time) (*signInThrottle, *signInThrottle) {
			st := accounts.NewStore(s.cfg.DB, now)
			return newSharedSignInThrottle(st, now), newSharedSignInThrottle(st, now)
		})
	})
}

func testSignInThrottle(t *testing.T, two func(now func() time.Time) (*signInThrottle, *signInThrottle)) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	th, other := two(func() time.Time { return now })
	for i := 0; i < 5; i++ {
		if d := th.Wait(ctx, "Anna", "192.0.2.1"); d != 0 {
			t.Fatalf("attempt %d: wait %v", i+1, d)
		}
		other.Fail(ctx, "anna", "192.0.2.1")
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if d := th.Wait(ctx, "ANNA", "192.0.2.1"); d != want {
			t.Fatalf("wait %v, want %v", d, want)
		}
		if d := th.Wait(ctx, "anna", "192.0.2.2"); d != 0 {
			t.Fatalf("another address waits %v", d)
		}
		if d := th.Wait(ctx, "bernd", "192.0.2.1"); d != 0 {
			t.Fatalf("another name waits %v", d)
		}
		now = now.Add(want)
		other.Fail(ctx, "anna", "192.0.2.1")
	}
	for i := 0; i < 20; i++ {
		other.Fail(ctx, "anna", "192.0.2.1")
	}
	if d := th.Wait(ctx, "anna", "192.0.2.1"); d != 15*time.Minute {
		t.Errorf("wait after many failures %v, want the cap of 15 min", d)
	}
	other.Succeed(ctx, "anna", "192.0.2.1")
	if d := th.Wait(ctx, "anna", "192.0.2.1"); d != 0 {
		t.Errorf("wait after success %v", d)
	}

	// Fifty wrong passwords from one IPv6 /64, across names.
	for i := 0; i < 50; i++ {
		other.Fail(ctx, "name"+strings.Repeat("x", i), "2001:db8::"+strings.Repeat("1", 1+i%4))
	}
	if d := th.Wait(ctx, "carla", "2001:db8::ffff"); d <= 0 || d > 15*time.Minute {
		t.Errorf("address budget: wait %v", d)
	}
	if d := th.Wait(ctx, "carla", "2001:db8:0:1::1"); d != 0 {
		t.Errorf("the next /64 waits %v", d)
	}
	now = now.Add(16 * time.Minute)
	if d := th.Wait(ctx, "carla", "2001:db8::ffff"); d != 0 {
		t.Errorf("address budget after the window: wait %v", d)
	}
}

// Nobody can lock a member out: wrong passwords from one address refuse
// that address, while the right password from another address signs in
// at once. Clients dial from distinct loopback addresses (Linux routes
// all of 127/8 to lo); the throttle's clock stands still.
func TestSignInFromAnotherAddress(t *testing.T) {
	s := fuzzServer(t)
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s.signIns = newSignInThrottle(func() time.Time { return now })
	srv := httptest.NewServer(s)
	defer srv.Close()
	tok := s.csrf.sign(make([]byte, 16))
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return &http.Client{
			Transport:     &http.Transport{DialContext: d.DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	post := func(c *http.Client, pw string, hdr ...string) *http.Response {
		t.Helper()
		form := url.Values{"name": {"anna"}, "password": {pw}, "csrf_token": {tok}}.Encode()
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	attacker, anna := from("127.0.0.2"), from("127.0.0.3")
	for i := 0; i < 5; i++ {
		if resp := post(attacker, "falsch"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, resp.StatusCode)
		}
	}
	// A forged X-Real-IP does not move the attacker to a fresh address.
	if resp := post(attacker, "ein gutes Passwort", "X-Real-IP", "198.51.100.7", "X-Forwarded-For", "198.51.100.8"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("right password from the throttled address: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp := post(anna, "ein gutes Passwort")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right password from another address: %d", resp.StatusCode)
	}
	signedIn := false
	for _, c := range resp.Cookies() {
		signedIn = signedIn || (c.Name == authCookie && c.Value != "")
	}
	if !signedIn {
		t.Errorf("no auth cookie")
	}
	// The sign-in is audited with the real address, not a forged one.
	es, err := s.cfg.Sessions.FindAuditEntriesFor(context.Background(), sessions.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 || !strings.HasSuffix(es[0].Details, " 127.0.0.3") {
		t.Errorf("sign-in audit: %+v", es)
	}
	// Once its wait has passed, the throttled address may try again.
	now = now.Add(time.Second)
	if resp := post(attacker, "ein gutes Passwort"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the wait: %d", resp.StatusCode)
	}
}

// A server told of every commit (several app servers on PostgreSQL)
// answers the cache's generation from memory while in step; a notice
// takes it out of step at once, so that requests read the feed
// themselves until the read the notice started has come back.
func TestGenerationFollowsNotices(t *testing.T) {
	s := fuzzServer(t)
	db := s.cfg.DB
	ctx := context.Background()
	g := newGeneration(db)
	g.follow = true
	add := func() {
		t.Helper()
		if _, err := db.Exec(`INSERT INTO changes (kind, object_id) VALUES ('document', 1)`); err != nil {
			t.Fatal(err)
		}
	}
	newest := func() int64 {
		n, err := g.readFeed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	inStep := func() {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !g.inStep.Load(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("not in step 5 s after a notice")
			}
		}
	}
	if n, _ := g.read(ctx); n != newest() || g.inStep.Load() {
		t.Fatalf("before any notice: %d, in step %v; want the feed read each time", n, g.inStep.Load())
	}
	g.changed() // the listener connected
	inStep()
	add()
	if n, _ := g.read(ctx); n == newest() {
		t.Fatalf("a commit not yet notified is seen: the generation was read, not taken from memory")
	}
	g.changed()
	if n, _ := g.read(ctx); n != newest() {
		t.Errorf("right after a notice: %d, want the feed's %d", n, newest())
	}
	inStep()
	if n, _ := g.read(ctx); n != newest() {
		t.Errorf("in step after the notice: %d, want %d", n, newest())
	}
	// Notices while a sync runs: it ends in step with the last.
	for range 20 {
		add()
		g.changed()
	}
	inStep()
	if n, _ := g.read(ctx); n != newest() {
		t.Errorf("after twenty notices: %d, want %d", n, newest())
	}
}
