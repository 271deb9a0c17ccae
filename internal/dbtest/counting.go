package dbtest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Counting returns a handle on db's database that counts the statements
// sent through it — queries and execs, inside transactions or not — for
// tests that a store reads in a fixed number of queries rather than one
// per object: on a database server every statement is a round trip. The
// handle speaks db's dialect (sqldb.DialectOf) and is closed when the test
// ends.
func Counting(tb testing.TB, db *sql.DB) (*sql.DB, *atomic.Int64) {
	tb.Helper()
	c, n, _ := CountingTrips(tb, db)
	return c, n
}

// CountingTrips is Counting that also counts round trips: a statement
// alone is one, and a batch of them (sqldb.Batch) on PostgreSQL is one
// for all of its statements.
func CountingTrips(tb testing.TB, db *sql.DB) (*sql.DB, *atomic.Int64, *atomic.Int64) {
	tb.Helper()
	n, trips := new(atomic.Int64), new(atomic.Int64)
	c := sql.OpenDB(countingConnector{db: db, n: n, trips: trips, dialect: string(sqldb.DialectOf(db))})
	tb.Cleanup(func() { c.Close() })
	return c, n, trips
}

// countingConnector makes each connection of the counting handle from a
// connection of the database/sql pool it wraps, so that the wrapped
// driver (placeholders rebound on PostgreSQL, SQLite's pragmas) does the
// work.
type countingConnector struct {
	db       *sql.DB
	n, trips *atomic.Int64
	dialect  string
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	sc, err := c.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{c: sc, n: c.n, trips: c.trips}, nil
}

func (c countingConnector) Driver() driver.Driver { return countingDriver{c.dialect} }

// countingDriver names the wrapped handle's dialect for sqldb.DialectOf.
type countingDriver struct{ dialect string }

func (countingDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("dbtest: open a counting handle with Counting")
}

func (d countingDriver) Dialect() string { return d.dialect }

type countingConn struct {
	c        *sql.Conn
	tx       *sql.Tx // the open transaction, which every statement then goes to
	n, trips *atomic.Int64
}

func args(nv []driver.NamedValue) []any {
	out := make([]any, len(nv))
	for i, v := range nv {
		out[i] = v.Value
	}
	return out
}

func (c *countingConn) QueryContext(ctx context.Context, query string, nv []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	c.trips.Add(1)
	var rows *sql.Rows
	var err error
	if c.tx != nil {
		rows, err = c.tx.QueryContext(ctx, query, args(nv)...)
	} else {
		rows, err = c.c.QueryContext(ctx, query, args(nv)...)
	}
	if err != nil {
		return nil, err
	}
	return &countingRows{r: rows}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, nv []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	c.trips.Add(1)
	if c.tx != nil {
		return c.tx.ExecContext(ctx, query, args(nv)...)
	}
	return c.c.ExecContext(ctx, query, args(nv)...)
}

// Batch counts each statement of a batch (sqldb.Batch) and sends them
// as the wrapped connection does: in one round trip on PostgreSQL.
func (c *countingConn) Batch(ctx context.Context, qs []sqldb.Query) error {
	c.n.Add(int64(len(qs)))
	if c.tx != nil {
		c.trips.Add(int64(len(qs)))
		return sqldb.Each(ctx, c.tx, qs...)
	}
	c.trips.Add(1)
	return sqldb.BatchConn(ctx, c.c, qs...)
}

func (c *countingConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("dbtest: prepared statements are not counted")
}

func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.c.BeginTx(ctx, &sql.TxOptions{Isolation: sql.IsolationLevel(opts.Isolation), ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	c.tx = tx
	return countingTx{c}, nil
}

func (c *countingConn) Close() error { return c.c.Close() }

type countingTx struct{ c *countingConn }

func (t countingTx) Commit() error {
	err := t.c.tx.Commit()
	t.c.tx = nil
	return err
}

func (t countingTx) Rollback() error {
	err := t.c.tx.Rollback()
	t.c.tx = nil
	return err
}

// countingRows hands on the wrapped rows' values as their driver gave
// them.
type countingRows struct{ r *sql.Rows }

func (r *countingRows) Columns() []string {
	cols, _ := r.r.Columns()
	return cols
}

func (r *countingRows) Close() error { return r.r.Close() }

func (r *countingRows) Next(dest []driver.Value) error {
	if !r.r.Next() {
		if err := r.r.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	vals := make([]any, len(dest))
	ptrs := make([]any, len(dest))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.r.Scan(ptrs...); err != nil {
		return err
	}
	for i, v := range vals {
		dest[i] = v
	}
	return nil
}
