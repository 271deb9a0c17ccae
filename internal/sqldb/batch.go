package sqldb

import (
	"context"
	"database/sql"
	"errors"
)

// Rows are the rows of one statement of a Batch, as its Query's Read
// reads them: like *sql.Rows, Scan reads the current row into
// destinations (including sql.Scanner ones), after Next said there is
// one. Read need not close them.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Query is one statement of a Batch: its SQL (with ? placeholders, as
// everywhere), its arguments, and the function that reads its rows.
type Query struct {
	SQL  string
	Args []any
	Read func(Rows) error
}

// Batcher is a driver connection that sends several statements in one
// round trip and hands each statement's rows to its Read in order. The
// PostgreSQL adapter's connections are Batchers (a pipeline of the
// statements with one Sync, so they run in one implicit transaction and
// see one snapshot); database/sql reaches them through sql.Conn.Raw.
type Batcher interface {
	Batch(ctx context.Context, qs []Query) error
}

// Batch runs the statements qs, which must not depend on each other's
// results, and hands each one's rows to its Read, in order. On a
// database whose connections are Batchers (PostgreSQL) they travel in one
// round trip: a page's independent reads then cost the database one
// wake-up, one transaction and one reply instead of one of each per
// statement (issue 15). Elsewhere (SQLite, in-process) they run one
// after another on db. The first error ends the batch and is returned.
func Batch(ctx context.Context, db *sql.DB, qs ...Query) error {
	if DialectOf(db) != Postgres || len(qs) < 2 {
		return each(ctx, db, qs)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return BatchConn(ctx, c, qs...)
}

// BatchConn is Batch on the connection c: in one round trip if its driver
// connection is a Batcher, else one statement after another on c.
func BatchConn(ctx context.Context, c *sql.Conn, qs ...Query) error {
	sent := false
	err := c.Raw(func(dc any) error {
		b, ok := dc.(Batcher)
		if !ok {
			return nil
		}
		sent = true
		return b.Batch(ctx, qs)
	})
	if sent || err != nil {
		return err
	}
	return each(ctx, c, qs)
}

// querier is what each needs of *sql.DB, *sql.Conn and *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Each runs qs one after another on q (a transaction, say) and hands each
// one's rows to its Read: Batch's answers without its round trip.
func Each(ctx context.Context, q querier, qs ...Query) error {
	return each(ctx, q, qs)
}

func each(ctx context.Context, q querier, qs []Query) error {
	for _, qu := range qs {
		rows, err := q.QueryContext(ctx, qu.SQL, qu.Args...)
		if err != nil {
			return err
		}
		err = qu.Read(rows)
		cerr := rows.Close()
		if err == nil {
			err = errors.Join(rows.Err(), cerr)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
