package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// TestBatch runs independent statements as one batch (one round trip on
// PostgreSQL) and reads each one's rows, in order, into the destinations
// the stores use with database/sql: a page's reads give the same
// answers batched or not, on both databases and through the statement
// counter the cost tests use.
func TestBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		for _, q := range []string{
			`CREATE TABLE b (id BIGINT PRIMARY KEY, n INTEGER NOT NULL, s TEXT NOT NULL, opt TEXT)`,
			`INSERT INTO b VALUES (1, 10, 'eins', NULL), (2, 20, 'zwei', 'x'), (3, 30, 'drei', NULL)`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		type row struct {
			id  int64
			n   int
			s   string
			opt sql.NullString
		}
		read := func(out *[]row) func(sqldb.Rows) error {
			return func(rows sqldb.Rows) error {
				for rows.Next() {
					var r row
					if err := rows.Scan(&r.id, &r.n, &r.s, &r.opt); err != nil {
						return err
					}
					*out = append(*out, r)
				}
				return nil
			}
		}
		counted, n := dbtest.Counting(t, db)
		for _, h := range []struct {
			name string
			db   *sql.DB
		}{{"pool", db}, {"counted", counted}} {
			var first, second, none []row
			var count int64
			err := sqldb.Batch(ctx, h.db,
				sqldb.Query{SQL: `SELECT id, n, s, opt FROM b WHERE id >= ? ORDER BY id`, Args: []any{int64(2)}, Read: read(&first)},
				sqldb.Query{SQL: `SELECT id, n, s, opt FROM b WHERE s = ? OR id = ? ORDER BY id DESC`, Args: []any{"eins", int64(3)}, Read: read(&second)},
				sqldb.Query{SQL: `SELECT id, n, s, opt FROM b WHERE id > 99`, Read: read(&none)},
				sqldb.Query{SQL: `SELECT COUNT(*) FROM b`, Read: func(rows sqldb.Rows) error {
					for rows.Next() {
						if err := rows.Scan(&count); err != nil {
							return err
						}
					}
					return nil
				}})
			if err != nil {
				t.Fatalf("%s: %v", h.name, err)
			}
			want1 := []row{{2, 20, "zwei", sql.NullString{String: "x", Valid: true}}, {3, 30, "drei", sql.NullString{}}}
			want2 := []row{{3, 30, "drei", sql.NullString{}}, {1, 10, "eins", sql.NullString{}}}
			if !slices.Equal(first, want1) || !slices.Equal(second, want2) || len(none) != 0 || count != 3 {
				t.Errorf("%s: got %v, %v, %v, %d; want %v, %v, none, 3", h.name, first, second, none, count, want1, want2)
			}
		}
		if got := n.Load(); got != 4 {
			t.Errorf("the counter saw %d statements of the batch, want 4", got)
		}

		// The first error ends the batch: a Read's own, or a statement's;
		// the pool's connections stay usable after either.
		stop := errors.New("stop")
		reads := 0
		err := sqldb.Batch(ctx, db,
			sqldb.Query{SQL: `SELECT id FROM b`, Read: func(sqldb.Rows) error { reads++; return stop }},
			sqldb.Query{SQL: `SELECT id FROM b`, Read: func(sqldb.Rows) error { reads++; return nil }})
		if !errors.Is(err, stop) || reads != 1 {
			t.Errorf("a Read's error: %v after %d reads, want stop after 1", err, reads)
		}
		err = sqldb.Batch(ctx, db,
			sqldb.Query{SQL: `SELECT id FROM b`, Read: func(sqldb.Rows) error { return nil }},
			sqldb.Query{SQL: `SELECT id FROM no_such_table`, Read: func(sqldb.Rows) error { t.Error("read a failed statement"); return nil }})
		if err == nil {
			t.Error("a failing statement: no error")
		}
		for range 20 { // more than the pool's connections
			var c int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM b`).Scan(&c); err != nil || c != 3 {
				t.Fatalf("after the failed batches: %d, %v", c, err)
			}
		}
	})
}
