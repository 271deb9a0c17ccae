package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	liveweb "github.com/ratsmappe/ratsmappe/web/live"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The public-response cache. What an anonymous citizen sees is the same for
// every anonymous citizen, so the rendered body of a portal page, an OParl
// answer, a feed or the sitemap is built once and served from memory until
// something public changes. Two things change it:
//
//   - data: every table public output is built from has triggers that
//     append to the changes feed (package sessions/changes) in the
//     transaction of the change; the generation is the feed's newest seq.
//     Each request reads the generation after it arrived; an entry built
//     under another generation is never served. So a publication, a
//     depublication, a new version or a withdrawal shows in the very next
//     response, whichever process wrote it.
//   - time: an agenda or paper with a publication time in the future
//     (embargo) becomes public when that time passes, without any write.
//     An entry expires no later than the earliest such time after it was
//     built — the publication ledger's next pending transition, recorded
//     with the change — read with the store's clock, the one the policy
//     uses.
//
// Presentation that depends on the wall clock alone (the split into next
// and past meetings, today's members) is refreshed after cacheMaxAge.
//
// Only anonymous requests are cached: any auth cookie (even a stale one)
// or Authorization header bypasses the cache, and those responses are
// private, no-store. Responses carry a strong ETag (SHA-256 of the body)
// and answer If-None-Match with 304; Cache-Control is public, no-cache, so
// browsers and proxies revalidate every time and never show a stale
// visibility either.

const (
	cacheMaxAge     = time.Minute
	cacheMaxEntries = 4096
	cacheMaxBody    = 2 << 20  // bodies above this are not cached
	cacheMaxBytes   = 64 << 20 // all bodies together
)

// cacheable reports whether the response to a GET of path is the same for
// every anonymous viewer and worth keeping: the portal pages, OParl
// objects and lists (not file bytes), feeds, calendars and the sitemap,
// and the public meeting API.
func cacheable(path string) bool {
	if liveweb.Uncached(path) { // the live session: by the second
		return false
	}
	switch path {
	case "/", "/meetings", "/organizations", "/calendar.ics", "/feeds/documents.atom", "/sitemap.xml", "/api/v1/meetings":
		return true
	}
	for _, p := range []string{"/meetings/", "/organizations/", "/persons/", "/papers/", "/documents/", "/oparl/v1/", "/api/v1/meetings/", "/sitemaps/"} {
		if strings.HasPrefix(path, p) {
			return !strings.HasSuffix(path, "/access") && !strings.HasSuffix(path, "/download") && !strings.HasSuffix(path, ".pdf")
		}
	}
	return false
}

// anonymous reports whether r carries no credentials at all.
func anonymous(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	_, err := r.Cookie(authCookie)
	return err != nil
}

type cacheEntry struct {
	gen     int64
	expires time.Time
	header  http.Header
	body    []byte
	etag    string
}

// publicCache holds the cached responses and tracks the generation.
type publicCache struct {
	db  *sql.DB
	now func() time.Time
	gen *generation

	mu      sync.Mutex
	entries map[string]*cacheEntry
	bytes   int
	flights map[string]*flight

	// nextPub is the earliest publication time after nextPubAt's clock
	// reading, valid for generation nextPubGen.
	files fileDecisions

	pubMu      sync.Mutex
	nextPubGen int64
	nextPubAt  time.Time
	nextPub    time.Time
}

type flight struct {
	done  chan struct{}
	entry *cacheEntry // nil if the response was not cacheable
}

func newPublicCache(db *sql.DB, now func() time.Time) *publicCache {
	return &publicCache{db: db, now: now, gen: newGeneration(db), entries: map[string]*cacheEntry{}, flights: map[string]*flight{}}
}

// newPublicCache returns the cache's middleware; without a database
// (tests of single handlers) it only marks responses private. The
// database must have the changes feed (internal/schema.Migrate).
func (s *Server) newPublicCache() (func(http.Handler) http.Handler, error) {
	if s.cfg.DB == nil || s.cfg.Sessions == nil {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "private, no-store")
				next.ServeHTTP(w, r)
			})
		}, nil
	}
	s.pub = newPublicCache(s.cfg.DB, s.cfg.Sessions.Now)
	s.pub.gen.follow = s.cfg.ChangesNotified
	return s.pub.middleware, nil
}

// FeedChanged tells the server that a commit added to the changes feed
// (a notification on changes.Channel), FeedMissed that notifications may
// have been lost (the listener (re)connected). Both only count with
// Config.ChangesNotified.
func (s *Server) FeedChanged() {
	if s.pub != nil {
		s.pub.gen.changed()
	}
}

// FeedMissed: see FeedChanged.
func (s *Server) FeedMissed() { s.FeedChanged() }

// FollowsChanges reports whether the server's public cache waits for
// FeedChanged and FeedMissed (Config.ChangesNotified, with a cache).
func (s *Server) FollowsChanges() bool { return s.pub != nil && s.pub.gen.follow }

// nextPublication returns the earliest time after now at which the
// public view changes without a write (an embargo ends: the ledger's
// pending transition, access.NextTransition); zero if there is none. It
// is computed once per generation and clock passing it, and costs one
// index lookup whatever the number of meetings and papers.
func (c *publicCache) nextPublication(ctx context.Context, gen int64, now time.Time) (time.Time, error) {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	if c.nextPubGen == gen && !now.Before(c.nextPubAt) && (c.nextPub.IsZero() || now.Before(c.nextPub)) {
		return c.nextPub, nil
	}
	next, err := access.NextTransition(ctx, c.db, now)
	if err != nil {
		return time.Time{}, err
	}
	c.nextPubGen, c.nextPubAt, c.nextPub = gen, now, next
	return next, nil
}

func (c *publicCache) lookup(key string, gen int64, now time.Time) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return nil
	}
	if e.gen != gen || !now.Before(e.expires) {
		delete(c.entries, key)
		c.bytes -= len(e.body)
		return nil
	}
	return e
}

func (c *publicCache) store(key string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old != nil {
		c.bytes -= len(old.body)
	}
	// Full: forget about a quarter, at random (map order), old
	// generations first.
	if len(c.entries) >= cacheMaxEntries || c.bytes+len(e.body) > cacheMaxBytes {
		n := len(c.entries) / 4
		for k, x := range c.entries {
			if x.gen != e.gen || n > 0 {
				delete(c.entries, k)
				c.bytes -= len(x.body)
				n--
			}
		}
	}
	c.entries[key] = e
	c.bytes += len(e.body)
}

// middleware serves anonymous GETs of cacheable paths from the cache and
// marks every other response private, no-store unless its handler says
// otherwise (public files, static assets).
func (c *publicCache) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !cacheable(r.URL.Path) || !anonymous(r) {
			h := w.Header()
			h.Set("Cache-Control", "private, no-store")
			h.Add("Vary", "Cookie, Authorization")
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		gen, err := c.gen.read(ctx)
		if err != nil {
			// Without the generation nothing cached can be trusted.
			w.Header().Set("Cache-Control", "private, no-store")
			next.ServeHTTP(w, r)
			return
		}
		now := c.now()
		key := cacheKey(r)
		e := c.lookup(key, gen, now)
		// X-Cache tells operators (and the tests) whether the cache works.
		w.Header().Set("X-Cache", "hit")
		if e == nil {
			w.Header().Set("X-Cache", "miss")
			// The entry built now holds until the next publication or
			// cacheMaxAge; the handler may remember parts of its answer
			// under the same view. Without the next publication time
			// nothing is kept.
			var view *request.PublicView
			if pub, err := c.nextPublication(ctx, gen, now); err == nil {
				view = &request.PublicView{Generation: gen, Until: entryExpiry(now, pub)}
				r = r.WithContext(request.WithPublicView(ctx, *view))
			}
			e = c.fill(w, r, next, key, gen, view, now)
			if e == nil {
				return // answered by the handler, uncached
			}
		}
		serveEntry(w, r, e)
	})
}

// fill builds the entry for key under generation gen and view (nil: not
// to be kept): one request builds it, concurrent ones for the same key and
// generation wait for it. It returns nil after answering w itself when the
// response is not cacheable.
func (c *publicCache) fill(w http.ResponseWriter, r *http.Request, next http.Handler, key string, gen int64, view *request.PublicView, now time.Time) *cacheEntry {
	fk := fmt.Sprintf("%d\x00%s", gen, key)
	c.mu.Lock()
	if f := c.flights[fk]; f != nil {
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-r.Context().Done():
			return nil
		}
		if f.entry != nil && now.Before(f.entry.expires) {
			return f.entry
		}
		// The leader's response was not cacheable: build our own.
		return c.render(w, r, next, view)
	}
	f := &flight{done: make(chan struct{})}
	c.flights[fk] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.flights, fk)
		c.mu.Unlock()
		close(f.done)
	}()
	f.entry = c.render(w, r, next, view)
	if f.entry != nil {
		c.store(key, f.entry)
	}
	return f.entry
}

// render runs the handler into memory. A 200 without cookies becomes an
// entry of view's generation that expires at its Until (returned, not yet
// served); anything else, or anything without a view, is passed on to w as
// it is, and render returns nil.
func (c *publicCache) render(w http.ResponseWriter, r *http.Request, next http.Handler, view *request.PublicView) *cacheEntry {
	// The handler must build the full response: conditions are checked
	// against the entry. A HEAD is built as the GET it stands for:
	// handlers (ServeContent) leave the body out of a HEAD, and the
	// entry serves both. The request is copied (the headers only if a
	// condition must go), since r itself is answered from the entry.
	r2 := r.WithContext(r.Context())
	r2.Method = http.MethodGet
	for _, h := range conditionHeaders {
		if _, ok := r.Header[h]; ok {
			r2.Header = r.Header.Clone()
			for _, h := range conditionHeaders {
				r2.Header.Del(h)
			}
			break
		}
	}
	rec := &recorder{header: http.Header{}}
	next.ServeHTTP(rec, r2)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	ok := view != nil && rec.status == http.StatusOK && len(rec.header.Values("Set-Cookie")) == 0 &&
		rec.body.Len() <= cacheMaxBody && !strings.HasPrefix(rec.header.Get("Content-Type"), "application/pdf")
	if !ok {
		dst := w.Header()
		dst.Del("X-Cache")
		for k, v := range rec.header {
			dst[k] = v
		}
		if dst.Get("Cache-Control") == "" || rec.status != http.StatusOK {
			dst.Set("Cache-Control", "private, no-store")
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
		return nil
	}
	h := rec.header.Clone()
	for _, k := range []string{"Etag", "Last-Modified", "Cache-Control", "Vary", "Date", "Content-Length"} {
		h.Del(k)
	}
	// The entry keeps the recorder's bytes: the recorder is this
	// request's alone and is not written again.
	body := rec.body.Bytes()
	sum := sha256.Sum256(body)
	return &cacheEntry{gen: view.Generation, expires: view.Until, header: h, body: body,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:24]) + `"`}
}

// entryExpiry is when an entry built at now expires, given the next
// publication time pub (zero: none): at pub or after cacheMaxAge,
// whichever is first.
func entryExpiry(now, pub time.Time) time.Time {
	expires := now.Add(cacheMaxAge)
	if !pub.IsZero() && pub.Before(expires) {
		expires = pub
	}
	return expires
}

// conditionHeaders are the request headers that make an answer
// conditional or partial, in their canonical form.
var conditionHeaders = []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Range"}

// serveEntry answers r from e, with 304 if the client has it already.
func serveEntry(w http.ResponseWriter, r *http.Request, e *cacheEntry) {
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	h.Set("ETag", e.etag)
	h.Set("Cache-Control", "public, no-cache")
	h.Set("Vary", "Cookie, Authorization, Accept-Language")
	if request.ETagMatches(r.Header.Get("If-None-Match"), e.etag) {
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Language", "Content-Disposition"} {
			h.Del(k)
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(e.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(e.body)
	}
}

// cacheKey is everything an anonymous response depends on: path and
// query, the language the request gets, and the base URL the absolute
// URLs of feeds and OParl are built from.
func cacheKey(r *http.Request) string {
	return strings.Join([]string{baseURL(r), r.URL.Path, r.URL.RawQuery, render.Language(r)}, "\x00")
}

// recorder keeps a handler's response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// generation reads the changes feed's newest seq. Reads are coalesced: a
// request waits for a read that started after it arrived (so it sees
// every commit before its arrival), and all requests waiting meanwhile
// share that one read — under load, one query per query time instead of
// one per request.
//
// With several app servers on PostgreSQL, a server told of every commit
// (Follow, then Changed and Missed from a listener on changes.Channel)
// answers from memory instead: while it is in step — it has read the
// generation after the last notice and after the listener last
// (re)connected — no commit it has not been told of has happened, but for
// the notice's own way through the database (well under a millisecond to
// a few). A notice takes it out of step at once, so requests read the
// feed themselves (as above) until the read it starts has come back.
type generation struct {
	db   *sql.DB
	stmt *sql.Stmt // prepared once: the query runs thousands of times a second

	follow  bool         // Follow was called: notices keep cur in step
	inStep  atomic.Bool  // cur holds every commit notified so far
	cur     atomic.Int64 // the generation read after the last notice
	epoch   atomic.Int64 // counts notices and reconnects
	syncing atomic.Bool  // a read for the notices is running

	mu      sync.Mutex
	running bool
	next    *genRound // the round that starts after the running one
	start   chan *genRound
}

type genRound struct {
	done chan struct{}
	n    int64
	err  error
}

func newGeneration(db *sql.DB) *generation {
	g := &generation{db: db, start: make(chan *genRound)}
	g.stmt, _ = db.Prepare(changes.NewestQuery) // on error, run queries unprepared
	// One long-lived reader: a goroutine per round would grow a fresh
	// stack for SQLite's deep calls every time.
	go func() {
		for round := range g.start {
			g.run(round)
		}
	}()
	return g
}

func (g *generation) read(ctx context.Context) (int64, error) {
	if g.inStep.Load() {
		return g.cur.Load(), nil
	}
	return g.readFeed(ctx)
}

// readFeed reads the generation from the feed, in a round that starts
// after the call.
func (g *generation) readFeed(ctx context.Context) (int64, error) {
	g.mu.Lock()
	if g.next == nil {
		g.next = &genRound{done: make(chan struct{})}
	}
	round := g.next
	if !g.running {
		g.running = true
		g.next = nil
		g.mu.Unlock()
		g.start <- round
	} else {
		g.mu.Unlock()
	}
	select {
	case <-round.done:
		return round.n, round.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// changed takes a notice of a commit (or of a listener that may have
// missed some): the generation is out of step until a read started
// after the notice has come back with no newer notice meanwhile.
func (g *generation) changed() {
	if !g.follow {
		return
	}
	g.epoch.Add(1)
	g.inStep.Store(false)
	if !g.syncing.CompareAndSwap(false, true) {
		return // the running sync reads again when it sees the new epoch
	}
	go func() {
		for {
			epoch := g.epoch.Load()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			n, err := g.readFeed(ctx)
			cancel()
			if err != nil {
				// Requests keep reading for themselves; the next notice
				// tries again.
				g.syncing.Store(false)
				return
			}
			g.cur.Store(n)
			if g.epoch.Load() != epoch {
				continue // a notice came during the read
			}
			g.inStep.Store(true)
			if g.epoch.Load() != epoch {
				g.inStep.Store(false)
				continue
			}
			g.syncing.Store(false)
			if g.epoch.Load() == epoch {
				return
			}
			// A notice came after the check: it is out of step again,
			// and if its own sync did not start, this one goes on.
			g.inStep.Store(false)
			if !g.syncing.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// run reads the generation for round, then for each round that gathered
// waiters meanwhile, until none is left.
func (g *generation) run(round *genRound) {
	for round != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if g.stmt != nil {
			round.err = g.stmt.QueryRowContext(ctx).Scan(&round.n)
		} else {
			round.err = g.db.QueryRowContext(ctx, changes.NewestQuery).Scan(&round.n)
		}
		cancel()
		close(round.done)
		g.mu.Lock()
		round, g.next = g.next, nil
		if round == nil {
			g.running = false
		}
		g.mu.Unlock()
	}
}
