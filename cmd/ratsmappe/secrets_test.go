package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// App servers on one database share their keys: the first one's files
// (here a data directory moved from SQLite, with keys of its own) become
// the installation's, a server started later on an empty data directory
// takes them, and two first starts at once agree on one value.
func TestSharedSecrets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
		dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
		ctx := context.Background()
		first, later := t.TempDir(), t.TempDir()
		old, err := loadKey(first)
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{first, later} {
			if err := shareSecrets(ctx, db, dir); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{secretKeyFile, webpush.KeyFile} {
			a, _ := os.ReadFile(filepath.Join(first, name))
			b, _ := os.ReadFile(filepath.Join(later, name))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Errorf("%s differs between the servers (%d, %d bytes)", name, len(a), len(b))
			}
		}
		if k, _ := loadKey(later); !bytes.Equal(k, old) {
			t.Error("the later server does not use the first server's key")
		}
		if _, err := webpush.LoadOrCreateKeys(later); err != nil {
			t.Errorf("the shared VAPID key does not load: %v", err)
		}

		// Two new installations' first starts at once.
		if _, err := db.Exec(`DELETE FROM server_secrets`); err != nil {
			t.Fatal(err)
		}
		dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
		var wg sync.WaitGroup
		for _, d := range dirs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := shareSecrets(ctx, db, d); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		k0, _ := loadKey(dirs[0])
		for _, d := range dirs[1:] {
			if k, _ := loadKey(d); !bytes.Equal(k, k0) {
				t.Error("servers started at once use different keys")
			}
		}
	})
}
