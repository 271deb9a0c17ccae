package sqldb_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestMigrate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		v1 := fstest.MapFS{
			"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		}
		if err := sqldb.Migrate(ctx, db, "test", v1); err != nil {
			t.Fatal(err)
		}
		// Running again applies nothing twice (CREATE TABLE would fail).
		if err := sqldb.Migrate(ctx, db, "test", v1); err != nil {
			t.Fatalf("second run: %v", err)
		}
		// A new migration is applied, in name order, after the old one.
		v2 := fstest.MapFS{
			"0001_a.sql": v1["0001_a.sql"],
			"0002_b.sql": {Data: []byte("INSERT INTO a VALUES (42);")},
		}
		if err := sqldb.Migrate(ctx, db, "test", v2); err != nil {
			t.Fatal(err)
		}
		var x int
		if err := db.QueryRowContext(ctx, "SELECT x FROM a").Scan(&x); err != nil || x != 42 {
			t.Errorf("x = %d, %v", x, err)
		}
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE name LIKE 'test/%'").Scan(&n)
		if got, want := n, 2; got != want {
			t.Errorf("recorded migrations = %d, want %d", got, want)
		}
		// A failing migration leaves nothing behind and is not recorded.
		bad := fstest.MapFS{
			"0001_a.sql": v1["0001_a.sql"],
			"0002_b.sql": v2["0002_b.sql"],
			"0003_c.sql": {Data: []byte("CREATE TABLE c (y INTEGER); SELECT * FROM nonexistent;")},
		}
		if err := sqldb.Migrate(ctx, db, "test", bad); err == nil {
			t.Fatal("failing migration succeeded")
		}
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM c").Scan(&n); err == nil {
			t.Errorf("table c of the failed migration exists")
		}
	})
}

// App servers that start together on one PostgreSQL database apply each
// migration once, and none of them fails.
func TestMigrateConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		files := fstest.MapFS{
			"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
			"0002_b.sql": {Data: []byte("INSERT INTO a VALUES (1);")},
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := sqldb.Migrate(ctx, db, "test", files); err != nil {
					t.Errorf("migrate: %v", err)
				}
			}()
		}
		wg.Wait()
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM a").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if got, want := n, 1; got != want {
			t.Errorf("rows inserted by the migration = %d, want %d", got, want)
		}
	})
}

// A package without migrations for a database is refused by name, not
// half-applied.
func TestPickRefusesUnported(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		lite := fstest.MapFS{"0001_a.sql": {Data: []byte("SELECT 1;")}}
		_, err := sqldb.Pick(db, "notify", lite, nil)
		if d := sqldb.DialectOf(db); d == sqldb.Postgres {
			if err == nil {
				t.Errorf("no error for a package without PostgreSQL migrations")
			}
		} else if err != nil {
			t.Errorf("sqlite: %v", err)
		}
	})
}

func TestValues(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		want       string
	}{
		{1, 1, "(?)"},
		{1, 3, "(?, ?, ?)"},
		{2, 2, "(?, ?), (?, ?)"},
	} {
		if got := sqldb.Values(c.rows, c.cols); got != c.want {
			t.Errorf("Values(%d, %d) = %q, want %q", c.rows, c.cols, got, c.want)
		}
	}
}
