package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/request"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	l := newLimiter(3, 10*time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allowed("anna"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		l.Fail("anna")
	}
	ok, wait := l.Allowed("anna")
	if ok || wait <= 0 || wait > 10*time.Minute {
		t.Errorf("after 3 failures: allowed %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allowed("bernd"); !ok {
		t.Errorf("another key is limited too")
	}
	now = now.Add(11 * time.Minute)
	if ok, _ := l.Allowed("anna"); !ok {
		t.Errorf("still limited after the window")
	}
	l.Fail("anna")
	l.Reset("anna")
	if len(l.fails) != 0 {
		t.Errorf("Reset kept state: %v", l.fails)
	}
}

func TestCSRF(t *testing.T) {
	c := newCSRF([]byte("0123456789abcdef0123456789abcdef"), func(*http.Request) bool { return false })
	other := newCSRF([]byte("another key another key another "), func(*http.Request) bool { return false })

	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/login", nil)
	tok := c.Token(w, r)
	cookie := w.Result().Cookies()[0]
	if cookie.Name != "csrf" || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %+v", cookie)
	}
	post := func(cookieVal, form string) *http.Request {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"csrf_token": {form}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookieVal != "" {
			r.AddCookie(&http.Cookie{Name: "csrf", Value: cookieVal})
		}
		return r
	}
	if !c.Check(post(tok, tok)) {
		t.Errorf("valid token refused")
	}
	forged := other.Token(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	for name, r := range map[string]*http.Request{
		"no cookie":               post("", tok),
		"no field":                post(tok, ""),
		"mismatch":                post(tok, tok[:len(tok)-2]+"xx"),
		"cookie signed elsewhere": post(forged, forged),
	} {
		if c.Check(r) {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Every route under /api/v1 is described in the OpenAPI document, with
// its method.
func TestOpenAPICoversRoutes(t *testing.T) {
	s, err := NewServer(Config{Sessions: &sessions.Store{}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	n := 0
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		p, ok := strings.CutPrefix(route, "/api/v1")
		if !ok {
			return nil
		}
		n++
		ops, ok := doc.Paths[p]
		if !ok {
			t.Errorf("%s %s is not in openapi.json", method, route)
			return nil
		}
		if _, ok := ops[strings.ToLower(method)]; !ok {
			t.Errorf("%s %s: method not in openapi.json", method, route)
		}
		return nil
	})
	if n < 20 {
		t.Errorf("only %d API routes walked", n)
	}
}

// Under a flood the admission control answers every request: with the
// page, or at once with 429 and Retry-After — never with an error, never
// by hanging.
func TestAdmission(t *testing.T) {
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write([]byte("ok"))
	})
	a := newAdmission(4, 4, 200*time.Millisecond, false)
	a.readers.gate = nil // the lane alone (TestAdmissionGate tests the gate)
	h := a.middleware(slow)
	srv := httptest.NewServer(h)
	defer srv.Close()
	const n = 40
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/meetings")
			if err != nil {
				codes <- -1
				return
			}
			if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
				codes <- -2
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	time.Sleep(400 * time.Millisecond) // the queue's wait passes
	close(release)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[200] < 4 || count[429] < n-8 || count[200]+count[429] != n {
		t.Errorf("answers %v: want the 4 running (and at most 4 queued) served, the rest 429", count)
	}
}

// Citizens' handlers compute only as many at a time as their lane's gate
// lets through; a member does not wait for the gate, and a handler that
// has started its answer (a big file to a slow client) no longer holds it.
func TestAdmissionGate(t *testing.T) {
	release := make(chan struct{})
	computing := make(chan struct{}, 100)
	a := newAdmission(64, 64, 10*time.Second, false)
	h := a.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/compute": // still working out its answer
			computing <- struct{}{}
			<-release
		case "/send": // answering, slowly
			w.Write([]byte("the first part of a big file\n"))
			w.(http.Flusher).Flush()
			<-release
		}
		w.Write([]byte("ok"))
	}))
	srv := httptest.NewServer(asMember(h))
	defer srv.Close()
	client := &http.Client{Timeout: 20 * time.Second}
	get := func(path string, hdr ...string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return client.Do(req)
	}
	// Senders leave the gate: more of them than it has places, and a
	// citizen's page is still served.
	for i := 0; i < cap(a.readers.gate)+2; i++ {
		resp, err := get("/send")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
	}
	if resp, err := get("/meetings"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("citizen's read while files are sent: %v %v", resp, err)
	}
	// Computing citizens fill the gate; a member is served meanwhile, and
	// the citizens waiting behind the gate are served after.
	var wg sync.WaitGroup
	codes := make(chan int, 100)
	for i := 0; i < cap(a.readers.gate)+3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := get("/compute")
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	for i := 0; i < cap(a.readers.gate); i++ {
		<-computing
	}
	if resp, err := get("/meetings", "X-Member", "1"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("member while the citizens' gate is full: %v %v", resp, err)
	}
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Errorf("a citizen waiting for the gate got %d", c)
		}
	}
}

// The core kept for members is lent to citizens while no member's
// request is in: then one citizen more than the gate holds computes; with
// a member's request in, the citizens are held to the gate again.
func TestAdmissionSpare(t *testing.T) {
	for _, memberIn := range []bool{false, true} {
		a := newAdmission(64, 64, 10*time.Second, false)
		if a.readers.spare == nil {
			t.Skip("one core: nothing kept for members, nothing to lend")
		}
		release := make(chan struct{})
		citizens, members := make(chan struct{}, 100), make(chan struct{}, 100)
		h := a.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Member") != "" {
				members <- struct{}{}
			} else {
				citizens <- struct{}{}
			}
			<-release
			w.Write([]byte("ok"))
		}))
		srv := httptest.NewServer(asMember(h))
		var wg sync.WaitGroup
		get := func(member bool) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("GET", srv.URL+"/meetings", nil)
				if member {
					req.Header.Set("X-Member", "1")
				}
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
		}
		want := cap(a.readers.gate) + 1
		if memberIn {
			get(true)
			<-members
			want--
		}
		for range want + 3 {
			get(false)
		}
		for i := 0; i < want; i++ {
			select {
			case <-citizens:
			case <-time.After(10 * time.Second):
				t.Fatalf("member in %v: %d of %d citizens compute", memberIn, i, want)
			}
		}
		select {
		case <-citizens:
			t.Errorf("member in %v: more than %d citizens compute", memberIn, want)
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		wg.Wait()
		srv.Close()
	}
}

// Each crowd has its own budget: with the slots of anonymous writes
// (sign-ins) taken, citizens' reads are served; with every citizen's slot
// and queue place taken too, a signed-in member is still served.
func TestAdmissionLanes(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	held := func(n int) {
		for i := 0; i < n; i++ {
			<-started
		}
	}
	a := newAdmission(4, 4, 200*time.Millisecond, false)
	a.readers.gate, a.writers.gate = nil, nil // the lanes alone (TestAdmissionGate tests the gates)
	h := a.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		w.Write([]byte("ok"))
	}))
	srv := httptest.NewServer(asMember(h))
	defer srv.Close()
	defer close(release)
	do := func(method, path string, hdr ...string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 4; i++ { // the writers' lane has 4 slots
		go do("POST", "/slow")
	}
	held(4)
	if got := do("POST", "/login"); got != 429 {
		t.Errorf("anonymous write with its lane full: %d, want 429", got)
	}
	if got := do("GET", "/meetings"); got != 200 {
		t.Errorf("citizen's read with the writers' lane full: %d", got)
	}
	for i := 0; i < 8; i++ { // 4 run, 4 wait
		go do("GET", "/slow")
	}
	held(4)
	if got := do("GET", "/meetings", "X-Member", "1"); got != 200 {
		t.Errorf("member with the other lanes full: %d", got)
	}
}

// asMember makes a request with an X-Member header a signed-in member's,
// as authenticate would have verified it.
func asMember(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Member") != "" {
			r = r.WithContext(request.WithViewer(r.Context(), access.Viewer{AccountID: 7, Role: access.RoleMember}, false))
		}
		next.ServeHTTP(w, r)
	})
}

// On PostgreSQL members' reads compute in a gate of their own (twice the
// cores), their writes (an upload waiting for its PDF worker) in none,
// and a citizen's page never in theirs; on SQLite members have no gate.
func TestAdmissionMemberGate(t *testing.T) {
	if a := newAdmission(64, 64, 10*time.Second, false); a.members.gate != nil {
		t.Fatal("SQLite: members' reads have a gate")
	}
	a := newAdmission(64, 64, 10*time.Second, true)
	if cap(a.members.gate) != 2*max(1, runtime.GOMAXPROCS(0)) || a.memberWrites.gate != nil ||
		a.memberWrites.slots != a.members.slots || a.memberWrites.queue != a.members.queue {
		t.Fatal("PostgreSQL: members' reads want a gate of twice the cores, their writes none, both the members' slots and queue")
	}
	a.readers.spare = nil // the citizens' gate alone shows where a citizen is
	in, release := make(chan struct{}), make(chan struct{})
	h := a.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in <- struct{}{}
		<-release
	}))
	member := access.Viewer{AccountID: 7, Role: access.RoleMember}
	for _, c := range []struct {
		method, path        string
		signedIn            bool
		inMembers, inReader int
	}{
		{"GET", "/meetings/3", true, 1, 0},
		{"POST", "/api/v1/annotations", true, 0, 0},
		{"GET", "/meetings/3", false, 0, 1},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if c.signedIn {
			r = r.WithContext(request.WithViewer(r.Context(), member, false))
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(httptest.NewRecorder(), r)
		}()
		<-in
		if len(a.members.gate) != c.inMembers || len(a.readers.gate) != c.inReader {
			t.Errorf("%s %s (signed in %v): %d in the members' gate, %d in the citizens'; want %d, %d",
				c.method, c.path, c.signedIn, len(a.members.gate), len(a.readers.gate), c.inMembers, c.inReader)
		}
		release <- struct{}{}
		<-done
	}
}
