package sessions_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/ingesttest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// clock is a settable time for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestMain(m *testing.M) { pgtest.Main(m) }

// openStore opens a Store on db, a new database of dbtest.Each, migrated
// like the real binary does it: documents first, then sessions.
func openStore(t *testing.T, db *sql.DB) (*sessions.Store, *sql.DB, *clock) {
	t.Helper()
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
	c := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	return sessions.NewStore(db, c.now), db, c
}

// newDocument makes a document row to attach; its bytes do not matter
// here.
func newDocument(t *testing.T, db *sql.DB, title string) int64 {
	t.Helper()
	var id int64
	err := db.QueryRow(`INSERT INTO documents (title, kind, file_name, created_at, created_by) VALUES (?, 'attachment', 'x.pdf', '2026-01-01T00:00:00Z', 'test') RETURNING id`, title).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// versionedDocument uploads a document with one version per content,
// through the real documents.Service on the same database, and returns
// its id.
func versionedDocument(t *testing.T, db *sql.DB, contents ...string) (int64, *documents.Service) {
	t.Helper()
	return versionedDocumentAt(t, db, time.Now, contents...)
}

// versionedDocumentAt is versionedDocument with the documents service on
// the clock now, which its later withdrawals keep.
func versionedDocumentAt(t *testing.T, db *sql.DB, now func() time.Time, contents ...string) (int64, *documents.Service) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: ingesttest.Ingester{}, Now: now})
	var id int64
	for i, c := range contents {
		p := filepath.Join(dir, "upload.pdf")
		if err := os.WriteFile(p, []byte("%PDF-"+c), 0o644); err != nil {
			t.Fatal(err)
		}
		u := documents.Upload{Path: p, FileName: "Vorlage.pdf", Uploader: "amt", Kind: documents.KindDraft}
		if i == 0 {
			a, err := svc.AddDocument(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			id = a.Document.ID
		} else if _, err := svc.AddVersion(ctx, id, u); err != nil {
			t.Fatal(err)
		}
	}
	return id, svc
}

// accountViewer creates account a through package accounts, on st's
// database, and returns the Viewer the web layer builds for it: the
// account's part, completed by ViewerFor with the person's memberships.
func accountViewer(t *testing.T, st *sessions.Store, db *sql.DB, a *accounts.Account) access.Viewer {
	t.Helper()
	ctx := context.Background()
	must(t, accounts.NewStore(db, st.Now).CreateAccount(ctx, a, ""))
	v, err := st.ViewerFor(ctx, a.Viewer())
	must(t, err)
	return v
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
