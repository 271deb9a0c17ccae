package dbcopy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/ingesttest"
	"github.com/ratsmappe/ratsmappe/internal/dbcopy"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// ported are the scopes with tables on PostgreSQL today; the source's
// other scopes have rows (the feed's and the outboxes' triggers fill them
// on every upload), so the copies here name these.
var ported = []string{"documents", "annotate"}

// filled returns an SQLite database migrated as the binary migrates it,
// with documents uploaded through the documents service (several
// versions, one withdrawn) and annotations through the annotate store
// (revisions, a tombstone, re-anchorings, read marks).
func filled(t *testing.T) (*sql.DB, *documents.Service) {
	t.Helper()
	ctx := context.Background()
	db := dbtest.Open(t, sqldb.SQLite)
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	svc := service(t, db)
	notes := annotate.NewStore(db, nil)
	dir := t.TempDir()
	for i := 1; i <= 5; i++ {
		p := filepath.Join(dir, "u.pdf")
		os.WriteFile(p, []byte(fmt.Sprintf("%%PDF-Vorlage %d über die Straßenbeleuchtung", i)), 0o644)
		a, err := svc.AddDocument(ctx, documents.Upload{Path: p, FileName: "vorlage.pdf", Title: fmt.Sprintf("Vorlage %d", i), Uploader: "amt", Kind: documents.KindAttachment})
		if err != nil {
			t.Fatal(err)
		}
		id := a.Document.ID
		for a := int64(7); a <= 8; a++ {
			uuid := fmt.Sprintf("00000000-0000-4000-8000-%012d", id*10+a)
			if _, _, err := notes.Put(ctx, a, uuid, bookmark(t, id, a == 7)); err != nil {
				t.Fatal(err)
			}
			if i == 3 {
				if err := notes.Delete(ctx, a, uuid); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := notes.SetRead(ctx, 7, id, 1); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			os.WriteFile(p, []byte(fmt.Sprintf("%%PDF-Vorlage %d, geänderte Fassung", i)), 0o644)
			if _, err := svc.AddVersion(ctx, id, documents.Upload{Path: p, FileName: "vorlage-2.pdf", Uploader: "amt"}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 4 {
			if err := svc.Withdraw(ctx, id, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := annotate.NewReanchorer(notes, svc.Store(), nil).All(ctx); err != nil || n == 0 {
		t.Fatalf("re-anchored %d, %v", n, err)
	}
	return db, svc
}

func service(t *testing.T, db *sql.DB) *documents.Service {
	t.Helper()
	blobs, err := fsblob.Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: ingesttest.Ingester{}})
}

func bookmark(t *testing.T, doc int64, shared bool) *annotate.Annotation {
	t.Helper()
	share := ""
	if shared {
		share = `"ratsmappe:shared": "faction", `
	}
	a, err := annotate.Parse([]byte(fmt.Sprintf(`{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", %s
		"motivation": "bookmarking", "target": {"source": "/api/v1/documents/%d/versions/1",
		"selector": {"type": "FragmentSelector", "value": "page=1"}}}`, share, doc)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustCopy(t *testing.T, src, dst *sql.DB, opt dbcopy.Options) *dbcopy.Report {
	t.Helper()
	r, err := dbcopy.Copy(context.Background(), src, dst, opt)
	if err != nil {
		if r != nil {
			var b strings.Builder
			r.Print(&b)
			t.Log(b.String())
		}
		t.Fatal(err)
	}
	return r
}

// sums returns each table's verification sum of one side.
func sums(r *dbcopy.Report, target bool) map[string]dbcopy.Sum {
	m := map[string]dbcopy.Sum{}
	for _, t := range r.Tables {
		if target {
			m[t.Name] = t.Target
		} else {
			m[t.Name] = t.Source
		}
	}
	return m
}

// A council moves its documents and annotations from SQLite to
// PostgreSQL and back: every table arrives with the same rows, the
// stores read the documents from the PostgreSQL copy, new documents there
// get new ids, and the copy back equals the original.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, _ := filled(t)
	pg := dbtest.Open(t, sqldb.Postgres)
	r := mustCopy(t, src, pg, dbcopy.Options{Source: "sqlite:original", Scopes: ported})
	var out strings.Builder
	r.Print(&out)
	t.Log("\n" + out.String())
	want := map[string]bool{"documents": true, "versions": true, "pages": true, "pending_blobs": true, "annotations": true,
		"annotation_revisions": true, "anchorings": true, "annotation_seq": true, "reads": true}
	for _, tb := range r.Tables {
		delete(want, tb.Name)
		if !tb.OK() {
			t.Errorf("%s: source %v, target %v", tb.Name, tb.Source, tb.Target)
		}
	}
	if len(want) > 0 {
		t.Errorf("tables not copied: %v", want)
	}
	if names := r.Tables[0].Name; names != "documents" {
		t.Errorf("first table %s, want documents (the others refer to it)", names)
	}
	if len(r.Left) == 0 || !strings.Contains(out.String(), "sessions") {
		t.Errorf("the scopes left out are not reported:\n%s", out.String())
	}

	// The stores read the copy.
	docs := documents.NewStore(pg)
	d, err := docs.FindDocumentByID(ctx, 4)
	if err != nil || d.Title != "Vorlage 4" {
		t.Fatalf("document 4 on PostgreSQL: %+v, %v", d, err)
	}
	vs, err := docs.FindVersions(ctx, 4)
	if err != nil || len(vs) != 2 || vs[0].State != "withdrawn" && vs[1].State != "withdrawn" {
		t.Fatalf("versions of 4 on PostgreSQL: %+v, %v", vs, err)
	}
	pages, err := docs.FindPages(ctx, 2, 2)
	if err != nil || len(pages) != 1 || !strings.Contains(pages[0].Text, "geänderte Fassung") {
		t.Fatalf("pages of 2/2 on PostgreSQL: %+v, %v", pages, err)
	}
	notes := annotate.NewStore(pg, nil)
	list, err := notes.FindByDocument(ctx, annotate.Reader{AccountID: 7}, 2)
	if err != nil || len(list) != 1 {
		t.Fatalf("annotations of 7 on document 2: %d, %v", len(list), err)
	}
	hist, err := notes.Anchorings(ctx, 7, "00000000-0000-4000-8000-000000000027")
	if err != nil || len(hist) == 0 {
		t.Fatalf("anchorings on PostgreSQL: %+v, %v", hist, err)
	}

	// The copy back has the original's rows.
	back := dbtest.Open(t, sqldb.SQLite)
	r2 := mustCopy(t, pg, back, dbcopy.Options{Source: "postgres://copy"})
	orig, again := sums(r, false), sums(r2, true)
	for name, s := range orig {
		if again[name] != s {
			t.Errorf("%s after the round trip: %v, original %v", name, again[name], s)
		}
	}
	// The triggers are back after the copy, and the feed's and outboxes'
	// did not fire for copied rows (the search index is rebuilt after a
	// copy).
	for name, db := range map[string]*sql.DB{"postgres": pg, "sqlite": back} {
		if _, err := db.Exec(`DELETE FROM versions`); err == nil || !strings.Contains(err.Error(), "never deleted") {
			t.Errorf("%s: deleting versions after the copy: %v, want the trigger's refusal", name, err)
		}
	}
	var outbox int
	if err := back.QueryRow(`SELECT (SELECT COUNT(*) FROM search_outbox) + (SELECT COUNT(*) FROM ledger_versions_pending)`).Scan(&outbox); err != nil || outbox != 0 {
		t.Errorf("insert triggers fired on the SQLite target: %d rows, %v", outbox, err)
	}
	if got, err := documents.NewStore(back).FindDocumentByID(ctx, 5); err != nil || got.Title != "Vorlage 5" {
		t.Errorf("document 5 after the round trip: %+v, %v", got, err)
	}

	// Identities continue after the copied ids: a new upload and a new
	// annotation on PostgreSQL do not collide.
	p := filepath.Join(t.TempDir(), "neu.pdf")
	os.WriteFile(p, []byte("%PDF-Neue Vorlage"), 0o644)
	a, err := service(t, pg).AddDocument(ctx, documents.Upload{Path: p, FileName: "neu.pdf", Uploader: "amt", Kind: documents.KindAttachment})
	if err != nil {
		t.Fatal(err)
	}
	if a.Document.ID != 6 {
		t.Errorf("new document on PostgreSQL got id %d, want 6", a.Document.ID)
	}
	if _, _, err := notes.Put(ctx, 7, "00000000-0000-4000-8000-000000000999", bookmark(t, a.Document.ID, false)); err != nil {
		t.Fatal(err)
	}
}

// A copy killed in the middle continues where it stopped, with the same
// source, and the result verifies; a finished copy run again only
// verifies.
func TestResume(t *testing.T) {
	src, _ := filled(t)
	pg := dbtest.Open(t, sqldb.Postgres)
	ctx, cancel := context.WithCancel(context.Background())
	kill := writerFunc(func(p []byte) (int, error) {
		if strings.Contains(string(p), "annotations: 2/") {
			cancel() // stops the copy in the next batch, inside a key of a number and a text
		}
		return len(p), nil
	})
	opt := dbcopy.Options{Source: "sqlite:original", Scopes: ported, BatchRows: 2, Progress: kill}
	if _, err := dbcopy.Copy(ctx, src, pg, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed copy: %v, want context.Canceled", err)
	}
	var done, partial int
	if err := pg.QueryRow(`SELECT COUNT(*) FILTER (WHERE done = 1), COUNT(*) FILTER (WHERE done = 0) FROM db_copy_progress`).Scan(&done, &partial); err != nil {
		t.Fatal(err)
	}
	if done == 0 || partial != 1 {
		t.Fatalf("after the kill: %d tables done, %d partly copied; want some done and one in the middle", done, partial)
	}
	var printed strings.Builder
	opt.Progress = &printed
	r := mustCopy(t, src, pg, opt)
	if !r.Resumed {
		t.Error("second run did not resume")
	}
	if p := printed.String(); strings.Contains(p, "documents:") || !strings.Contains(p, "annotations: 4/10") {
		t.Errorf("the resumed copy did not continue after the last batch:\n%s", printed.String())
	}
	opt.Progress = nil
	if r := mustCopy(t, src, pg, opt); !r.Resumed || len(r.Tables) == 0 {
		t.Errorf("third run: %+v", r)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// refused copies src into dst as source and expects the refusal of a
// target that is not empty.
func refused(t *testing.T, src, dst *sql.DB, source string) {
	t.Helper()
	_, err := dbcopy.Copy(context.Background(), src, dst, dbcopy.Options{Source: source, Scopes: ported})
	if got := ratsmappe.ErrorReason(err); got != "target_not_empty" {
		t.Fatalf("err = %v, want target_not_empty", err)
	}
}

// A target that holds anything but a copy of the same source is refused;
// a copy whose target changed afterwards fails its verification, naming
// the table. (A source with data in a package without PostgreSQL
// migrations was refused too; since every package has them, no test can
// make one.)
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	src, _ := filled(t)
	t.Run("dirty target", func(t *testing.T) {
		pg := dbtest.Open(t, sqldb.Postgres)
		if _, err := pg.Exec(`CREATE TABLE notes (id BIGINT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		refused(t, src, pg, "sqlite:original")
	})
	t.Run("other source", func(t *testing.T) {
		pg := dbtest.Open(t, sqldb.Postgres)
		mustCopy(t, src, pg, dbcopy.Options{Source: "sqlite:original", Scopes: ported})
		refused(t, src, pg, "sqlite:another")
	})
	t.Run("mismatch", func(t *testing.T) {
		dst := dbtest.Open(t, sqldb.SQLite)
		mustCopy(t, src, dst, dbcopy.Options{Source: "sqlite:original", Scopes: ported})
		if _, err := dst.Exec(`UPDATE annotations SET json = '{}' WHERE uuid = '00000000-0000-4000-8000-000000000017'`); err != nil {
			t.Fatal(err)
		}
		r, err := dbcopy.Copy(ctx, src, dst, dbcopy.Options{Source: "sqlite:original", Scopes: ported})
		if ratsmappe.ErrorReason(err) != "mismatch" || !strings.Contains(ratsmappe.ErrorMessage(err), "annotations") {
			t.Fatalf("err = %v, want a mismatch in annotations", err)
		}
		var b strings.Builder
		r.Print(&b)
		if !strings.Contains(b.String(), "MISMATCH") {
			t.Errorf("printed report does not show the mismatch:\n%s", b.String())
		}
	})
}

// Every scope with PostgreSQL migrations copies, and back: the outboxes
// (search, messages and their attempts, push subscriptions), members'
// notices and citizens' alerts with the council's data they belong to.
func TestPortedScopesCopy(t *testing.T) {
	src, _ := filled(t)
	var scopes []string
	for _, s := range schema.Scopes() {
		if s.For(sqldb.Postgres) != nil {
			scopes = append(scopes, s.Name)
		}
	}
	for _, q := range []string{
		`INSERT INTO bodies (name, created, modified) VALUES ('Stadt Lindenau', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO persons (body_id, family_name, created, modified) VALUES (1, 'Beispiel', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO accounts (name, display_name, role, person_id, created, modified) VALUES ('anna', 'Anna', 'member', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO search_outbox (document_id, due) VALUES (1, 0), (2, 1767225600000)`,
		`INSERT INTO notify_outbox (key, recipient, message_id, message, created_at, due_at)
			VALUES ('k', 'a@lindenau.example', 'k@ratsmappe', '{}', 0, 0)`,
		`INSERT INTO notify_attempts (outbox_id, attempt, started_at, outcome) VALUES (1, 1, 0, 'temporary')`,
		`INSERT INTO push_subscriptions (account_id, endpoint, p256dh, auth, created_at) VALUES (1, 'https://push.example/1', 'p', 'a', 0)`,
		`INSERT INTO organizations (body_id, name, classification, created, modified) VALUES (1, 'Rat', 'council', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO meetings (organization_id, name, start, created, modified) VALUES (1, 'Sitzung', '2026-02-01T16:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO notice_views (account_id, meeting_id, view) VALUES (1, 1, '{}')`,
		`INSERT INTO member_notices (account_id, key, meeting_id, kind, text, text_en, url, created_at) VALUES (1, 'n', 1, 'moved', 'verlegt', 'moved', '/reader/meetings/1', 0)`,
		`INSERT INTO alert_subscriptions (email, organization_id, language, nonce, token_hash, created_at) VALUES ('b@example.org', 1, 'de', x'00ff10', x'abcdef', 0)`,
		`INSERT INTO alert_requests (address_hash, at) VALUES (x'0102', 0)`,
		`INSERT INTO alert_cursors (name, until) VALUES ('committee', '2026-01-01T00:00:00.000000000Z')`,
	} {
		if _, err := src.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	pg := dbtest.Open(t, sqldb.Postgres)
	r := mustCopy(t, src, pg, dbcopy.Options{Source: "sqlite:original", Scopes: scopes})
	copied := map[string]bool{}
	for _, tb := range r.Tables {
		copied[tb.Name] = true
		if !tb.OK() {
			t.Errorf("%s: source %v, target %v", tb.Name, tb.Source, tb.Target)
		}
	}
	for _, name := range []string{"search_outbox", "notify_outbox", "notify_attempts", "push_subscriptions",
		"notice_views", "member_notices", "alert_subscriptions", "alert_requests", "alert_cursors"} {
		if !copied[name] {
			t.Errorf("%s not copied", name)
		}
	}
	back := dbtest.Open(t, sqldb.SQLite)
	r2 := mustCopy(t, pg, back, dbcopy.Options{Source: "postgres://copy", Scopes: scopes})
	orig, again := sums(r, false), sums(r2, true)
	for name, s := range orig {
		if again[name] != s {
			t.Errorf("%s after the round trip: %v, original %v", name, again[name], s)
		}
	}
}
