package oparlimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
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
