package sessions_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// clock is a settable time for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openStore(t *testing.T) (*sessions.Store, *sql.DB, *clock) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := sqlite.Migrate(ctx, db, "documents", documents.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Migrate(ctx, db, "sessions", sessions.Migrations()); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	return sessions.NewStore(db, c.now), db, c
}

// newDocument makes a document row to attach; its bytes do not matter
// here.
func newDocument(t *testing.T, db *sql.DB, title string) int64 {
	t.Helper()
	res, err := db.Exec(`INSERT INTO documents (title, kind, file_name, created_at, created_by) VALUES (?, 'attachment', 'x.pdf', '2026-01-01T00:00:00Z', 'test')`, title)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
