package dbtest

import (
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Row is one row of a table as Rows reads it.
type Row struct {
	Cols []string
	Vals []any // as database/sql gives them: int64, float64, string, []byte, nil …
}

// Get returns the value of column col, nil if there is none.
func (r Row) Get(col string) any {
	for i, c := range r.Cols {
		if c == col {
			return r.Vals[i]
		}
	}
	return nil
}

// Text returns the row's text values (strings and bytes), joined by NUL.
func (r Row) Text() string {
	var text []string
	for _, v := range r.Vals {
		switch v := v.(type) {
		case string:
			text = append(text, v)
		case []byte:
			text = append(text, string(v))
		}
	}
	return strings.Join(text, "\x00")
}

// Ints returns the row's integer values.
func (r Row) Ints() map[int64]bool {
	ints := map[int64]bool{}
	for _, v := range r.Vals {
		if n, ok := v.(int64); ok {
			ints[n] = true
		}
	}
	return ints
}

// Tables returns the names of db's tables: SQLite's, or those of the
// current schema on PostgreSQL.
func Tables(tb testing.TB, db *sql.DB) []string {
	tb.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if sqldb.DialectOf(db) == sqldb.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := db.Query(q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Rows returns every row of table, for tests that search a whole database
// (for a trace that must not be there).
func Rows(tb testing.TB, db *sql.DB, table string) []Row {
	tb.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var out []Row
	for rows.Next() {
		r := Row{Cols: cols, Vals: make([]any, len(cols))}
		ptrs := make([]any, len(cols))
		for i := range r.Vals {
			ptrs[i] = &r.Vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Concurrently runs f(0) … f(n-1) at once, as n requests or app servers
// on one database would, and returns their errors by i.
func Concurrently(n int, f func(i int) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(i) }()
	}
	wg.Wait()
	return errs
}
