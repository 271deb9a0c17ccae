package portal_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
	"github.com/ratsmappe/ratsmappe/web"
)

// TestSearchStatements pins what a citizen's search costs the database,
// the whole request — middleware, viewer, index, hits — on the demo
// council, on both databases, with the real index: one statement, the
// indexer's question whether anything waits to be applied; none while
// the indexer is told of the changes feed's commits and in step
// (PostgreSQL's listener in serve). Visibility costs none: each indexed
// page carries the Access the policy gave it, however many hits. A
// change that adds a statement must change a count here, and say why.
func TestSearchStatements(t *testing.T) { dbtest.Each(t, testSearchStatements) }

func testSearchStatements(t *testing.T, db *sql.DB) {
	c := demotest.OpenOn(t, db)
	c.Load(t, demo.Options{Now: time.Now().UTC().Truncate(time.Hour)})
	counted, n := dbtest.Counting(t, db)
	st := sessions.NewStore(counted, nil)
	docs := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(counted), Blobs: blobtest.NewMemory()})
	for i, follow := range []bool{false, true} {
		// Each index of its own, under a name new to the database: it
		// is built from the database when it starts.
		dir := filepath.Join(t.TempDir(), "search")
		x := indexer.New(indexer.Config{DB: counted, Store: st, ChangesNotified: follow, Consumer: fmt.Sprintf("search/%d", i),
			Open: func(ctx context.Context, fresh bool) (search.Index, error) {
				if fresh {
					return bleve.Create(dir, bleve.Options{CacheEntries: -1})
				}
				return bleve.OpenOrCreate(dir, bleve.Options{CacheEntries: -1})
			}})
		x.Start()
		t.Cleanup(func() { x.Close() })
		h, err := web.NewServer(web.Config{Sessions: st, DB: counted, Documents: docs, Search: x,
			Logger: slog.New(slog.DiscardHandler)}) // "unavailable" while the index is built
		if err != nil {
			t.Fatal(err)
		}
		get := func() (int, int) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/search?q=Seite", nil))
			var res struct{ Total int }
			json.Unmarshal(rec.Body.Bytes(), &res)
			return rec.Code, res.Total
		}
		// A new index is built first. (The demo's pages, as demotest ingests
		// them, say "Seite 1 (N Bytes)".)
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if status, _ := get(); status == http.StatusOK {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("search: %d", status)
			}
		}
		want := int64(1)
		if follow {
			x.FeedMissed() // the listener connected
			want = 0
		}
		got := leastStatements(n, func() {
			if status, total := get(); status != http.StatusOK || total == 0 {
				t.Fatalf("search: %d, %d documents", status, total)
			}
		})
		if got != want {
			t.Errorf("a citizen's search (notices %v): %d statements, want %d", follow, got, want)
		}
		x.Close()
	}
}
