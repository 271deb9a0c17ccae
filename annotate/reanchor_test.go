package annotate_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

// textIngester stands in for the PDF worker pool (tested in
// documents/pdfworker): an upload is text with pages separated by form
// feeds, and is its own rendition.
type textIngester struct{ dir string }

func (i textIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(i.dir, "r-*")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	f.Write(b)
	var pages []documents.Page
	for n, t := range strings.Split(string(b), "\f") {
		pages = append(pages, documents.Page{Number: n + 1, Width: 595, Height: 842, Text: t})
	}
	return &documents.Ingested{RenditionPath: f.Name(), Pages: pages}, nil
}

func mustParse(t *testing.T, s string) *annotate.Annotation {
	t.Helper()
	a, err := annotate.Parse([]byte(s))
	if err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	return a
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// openDocuments opens (and migrates) the test database d with a document
// service over it; upload adds a document of text pages (id 0) or a
// new version of document id.
func openDocuments(t *testing.T, d dbtest.Database) (db *sql.DB, upload func(id int64, pages ...string) int64) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db = d.Open(t)
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	dbtest.Migrate(t, db, "annotate", annotate.Migrations(), annotate.PostgresMigrations())
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: textIngester{dir}})
	return db, func(id int64, pages ...string) int64 {
		t.Helper()
		p := filepath.Join(dir, "u.txt")
		os.WriteFile(p, []byte(strings.Join(pages, "\f")), 0o644)
		u := documents.Upload{Path: p, FileName: "v.pdf", Uploader: "amt"}
		if id == 0 {
			a, err := svc.AddDocument(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			return a.Document.ID
		}
		if _, err := svc.AddVersion(ctx, id, u); err != nil {
			t.Fatal(err)
		}
		return id
	}
}

// Annotations move to a new version even if the server stopped between
// the upload and the re-anchoring: staleness is read from the database.
// Ink and point notes move with the text near them or with their page;
// the anchoring history and every revision are kept; withdrawing the new
// version brings them back.
func TestReanchorAfterRestart(t *testing.T) { dbtest.EachDatabase(t, testReanchorAfterRestart) }

func testReanchorAfterRestart(t *testing.T, d dbtest.Database) {
	ctx := context.Background()
	db, upload := openDocuments(t, d)
	doc := upload(0, p1, p2, p3)
	st := annotate.NewStore(db, nil)
	const me = 7
	src := `"source": "/api/v1/documents/1/versions/1"`
	ids := map[string]string{
		"highlight": "00000000-0000-4000-8000-000000000001",
		"ink":       "00000000-0000-4000-8000-000000000002",
		"bookmark":  "00000000-0000-4000-8000-000000000003",
		"point":     "00000000-0000-4000-8000-000000000004",
	}
	head := `{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", `
	for name, js := range map[string]string{
		"highlight": head + `"motivation": "highlighting", "target": {` + src + `, "selector": [{"type": "FragmentSelector", "value": "page=2"},
			{"type": "TextQuoteSelector", "exact": "Die bestehende Schule ist baulich in einem schlechten Zustand", "prefix": "seit fünf Jahren deutlich an. "}]}}`,
		"ink": head + `"motivation": "drawing", "body": {"type": "ratsmappe:Ink", "strokes": [{"points": [[70, 600], [300, 600]]}]},
			"target": {` + src + `, "selector": [{"type": "FragmentSelector", "value": "page=3"}, {"type": "TextQuoteSelector", "exact": "Die Kosten betragen 12,4 Millionen Euro."}]}}`,
		"bookmark": head + `"motivation": "bookmarking", "target": {` + src + `, "selector": {"type": "FragmentSelector", "value": "page=2"}}}`,
		"point": head + `"motivation": "commenting", "body": {"type": "TextualBody", "value": "Förderung?"},
			"target": {` + src + `, "selector": [{"type": "FragmentSelector", "value": "page=3"}, {"type": "ratsmappe:PointSelector", "x": 500, "y": 300}]}}`,
	} {
		if _, _, err := st.Put(ctx, me, ids[name], mustParse(t, js)); err != nil {
			t.Fatal(err)
		}
	}
	upload(doc, "Deckblatt\n\nGeänderte Fassung", p1, p2, p3)
	// The server "crashed" before re-anchoring: start afresh on the
	// database.
	db.Close()
	db = d.Open(t)
	st = annotate.NewStore(db, nil)
	re := annotate.NewReanchorer(st, documents.NewStore(db), nil)
	n, err := re.All(ctx)
	if err != nil || n != 4 {
		t.Fatalf("re-anchored %d, %v", n, err)
	}
	if n, _ := re.All(ctx); n != 0 {
		t.Fatalf("second run moved %d again", n)
	}
	check := func(version int, pages map[string]int) {
		t.Helper()
		list, err := st.FindByDocument(ctx, annotate.Reader{AccountID: me}, doc)
		if err != nil || len(list) != 4 {
			t.Fatalf("%d annotations, %v", len(list), err)
		}
		for _, a := range list {
			name := ""
			for k, v := range ids {
				if a.ID == annotate.ID(v) {
					name = k
				}
			}
			if a.Anchoring.State != annotate.Anchored || a.Anchoring.Version != version || a.Version != version || a.Page() != pages[name] {
				b, _ := json.Marshal(a)
				t.Errorf("%s: %s", name, b)
			}
			if name == "ink" && a.Body[0].Strokes[0].Points[1] != [2]float64{300, 600} {
				t.Errorf("ink strokes changed: %+v", a.Body)
			}
		}
	}
	check(2, map[string]int{"highlight": 3, "ink": 4, "bookmark": 3, "point": 4})
	hist, err := st.Anchorings(ctx, me, ids["highlight"])
	if err != nil || len(hist) != 1 || hist[0].FromVersion != 1 || hist[0].Version != 2 || hist[0].Page != 3 {
		t.Fatalf("history %+v %v", hist, err)
	}
	revs, err := st.Revisions(ctx, me, ids["highlight"])
	if err != nil || len(revs) != 2 || revs[0].Page() != 2 || revs[1].Page() != 3 {
		t.Fatalf("revisions %d %v", len(revs), err)
	}

	// The office withdraws version 2: version 1 is current again, and
	// the annotations go back there.
	if err := documents.NewStore(db).WithdrawVersion(ctx, doc, 2, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := re.All(ctx); err != nil || n != 4 {
		t.Fatalf("after withdrawal re-anchored %d, %v", n, err)
	}
	check(1, map[string]int{"highlight": 2, "ink": 3, "bookmark": 2, "point": 3})
	if hist, _ := st.Anchorings(ctx, me, ids["highlight"]); len(hist) != 2 {
		t.Fatalf("history kept: %+v", hist)
	}
}
