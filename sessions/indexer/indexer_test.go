package indexer_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/ingesttest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// council is a committee with one member, a published meeting and a
// public document on a public item.
type council struct {
	db      *sql.DB
	store   *sessions.Store
	docs    *documents.Service
	clock   *clock
	dir     string
	meeting int64
	item    int64
	doc     int64
	link    int64
	anna    access.Viewer
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// newCouncil builds the council on db, a new database of dbtest.Each.
func newCouncil(t *testing.T, db *sql.DB) *council {
	t.Helper()
	return newCouncilOn(t, db, schema.Migrate)
}

// newCouncilOn is newCouncil on a database with the schema migrate makes.
func newCouncilOn(t *testing.T, db *sql.DB, migrate func(context.Context, *sql.DB) error) *council {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	must(t, migrate(ctx, db))
	var err error
	clk := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	st := sessions.NewStore(db, clk.now)
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	must(t, err)
	c := &council{db: db, store: st, clock: clk, dir: dir,
		docs: documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: ingesttest.Ingester{}})}
	body := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, st.CreateBody(ctx, body))
	bau := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	must(t, st.CreateOrganization(ctx, bau))
	p := &sessions.Person{BodyID: body.ID, GivenName: "Anna", FamilyName: "Beispiel"}
	must(t, st.CreatePerson(ctx, p))
	must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: bau.ID, StartDate: "2024-01-01"}))
	acc := &accounts.Account{Name: "anna", Role: access.RoleMember, PersonID: p.ID}
	must(t, accounts.NewStore(db, clk.now).CreateAccount(ctx, acc, ""))
	c.anna, err = st.ViewerFor(ctx, acc.Viewer())
	must(t, err)
	m := &sessions.Meeting{OrganizationID: bau.ID, Name: "5. Sitzung", Start: clk.t.Add(48 * time.Hour)}
	must(t, st.CreateMeeting(ctx, m))
	it := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Radweg", Public: true}
	must(t, st.CreateAgendaItem(ctx, it))
	c.meeting, c.item = m.ID, it.ID
	c.doc = c.upload(t, "Der Radwegebau in der Kanalstraße beginnt im Mai.")
	a := &sessions.Attachment{DocumentID: c.doc, AgendaItemID: it.ID}
	must(t, st.Attach(ctx, a))
	must(t, st.SetAttachmentPublic(ctx, a.ID, true))
	c.link = a.ID
	must(t, st.PublishMeeting(ctx, m.ID, clk.t.Add(-time.Hour)))
	return c
}

func (c *council) upload(t *testing.T, text string) int64 {
	t.Helper()
	a, err := c.docs.AddDocument(context.Background(), documents.Upload{Path: c.file(t, "%PDF-"+text), FileName: "Vorlage.pdf", Uploader: "amt", Kind: documents.KindDraft})
	must(t, err)
	return a.Document.ID
}

func (c *council) indexer(t *testing.T, open func(ctx context.Context, fresh bool) (search.Index, error)) *indexer.Indexer {
	t.Helper()
	if open == nil {
		open = c.bleve
	}
	x := indexer.New(indexer.Config{DB: c.db, Store: c.store, Open: open})
	x.Start()
	t.Cleanup(func() { x.Close() })
	return x
}

func (c *council) bleve(ctx context.Context, fresh bool) (search.Index, error) {
	dir := filepath.Join(c.dir, "search")
	if fresh {
		return bleve.Create(dir, bleve.Options{})
	}
	return bleve.OpenOrCreate(dir, bleve.Options{})
}

// hits returns the documents v finds for text, checking that the total
// and the facets count exactly those.
func hits(t *testing.T, x *indexer.Indexer, v access.Viewer, text string) []int64 {
	t.Helper()
	res, err := x.Search(context.Background(), search.Query{Text: text, Viewer: access.SearchViewer(v)})
	must(t, err)
	var out []int64
	for _, h := range res.Hits {
		out = append(out, h.Document)
	}
	if res.Total != len(out) {
		t.Errorf("%q: total %d, hits %v", text, res.Total, out)
	}
	for _, f := range res.Facets {
		n := 0
		for _, v := range f.Values {
			n += v.Count
		}
		if f.Name == search.FacetKind && n != len(out) {
			t.Errorf("%q: facet %s counts %d, hits %v", text, f.Name, n, out)
		}
	}
	return out
}

func want(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

// A search the index is up to date for asks the database one question —
// whether the feed or the outbox holds anything to apply — however many
// documents it finds; a search that has documents to apply reads their
// records a batch at a time, not a query per document.
func TestSearchAsksTheDatabaseOnce(t *testing.T) { dbtest.Each(t, testSearchAsksTheDatabaseOnce) }

func testSearchAsksTheDatabaseOnce(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	for i := range 20 {
		doc := c.upload(t, fmt.Sprintf("Radwegebau Abschnitt %d", i))
		a := &sessions.Attachment{DocumentID: doc, AgendaItemID: c.item}
		must(t, c.store.Attach(ctx, a))
		must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
	}
	counted, queries := dbtest.Counting(t, db)
	x := indexer.New(indexer.Config{DB: counted, Store: sessions.NewStore(counted, c.clock.now), Open: c.bleve})
	x.Start()
	t.Cleanup(func() { x.Close() })
	// The first search applies all 21 documents (one batch of the default
	// 50) in a fixed number of statements — about thirty for the feed,
	// the outbox and the records — not in one or more per document.
	before := queries.Load()
	res, err := x.Search(ctx, search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(c.anna), Limit: search.MaxLimit})
	must(t, err)
	if res.Total != 21 || len(res.Hits) != 21 {
		t.Fatalf("total %d, %d hits, want 21", res.Total, len(res.Hits))
	}
	if n := queries.Load() - before; n > 40 {
		t.Errorf("applying 21 documents took %d statements, want at most 40", n)
	}
	// The background worker shares the counted handle and may run a
	// round (outbox, heartbeat) while a search is counted: its statements
	// only add, so the fewest of a few searches is the search's own.
	for _, v := range []access.Viewer{{}, c.anna} {
		fewest := int64(1 << 62)
		for range 5 {
			before := queries.Load()
			res, err := x.Search(ctx, search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(v)})
			must(t, err)
			if res.Total != 21 || len(res.Hits) != search.DefaultLimit {
				t.Errorf("total %d, %d hits, want 21 and a page", res.Total, len(res.Hits))
			}
			fewest = min(fewest, queries.Load()-before)
		}
		if fewest != 1 {
			t.Errorf("a search with nothing to apply took %d queries, want 1", fewest)
		}
	}
}

// A change reaches search results at the next query, not when the worker
// gets to it: depublishing, reclassifying and an exclusion take effect at
// once, hits, totals and facets alike.
func TestChangesReachSearchAtOnce(t *testing.T) { dbtest.Each(t, testChangesReachSearchAtOnce) }

func testChangesReachSearchAtOnce(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	x := c.indexer(t, nil)
	citizen := access.Viewer{}
	want(t, "published", hits(t, x, citizen, "Radwegebau"), c.doc)

	must(t, c.store.UnpublishMeeting(ctx, c.meeting))
	want(t, "depublished, citizen", hits(t, x, citizen, "Radwegebau"))
	want(t, "depublished, member", hits(t, x, c.anna, "Radwegebau"))

	must(t, c.store.PublishMeeting(ctx, c.meeting, c.clock.now().Add(-time.Minute)))
	want(t, "published again", hits(t, x, citizen, "Radwegebau"), c.doc)

	must(t, c.store.SetAttachmentPublic(ctx, c.link, false))
	want(t, "reclassified, citizen", hits(t, x, citizen, "Radwegebau"))
	want(t, "reclassified, member", hits(t, x, c.anna, "Radwegebau"), c.doc)

	must(t, c.store.UpdateAgendaItem(ctx, c.item, sessions.AgendaItemUpdate{Public: ptr(false)}))
	want(t, "non-public item, member", hits(t, x, c.anna, "Radwegebau"), c.doc)
	must(t, c.store.AddExclusion(ctx, c.item, c.anna.PersonID, "befangen"))
	want(t, "excluded member", hits(t, x, c.anna, "Radwegebau"))
	must(t, c.store.RemoveExclusion(ctx, c.item, c.anna.PersonID))
	want(t, "exclusion lifted", hits(t, x, c.anna, "Radwegebau"), c.doc)

	// A new version replaces the text.
	p := filepath.Join(t.TempDir(), "v2.pdf")
	must(t, os.WriteFile(p, []byte("%PDF-Die Sanierung der Kanalstraße"), 0o644))
	_, err := c.docs.AddVersion(ctx, c.doc, documents.Upload{Path: p, FileName: "Vorlage.pdf", Uploader: "amt", Kind: documents.KindDraft})
	must(t, err)
	want(t, "old text", hits(t, x, c.anna, "Radwegebau"))
	want(t, "new text", hits(t, x, c.anna, "Sanierung"), c.doc)

	var n int
	must(t, c.db.QueryRow(`SELECT COUNT(*) FROM search_outbox`).Scan(&n))
	if n != 0 {
		t.Errorf("outbox holds %d rows after the searches", n)
	}
}

// An exclusion follows the matter into the index: excluded on the
// committee's item that consults a paper, a member no longer finds the
// non-public document of the council's item that consults the same paper,
// and finds it again once the exclusion is lifted — with no rebuild.
func TestExclusionFollowsTheMatterInSearch(t *testing.T) {
	dbtest.Each(t, testExclusionFollowsTheMatterInSearch)
}

func testExclusionFollowsTheMatterInSearch(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	x := c.indexer(t, nil)
	m := &sessions.Meeting{OrganizationID: c.orgOf(t, c.meeting), Name: "6. Sitzung", Start: c.clock.t.Add(96 * time.Hour)}
	must(t, c.store.CreateMeeting(ctx, m))
	councilItem := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: "Grundstück"}
	must(t, c.store.CreateAgendaItem(ctx, councilItem))
	must(t, c.store.PublishMeeting(ctx, m.ID, c.clock.t.Add(-time.Minute)))
	doc := c.upload(t, "Der Kaufpreis für das Flurstück beträgt vertraulich viel.")
	must(t, c.store.Attach(ctx, &sessions.Attachment{DocumentID: doc, AgendaItemID: councilItem.ID}))
	// The meeting's own non-public document speaks of every item, the
	// one of the matter too.
	meetingDoc := c.upload(t, "Die Einladung zur Sitzung nennt das Flurstück.")
	must(t, c.store.Attach(ctx, &sessions.Attachment{DocumentID: meetingDoc, MeetingID: m.ID, Role: sessions.RoleInvitation}))
	want(t, "member before, meeting", hits(t, x, c.anna, "Einladung"), meetingDoc)
	paper := &sessions.Paper{BodyID: 1, Reference: "2026/0100", Name: "Flurstück", Type: "Beschlussvorlage"}
	must(t, c.store.CreatePaper(ctx, paper))
	must(t, c.store.Consult(ctx, &sessions.Consultation{PaperID: paper.ID, AgendaItemID: councilItem.ID}))
	want(t, "member before", hits(t, x, c.anna, "Kaufpreis"), doc)

	must(t, c.store.Consult(ctx, &sessions.Consultation{PaperID: paper.ID, AgendaItemID: c.item}))
	must(t, c.store.AddExclusion(ctx, c.item, c.anna.PersonID, "befangen"))
	want(t, "excluded on the other item of the paper", hits(t, x, c.anna, "Kaufpreis"))
	want(t, "excluded, the meeting's own document", hits(t, x, c.anna, "Einladung"))
	must(t, c.store.RemoveExclusion(ctx, c.item, c.anna.PersonID))
	want(t, "exclusion lifted", hits(t, x, c.anna, "Kaufpreis"), doc)
	want(t, "exclusion lifted, the meeting's own document", hits(t, x, c.anna, "Einladung"), meetingDoc)

	// The exclusion recorded first, the consultation that brings another
	// item into the matter afterwards: the same answer.
	must(t, c.store.AddExclusion(ctx, c.item, c.anna.PersonID, "befangen"))
	item2 := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 2", Title: "Pacht"}
	must(t, c.store.CreateAgendaItem(ctx, item2))
	doc2 := c.upload(t, "Die Pachthöhe bleibt vertraulich.")
	must(t, c.store.Attach(ctx, &sessions.Attachment{DocumentID: doc2, AgendaItemID: item2.ID}))
	other := &sessions.Paper{BodyID: 1, Reference: "2026/0101", Name: "Pacht", Type: "Beschlussvorlage"}
	must(t, c.store.CreatePaper(ctx, other))
	must(t, c.store.Consult(ctx, &sessions.Consultation{PaperID: other.ID, AgendaItemID: c.item}))
	want(t, "another matter", hits(t, x, c.anna, "Pachthöhe"), doc2)
	must(t, c.store.Consult(ctx, &sessions.Consultation{PaperID: other.ID, AgendaItemID: item2.ID}))
	want(t, "after the consultation joined the matter", hits(t, x, c.anna, "Pachthöhe"))
	want(t, "after the consultation, the meeting's own document", hits(t, x, c.anna, "Einladung"))
}

func (c *council) orgOf(t *testing.T, meeting int64) int64 {
	t.Helper()
	m, err := c.store.FindMeetingByID(context.Background(), access.Viewer{Role: access.RoleClerk}, meeting)
	must(t, err)
	return m.OrganizationID
}

// An embargoed agenda is found from its publication time on, without
// anybody touching the data.
func TestEmbargoEnds(t *testing.T) { dbtest.Each(t, testEmbargoEnds) }

func testEmbargoEnds(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	must(t, c.store.PublishMeeting(ctx, c.meeting, c.clock.now().Add(time.Hour)))
	x := c.indexer(t, nil)
	want(t, "embargoed", hits(t, x, access.Viewer{}, "Radwegebau"))
	want(t, "embargoed, member", hits(t, x, c.anna, "Radwegebau"))
	c.clock.add(2 * time.Hour)
	want(t, "embargo over", hits(t, x, access.Viewer{}, "Radwegebau"), c.doc)
}

// failing is an index whose writes fail, as if the process died between
// the database commit and the index update.
type failing struct{ idx search.Index }

var errCrash = errors.New("crash")

func (f failing) Index(ctx context.Context, recs []search.Record) error { return errCrash }
func (f failing) Remove(ctx context.Context, docs ...int64) error       { return errCrash }
func (f failing) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	return f.idx.Search(ctx, q)
}
func (f failing) Suggest(ctx context.Context, q search.SuggestQuery) ([]string, error) {
	return f.idx.Suggest(ctx, q)
}
func (f failing) Reset(ctx context.Context) error { return f.idx.Reset(ctx) }
func (f failing) Close() error                    { return f.idx.Close() }

// Outbox crash test: changes committed while the index could not take them
// are in the outbox, and the index catches up after a restart.
func TestCrashBetweenCommitAndIndex(t *testing.T) { dbtest.Each(t, testCrashBetweenCommitAndIndex) }

func testCrashBetweenCommitAndIndex(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	x := indexer.New(indexer.Config{DB: c.db, Store: c.store, Open: func(ctx context.Context, fresh bool) (search.Index, error) {
		idx, err := c.bleve(ctx, fresh)
		if err != nil {
			return nil, err
		}
		return failing{idx}, nil
	}})
	x.Start()
	if _, err := x.Drain(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("drain with a failing index: %v", err)
	}
	second := c.upload(t, "Radwegebau am Marktplatz")
	a := &sessions.Attachment{DocumentID: second, AgendaItemID: c.item}
	must(t, c.store.Attach(ctx, a))
	must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
	if _, err := x.Search(ctx, search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(access.Viewer{})}); ratsmappe.ErrorCode(err) != ratsmappe.EUNAVAILABLE {
		t.Errorf("search while the index cannot catch up: %v, want unavailable", err)
	}
	x.Close()

	var n int
	must(t, c.db.QueryRow(`SELECT COUNT(DISTINCT document_id) FROM search_outbox`).Scan(&n))
	if n != 2 {
		t.Errorf("outbox holds %d documents after the crash, want 2", n)
	}
	y := c.indexer(t, nil) // the restart
	if _, err := y.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	want(t, "after restart", hits(t, y, access.Viewer{}, "Radwegebau"), second, c.doc)
}

// A damaged index is rebuilt in the background; until then search says
// it is unavailable.
func TestDamagedIndexIsRebuilt(t *testing.T) { dbtest.Each(t, testDamagedIndexIsRebuilt) }

func testDamagedIndexIsRebuilt(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	x := c.indexer(t, nil)
	want(t, "before", hits(t, x, access.Viewer{}, "Radwegebau"), c.doc)
	x.Close()
	root := filepath.Join(c.dir, "search", "index")
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			os.WriteFile(p, []byte("kaputt"), 0o644)
		}
		return nil
	})
	y := c.indexer(t, nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := y.Search(context.Background(), search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(access.Viewer{})})
		if err == nil {
			break
		}
		if ratsmappe.ErrorCode(err) != ratsmappe.EUNAVAILABLE {
			t.Fatalf("search on a damaged index: %v, want unavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("index not rebuilt within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	want(t, "after rebuild", hits(t, y, access.Viewer{}, "Radwegebau"), c.doc)
}

// A rebuild whose index does not open is tried again, and a try does not
// put the documents into the outbox once more: with a search server that
// does not answer, the outbox grew by every document a try, without end.
func TestFailedRebuildDoesNotRequeue(t *testing.T) { dbtest.Each(t, testFailedRebuildDoesNotRequeue) }

func testFailedRebuildDoesNotRequeue(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	var tries atomic.Int32
	rows := make(chan int, 8)
	y := c.indexer(t, func(ctx context.Context, fresh bool) (search.Index, error) {
		if !fresh {
			return nil, errors.New("no index yet")
		}
		var n int
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_outbox WHERE document_id = ?`, c.doc).Scan(&n))
		rows <- n
		if tries.Add(1) <= 2 {
			return nil, search.Unavailable(errors.New("search server down"))
		}
		return c.bleve(ctx, fresh)
	})
	for i := range 3 {
		select {
		case n := <-rows:
			if n != 1 {
				t.Fatalf("try %d: the document is in the outbox %d times, want once", i+1, n)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("try %d not made within 30 s", i+1)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := y.Search(ctx, search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(access.Viewer{})}); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("index not rebuilt within 30 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	want(t, "after rebuild", hits(t, y, access.Viewer{}, "Radwegebau"), c.doc)
}

// A database of the release before the changes feed — the search
// outbox's and the portal cache's trigger families, documents waiting in
// the outbox — migrates: both families are gone, the waiting documents
// reach the index, and a change after the migration reaches search
// through the feed.
func TestMigrateFromTwoTriggerFamilies(t *testing.T) {
	ctx := context.Background()
	// SQLite only: PostgreSQL came after the changes feed.
	c := newCouncilOn(t, dbtest.Open(t, sqldb.SQLite), func(ctx context.Context, db *sql.DB) error {
		// The previous release: its indexer migrations, and web's own
		// scope (testdata: package web has no schema any more).
		old := fstest.MapFS{}
		for _, name := range []string{"0001_outbox.sql", "0002_exclusion_follows_matter.sql"} {
			b, err := fs.ReadFile(indexer.Migrations(), name)
			if err != nil {
				return err
			}
			old[name] = &fstest.MapFile{Data: b}
		}
		for _, m := range []struct {
			scope string
			fs    fs.FS
		}{{"documents", documents.Migrations()}, {"sessions", sessions.Migrations()}, {"indexer", old}, {"web", os.DirFS("testdata/web")}} {
			if err := sqlite.Migrate(ctx, db, m.scope, m.fs); err != nil {
				return err
			}
		}
		return nil
	})
	var waiting int
	must(t, c.db.QueryRow(`SELECT COUNT(*) FROM search_outbox`).Scan(&waiting))
	if waiting == 0 {
		t.Fatal("the old triggers left nothing in the outbox; the test proves nothing")
	}
	must(t, schema.Migrate(ctx, c.db))

	var triggers int
	must(t, c.db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type IN ('trigger', 'view', 'table')
		AND (name LIKE 'search\_%' ESCAPE '\' OR name LIKE 'publication\_generation%' ESCAPE '\') AND name NOT IN ('search_outbox', 'search_servers')`).Scan(&triggers))
	if triggers != 0 {
		t.Errorf("%d triggers, views or tables of the old families are left", triggers)
	}
	var kept int
	must(t, c.db.QueryRow(`SELECT COUNT(*) FROM search_outbox`).Scan(&kept))
	if kept != waiting {
		t.Errorf("outbox holds %d rows after the migration, had %d", kept, waiting)
	}
	// A change now is recorded once, in the feed, not in the outbox.
	second := c.upload(t, "Radwegebau am Marktplatz")
	a := &sessions.Attachment{DocumentID: second, AgendaItemID: c.item}
	must(t, c.store.Attach(ctx, a))
	must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
	must(t, c.db.QueryRow(`SELECT COUNT(*) FROM search_outbox`).Scan(&kept))
	if kept != waiting {
		t.Errorf("outbox grew from %d to %d rows without the indexer: an old trigger is left", waiting, kept)
	}

	x := c.indexer(t, nil)
	want(t, "after the migration", hits(t, x, access.Viewer{}, "Radwegebau"), second, c.doc)
	must(t, c.store.UnpublishMeeting(ctx, c.meeting))
	want(t, "unpublished", hits(t, x, access.Viewer{}, "Radwegebau"))
}

// The feed keeps what the indexer has not taken over, whoever compacts
// it, and the indexer takes it over after a restart: a crash before its
// commit leaves the rows in the feed, one after leaves them in the
// outbox.
func TestFeedKeepsWhatTheIndexerHasNotRead(t *testing.T) {
	dbtest.Each(t, testFeedKeepsWhatTheIndexerHasNotRead)
}

func testFeedKeepsWhatTheIndexerHasNotRead(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	x := c.indexer(t, nil)
	want(t, "before", hits(t, x, access.Viewer{}, "Radwegebau"), c.doc)
	x.Close() // the server is down

	second := c.upload(t, "Radwegebau am Marktplatz")
	a := &sessions.Attachment{DocumentID: second, AgendaItemID: c.item}
	must(t, c.store.Attach(ctx, a))
	must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
	if _, err := changes.Compact(ctx, c.db, 0); err != nil {
		t.Fatal(err)
	}
	var n int
	must(t, c.db.QueryRow(`SELECT COUNT(*) FROM changes WHERE kind = 'document' AND object_id = ?
		AND seq > (SELECT seq FROM changes_cursors WHERE consumer = 'search')`, second).Scan(&n))
	if n == 0 {
		t.Fatal("compaction dropped changes the indexer has not read")
	}

	y := c.indexer(t, nil) // the restart
	want(t, "after restart", hits(t, y, access.Viewer{}, "Radwegebau"), second, c.doc)
	// Read and applied: nothing in the feed is left for the indexer
	// (other consumers, such as the members' notices, keep their own
	// rows until they read them).
	must(t, c.db.QueryRow(`SELECT COUNT(*) FROM changes WHERE seq > (SELECT seq FROM changes_cursors WHERE consumer = 'search')`).Scan(&n))
	if n != 0 {
		t.Errorf("feed holds %d rows the indexer has not read after it caught up", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// counting is one index that several app servers share (as they share
// Meilisearch), counting how often each document was written to it.
type counting struct {
	idx    search.Index
	mu     sync.Mutex
	writes map[int64]int
}

func (c *counting) Index(ctx context.Context, recs []search.Record) error {
	c.mu.Lock()
	seen := map[int64]bool{}
	for _, r := range recs {
		if !seen[r.Document] {
			seen[r.Document] = true
			c.writes[r.Document]++
		}
	}
	c.mu.Unlock()
	return c.idx.Index(ctx, recs)
}

func (c *counting) Remove(ctx context.Context, docs ...int64) error {
	c.mu.Lock()
	for _, d := range docs {
		c.writes[d]++
	}
	c.mu.Unlock()
	return c.idx.Remove(ctx, docs...)
}

func (c *counting) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	return c.idx.Search(ctx, q)
}
func (c *counting) Suggest(ctx context.Context, q search.SuggestQuery) ([]string, error) {
	return c.idx.Suggest(ctx, q)
}
func (c *counting) Reset(ctx context.Context) error { return c.idx.Reset(ctx) }

// Close leaves the shared index to the test.
func (c *counting) Close() error { return nil }

// Two app servers on one PostgreSQL database drain the same outbox at the
// same time, into one shared index: every document is written once, by
// one of them.
func TestTwoServersIndexOnce(t *testing.T) {
	d := dbtest.New(t, sqldb.Postgres)
	c := newCouncil(t, d.Open(t))
	ctx := context.Background()
	docs := []int64{c.doc}
	for i := range 30 {
		doc := c.upload(t, fmt.Sprintf("Radwegebau Abschnitt %d", i))
		a := &sessions.Attachment{DocumentID: doc, AgendaItemID: c.item}
		must(t, c.store.Attach(ctx, a))
		must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
		docs = append(docs, doc)
	}
	real, err := c.bleve(ctx, true)
	must(t, err)
	t.Cleanup(func() { real.Close() })
	shared := &counting{idx: real, writes: map[int64]int{}}
	open := func(context.Context, bool) (search.Index, error) { return shared, nil }
	var servers []*indexer.Indexer
	for range 2 {
		db := d.Open(t)
		x := indexer.New(indexer.Config{DB: db, Store: sessions.NewStore(db, c.clock.now), Open: open, Batch: 2})
		servers = append(servers, x)
	}
	var wg sync.WaitGroup
	for _, x := range servers {
		x.Start() // its worker drains too
		t.Cleanup(func() { x.Close() })
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := x.Drain(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	res, err := servers[0].Search(ctx, search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(access.Viewer{})})
	must(t, err)
	if res.Total != len(docs) {
		t.Errorf("found %d documents, want %d", res.Total, len(docs))
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, doc := range docs {
		if n := shared.writes[doc]; n != 1 {
			t.Errorf("document %d written %d times, want once", doc, n)
		}
	}
}

// server starts an app server's indexer of the named index on a
// connection of its own to d, with an embedded index of the name's own.
func (c *council) server(t *testing.T, d dbtest.Database, name string) *indexer.Indexer {
	t.Helper()
	dir := filepath.Join(c.dir, strings.ReplaceAll(name, "/", "-"))
	db := d.Open(t)
	x := indexer.New(indexer.Config{DB: db, Store: sessions.NewStore(db, c.clock.now), Consumer: name, Now: c.clock.now,
		Open: func(ctx context.Context, fresh bool) (search.Index, error) {
			if fresh {
				return bleve.Create(dir, bleve.Options{})
			}
			return bleve.OpenOrCreate(dir, bleve.Options{})
		}})
	x.Start()
	t.Cleanup(func() { x.Close() })
	return x
}

// ready waits until x answers searches (a new index is built first).
func ready(t *testing.T, x *indexer.Indexer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := x.Search(context.Background(), search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(access.Viewer{})})
		if err == nil {
			return
		}
		if ratsmappe.ErrorCode(err) != ratsmappe.EUNAVAILABLE || time.Now().After(deadline) {
			t.Fatalf("search on a new server: %v", err)
		}
	}
}

// Two app servers, each with an index of its own, on one database: each
// follows the feed with its own cursor and rows, so a depublication
// applied by one is applied by the other too. A server gone for a day is
// forgotten (the feed no longer keeps rows for it) and rebuilds its index
// when it returns.
func TestServersWithOwnIndexes(t *testing.T) {
	dbtest.EachDatabase(t, func(t *testing.T, d dbtest.Database) {
		ctx := context.Background()
		c := newCouncil(t, d.Open(t))
		server := func(name string) *indexer.Indexer { return c.server(t, d, "search/"+name) }
		a, b := server("a"), server("b")
		ready(t, a)
		ready(t, b)
		want(t, "a, published", hits(t, a, access.Viewer{}, "Radwegebau"), c.doc)
		want(t, "b, published", hits(t, b, access.Viewer{}, "Radwegebau"), c.doc)
		must(t, c.store.UnpublishMeeting(ctx, c.meeting))
		want(t, "a, depublished", hits(t, a, access.Viewer{}, "Radwegebau"))
		want(t, "b, depublished after a applied it", hits(t, b, access.Viewer{}, "Radwegebau"))

		b.Close() // b is gone
		must(t, c.store.PublishMeeting(ctx, c.meeting, c.clock.now().Add(-time.Minute)))
		c.clock.add(indexer.ServerExpiry + time.Hour)
		want(t, "a, published again", hits(t, a, access.Viewer{}, "Radwegebau"), c.doc)
		var n int
		must(t, c.db.QueryRow(`SELECT (SELECT COUNT(*) FROM changes_cursors WHERE consumer = 'search/b')
			+ (SELECT COUNT(*) FROM search_outbox WHERE consumer = 'search/b')`).Scan(&n))
		if n != 0 {
			t.Errorf("%d cursor and outbox rows of the server gone for a day", n)
		}
		b = server("b") // returns with its stale index
		ready(t, b)
		want(t, "b, back", hits(t, b, access.Viewer{}, "Radwegebau"), c.doc)
	})
}

// Status reports an index that does not answer yet and the documents it
// lags behind, and none once the worker has applied them.
func TestStatus(t *testing.T) { dbtest.Each(t, testStatus) }

func testStatus(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	c.upload(t, "Ein zweites Dokument")
	x := indexer.New(indexer.Config{DB: c.db, Store: c.store, Open: c.bleve})
	ready, lag, err := x.Status(ctx)
	must(t, err)
	if ready || lag != 2 {
		t.Errorf("before the start: ready %v, lag %d; want false, 2", ready, lag)
	}
	x.Start()
	t.Cleanup(func() { x.Close() })
	if _, err := x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	ready, lag, err = x.Status(ctx)
	must(t, err)
	if !ready || lag != 0 {
		t.Errorf("after draining: ready %v, lag %d; want true, 0", ready, lag)
	}
}

// heldIngester is ingesttest's, but a file waits in Ingest until the test
// closes release: an upload in flight for as long as the test needs.
type heldIngester struct {
	ingesttest.Ingester
	entered chan struct{}
	release chan struct{}
}

func (h *heldIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	h.entered <- struct{}{}
	<-h.release
	return h.Ingester.Ingest(ctx, path)
}

// watched is the uploads' Foreground, telling the test when the worker
// found an upload running (and so gives way).
type watched struct {
	indexer.Foreground
	busy chan struct{}
}

func (w watched) Idle() <-chan struct{} {
	idle := w.Foreground.Idle()
	select {
	case <-idle:
	default:
		select {
		case w.busy <- struct{}{}:
		default:
		}
	}
	return idle
}

// waitLag waits until x lags behind the database by no document.
func waitLag(t *testing.T, x *indexer.Indexer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, lag, err := x.Status(context.Background())
		must(t, err)
		if lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker left %d documents unindexed", lag)
		}
	}
}

// While an upload runs, the background worker starts no batch, so that
// the upload's PDF worker has the cores; a search still applies what is
// due at once. When the upload ends the worker applies the rest, each
// document once; while uploads keep running it waits at most MaxDefer.
func TestWorkerGivesWayToUploads(t *testing.T) { dbtest.Each(t, testWorkerGivesWayToUploads) }

func testWorkerGivesWayToUploads(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	held := &heldIngester{entered: make(chan struct{}), release: make(chan struct{})}
	uploads := documents.NewService(documents.ServiceConfig{Store: c.docs.Store(), Blobs: c.docs.Blobs(), Ingester: held})
	fg := watched{Foreground: uploads, busy: make(chan struct{}, 1)}
	real, err := c.bleve(ctx, true)
	must(t, err)
	t.Cleanup(func() { real.Close() })
	index := &counting{idx: real, writes: map[int64]int{}}
	start := func(maxDefer time.Duration) *indexer.Indexer {
		x := indexer.New(indexer.Config{DB: c.db, Store: c.store, Foreground: fg, MaxDefer: maxDefer,
			Open: func(context.Context, bool) (search.Index, error) { return index, nil }})
		x.Start()
		t.Cleanup(func() { x.Close() })
		waitLag(t, x)
		return x
	}
	// upload starts an upload that waits in the PDF worker until release
	// is closed; wait returns its document.
	upload := func(text string) (wait func() int64) {
		done := make(chan int64, 1)
		go func() {
			a, err := uploads.AddDocument(ctx, documents.Upload{Path: c.file(t, "%PDF-"+text), FileName: "Gutachten.pdf"})
			if err != nil {
				t.Error(err)
				done <- 0
				return
			}
			done <- a.Document.ID
		}()
		<-held.entered
		return func() int64 { return <-done }
	}
	publish := func(text string) int64 {
		doc := c.upload(t, text)
		a := &sessions.Attachment{DocumentID: doc, AgendaItemID: c.item}
		must(t, c.store.Attach(ctx, a))
		must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
		return doc
	}

	x := start(time.Hour)
	wait := upload("Gutachten zum Lärmschutz")
	<-fg.busy // the worker has looked and gives way
	doc := publish("Die Brücke am Schlossplatz wird saniert.")
	// Given time to (wrongly) apply it; a correct worker never does.
	x.Wake()
	time.Sleep(time.Second)
	index.mu.Lock()
	early := index.writes[doc]
	index.mu.Unlock()
	if _, lag, err := x.Status(ctx); err != nil || lag == 0 || early != 0 {
		t.Fatalf("during the upload: lag %d (%v), document written %d times; want it waiting", lag, err, early)
	}
	want(t, "a search during the upload", hits(t, x, access.Viewer{}, "Brücke"), doc)
	close(held.release)
	gutachten := wait()
	waitLag(t, x)
	index.mu.Lock()
	for _, d := range []int64{doc, gutachten} {
		if n := index.writes[d]; n != 1 {
			t.Errorf("document %d written %d times, want once", d, n)
		}
	}
	index.mu.Unlock()
	must(t, x.Close())

	// Uploads that do not end: the worker applies changes all the same.
	held.release = make(chan struct{})
	x = start(time.Millisecond)
	wait = upload("Gutachten zur Verkehrszählung")
	doc = publish("Der Spielplatz an der Weiherstraße öffnet im Juni.")
	waitLag(t, x)
	close(held.release)
	wait()
	want(t, "after an endless upload", hits(t, x, access.Viewer{}, "Spielplatz"), doc)
}

// file writes content into a new file and returns its path.
func (c *council) file(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "u.pdf")
	must(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// The feed is compacted down to what the slowest live consumer still
// needs when every server keeps an index of its own (PostgreSQL with the
// embedded index): the shared index's cursor, registered by the
// migrations and never used then, holds the feed only until it has gone
// unseen for a day, as a server's own index gone for a day does; and the
// worker compacts on its own. Until then, and for as long as a consumer
// has not read them, the rows stay.
func TestCompactionWithOwnIndexes(t *testing.T) {
	dbtest.EachDatabase(t, func(t *testing.T, d dbtest.Database) {
		ctx := context.Background()
		c := newCouncil(t, d.Open(t))
		server := func(name string) *indexer.Indexer { return c.server(t, d, "search/"+name) }
		notices, cursors, change := func() { c.noticesRead(t) }, func() map[string]int64 { return c.cursors(t) }, func() { c.change(t) }
		feed := func(slowest int64) (rows, passed int) { return c.feed(t, slowest) }

		a, b := server("a"), server("b")
		ready(t, a)
		ready(t, b)
		change()
		want(t, "a", hits(t, a, access.Viewer{}, "Radwegebau"), c.doc)
		want(t, "b", hits(t, b, access.Viewer{}, "Radwegebau"), c.doc)
		notices()
		// The shared index's cursor, never advanced, holds the feed yet.
		if got := cursors()["search"]; got != 0 {
			t.Fatalf("the shared cursor is at %d, want 0 (registered by the migrations)", got)
		}
		before, _ := feed(0)
		_, err := changes.Compact(ctx, c.db, 2)
		must(t, err)
		if rows, _ := feed(0); rows != before {
			t.Fatalf("compaction behind the shared cursor left %d of %d rows", rows, before)
		}

		// A day later both servers still run, the shared index's cursor
		// has not been seen: it is forgotten. b restarts (an update, one
		// server at a time) while a reads on: the feed shrinks to what b
		// needs.
		for _, d := range []time.Duration{indexer.ServerExpiry / 2, indexer.ServerExpiry/2 + time.Hour} {
			c.clock.add(d)
			change() // each reads it, and so says that it runs
			want(t, "a, a day later", hits(t, a, access.Viewer{}, "Radwegebau"), c.doc)
			want(t, "b, a day later", hits(t, b, access.Viewer{}, "Radwegebau"), c.doc)
		}
		b.Close()
		change()
		want(t, "a, changed", hits(t, a, access.Viewer{}, "Radwegebau"), c.doc)
		notices()
		cur := cursors()
		if _, ok := cur["search"]; ok {
			t.Fatalf("the shared cursor, unused for a day, is still registered: %v", cur)
		}
		if cur["search/b"] >= cur["search/a"] {
			t.Fatalf("cursors %v: b should lag behind a", cur)
		}
		before, passed := feed(cur["search/b"])
		_, err = changes.Compact(ctx, c.db, 2)
		must(t, err)
		if rows, left := feed(cur["search/b"]); left != 0 || rows != before-passed || rows < 2 {
			t.Errorf("after compaction: %d rows, %d of them read by every consumer; want %d, none", rows, left, before-passed)
		}
		b = server("b")
		want(t, "b, back, reads what it lagged behind", hits(t, b, access.Viewer{}, "Radwegebau"), c.doc)

		// b is gone for a day: a's worker forgets it and compacts on its
		// own, down to the newest row.
		b.Close()
		change()
		c.clock.add(indexer.ServerExpiry + time.Hour)
		want(t, "a, b gone", hits(t, a, access.Viewer{}, "Radwegebau"), c.doc)
		notices()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			// The worker compacts once a minute; one that ran before the
			// notices read on left their rows.
			c.clock.add(time.Minute)
			a.Wake()
			rows, _ := feed(0)
			if rows == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the worker left %d rows in the feed, cursors %v; want the newest only", rows, cursors())
			}
		}
	})
}

// noticesRead advances the members' notices' cursor to the newest change,
// as their worker, live, does (it does not run in these tests).
func (c *council) noticesRead(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	newest, err := changes.Newest(ctx, c.db)
	must(t, err)
	must(t, changes.Advance(ctx, c.db, "notices", newest))
}

// cursors returns the feed's cursors by consumer.
func (c *council) cursors(t *testing.T) map[string]int64 {
	t.Helper()
	rows, err := c.db.Query(`SELECT consumer, seq FROM changes_cursors`)
	must(t, err)
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var name string
		var seq int64
		must(t, rows.Scan(&name, &seq))
		m[name] = seq
	}
	must(t, rows.Err())
	return m
}

// feed returns how many rows the feed holds, and how many of them a
// consumer at seq has read, but the newest: after a compaction, none of
// those up to the slowest cursor.
func (c *council) feed(t *testing.T, seq int64) (rows, read int) {
	t.Helper()
	must(t, c.db.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE seq <= ? AND seq < (SELECT MAX(seq) FROM changes)) FROM changes`,
		seq).Scan(&rows, &read))
	return rows, read
}

// change depublishes the meeting and publishes it again.
func (c *council) change(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	must(t, c.store.UnpublishMeeting(ctx, c.meeting))
	must(t, c.store.PublishMeeting(ctx, c.meeting, c.clock.now().Add(-time.Minute)))
}

// A shared index (Meilisearch) in use keeps its cursor however long the
// servers with indexes of their own run beside it, and the feed keeps
// what it has not read until it has.
func TestSharedIndexHoldsTheFeed(t *testing.T) {
	dbtest.EachDatabase(t, func(t *testing.T, d dbtest.Database) {
		ctx := context.Background()
		c := newCouncil(t, d.Open(t))
		shared, own := c.server(t, d, indexer.DefaultConsumer), c.server(t, d, "search/a")
		ready(t, shared)
		ready(t, own)
		for range 3 {
			c.clock.add(indexer.ServerExpiry / 2)
			c.change(t)
			want(t, "own", hits(t, own, access.Viewer{}, "Radwegebau"), c.doc)
			want(t, "shared", hits(t, shared, access.Viewer{}, "Radwegebau"), c.doc)
		}
		shared.Close() // restarted
		c.change(t)
		want(t, "own, changed", hits(t, own, access.Viewer{}, "Radwegebau"), c.doc)
		c.noticesRead(t)
		cur := c.cursors(t)
		if _, ok := cur[indexer.DefaultConsumer]; !ok || cur[indexer.DefaultConsumer] >= cur["search/a"] {
			t.Fatalf("cursors %v: want the shared index's, behind", cur)
		}
		_, err := changes.Compact(ctx, c.db, 0)
		must(t, err)
		if rows, read := c.feed(t, cur[indexer.DefaultConsumer]); read != 0 || rows < 2 {
			t.Errorf("after compaction: %d rows, %d of them read by every consumer; want those the shared index has not read", rows, read)
		}
		shared = c.server(t, d, indexer.DefaultConsumer)
		want(t, "shared, back", hits(t, shared, access.Viewer{}, "Radwegebau"), c.doc)
		_, err = changes.Compact(ctx, c.db, 0)
		must(t, err)
		if rows, _ := c.feed(t, 0); rows != 1 {
			t.Errorf("%d rows left after every consumer read the feed, want the newest", rows)
		}
	})
}

// A rebuild that keeps failing the same way (an unreachable Meilisearch)
// is logged once, not at every try a few seconds to a minute apart.
func TestFailingRebuildIsLoggedOnce(t *testing.T) {
	db := dbtest.New(t, sqldb.SQLite).Open(t)
	c := newCouncil(t, db)
	var buf lockedBuffer
	var tries atomic.Int32
	x := indexer.New(indexer.Config{DB: c.db, Store: c.store, Log: slog.New(slog.NewTextHandler(&buf, nil)),
		Open: func(context.Context, bool) (search.Index, error) {
			tries.Add(1)
			return nil, errors.New("dial tcp 127.0.0.1:7700: connect: connection refused")
		}})
	x.Start()
	for deadline := time.Now().Add(20 * time.Second); tries.Load() < 4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d tries in 20 s", tries.Load())
		}
	}
	x.Close()
	if n := strings.Count(buf.String(), `msg="search index rebuild"`); n != 1 {
		t.Errorf("%d tries logged %d errors, want 1:\n%s", tries.Load(), n, buf.String())
	}
}

// lockedBuffer is a log's destination written by several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// With notices of the changes feed's commits (PostgreSQL's listener, in
// serve), a search asks the database whether anything is due only after
// a notice: none before the listener first connected, after each notice
// once, and again after QuietFor; a change it is told of is in the next
// search's answer, and so is an embargo that ends without a notice.
func TestSearchFollowsNotices(t *testing.T) { dbtest.Each(t, testSearchFollowsNotices) }

// embargoedDocument puts a public document with text on a new meeting's
// public item and publishes the meeting after the delay: an embargo that
// ends without a commit. It returns the meeting and the document.
func (c *council) embargoedDocument(t *testing.T, text string, delay time.Duration) (meeting, doc int64) {
	t.Helper()
	ctx := context.Background()
	m := &sessions.Meeting{OrganizationID: c.orgOf(t, c.meeting), Name: "6. Sitzung", Start: c.clock.now().Add(72 * time.Hour)}
	must(t, c.store.CreateMeeting(ctx, m))
	it := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Kanal", Public: true}
	must(t, c.store.CreateAgendaItem(ctx, it))
	doc = c.upload(t, text)
	a := &sessions.Attachment{DocumentID: doc, AgendaItemID: it.ID}
	must(t, c.store.Attach(ctx, a))
	must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
	must(t, c.store.PublishMeeting(ctx, m.ID, c.clock.now().Add(delay)))
	return m.ID, doc
}

// fewestStatements returns a check that a search for "Radwegebau" as v
// finds found and takes want statements counted by queries. The
// background worker shares the counted handle and may run a round while
// a search is counted: its statements only add, so the fewest of a few
// searches is the search's own.
func fewestStatements(t *testing.T, x *indexer.Indexer, queries *atomic.Int64, v access.Viewer) func(what string, want int64, found ...int64) {
	return func(what string, want int64, found ...int64) {
		t.Helper()
		least := int64(1 << 62)
		for range 5 {
			before := queries.Load()
			got := hits(t, x, v, "Radwegebau")
			least = min(least, queries.Load()-before)
			if len(got) != len(found) || len(got) > 0 && got[0] != found[0] {
				t.Fatalf("%s: found %v, want %v", what, got, found)
			}
		}
		if least != want {
			t.Errorf("%s: a search took %d statements, want %d", what, least, want)
		}
	}
}

func testSearchFollowsNotices(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	counted, queries := dbtest.Counting(t, db)
	x := indexer.New(indexer.Config{DB: counted, Store: sessions.NewStore(counted, c.clock.now), Open: c.bleve, ChangesNotified: true})
	x.Start()
	t.Cleanup(func() { x.Close() })
	citizen := access.Viewer{}
	fewest := fewestStatements(t, x, queries, citizen)
	fewest("before the listener connected", 1, c.doc)
	x.FeedMissed()
	fewest("in step", 0, c.doc)

	// A second meeting's document, published with an embargo that ends
	// within QuietFor (the publication time is kept to the second).
	c.clock.add(500 * time.Millisecond)
	x.FeedChanged()
	_, doc := c.embargoedDocument(t, "Die Kanalsanierung beginnt im Juni.", 700*time.Millisecond)
	x.FeedChanged()
	want(t, "embargoed", hits(t, x, citizen, "Kanalsanierung"))
	fewest("embargoed, in step", 0, c.doc)
	c.clock.add(701 * time.Millisecond)
	want(t, "embargo over", hits(t, x, citizen, "Kanalsanierung"), doc)

	must(t, c.store.UnpublishMeeting(ctx, c.meeting))
	x.FeedChanged()
	before := queries.Load()
	want(t, "depublished, notified", hits(t, x, citizen, "Radwegebau"))
	if queries.Load() == before {
		t.Errorf("the search after a notice did not ask the database")
	}
	fewest("depublished, in step", 0)

	c.clock.add(indexer.QuietFor)
	before = queries.Load()
	hits(t, x, citizen, "Radwegebau")
	if queries.Load() == before {
		t.Errorf("a search after QuietFor did not ask the database")
	}
}

// TestSearchWatchesCommits: on SQLite, with the commit watch of
// documents/sqlite, a search asks the database only after a commit —
// by any connection: here the council's store writes through handles
// other than the indexer's — and after QuietFor; a depublication,
// a withdrawal and an embargo's end are in the very next search.
func TestSearchWatchesCommits(t *testing.T) {
	db := dbtest.New(t, sqldb.SQLite).Open(t)
	c := newCouncil(t, db)
	ctx := context.Background()
	var file string
	must(t, db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file))
	w, err := sqlite.OpenWatch(ctx, file)
	must(t, err)
	t.Cleanup(func() { w.Close() })
	// A second handle on the file, as another process (the CLI) writes.
	other, err := sqlite.Open(ctx, file)
	must(t, err)
	t.Cleanup(func() { other.Close() })
	otherStore := sessions.NewStore(other, c.clock.now)

	counted, queries := dbtest.Counting(t, db)
	x := indexer.New(indexer.Config{DB: counted, Store: sessions.NewStore(counted, c.clock.now), Open: c.bleve, Commits: w})
	x.Start()
	t.Cleanup(func() { x.Close() })
	citizen := access.Viewer{}
	fewest := fewestStatements(t, x, queries, citizen)
	fewest("no commit since the last statement", 0, c.doc)

	// An embargo that ends without a commit (the publication time is
	// kept to the second).
	c.clock.add(500 * time.Millisecond)
	meeting, doc := c.embargoedDocument(t, "Die Kanalsanierung beginnt im Juni.", 700*time.Millisecond)
	want(t, "embargoed", hits(t, x, citizen, "Kanalsanierung"))
	fewest("embargoed, no commit since", 0, c.doc)
	c.clock.add(701 * time.Millisecond)
	want(t, "embargo over", hits(t, x, citizen, "Kanalsanierung"), doc)

	// A depublication by another handle on the file.
	must(t, otherStore.UnpublishMeeting(ctx, c.meeting))
	before := queries.Load()
	want(t, "depublished elsewhere", hits(t, x, citizen, "Radwegebau"))
	if queries.Load() == before {
		t.Errorf("the search after a commit did not ask the database")
	}
	fewest("depublished, no commit since", 0)
	must(t, otherStore.UnpublishMeeting(ctx, meeting))
	want(t, "the second depublished elsewhere", hits(t, x, citizen, "Kanalsanierung"))

	c.clock.add(indexer.QuietFor)
	before = queries.Load()
	hits(t, x, citizen, "Radwegebau")
	if queries.Load() == before {
		t.Errorf("a search after QuietFor did not ask the database")
	}
}
