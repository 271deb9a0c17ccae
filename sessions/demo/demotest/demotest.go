// Package demotest gives tests the demo council on real parts that run
// anywhere: a SQLite database in the test's temporary directory with every
// package's schema, the in-memory blob store, and an ingester that accepts
// every file as its own rendition — PDF workers cannot run in a unit test;
// the end-to-end tests of cmd/ratsmappe run the real ones.
package demotest

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
)

// Council is an empty installation to load the demo into.
type Council struct {
	Dir       string // the test's temporary directory
	DB        *sql.DB
	Sessions  *sessions.Store
	Documents *documents.Service
	Accounts  *accounts.Store
}

// Open makes an empty installation for the test, closed when it ends.
func Open(tb testing.TB) *Council {
	tb.Helper()
	dir := tb.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "t.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return openIn(tb, db, dir)
}

// OpenOn makes an empty installation for the test on db (SQLite or
// PostgreSQL, e.g. of internal/dbtest.Each), migrated by internal/schema.
func OpenOn(tb testing.TB, db *sql.DB) *Council {
	tb.Helper()
	return openIn(tb, db, tb.TempDir())
}

// openIn migrates db and makes the installation on it, with dir as its
// directory.
func openIn(tb testing.TB, db *sql.DB, dir string) *Council {
	tb.Helper()
	if err := schema.Migrate(context.Background(), db); err != nil {
		tb.Fatal(err)
	}
	return &Council{Dir: dir, DB: db, Sessions: sessions.NewStore(db, nil),
		Documents: documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: CopyIngester{Dir: dir}}),
		Accounts:  accounts.NewStore(db, nil)}
}

// Load loads the demo council with opt (quietly, its files in the
// test's directory, unless opt says otherwise).
func (c *Council) Load(tb testing.TB, opt demo.Options) *demo.Result {
	tb.Helper()
	if opt.TempDir == "" {
		opt.TempDir = c.Dir
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	res, err := demo.Load(context.Background(), c.Documents, c.Sessions, c.Accounts, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// CopyIngester is an ingester that accepts every file unchanged as its own
// rendition, with one page whose text names the file's size.
type CopyIngester struct{ Dir string }

// Ingest implements documents.Ingester.
func (a CopyIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(a.Dir, "rendition-*.pdf")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return nil, err
	}
	return &documents.Ingested{RenditionPath: f.Name(),
		Pages: []documents.Page{{Number: 1, Width: 595, Height: 842, Text: fmt.Sprintf("Seite 1 (%d Bytes)", len(b))}}}, nil
}
