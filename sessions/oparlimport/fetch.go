package oparlimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// fetcher gets URLs politely: at most cap(sem) requests at a time, and
// retries of network errors, 5xx and 429 with exponential backoff (or as
// long as Retry-After asks, up to a limit).
type fetcher struct {
	hc       *http.Client
	sem      chan struct{}
	attempts int
	backoff  time.Duration // first wait; doubles each attempt
	maxWait  time.Duration
	maxBody  int64
	retried  func(url string, attempt int, wait time.Duration, cause error)
	// hosts decides which URLs may be fetched (and redirected to); nil
	// allows every http(s) URL.
	hosts *hostPolicy
}

// errStatus is a final HTTP answer that is not 200.
type errStatus struct {
	URL    string
	Status int
}

func (e *errStatus) Error() string { return fmt.Sprintf("GET %s: HTTP %d", e.URL, e.Status) }

// isNotFound reports whether err is a 404 or 410 from the source.
func isNotFound(err error) bool {
	var se *errStatus
	return errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusGone)
}

// get returns the body of url (at most f.maxBody bytes).
func (f *fetcher) get(ctx context.Context, url string) ([]byte, error) {
	var out []byte
	err := f.do(ctx, url, "application/json", func(r io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(r, f.maxBody+1))
		if err != nil {
			return err
		}
		if int64(len(b)) > f.maxBody {
			return ratsmappe.Errorf(ratsmappe.ETOOLARGE, "Antwort von %s ist größer als %d Bytes.", url, f.maxBody)
		}
		out = b
		return nil
	})
	return out, err
}

// download writes the body of url to a new temporary file in dir and
// returns its path; the caller removes it.
func (f *fetcher) download(ctx context.Context, url, dir string, limit int64) (string, error) {
	var path string
	err := f.do(ctx, url, "application/pdf, */*", func(r io.Reader) error {
		tmp, err := os.CreateTemp(dir, "oparl-*.pdf")
		if err != nil {
			return err
		}
		n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil && n > limit {
			err = errTooLarge
		}
		if err != nil {
			os.Remove(tmp.Name())
			return err
		}
		path = tmp.Name()
		return nil
	})
	return path, err
}

var errTooLarge = errors.New("file larger than the ingestion limit")

// do runs GET url until it succeeds, fails for good, or the attempts are
// used up, and hands a 200 body to read. An error of read that is not
// errTooLarge counts as a network error (a connection dropped mid-body).
func (f *fetcher) do(ctx context.Context, url, accept string, read func(io.Reader) error) error {
	wait := f.backoff
	var last error
	for attempt := 1; ; attempt++ {
		retryAfter, err := f.once(ctx, url, accept, read)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		last = err
		if !retriable(err) || attempt >= f.attempts {
			return last
		}
		d := wait
		if retryAfter > 0 {
			d = retryAfter
		}
		d = min(d, f.maxWait)
		if f.retried != nil {
			f.retried(url, attempt, d, err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, f.maxWait)
	}
}

// retriable reports whether err may go away if asked again: a network
// error, or an HTTP answer 5xx, 408 or 429. An invalid URL, a body over
// the limit or any other answer stays as it is.
func retriable(err error) bool {
	var se *errStatus
	var ae *ratsmappe.Error
	switch {
	case errors.As(err, &se):
		return se.Status >= 500 || se.Status == http.StatusTooManyRequests || se.Status == http.StatusRequestTimeout
	case errors.Is(err, errTooLarge), errors.As(err, &ae):
		return false
	}
	return true
}

func (f *fetcher) once(ctx context.Context, url, accept string, read func(io.Reader) error) (time.Duration, error) {
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-f.sem }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültige URL %q: nur http und https werden abgerufen.", url)
	}
	if !f.hosts.allows(req.URL) {
		return 0, refuseHost(url, "")
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "Ratsmappe-OParl-Import/1")
	resp, err := f.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return retryAfter(resp.Header.Get("Retry-After")), &errStatus{URL: url, Status: resp.StatusCode}
	}
	return 0, read(resp.Body)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// ReasonHostNotAllowed is the Reason of the *ratsmappe.Error (code
// EFORBIDDEN) for a URL the import did not fetch because it lies on
// another host than the source's (scheme, host and port of the System
// URL) and those allowed (Config.AllowHosts): neither an object URL nor a
// redirect of the source can send the importer to an internal service or
// a third party. The import skips what needed it and lists the URL in
// Result.Refused.
const ReasonHostNotAllowed = "host_not_allowed"

// refusal is the cause inside a ReasonHostNotAllowed error: the URL not
// fetched and Via, the URL that redirected there ("" if the source named
// it).
type refusal struct {
	URL string
	Via string
}

func (r *refusal) Error() string { return "host " + r.host() + " not allowed" }

// host is the host (and port) of the refused URL.
func (r *refusal) host() string {
	if u, err := url.Parse(r.URL); err == nil {
		return u.Host
	}
	return ""
}

// refuseHost returns the ReasonHostNotAllowed error for u, reached
// through a redirect from via if via is not "".
func refuseHost(u, via string) error {
	r := &refusal{URL: u, Via: via}
	e := &ratsmappe.Error{Code: ratsmappe.EFORBIDDEN, Reason: ReasonHostNotAllowed, Err: r}
	if via != "" {
		e.Message = fmt.Sprintf("Nicht abgerufen: %s leitet auf %s um, einen anderen Host als den der Quelle (--allow-host %s erlaubt ihn).", via, u, r.host())
		e.MessageEN = fmt.Sprintf("Not fetched: %s redirects to %s, a host other than the source's (--allow-host %s allows it).", via, u, r.host())
	} else {
		e.Message = fmt.Sprintf("Nicht abgerufen: %s liegt auf einem anderen Host als die Quelle (--allow-host %s erlaubt ihn).", u, r.host())
		e.MessageEN = fmt.Sprintf("Not fetched: %s is on a host other than the source's (--allow-host %s allows it).", u, r.host())
	}
	return e
}

// refused returns the refusal and its error if err is a
// ReasonHostNotAllowed error.
func refused(err error) (*refusal, *ratsmappe.Error, bool) {
	var r *refusal
	var e *ratsmappe.Error
	if !errors.As(err, &e) || e.Reason != ReasonHostNotAllowed || !errors.As(e, &r) {
		return nil, nil, false
	}
	return r, e, true
}

// hostPolicy is the set of places the import may fetch from: the
// source's origin and what AllowHosts adds.
type hostPolicy struct {
	origins   map[string]bool // scheme://host:port
	hostPorts map[string]bool // host:port, http or https
	hosts     map[string]bool // host, any port, http or https
}

// newHostPolicy allows the origin of systemURL and each of allow: an
// origin (https://host[:port]), a host with port (host:port: http and
// https there) or a host (every port of it).
func newHostPolicy(systemURL string, allow []string) (*hostPolicy, error) {
	p := &hostPolicy{origins: map[string]bool{}, hostPorts: map[string]bool{}, hosts: map[string]bool{}}
	u, err := url.Parse(systemURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültige System-URL %q: nur http und https werden abgerufen.", systemURL)
	}
	p.origins[origin(u)] = true
	for _, a := range allow {
		a = strings.TrimSpace(a)
		bad := ratsmappe.Errorf(ratsmappe.EINVALID, "--allow-host %q ist kein Host, host:port oder http(s)://host[:port].", a)
		switch {
		case a == "":
			continue
		case strings.Contains(a, "://"):
			o, err := url.Parse(a)
			if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Hostname() == "" || strings.Trim(o.Path, "/") != "" ||
				o.RawQuery != "" || o.User != nil {
				return nil, bad
			}
			p.origins[origin(o)] = true
		case strings.ContainsAny(a, "/?#@ "):
			return nil, bad
		default:
			if h, port, err := net.SplitHostPort(a); err == nil {
				if h == "" || port == "" {
					return nil, bad
				}
				p.hostPorts[net.JoinHostPort(strings.ToLower(h), port)] = true
			} else {
				p.hosts[strings.ToLower(strings.Trim(a, "[]"))] = true
			}
		}
	}
	return p, nil
}

// origin is u's scheme, host and port, the default port made explicit.
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + hostPort(u)
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// allows reports whether u may be fetched; a nil policy allows all.
func (p *hostPolicy) allows(u *url.URL) bool {
	if p == nil {
		return true
	}
	return p.origins[origin(u)] || p.hostPorts[hostPort(u)] || p.hosts[strings.ToLower(u.Hostname())]
}

// client returns a copy of hc that follows redirects only to URLs p
// allows (and at most 10, as net/http does), refusing others with
// ReasonHostNotAllowed.
func (p *hostPolicy) client(hc *http.Client) *http.Client {
	c := *hc
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !p.allows(req.URL) {
			return refuseHost(req.URL.String(), via[0].URL.String())
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}
