package sqlite_test

import (
	"context"
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
