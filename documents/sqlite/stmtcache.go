package sqlite

import (
	"container/list"
	"context"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// The statement cache. The stores call db.QueryContext and db.ExecContext
// with SQL text; the SQLite driver then parses and plans the statement
// again on every call and finalizes it afterwards — on a page that runs a
// dozen small queries, that is a tenth of the request's CPU and more. The
// driver wrapped here keeps, per connection, the statements it prepared,
// keyed by their text, and runs a repeated text on its prepared statement
// after a reset. The stores see nothing of it.
//
// SQLite re-prepares a cached statement by itself when the schema has
// changed since (sqlite3_prepare_v2), so migrations and ALTERs need no
// invalidation here.

const (
	// cacheSize bounds the statements each connection keeps: the stores
	// have a few hundred distinct texts, most of them rare.
	cacheSize = 256
	// maxCachedQuery is the longest text that is cached. Longer ones are
	// built per call (a multi-row INSERT, an IN list of many ids): they
	// rarely repeat, and each would hold its plan's memory until evicted.
	maxCachedQuery = 8 << 10
)

// connector makes every connection of the pool a caching conn.
type connector struct{ driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	in, ok := dc.(innerConn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("sqlite: the driver's connection (%T) lacks an interface the statement cache forwards", dc)
	}
	return newConn(in, cacheSize), nil
}

// innerConn is what the SQLite driver's connections implement and conn
// forwards: without one of these database/sql falls back to context-free
// calls (see sqlite.NewConnector).
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// innerStmt is what the SQLite driver's statements implement.
type innerStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// conn is a SQLite connection with a bounded LRU cache of its prepared
// statements. database/sql uses a connection from one goroutine at a time,
// but a Rows of a transaction stays open while the transaction runs other
// statements on the same connection, so a cached statement being read by a
// Rows is busy: a second query with the same text meanwhile gets a
// statement of its own, prepared and finalized as without a cache.
type conn struct {
	innerConn

	mu      sync.Mutex
	size    int
	lru     list.List // of *entry, the most recently used in front
	byQuery map[string]*list.Element

	// Counts for tests: statements prepared for the cache and finalized
	// out of it.
	prepared, finalized int
}

type entry struct {
	query string
	stmt  innerStmt
	busy  bool // an open Rows reads from stmt
	gone  bool // evicted or closed while busy; release finalizes it
	dead  bool // finalized under an open Rows by Close: the Rows must not touch it
}

func newConn(in innerConn, size int) *conn {
	return &conn{innerConn: in, size: size, byQuery: make(map[string]*list.Element)}
}

// Unwrap returns the driver's connection, for the driver's functions that
// look through wrappers (sqlite.Limit).
func (c *conn) Unwrap() driver.Conn { return c.innerConn }

// cacheable reports whether query is one statement worth keeping: SQL
// with several statements (a migration, a script) runs as before, and so
// does one with a semicolon anywhere but at its end — in a literal, say —
// since telling those apart would need SQLite's own tokenizer.
func cacheable(query string) bool {
	return len(query) <= maxCachedQuery && !strings.Contains(strings.TrimRight(query, "; \t\r\n"), ";")
}

// take returns the cached statement for query, preparing and caching it
// if needed, and marks it busy; nil if query is not cacheable or its
// statement is busy.
func (c *conn) take(ctx context.Context, query string) (*entry, error) {
	c.mu.Lock()
	if el, ok := c.byQuery[query]; ok {
		e := el.Value.(*entry)
		if e.busy {
			c.mu.Unlock()
			return nil, nil
		}
		e.busy = true
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	if !cacheable(query) {
		return nil, nil
	}
	ds, err := c.innerConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s, ok := ds.(innerStmt)
	if !ok {
		ds.Close()
		return nil, nil
	}
	e := &entry{query: query, stmt: s, busy: true}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prepared++
	if _, ok := c.byQuery[query]; ok {
		// Prepared meanwhile through a Raw use of the connection: this
		// statement serves once.
		e.gone = true
		return e, nil
	}
	c.byQuery[query] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		c.drop(c.lru.Back())
	}
	return e, nil
}

// drop removes el from the cache and finalizes its statement, or has
// release do it once its Rows is closed. c.mu is held.
func (c *conn) drop(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	delete(c.byQuery, e.query)
	if e.busy {
		e.gone = true
		return
	}
	c.finalize(e)
}

// finalize finalizes e's statement. Reset after its last use, it has no
// error to report. c.mu is held.
func (c *conn) finalize(e *entry) {
	c.finalized++
	e.stmt.Close()
}

// release marks e free again after a use.
func (c *conn) release(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.busy = false
	if e.gone {
		c.finalize(e)
	}
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	e, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return c.innerConn.QueryContext(ctx, query, args)
	}
	rows, err := e.stmt.QueryContext(ctx, args)
	if err != nil {
		// The driver has reset the statement.
		c.release(e)
		return nil, err
	}
	return &cachedRows{Rows: rows, c: c, e: e}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return c.innerConn.ExecContext(ctx, query, args)
	}
	defer c.release(e)
	return e.stmt.ExecContext(ctx, args) // resets the statement, also on errors
}

// Close finalizes the cached statements before the connection: SQLite
// would keep a connection with unfinalized statements open as a zombie.
func (c *conn) Close() error {
	c.mu.Lock()
	for el := c.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		// database/sql closes a connection only once its Rows are closed;
		// should one still be open, its statement goes with the connection.
		e.dead = e.busy
		c.finalize(e)
	}
	c.lru.Init()
	clear(c.byQuery)
	c.mu.Unlock()
	return c.innerConn.Close()
}

// cachedRows is a Rows of a cached statement: closing it resets the
// statement (the driver's Rows does that) and frees it for the next query.
type cachedRows struct {
	driver.Rows
	c      *conn
	e      *entry
	closed bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.c.mu.Lock()
	dead := r.e.dead
	r.c.mu.Unlock()
	if dead {
		return nil
	}
	err := r.Rows.Close()
	r.c.release(r.e)
	return err
}

// The column type methods are the driver's, forwarded; database/sql asks
// for them with type assertions, so they must be methods here.

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
