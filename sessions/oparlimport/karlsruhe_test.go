package oparlimport_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport/oparltest"
)

// The test binary doubles as the PDF worker (as in package pdfworker's
// tests): the pool starts it again with this variable set.
const childEnv = "RATSMAPPE_PDF_WORKER_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := pdfworker.Serve(context.Background(), os.Stdin, os.Stdout, pdfworker.ServeConfigFromEnv()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func corpus(t *testing.T, opt oparltest.Options) (*oparltest.Server, string) {
	t.Helper()
	k, err := oparltest.NewKarlsruhe(oparltest.SharedDir(t, "corpus/karlsruhe"), opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	return k, srv.URL + "/oparl/system"
}

type env struct {
	db   *sql.DB
	st   *sessions.Store
	docs *documents.Service
	dir  string
}

// newEnv is a real data directory: SQLite file, blob directory, and PDF
// workers (this test binary) doing the real ingestion.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "t.db"))
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
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	pool, err := pdfworker.New(pdfworker.Config{
		Command: []string{os.Args[0], "-test.run=^$"},
		Env:     []string{childEnv + "=1"},
		// Run as root, the workers would drop to nobody, who cannot
		// enter go test's private build directory.
		User:     "root",
		Workers:  2,
		Deadline: 60 * time.Second,
		CacheDir: filepath.Join(cache, "ratsmappe-test", "wasm"),
		TempDir:  t.TempDir(),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	docs := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: pool})
	return &env{db: db, st: sessions.NewStore(db, nil), docs: docs, dir: dir}
}

func (e *env) config(t *testing.T) oparlimport.Config {
	return oparlimport.Config{Sessions: e.st, Documents: e.docs, Concurrency: 4, TempDir: t.TempDir(), Backoff: 10 * time.Millisecond, MaxWait: 2 * time.Second}
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) counts(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, tb := range []string{"bodies", "organizations", "meetings", "agenda_items", "papers", "consultations", "documents", "versions", "attachments", "minutes"} {
		out[tb] = e.count(t, tb)
	}
	return out
}

// TestKarlsruhe imports the Karlsruhe corpus served as an OParl endpoint
// with the quirks of real servers, imports it again (nothing changes),
// then changes one paper, deletes one meeting and makes one agenda item
// non-public at the source (only those change). To stay fast on two
// cores, only the files of the first 12 papers and 3 meetings are served
// (every other object without files); every object of the corpus is.
func TestKarlsruhe(t *testing.T) {
	k, system := corpus(t, oparltest.Options{PaperFiles: 12, MeetingFiles: 3, Quirks: true, PageSize: 100})
	e := newEnv(t)
	ctx := context.Background()
	var progress strings.Builder
	cfg := e.config(t)
	cfg.Progress = &progress
	res, err := oparlimport.Run(ctx, cfg, system)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, progress.String())
	}
	t.Logf("first import: %s", res.Summary())
	served := k.Counts()
	got := e.counts(t)
	t.Logf("served %v; stored %v", served, got)
	// Three meetings name an organization the corpus does not have (the
	// server answers 404): they go to one "Ohne Gremium" organization.
	served["organization"]++
	for kind, table := range map[string]string{"organization": "organizations", "meeting": "meetings", "paper": "papers", "agenda_item": "agenda_items"} {
		if got[table] != served[kind] {
			t.Errorf("%s: %d stored, %d served", table, got[table], served[kind])
		}
	}
	if len(res.Rejected) != 1 || res.Rejected[0].File != strings.Replace(k.Broken(), "https://web1.karlsruhe.de", strings.TrimSuffix(system, "/oparl/system"), 1) || res.Rejected[0].Code != documents.RejectNotPDF {
		t.Errorf("rejected: %+v, want only %s as not_pdf", res.Rejected, k.Broken())
	}
	if got["documents"] != served["file"]-1 {
		t.Errorf("%d documents for %d files (one not a PDF)", got["documents"], served["file"])
	}
	if got["consultations"] == 0 || got["consultations"] != res.Created["consultation"] || res.Unlinked == 0 {
		t.Errorf("%d consultations stored, %d reported, %d without an agenda item the corpus has", got["consultations"], res.Created["consultation"], res.Unlinked)
	}
	if !strings.Contains(progress.String(), "Vorlagen: Seite 15") || !strings.Contains(progress.String(), "Wiederhole") {
		t.Errorf("progress without pages or retries:\n%s", progress.String())
	}

	// Sample fields, as the public sees them.
	anon := access.Viewer{}
	p := findPaper(t, e, "2023/0425")
	if p.Type != "Beschlussvorlage" || p.Date != "2024-01-15" || !strings.HasPrefix(p.Name, "Konzeptbeschluss: Variantenentscheidung") {
		t.Errorf("paper 2023/0425: %+v", p)
	}
	if _, err := e.st.FindPaperByID(ctx, anon, p.ID); err != nil {
		t.Errorf("imported paper not public: %v", err)
	}
	ms, err := e.st.FindMeetings(ctx, anon, sessions.MeetingFilter{})
	if err != nil || len(ms) != served["meeting"] {
		t.Fatalf("public meetings: %d, %v", len(ms), err)
	}
	var bau *sessions.Meeting
	for _, m := range ms {
		if m.Start.Equal(time.Date(2025, 1, 9, 15, 0, 0, 0, time.UTC)) && strings.HasPrefix(m.Name, "Bauausschuss") {
			bau = m
		}
	}
	if bau == nil || bau.Location != "Bürgersaal, Rathaus am Marktplatz" || bau.State != sessions.MeetingHeld {
		t.Fatalf("meeting Bauausschuss 2025-01-09: %+v", bau)
	}
	_, items, err := e.st.FindAgenda(ctx, anon, bau.ID)
	if err != nil || len(items) == 0 || items[0].Number != "–" || items[1].Number != "1" || items[1].Result != "einstimmig beschlossen" || !items[1].Public {
		t.Fatalf("agenda: %v %+v", err, items[:min(2, len(items))])
	}
	files, err := e.st.FindAttachments(ctx, anon, sessions.AttachmentTarget{PaperID: p.ID})
	if err != nil || len(files) == 0 {
		t.Errorf("public files of paper %s: %d %v", p.Reference, len(files), err)
	}

	// Again: nothing new, nothing changed.
	before := e.counts(t)
	res, err = oparlimport.Run(ctx, e.config(t), system)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second import: %s", res.Summary())
	if after := e.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("second import changed counts:\n%v\n%v", before, after)
	}
	for kind, n := range res.Created {
		if n != 0 {
			t.Errorf("second import created %d %s", n, kind)
		}
	}
	if len(res.Updated) != 0 || res.Since.IsZero() {
		t.Errorf("second import: updated %v, since %v", res.Updated, res.Since)
	}

	// One paper renamed, one meeting deleted, one item made non-public.
	paperID := k.Papers()[0]
	changed := func(t *testing.T) *sessions.Paper { return findPaper(t, e, k.Object(paperID)["reference"].(string)) }
	// It also loses its last file.
	if !k.Change(paperID, func(o map[string]any) {
		o["name"] = "Geänderter Titel der Vorlage"
		fs := o["auxiliaryFile"].([]any)
		o["auxiliaryFile"] = fs[:len(fs)-1]
	}) {
		t.Fatal("no paper to change")
	}
	deletedMeeting := k.Meetings()[len(k.Meetings())-1]
	k.Change(deletedMeeting, func(o map[string]any) {
		for key := range o {
			if key != "id" && key != "modified" && key != "created" {
				delete(o, key)
			}
		}
		o["deleted"] = true
	})
	// The item's meeting embeds it, so the meeting changes with it.
	hidden := k.Object(k.Meetings()[3])["agendaItem"].([]any)[1].(map[string]any)["id"].(string)
	k.Change(hidden, func(o map[string]any) { o["public"] = false })
	// Another meeting loses its last item from the agenda, as servers
	// before OParl 1.1 do it: the item is withdrawn here.
	var dropped string
	k.Change(k.Meetings()[3], func(o map[string]any) {
		items := o["agendaItem"].([]any)
		dropped = items[len(items)-1].(map[string]any)["id"].(string)
		o["agendaItem"] = items[:len(items)-1]
	})
	res, err = oparlimport.Run(ctx, e.config(t), system)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("third import: %s", res.Summary())
	if fmt.Sprint(res.Updated) != "map[agenda_item:1 meeting:1 paper:1]" || fmt.Sprint(res.Deleted) != "map[agenda_item:1 attachment:1 meeting:1]" {
		t.Errorf("third import: updated %v, deleted %v; want one paper, meeting and item updated, one meeting, item and file deleted", res.Updated, res.Deleted)
	}
	if files, err := e.st.FindAttachments(ctx, anon, sessions.AttachmentTarget{PaperID: changed(t).ID}); err != nil || len(files) != 0 {
		// The paper's first file was the broken one, its second dropped.
		t.Errorf("public files of the changed paper: %d %v", len(files), err)
	}
	drec, err := e.st.FindOParlObject(ctx, "agenda_item", strings.Replace(dropped, "https://web1.karlsruhe.de", strings.TrimSuffix(system, "/oparl/system"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.FindAgendaItemByID(ctx, anon, drec.LocalID); err == nil {
		t.Errorf("item dropped from the source's agenda still public")
	}
	rec, err := e.st.FindOParlObject(ctx, "agenda_item", strings.Replace(hidden, "https://web1.karlsruhe.de", strings.TrimSuffix(system, "/oparl/system"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if it, err := e.st.FindAgendaItemByID(ctx, anon, rec.LocalID); err != nil || it.Access != access.Stub || it.Title != sessions.StubTitle {
		t.Errorf("item made non-public at the source: %v %+v", err, it)
	}
	if after := e.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("third import changed counts:\n%v\n%v", before, after)
	}
	if changed(t).Name != "Geänderter Titel der Vorlage" {
		t.Errorf("changed paper: %q", changed(t).Name)
	}
	if es, err := e.st.FindAuditEntriesFor(ctx, sessions.AuditFilter{Action: "meeting.unpublish"}); err != nil || len(es) != 1 || es[0].Actor != "OParl-Import" {
		t.Errorf("audit log of the deletion: %v %+v", err, es)
	}
	ms2, _ := e.st.FindMeetings(ctx, anon, sessions.MeetingFilter{})
	if len(ms2) != len(ms)-1 {
		t.Errorf("after deleting one meeting at the source, %d public meetings, want %d", len(ms2), len(ms)-1)
	}
}

func findPaper(t *testing.T, e *env, ref string) *sessions.Paper {
	t.Helper()
	ps, err := e.st.FindPapers(context.Background(), access.Viewer{Role: access.RoleClerk}, sessions.PaperFilter{BodyID: 1, Reference: ref})
	if err != nil || len(ps) != 1 {
		t.Fatalf("paper %s: %v %v", ref, ps, err)
	}
	return ps[0]
}

// cutAfter is a transport that fails every request after the first n,
// like a network that goes away in the middle of an import.
type cutAfter struct {
	n    int64
	seen atomic.Int64
}

func (c *cutAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.seen.Add(1) > c.n {
		return nil, fmt.Errorf("network is unreachable")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestResume breaks an import off (the network goes away after a few
// pages), then runs it again: it continues the broken run and ends with
// exactly what an unbroken import has, nothing twice. Files are left out:
// this is about the lists.
func TestResume(t *testing.T) {
	_, system := corpus(t, oparltest.Options{PageSize: 100})
	e := newEnv(t)
	ctx := context.Background()
	cfg := e.config(t)
	cfg.Attempts = 2
	cfg.Client = &http.Client{Transport: &cutAfter{n: 12}}
	if _, err := oparlimport.Run(ctx, cfg, system); err == nil {
		t.Fatal("import without network succeeded")
	}
	part := e.counts(t)
	if part["papers"] == 0 && part["meetings"] == 0 {
		t.Fatalf("nothing imported before the break: %v", part)
	}
	res, err := oparlimport.Run(ctx, e.config(t), system)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed {
		t.Errorf("second run did not continue the first")
	}
	got := e.counts(t)

	fresh := newEnv(t)
	if _, err := oparlimport.Run(ctx, fresh.config(t), system); err != nil {
		t.Fatal(err)
	}
	if want := fresh.counts(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("resumed import:\n%v\nunbroken import:\n%v", got, want)
	}
}

// TestAdoptsOrphans stands for a run killed between creating objects and
// recording them: the store holds an organization, a paper, a meeting's
// agenda item that no record names. The next import takes them over
// instead of making them twice.
func TestAdoptsOrphans(t *testing.T) {
	k, system := corpus(t, oparltest.Options{PageSize: 200})
	e := newEnv(t)
	ctx := context.Background()
	body := &sessions.Body{Name: "Stadt Karlsruhe"}
	must(t, e.st.CreateBody(ctx, body))
	org := k.Object(k.Meetings()[0])["organization"].([]any)[0].(string)
	orgName := k.Object(org)["name"].(string)
	must(t, e.st.CreateOrganization(ctx, &sessions.Organization{BodyID: body.ID, Name: orgName, Classification: sessions.ClassCommittee}))
	paper := k.Object(k.Papers()[0])
	must(t, e.st.CreatePaper(ctx, &sessions.Paper{BodyID: body.ID, Reference: paper["reference"].(string), Name: "halb importiert"}))
	// The body itself was recorded (it is written before its lists).
	must(t, e.st.SaveOParlObject(ctx, &sessions.OParlObject{Kind: "body", ExternalID: strings.TrimSuffix(system, "/system") + "/bodies/0001", LocalID: body.ID}))

	if _, err := oparlimport.Run(ctx, e.config(t), system); err != nil {
		t.Fatal(err)
	}
	served := k.Counts()
	got := e.counts(t)
	if got["organizations"] != served["organization"]+1 || got["papers"] != served["paper"] || got["bodies"] != 1 {
		t.Errorf("after orphans: %v; served %v (+1 organization for meetings without one)", got, served)
	}
	if p := findPaper(t, e, paper["reference"].(string)); p.Name == "halb importiert" {
		t.Errorf("orphan paper not updated: %+v", p)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
