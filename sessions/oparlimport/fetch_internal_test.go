package oparlimport

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// TestFetchRetries checks which answers the importer retries: network
// errors, 5xx, 408 and 429 (honouring Retry-After), not other 4xx.
func TestFetchRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int // answers in order; 200 after them
		attempts int
		wantErr  bool
		wantHits int
	}{
		{"503 then ok", []int{503, 503}, 4, false, 3},
		{"429 then ok", []int{429}, 4, false, 2},
		{"500 until give up", []int{500, 500, 500, 500}, 3, true, 3},
		{"404 not retried", []int{404}, 4, true, 1},
		{"403 not retried", []int{403}, 4, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(hits.Add(1))
				if n <= len(tc.statuses) {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(tc.statuses[n-1])
					return
				}
				w.Write([]byte(`{"data": []}`))
			}))
			defer srv.Close()
			var retries []string
			f := &fetcher{hc: srv.Client(), sem: make(chan struct{}, 1), attempts: tc.attempts, backoff: time.Millisecond, maxWait: 10 * time.Millisecond,
				maxBody: 1 << 20, retried: func(u string, attempt int, wait time.Duration, cause error) { retries = append(retries, cause.Error()) }}
			b, err := f.get(context.Background(), srv.URL+"/list")
			if (err != nil) != tc.wantErr || int(hits.Load()) != tc.wantHits {
				t.Fatalf("err %v, %d requests; want error %v, %d requests", err, hits.Load(), tc.wantErr, tc.wantHits)
			}
			if err == nil && !strings.Contains(string(b), "data") {
				t.Errorf("body %q", b)
			}
			if len(retries) != tc.wantHits-1 {
				t.Errorf("%d retries reported for %d requests", len(retries), tc.wantHits)
			}
		})
	}
}

// TestFetchRefusesOtherSchemes: a source cannot make the importer read
// files or other protocols; such a URL is refused at once, not retried.
func TestFetchRefusesOtherSchemes(t *testing.T) {
	calls := 0
	f := &fetcher{hc: http.DefaultClient, sem: make(chan struct{}, 1), attempts: 5, backoff: time.Millisecond, maxWait: time.Millisecond,
		maxBody: 1 << 20, retried: func(string, int, time.Duration, error) { calls++ }}
	for _, u := range []string{"file:///etc/passwd", "ftp://example.org/a.pdf", "http:///nohost", "::"} {
		if _, err := f.get(context.Background(), u); err == nil || !objectProblem(err) {
			t.Errorf("%s: %v", u, err)
		}
	}
	if calls != 0 {
		t.Errorf("%d retries of refused URLs", calls)
	}
}

func TestRetryAfter(t *testing.T) {
	if got := retryAfter("7"); got != 7*time.Second {
		t.Errorf("seconds: %v", got)
	}
	if got := retryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)); got < 50*time.Second || got > time.Minute {
		t.Errorf("date: %v", got)
	}
	if got := retryAfter("bald"); got != 0 {
		t.Errorf("garbage: %v", got)
	}
}

// TestHostPolicy: the source's origin is scheme, host and port of the
// System URL; --allow-host adds an origin, a host:port or a whole host.
func TestHostPolicy(t *testing.T) {
	p, err := newHostPolicy("https://ris.example.de/oparl/system", []string{"files.example.de", "cdn.example.de:8443", "http://alt.example.de", "[::1]:9000", " "})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"https://ris.example.de/oparl/body/1", true},
		{"https://RIS.example.de:443/x", true},
		{"http://ris.example.de/oparl/body/1", false}, // another scheme
		{"https://ris.example.de:8443/x", false},      // another port
		{"https://evil.example.de/ris.example.de", false},
		{"https://ris.example.de.evil.example/x", false},
		{"http://127.0.0.1/", false},
		{"https://files.example.de/a.pdf", true},
		{"http://files.example.de:8080/a.pdf", true},
		{"https://cdn.example.de:8443/a.pdf", true},
		{"http://cdn.example.de:8443/a.pdf", true},
		{"https://cdn.example.de/a.pdf", false},
		{"http://alt.example.de/a.pdf", true},
		{"https://alt.example.de/a.pdf", false},
		{"http://[::1]:9000/a.pdf", true},
		{"http://[::1]:9001/a.pdf", false},
	} {
		u, _ := url.Parse(tc.url)
		if got := p.allows(u); got != tc.want {
			t.Errorf("%s: allowed %v, want %v", tc.url, got, tc.want)
		}
	}
}

// TestRedirectElsewhere: a redirect to another host is not followed; the
// error says where from and where to, is not retried, and counts as a
// problem of the object (skipped), not of the import.
func TestRedirectElsewhere(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer other.Close()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/here":
			http.Redirect(w, r, "/there", http.StatusFound)
		case "/there":
			w.Write([]byte(`{"ok": true}`))
		default:
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		}
	}))
	defer src.Close()
	hosts, err := newHostPolicy(src.URL+"/system", nil)
	if err != nil {
		t.Fatal(err)
	}
	retries := 0
	f := &fetcher{hc: hosts.client(src.Client()), hosts: hosts, sem: make(chan struct{}, 1), attempts: 3, backoff: time.Millisecond,
		maxWait: time.Millisecond, maxBody: 1 << 20, retried: func(string, int, time.Duration, error) { retries++ }}
	if b, err := f.get(context.Background(), src.URL+"/here"); err != nil || !strings.Contains(string(b), "ok") {
		t.Fatalf("redirect on the source's host: %s %v", b, err)
	}
	_, err = f.get(context.Background(), src.URL+"/away")
	he, e, ok := refused(err)
	if !ok || he.Via != src.URL+"/away" || he.URL != other.URL+"/x" || !objectProblem(err) ||
		ratsmappe.ErrorCode(err) != ratsmappe.EFORBIDDEN || e.Message == "" || e.MessageEN == "" {
		t.Fatalf("redirect elsewhere: %v", err)
	}
	if _, err := f.get(context.Background(), other.URL+"/direct"); ratsmappe.ErrorReason(err) != ReasonHostNotAllowed {
		t.Fatalf("URL elsewhere: %v", err)
	} else if he, _, _ := refused(err); he.Via != "" {
		t.Fatalf("URL elsewhere: %v", err)
	}
	if otherHits.Load() != 0 || retries != 0 {
		t.Errorf("%d requests reached the other host, %d retries", otherHits.Load(), retries)
	}
}
