// Package indexer keeps the search index in step with the database. The
// changes feed (package sessions/changes) records, in the transaction of
// every change, each document whose search records may have changed; the
// Indexer moves those rows into its durable outbox (Migrations, scope
// "indexer", applied after the feed's) and advances its cursor on the
// feed in the same commit, reads each outbox document's records from the
// visibility policy (sessions.Store.SearchDocuments), hands them to the
// index, and deletes the outbox rows only after the index took them. A
// crash at any point leaves rows behind (in the feed past the cursor, or
// in the outbox), never a change the index misses; applying a row twice
// writes the same records.
//
// Searches go through the Indexer too: before it asks the index, it
// applies whatever the feed and the outbox hold that is due, so that a
// depublished, reclassified or excluded document is gone from hits,
// totals, facets, snippets and suggestions at once, not when the worker
// gets to it. If they cannot be applied, or the index is missing or
// damaged (it is then rebuilt in the background), searches answer with an
// EUNAVAILABLE error — "temporarily unavailable" — and never with stale
// results.
package indexer

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the outbox schema and the indexer's cursor on the
// changes feed, to be applied with scope "indexer" after the migrations of
// packages documents, sessions and sessions/changes.
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same schema for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

// Config configures an Indexer.
type Config struct {
	DB    *sql.DB
	Store *sessions.Store
	// Open opens the index; with fresh it makes a new, empty one (for a
	// rebuild), removing whatever is there.
	Open func(ctx context.Context, fresh bool) (search.Index, error)
	Log  *slog.Logger
	// Now is the clock; nil means the Store's.
	Now func() time.Time
	// Batch is how many documents one index call takes; 0 means 50.
	Batch int
	// FillBatch is how many documents one index call takes while a
	// rebuild fills a new index, where nothing waits for each call and
	// larger calls let the index build its segments in parallel and
	// merge fewer of them; 0 means Batch if that is set, else 500.
	FillBatch int
	// Consumer names the index in the changes feed's cursors and the
	// outbox's rows. Servers that share one index (Meilisearch) share
	// one name, the default DefaultConsumer; a server with an index of
	// its own (the embedded Bleve index) needs a name of its own, kept
	// with that index: "search/" and something unique. A name new to
	// the database starts with a rebuild; one not seen for ServerExpiry
	// by another running indexer is forgotten, and rebuilds when it
	// returns — the shared name too, when servers with indexes of their
	// own run and none uses it.
	Consumer string
	// Foreground, if set, is work a person waits for (uploads, whose PDF
	// worker takes the cores) that the background worker gives way to;
	// searches never wait for it.
	Foreground Foreground
	// MaxDefer bounds how long the background worker waits for the
	// Foreground before each batch; 0 means DefaultMaxDefer.
	MaxDefer time.Duration
	// ChangesNotified says that the Indexer is told of every commit to
	// the changes feed (FeedChanged, FeedMissed, from a listener on
	// changes.Channel; PostgreSQL). A search then asks the database
	// whether anything is pending only after a notice, or after
	// QuietFor: see sync.
	ChangesNotified bool
	// Commits, if set, tells whether anything was committed to the
	// database since a mark, by any connection of any process (SQLite:
	// documents/sqlite's Watch). A search then asks the database whether
	// anything is pending only after a commit, or after QuietFor: see
	// sync.
	Commits Commits
}

// Commits marks the database's commits: two marks that Mark returned
// are equal only if nothing was committed between the two calls. ok
// false means it cannot tell now.
type Commits interface {
	Mark() (m [96]byte, ok bool)
}

// QuietFor is how long a search with Config.ChangesNotified trusts the
// database's last "nothing pending" without a notice: it bounds what a
// listener's connection that dropped without a word (found only by its
// next ping) could hide, at one statement per QuietFor instead of one per
// search.
const QuietFor = time.Second

// Foreground is work a person waits for. Idle returns a channel that is
// closed once none runs; if none runs now, it is closed already.
type Foreground interface {
	Idle() <-chan struct{}
}

// DefaultMaxDefer is how long the background worker waits at most for
// the Foreground before a batch: an upload of hundreds of pages takes
// about a second on two cores, and the index then learns of a change at
// most this much later than it would otherwise (a search does not wait:
// it applies what is due itself).
const DefaultMaxDefer = 2 * time.Second

// DefaultConsumer is the name of a shared index.
const DefaultConsumer = "search"

// ServerExpiry is how long an index keeps its cursor and outbox rows
// while no indexer of its name runs and another one does.
const ServerExpiry = 24 * time.Hour

// beat is how often a running indexer says so, and how often it
// compacts the changes feed.
const beat = time.Minute

// Indexer keeps one search index in step with the database and answers
// searches from it. It is safe for concurrent use.
type Indexer struct {
	cfg       Config
	dialect   sqldb.Dialect
	consumer  string
	lastBeat  atomic.Int64 // Unix ms of the last heartbeat
	compactAt time.Time    // of the worker's next compaction of the feed

	mu    sync.RWMutex
	index search.Index // nil while unavailable
	ready bool         // false while the index is rebuilt

	// notices counts FeedChanged and FeedMissed, and indexes put in
	// place; quiet is what the last Pending that found nothing due
	// said, valid while notices has not changed since (see sync).
	notices   atomic.Int64
	quiet     atomic.Pointer[quiet]
	listening atomic.Bool // FeedMissed was called: the listener connected

	drainMu    sync.Mutex
	wake       chan struct{}
	rebuilding atomic.Bool
	wg         sync.WaitGroup
	ctx        context.Context
	cancel     context.CancelFunc
}

// quiet is a Pending that found nothing due, with Config.ChangesNotified.
type quiet struct {
	notices int64    // Indexer.notices before the statement
	mark    [96]byte // Config.Commits' mark before the statement
	checked int64    // Unix ms of the statement
	until   int64    // Unix ms at which the outbox's next row becomes due; math.MaxInt64 if none
}

// New returns an Indexer; Start opens the index.
func New(cfg Config) *Indexer {
	if cfg.Now == nil {
		cfg.Now = cfg.Store.Now
	}
	if cfg.FillBatch == 0 {
		cfg.FillBatch = cfg.Batch
		if cfg.FillBatch == 0 {
			cfg.FillBatch = 500
		}
	}
	if cfg.Batch == 0 {
		cfg.Batch = 50
	}
	if cfg.MaxDefer == 0 {
		cfg.MaxDefer = DefaultMaxDefer
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	consumer := cfg.Consumer
	if consumer == "" {
		consumer = DefaultConsumer
	}
	return &Indexer{cfg: cfg, dialect: sqldb.DialectOf(cfg.DB), consumer: consumer, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
}

// Start opens the index and starts the background worker. If the index
// is missing or damaged, it is rebuilt in the background, and searches
// answer "temporarily unavailable" until it is done.
func (x *Indexer) Start() {
	registered, err := x.heartbeat(x.ctx)
	if err != nil {
		x.cfg.Log.Error("search index: registering", "consumer", x.consumer, "err", err)
	}
	idx, err := x.cfg.Open(x.ctx, false)
	if registered {
		// New to the database: the index has not followed the feed.
		if err == nil {
			idx.Close()
		}
		x.cfg.Log.Info("search index new to the database, rebuilding", "consumer", x.consumer)
		x.rebuild()
	} else if err != nil {
		x.cfg.Log.Warn("search index unavailable, rebuilding", "err", err)
		x.rebuild()
	} else {
		x.mu.Lock()
		x.index, x.ready = idx, true
		x.mu.Unlock()
		x.notices.Add(1)
	}
	x.wg.Add(1)
	go x.run()
}

// Close stops the worker and closes the index.
func (x *Indexer) Close() error {
	x.cancel()
	x.wg.Wait()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.index != nil {
		err := x.index.Close()
		x.index = nil
		return err
	}
	return nil
}

// Wake tells the worker to look at the outbox now.
func (x *Indexer) Wake() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// pollInterval is how often the worker looks at the changes feed when
// nothing wakes it: a trigger's row is not announced, so this bounds the
// time from a commit to the index (it was 5 s, which a clerk noticed when
// a just-published document could not be found). An idle look is one
// indexed query.
const pollInterval = 500 * time.Millisecond

// run is the worker: it applies the outbox whenever woken, at the next
// scheduled publication time, and every pollInterval anyway.
func (x *Indexer) run() {
	defer x.wg.Done()
	backoff := time.Second
	x.compactAt = x.cfg.Now().Add(beat)
	for {
		x.compact(x.ctx)
		wait := pollInterval
		if x.available() {
			if _, err := x.background(x.ctx); err != nil {
				if x.ctx.Err() != nil {
					return
				}
				x.cfg.Log.Error("search outbox", "err", err)
				x.checkDamage(err)
				wait, backoff = backoff, min(2*backoff, time.Minute)
			} else {
				backoff = time.Second
				if next, err := x.nextDue(x.ctx); err == nil && !next.IsZero() {
					wait = min(wait, max(next.Sub(x.cfg.Now()), 0))
				}
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-x.ctx.Done():
			t.Stop()
			return
		case <-x.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (x *Indexer) available() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.index != nil && x.ready
}

func (x *Indexer) current() (search.Index, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.index == nil || !x.ready {
		return nil, search.Unavailable(errors.New("search index is being rebuilt"))
	}
	return x.index, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// nextDue returns when the earliest row not yet due becomes due.
func (x *Indexer) nextDue(ctx context.Context) (time.Time, error) {
	var due sql.NullInt64
	err := x.cfg.DB.QueryRowContext(ctx, `SELECT MIN(due) FROM search_outbox WHERE consumer = ? AND due > ?`, x.consumer, ms(x.cfg.Now())).Scan(&due)
	if err != nil || !due.Valid {
		return time.Time{}, err
	}
	return time.UnixMilli(due.Int64), nil
}

// compact deletes the rows of the changes feed that every consumer has
// applied, once per beat, after the heartbeats have forgotten the
// indexes gone for a day. One app server does it at a time: the others
// would wait for the same rows.
func (x *Indexer) compact(ctx context.Context) {
	now := x.cfg.Now()
	if now.Before(x.compactAt) {
		return
	}
	x.compactAt = now.Add(beat)
	start := time.Now()
	var n int64
	_, err := sqldb.Exclusive(ctx, x.cfg.DB, "compact changes", func(ctx context.Context) (err error) {
		n, err = changes.Compact(ctx, x.cfg.DB, 0)
		return err
	})
	switch {
	case err != nil && ctx.Err() == nil:
		x.cfg.Log.Error("changes feed: compacting", "err", err)
	case n >= changes.CompactChunk:
		x.cfg.Log.Info("changes feed compacted", "deleted", n, "took", time.Since(start).Round(time.Millisecond))
	case n > 0:
		x.cfg.Log.Debug("changes feed compacted", "deleted", n, "took", time.Since(start).Round(time.Millisecond))
	}
}

// errForgotten is the error of an indexer whose cursor was forgotten
// (ServerExpiry): it makes the index rebuild.
var errForgotten = errors.New("search index: this server's cursor was forgotten")

// heartbeat records that the indexer runs (at most once per beat),
// registers its cursor if the database does not know it (reporting that,
// as the index then lacks changes), and forgets the indexes not seen for
// ServerExpiry.
//
// The shared index's cursor is registered by the migrations, so that the
// feed keeps what it has not read before any server ran. An index's
// cursor without a heartbeat (the shared one, where every server keeps
// an index of its own) counts as seen at the first heartbeat of another
// index, and is forgotten a ServerExpiry later if none of its own came:
// otherwise it would hold the feed's compaction for ever.
func (x *Indexer) heartbeat(ctx context.Context) (registered bool, err error) {
	now := x.cfg.Now()
	if last := x.lastBeat.Load(); last != 0 && now.Sub(time.UnixMilli(last)) < beat {
		return false, nil
	}
	tx, err := x.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("search servers: %w", err)
	}
	defer tx.Rollback()
	// Only search indexes are forgotten, never another consumer of the
	// feed.
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_servers (consumer, seen_at)
		SELECT consumer, CAST(? AS BIGINT) FROM changes_cursors WHERE consumer = ? OR consumer LIKE 'search/%'
		ON CONFLICT (consumer) DO NOTHING`, ms(now), DefaultConsumer); err != nil {
		return false, fmt.Errorf("search servers: %w", err)
	}
	gone := ms(now.Add(-ServerExpiry))
	const expired = `SELECT consumer FROM search_servers WHERE seen_at < ? AND consumer <> ? AND (consumer = ? OR consumer LIKE 'search/%')`
	for _, q := range []string{
		`DELETE FROM search_outbox WHERE consumer IN (` + expired + `)`,
		`DELETE FROM changes_cursors WHERE consumer IN (` + expired + `)`,
		`DELETE FROM search_servers WHERE consumer IN (` + expired + `)`,
	} {
		if _, err := tx.ExecContext(ctx, q, gone, x.consumer, DefaultConsumer); err != nil {
			return false, fmt.Errorf("search servers: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_servers (consumer, seen_at) VALUES (?, ?)
		ON CONFLICT (consumer) DO UPDATE SET seen_at = excluded.seen_at`, x.consumer, ms(now)); err != nil {
		return false, fmt.Errorf("search servers: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO changes_cursors (consumer, seq)
		SELECT CAST(? AS TEXT), COALESCE(MAX(seq), 0) FROM changes
		WHERE true -- SQLite's parser needs a WHERE before an upsert's ON
		ON CONFLICT (consumer) DO NOTHING`, x.consumer)
	if err != nil {
		return false, fmt.Errorf("search servers: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("search servers: %w", err)
	}
	x.lastBeat.Store(ms(now))
	return n == 1, nil
}

// Pending reports whether the outbox holds rows that are due, or the
// changes feed documents the indexer has not taken over yet. Every search
// asks it, so it must cost the same however long the feed is: the feed's
// rows past the cursor are read through the feed's primary key, from the
// cursor on. (Written as EXISTS, PostgreSQL planned a scan of the whole
// feed — the cursor is unknown when the plan is made, and it expected a
// document among the first rows — 70 ms per search at 430,000 rows, 1.5 s
// at 32 clients; MIN is answered from the index, in order.)
//
// Every search asks it; it is parsed once per connection, by the SQLite
// driver's statement cache (documents/sqlite) or pgx's.
func (x *Indexer) Pending(ctx context.Context) (bool, error) {
	pending, _, err := x.pending(ctx, x.cfg.Now(), false)
	return pending, err
}

// pending is Pending as of now; with next, it also returns when the
// outbox's earliest row not yet due becomes due (math.MaxInt64: none),
// read in the same statement, so that nothing applied in between can
// have added one unseen.
func (x *Indexer) pending(ctx context.Context, now time.Time, next bool) (pending bool, until int64, err error) {
	const query = `SELECT EXISTS (SELECT 1 FROM search_outbox WHERE consumer = ?2 AND due <= ?1)
		OR (SELECT MIN(seq) FROM changes WHERE seq > (SELECT seq FROM changes_cursors WHERE consumer = ?2) AND kind = ?3) IS NOT NULL`
	if !next {
		err = x.cfg.DB.QueryRowContext(ctx, query, ms(now), x.consumer, changes.KindDocument).Scan(&pending)
		if err != nil {
			return false, 0, fmt.Errorf("search outbox: %w", err)
		}
		return pending, 0, nil
	}
	var due sql.NullInt64
	err = x.cfg.DB.QueryRowContext(ctx, query+`, (SELECT MIN(due) FROM search_outbox WHERE consumer = ?2 AND due > ?1)`,
		ms(now), x.consumer, changes.KindDocument).Scan(&pending, &due)
	if err != nil {
		return false, 0, fmt.Errorf("search outbox: %w", err)
	}
	until = math.MaxInt64
	if due.Valid {
		until = due.Int64
	}
	return pending, until, nil
}

// FeedChanged tells the Indexer that a commit added to the changes
// feed (a notification on changes.Channel), FeedMissed that
// notifications may have been lost (the listener (re)connected). Both
// only count with Config.ChangesNotified.
func (x *Indexer) FeedChanged() { x.notices.Add(1) }

// FeedMissed: see FeedChanged.
func (x *Indexer) FeedMissed() {
	x.notices.Add(1)
	x.listening.Store(true)
}

// FollowsChanges reports whether the Indexer waits for FeedChanged and
// FeedMissed (Config.ChangesNotified).
func (x *Indexer) FollowsChanges() bool { return x.cfg.ChangesNotified }

// Status says whether the index answers searches (not while it is
// missing or being rebuilt) and how many documents it lags behind the
// database: those whose records wait in the outbox (due) or in the
// changes feed past its cursor. A server's /readyz can report both; a
// lag that does not shrink means the worker cannot apply. The feed is
// read from the cursor on through its primary key, as in Pending: the
// upper bound makes PostgreSQL expect a short range rather than a third
// of the feed, which it would scan whole.
func (x *Indexer) Status(ctx context.Context) (ready bool, lag int, err error) {
	err = x.cfg.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM (
		SELECT document_id FROM search_outbox WHERE consumer = ?1 AND due <= ?2
		UNION SELECT object_id FROM changes WHERE seq > (SELECT seq FROM changes_cursors WHERE consumer = ?1)
			AND seq <= (SELECT MAX(seq) FROM changes) AND kind = ?3) AS waiting`,
		x.consumer, ms(x.cfg.Now()), changes.KindDocument).Scan(&lag)
	if err != nil {
		return false, 0, fmt.Errorf("search outbox: %w", err)
	}
	return x.available(), lag, nil
}

// pull moves the documents the changes feed names past the indexer's
// cursor into the outbox and advances the cursor, in one transaction:
// each change reaches the outbox exactly once, and a crash before the
// commit leaves it in the feed. (The worker compacts the feed apart.)
func (x *Indexer) pull(ctx context.Context) error {
	registered, err := x.heartbeat(ctx)
	if err != nil {
		return err
	}
	if registered {
		return search.Unavailable(errForgotten)
	}
	cur, err := changes.Cursor(ctx, x.cfg.DB, x.consumer)
	if err != nil {
		return err
	}
	newest, err := changes.Newest(ctx, x.cfg.DB)
	if err != nil || newest <= cur {
		return err
	}
	tx, err := x.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("search outbox: %w", err)
	}
	defer tx.Rollback()
	// Read again, claimed: another pull (of another app server) may have
	// run.
	if cur, err = changes.Claim(ctx, tx, x.consumer); err != nil {
		return err
	}
	if newest, err = changes.Newest(ctx, tx); err != nil || newest <= cur {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_outbox (consumer, document_id)
		SELECT DISTINCT CAST(? AS TEXT), object_id FROM changes WHERE seq > ? AND seq <= ? AND kind = ?`, x.consumer, cur, newest, changes.KindDocument); err != nil {
		return fmt.Errorf("search outbox: %w", err)
	}
	if err := changes.Advance(ctx, tx, x.consumer, newest); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("search outbox: %w", err)
	}
	return nil
}

// Drain applies every due row of the outbox to the index and returns the
// number of documents indexed or removed.
func (x *Indexer) Drain(ctx context.Context) (int, error) {
	idx, err := x.current()
	if err != nil {
		return 0, err
	}
	return x.drain(ctx, idx, x.cfg.Batch, nil)
}

// background is the worker's Drain: it takes at most about half of a
// core, pausing after each batch as long as the batch took, so that a
// large backlog (after a migration or a crash during a rebuild) does not
// starve the requests being served, and it starts no batch while an
// upload runs (giveWay). Searches do not wait for it: they drain at full
// speed what is due when they come (sync).
func (x *Indexer) background(ctx context.Context) (int, error) {
	idx, err := x.current()
	if err != nil {
		return 0, err
	}
	done := 0
	var after int64 // as in drain
	for {
		if err := x.giveWay(ctx); err != nil {
			return done, err
		}
		start := time.Now()
		x.drainMu.Lock()
		n, next, err := x.drainBatch(ctx, idx, x.cfg.Batch, after)
		x.drainMu.Unlock()
		done += n
		var end bool
		if after, end = walkOn(n, after, next); err != nil || end {
			return done, err
		}
		if n == 0 {
			continue // once more from the start, at once
		}
		select {
		case <-ctx.Done():
			return done, ctx.Err()
		case <-time.After(time.Since(start)):
		}
	}
}

// giveWay waits until the Foreground is idle, at most MaxDefer. Indexing
// the last upload's pages took most of the server's CPU while the next
// upload's PDF worker read its file, on a machine of two cores; it runs
// after that upload instead. Only when a batch starts changes: the rows
// stay in the feed and the outbox meanwhile, so nothing is lost or
// applied twice, and a search applies them itself.
func (x *Indexer) giveWay(ctx context.Context) error {
	if x.cfg.Foreground == nil {
		return nil
	}
	idle := x.cfg.Foreground.Idle()
	select {
	case <-idle:
		return nil
	default:
	}
	t := time.NewTimer(x.cfg.MaxDefer)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-idle:
	case <-t.C:
	}
	return nil
}

// drain applies due rows to idx in batches; progress, if not nil, is told
// after each batch how many documents are done.
func (x *Indexer) drain(ctx context.Context, idx search.Index, batch int, progress func(done int)) (int, error) {
	x.drainMu.Lock()
	defer x.drainMu.Unlock()
	// Each batch walks on from where the last one stopped: the rows
	// before are applied and gone, or not due. On PostgreSQL they stay
	// in the indexes as dead entries until a vacuum, and a walk from the
	// start stepped over all of them again in each batch. A walk that
	// finds nothing is tried once more from the start, for the rows that
	// got due meanwhile (and an id SQLite gave out below the cursor).
	done := 0
	var after int64
	for {
		n, next, err := x.drainBatch(ctx, idx, batch, after)
		done += n
		var end bool
		if after, end = walkOn(n, after, next); err != nil || end {
			return done, err
		}
		if n > 0 && progress != nil {
			progress(done)
		}
	}
}

// walkOn returns where the next batch walks from after one that walked
// from after to next and applied n documents, and whether the walk is
// over: one that found nothing from the start.
func walkOn(n int, after, next int64) (int64, bool) {
	if n > 0 {
		return next, false
	}
	return 0, after == 0
}

// pickQuery walks the consumer's due rows oldest first from an id on
// (consumer, due, after, how many). Through search_outbox_order it reads
// only the rows it returns (and the few rows not due yet among them):
// through search_outbox_consumer SQLite read and sorted every due row of
// the outbox for each batch, which made a rebuild quadratic in the
// documents (ten years: 780,000 rows read twice or three times for each
// batch of 500).
const pickQuery = `SELECT id, document_id FROM search_outbox WHERE consumer = ? AND due <= ? AND id > ? ORDER BY id LIMIT ?`

// batchRowsQuery returns the due rows of the documents of a batch
// (consumer, documents as idList, now) through search_outbox_document;
// due is compared as an expression (due + 0) so that SQLite, without
// statistics, does not prefer search_outbox_consumer and read every due
// row of the outbox.
const batchRowsQuery = `SELECT id FROM search_outbox WHERE consumer = ? AND document_id IN (SELECT value FROM json_each(?)) AND due + 0 <= ?`

// pick returns the first limit documents of the consumer's due rows
// after the id after in the order of their oldest row, the ids of all
// their due rows, and the id up to which it walked: every due row up to
// it is one of those documents'.
func (x *Indexer) pick(ctx context.Context, now time.Time, limit int, after int64) (docs, rowIDs []int64, walked int64, err error) {
	// A document has two or three rows in a fresh outbox (a rebuild's
	// and its upload's), so a page of rows yields most of a batch.
	page := max(2*limit, 64)
	seen := make(map[int64]bool, limit)
	walked = after
	for len(docs) < limit {
		rows, err := x.cfg.DB.QueryContext(ctx, pickQuery, x.consumer, ms(now), after, page)
		if err != nil {
			return nil, nil, 0, err
		}
		n := 0
		for rows.Next() {
			var id, doc int64
			if err := rows.Scan(&id, &doc); err != nil {
				rows.Close()
				return nil, nil, 0, err
			}
			n++
			after = id
			if len(docs) < limit {
				walked = id
				if !seen[doc] {
					seen[doc] = true
					docs = append(docs, doc)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, 0, err
		}
		if n < page {
			break
		}
	}
	if len(docs) == 0 {
		return nil, nil, walked, nil
	}
	rowIDs, err = queryIDs(ctx, x.cfg.DB, batchRowsQuery, x.consumer, idList(docs), ms(now))
	return docs, rowIDs, walked, err
}

// drainBatch takes over what the changes feed holds and indexes up to
// limit documents of the outbox whose oldest due row comes after the id
// after; it returns how many, and the id to walk on from. The rows read
// are deleted only after the index took the records; a row written
// meanwhile was not read and stays.
func (x *Indexer) drainBatch(ctx context.Context, idx search.Index, limit int, after int64) (int, int64, error) {
	if err := x.pull(ctx); err != nil {
		return 0, 0, err
	}
	// One batch at a time across app servers, as drainMu does within one:
	// on PostgreSQL the batch's transaction holds a lock from reading its
	// rows to deleting them. A lock that waits rather than SKIP LOCKED,
	// because a search must not answer while another server still applies
	// a depublication: it waits for that batch and then drains the rest.
	var tx *sql.Tx
	var err error
	if x.dialect == sqldb.Postgres {
		if tx, err = x.cfg.DB.BeginTx(ctx, nil); err != nil {
			return 0, 0, fmt.Errorf("search outbox: %w", err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(?))`, outboxLockClass, "search_outbox/"+x.consumer); err != nil {
			return 0, 0, fmt.Errorf("search outbox: %w", err)
		}
	}
	now := x.cfg.Now()
	ids, applied, walked, err := x.pick(ctx, now, limit, after)
	if err != nil {
		return 0, 0, fmt.Errorf("search outbox: %w", err)
	}
	if len(ids) == 0 {
		return 0, walked, nil
	}
	// The batch's records in one read: a fixed number of queries, not a
	// round trip per document (on PostgreSQL that made a rebuild slower
	// than on SQLite).
	docs, err := x.cfg.Store.SearchDocuments(ctx, ids)
	if err != nil {
		return 0, 0, err
	}
	var recs []search.Record
	var gone []int64
	later := map[int64]time.Time{}
	for _, d := range docs {
		if len(d.Records) == 0 {
			gone = append(gone, d.ID)
		}
		recs = append(recs, d.Records...)
		if !d.Next.IsZero() {
			later[d.ID] = d.Next
		}
	}
	if len(gone) > 0 {
		if err := idx.Remove(ctx, gone...); err != nil {
			return 0, 0, err
		}
	}
	if len(recs) > 0 {
		if err := idx.Index(ctx, recs); err != nil {
			return 0, 0, err
		}
	}
	// An index that makes writes durable after it returns (Bleve) must
	// have them on disk before the rows that would repeat them go.
	if f, ok := idx.(flusher); ok {
		if err := f.Flush(ctx); err != nil {
			return 0, 0, err
		}
	}
	if tx == nil {
		if tx, err = x.cfg.DB.BeginTx(ctx, nil); err != nil {
			return 0, 0, fmt.Errorf("search outbox: %w", err)
		}
		defer tx.Rollback()
	}
	// The rows read go in one statement, not one per document.
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_outbox WHERE id IN (SELECT value FROM json_each(?))`, idList(applied)); err != nil {
		return 0, 0, fmt.Errorf("search outbox: %w", err)
	}
	for _, doc := range ids {
		if t, ok := later[doc]; ok {
			// Computed again when its access changes next.
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_outbox (consumer, document_id, due)
				SELECT CAST(?1 AS TEXT), CAST(?2 AS BIGINT), CAST(?3 AS BIGINT)
				WHERE NOT EXISTS (SELECT 1 FROM search_outbox WHERE consumer = ?1 AND document_id = ?2 AND due = ?3)`,
				x.consumer, doc, ms(t)); err != nil {
				return 0, 0, fmt.Errorf("search outbox: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("search outbox: %w", err)
	}
	return len(ids), walked, nil
}

// queryIDs returns the ids query's rows hold.
func queryIDs(ctx context.Context, db *sql.DB, query string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// idList encodes ids for `IN (SELECT value FROM json_each(?))`, as the
// stores do: one parameter, whatever the number of ids.
func idList(ids []int64) string {
	b, _ := json.Marshal(append([]int64{}, ids...))
	return string(b)
}

// outboxLockClass is the first key of the PostgreSQL advisory lock that
// drainBatch holds, the class sqldb.Exclusive uses for jobs ("ra"): two
// keys, so it cannot meet the stores' one-key locks.
const outboxLockClass = 0x7261

// flusher is an index whose writes become durable after they return;
// Flush waits until they are.
type flusher interface {
	Flush(ctx context.Context) error
}

// Reindex builds the index anew from the database, telling progress
// (if not nil) how far it got. Every document is put into the outbox
// before the old index is emptied, so that a crash at any point leaves
// rows behind for whatever the new index lacks.
func (x *Indexer) Reindex(ctx context.Context, progress func(done, total int)) error {
	idx, err := x.fresh(ctx)
	if err != nil {
		return err
	}
	err = x.fill(ctx, idx, progress)
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	return err
}

// fresh puts every document into the outbox (once: one that is there
// and due stays as it is) and then opens a new, empty index.
func (x *Indexer) fresh(ctx context.Context) (search.Index, error) {
	// A new index needs no past changes: registered now, the cursor
	// starts here.
	if _, err := x.heartbeat(ctx); err != nil {
		return nil, err
	}
	// A document that has a row due already is not added again: a
	// rebuild whose index does not open (a Meilisearch that does not
	// answer) is tried again and again, and each try added every
	// document once more — at ten years 320,000 rows a try, seconds of
	// a core and the write lock each time, an outbox growing without end.
	// due is compared as an expression (due + 0): SQLite, without
	// statistics, would otherwise read each document's probe through
	// (consumer, due) — every due row of the outbox per document, minutes
	// at ten years — instead of (consumer, document_id).
	if _, err := x.cfg.DB.ExecContext(ctx, queueAllQuery, x.consumer, x.consumer, ms(x.cfg.Now())); err != nil {
		return nil, fmt.Errorf("reindex: %w", err)
	}
	// PostgreSQL plans the batches' walk (pickQuery) by the outbox's
	// statistics, which still count the few rows it held before: it read
	// every due row through search_outbox_consumer and sorted them, for
	// each batch (1.1 million rows read in a rebuild of one year's 32,000
	// documents). Counted now, it walks the rows in id order.
	if x.dialect == sqldb.Postgres {
		if _, err := x.cfg.DB.ExecContext(ctx, `ANALYZE search_outbox`); err != nil {
			return nil, fmt.Errorf("reindex: %w", err)
		}
	}
	return x.cfg.Open(ctx, true)
}

// queueAllQuery puts every document that has no row due (consumer,
// consumer, now in Unix milliseconds) into the outbox.
const queueAllQuery = `INSERT INTO search_outbox (consumer, document_id)
	SELECT CAST(? AS TEXT), d.id FROM documents d
	WHERE NOT EXISTS (SELECT 1 FROM search_outbox o WHERE o.consumer = ? AND o.document_id = d.id AND o.due + 0 <= ?)`

// fill drains the whole outbox into idx.
func (x *Indexer) fill(ctx context.Context, idx search.Index, progress func(done, total int)) error {
	var total int
	if err := x.cfg.DB.QueryRowContext(ctx, `SELECT COUNT(DISTINCT document_id) FROM search_outbox WHERE consumer = ? AND due <= ?`,
		x.consumer, ms(x.cfg.Now())).Scan(&total); err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	if progress != nil {
		progress(0, total)
	}
	// The total is counted once: counted again after each batch, as it
	// was, it read the whole outbox each time.
	_, err := x.drain(ctx, idx, x.cfg.FillBatch, func(done int) {
		if progress != nil {
			progress(done, max(total, done))
		}
	})
	if err != nil {
		return err
	}
	// A bulk load leaves many segments; queries walk each of them.
	if c, ok := idx.(compacter); ok {
		if err := c.Compact(ctx); err != nil {
			return fmt.Errorf("reindex: %w", err)
		}
	}
	return nil
}

// compacter is an index that can merge its storage after a bulk load to
// answer queries faster (search/bleve: one segment).
type compacter interface {
	Compact(ctx context.Context) error
}

// rebuild makes a fresh index and fills it in the background; searches
// answer "unavailable" until it is done.
func (x *Indexer) rebuild() {
	if !x.rebuilding.CompareAndSwap(false, true) {
		return
	}
	x.mu.Lock()
	old := x.index
	x.index, x.ready = nil, false
	x.mu.Unlock()
	if old != nil {
		old.Close()
	}
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		defer x.rebuilding.Store(false)
		backoff := time.Second
		// An unreachable Meilisearch fails every try, a minute apart:
		// the first failure is logged, then the same one again only
		// every rebuildLogEvery (with the count), so that one outage
		// is not hundreds of identical errors; /readyz says "search"
		// is not ok all along.
		var lastErr string
		var lastLogged time.Time
		failed := 0
		for {
			err := x.rebuildOnce()
			if err == nil {
				if failed > 0 {
					x.cfg.Log.Info("search index rebuild succeeded after failing", "failures", failed)
				}
				return
			}
			if x.ctx.Err() != nil {
				return
			}
			failed++
			if msg := err.Error(); msg != lastErr || time.Since(lastLogged) >= rebuildLogEvery {
				x.cfg.Log.Error("search index rebuild", "err", err, "failures", failed)
				lastErr, lastLogged = msg, time.Now()
			}
			select {
			case <-x.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
		}
	}()
}

// rebuildLogEvery is how often a rebuild that keeps failing the same way
// is logged again.
const rebuildLogEvery = 15 * time.Minute

func (x *Indexer) rebuildOnce() error {
	start := time.Now()
	idx, err := x.fresh(x.ctx)
	if err != nil {
		return err
	}
	if err := x.fill(x.ctx, idx, nil); err != nil {
		idx.Close()
		return err
	}
	x.mu.Lock()
	x.index, x.ready = idx, true
	x.mu.Unlock()
	x.notices.Add(1)
	x.cfg.Log.Info("search index rebuilt", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// checkDamage starts a rebuild if err says the index is damaged.
func (x *Indexer) checkDamage(err error) {
	if ratsmappe.ErrorCode(err) == ratsmappe.EUNAVAILABLE && x.available() {
		x.rebuild()
	}
}

// sync applies the due outbox rows before a search, so that the index
// agrees with the database as of this moment.
//
// With Config.ChangesNotified it asks the database only when it must:
// rows become due in the outbox only by a commit to the changes feed
// (pull moves them from there), which is notified, or by their time
// passing (an embargo's end, which the statement reads besides). So once
// a statement found nothing due, nothing is until the next notice or
// until that time — but for the notice's own way through the database
// (well under a millisecond to a few), as for the public cache
// (web/cache.go). The answer is not trusted before the listener first
// connected (its FeedMissed), nor for longer than QuietFor.
//
// With Config.Commits (SQLite) the same holds with a commit mark in
// place of the notices, and without their delay: the mark is read before
// the statement, and while it is the same no commit has happened since,
// so the database is still as that statement saw it.
func (x *Indexer) sync(ctx context.Context) (search.Index, error) {
	idx, err := x.current()
	if err != nil {
		return nil, err
	}
	now := x.cfg.Now()
	follow := x.cfg.ChangesNotified && x.listening.Load()
	notices := x.notices.Load()
	var mark [96]byte
	if x.cfg.Commits != nil {
		// Read before the statement: a commit after this read changes
		// the next one. No mark, no trust.
		mark, follow = x.cfg.Commits.Mark()
	}
	if follow {
		if q := x.quiet.Load(); q != nil && q.notices == notices && q.mark == mark && ms(now) < q.until && ms(now)-q.checked < QuietFor.Milliseconds() && ms(now) >= q.checked {
			return idx, nil
		}
	}
	pending, until, err := x.pending(ctx, now, follow)
	if err != nil {
		return nil, search.Unavailable(err)
	}
	if follow && !pending {
		x.quiet.Store(&quiet{notices: notices, mark: mark, checked: ms(now), until: until})
	}
	if pending {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := x.drain(ctx, idx, x.cfg.Batch, nil); err != nil {
			x.checkDamage(err)
			return nil, search.Unavailable(err)
		}
	}
	return idx, nil
}

// Search answers q from the index, after applying the outbox. It returns
// an EUNAVAILABLE error while the index cannot answer.
func (x *Indexer) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	if q.Now.IsZero() {
		q.Now = x.cfg.Now()
	}
	idx, err := x.sync(ctx)
	if err != nil {
		return nil, err
	}
	res, err := idx.Search(ctx, q)
	x.checkDamage(err)
	return res, err
}

// Suggest completes q from the index, after applying the outbox.
func (x *Indexer) Suggest(ctx context.Context, q search.SuggestQuery) ([]string, error) {
	if q.Now.IsZero() {
		q.Now = x.cfg.Now()
	}
	if len(strings.TrimSpace(q.Prefix)) == 0 {
		return nil, nil
	}
	idx, err := x.sync(ctx)
	if err != nil {
		return nil, err
	}
	out, err := idx.Suggest(ctx, q)
	x.checkDamage(err)
	return out, err
}
