package portal_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/web"
)

// TestStartPageStatements pins what the start page costs the database,
// on the demo council, on both databases: for a citizen past the public
// cache (a query it has not seen) and for a council member. Both cost
// the coming meetings, one walk to the newest documents the viewer may
// see (its news: the demo's are found in the walk's first batch), the
// policy's five reads of their links and facts (attachments and minutes
// in one, each agenda item with its exclusions), the shown documents,
// the organizations (once: also the names of the coming meetings' ones)
// and the body's name; the citizen the public cache's generation, the
// member the sign-in. The citizen's news, organizations and body's name
// are the same for every anonymous viewer until the changes feed or the
// clock ends the public cache's view (request.PublicView), and are
// remembered: only the first uncached start page after a change reads
// them. The demo is loaded around the time of the test, as
// the page asks for the meetings after the clock's now: the member then
// sees coming meetings. A change that adds a statement must change a
// count here, and say why.
func TestStartPageStatements(t *testing.T) { dbtest.Each(t, testStartPageStatements) }

func testStartPageStatements(t *testing.T, db *sql.DB) {
	c := demotest.OpenOn(t, db)
	c.Load(t, demo.Options{Now: time.Now().UTC().Truncate(time.Hour)})
	counted, n := dbtest.Counting(t, db)
	h, err := web.NewServer(web.Config{Sessions: sessions.NewStore(counted, nil), DB: counted,
		Documents: documents.NewService(documents.ServiceConfig{Store: documents.NewStore(counted), Blobs: blobtest.NewMemory()})})
	if err != nil {
		t.Fatal(err)
	}
	anna := signInFixture(t, h, db, []string{"anna"})[0]
	citizen := func(path string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if got := w.Header().Get("X-Cache"); got != "miss" {
			t.Errorf("citizen: X-Cache %q, want miss", got)
		}
		return w.Code
	}
	for i, c := range []struct {
		who  string
		get  func(path string) int
		want int64
	}{
		// A change to a watched table (written beside the counted
		// handle) starts a new generation: the news are walked anew,
		// and the cache reads the generation's next publication time.
		{"citizen after a change", func(path string) int {
			if _, err := db.Exec(`UPDATE bodies SET name = name`); err != nil {
				t.Fatal(err)
			}
			return citizen(path)
		}, 11},
		// Under the same generation the news, the organizations and
		// the body's name are the ones remembered: the generation and
		// the coming meetings.
		{"citizen", citizen, 2},
		{"member", func(path string) int { status, _ := anna.get(h, path); return status }, 10},
	} {
		// The first request warms what is kept per process; the later
		// ones are what every further one costs.
		j := 0
		get := func() {
			path := fmt.Sprintf("/?nocache=%d-%d", i, j)
			j++
			if status := c.get(path); status != http.StatusOK {
				t.Fatalf("%s: GET %s: %d", c.who, path, status)
			}
		}
		get()
		if got := leastStatements(n, get); got != c.want {
			t.Errorf("%s's start page: %d statements, want %d", c.who, got, c.want)
		}
	}
}
