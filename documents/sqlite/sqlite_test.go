package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/ratsmappe/ratsmappe/documents/sqlite"
)

func TestOpenSettings(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Every pooled connection has the settings, not only the first.
	db.SetMaxIdleConns(0)
	for i := 0; i < 3; i++ {
		for _, tc := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
			{"synchronous", "2"}, // FULL
		} {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
			}
		}
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "x.db")
	db, err := sqlite.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1 := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
	}
	if err := sqlite.Migrate(ctx, db, "test", v1); err != nil {
		t.Fatal(err)
	}
	// Running again applies nothing twice (CREATE TABLE would fail).
	if err := sqlite.Migrate(ctx, db, "test", v1); err != nil {
		t.Fatalf("second run: %v", err)
	}
	// A new migration is applied, in name order, after the old one.
	v2 := fstest.MapFS{
		"0001_a.sql": v1["0001_a.sql"],
		"0002_b.sql": {Data: []byte("INSERT INTO a VALUES (42);")},
	}
	if err := sqlite.Migrate(ctx, db, "test", v2); err != nil {
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
	if err := sqlite.Migrate(ctx, db, "test", bad); err == nil {
		t.Fatal("failing migration succeeded")
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM c").Scan(&n); err == nil {
		t.Errorf("table c of the failed migration exists")
	}
}
