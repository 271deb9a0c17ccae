package sqlite

// An internal test: whether a statement came from the cache is not
// visible through database/sql, so these tests read the connection's
// counts. Everything else is real: SQLite files opened with Open.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// open opens a fresh database with one connection, so that every
// statement of a test meets the same cache.
func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	mustExec(t, db, `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`)
	return db
}

func mustExec(t *testing.T, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// cacheOf returns the caching connection of db's only connection.
func cacheOf(t *testing.T, db *sql.DB) *conn {
	t.Helper()
	sc, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var c *conn
	if err := sc.Raw(func(dc any) error { c = dc.(*conn); return nil }); err != nil {
		t.Fatal(err)
	}
	return c
}

type counts struct{ prepared, finalized, cached int }

func (c *conn) counts() counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return counts{c.prepared, c.finalized, c.lru.Len()}
}

func names(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, ",")
}

func TestStmtCacheHit(t *testing.T) {
	db := open(t)
	c := cacheOf(t, db)
	before := c.counts()
	for i := range 3 {
		mustExec(t, db, `INSERT INTO t (name) VALUES (?)`, fmt.Sprint("n", i))
	}
	if got, want := names(t, db), "n0,n1,n2"; got != want {
		t.Fatalf("names = %q, want %q", got, want)
	}
	if got, want := names(t, db), "n0,n1,n2"; got != want {
		t.Fatalf("names again = %q, want %q", got, want)
	}
	// A query that finds nothing, and one with a row, on one statement.
	for _, tc := range []struct {
		id   int
		want bool
	}{{99, false}, {2, true}, {99, false}} {
		var name string
		err := db.QueryRow(`SELECT name FROM t WHERE id = ?`, tc.id).Scan(&name)
		if got := err == nil; got != tc.want {
			t.Fatalf("row %d found = %v (%v), want %v", tc.id, got, err, tc.want)
		}
	}
	if got, want := c.counts().prepared-before.prepared, 3; got != want {
		t.Errorf("prepared %d statements for 3 texts, want %d", got, want)
	}
}

func TestStmtCacheEvictionFinalizes(t *testing.T) {
	db := open(t)
	c := cacheOf(t, db)
	before := c.counts()
	n := cacheSize + 10
	for i := range n {
		var got int
		if err := db.QueryRow(fmt.Sprintf(`SELECT %d + ?`, i), 1).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != i+1 {
			t.Fatalf("SELECT %d + 1 = %d", i, got)
		}
	}
	after := c.counts()
	if got, want := after.prepared-before.prepared, n; got != want {
		t.Errorf("prepared %d, want %d", got, want)
	}
	if got, want := after.cached, cacheSize; got != want {
		t.Errorf("cached %d, want %d", got, want)
	}
	if got, want := after.finalized, after.prepared-cacheSize; got != want {
		t.Errorf("finalized %d, want %d (every statement evicted)", got, want)
	}
	// The least recently used went: the first text is prepared again, the
	// last is not.
	var x int
	db.QueryRow(fmt.Sprintf(`SELECT %d + ?`, n-1), 1).Scan(&x)
	if got, want := c.counts().prepared, after.prepared; got != want {
		t.Errorf("the newest text was prepared again")
	}
	db.QueryRow(`SELECT 0 + ?`, 1).Scan(&x)
	if got, want := c.counts().prepared, after.prepared+1; got != want {
		t.Errorf("prepared %d after the evicted text, want %d", got, want)
	}

	// Closing the connection finalizes the rest.
	db.Close()
	if got := c.counts(); got.finalized != got.prepared || got.cached != 0 {
		t.Errorf("after Close: %+v, want every prepared statement finalized", got)
	}
}

// A Rows of a transaction stays open while the transaction runs other
// statements on its connection, the same text too.
func TestStmtCacheBusyStatement(t *testing.T) {
	db := open(t)
	for _, n := range []string{"a", "b", "c"} {
		mustExec(t, db, `INSERT INTO t (name) VALUES (?)`, n)
	}
	c := cacheOf(t, db)
	before := c.counts()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT id, name FROM t WHERE id >= ? ORDER BY id`
	outer, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for outer.Next() {
		var id int
		var name string
		if err := outer.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		// The same text while outer reads its statement.
		var inner []string
		rows, err := tx.QueryContext(ctx, q, id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var i int
			var s string
			rows.Scan(&i, &s)
			inner = append(inner, s)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE t SET name = ? WHERE id = ?`, name+"!", id); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, name+":"+strings.Join(inner, "+"))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(seen, " "), "a:a+b+c b:b+c c:c"; got != want {
		t.Errorf("outer and inner rows = %q, want %q", got, want)
	}
	if got, want := names(t, db), "a!,b!,c!"; got != want {
		t.Errorf("names = %q, want %q", got, want)
	}
	// The query and the update were cached (and names' query); the
	// inner queries, meeting a busy statement, were not.
	after := c.counts()
	if got, want := after.prepared-before.prepared, 3; got != want {
		t.Errorf("prepared %d, want %d", got, want)
	}
	// And the statement is free again.
	rows, err := db.Query(q, 2)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if got := c.counts().prepared; got != after.prepared {
		t.Errorf("the freed statement was prepared again")
	}
}

func TestStmtCacheMultiStatementString(t *testing.T) {
	db := open(t)
	c := cacheOf(t, db)
	before := c.counts()
	mustExec(t, db, `INSERT INTO t (name) VALUES ('x'); INSERT INTO t (name) VALUES ('y;z');`)
	mustExec(t, db, `INSERT INTO t (name) VALUES ('x2');  INSERT INTO t (name) VALUES ('y2')`)
	if got, want := names(t, db), "x,y;z,x2,y2"; got != want {
		t.Fatalf("names = %q, want %q (every statement of the strings ran)", got, want)
	}
	// A semicolon only at the end is one statement.
	mustExec(t, db, `DELETE FROM t WHERE name = ?;`, "x")
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t WHERE name LIKE '%;%'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("count = %d, %v; want 1", n, err)
	}
	// names and the DELETE were cached; the scripts and the literal with
	// a semicolon were not.
	if got, want := c.counts().prepared-before.prepared, 2; got != want {
		t.Errorf("prepared %d, want %d", got, want)
	}
}

// SQLite prepares a statement again by itself once the schema changed,
// on its own connection or another.
func TestStmtCacheSchemaChange(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(2)
	ctx := context.Background()
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mustExec(t, a, `INSERT INTO t (name) VALUES ('a')`)
	columns := func() string {
		t.Helper()
		rows, err := a.QueryContext(ctx, `SELECT * FROM t`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(cols, ",")
	}
	if got, want := columns(), "id,name"; got != want {
		t.Fatalf("columns = %q, want %q", got, want)
	}
	mustExec(t, a, `ALTER TABLE t ADD COLUMN note TEXT`)
	if got, want := columns(), "id,name,note"; got != want {
		t.Fatalf("after ALTER on the same connection: columns = %q, want %q", got, want)
	}
	mustExec(t, b, `ALTER TABLE t ADD COLUMN place TEXT DEFAULT 'Rathaus'`)
	if got, want := columns(), "id,name,note,place"; got != want {
		t.Fatalf("after ALTER on another connection: columns = %q, want %q", got, want)
	}
	// A table dropped and made again with other columns.
	mustExec(t, b, `DROP TABLE t`)
	mustExec(t, b, `CREATE TABLE t (k TEXT)`)
	if got, want := columns(), "k"; got != want {
		t.Fatalf("after the table was made again: columns = %q, want %q", got, want)
	}
	// A dropped table's cached statement fails like an uncached one
	// and is usable once the table is back.
	mustExec(t, b, `DROP TABLE t`)
	if _, err := a.QueryContext(ctx, `SELECT * FROM t`); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("query of a dropped table: %v, want no such table", err)
	}
	mustExec(t, b, `CREATE TABLE t (z INTEGER)`)
	if got, want := columns(), "z"; got != want {
		t.Fatalf("after the table came back: columns = %q, want %q", got, want)
	}
}

func TestStmtCacheErrorLeavesStatementUsable(t *testing.T) {
	db := open(t)
	c := cacheOf(t, db)
	before := c.counts()
	const ins = `INSERT INTO t (name) VALUES (?)`
	mustExec(t, db, ins, "a")
	if _, err := db.Exec(ins, "a"); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("a second a: %v, want a UNIQUE constraint violation", err)
	}
	mustExec(t, db, ins, "b")
	// The same through a query, as stores insert with RETURNING.
	const ret = `INSERT INTO t (name) VALUES (?) RETURNING id`
	var id int
	if err := db.QueryRow(ret, "b").Scan(&id); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("a second b: %v, want a UNIQUE constraint violation", err)
	}
	if err := db.QueryRow(ret, "c").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 3 {
		t.Errorf("c's id = %d, want 3", id)
	}
	// A statement with the wrong number of arguments.
	if _, err := db.Exec(ins); err == nil {
		t.Fatal("an insert without its argument succeeded")
	}
	mustExec(t, db, ins, "d")
	if got, want := names(t, db), "a,b,c,d"; got != want {
		t.Errorf("names = %q, want %q", got, want)
	}
	if got, want := c.counts().prepared-before.prepared, 3; got != want {
		t.Errorf("prepared %d, want %d (the failed statements were reused)", got, want)
	}
}

func TestStmtCacheCancelMidQuery(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	const q = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n`
	qctx, cancel := context.WithCancel(ctx)
	rows, err := db.QueryContext(qctx, q, 100000)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for rows.Next() {
		read++
		if read == 10 {
			cancel()
		}
	}
	if err := rows.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("rows.Err() = %v, want context.Canceled", err)
	}
	if read >= 100000 {
		t.Fatalf("read all %d rows after the cancel", read)
	}
	rows.Close()
	// The connection (the only one) and the statement go on.
	for range 2 {
		var n, last int
		rows, err := db.QueryContext(ctx, q, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			rows.Scan(&last)
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != 1000 || last != 1000 {
			t.Fatalf("after the cancel: %d rows up to %d, want 1000", n, last)
		}
	}
	// A context canceled before an exec: refused, and the statement too
	// goes on.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.ExecContext(cctx, `INSERT INTO t (name) VALUES (?)`, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("exec with a canceled context: %v", err)
	}
	mustExec(t, db, `INSERT INTO t (name) VALUES (?)`, "y")
	if got, want := names(t, db), "y"; got != want {
		t.Errorf("names = %q, want %q", got, want)
	}
}

func TestStmtCacheColumnTypes(t *testing.T) {
	db := open(t)
	mustExec(t, db, `INSERT INTO t (name) VALUES ('a')`)
	for range 2 { // prepared, then cached
		rows, err := db.Query(`SELECT id, name FROM t`)
		if err != nil {
			t.Fatal(err)
		}
		types, err := rows.ColumnTypes()
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := types[0].DatabaseTypeName()+","+types[1].DatabaseTypeName(), "INTEGER,TEXT"; got != want {
			t.Errorf("column types = %s, want %s", got, want)
		}
	}
}

// The pool's connections each keep their own statements; goroutines
// taking turns on them read what they wrote.
func TestStmtCacheConcurrent(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(4)
	ctx := context.Background()
	errs := make(chan error, 16)
	for g := range 16 {
		go func() {
			errs <- func() error {
				for i := range 50 {
					name := fmt.Sprintf("g%d-%d", g, i)
					var id int64
					if err := db.QueryRowContext(ctx, `INSERT INTO t (name) VALUES (?) RETURNING id`, name).Scan(&id); err != nil {
						return err
					}
					var got string
					if err := db.QueryRowContext(ctx, `SELECT name FROM t WHERE id = ?`, id).Scan(&got); err != nil {
						return err
					}
					if got != name {
						return fmt.Errorf("row %d = %q, want %q", id, got, name)
					}
				}
				return nil
			}()
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 16*50 {
		t.Fatalf("count = %d, %v; want %d", n, err, 16*50)
	}
}
