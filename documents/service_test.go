package documents_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// fakeIngester stands in for the PDF worker pool, which has its own tests
// (documents/pdfworker) and runs for real in the end-to-end tests of
// cmd/ratsmappe. It accepts files that start with "%PDF-", makes one page
// per form-feed-separated part, and writes the input with a marker
// appended as the "sanitized" rendition. A file that ends with that
// marker (a rendition uploaded again) it refuses as damaged.
type fakeIngester struct{}

const renditionMarker = "\n%sanitized\n"

func (fakeIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return nil, documents.Reject(documents.RejectNotPDF, nil)
	}
	if bytes.HasSuffix(b, []byte(renditionMarker)) {
		return nil, documents.Reject(documents.RejectDamaged, errors.New("a rendition again"))
	}
	out, err := os.CreateTemp("", "rendition-*.pdf")
	if err != nil {
		return nil, err
	}
	out.Write(b)
	out.WriteString(renditionMarker)
	out.Close()
	var pages []documents.Page
	for i, t := range strings.Split(string(b[5:]), "\f") {
		pages = append(pages, documents.Page{Number: i + 1, Width: 595, Height: 842, Text: t})
	}
	return &documents.Ingested{RenditionPath: out.Name(), Pages: pages, Sanitized: []string{"JavaScript"}}, nil
}

// earlyIngester is fakeIngester handing over the rendition early, as the
// PDF worker pool does. A file that contains "spät kaputt" it refuses
// after it has handed over the rendition (as if its text could not be
// read).
type earlyIngester struct{ fakeIngester }

func (f earlyIngester) IngestEarly(ctx context.Context, path string, rendition func(string)) (*documents.Ingested, error) {
	res, err := f.Ingest(ctx, path)
	if err != nil {
		return nil, err
	}
	rendition(res.RenditionPath)
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("spät kaputt")) {
		os.Remove(res.RenditionPath)
		return nil, documents.Reject(documents.RejectCrashed, errors.New("late"))
	}
	return res, nil
}

type env struct {
	svc   *documents.Service
	blobs *fsblob.Store
	dir   string
	now   time.Time
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// eachEnv runs test on an env of each database: the store's contract is
// the same on SQLite and PostgreSQL.
func eachEnv(t *testing.T, test func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) { test(t, newEnv(t, db)) })
}

func newEnv(t testing.TB, db *sql.DB) *env {
	t.Helper()
	dir := t.TempDir()
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{blobs: blobs, dir: dir, now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	e.svc = documents.NewService(documents.ServiceConfig{
		Store: documents.NewStore(db), Blobs: blobs, Ingester: fakeIngester{},
		Now: func() time.Time { return e.now },
	})
	return e
}

func (e *env) file(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func countBlobs(t *testing.T, bs documents.BlobStore) int {
	t.Helper()
	n := 0
	if err := bs.List(context.Background(), func(documents.BlobInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAddDocumentAndVersions(t *testing.T) { eachEnv(t, testAddDocumentAndVersions) }

func testAddDocumentAndVersions(t *testing.T, e *env) {
	ctx := context.Background()
	a, err := e.svc.AddDocument(ctx, documents.Upload{
		Path: e.file(t, "Vorlage_2025-0123.pdf", "%PDF-Seite eins\fSeite zwei"), Kind: documents.KindDraft, Uploader: "clerk",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Document.Title, "Vorlage 2025-0123"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got, want := a.Version.Number, 1; got != want {
		t.Errorf("version = %d, want %d", got, want)
	}
	if got, want := a.Version.Pages, 2; got != want {
		t.Errorf("pages = %d, want %d", got, want)
	}
	pages, err := e.svc.Store().FindPages(ctx, a.Document.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pages[1].Text, "Seite zwei"; got != want {
		t.Errorf("page 2 text = %q, want %q", got, want)
	}
	// Both the original and the rendition are stored, and differ.
	_, rc, err := e.svc.Open(ctx, a.Document.ID, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	rendition, _ := io.ReadAll(rc)
	rc.Close()
	_, rc, err = e.svc.Open(ctx, a.Document.ID, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	original, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(rendition), "%sanitized") || strings.Contains(string(original), "%sanitized") {
		t.Errorf("rendition and original mixed up")
	}

	// A new version supersedes the old one, which stays readable.
	e.now = e.now.Add(time.Hour)
	b, err := e.svc.AddVersion(ctx, a.Document.ID, documents.Upload{Path: e.file(t, "v2.pdf", "%PDF-Neu"), Uploader: "clerk", Note: "Tippfehler"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Version.Number, 2; got != want {
		t.Fatalf("version = %d, want %d", got, want)
	}
	vs, err := e.svc.Store().FindVersions(ctx, a.Document.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := vs[0].State+","+vs[1].State, "superseded,active"; got != want {
		t.Errorf("states = %s, want %s", got, want)
	}
	if _, _, err := e.svc.Open(ctx, a.Document.ID, 1, false); err != nil {
		t.Errorf("old version no longer readable: %v", err)
	}

	// The same bytes again make no new version.
	_, err = e.svc.AddVersion(ctx, a.Document.ID, documents.Upload{Path: e.file(t, "v2-again.pdf", "%PDF-Neu")})
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.ECONFLICT; got != want {
		t.Errorf("identical upload: code %q, want %q", got, want)
	}

	// Withdrawing the current version falls back to the one before.
	if err := e.svc.Withdraw(ctx, a.Document.ID, 2); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.Store().FindDocumentByID(ctx, a.Document.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Current, 1; got != want {
		t.Errorf("current after withdraw = %d, want %d", got, want)
	}
	v2, err := e.svc.Store().FindVersion(ctx, a.Document.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v2.State, documents.StateWithdrawn; got != want {
		t.Errorf("state = %q, want %q", got, want)
	}
}

// FindDocumentVersions, the document page's one statement, answers what
// FindDocumentByID, FindVersions and FindPages of the current version
// answer apart — after a new version and after a withdrawal, which move
// the current version, and when every version is withdrawn — and a
// missing document as missing.
func TestFindDocumentVersions(t *testing.T) { eachEnv(t, testFindDocumentVersions) }

func testFindDocumentVersions(t *testing.T, e *env) {
	ctx := context.Background()
	st := e.svc.Store()
	check := func(id int64) {
		t.Helper()
		d, vs, ps, err := st.FindDocumentVersions(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var wantPs []documents.Page
		if d.Current != 0 {
			if wantPs, err = st.FindPages(ctx, id, d.Current); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(ps, wantPs) {
			t.Errorf("pages\n%+v, alone\n%+v", ps, wantPs)
		}
		wantD, err := st.FindDocumentByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		wantVs, err := st.FindVersions(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, wantD) {
			t.Errorf("document\n%+v, alone\n%+v", d, wantD)
		}
		if !reflect.DeepEqual(vs, wantVs) {
			t.Errorf("versions\n%+v, alone\n%+v", vs, wantVs)
		}
	}
	a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "a.pdf", "%PDF-eins\fzwei"), Kind: documents.KindDraft, Uploader: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	check(a.Document.ID)
	e.now = e.now.Add(time.Hour)
	if _, err := e.svc.AddVersion(ctx, a.Document.ID, documents.Upload{Path: e.file(t, "b.pdf", "%PDF-neu"), Uploader: "clerk"}); err != nil {
		t.Fatal(err)
	}
	check(a.Document.ID)
	if err := e.svc.Withdraw(ctx, a.Document.ID, 2); err != nil {
		t.Fatal(err)
	}
	check(a.Document.ID)
	if err := e.svc.Withdraw(ctx, a.Document.ID, 1); err != nil {
		t.Fatal(err)
	}
	check(a.Document.ID)
	if _, _, _, err := st.FindDocumentVersions(ctx, a.Document.ID+1); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("missing document: %v, want ENOTFOUND", err)
	}
}

// The answer to an upload is built from what it wrote, not read back
// after the commit: it must be what a reader then finds.
func TestAddedIsStored(t *testing.T) { eachEnv(t, testAddedIsStored) }

func testAddedIsStored(t *testing.T, e *env) {
	ctx := context.Background()
	// Not UTC and not whole seconds: stored as text, read back in UTC.
	e.now = time.Date(2026, 3, 1, 11, 0, 0, 123456789, time.FixedZone("MEZ", 3600))
	check := func(a *documents.Added) {
		t.Helper()
		d, err := e.svc.Store().FindDocumentByID(ctx, a.Document.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Document, d) {
			t.Errorf("answered document\n%+v, stored\n%+v", a.Document, d)
		}
		v, err := e.svc.Store().FindVersion(ctx, a.Document.ID, a.Version.Number)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Version, v) {
			t.Errorf("answered version\n%+v, stored\n%+v", a.Version, v)
		}
	}
	a, err := e.svc.AddDocument(ctx, documents.Upload{
		Path: e.file(t, "Antrag.pdf", "%PDF-Seite eins\fSeite zwei\fdrei"), Kind: documents.KindMotion, Uploader: "clerk",
	})
	if err != nil {
		t.Fatal(err)
	}
	check(a)
	e.now = e.now.Add(time.Minute)
	b, err := e.svc.AddVersion(ctx, a.Document.ID, documents.Upload{Path: e.file(t, "v2.pdf", "%PDF-Neu"), Uploader: "clerk", Note: "Tippfehler"})
	if err != nil {
		t.Fatal(err)
	}
	check(b)
}

func TestRejectedUploadStoresNothing(t *testing.T) { eachEnv(t, testRejectedUploadStoresNothing) }

func testRejectedUploadStoresNothing(t *testing.T, e *env) {
	ctx := context.Background()
	// Refused before anything is written (not a PDF), and refused by the
	// ingester while the original was being stored (it is removed again).
	for _, c := range []struct{ name, content, code string }{
		{"brief.docx", "PK\x03\x04 not a pdf", documents.RejectNotPDF},
		{"kaputt.pdf", "%PDF-1.7 kaputt" + renditionMarker, documents.RejectDamaged},
	} {
		_, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, c.name, c.content)})
		rej := documents.RejectionOf(err)
		if rej == nil || rej.Reason != c.code {
			t.Fatalf("%s: err = %v, want a %s rejection", c.name, err, c.code)
		}
		if rej.Message == "" || rej.MessageEN == "" {
			t.Errorf("%s: rejection without a message for people", c.name)
		}
		docs, err := e.svc.Store().FindDocuments(ctx, documents.DocumentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(docs), 0; got != want {
			t.Errorf("%s: documents = %d, want %d", c.name, got, want)
		}
		checkStored(t, e, c.name, 0)
	}
}

// A refused upload removes its original only if nothing else refers to
// it: here the original is the rendition of an accepted version.
func TestRefusedUploadKeepsSharedBlob(t *testing.T) { eachEnv(t, testRefusedUploadKeepsSharedBlob) }

func testRefusedUploadKeepsSharedBlob(t *testing.T, e *env) {
	ctx := context.Background()
	a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "eins.pdf", "%PDF-eins")})
	if err != nil {
		t.Fatal(err)
	}
	rendition := readRendition(t, e.svc, a.Document.ID)
	_, err = e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "nochmal.pdf", string(rendition))})
	rej := documents.RejectionOf(err)
	if rej == nil || rej.Reason != documents.RejectDamaged {
		t.Fatalf("err = %v, want a damaged rejection", err)
	}
	if _, err := e.blobs.Stat(ctx, a.Version.SHA256); err != nil {
		t.Errorf("the version's rendition is gone: %v", err)
	}
	checkStored(t, e, "accepted", 2)
}

// With an ingester that hands over the rendition before the text, the
// upload stores the same; a refusal after the handover leaves nothing
// stored.
func TestEarlyRendition(t *testing.T) { eachEnv(t, testEarlyRendition) }

func testEarlyRendition(t *testing.T, e *env) {
	ctx := context.Background()
	svc := documents.NewService(documents.ServiceConfig{Store: e.svc.Store(), Blobs: e.blobs, Ingester: earlyIngester{},
		Now: func() time.Time { return e.now }})
	_, err := svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "spaet.pdf", "%PDF-spät kaputt")})
	rej := documents.RejectionOf(err)
	if rej == nil || rej.Reason != documents.RejectCrashed {
		t.Fatalf("err = %v, want a parser_crashed rejection", err)
	}
	checkStored(t, e, "after a late refusal", 0)
	a, err := svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "gut.pdf", "%PDF-Seite eins\fSeite zwei")})
	if err != nil {
		t.Fatal(err)
	}
	got := readRendition(t, svc, a.Document.ID)
	if want := "%PDF-Seite eins\fSeite zwei" + renditionMarker; string(got) != want {
		t.Errorf("rendition %q, want %q", got, want)
	}
	if a.Version.Pages != 2 || a.Version.Size != int64(len(got)) {
		t.Errorf("version: %d pages, %d bytes; want 2, %d", a.Version.Pages, a.Version.Size, len(got))
	}
	checkStored(t, e, "shared", 2)
}

// checkStored checks that e holds blobs blobs and no pending ones.
func checkStored(t *testing.T, e *env, what string, blobs int) {
	t.Helper()
	if got := countBlobs(t, e.blobs); got != blobs {
		t.Errorf("%s: blobs = %d, want %d", what, got, blobs)
	}
	var n int
	if err := e.svc.Store().DB().QueryRow(`SELECT COUNT(*) FROM pending_blobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%s: %d pending blobs, want none", what, n)
	}
}

// readRendition returns the rendition of document id's first version.
func readRendition(t *testing.T, svc *documents.Service, id int64) []byte {
	t.Helper()
	_, rc, err := svc.Open(context.Background(), id, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnknownDocument(t *testing.T) { eachEnv(t, testUnknownDocument) }

func testUnknownDocument(t *testing.T, e *env) {
	ctx := context.Background()
	_, err := e.svc.AddVersion(ctx, 42, documents.Upload{Path: e.file(t, "x.pdf", "%PDF-x")})
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.ENOTFOUND; got != want {
		t.Errorf("code = %q, want %q", got, want)
	}
	if _, err := e.svc.Store().FindVersion(ctx, 42, 0); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("FindVersion: %v, want not found", err)
	}
}

// Versions, pages and documents cannot be changed or deleted behind the
// service's back: the schema's triggers refuse it.
func TestVersionsAreImmutable(t *testing.T) { eachEnv(t, testVersionsAreImmutable) }

func testVersionsAreImmutable(t *testing.T, e *env) {
	ctx := context.Background()
	a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "a.pdf", "%PDF-a")})
	if err != nil {
		t.Fatal(err)
	}
	db := e.svc.Store().DB()
	for _, q := range []string{
		`UPDATE versions SET sha256 = '0000000000000000000000000000000000000000000000000000000000000000'`,
		`UPDATE versions SET pages = 7`,
		`DELETE FROM versions`,
		`UPDATE pages SET text = 'manipuliert'`,
		`DELETE FROM pages`,
		`DELETE FROM documents`,
	} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: succeeded, want refused", q)
		}
	}
	if sqldb.DialectOf(db) == sqldb.Postgres {
		// TRUNCATE passes by row triggers; SQLite has none.
		for _, q := range []string{`TRUNCATE pages`, `TRUNCATE versions, pages`, `TRUNCATE documents CASCADE`} {
			if _, err := db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "never deleted") {
				t.Errorf("%s: %v, want refused by the trigger", q, err)
			}
		}
	}
	v, err := e.svc.Store().FindVersion(ctx, a.Document.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.SHA256, a.Version.SHA256; got != want {
		t.Errorf("sha256 changed: %s", got)
	}
}

// Uploads of new versions of one document at the same moment each get a
// number of their own, and exactly one is current: SQLite serialises them
// by its one writer, PostgreSQL by the document's row lock.
func TestConcurrentVersions(t *testing.T) { eachEnv(t, testConcurrentVersions) }

func testConcurrentVersions(t *testing.T, e *env) {
	ctx := context.Background()
	a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "a.pdf", "%PDF-a")})
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	paths := make([]string, n)
	for i := range paths {
		paths[i] = e.file(t, fmt.Sprintf("v%d.pdf", i), fmt.Sprintf("%%PDF-Fassung %d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.AddVersion(ctx, a.Document.ID, documents.Upload{Path: p, Uploader: "clerk"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent upload: %v", err)
		}
	}
	vs, err := e.svc.Store().FindVersions(ctx, a.Document.ID)
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for i, v := range vs {
		if got, want := v.Number, i+1; got != want {
			t.Errorf("version %d has number %d", want, got)
		}
		if v.State == documents.StateActive {
			active++
		}
	}
	if got, want := len(vs), n+1; got != want {
		t.Errorf("versions = %d, want %d", got, want)
	}
	if got, want := active, 1; got != want {
		t.Errorf("active versions = %d, want %d", got, want)
	}
}

func TestSweep(t *testing.T) { eachEnv(t, testSweep) }

func testSweep(t *testing.T, e *env) {
	ctx := context.Background()
	a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "a.pdf", "%PDF-behalten")})
	if err != nil {
		t.Fatal(err)
	}
	// An orphan, as a crash between blob write and commit leaves one.
	orphan := []byte("%PDF-verwaist")
	key := sha(orphan)
	if err := e.blobs.Put(ctx, key, bytes.NewReader(orphan), int64(len(orphan))); err != nil {
		t.Fatal(err)
	}
	// Within the grace period nothing goes.
	res, err := e.svc.Sweep(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Deleted, 0; got != want {
		t.Errorf("deleted within grace = %d, want %d", got, want)
	}
	// Past it (the service's clock moves on) only the orphan goes.
	e.now = time.Now().Add(2 * time.Hour)
	res, err = e.svc.Sweep(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Deleted, 1; got != want {
		t.Errorf("deleted = %d, want %d", got, want)
	}
	if _, err := e.blobs.Stat(ctx, key); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("orphan still there: %v", err)
	}
	for _, orig := range []bool{false, true} {
		if _, rc, err := e.svc.Open(ctx, a.Document.ID, 1, orig); err != nil {
			t.Errorf("referenced blob swept (original=%v): %v", orig, err)
		} else {
			rc.Close()
		}
	}
}

// Lists filter by kind and ids, page oldest or newest first (in full or
// as ids), and a rendition's
// hash finds every version that has it.
func TestFindDocuments(t *testing.T) { eachEnv(t, testFindDocuments) }

func testFindDocuments(t *testing.T, e *env) {
	ctx := context.Background()
	var ids []int64
	for i, kind := range []string{documents.KindDraft, documents.KindAgenda, documents.KindDraft, documents.KindDraft} {
		a, err := e.svc.AddDocument(ctx, documents.Upload{
			Path: e.file(t, fmt.Sprintf("d%d.pdf", i), fmt.Sprintf("%%PDF-Dokument %d", i)), Kind: kind,
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.Document.ID)
	}
	for _, tc := range []struct {
		f    documents.DocumentFilter
		want []int64
	}{
		{documents.DocumentFilter{}, ids},
		{documents.DocumentFilter{Kind: documents.KindDraft}, []int64{ids[0], ids[2], ids[3]}},
		{documents.DocumentFilter{Kind: documents.KindDraft, Newest: true, Limit: 2}, []int64{ids[3], ids[2]}},
		{documents.DocumentFilter{Limit: 2, Offset: 3}, []int64{ids[3]}},
		{documents.DocumentFilter{IDs: []int64{ids[3], ids[0], 999999}, Newest: true}, []int64{ids[3], ids[0]}},
		{documents.DocumentFilter{IDs: []int64{ids[1], ids[2]}, Kind: documents.KindDraft}, []int64{ids[2]}},
		{documents.DocumentFilter{IDs: []int64{}}, nil},
	} {
		docs, err := e.svc.Store().FindDocuments(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, d := range docs {
			got = append(got, d.ID)
			if d.Current != 1 || d.Pages != 1 {
				t.Errorf("document %d: current %d, pages %d, want 1, 1", d.ID, d.Current, d.Pages)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("FindDocuments(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	// The same bytes as a version of another document.
	first, err := e.svc.Store().FindVersion(ctx, ids[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddVersion(ctx, ids[1], documents.Upload{Path: e.file(t, "same.pdf", "%PDF-Dokument 0")}); err != nil {
		t.Fatal(err)
	}
	vs, err := e.svc.Store().FindVersionsBySHA256(ctx, first.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].DocumentID != ids[0] || vs[1].DocumentID != ids[1] {
		t.Errorf("versions with the first's hash: %+v", vs)
	}
	if got, want := vs[0].Sanitized, []string{"JavaScript"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sanitized = %v, want %v", got, want)
	}
}

// BenchmarkAddVersion measures an upload's database and blob work (the
// PDF engine is the fake one) on each database; for a fair comparison
// with SQLite's synchronous=FULL, the test cluster must fsync too:
//
//	RATSMAPPE_TEST_POSTGRES_DURABLE=1 go test -run '^$' -bench AddVersion -benchtime 300x ./documents/
func BenchmarkAddVersion(b *testing.B) {
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			e := newEnv(b, dbtest.Open(b, d))
			ctx := context.Background()
			a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(b, "a.pdf", "%PDF-a"), Uploader: "amt"})
			if err != nil {
				b.Fatal(err)
			}
			paths := make([]string, b.N)
			for i := range paths {
				paths[i] = e.file(b, fmt.Sprintf("v%d.pdf", i), fmt.Sprintf("%%PDF-Fassung %d\fSeite 2", i))
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := e.svc.AddVersion(ctx, a.Document.ID, documents.Upload{Path: paths[i], Uploader: "amt"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAddDocument is BenchmarkAddVersion for new documents, what a
// clerk's upload (POST /api/v1/documents) makes.
//
//	RATSMAPPE_TEST_POSTGRES_DURABLE=1 go test -run '^$' -bench AddDocument -benchtime 300x ./documents/
func BenchmarkAddDocument(b *testing.B) {
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			e := newEnv(b, dbtest.Open(b, d))
			ctx := context.Background()
			paths := make([]string, b.N)
			for i := range paths {
				paths[i] = e.file(b, fmt.Sprintf("d%d.pdf", i), fmt.Sprintf("%%PDF-Dokument %d\fSeite 2", i))
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := e.svc.AddDocument(ctx, documents.Upload{Path: paths[i], Uploader: "amt"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// heldIngester is fakeIngester, but each file waits in Ingest until the
// test lets it go: the upload is then in flight for as long as the test
// needs.
type heldIngester struct {
	fakeIngester
	entered chan string        // the file's path, when its ingestion starts
	release chan chan struct{} // each file takes one and waits for it to close
}

func (h heldIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	h.entered <- path
	<-<-h.release
	return h.fakeIngester.Ingest(ctx, path)
}

// An upload in flight is what background work gives way to: Idle is
// closed while none runs, open from the start of an upload to the end of
// the last one running, refused uploads included.
func TestIdle(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, sqldb.SQLite))
	held := heldIngester{entered: make(chan string), release: make(chan chan struct{}, 2)}
	svc := documents.NewService(documents.ServiceConfig{Store: e.svc.Store(), Blobs: e.blobs, Ingester: held})
	idle := func() bool {
		select {
		case <-svc.Idle():
			return true
		default:
			return false
		}
	}
	if !idle() {
		t.Fatal("not idle before any upload")
	}
	var errs [2]error
	var wg sync.WaitGroup
	for i, content := range []string{"%PDF-eins", "kein PDF"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.AddDocument(context.Background(), documents.Upload{Path: e.file(t, fmt.Sprint(i, ".pdf"), content)})
		}()
		<-held.entered
	}
	wait := svc.Idle()
	first, second := make(chan struct{}), make(chan struct{})
	held.release <- first
	held.release <- second
	close(first)
	if idle() {
		t.Error("idle while two uploads run")
	}
	close(second)
	wg.Wait()
	<-wait // closed by the end of the last one
	if !idle() {
		t.Error("not idle after the uploads")
	}
	rej := documents.RejectionOf(errs[1])
	if errs[0] != nil || rej == nil {
		t.Errorf("uploads: %v, %v; want one added, one refused", errs[0], errs[1])
	}
}

// A long file's pages are all stored, in order, each with its own text,
// however the store splits its writes.
func TestManyPages(t *testing.T) { eachEnv(t, testManyPages) }

func testManyPages(t *testing.T, e *env) {
	ctx := context.Background()
	texts := make([]string, 250)
	for i := range texts {
		texts[i] = fmt.Sprintf("Seite %d: Anlage zum Bebauungsplan", i+1)
	}
	a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "lang.pdf", "%PDF-"+strings.Join(texts, "\f"))})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := e.svc.Store().FindPages(ctx, a.Document.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version.Pages != len(texts) || len(pages) != len(texts) {
		t.Fatalf("%d pages in the version, %d stored; want %d", a.Version.Pages, len(pages), len(texts))
	}
	for i, p := range pages {
		if p.Number != i+1 || p.Text != texts[i] || p.Width != 595 {
			t.Errorf("page %d: number %d, text %q, width %v; want %d, %q, 595", i+1, p.Number, p.Text, p.Width, i+1, texts[i])
		}
	}
}

func TestFindPagesOf(t *testing.T) { eachEnv(t, testFindPagesOf) }

// testFindPagesOf: the batch answers each version as FindPages does,
// only the versions asked for (not another version of the same
// document), and leaves out versions that have no pages.
func testFindPagesOf(t *testing.T, e *env) {
	ctx := context.Background()
	a, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "a.pdf", "%PDF-A eins\fA zwei"), Kind: documents.KindDraft, Uploader: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	if _, err := e.svc.AddVersion(ctx, a.Document.ID, documents.Upload{Path: e.file(t, "a2.pdf", "%PDF-A neu"), Uploader: "clerk"}); err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.AddDocument(ctx, documents.Upload{Path: e.file(t, "b.pdf", "%PDF-B eins"), Kind: documents.KindDraft, Uploader: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	keys := []documents.VersionKey{{Document: a.Document.ID, Number: 2}, {Document: b.Document.ID, Number: 1}, {Document: b.Document.ID + 100, Number: 1}}
	got, err := e.svc.Store().FindPagesOf(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("FindPagesOf answered %d versions, want 2 (the missing one absent, version 1 of a not asked for): %v", len(got), got)
	}
	for _, k := range keys[:2] {
		want, err := e.svc.Store().FindPages(ctx, k.Document, k.Number)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[k], want) {
			t.Errorf("FindPagesOf %v = %v, want FindPages' %v", k, got[k], want)
		}
	}
}
