package dbcopy

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// A table as the catalog of one database describes it.
type tableInfo struct {
	cols     []string // in the table's order; on SQLite "rowid" first for a table without a primary key
	key      []string // the primary key, or SQLite's rowid
	identity []string // PostgreSQL identity columns
	refs     []string // tables its foreign keys refer to
}

// catalog reads the base tables of db, by name, from the database's own
// catalog: the order of a copy follows the foreign keys the schema
// declares, not a list kept by hand.
func catalog(ctx context.Context, db *sql.DB) (map[string]*tableInfo, error) {
	d := sqldb.DialectOf(db)
	q := `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND sql NOT LIKE 'CREATE VIRTUAL%'`
	if d == sqldb.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	names, err := strings1(ctx, db, q)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	out := make(map[string]*tableInfo, len(names))
	for _, n := range names {
		var t *tableInfo
		if d == sqldb.Postgres {
			t, err = postgresTable(ctx, db, n)
		} else {
			t, err = sqliteTable(ctx, db, n)
		}
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", n, err)
		}
		out[n] = t
	}
	return out, nil
}

func sqliteTable(ctx context.Context, db *sql.DB, name string) (*tableInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &tableInfo{}
	pk := map[int]string{}
	for rows.Next() {
		var col string
		var p, hidden int
		if err := rows.Scan(&col, &p, &hidden); err != nil {
			return nil, err
		}
		if hidden != 0 { // generated columns are computed again on insert
			continue
		}
		t.cols = append(t.cols, col)
		if p > 0 {
			pk[p] = col
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := 1; i <= len(pk); i++ {
		t.key = append(t.key, pk[i])
	}
	if len(t.key) == 0 {
		// A table without a primary key is ordered by its implicit
		// rowid, which the PostgreSQL spelling keeps as a column of
		// that name (see docs/decisions.md), so it is carried as one.
		t.key = []string{"rowid"}
		t.cols = append([]string{"rowid"}, t.cols...)
	}
	t.refs, err = strings1(ctx, db, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name)
	return t, err
}

func postgresTable(ctx context.Context, db *sql.DB, name string) (*tableInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT column_name, is_identity, is_generated FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &tableInfo{}
	for rows.Next() {
		var col, identity, generated string
		if err := rows.Scan(&col, &identity, &generated); err != nil {
			return nil, err
		}
		if generated == "ALWAYS" {
			continue
		}
		t.cols = append(t.cols, col)
		if identity == "YES" {
			t.identity = append(t.identity, col)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rel := quote(name)
	if t.key, err = strings1(ctx, db, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
		WHERE i.indrelid = ?::regclass AND i.indisprimary
		ORDER BY array_position(i.indkey::int2[], a.attnum)`, rel); err != nil {
		return nil, err
	}
	t.refs, err = strings1(ctx, db, `SELECT DISTINCT r.relname FROM pg_constraint k
		JOIN pg_class r ON r.oid = k.confrelid
		WHERE k.contype = 'f' AND k.conrelid = ?::regclass`, rel)
	return t, err
}

// strings1 returns the first column of the rows of q.
func strings1(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// createTable finds the tables a migration creates.
var createTable = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["` + "`" + `]?(\w+)`)

// scopeTables returns the names of the tables a scope's migrations create,
// read from its SQL files: which tables belong to which package follows
// the migrations, as the ports of further packages add theirs.
func scopeTables(migrations fs.FS) ([]string, error) {
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		b, err := fs.ReadFile(migrations, n)
		if err != nil {
			return nil, err
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1])
		}
	}
	return out, nil
}

// order sorts tables so that each comes after the tables its foreign keys
// refer to (in either database), keeping the given order otherwise. A
// reference to a table outside the list is an error: its rows would be
// missing in the target.
func order(tables []*Table) ([]*Table, error) {
	byName := map[string]*Table{}
	for _, t := range tables {
		byName[t.Name] = t
	}
	var out []*Table
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(t *Table) error
	visit = func(t *Table) error {
		switch state[t.Name] {
		case 1:
			return fmt.Errorf("the foreign keys of %s form a cycle", t.Name)
		case 2:
			return nil
		}
		state[t.Name] = 1
		refs := append([]string(nil), t.refs...)
		sort.Strings(refs)
		for _, r := range refs {
			if r == t.Name {
				continue
			}
			p, ok := byName[r]
			if !ok {
				return &refError{table: t.Name, ref: r}
			}
			if err := visit(p); err != nil {
				return err
			}
		}
		state[t.Name] = 2
		out = append(out, t)
		return nil
	}
	for _, t := range tables {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// quote quotes an identifier for both databases ("end" is reserved in
// PostgreSQL).
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}
