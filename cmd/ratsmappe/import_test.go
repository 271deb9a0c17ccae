package main_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport/oparltest"
)

type importOut struct {
	Complete bool           `json:"complete"`
	Resumed  bool           `json:"resumed"`
	Since    string         `json:"since"`
	Created  map[string]int `json:"created"`
	Updated  map[string]int `json:"updated"`
	Deleted  map[string]int `json:"deleted"`
	Requests int            `json:"requests"`
	Rejected []struct {
		File, Code string
	} `json:"rejected"`
	Skipped []string `json:"skipped"`
	Refused []struct {
		URL, Via, Host, Message string
	} `json:"refused_urls"`
}

func (c *cli) importOParl(url string, args ...string) importOut {
	c.t.Helper()
	var out importOut
	if err := json.Unmarshal([]byte(c.run(append(append([]string{"import", "oparl", "--json"}, args...), url)...)), &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

func openDB(t *testing.T, data string) *sql.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "ratsmappe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportOParlCommand runs `ratsmappe import oparl` against the
// Karlsruhe corpus served as an OParl endpoint (with real-server quirks
// and 503s), with the real binary and its PDF workers, then again: the
// second run asks only for what changed and creates nothing. Only the
// files of the first 4 papers are served, to keep it fast on 2 cores.
func TestImportOParlCommand(t *testing.T) {
	k, err := oparltest.NewKarlsruhe(oparltest.SharedDir(t, "corpus/karlsruhe"), oparltest.Options{PaperFiles: 4, Quirks: true, PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(k)
	defer srv.Close()
	c := newCLI(t)
	first := c.importOParl(srv.URL+"/oparl/system", "--concurrency", "3")
	if !first.Complete || first.Created["meeting"] != 120 || first.Created["paper"] != 1467 || first.Created["agenda_item"] != 1312 {
		t.Errorf("first import: %+v", first)
	}
	if len(first.Rejected) != 1 || first.Rejected[0].Code != documents.RejectNotPDF {
		t.Errorf("rejected: %+v; want the one HTML page as not_pdf", first.Rejected)
	}
	db := openDB(t, c.data)
	docs := countRows(t, db, "documents")
	if want := k.Counts()["file"] - 1; docs != want || first.Created["document"] != want {
		t.Errorf("%d documents stored, %d reported; want %d", docs, first.Created["document"], want)
	}
	second := c.importOParl(srv.URL + "/oparl/system")
	if !second.Complete || second.Since == "" || len(second.Created) != 0 || len(second.Updated) != 0 {
		t.Errorf("second import: %+v", second)
	}
	if got := countRows(t, db, "versions"); got != docs {
		t.Errorf("second import: %d versions for %d documents", got, docs)
	}
	// --since in the future asks for nothing; --full sees everything
	// again and changes nothing.
	if later := c.importOParl(srv.URL+"/oparl/system", "--since", "2099-01-01"); !later.Complete || len(later.Created)+len(later.Updated) != 0 || !strings.HasPrefix(later.Since, "2099-01-01") {
		t.Errorf("--since: %+v", later)
	}
	if full := c.importOParl(srv.URL+"/oparl/system", "--full"); !full.Complete || full.Since != "" || len(full.Created)+len(full.Updated) != 0 {
		t.Errorf("--full: %+v", full)
	}
	if got := countRows(t, db, "versions"); got != docs {
		t.Errorf("after --full: %d versions for %d documents", got, docs)
	}
	checkConsistent(t, c.data)
}

// TestImportOParlOtherHost: `import oparl` fetches only from the System
// URL's origin — the report lists each URL it did not fetch and why —
// and, once the other host is allowed (--allow-host, or
// RATSMAPPE_IMPORT_ALLOW_HOSTS), the next run brings what was left out.
// A run past its --deadline stops with a readable error.
func TestImportOParlOtherHost(t *testing.T) {
	h, err := oparltest.NewTwoHosts()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c := newCLI(t)
	first := c.importOParl(h.System())
	if !first.Complete || len(first.Refused) != oparltest.Refusals || h.OtherHits.Load() != 0 || first.Created["paper"] != 1 {
		t.Fatalf("first import (%d requests to the other host): %+v", h.OtherHits.Load(), first)
	}
	for _, r := range first.Refused {
		if r.Host != h.OtherHost() || !strings.Contains(r.Message, "anderen Host") {
			t.Errorf("refusal %+v", r)
		}
	}
	cmd := c.command(context.Background(), "import", "oparl", "--deadline", "1ns", h.System())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "Frist von 1ns") {
		t.Errorf("past the deadline: %v\n%s", err, out)
	}
	c.env = []string{"RATSMAPPE_IMPORT_ALLOW_HOSTS=files.example.org," + h.OtherHost()}
	second := c.importOParl(h.System())
	if !second.Complete || len(second.Refused) != 0 || second.Created["document"] != 2 || second.Created["agenda_item"] != 1 {
		t.Errorf("with the other host allowed: %+v", second)
	}
	// The flag replaces the environment's list: the second page of
	// meetings, on the other host, is not fetched again (what is already
	// imported stays).
	third := c.importOParl(h.System(), "--allow-host", "files.example.org")
	if !third.Complete || len(third.Refused) != 1 || !strings.Contains(third.Refused[0].URL, "meetings?page=2") || len(third.Created)+len(third.Deleted) != 0 {
		t.Errorf("--allow-host without the other host: %+v", third)
	}
}

// TestImportOParlCrash kills the importer (SIGKILL, as a power cut or
// OOM kill would) right after it committed its first document, before
// linking it, then runs it again: the second run continues the first and
// nothing is there twice — no second document for the same file, no
// document linked nowhere, one link per file and place.
func TestImportOParlCrash(t *testing.T) {
	k, err := oparltest.NewKarlsruhe(oparltest.SharedDir(t, "corpus/karlsruhe"), oparltest.Options{PaperFiles: 3, PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(k)
	defer srv.Close()
	c := newCLI(t)
	c.env = []string{"RATSMAPPE_TEST_CRASHPOINT=committed"}
	cmd := c.command(context.Background(), "import", "oparl", srv.URL+"/oparl/system")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("want the import killed at its first document, got %v\n%s", err, out)
	}
	c.env = nil
	res := c.importOParl(srv.URL + "/oparl/system")
	if !res.Complete || !res.Resumed {
		t.Errorf("second run: %+v", res)
	}
	db := openDB(t, c.data)
	files := k.Counts()["file"]
	if got := countRows(t, db, "documents"); got != files {
		t.Errorf("%d documents for %d files", got, files)
	}
	var unlinked, links int
	db.QueryRow(`SELECT COUNT(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.document_id = d.id)`).Scan(&unlinked)
	db.QueryRow(`SELECT COUNT(*) FROM oparl_objects WHERE kind = 'attachment'`).Scan(&links)
	if unlinked != 0 || links != countRows(t, db, "attachments") {
		t.Errorf("%d documents linked nowhere; %d attachments for %d recorded links", unlinked, countRows(t, db, "attachments"), links)
	}
	checkConsistent(t, c.data)
}

// recorder is a reverse proxy in front of the source server that checks
// every OParl JSON answer the importer gets against the schemas.
type recorder struct {
	t       *testing.T
	schemas oparltest.Schemas
	mu      sync.Mutex
	objects int
	pages   int
	byType  map[string]map[string]bool // type → ids (non-deleted)
	files   map[string]string          // File id → sha512Checksum
	errs    []error
}

func (rc *recorder) modify(resp *http.Response) error {
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.StatusCode != 200 {
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	n, errs := rc.schemas.Check(b)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.objects += n
	rc.pages++
	rc.errs = append(rc.errs, errs...)
	var doc map[string]any
	json.Unmarshal(b, &doc)
	var walk func(o map[string]any)
	walk = func(o map[string]any) {
		typ, _ := o["type"].(string)
		id, _ := o["id"].(string)
		if typ == "" || o["deleted"] == true {
			return
		}
		typ = strings.TrimPrefix(typ, "https://schema.oparl.org/1.1/")
		if rc.byType[typ] == nil {
			rc.byType[typ] = map[string]bool{}
		}
		rc.byType[typ][id] = true
		if typ == "File" {
			rc.files[id], _ = o["sha512Checksum"].(string)
		}
		for _, v := range o {
			switch v := v.(type) {
			case map[string]any:
				walk(v)
			case []any:
				for _, e := range v {
					if m, ok := e.(map[string]any); ok {
						walk(m)
					}
				}
			}
		}
	}
	if data, ok := doc["data"].([]any); ok {
		for _, e := range data {
			if m, ok := e.(map[string]any); ok {
				walk(m)
			}
		}
	} else {
		walk(doc)
	}
	return nil
}

// TestOParlRoundTrip serves the demo council with the real server,
// imports its OParl API into an empty data directory with the real
// binary, and checks: every object the importer fetched is valid against
// the OParl schemas; the public objects arrive in the same numbers; every
// file arrives with the bytes the source's sha512Checksum names.
func TestOParlRoundTrip(t *testing.T) {
	schemas, err := oparltest.LoadSchemas(oparltest.SharedDir(t, "oparl/schema"))
	if err != nil {
		t.Fatal(err)
	}
	src := newCLI(t)
	src.run("demo")
	base, _ := src.serve(t)
	target, _ := url.Parse(base)
	rc := &recorder{t: t, schemas: schemas, byType: map[string]map[string]bool{}, files: map[string]string{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the source names itself by the Host it is asked for
		},
		ModifyResponse: rc.modify,
	}
	front := httptest.NewServer(proxy)
	defer front.Close()

	dst := newCLI(t)
	out := dst.importOParl(front.URL + "/oparl/v1/system")
	if !out.Complete || len(out.Rejected) != 0 {
		t.Fatalf("import: %+v", out)
	}
	for _, err := range rc.errs {
		t.Errorf("schema violation: %v", err)
	}
	counts := map[string]int{}
	for typ, ids := range rc.byType {
		counts[typ] = len(ids)
	}
	t.Logf("fetched %d pages, %d objects validated; distinct public objects %v; imported %+v", rc.pages, rc.objects, counts, out.Created)

	ctx := context.Background()
	db := openDB(t, dst.data)
	st := sessions.NewStore(db, nil)
	anon := access.Viewer{}
	ms, err := st.FindMeetings(ctx, anon, sessions.MeetingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	papers, err := st.FindPapers(ctx, anon, sessions.PaperFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ  string
		got  int
		what string
	}{
		{"Organization", countRows(t, db, "organizations"), "organizations"},
		{"Person", countRows(t, db, "persons"), "persons"},
		{"Membership", countRows(t, db, "memberships"), "memberships"},
		{"LegislativeTerm", countRows(t, db, "legislative_terms"), "legislative terms"},
		{"Meeting", len(ms), "public meetings"},
		{"AgendaItem", countRows(t, db, "agenda_items"), "agenda items"},
		{"Paper", len(papers), "public papers"},
		{"Consultation", countRows(t, db, "consultations"), "consultations"},
		// A File is one document however often it is linked: the source
		// lists a paper's file on the paper and on the items that consult
		// it (Paper.mainFile, AgendaItem.auxiliaryFile), the importer
		// links it to both.
		{"File", countRows(t, db, "documents"), "files (documents)"},
	} {
		if c.got != counts[c.typ] {
			t.Errorf("%s: %d imported, %d %s at the source", c.what, c.got, counts[c.typ], c.typ)
		}
	}

	// Every File's bytes, as the importer stored them (the original of
	// the imported version), have the source's sha512Checksum.
	blobs, err := fsblob.Open(filepath.Join(dst.data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	dstore := documents.NewStore(db)
	checked := 0
	for id, sum := range rc.files {
		rec, err := st.FindOParlObject(ctx, "document", id)
		if err != nil {
			t.Errorf("file %s not imported: %v", id, err)
			continue
		}
		v, err := dstore.FindVersion(ctx, rec.LocalID, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, err := blobs.Get(ctx, v.OriginalSHA256, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		h := sha512.New()
		io.Copy(h, r)
		r.Close()
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			t.Errorf("file %s: sha512 %s, source says %s", id, got, sum)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no files compared")
	}
	t.Logf("%d file hashes equal", checked)

	// A second import of the unchanged source creates nothing.
	rc.mu.Lock()
	seenErrs := len(rc.errs)
	rc.mu.Unlock()
	again := dst.importOParl(front.URL + "/oparl/v1/system")
	if !again.Complete || len(again.Created) != 0 || len(again.Updated) != 0 || len(again.Deleted) != 0 {
		t.Errorf("second import of the demo: %+v", again)
	}
	for _, err := range rc.errs[seenErrs:] {
		t.Errorf("schema violation: %v", err)
	}

	// The office takes things back at the source — unpublishes a
	// meeting, withdraws an agenda item of another and a file of a third
	// item —
	// and the next incremental import takes them back here.
	src.runIn("ein sehr gutes Passwort\n", "user", "add", "--role", "clerk", "rueckbau")
	clerk := api{t: t, base: base, token: strings.TrimSpace(src.run("user", "token", "rueckbau"))}
	oparl := func(path string) []map[string]any {
		var page struct{ Data []map[string]any }
		resp, err := http.Get(base + "/oparl/v1" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&page)
		return page.Data
	}
	last := func(u any) string { s := u.(string); return s[strings.LastIndex(s, "/")+1:] }
	// publicPapers counts the papers the source lists, page by page.
	publicPapers := func() int {
		n := 0
		for next := base + "/oparl/v1/body/1/paper"; next != ""; {
			var page struct {
				Data  []map[string]any
				Links struct{ Next string }
			}
			resp, err := http.Get(next)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			n += len(page.Data)
			next = page.Links.Next
		}
		return n
	}
	var item, itemMeeting string
	for _, it := range oparl("/body/1/agendaItem?limit=200") {
		if it["public"] == true {
			item, itemMeeting = last(it["id"]), last(it["meeting"])
			break
		}
	}
	var meeting string
	for _, m := range oparl("/body/1/meeting?limit=200") {
		if last(m["id"]) != itemMeeting {
			meeting = last(m["id"])
			break
		}
	}
	var file string
	for _, it := range oparl("/body/1/agendaItem?limit=200") {
		if fs, ok := it["auxiliaryFile"].([]any); ok && last(it["id"]) != item && last(it["meeting"]) != meeting {
			file = last(fs[0].(map[string]any)["id"])
			break
		}
	}
	if item == "" || meeting == "" || file == "" {
		t.Fatalf("nothing to take back: item %q meeting %q file %q", item, meeting, file)
	}
	// The demo publishes its meetings without the office's audit trail,
	// from which the OParl API learns that the public saw a meeting; the
	// office's own publish writes it.
	if got, _, raw := clerk.do("POST", "/api/v1/meetings/"+meeting+"/publish", map[string]any{}); got/100 != 2 {
		t.Fatalf("publish: %d %s", got, raw)
	}
	papersBefore := publicPapers()
	clerk.must(204, "POST", "/api/v1/meetings/"+meeting+"/unpublish", nil)
	for _, p := range []string{"/api/v1/items/" + item + "/withdraw", "/api/v1/attachments/" + file + "/withdraw"} {
		if got, _, raw := clerk.do("POST", p, nil); got/100 != 2 {
			t.Fatalf("POST %s: %d %s", p, got, raw)
		}
	}
	// Papers public only through the meeting or the item taken back are
	// no longer public either (OParl lists them deleted: true). The file
	// taken back is gone with every link the importer made of it (a File
	// the source shows on an item and on its paper is two attachments).
	var files int
	rows, err := db.QueryContext(ctx, `SELECT external_id FROM oparl_objects WHERE kind = 'attachment' AND deleted = 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ext string
		rows.Scan(&ext)
		// An attachment is the File and what it is attached to: "FILE ITEM".
		if f := strings.Fields(ext); len(f) > 0 && strings.HasSuffix(f[0], "/oparl/v1/file/"+file) {
			files++
		}
	}
	rows.Close()
	want := fmt.Sprintf("map[agenda_item:1 attachment:%d meeting:1]", files)
	if gone := papersBefore - publicPapers(); gone > 0 {
		want = fmt.Sprintf("map[agenda_item:1 attachment:%d meeting:1 paper:%d]", files, gone)
	}
	back := dst.importOParl(front.URL + "/oparl/v1/system")
	if !back.Complete || fmt.Sprint(back.Deleted) != want {
		t.Errorf("import after the office took back a meeting, an item and a file: deleted %v, want %s (%+v)", back.Deleted, want, back)
	}
	if ms2, err := st.FindMeetings(ctx, anon, sessions.MeetingFilter{}); err != nil || len(ms2) != len(ms)-1 {
		t.Errorf("public meetings after the source unpublished one: %d, want %d (%v)", len(ms2), len(ms)-1, err)
	}
	for _, err := range rc.errs[seenErrs:] {
		t.Errorf("schema violation: %v", err)
	}
}
