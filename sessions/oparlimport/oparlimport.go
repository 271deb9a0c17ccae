// Package oparlimport imports a council's data from an OParl 1.1 endpoint
// (SessionNet, ALLRIS, SD.NET, another Ratsmappe …) into package sessions:
// bodies, organizations, persons, memberships, legislative terms,
// meetings with their agenda items, papers with their consultations, and
// the files of all of them, which go through the normal ingestion of
// package documents (PDF workers, sanitizing, text extraction; a refused
// file is recorded with its typed reason and reported, never fatal).
//
// An import is incremental and restartable. Every imported object is
// recorded with its OParl id and the source's modified
// (sessions.OParlObject), so a rerun updates what changed and skips the
// rest instead of duplicating; after each list page the run records the
// next page (sessions.SetOParlList), so a run broken off by a crash or a
// network failure continues where it stopped. A run that completed sets
// the modified_since of the next one: its start, less a margin for clocks
// that disagree.
//
// What OParl publishes is public: imported meetings are published,
// papers published, files of public objects public. An agenda item the
// source marks public: false stays non-public (the public sees its stub),
// and so do its files. Objects the source marks deleted are taken back
// locally: a meeting is unpublished, a paper unpublished, an agenda item
// or file withdrawn — kept and auditable, as everything here.
//
// It fetches only from the source's origin (scheme, host and port of the
// System URL) and the hosts Config.AllowHosts adds: an object URL, file
// URL or redirect elsewhere is not fetched but reported
// (ReasonHostNotAllowed, Result.Refused), and what needed it is skipped. Config.Deadline bounds
// a run.
//
// This package speaks HTTP to the source; it is the adapter of the
// sessions domain to OParl servers.
package oparlimport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// SinceMargin is subtracted from the start of the last completed run to
// get the next run's modified_since, so that a source whose clock is a
// little behind ours loses nothing. Objects seen again are unchanged and
// cost one comparison.
const SinceMargin = 5 * time.Minute

// Config configures an import. Sessions and Documents are required.
type Config struct {
	Sessions  *sessions.Store
	Documents *documents.Service
	// Client makes the requests; default one with a 2-minute timeout.
	// Its redirects are followed only where AllowHosts lets them go.
	Client *http.Client
	// AllowHosts are the places besides the source's origin (scheme,
	// host and port of the System URL) that object URLs, file URLs and
	// redirects may lead to: an origin (https://files.example.org), a
	// host with port (host:port, http and https) or a host (any port).
	// A URL elsewhere is not fetched; it is reported in Result.Refused
	// and what needed it is skipped.
	AllowHosts []string
	// Deadline bounds a whole run (default 2 h); a run that reaches it
	// stops like one broken off, and the next call continues it.
	Deadline time.Duration
	// Concurrency is how many requests run at a time against the source
	// (and how many objects of a page are worked on at once); default 4.
	Concurrency int
	// Since asks only for objects modified since then; zero takes the
	// start of the last completed run (less SinceMargin). Full ignores
	// both and fetches everything.
	Since time.Time
	Full  bool
	// TempDir holds downloads until they are ingested; default os.TempDir.
	TempDir string
	// MaxFileSize is the largest file downloaded; default 200 MB.
	MaxFileSize int64
	// Attempts per request (default 6), the first retry waiting Backoff
	// (default 500 ms), doubling up to MaxWait (default 30 s; Retry-After
	// is honoured up to MaxWait too).
	Attempts int
	Backoff  time.Duration
	MaxWait  time.Duration
	// Progress receives one line per list page; nil for none.
	Progress io.Writer
	Logger   *slog.Logger
}

// Result is what a run did. Counts are by kind of local object
// ("organization", "meeting", "agenda_item", "paper", "document", …).
type Result struct {
	ImportID  int64
	Resumed   bool      // the run continued one that broke off
	Since     time.Time // modified_since asked for; zero for everything
	Created   map[string]int
	Updated   map[string]int
	Unchanged map[string]int
	Deleted   map[string]int
	Requests  int
	// Unlinked counts consultations of agenda items the source does not
	// serve (real servers name meetings outside their lists).
	Unlinked int
	Rejected []Rejected // files the ingestion refused
	Skipped  []string   // objects that could not be imported, with why
	Refused  []Refused  // URLs not fetched: on a host not allowed
}

// Refused is a URL the import did not fetch because it lies on a host
// other than the source's and those allowed (see ReasonHostNotAllowed).
type Refused struct {
	URL       string `json:"url"`
	Via       string `json:"via,omitempty"` // the URL that redirected there
	Host      string `json:"host"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en"`
}

// Rejected is a file the ingestion refused.
type Rejected struct {
	File    string `json:"file"` // its OParl id
	Code    string `json:"code"` // a documents.Reject… code
	Message string `json:"message"`
}

// Run imports everything reachable from the System object at systemURL.
// It returns the result so far with an error if the run broke off; run
// it again to continue.
func Run(ctx context.Context, cfg Config, systemURL string) (*Result, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 2 * time.Minute}
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 200 * 1000 * 1000
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 6
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = DefaultDeadline
	}
	hosts, err := newHostPolicy(systemURL, cfg.AllowHosts)
	if err != nil {
		return nil, err
	}
	expired := ratsmappe.Errorf(ratsmappe.EUNAVAILABLE, "Die Frist von %s für einen Importlauf ist abgelaufen.", cfg.Deadline)
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Deadline, expired)
	defer cancel()
	im := &importer{cfg: cfg, st: cfg.Sessions, res: &Result{Created: map[string]int{}, Updated: map[string]int{}, Unchanged: map[string]int{},
		Deleted: map[string]int{}}, locks: map[string]*keyLock{}}
	im.f = &fetcher{hc: hosts.client(cfg.Client), hosts: hosts, sem: make(chan struct{}, cfg.Concurrency), attempts: cfg.Attempts, backoff: cfg.Backoff,
		maxWait: cfg.MaxWait, maxBody: 64 << 20, retried: func(u string, attempt int, wait time.Duration, cause error) {
			im.progressf("Wiederhole %s in %s (Versuch %d: %v)", u, wait.Round(time.Millisecond), attempt+1, cause)
		}}
	err = im.start(ctx, systemURL)
	if err != nil && context.Cause(ctx) == expired {
		err = &ratsmappe.Error{Code: expired.Code, Message: expired.Message, Err: err}
	}
	return im.res, err
}

// DefaultDeadline bounds a run unless Config.Deadline says otherwise:
// the first import of a large city's archive takes about an hour.
const DefaultDeadline = 2 * time.Hour

type importer struct {
	cfg   Config
	st    *sessions.Store
	f     *fetcher
	run   *sessions.OParlImport
	since time.Time

	mu      sync.Mutex
	res     *Result
	locks   map[string]*keyLock
	missing sync.Map // URLs the source answered 404 for, or not fetched (ReasonHostNotAllowed)
	refused sync.Map // URLs asked for and not fetched (ReasonHostNotAllowed), reported once
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// lock serializes work on one object (kind and id), so that two pages
// naming the same object do not both create it.
func (im *importer) lock(key string) func() {
	im.mu.Lock()
	l := im.locks[key]
	if l == nil {
		l = &keyLock{}
		im.locks[key] = l
	}
	l.refs++
	im.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		im.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(im.locks, key)
		}
		im.mu.Unlock()
	}
}

func (im *importer) count(m map[string]int, kind string) {
	im.mu.Lock()
	m[kind]++
	im.mu.Unlock()
}

func (im *importer) skip(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	im.mu.Lock()
	im.res.Skipped = append(im.res.Skipped, msg)
	im.mu.Unlock()
	im.cfg.Logger.Warn("oparl import: skipped", "what", msg)
}

func (im *importer) progressf(format string, args ...any) {
	if im.cfg.Progress == nil {
		return
	}
	im.mu.Lock()
	fmt.Fprintf(im.cfg.Progress, format+"\n", args...)
	im.mu.Unlock()
}

// get fetches url and counts the request.
func (im *importer) get(ctx context.Context, u string) ([]byte, error) {
	b, err := im.f.get(ctx, u)
	im.fetched(ctx, err)
	return b, err
}

// fetched counts a request and reports a URL it refused to fetch, also
// to the refusals trackers of ctx.
func (im *importer) fetched(ctx context.Context, err error) {
	he, e, isRefused := refused(err)
	im.mu.Lock()
	if !isRefused || he.Via != "" {
		im.res.Requests++ // a redirect was asked for
	}
	im.mu.Unlock()
	if !isRefused {
		return
	}
	for t, _ := ctx.Value(refusalsKey{}).(*refusals); t != nil; t = t.outer {
		t.seen.Store(true)
	}
	asked := he.URL
	if he.Via != "" {
		asked = he.Via
	}
	if _, seen := im.refused.LoadOrStore(asked, true); seen {
		return
	}
	im.mu.Lock()
	im.res.Refused = append(im.res.Refused, Refused{URL: he.URL, Via: he.Via, Host: he.host(), Message: e.Message, MessageEN: e.MessageEN})
	im.mu.Unlock()
	im.progressf("%s", e.Message)
	im.cfg.Logger.Warn("oparl import: URL on another host not fetched", "url", he.URL, "via", he.Via)
}

// refusals notes whether a URL was refused while one object (and the
// objects inside it) was imported. Such an object is recorded without
// the source's modified, so that the next run looks at it again instead
// of taking it as unchanged — with the host allowed, it gets complete.
type refusals struct {
	seen  atomic.Bool
	outer *refusals
}

type refusalsKey struct{}

func trackRefusals(ctx context.Context) (context.Context, *refusals) {
	outer, _ := ctx.Value(refusalsKey{}).(*refusals)
	t := &refusals{outer: outer}
	return context.WithValue(ctx, refusalsKey{}, t), t
}

// modified is what to record as the object's modified: m, or "" if a
// URL was refused on the way.
func (t *refusals) modified(m oparl.Str) oparl.Str {
	if t.seen.Load() {
		return ""
	}
	return m
}

// isRefused reports whether err is a URL on a host the import may not
// fetch from.
func isRefused(err error) bool {
	_, _, ok := refused(err)
	return ok
}

// object returns the object a reference names: the embedded one, or the
// one fetched from its URL. ok is false if the source does not have it.
func object[T any](ctx context.Context, im *importer, r oparl.Ref[T]) (json.RawMessage, bool, error) {
	if r.Raw != nil {
		return r.Raw, true, nil
	}
	if r.ID == "" {
		return nil, false, nil
	}
	if _, gone := im.missing.Load(r.ID); gone {
		return nil, false, nil
	}
	b, err := im.get(ctx, r.ID)
	if isNotFound(err) || isRefused(err) {
		// A refused URL is as good as missing: skipped, and nothing
		// taken as dropped at the source (reported in Result.Refused).
		im.missing.Store(r.ID, true)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func (im *importer) start(ctx context.Context, systemURL string) error {
	st := im.st
	last, err := st.FindLastOParlImport(ctx, systemURL, false)
	if err != nil && ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return err
	}
	switch {
	case last != nil && last.Finished.IsZero() && !im.cfg.Full && im.cfg.Since.IsZero():
		im.run, im.since, im.res.Resumed = last, last.Since, true
	default:
		since := im.cfg.Since
		if !im.cfg.Full && since.IsZero() {
			done, err := st.FindLastOParlImport(ctx, systemURL, true)
			if err == nil {
				since = done.Started.Add(-SinceMargin)
			} else if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
				return err
			}
		}
		if im.cfg.Full {
			since = time.Time{}
		}
		if im.run, err = st.StartOParlImport(ctx, systemURL, since); err != nil {
			return err
		}
		im.since = since
	}
	im.res.ImportID, im.res.Since = im.run.ID, im.since
	if im.since.IsZero() {
		im.progressf("OParl-Import von %s (vollständig)", systemURL)
	} else {
		im.progressf("OParl-Import von %s (geändert seit %s)", systemURL, im.since.Format(time.RFC3339))
	}

	b, err := im.get(ctx, systemURL)
	if err != nil {
		return fmt.Errorf("system %s: %w", systemURL, err)
	}
	var sys oparl.System
	if err := decodeObj(b, &sys); err != nil {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "%s ist kein OParl-System-Objekt.", systemURL)
	}
	if sys.Body == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Das OParl-System %s nennt keine Körperschaften (body).", systemURL)
	}
	// The body list is fetched whole every time (it is short, and an
	// unchanged body must still lead to its changed meetings).
	var bodies []json.RawMessage
	if err := im.walk(ctx, string(sys.Body), false, "Körperschaften", func(ctx context.Context, raw json.RawMessage) error {
		im.mu.Lock()
		bodies = append(bodies, raw)
		im.mu.Unlock()
		return nil
	}); err != nil {
		return err
	}
	for _, raw := range bodies {
		if err := im.body(ctx, raw); err != nil {
			return err
		}
	}
	if err := st.FinishOParlImport(ctx, im.run.ID); err != nil {
		return err
	}
	if err := im.audit(ctx, "oparl.import", "oparl_import", im.run.ID, systemURL+": "+im.res.Summary()); err != nil {
		return err
	}
	im.progressf("Fertig: %s", im.res.Summary())
	return nil
}

// Summary is a one-line account of r for people.
func (r *Result) Summary() string {
	kinds := map[string]bool{}
	for _, m := range []map[string]int{r.Created, r.Updated, r.Unchanged, r.Deleted} {
		for k := range m {
			kinds[k] = true
		}
	}
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %d neu/%d geändert/%d unverändert/%d gelöscht", k, r.Created[k], r.Updated[k], r.Unchanged[k], r.Deleted[k]))
	}
	parts = append(parts, fmt.Sprintf("%d Anfragen, %d Dateien abgelehnt, %d übersprungen, %d Beratungen ohne Tagesordnungspunkt",
		r.Requests, len(r.Rejected), len(r.Skipped), r.Unlinked))
	if len(r.Refused) > 0 {
		parts = append(parts, fmt.Sprintf("%d URLs anderer Hosts nicht abgerufen", len(r.Refused)))
	}
	return strings.Join(parts, "; ")
}

// listURL adds modified_since to an external list's URL when the run is
// incremental.
func (im *importer) listURL(u string, incremental bool) string {
	if !incremental || im.since.IsZero() {
		return u
	}
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	q.Set("modified_since", im.since.In(oparl.Berlin).Format(time.RFC3339))
	pu.RawQuery = q.Encode()
	return pu.String()
}

// walk goes through the list at u page by page, from where this run left
// it, hands every object to handle (up to Concurrency at a time) and
// records the next page once a page is done. A handle error that is about
// the object (bad data, missing references) skips the object; any other
// stops the walk, with the page not recorded as done.
func (im *importer) walk(ctx context.Context, u string, incremental bool, label string, handle func(context.Context, json.RawMessage) error) error {
	if u == "" {
		return nil
	}
	start := im.listURL(u, incremental)
	next := start
	// The body list is gone through in full every time (its objects are
	// kept in memory, not imported page by page), the others resume.
	resumable := incremental
	if resumable {
		st, err := im.st.FindOParlList(ctx, im.run.ID, start)
		switch {
		case err == nil && st.Done:
			return nil
		case err == nil:
			next = st.Next
		case ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND:
			return err
		}
	}
	seen := map[string]bool{}
	for n := 1; next != ""; n++ {
		if seen[next] {
			im.skip("%s: links.next führt im Kreis (%s)", label, next)
			break
		}
		seen[next] = true
		b, err := im.get(ctx, next)
		if err != nil {
			if isNotFound(err) && n == 1 && next == start {
				im.skip("%s: Liste %s gibt es nicht", label, next)
				break
			}
			if isRefused(err) {
				im.skip("%s: Liste ab %s nicht abgerufen (anderer Host)", label, next)
				break
			}
			return fmt.Errorf("%s: %w", label, err)
		}
		page, err := oparl.DecodePage(b)
		if err != nil {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "%s: %s ist keine OParl-Listenseite.", label, next)
		}
		if err := im.each(ctx, page.Data, handle); err != nil {
			return err
		}
		if page.Next != "" {
			if ref, err := url.Parse(next); err == nil {
				if nu, err := ref.Parse(page.Next); err == nil {
					page.Next = nu.String()
				}
			}
		}
		if resumable {
			if err := im.st.SetOParlList(ctx, im.run.ID, start, sessions.OParlListState{Next: page.Next, Done: page.Next == ""}); err != nil {
				return err
			}
		}
		im.progressf("%s: Seite %d (%d Einträge)", label, n, len(page.Data))
		next = page.Next
	}
	if !resumable {
		return nil
	}
	return im.st.SetOParlList(ctx, im.run.ID, start, sessions.OParlListState{Done: true})
}

// each runs handle for every object, up to Concurrency at a time.
func (im *importer) each(ctx context.Context, objs []json.RawMessage, handle func(context.Context, json.RawMessage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, im.cfg.Concurrency)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, raw := range objs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := im.handle(ctx, raw, handle); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// handle runs one object's import and sorts its errors: a problem of the
// object is skipped, anything else is returned.
func (im *importer) handle(ctx context.Context, raw json.RawMessage, handle func(context.Context, json.RawMessage) error) error {
	err := handle(ctx, raw)
	if err == nil || ctx.Err() != nil {
		return err
	}
	if objectProblem(err) {
		var head struct {
			ID oparl.Str `json:"id"`
		}
		json.Unmarshal(raw, &head)
		im.skip("%s: %s", head.ID, userMessage(err))
		return nil
	}
	return err
}

// objectProblem reports whether err is about the data of one object
// rather than about the import (storage, network).
func objectProblem(err error) bool {
	switch ratsmappe.ErrorCode(err) {
	case ratsmappe.EINVALID, ratsmappe.ENOTFOUND, ratsmappe.ECONFLICT:
		return true
	}
	var se *errStatus
	var syn *json.SyntaxError
	var ute *json.UnmarshalTypeError
	return errors.As(err, &se) && se.Status < 500 || errors.As(err, &syn) || errors.As(err, &ute) || errors.Is(err, errDecode) || isRefused(err)
}

var errDecode = errors.New("undecodable object")

func userMessage(err error) string {
	var e *ratsmappe.Error
	if errors.As(err, &e) && e.Code != ratsmappe.EINTERNAL {
		return e.Message
	}
	return err.Error()
}

// decodeObj reads the object raw into v. Anything but a JSON object is
// an error (the object types read a URL, where one is embedded, as an
// object with only its id).
func decodeObj(raw json.RawMessage, v any) error {
	if b := bytes.TrimSpace(raw); len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", errDecode)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %v", errDecode, err)
	}
	return nil
}

// known returns the record of (kind, ext), or nil.
func (im *importer) known(ctx context.Context, kind, ext string) (*sessions.OParlObject, error) {
	rec, err := im.st.FindOParlObject(ctx, kind, ext)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return nil, nil
	}
	return rec, err
}

func (im *importer) save(ctx context.Context, kind, ext string, local int64, modified oparl.Str, deleted bool) error {
	return im.st.SaveOParlObject(ctx, &sessions.OParlObject{Kind: kind, ExternalID: ext, LocalID: local, Modified: string(modified), Deleted: deleted})
}

// unchanged reports whether rec records the same version of the object.
func unchanged(rec *sessions.OParlObject, modified oparl.Str) bool {
	return rec != nil && !rec.Deleted && modified != "" && rec.Modified == string(modified)
}

func first(ss ...oparl.Str) string {
	for _, s := range ss {
		if s != "" {
			return string(s)
		}
	}
	return ""
}

// lastSegment is the last path segment of an OParl id, a readable
// stand-in for a missing name or reference.
func lastSegment(id string) string {
	if u, err := url.Parse(id); err == nil && u.Path != "" {
		return path.Base(strings.TrimSuffix(u.Path, "/"))
	}
	return id
}

// period returns start and end as dates, dropping an end before the
// start (the store refuses it; the start is the better datum).
func period(start, end oparl.Str) (string, string) {
	s, e := oparl.ParseDate(string(start)), oparl.ParseDate(string(end))
	if s != "" && e != "" && e < s {
		e = ""
	}
	return s, e
}
