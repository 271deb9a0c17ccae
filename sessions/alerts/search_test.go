package alerts_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/ingesttest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/notify"
	rsearch "github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
)

// searchFixture is newFixture with documents that have text, the real
// indexer over a real Bleve index, and alerts answering saved searches
// through search.
func searchFixture(t *testing.T, db *sql.DB, search func(*indexer.Indexer) alerts.Searcher) (*fixture, *documents.Service) {
	t.Helper()
	f := newFixture(t, db)
	dir := t.TempDir()
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	must(t, err)
	docs := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(f.db), Blobs: blobs, Ingester: ingesttest.Ingester{}})
	x := indexer.New(indexer.Config{DB: f.db, Store: f.st, Open: func(ctx context.Context, fresh bool) (rsearch.Index, error) {
		if fresh {
			return bleve.Create(filepath.Join(dir, "index"), bleve.Options{})
		}
		return bleve.OpenOrCreate(filepath.Join(dir, "index"), bleve.Options{})
	}})
	x.Start()
	t.Cleanup(func() { x.Close() })
	f.alerts = alerts.NewStore(f.db, f.st, f.outbox, alerts.Options{BaseURL: "https://rat.example", Key: make([]byte, 32),
		Search: search(x), Now: f.clock.Now})
	f.process(t)
	return f, docs
}

// publishDocs publishes a meeting of the committee with one public item
// that has the documents given (title, text, public).
func (f *fixture) publishDocs(t *testing.T, docs *documents.Service, ds ...doc) {
	t.Helper()
	ctx := context.Background()
	m := &sessions.Meeting{OrganizationID: f.org, Name: "Sitzung", Start: f.clock.Now().Add(48 * time.Hour)}
	must(t, f.st.CreateMeeting(ctx, m))
	it := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Radweg", Public: true}
	must(t, f.st.CreateAgendaItem(ctx, it))
	for _, d := range ds {
		p := filepath.Join(t.TempDir(), "u.pdf")
		must(t, os.WriteFile(p, []byte("%PDF-"+d.text), 0o644))
		added, err := docs.AddDocument(ctx, documents.Upload{Path: p, FileName: "u.pdf", Title: d.title, Uploader: "amt", Kind: documents.KindAttachment})
		must(t, err)
		a := &sessions.Attachment{AgendaItemID: it.ID, DocumentID: added.Document.ID, Title: d.title}
		must(t, f.st.Attach(ctx, a))
		if d.public {
			must(t, f.st.SetAttachmentPublic(ctx, a.ID, true))
		}
	}
	must(t, f.st.PublishMeeting(ctx, m.ID, time.Time{}))
}

type doc struct {
	title, text string
	public      bool
}

func (f *fixture) subscribed(t *testing.T, req alerts.Request) {
	t.Helper()
	ctx := context.Background()
	must(t, f.alerts.Subscribe(ctx, req))
	_, err := f.alerts.Confirm(ctx, f.token(t, req.Email))
	must(t, err)
}

func (f *fixture) last(t *testing.T, addr string) notify.Message {
	t.Helper()
	msgs := f.sender.To(addr)
	if len(msgs) == 0 {
		t.Fatalf("no message to %s", addr)
	}
	return msgs[len(msgs)-1]
}

// TestSavedSearch: a saved search's subscriber is told of the newly public
// documents the anonymous viewer finds for it — through the real indexer
// and a real Bleve index — and of nothing else: not a public document
// that does not match, not a non-public one that does.
func TestSavedSearch(t *testing.T) { dbtest.Each(t, testSavedSearch) }

func testSavedSearch(t *testing.T, db *sql.DB) {
	f, docs := searchFixture(t, db, func(x *indexer.Indexer) alerts.Searcher { return x })
	const addr = "suche@example.org"
	f.subscribed(t, alerts.Request{Email: addr, Query: "Kanalstraße"})
	f.publishDocs(t, docs,
		doc{"Bauablauf Radweg", "Der Radwegebau in der Kanalstraße beginnt im Mai.", true},
		doc{"Haushaltsplan", "Der Haushalt wird beraten.", true},
		doc{"Vermerk " + canary, "Kanalstraße: Grundstücksverhandlungen " + canary, false})
	if n := f.process(t); n != 1 {
		t.Fatalf("%d alerts, want 1", n)
	}
	alert := f.last(t, addr)
	if !strings.Contains(alert.Text, "Bauablauf Radweg") || !strings.Contains(alert.Subject, "Kanalstraße") {
		t.Fatalf("alert lacks the matching document:\n%s\n%s", alert.Subject, alert.Text)
	}
	for _, not := range []string{"Haushaltsplan", canary, "Sitzung:"} {
		if strings.Contains(alert.Text, not) || strings.Contains(alert.HTML, not) {
			t.Errorf("alert contains %q:\n%s", not, alert.Text)
		}
	}
}

// outage is a Searcher that fails while down, as the indexer does while
// its index is rebuilt.
type outage struct {
	down atomic.Bool
	alerts.Searcher
}

func (o *outage) Search(ctx context.Context, q rsearch.Query) (*rsearch.Result, error) {
	if o.down.Load() {
		return nil, ratsmappe.Errorf(ratsmappe.EUNAVAILABLE, "Suche vorübergehend nicht verfügbar.")
	}
	return o.Searcher.Search(ctx, q)
}

// TestSearchOutage: while the search cannot answer, committee alerts go
// out; the saved search's alert follows once it answers again, covering
// the publications of the outage.
func TestSearchOutage(t *testing.T) { dbtest.Each(t, testSearchOutage) }

func testSearchOutage(t *testing.T, db *sql.DB) {
	o := &outage{}
	f, docs := searchFixture(t, db, func(x *indexer.Indexer) alerts.Searcher { o.Searcher = x; return o })
	f.subscribed(t, alerts.Request{Email: "gremium@example.org", OrganizationID: f.org})
	f.subscribed(t, alerts.Request{Email: "suche@example.org", Query: "Kanalstraße"})
	o.down.Store(true)
	f.publishDocs(t, docs, doc{"Bauablauf Radweg", "Der Radwegebau in der Kanalstraße beginnt im Mai.", true})
	f.clock.Add(time.Minute)
	n, err := f.alerts.Process(context.Background())
	if n != 1 || ratsmappe.ErrorCode(err) != ratsmappe.EUNAVAILABLE {
		t.Fatalf("during the outage: %d alerts, %v; want the committee's, and the search's error", n, err)
	}
	o.down.Store(false)
	if n := f.process(t); n != 1 {
		t.Fatalf("after the outage: %d alerts, want the search's", n)
	}
	if alert := f.last(t, "suche@example.org"); !strings.Contains(alert.Text, "Bauablauf Radweg") {
		t.Fatalf("search alert:\n%s", alert.Text)
	}
	if got := len(f.sender.To("gremium@example.org")); got != 2 {
		t.Fatalf("committee subscriber got %d messages, want confirmation and one alert", got)
	}
}
