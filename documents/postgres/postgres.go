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
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Open connects to the PostgreSQL database at url (postgres://… or a
// key=value connection string) and checks that it answers.
//
// The pool is bounded: every connection is a server process, and a city
// runs several app servers on one database, whose max_connections (100
// by default) they share.
func Open(ctx context.Context, url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's error repeats the URL, password included.
		return nil, errors.New("postgres: the database URL is not valid")
	}
	// The server and Go agree on UTC, so text timestamps the stores write
	// and now() compare the same way on every instance.
	cfg.RuntimeParams["timezone"] = "UTC"
	db := sql.OpenDB(connector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err) // names user, database and address
	}
	return db, nil
}

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

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(Rebind(query))
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, Rebind(query))
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, Rebind(query), args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, Rebind(query), args)
}
