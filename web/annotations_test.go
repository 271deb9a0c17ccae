package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/annotate/pdfexport"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

// pagesIngester stands in for the PDF worker pool (tested in
// documents/pdfworker): an upload is plain text with pages separated by
// form feeds; the rendition is a real PDF typeset from it by textpdf, so
// that the export can be read back.
type pagesIngester struct{ dir string }

func (p pagesIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	texts := strings.Split(string(b), "\f")
	var blocks []string
	var pages []documents.Page
	for i, t := range texts {
		if i > 0 {
			blocks = append(blocks, "\f")
		}
		blocks = append(blocks, t)
		pages = append(pages, documents.Page{Number: i + 1, Width: 595.28, Height: 841.89, Text: t})
	}
	f, err := os.CreateTemp(p.dir, "rendition-*.pdf")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := textpdf.Write(f, textpdf.Doc{Title: "Vorlage", Blocks: blocks}); err != nil {
		return nil, err
	}
	return &documents.Ingested{RenditionPath: f.Name(), Pages: pages}, nil
}

type annEnv struct {
	t      *testing.T
	srv    *httptest.Server
	st     *sessions.Store
	acc    *accounts.Store
	svc    *documents.Service
	dir    string
	tokens map[string]string // role → bearer token
	doc    int64             // on a non-public item of the council: members of the council see it
	public int64             // on a public item: everyone sees it
	item   int64             // the non-public item doc is attached to
	meet   *sessions.Meeting // the published meeting with both items
	person map[string]int64  // account name → person id
}

var page1 = "Beschlussvorlage 2026/0042. Neubau der Grundschule am Lindenplatz. Der Gemeinderat beschließt den Neubau der Grundschule mit vier Zügen."
var page2 = "Begründung. Die Schülerzahlen steigen seit fünf Jahren. Die Kosten betragen 12,4 Millionen Euro und werden über zwei Haushaltsjahre verteilt."

// newAnnEnv builds a council: anna and bert (faction Grüne) and carl
// (faction Union) are members of the council; dora (Grüne) is not; a
// clerk and an admin.
func newAnnEnv(t *testing.T) *annEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	must(t, schema.Migrate(ctx, db))
	st := sessions.NewStore(db, nil)
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	must(t, err)
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: pagesIngester{dir: dir}})
	e := &annEnv{t: t, st: st, acc: accounts.NewStore(db, nil), svc: svc, dir: dir, tokens: map[string]string{}, person: map[string]int64{}}

	body := &sessions.Body{Name: "Stadt Lindenau"}
	must(t, st.CreateBody(ctx, body))
	org := func(name, class string) int64 {
		o := &sessions.Organization{BodyID: body.ID, Name: name, Classification: class}
		must(t, st.CreateOrganization(ctx, o))
		return o.ID
	}
	rat, gruene, union := org("Gemeinderat", sessions.ClassCouncil), org("Grüne", sessions.ClassFaction), org("Union", sessions.ClassFaction)
	account := func(name string, role access.Role, orgs ...int64) {
		var person int64
		if len(orgs) > 0 {
			p := &sessions.Person{BodyID: body.ID, GivenName: name, FamilyName: "Beispiel"}
			must(t, st.CreatePerson(ctx, p))
			for _, o := range orgs {
				must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: o, Role: "Mitglied", StartDate: "2024-01-01"}))
			}
			person = p.ID
			e.person[name] = p.ID
		}
		a := &accounts.Account{Name: name, DisplayName: name + " Beispiel", Role: role, PersonID: person}
		must(t, e.acc.CreateAccount(ctx, a, ""))
		_, tok, err := e.acc.CreateAPIToken(ctx, a.ID, "test")
		must(t, err)
		e.tokens[name] = tok
	}
	account("anna", access.RoleMember, rat, gruene)
	account("bert", access.RoleMember, rat, gruene)
	account("carl", access.RoleMember, rat, union)
	account("dora", access.RoleMember, gruene)
	account("clerk", access.RoleClerk)
	account("admin", access.RoleAdmin)

	m := &sessions.Meeting{OrganizationID: rat, Name: "Sitzung", Start: time.Now().Add(48 * time.Hour)}
	must(t, st.CreateMeeting(ctx, m))
	e.meet = m
	secret := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: "Grundstück"}
	must(t, st.CreateAgendaItem(ctx, secret))
	e.item = secret.ID
	open := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Schule", Public: true}
	must(t, st.CreateAgendaItem(ctx, open))
	e.doc = e.upload(0, page1, page2)
	must(t, st.Attach(ctx, &sessions.Attachment{DocumentID: e.doc, AgendaItemID: secret.ID, Role: sessions.RoleAttachment, Title: "Vorlage"}))
	e.public = e.upload(0, "Öffentliche Bekanntmachung. Die Sitzung ist öffentlich.")
	a := &sessions.Attachment{DocumentID: e.public, AgendaItemID: open.ID, Role: sessions.RoleAttachment, Title: "Bekanntmachung"}
	must(t, st.Attach(ctx, a))
	must(t, st.SetAttachmentPublic(ctx, a.ID, true))
	must(t, st.PublishMeeting(ctx, m.ID, time.Now().Add(-time.Hour)))

	h, err := web.NewServer(web.Config{Documents: svc, Sessions: st, DB: db, PacketDir: filepath.Join(dir, "packets"), Logger: slog.New(slog.DiscardHandler)})
	must(t, err)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// upload adds a document (id 0) or a version with the given page texts.
func (e *annEnv) upload(id int64, pages ...string) int64 {
	e.t.Helper()
	p := filepath.Join(e.dir, fmt.Sprintf("upload-%d.txt", time.Now().UnixNano()))
	must(e.t, os.WriteFile(p, []byte(strings.Join(pages, "\f")), 0o644))
	u := documents.Upload{Path: p, FileName: "Vorlage.pdf", Uploader: "amt", Kind: documents.KindDraft}
	if id == 0 {
		a, err := e.svc.AddDocument(context.Background(), u)
		must(e.t, err)
		return a.Document.ID
	}
	_, err := e.svc.AddVersion(context.Background(), id, u)
	must(e.t, err)
	return id
}

// do sends a request as who ("" is anonymous) and returns status and body.
func (e *annEnv) do(who, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// highlight returns a highlight of quote on page of version n of doc,
// with a note if note is set.
func highlight(doc int64, n, page int, prefix, quote, suffix, note string) map[string]any {
	a := map[string]any{
		"@context":   annotate.Context,
		"type":       "Annotation",
		"motivation": "highlighting",
		"target": map[string]any{
			"source": fmt.Sprintf("/api/v1/documents/%d/versions/%d", doc, n),
			"selector": []any{
				map[string]any{"type": "FragmentSelector", "value": fmt.Sprintf("page=%d", page), "conformsTo": annotate.PDFFragment},
				map[string]any{"type": "TextQuoteSelector", "exact": quote, "prefix": prefix, "suffix": suffix},
			},
		},
	}
	if note != "" {
		a["body"] = map[string]any{"type": "TextualBody", "value": note, "format": "text/plain"}
	}
	return a
}

type listJSON struct {
	Current int                   `json:"current"`
	Items   []annotate.Annotation `json:"items"`
}

func (e *annEnv) list(who string, doc int64) (int, listJSON) {
	e.t.Helper()
	status, b := e.do(who, "GET", fmt.Sprintf("/api/v1/annotations?document=%d", doc), nil)
	var l listJSON
	if status == 200 {
		must(e.t, json.Unmarshal(b, &l))
	}
	return status, l
}

type changesJSON struct {
	Changes []struct {
		ID         string               `json:"id"`
		Revision   int64                `json:"revision"`
		Deleted    bool                 `json:"deleted"`
		Withheld   bool                 `json:"withheld"`
		Annotation *annotate.Annotation `json:"annotation"`
	} `json:"changes"`
	Next string `json:"next"`
	More bool   `json:"more"`
}

func (e *annEnv) changes(who, since string, limit int) changesJSON {
	e.t.Helper()
	status, b := e.do(who, "GET", fmt.Sprintf("/api/v1/annotations/changes?since=%s&limit=%d", since, limit), nil)
	if status != 200 {
		e.t.Fatalf("changes: %d %s", status, b)
	}
	var c changesJSON
	must(e.t, json.Unmarshal(b, &c))
	return c
}

const (
	uuidA = "0b6f1a52-4a43-4b8e-9d55-3f3d2a1c0001"
	uuidB = "0b6f1a52-4a43-4b8e-9d55-3f3d2a1c0002"
	uuidC = "0b6f1a52-4a43-4b8e-9d55-3f3d2a1c0003"
)

func put(e *annEnv, who, uuid string, a map[string]any) (int, annotate.Annotation) {
	e.t.Helper()
	status, b := e.do(who, "PUT", "/api/v1/annotations/"+uuid, a)
	var out annotate.Annotation
	if status < 300 {
		must(e.t, json.Unmarshal(b, &out))
	}
	return status, out
}

// Two devices of one member: each creates annotations offline and sends
// them later; concurrent edits end with the last write the server got; a
// delete wins over an edit made before it; the cursor pages through
// everything exactly once.
func TestAnnotationSyncTwoDevices(t *testing.T) {
	e := newAnnEnv(t)
	// Device 1 and device 2 both created an annotation while offline.
	if s, _ := put(e, "anna", uuidA, highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", "Gerät 1")); s != 201 {
		t.Fatalf("PUT A: %d", s)
	}
	s, b := put(e, "anna", uuidB, highlight(e.doc, 1, 2, "", "12,4 Millionen Euro", "", "Gerät 2"))
	if s != 201 {
		t.Fatalf("PUT B: %d", s)
	}
	if b.Anchoring == nil || b.Anchoring.State != annotate.Anchored || b.Anchoring.Version != 1 || b.ID != "urn:uuid:"+uuidB {
		t.Fatalf("PUT B answered %+v", b)
	}
	// The same PUT again (a retry after a lost answer) changes nothing
	// but the revision.
	if s, again := put(e, "anna", uuidB, highlight(e.doc, 1, 2, "", "12,4 Millionen Euro", "", "Gerät 2")); s != 200 || again.Note() != "Gerät 2" {
		t.Fatalf("repeated PUT: %d %q", s, again.Note())
	}
	_, l := e.list("anna", e.doc)
	if len(l.Items) != 2 {
		t.Fatalf("both devices' annotations: got %d", len(l.Items))
	}

	// Concurrent edits of A: device 2's write reaches the server last.
	_, a1 := put(e, "anna", uuidA, highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", "Gerät 1 bearbeitet"))
	_, a2 := put(e, "anna", uuidA, highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", "Gerät 2 bearbeitet"))
	if a2.Revision <= a1.Revision {
		t.Fatalf("revisions %d, %d", a1.Revision, a2.Revision)
	}
	_, l = e.list("anna", e.doc)
	for _, it := range l.Items {
		if it.ID == "urn:uuid:"+uuidA && it.Note() != "Gerät 2 bearbeitet" {
			t.Fatalf("last write should win, got %q", it.Note())
		}
	}

	// Device 1 deletes A; device 2, still offline, edits A on the
	// revision it knew. The delete wins and A stays deleted.
	if s, _ := e.do("anna", "DELETE", "/api/v1/annotations/"+uuidA, nil); s != 204 {
		t.Fatalf("DELETE: %d", s)
	}
	if s, _ := e.do("anna", "DELETE", "/api/v1/annotations/"+uuidA, nil); s != 204 {
		t.Fatalf("DELETE again: %d", s)
	}
	stale := highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", "Gerät 2 offline")
	stale["ratsmappe:baseRevision"] = a2.Revision
	s, body := e.do("anna", "PUT", "/api/v1/annotations/"+uuidA, stale)
	if s != 409 || !strings.Contains(string(body), `"reason":"deleted"`) {
		t.Fatalf("edit of a deleted annotation: %d %s", s, body)
	}
	// A device without any base revision cannot resurrect it either.
	if s, _ := put(e, "anna", uuidA, highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", "ohne Basis")); s != 409 {
		t.Fatalf("PUT without base onto tombstone: %d", s)
	}
	_, l = e.list("anna", e.doc)
	if len(l.Items) != 1 || l.Items[0].ID != "urn:uuid:"+uuidB {
		t.Fatalf("after delete: %+v", l.Items)
	}

	// Cursor paging, one change at a time: every annotation once, in its
	// latest state, A as a tombstone.
	seen := map[string]bool{}
	cur := ""
	for i := 0; ; i++ {
		c := e.changes("anna", cur, 1)
		for _, ch := range c.Changes {
			if seen[ch.ID] {
				t.Fatalf("%s twice", ch.ID)
			}
			seen[ch.ID] = true
			if ch.ID == "urn:uuid:"+uuidA && !ch.Deleted {
				t.Fatalf("A should be a tombstone: %+v", ch)
			}
			if ch.ID == "urn:uuid:"+uuidB && (ch.Annotation == nil || ch.Annotation.Note() != "Gerät 2") {
				t.Fatalf("B: %+v", ch)
			}
		}
		cur = c.Next
		if !c.More {
			break
		}
		if i > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 2 {
		t.Fatalf("changes: %v", seen)
	}
	if c := e.changes("anna", cur, 100); len(c.Changes) != 0 || c.Next != cur {
		t.Fatalf("nothing new since the last cursor: %+v", c)
	}
	// The other device, knowing of the delete (base = tombstone
	// revision), may restore the annotation on purpose.
	c := e.changes("anna", "", 100)
	var tomb int64
	for _, ch := range c.Changes {
		if ch.ID == "urn:uuid:"+uuidA {
			tomb = ch.Revision
		}
	}
	restore := highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", "wiederhergestellt")
	restore["ratsmappe:baseRevision"] = tomb
	if s, _ := put(e, "anna", uuidA, restore); s != 200 {
		t.Fatalf("restore: %d", s)
	}
	if c := e.changes("anna", cur, 100); len(c.Changes) != 1 || c.Changes[0].Annotation.Note() != "wiederhergestellt" {
		t.Fatalf("restore in changes: %+v", c)
	}
	if s, _ := e.do("anna", "GET", "/api/v1/annotations/changes?since=xyz", nil); s != 400 {
		t.Fatalf("bad cursor: %d", s)
	}
}

// No account but the author reads a private annotation — on any endpoint;
// a faction-shared one reaches exactly the author's current faction
// peers, read-only.
func TestAnnotationPrivacy(t *testing.T) {
	e := newAnnEnv(t)
	const secret = "Nur für mich: Grundstückspreis prüfen"
	const shared = "Für die Fraktion: Zahlen nachfragen"
	if s, _ := put(e, "anna", uuidA, highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", secret)); s != 201 {
		t.Fatal(s)
	}
	sh := highlight(e.doc, 1, 2, "", "12,4 Millionen Euro", "", shared)
	sh["ratsmappe:shared"] = "faction"
	if s, _ := put(e, "anna", uuidB, sh); s != 201 {
		t.Fatal(s)
	}
	// On the public document too, so that even those who see the
	// document find nothing of anna's.
	if s, _ := put(e, "anna", uuidC, highlight(e.doc, 1, 1, "", "Neubau", "", secret)); s != 201 {
		t.Fatal(s)
	}
	if s, _ := put(e, "anna", "0b6f1a52-4a43-4b8e-9d55-3f3d2a1c0004", highlight(e.public, 1, 1, "", "Bekanntmachung", "", secret)); s != 201 {
		t.Fatal(s)
	}

	for _, who := range []string{"", "bert", "carl", "dora", "clerk", "admin"} {
		t.Run("as "+who, func(t *testing.T) {
			sees := who == "bert" // same faction, sees the document
			for _, doc := range []int64{e.doc, e.public} {
				s, b := e.do(who, "GET", fmt.Sprintf("/api/v1/annotations?document=%d", doc), nil)
				if strings.Contains(string(b), secret) || strings.Contains(string(b), uuidA) {
					t.Fatalf("list of %d shows the private note: %s", doc, b)
				}
				if got := strings.Contains(string(b), shared); got != (sees && doc == e.doc) {
					t.Fatalf("list of %d: shared note shown = %v (%d %s)", doc, got, s, b)
				}
			}
			if who == "" {
				for _, p := range []string{"/api/v1/annotations?document=1", "/api/v1/annotations/changes", "/api/v1/annotations/" + uuidA} {
					if s, _ := e.do("", "GET", p, nil); s != 401 {
						t.Fatalf("anonymous GET %s: %d", p, s)
					}
				}
				if s, _ := e.do("", "DELETE", "/api/v1/annotations/"+uuidA, nil); s != 401 {
					t.Fatalf("anonymous DELETE: %d", s)
				}
				if s, _ := e.do("", "PUT", "/api/v1/annotations/"+uuidA, highlight(e.public, 1, 1, "", "x", "", "")); s != 401 {
					t.Fatalf("anonymous PUT: %d", s)
				}
				return
			}
			_, b := e.do(who, "GET", "/api/v1/annotations/changes", nil)
			if strings.Contains(string(b), secret) || strings.Contains(string(b), uuidA) {
				t.Fatalf("changes show the private note: %s", b)
			}
			// A faction peer who may not see the document (dora) learns
			// nothing of the note shared on it: not its ID, not its time.
			if !sees && (strings.Contains(string(b), uuidB) || strings.Contains(string(b), uuidC)) {
				t.Fatalf("changes mention an annotation on a document %s may not read: %s", who, b)
			}
			if got := strings.Contains(string(b), shared); got != sees {
				t.Fatalf("changes: shared note shown = %v: %s", got, b)
			}
			if sees {
				_, l := e.list(who, e.doc)
				if len(l.Items) != 1 || l.Items[0].SharedBy == nil || l.Items[0].SharedBy.Name != "anna Beispiel" {
					t.Fatalf("shared annotation not marked: %+v", l.Items)
				}
			}
			// A single read of anna's UUID answers like a missing one.
			for _, u := range []string{uuidA, uuidB} {
				s1, b1 := e.do(who, "GET", "/api/v1/annotations/"+u, nil)
				s2, b2 := e.do(who, "GET", "/api/v1/annotations/0b6f1a52-4a43-4b8e-9d55-3f3d2a1c0fff", nil)
				if s1 != 404 || s1 != s2 || string(b1) != string(b2) {
					t.Fatalf("GET %s: %d %s, missing: %d %s", u, s1, b1, s2, b2)
				}
				if s, _ := e.do(who, "DELETE", "/api/v1/annotations/"+u, nil); s != 404 {
					t.Fatalf("DELETE of anna's %s: %d", u, s)
				}
			}
			// A PUT on anna's UUID makes the caller's own annotation and
			// leaves anna's alone (read-only for peers, too).
			s, got := put(e, who, uuidA, highlight(e.public, 1, 1, "", "Bekanntmachung", "", "meins"))
			if s != 201 || got.Note() != "meins" {
				t.Fatalf("PUT on anna's uuid: %d %+v", s, got)
			}
			if s, _ := e.do(who, "DELETE", "/api/v1/annotations/"+uuidA, nil); s != 204 {
				t.Fatalf("DELETE own: %d", s)
			}
			// Export of anna's document version: only the caller's.
			for _, f := range []string{"annotations.json", "annotations.pdf"} {
				_, b := e.do(who, "GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/%s", e.doc, f), nil)
				if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(shared)) {
					t.Fatalf("export %s shows anna's notes", f)
				}
			}
		})
	}
	// anna stops sharing: bert's device is told to drop its copy, and
	// learns nothing else.
	cur := e.changes("bert", "", 100).Next
	sh["ratsmappe:shared"] = "private"
	put(e, "anna", uuidB, sh)
	if c := e.changes("bert", cur, 100); len(c.Changes) != 1 || !c.Changes[0].Deleted || c.Changes[0].Annotation != nil {
		t.Fatalf("bert after unsharing: %+v", c)
	}
	if _, l := e.list("bert", e.doc); len(l.Items) != 0 {
		t.Fatalf("bert still lists %d", len(l.Items))
	}
	// anna's annotations are untouched by all of it.
	_, l := e.list("anna", e.doc)
	if len(l.Items) != 3 {
		t.Fatalf("anna has %d annotations on the document, want 3", len(l.Items))
	}
	for _, it := range l.Items {
		if it.ID == "urn:uuid:"+uuidA && it.Note() != secret {
			t.Fatalf("anna's note was overwritten: %q", it.Note())
		}
	}
	// dora is not in the council: she may not annotate its document, and
	// the answer is the one for a missing document.
	s1, b1 := put(e, "dora", uuidC, highlight(e.doc, 1, 1, "", "Neubau", "", "x"))
	s2, b2 := put(e, "dora", uuidC, highlight(99, 1, 1, "", "Neubau", "", "x"))
	if s1 != 404 || s2 != 404 || b1.ID != b2.ID {
		t.Fatalf("dora PUT on a document she may not see: %d, missing: %d", s1, s2)
	}
	// A clerk's own annotations are as private as anyone's.
	put(e, "clerk", uuidC, highlight(e.doc, 1, 1, "", "Neubau", "", "Notiz des Amts"))
	if _, b := e.do("admin", "GET", fmt.Sprintf("/api/v1/annotations?document=%d", e.doc), nil); strings.Contains(string(b), "Notiz des Amts") {
		t.Fatal("admin reads the clerk's note")
	}
}

// A refused annotation says why, with a stable reason.
func TestAnnotationValidation(t *testing.T) {
	e := newAnnEnv(t)
	ok := func() map[string]any { return highlight(e.doc, 1, 1, "", "Neubau", "", "") }
	big := ok()
	big["body"] = map[string]any{"type": "TextualBody", "value": strings.Repeat("x", annotate.MaxSize)}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		reason string
	}{
		{"not json", "{", 400, "malformed_json"},
		{"unknown field of ours", func() any { a := ok(); a["ratsmappe:evil"] = 1; return a }(), 400, "unknown_field"},
		{"wrong context", func() any { a := ok(); a["@context"] = "http://example.org"; return a }(), 400, "bad_context"},
		{"motivation", func() any { a := ok(); a["motivation"] = "editing"; return a }(), 400, "bad_motivation"},
		{"source elsewhere", func() any {
			a := ok()
			a["target"].(map[string]any)["source"] = "/api/v1/meetings/1"
			return a
		}(), 400, "bad_source"},
		{"unknown selector", func() any {
			a := ok()
			a["target"].(map[string]any)["selector"] = []any{map[string]any{"type": "CssSelector", "value": "p"}}
			return a
		}(), 400, "bad_selector"},
		{"no page", func() any {
			a := ok()
			a["target"].(map[string]any)["selector"] = []any{map[string]any{"type": "TextQuoteSelector", "exact": "x"}}
			return a
		}(), 400, "missing_page"},
		{"drawing without ink", func() any { a := ok(); a["motivation"] = "drawing"; return a }(), 400, "bad_ink"},
		{"too large", big, 413, "too_large"},
	} {
		s, b := e.do("anna", "PUT", "/api/v1/annotations/"+uuidA, tc.body)
		if s != tc.status || !strings.Contains(string(b), `"reason":"`+tc.reason+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, s, b, tc.status, tc.reason)
		}
	}
	// An absolute URL names the same version and is stored as a path.
	a := ok()
	a["target"].(map[string]any)["source"] = fmt.Sprintf("https://rat.example.org/api/v1/documents/%d/versions/1", e.doc)
	s, got := put(e, "anna", uuidA, a)
	if s != 201 || got.Target.Source != fmt.Sprintf("/api/v1/documents/%d/versions/1", e.doc) {
		t.Fatalf("absolute source: %d %q", s, got.Target.Source)
	}
	if s, _ := e.do("anna", "PUT", "/api/v1/annotations/not-a-uuid", ok()); s != 404 {
		t.Fatalf("bad uuid: %d", s)
	}
}

// When the office uploads a new version, the member's highlight moves to
// it, the old anchoring stays on record, and the reader says "changed".
func TestAnnotationCarriedToNewVersion(t *testing.T) {
	e := newAnnEnv(t)
	hl := highlight(e.doc, 1, 2, "Die Schülerzahlen steigen seit fünf Jahren. ", "Die Kosten betragen 12,4 Millionen Euro", " und werden", "teuer")
	if s, _ := put(e, "anna", uuidA, hl); s != 201 {
		t.Fatal(s)
	}
	if s, _ := e.do("anna", "PUT", fmt.Sprintf("/api/v1/documents/%d/read", e.doc), map[string]int{"version": 1}); s != 204 {
		t.Fatalf("PUT read: %d", s)
	}
	_, b := e.do("anna", "GET", fmt.Sprintf("/api/v1/documents/%d/read", e.doc), nil)
	if !strings.Contains(string(b), `"status":"read"`) {
		t.Fatalf("read status: %s", b)
	}
	// Version 2 puts a new page in front and rewrites the sentence
	// slightly.
	e.upload(e.doc, "Deckblatt. Geänderte Fassung vom 3. März.", page1,
		"Begründung. Die Schülerzahlen steigen seit fünf Jahren. Die Kosten betragen nun 12,6 Millionen Euro und werden über zwei Haushaltsjahre verteilt.")
	_, l := e.list("anna", e.doc)
	if l.Current != 2 || len(l.Items) != 1 {
		t.Fatalf("list after new version: %+v", l)
	}
	it := l.Items[0]
	if it.Anchoring.Version != 2 || it.Anchoring.State != annotate.Anchored || it.Page() != 3 ||
		it.Target.Source != fmt.Sprintf("/api/v1/documents/%d/versions/2", e.doc) {
		t.Fatalf("carried over: %+v %+v", it.Anchoring, it.Target)
	}
	if q, _ := it.Quote(); q.Exact != "Die Kosten betragen nun 12,6 Millionen Euro" {
		t.Fatalf("new quote %q", q.Exact)
	}
	// The old anchoring is on record.
	_, b = e.do("anna", "GET", "/api/v1/annotations/"+uuidA, nil)
	var one annotate.Annotation
	must(t, json.Unmarshal(b, &one))
	if len(one.History) != 1 || one.History[0].FromVersion != 1 || one.History[0].Version != 2 || one.History[0].Page != 3 {
		t.Fatalf("history: %s", b)
	}
	_, b = e.do("anna", "GET", fmt.Sprintf("/api/v1/reads?documents=%d,%d", e.doc, e.public), nil)
	if !strings.Contains(string(b), `"status":"changed"`) || !strings.Contains(string(b), `"status":"new"`) {
		t.Fatalf("reads: %s", b)
	}
}

// What changed: the JSON diff and the HTML page, for the member's
// last-read version by default, refused like a missing document to whom
// may not see it.
func TestDocumentDiff(t *testing.T) {
	e := newAnnEnv(t)
	e.do("anna", "PUT", fmt.Sprintf("/api/v1/documents/%d/read", e.doc), map[string]int{"version": 1})
	e.upload(e.doc, page1, strings.Replace(page2, "12,4", "13,1", 1))
	s, b := e.do("anna", "GET", fmt.Sprintf("/api/v1/documents/%d/diff", e.doc), nil)
	var d struct {
		From, To          int
		Inserted, Deleted int
		Pages             []annotate.PageDiff
	}
	must(t, json.Unmarshal(b, &d))
	if s != 200 || d.From != 1 || d.To != 2 || d.Inserted != 1 || d.Deleted != 1 || d.Pages[0].Changed || !d.Pages[1].Changed {
		t.Fatalf("diff: %d %s", s, b)
	}
	s, b = e.do("anna", "GET", fmt.Sprintf("/documents/%d/diff?from=1&to=2", e.doc), nil)
	html := string(b)
	if s != 200 || !strings.Contains(html, `<del><span class="visually-hidden">[Entfernt:] </span>12,4`) ||
		!strings.Contains(html, `<ins><span class="visually-hidden">[Eingefügt:] </span>13,1`) {
		t.Fatalf("diff page: %d %s", s, html)
	}
	for _, who := range []string{"", "dora"} {
		for _, p := range []string{"/api/v1/documents/%d/diff", "/documents/%d/diff"} {
			if s, _ := e.do(who, "GET", fmt.Sprintf(p, e.doc), nil); s != 404 {
				t.Errorf("%q GET %s: %d", who, p, s)
			}
		}
	}
	if s, _ := e.do("anna", "GET", fmt.Sprintf("/api/v1/documents/%d/diff?from=1&to=7", e.doc), nil); s != 404 {
		t.Errorf("missing version: %d", s)
	}
}

// "Meine Notizen": the member's highlights, notes and drawings come back
// as real PDF annotations, read back from the exported file; the JSON is
// a W3C AnnotationCollection of exactly the member's annotations.
func TestAnnotationExport(t *testing.T) {
	e := newAnnEnv(t)
	src := fmt.Sprintf("/api/v1/documents/%d/versions/1", e.doc)
	withRects := highlight(e.doc, 1, 1, "", "Neubau der Grundschule", "", "Markiert")
	sel := withRects["target"].(map[string]any)["selector"].([]any)
	withRects["target"].(map[string]any)["selector"] = append(sel, map[string]any{"type": "ratsmappe:RectSelector", "rects": [][4]float64{{62, 700, 300, 712}, {62, 686, 200, 698}}})
	put(e, "anna", uuidA, withRects)
	put(e, "anna", uuidB, highlight(e.doc, 1, 2, "", "12,4 Millionen Euro", "", ""))
	put(e, "anna", uuidC, map[string]any{
		"@context": annotate.Context, "type": "Annotation", "motivation": "drawing",
		"body":   map[string]any{"type": "ratsmappe:Ink", "strokes": []any{map[string]any{"points": [][2]float64{{100, 500}, {150, 520}, {200, 480}}, "width": 2, "color": "#0000ff"}}},
		"target": map[string]any{"source": src, "selector": []any{map[string]any{"type": "FragmentSelector", "value": "page=1"}}},
	})
	put(e, "anna", "0b6f1a52-4a43-4b8e-9d55-3f3d2a1c0004", map[string]any{
		"@context": annotate.Context, "type": "Annotation", "motivation": "commenting",
		"body": map[string]any{"type": "TextualBody", "value": "Nachfragen im Ausschuss"},
		"target": map[string]any{"source": src, "selector": []any{map[string]any{"type": "FragmentSelector", "value": "page=2"},
			map[string]any{"type": "ratsmappe:PointSelector", "x": 400, "y": 300}}},
	})
	put(e, "bert", uuidA, highlight(e.doc, 1, 1, "", "Neubau", "", "Berts Notiz"))

	s, b := e.do("anna", "GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/annotations.pdf", e.doc), nil)
	if s != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("export: %d %.200s", s, b)
	}
	if p := os.Getenv("ANNOTATE_EXPORT_DUMP"); p != "" {
		os.WriteFile(p, b, 0o644)
	}
	got, err := pdfexport.Read(bytes.NewReader(b))
	must(t, err)
	var p1, p2 []string
	for _, a := range got[1] {
		p1 = append(p1, a[0]+":"+a[1])
	}
	for _, a := range got[2] {
		p2 = append(p2, a[0]+":"+a[1])
	}
	sort.Strings(p1)
	sort.Strings(p2)
	want1 := []string{"Highlight:Markiert", "Ink:"}
	want2 := []string{"Text:Nachfragen im Ausschuss", "Text:„12,4 Millionen Euro“"}
	if !reflect.DeepEqual(p1, want1) || !reflect.DeepEqual(p2, want2) {
		t.Fatalf("annotations read back:\npage 1 %q\npage 2 %q", p1, p2)
	}
	s, b = e.do("anna", "GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/annotations.json", e.doc), nil)
	var coll struct {
		Type  string `json:"type"`
		Total int    `json:"total"`
		First struct {
			Items []annotate.Annotation `json:"items"`
		} `json:"first"`
	}
	must(t, json.Unmarshal(b, &coll))
	if s != 200 || coll.Type != "AnnotationCollection" || coll.Total != 4 || len(coll.First.Items) != 4 || strings.Contains(string(b), "Berts Notiz") {
		t.Fatalf("json export: %d %s", s, b)
	}
	for _, who := range []string{"", "dora"} {
		if s, _ := e.do(who, "GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/annotations.pdf", e.doc), nil); s != map[string]int{"": 401, "dora": 404}[who] {
			t.Errorf("%q export: %d", who, s)
		}
	}
}

// The reader in the browser writes with the auth cookie: a write needs the
// CSRF token like every other cookie-authenticated API write.
func TestAnnotationCookieNeedsCSRF(t *testing.T) {
	e := newAnnEnv(t)
	ctx := context.Background()
	a, err := e.acc.FindAccountByName(ctx, "anna")
	must(t, err)
	must(t, e.acc.SetPassword(ctx, a.ID, "ein gutes Passwort"))
	c := browser(t)
	tok := loginForm(t, c, e.srv.URL)
	postLogin(t, c, e.srv.URL, tok, "anna", "ein gutes Passwort")
	send := func(method, path, csrf string, body any) int {
		j, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(j))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := c.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	hl := highlight(e.doc, 1, 1, "", "Neubau", "", "")
	if got := send("PUT", "/api/v1/annotations/"+uuidA, "", hl); got != http.StatusForbidden {
		t.Errorf("PUT without token: %d, want 403", got)
	}
	if got := send("PUT", "/api/v1/annotations/"+uuidA, tok, hl); got != http.StatusCreated {
		t.Errorf("PUT with token: %d, want 201", got)
	}
	if got := send("DELETE", "/api/v1/annotations/"+uuidA, "", nil); got != http.StatusForbidden {
		t.Errorf("DELETE without token: %d, want 403", got)
	}
	if got := send("GET", fmt.Sprintf("/api/v1/annotations?document=%d", e.doc), "", nil); got != http.StatusOK {
		t.Errorf("GET with the cookie: %d", got)
	}
}

// A member excluded from the item (Befangenheit) no longer gets their own
// annotations on its document: not listed, withheld in the changes, not
// writable — and they come back when the exclusion is lifted.
func TestAnnotationsFollowDocumentVisibility(t *testing.T) {
	e := newAnnEnv(t)
	ctx := context.Background()
	const note = "Eigene Notiz zum Grundstück"
	put(e, "anna", uuidA, highlight(e.doc, 1, 1, "", "Neubau", "", note))
	must(t, e.st.AddExclusion(ctx, e.item, e.person["anna"], "befangen"))
	if s, _ := e.list("anna", e.doc); s != 404 {
		t.Fatalf("list of a document anna may no longer see: %d", s)
	}
	c := e.changes("anna", "", 100)
	if len(c.Changes) != 1 || !c.Changes[0].Withheld || c.Changes[0].Annotation != nil {
		t.Fatalf("changes: %+v", c)
	}
	if _, b := e.do("anna", "GET", "/api/v1/annotations/changes", nil); strings.Contains(string(b), note) {
		t.Fatal("changes show the note on a hidden document")
	}
	if s, _ := e.do("anna", "GET", "/api/v1/annotations/"+uuidA, nil); s != 404 {
		t.Fatalf("GET: %d", s)
	}
	if s, _ := put(e, "anna", uuidB, highlight(e.doc, 1, 1, "", "Neubau", "", "neu")); s != 404 {
		t.Fatalf("PUT on a hidden document: %d", s)
	}
	for _, p := range []string{"versions/1/annotations.json", "versions/1/annotations.pdf", "diff", "read"} {
		if s, _ := e.do("anna", "GET", fmt.Sprintf("/api/v1/documents/%d/%s", e.doc, p), nil); s != 404 {
			t.Fatalf("GET %s: %d", p, s)
		}
	}
	must(t, e.st.RemoveExclusion(ctx, e.item, e.person["anna"]))
	if _, l := e.list("anna", e.doc); len(l.Items) != 1 || l.Items[0].Note() != note {
		t.Fatalf("after the exclusion ends: %+v", l.Items)
	}
}

// A peer's tombstone is a mention too: when anna stops sharing a note and
// then deletes it, a faction peer who may not see the document (dora)
// still learns nothing of it, while bert, who sees it, gets the tombstone.
func TestAnnotationChangesHideTombstonesOfHiddenDocuments(t *testing.T) {
	e := newAnnEnv(t)
	sh := highlight(e.doc, 1, 2, "", "12,4 Millionen Euro", "", "Für die Fraktion")
	sh["ratsmappe:shared"] = "faction"
	if s, _ := put(e, "anna", uuidB, sh); s != 201 {
		t.Fatal(s)
	}
	if s, _ := e.do("anna", "DELETE", "/api/v1/annotations/"+uuidB, nil); s != 204 {
		t.Fatalf("DELETE: %d", s)
	}
	if _, b := e.do("dora", "GET", "/api/v1/annotations/changes", nil); strings.Contains(string(b), uuidB) {
		t.Fatalf("dora's changes mention the deleted note: %s", b)
	}
	c := e.changes("bert", "", 100)
	if len(c.Changes) != 1 || !strings.HasSuffix(c.Changes[0].ID, uuidB) || !c.Changes[0].Deleted {
		t.Fatalf("bert's changes: %+v", c.Changes)
	}
}
