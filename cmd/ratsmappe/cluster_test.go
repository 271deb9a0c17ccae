package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/s3blob/miniotest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
)

// TestCluster runs the installation a city runs at the deadline: one
// PostgreSQL database, one MinIO bucket, three app servers (each with a
// data directory of its own) behind a round-robin proxy, and a mail
// server. A publication on one server is seen on another in the same
// second; an unpublication on the third is refused on the other two at
// once; a citizen subscribes through the proxy (the form from one server,
// the post to the next, the link opened on a third) and a scheduled
// publication alerts them exactly once, though every server's worker
// looks; a secret vote takes ballots on all three servers and closes on
// any with every choice counted; kill -9 of one server under load loses
// no acknowledged write, and the other two keep answering.
func TestCluster(t *testing.T) {
	pg := pgtest.URL(t)
	s3 := miniotest.Start(t)
	mp := mailpittest.Start(t, mailpittest.Options{})

	// The proxy first: its address is the installation's public URL.
	rr := &roundRobin{}
	proxy := httptest.NewServer(rr)
	t.Cleanup(proxy.Close)
	env := []string{
		"RATSMAPPE_DATABASE_URL=" + pg,
		"RATSMAPPE_BLOBS=s3",
		"RATSMAPPE_S3_ENDPOINT=" + s3.Endpoint,
		"RATSMAPPE_S3_BUCKET=" + s3.Bucket,
		"RATSMAPPE_S3_ACCESS_KEY=" + s3.AccessKey,
		"RATSMAPPE_S3_SECRET_KEY=" + s3.SecretKey,
		"RATSMAPPE_S3_REGION=" + s3.Region,
		"RATSMAPPE_SMTP_URL=smtp://" + mp.SMTP,
		"RATSMAPPE_MAIL_FROM=Ratsmappe Lindenau <ratsmappe@lindenau.example>",
		"RATSMAPPE_PUBLIC_URL=" + proxy.URL,
		"RATSMAPPE_ALERTS_INTERVAL=1s",
	}
	first := newCLI(t)
	first.env = env
	var res struct {
		Accounts []struct {
			Name, Role, Token string
			PersonID          int64 `json:"person_id"`
		}
	}
	if err := json.Unmarshal([]byte(first.run("demo", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	tok := map[string]string{}
	for _, a := range res.Accounts {
		tok[a.Name] = a.Token
	}

	var bases []string
	var cmds []*exec.Cmd
	for i := range 3 {
		c := first
		if i > 0 {
			c = newCLI(t)
			c.env = env
		}
		base, cmd := startServer(t, c)
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		bases, cmds = append(bases, base), append(cmds, cmd)
	}
	rr.set(bases)
	office := func(i int) api { return api{t, bases[i], tok["ratsbuero"]} }
	citizen := func(i int) api { return api{t, bases[i], ""} }

	var bau int64
	for _, o := range office(0).must(200, "GET", "/api/v1/organizations", nil)["data"].([]any) {
		if m := o.(map[string]any); m["name"] == "Bauausschuss" {
			bau = id(m, "id")
		}
	}
	newMeeting := func(on int, name string) int64 {
		m := office(on).must(201, "POST", "/api/v1/meetings", map[string]any{"organization_id": bau, "name": name,
			"start": time.Now().Add(96 * time.Hour).Format(time.RFC3339), "location": "Rathaus, Saal 2"})
		office(on).must(201, "POST", fmt.Sprintf("/api/v1/meetings/%d/items", id(m, "id")), map[string]any{"number": "Ö 1", "title": name + " – Beschluss", "public": true})
		return id(m, "id")
	}

	// Publish on server 0: server 1 shows it within the second, on its
	// cached meeting list too (warmed before).
	m := newMeeting(0, "Cluster-Sitzung Sichtbarkeit")
	if status, _, _ := citizen(1).do("GET", fmt.Sprintf("/api/v1/meetings/%d", m), nil); status != 404 {
		t.Fatalf("draft meeting on server 1: %d", status)
	}
	listed := func(i int) bool {
		status, _, body := citizen(i).do("GET", "/meetings", nil)
		return status == 200 && strings.Contains(body, "Cluster-Sitzung Sichtbarkeit")
	}
	listed(1)
	office(0).must(200, "POST", fmt.Sprintf("/api/v1/meetings/%d/publish", m), map[string]any{})
	published := time.Now()
	for !listed(1) || citizenStatus(t, bases[1], m) != 200 {
		if time.Since(published) > time.Second {
			t.Fatalf("published on server 0, not visible on server 1 after %v", time.Since(published))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("publication on server 0 seen on server 1 after %v", time.Since(published).Round(time.Millisecond))

	// Unpublish on server 2: refused on 0 and 1 at once, page and API —
	// once the commit's notification has reached them (their caches
	// follow the database by LISTEN/NOTIFY: well under a millisecond to
	// a few), so the test allows 100 ms and says how long it took.
	office(2).must(204, "POST", fmt.Sprintf("/api/v1/meetings/%d/unpublish", m), map[string]any{})
	unpublished := time.Now()
	for i := range 2 {
		for citizenStatus(t, bases[i], m) != 404 || listed(i) {
			if time.Since(unpublished) > 100*time.Millisecond {
				t.Errorf("unpublished on server 2, server %d still shows the meeting after %v", i, time.Since(unpublished))
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	t.Logf("unpublication on server 2 refused on servers 0 and 1 after %v", time.Since(unpublished).Round(time.Microsecond))

	// A citizen subscribes through the proxy to the committee's alerts.
	addr := "buerger@example.org"
	browser := newBrowser(t)
	body := browser.get(proxy.URL + fmt.Sprintf("/alerts?organization=%d", bau))
	status, page := browser.post(proxy.URL+"/alerts", url.Values{"csrf_token": {formToken(t, body)}, "organization": {fmt.Sprint(bau)}, "email": {addr}})
	if status != 200 {
		t.Fatalf("subscribe through the proxy: %d\n%s", status, page)
	}
	link := waitMail(t, mp, addr, "", 30*time.Second)
	token := regexp.MustCompile(`/alerts/confirm/([A-Za-z0-9_-]+)`).FindStringSubmatch(link)
	if token == nil {
		t.Fatalf("no confirmation link in %q", link)
	}
	body = browser.get(proxy.URL + "/alerts/confirm/" + token[1])
	if status, page := browser.post(proxy.URL+"/alerts/confirm/"+token[1], url.Values{"csrf_token": {formToken(t, body)}}); status != 200 {
		t.Fatalf("confirm through the proxy: %d\n%s", status, page)
	}

	// A publication set for three seconds ahead, on server 1: every
	// server shows it once the time has come, and the alert goes out
	// once.
	sched := newMeeting(1, "Cluster-Sitzung Termin")
	at := time.Now().Add(3 * time.Second)
	office(1).must(200, "POST", fmt.Sprintf("/api/v1/meetings/%d/publish", sched), map[string]any{"at": at.Format(time.RFC3339Nano)})
	for i := range 3 {
		if s := citizenStatus(t, bases[i], sched); s != 404 {
			t.Errorf("before its time, server %d answers %d", i, s)
		}
	}
	time.Sleep(time.Until(at))
	for i := range 3 {
		deadline := time.Now().Add(time.Second)
		for citizenStatus(t, bases[i], sched) != 200 {
			if time.Now().After(deadline) {
				t.Errorf("server %d does not show the meeting a second after its publication time", i)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitMail(t, mp, addr, "Cluster-Sitzung Termin", 60*time.Second)
	time.Sleep(4 * time.Second) // every server's worker has looked again
	if n := mailsTo(t, mp, addr, "Cluster-Sitzung Termin"); n != 1 {
		t.Errorf("the scheduled publication alerted %d times, want once", n)
	}

	// A secret vote of the council: the session runs on server 0, the
	// members' ballots go to all three servers, server 2 closes it with
	// every choice counted (each server keeps the counts, see package
	// live).
	var council int64
	for _, o := range office(0).must(200, "GET", "/api/v1/organizations", nil)["data"].([]any) {
		if m := o.(map[string]any); m["name"] == "Gemeinderat" {
			council = id(m, "id")
		}
	}
	cm := office(0).must(201, "POST", "/api/v1/meetings", map[string]any{"organization_id": council, "name": "Cluster-Ratssitzung",
		"start": time.Now().Add(time.Hour).Format(time.RFC3339), "location": "Ratssaal"})
	item := office(0).must(201, "POST", fmt.Sprintf("/api/v1/meetings/%d/items", id(cm, "id")), map[string]any{"number": "N 1", "title": "Personalangelegenheit", "public": false})
	office(0).must(200, "POST", fmt.Sprintf("/api/v1/meetings/%d/publish", id(cm, "id")), map[string]any{})
	office(0).must(200, "POST", fmt.Sprintf("/api/v1/meetings/%d/start", id(cm, "id")), nil)
	var voters []string
	for _, a := range res.Accounts {
		if a.Role == "member" && a.PersonID != 0 {
			office(1).must(200, "PUT", fmt.Sprintf("/api/v1/meetings/%d/attendance/%d", id(cm, "id"), a.PersonID), map[string]any{"status": "present"})
			voters = append(voters, a.Token)
		}
	}
	vote := office(0).must(201, "POST", fmt.Sprintf("/api/v1/items/%d/votes", id(item, "id")), map[string]any{"kind": "secret", "rule": "simple",
		"quorum_reason": "Test: nur die Mitglieder mit Anmeldung sind anwesend"})
	want := map[string]float64{}
	for i, token := range voters {
		choice := []string{"yes", "no", "abstain"}[i%3]
		api{t, bases[i%3], token}.must(200, "PUT", fmt.Sprintf("/api/v1/votes/%d/ballot", id(vote, "id")), map[string]any{"choice": choice})
		want[choice]++
	}
	result := office(2).must(200, "POST", fmt.Sprintf("/api/v1/votes/%d/close", id(vote, "id")), nil)
	for choice, n := range want {
		if result[choice] != n {
			t.Errorf("secret vote closed on server 2: %v, want %v", result, want)
			break
		}
	}
	t.Logf("secret vote: %d ballots over three servers, closed on the third: %v yes, %v no, %v abstain", len(voters), result["yes"], result["no"], result["abstain"])

	// Load through the proxy: agenda items written by the office, pages
	// read by citizens. Server 2 dies by kill -9 in the middle; every
	// write acknowledged must be there afterwards, and servers 0 and 1
	// answer every request sent to them.
	load := newMeeting(0, "Cluster-Sitzung Last")
	var (
		mu       sync.Mutex
		acked    []int64
		failures atomic.Int64 // requests that reached a live server and failed
	)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				st, body, err := rr.do(ctx, tok["ratsbuero"], "POST", fmt.Sprintf("/api/v1/meetings/%d/items", load),
					fmt.Sprintf(`{"number":"Ö %d.%d","title":"Lastpunkt %d/%d","public":true}`, w, i, w, i))
				if err == errBackendDown || ctx.Err() != nil {
					continue
				}
				if err != nil || st != 201 {
					failures.Add(1)
					t.Logf("write through the proxy: %d %v %s", st, err, body)
					continue
				}
				var item struct{ ID int64 }
				json.Unmarshal(body, &item)
				mu.Lock()
				acked = append(acked, item.ID)
				mu.Unlock()
				if st, _, err := rr.do(ctx, "", "GET", "/meetings", ""); err == nil && st != 200 {
					failures.Add(1)
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	cmds[2].Process.Signal(syscall.SIGKILL)
	cmds[2].Wait()
	time.Sleep(1500 * time.Millisecond)
	cancel()
	wg.Wait()
	if f := failures.Load(); f > 0 {
		t.Errorf("%d requests to live servers failed while server 2 died", f)
	}
	if len(acked) < 10 {
		t.Fatalf("only %d writes acknowledged under load", len(acked))
	}
	have := map[int64]bool{}
	agenda := office(1).must(200, "GET", fmt.Sprintf("/api/v1/meetings/%d", load), nil)
	for _, it := range agenda["agenda"].([]any) {
		have[id(it.(map[string]any), "id")] = true
	}
	lost := 0
	for _, a := range acked {
		if !have[a] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost after kill -9 of one server", lost, len(acked))
	}
	t.Logf("%d writes acknowledged under load, none lost; %d requests went to the killed server", len(acked), rr.down.Load())
}

// citizenStatus is the status of a meeting's API object for the public.
func citizenStatus(t *testing.T, base string, meeting int64) int {
	t.Helper()
	status, _, _ := api{t, base, ""}.do("GET", fmt.Sprintf("/api/v1/meetings/%d", meeting), nil)
	return status
}

// roundRobin is the test's load balancer: each request goes to the next
// server; a server that refuses connections is left out from then on
// (as a balancer's health check would), and the request answers 502.
type roundRobin struct {
	mu       sync.Mutex
	backends []*url.URL
	dead     map[int]bool
	next     int
	down     atomic.Int64
}

var errBackendDown = fmt.Errorf("server down")

func (rr *roundRobin) set(bases []string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.dead = map[int]bool{}
	for _, b := range bases {
		u, _ := url.Parse(b)
		rr.backends = append(rr.backends, u)
	}
}

func (rr *roundRobin) pick() (int, *url.URL) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	for range rr.backends {
		i := rr.next % len(rr.backends)
		rr.next++
		if !rr.dead[i] {
			return i, rr.backends[i]
		}
	}
	return -1, nil
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i, u := rr.pick()
	if u == nil {
		http.Error(w, "no server", http.StatusBadGateway)
		return
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		rr.mu.Lock()
		rr.dead[i] = true
		rr.mu.Unlock()
		rr.down.Add(1)
		w.Header().Set("X-Backend-Down", "1")
		w.WriteHeader(http.StatusBadGateway)
	}
	p.ServeHTTP(w, r)
}

// do sends a request through the balancer as a client would, telling a
// request that reached the dying server (errBackendDown: not
// acknowledged, the client would retry) from a failure.
func (rr *roundRobin) do(ctx context.Context, token, method, path, body string) (int, []byte, error) {
	req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	w := httptest.NewRecorder()
	rr.ServeHTTP(w, req)
	if w.Header().Get("X-Backend-Down") != "" {
		return 0, nil, errBackendDown
	}
	return w.Code, w.Body.Bytes(), nil
}

// browser is a citizen's browser: cookies, no redirects followed.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(u string) string {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, body)
	}
	return string(body)
}

func (b *browser) post(u string, form url.Values) (int, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func formToken(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token in the page")
	}
	return m[1]
}

// waitMail waits for a message to addr whose text contains want and
// returns its text.
func waitMail(t *testing.T, mp *mailpittest.Server, addr, want string, wait time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		for _, s := range mp.Messages(t) {
			for _, to := range s.To {
				if strings.EqualFold(to.Address, addr) {
					if m := mp.Message(t, s.ID); strings.Contains(m.Text, want) {
						return m.Text
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with %q after %v", addr, want, wait)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mailsTo(t *testing.T, mp *mailpittest.Server, addr, want string) int {
	n := 0
	for _, s := range mp.Messages(t) {
		for _, to := range s.To {
			if strings.EqualFold(to.Address, addr) && strings.Contains(mp.Message(t, s.ID).Text, want) {
				n++
			}
		}
	}
	return n
}
