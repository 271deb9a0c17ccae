package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

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

// A connection holds its parsed schema and its prepared statements
// (stmtcache.go): connections released in a burst are kept idle for the
// next requests, not closed and opened again, which cost the server an
// eighth of its CPU at 32 clients.
func TestOpenKeepsIdleConnections(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := db.Stats().MaxOpenConnections
	conns := make([]*sql.Conn, n)
	for i := range conns {
		if conns[i], err = db.Conn(ctx); err != nil {
			t.Fatal(err)
		}
		if err := conns[i].PingContext(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if st := db.Stats(); st.Idle != n || st.MaxIdleClosed != 0 {
		t.Errorf("after %d connections are released: %d idle, %d closed as surplus; want all %d idle", n, st.Idle, st.MaxIdleClosed, n)
	}
}
