// Package postgres opens Ratsmappe's metadata database on PostgreSQL, the
// database a city's IT department operates and replicates, beside the
// embedded SQLite default (documents/sqlite).
//
// It is the only package that imports the PostgreSQL driver (pgx). The
// stores keep using database/sql with SQL in the SQLite style: the driver
// registered here rewrites ? and ?NNN placeholders to PostgreSQL's $n
// before a statement reaches the server (see Rebind), so that the SQL both
// databases share is written once.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// maxConns bounds the pool: every connection is a server process, and a
// city runs several app servers on one database, whose max_connections
// (100 by default) they share.
const maxConns = 16

// Open connects to the PostgreSQL database at url (postgres://… or a
// key=value connection string) and checks that it answers.
//
// The pool keeps its connections (up to maxConns) until they have been
// idle for five minutes: a new connection is a new server process with
// cold catalog caches and no prepared statements, and closing the ones
// above a smaller idle limit after every burst made the next burst's
// first requests pay for opening them again (issue 15: the member's
// meeting page's p99 at 32 clients was its first wave).
//
// A statement whose context ends (a client gone) is given leaveGrace to
// finish before pgx closes its connection: pgx's default closed it at once,
// and the next request paid for a new server process (a load's end, or a
// crowd's clients leaving, left up to the whole pool to be opened again by
// the next burst: issue 15, the member pages' first wave). A statement of a
// page takes milliseconds, so it finishes and its connection stays; only a
// statement still running after the grace costs its connection. Either way
// the statement fails with the context's error. A closed connection is
// never handed out again (IsValid). Before, such a connection went back to
// the pool as if healthy and was handed to the next waiting request, which
// failed with "driver: bad connection" when it drew three of them in a row.
//
// The connection is not kept by sending PostgreSQL a cancel request
// instead: that request is asynchronous, and on a loaded machine it
// landed on the next request's statement on the same connection, which
// failed with "canceling statement due to user request" (issue 15); a
// canceled statement also came back as a server error rather than the
// context's, so a client that left was logged as an internal error.
// Nothing in a request bounds a statement by a short deadline any more
// (accounts' bookkeeping write skips a locked row instead).
func Open(ctx context.Context, url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's error repeats the URL, password included.
		return nil, errors.New("postgres: the database URL is not valid")
	}
	// The server and Go agree on UTC, so text timestamps the stores write
	// and now() compare the same way on every instance.
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn(), DeadlineDelay: leaveGrace}
	}
	db := sql.OpenDB(connector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err) // names user, database and address
	}
	return db, nil
}

// Warm opens most of the pool's connections at once and leaves them idle
// in it, so that the first burst of requests after a server starts (a
// restart behind the load balancer at a deadline) does not wait for
// PostgreSQL to start a process per connection: at 32 clients that first
// wave was the slowest second of a load (issue 15). Connections idle for
// five minutes are closed again. Best effort: a connection that cannot be
// opened now is opened when a request needs it. A database Open did not
// open (SQLite) is left alone.
//
// It leaves two connections and waits at most warmWait: a worker that
// already holds a connection may need a second one before it lets go,
// and Warm holds what it took until it has them all.
func Warm(ctx context.Context, db *sql.DB) {
	if _, ok := db.Driver().(drv); !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, warmWait)
	defer cancel()
	st := db.Stats()
	conns := make([]*sql.Conn, max(0, st.MaxOpenConnections-st.InUse-2))
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := db.Conn(ctx)
			if err != nil {
				return
			}
			conns[i] = c
			_ = c.PingContext(ctx)
		})
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// leaveGrace is how long a statement whose context ended may still run
// before its connection is closed under it (see Open).
const leaveGrace = time.Second

// warmWait bounds Warm.
const warmWait = 2 * time.Second

// connector wraps pgx's, so that every connection rebinds placeholders.
type connector struct{ inner driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{dc.(*stdlib.Conn)}, nil
}

func (connector) Driver() driver.Driver { return drv{} }

// drv is what db.Driver() returns: it names the dialect for
// sqldb.DialectOf. Connections come only from the connector.
type drv struct{}

func (drv) Open(string) (driver.Conn, error) {
	return nil, errors.New("postgres: open the database with postgres.Open")
}

// Dialect names the dialect for sqldb.DialectOf.
func (drv) Dialect() string { return "postgres" }

// conn is a pgx connection whose statements are rebound. Everything else
// (transactions, pinging, resetting, value checks) is pgx's.
type conn struct{ *stdlib.Conn }

// IsValid tells database/sql, as a connection comes back to the pool,
// whether it may be used again: not once pgx has closed it (a network
// error, a statement whose context ended). pgx's own
// connection does not say so, and database/sql then handed it to the
// next waiting request.
func (c *conn) IsValid() bool { return !c.Conn.Conn().IsClosed() }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebound(query))
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebound(query))
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebound(query), args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebound(query), args)
}

// rebinds remembers Rebind's answers by query, at most maxRebinds of
// them. The stores' SQL is a fixed set of strings (their arguments are
// bound, lists included), each sent again by every request: a page's
// dozen statements of 1–2 KB each were rescanned byte by byte every time
// (3 % of a citizen's meeting page's CPU in the app server, issue 15),
// where looking one up hashes it once. The bound keeps SQL that a caller
// does build from values (a literal limit) from growing the map without
// end; past it, queries are rebound as before.
var (
	rebinds    sync.Map // query → rebound query
	rebindsLen atomic.Int64
)

const maxRebinds = 4096

// rebound is Rebind(query), remembered (see rebinds).
func rebound(query string) string {
	if r, ok := rebinds.Load(query); ok {
		return r.(string)
	}
	r := Rebind(query)
	if rebindsLen.Load() < maxRebinds {
		if _, loaded := rebinds.LoadOrStore(query, r); !loaded {
			rebindsLen.Add(1)
		}
	}
	return r
}

// Batch sends qs in one round trip (a pgx pipeline with one Sync: the
// statements run in one implicit transaction) and hands each statement's
// rows to its Read in order (sqldb.Batch). Rows are pgx's: they scan into
// the destinations database/sql does for the stores' columns, sql.Scanner
// ones included.
func (c *conn) Batch(ctx context.Context, qs []sqldb.Query) (err error) {
	var b pgx.Batch
	for _, q := range qs {
		b.Queue(rebound(q.SQL), q.Args...)
	}
	br := c.Conn.Conn().SendBatch(ctx, &b)
	defer func() { err = errors.Join(err, br.Close()) }()
	for _, q := range qs {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		err = q.Read(rows)
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return err
		}
	}
	return nil
}
