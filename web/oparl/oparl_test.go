package oparl_test

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport/oparltest"
	"github.com/ratsmappe/ratsmappe/web"
)

const (
	oparlCanary  = "KANARIENVOGEL"
	oparlAGS     = "07315000"
	oparlLicense = "https://creativecommons.org/licenses/by/4.0/"
)

type oparlEnv struct {
	srv      *httptest.Server
	sessions *sessions.Store
	base     string // .../oparl/v1
	demo     *demo.Result
}

// newOParlServer serves the demo council (with a canary word in
// everything non-public) on a real SQLite database. The blob store is the
// in-memory fake and the ingester accepts every file as it is (one page,
// with a fixed text): PDF workers cannot run in a unit test, and these
// tests are about what the API emits. Each caller gets its own server, so
// that tests that change data do not disturb others.
func newOParlServer(t *testing.T) *oparlEnv {
	t.Helper()
	c := demotest.Open(t)
	res := c.Load(t, demo.Options{Canary: oparlCanary})
	st := c.Sessions
	// The test client stands for a TLS proxy on loopback (see TestOParlHTTP).
	proxies, _ := web.ParseTrustedProxies("127.0.0.0/8")
	h, err := web.NewServer(web.Config{Documents: c.Documents, Sessions: st, DB: c.DB, Logger: slog.New(slog.DiscardHandler), TrustedProxies: proxies,
		OParl: web.OParlConfig{AGS: oparlAGS, License: oparlLicense}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &oparlEnv{srv: srv, sessions: st, base: srv.URL + "/oparl/v1", demo: res}
}

// oparlSchemas compiles the OParl 1.1 schemas from ../shared/oparl/schema
// (read in place, never copied into the repository), under their file
// names (they name each other so), with formats asserted.
func oparlSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	schemas, err := oparltest.LoadSchemas(oparltest.SharedDir(t, "oparl/schema"))
	if err != nil {
		t.Fatal(err)
	}
	return schemas
}

// crawler fetches every OParl URL it finds, from the system object on,
// and checks each response.
type crawler struct {
	t       *testing.T
	base    string
	schemas map[string]*jsonschema.Schema
	seen    map[string]bool
	queue   []string
	objects map[string]map[string]any // every object by id, embedded ones too
	files   []map[string]any
	raw     strings.Builder
}

func (c *crawler) fetch(u string) (any, http.Header) {
	c.t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		c.t.Errorf("GET %s: Access-Control-Allow-Origin %q", u, got)
	}
	if strings.Contains(string(b), `\u003c`) || strings.Contains(string(b), `\u0026`) {
		c.t.Errorf("GET %s: HTML escaping in JSON", u)
	}
	c.raw.Write(b)
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		c.t.Fatalf("GET %s: %v", u, err)
	}
	return v, resp.Header
}

func (c *crawler) add(u string) {
	if c.seen[u] || !strings.HasPrefix(u, c.base+"/") || strings.HasSuffix(u, "/access") || strings.HasSuffix(u, "/download") {
		return
	}
	c.seen[u] = true
	c.queue = append(c.queue, u)
}

func (c *crawler) run(start string) {
	c.add(start)
	for len(c.queue) > 0 {
		u := c.queue[0]
		c.queue = c.queue[1:]
		v, _ := c.fetch(u)
		obj, ok := v.(map[string]any)
		if !ok {
			c.t.Fatalf("%s: not an object", u)
		}
		if data, ok := obj["data"]; ok {
			c.checkList(u, obj, data)
			continue
		}
		if obj["id"] != u {
			c.t.Errorf("GET %s: id %v", u, obj["id"])
		}
		c.check(u, obj)
	}
}

func (c *crawler) checkList(u string, page map[string]any, data any) {
	items, ok := data.([]any)
	if !ok {
		c.t.Fatalf("%s: data is not a list", u)
	}
	links, _ := page["links"].(map[string]any)
	pag, _ := page["pagination"].(map[string]any)
	if links == nil || pag == nil {
		c.t.Fatalf("%s: no links or pagination", u)
	}
	if cur, total := pag["currentPage"], pag["totalPages"]; cur != total && links["next"] == nil {
		c.t.Errorf("%s: page %v of %v without links.next", u, cur, total)
	}
	for _, it := range items {
		o, _ := it.(map[string]any)
		c.check(u, o)
		if id, ok := o["id"].(string); ok {
			c.add(id)
		}
	}
	if next, ok := links["next"].(string); ok {
		c.add(next)
	}
}

// check validates o, and every object embedded in it, against the schema
// of its type, checks the rules the schemas do not express (created and
// modified everywhere, no null, no empty strings or lists), and queues
// every OParl URL o names.
func (c *crawler) check(where string, o map[string]any) {
	c.t.Helper()
	typ, _ := o["type"].(string)
	sch := c.schemas[typ]
	if sch == nil {
		c.t.Errorf("%s: object of unknown type %q", where, typ)
		return
	}
	if err := sch.Validate(o); err != nil {
		c.t.Errorf("%s: %s %v does not match its schema: %v", where, typ, o["id"], err)
	}
	id, _ := o["id"].(string)
	if o["deleted"] == true {
		for k := range o {
			required := (k == "order" && typ == "https://schema.oparl.org/1.1/AgendaItem") || (k == "accessUrl" && typ == "https://schema.oparl.org/1.1/File")
			if k != "id" && k != "type" && k != "created" && k != "modified" && k != "deleted" && !required {
				c.t.Errorf("%s: deleted %s has %s", where, id, k)
			}
		}
	}
	for _, k := range []string{"created", "modified"} {
		if _, ok := o[k].(string); !ok {
			c.t.Errorf("%s: %s without %s", where, id, k)
		}
	}
	c.objects[id] = o
	if typ == "https://schema.oparl.org/1.1/File" {
		c.files = append(c.files, o)
	}
	for k, v := range o {
		switch v := v.(type) {
		case nil:
			c.t.Errorf("%s: %s.%s is null", where, id, k)
		case string:
			if v == "" {
				c.t.Errorf("%s: %s.%s is empty", where, id, k)
			}
			if k != "id" {
				c.add(v)
			}
		case map[string]any:
			c.check(where, v)
		case []any:
			if len(v) == 0 && k != "legislativeTerm" {
				c.t.Errorf("%s: %s.%s is []", where, id, k)
			}
			for _, e := range v {
				switch e := e.(type) {
				case map[string]any:
					c.check(where, e)
				case string:
					c.add(e)
				}
			}
		}
	}
}

func newCrawler(t *testing.T, base string) *crawler {
	return &crawler{t: t, base: base, schemas: oparlSchemas(t), seen: map[string]bool{}, objects: map[string]map[string]any{}}
}

// TestOParlCrawl walks the whole API as a client would and validates
// every object it emits; nothing non-public (the demo's canary word) may
// appear anywhere, and every file's bytes match its metadata.
func TestOParlCrawl(t *testing.T) {
	e := newOParlServer(t)
	c := newCrawler(t, e.base)
	c.run(e.base + "/system")
	count := map[string]int{}
	for _, o := range c.objects {
		count[strings.TrimPrefix(o["type"].(string), "https://schema.oparl.org/1.1/")]++
	}
	t.Logf("objects: %v", count)
	for _, typ := range []string{"System", "Body", "Organization", "Person", "Membership", "LegislativeTerm", "Meeting", "AgendaItem", "Paper", "Consultation", "File", "Location"} {
		if count[typ] == 0 {
			t.Errorf("no %s reached", typ)
		}
	}
	if strings.Contains(c.raw.String(), oparlCanary) {
		t.Errorf("the API emits non-public data (canary %q)", oparlCanary)
	}
	// AgendaItem.consultation and Consultation.agendaItem point at each
	// other (1:1 in the schema).
	links := 0
	for id, o := range c.objects {
		switch o["type"] {
		case "https://schema.oparl.org/1.1/AgendaItem":
			if cu, ok := o["consultation"].(string); ok {
				links++
				if co := c.objects[cu]; co == nil || co["agendaItem"] != id {
					t.Errorf("%s.consultation %s points back to %v", id, cu, co["agendaItem"])
				}
			}
		case "https://schema.oparl.org/1.1/Consultation":
			if iu, ok := o["agendaItem"].(string); ok {
				if it := c.objects[iu]; it == nil || it["consultation"] != id {
					t.Errorf("%s.agendaItem %s has consultation %v", id, iu, it["consultation"])
				}
			}
		}
	}
	if links == 0 {
		t.Errorf("no AgendaItem links its consultation")
	}
	// Mirrors download a paper's documents from Paper.mainFile and
	// auxiliaryFile; each such File names its paper back.
	withMain := 0
	for id, o := range c.objects {
		switch o["type"] {
		case "https://schema.oparl.org/1.1/Paper":
			if o["deleted"] == true {
				continue
			}
			fs, _ := o["auxiliaryFile"].([]any)
			if mf, ok := o["mainFile"]; ok {
				withMain++
				fs = append(fs, mf)
			}
			for _, f := range fs {
				fid, _ := f.(map[string]any)["id"].(string)
				if back, _ := c.objects[fid]["paper"].([]any); !slices.Contains(back, any(id)) {
					t.Errorf("%s lists File %s, whose paper is %v", id, fid, back)
				}
			}
		case "https://schema.oparl.org/1.1/System", "https://schema.oparl.org/1.1/Body":
			if o["license"] != oparlLicense {
				t.Errorf("%s: license %v", id, o["license"])
			}
			if o["type"] == "https://schema.oparl.org/1.1/Body" && o["ags"] != oparlAGS {
				t.Errorf("%s: ags %v", id, o["ags"])
			}
		}
	}
	if withMain == 0 {
		t.Errorf("no Paper has a mainFile")
	}
	for i, f := range c.files {
		if i >= 20 {
			break // the first few suffice; every File was schema-checked
		}
		access, _ := f["accessUrl"].(string)
		resp, body := get(t, access)
		if resp.StatusCode != 200 || strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("accessUrl %s: %d %q", access, resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		sum := sha512.Sum512([]byte(body))
		if got, want := hex.EncodeToString(sum[:]), f["sha512Checksum"]; got != want {
			t.Errorf("%s: sha512 %s, File says %v", access, got, want)
		}
		if got, want := json.Number(fmt.Sprint(len(body))), f["size"]; got != want {
			t.Errorf("%s: %v bytes, File says %v", access, got, want)
		}
		if f["text"] == nil || f["mimeType"] != "application/pdf" || f["date"] == nil {
			t.Errorf("%s: text, mimeType or date missing", f["id"])
		}
		dl, _ := f["downloadUrl"].(string)
		resp, _ = get(t, dl)
		if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename=") {
			t.Errorf("downloadUrl %s: %d %q", dl, resp.StatusCode, cd)
		}
	}
}

// get GETs u anonymously and returns the response with its body.
func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func getJSON(t *testing.T, u string) (map[string]any, *http.Response) {
	t.Helper()
	resp, body := get(t, u)
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return v, resp
}

func ids(t *testing.T, page map[string]any) []string {
	t.Helper()
	var out []string
	for _, it := range page["data"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// TestOParlPaging pages through the meeting list in small pages with a
// filter: every link keeps the filter, the pages together are exactly
// the whole list in the same stable order, and only the last page has no
// next link.
func TestOParlPaging(t *testing.T) {
	e := newOParlServer(t)
	all, _ := getJSON(t, e.base+"/body/1/meeting?limit=200")
	want := ids(t, all)
	if len(want) < 7 {
		t.Fatalf("only %d public meetings", len(want))
	}
	since := url.QueryEscape("2000-01-01T00:00:00+01:00")
	u := e.base + "/body/1/meeting?created_since=" + since + "&limit=3"
	var got []string
	for n := 1; u != ""; n++ {
		page, _ := getJSON(t, u)
		got = append(got, ids(t, page)...)
		links := page["links"].(map[string]any)
		for k, l := range links {
			if !strings.Contains(l.(string), "created_since="+since) || !strings.Contains(l.(string), "limit=3") {
				t.Errorf("page %d: links.%s %s lost the filter", n, k, l)
			}
		}
		next, _ := links["next"].(string)
		if next == "" && len(got) != len(want) {
			t.Fatalf("page %d has no next link after %d of %d", n, len(got), len(want))
		}
		u = next
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("paged:\n%v\nwhole list:\n%v", got, want)
	}

	future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
	for _, q := range []string{"created_since=" + future, "modified_since=" + future, "created_until=2000-01-01T00%3A00%3A00%2B00%3A00"} {
		page, _ := getJSON(t, e.base+"/body/1/paper?"+q)
		if n := len(page["data"].([]any)); n != 0 {
			t.Errorf("%s: %d papers", q, n)
		}
	}
	resp, body := get(t, e.base+"/body/1/paper?created_since=gestern")
	if resp.StatusCode != 400 || !strings.Contains(body, "https://schema.oparl.org/1.1/Error") {
		t.Errorf("bad filter: %d %s", resp.StatusCode, body)
	}
	// omit_internal leaves out the embedded agenda.
	page, _ := getJSON(t, e.base+"/body/1/meeting?omit_internal=true")
	for _, m := range page["data"].([]any) {
		if _, ok := m.(map[string]any)["agendaItem"]; ok {
			t.Fatal("omit_internal=true: agendaItem still embedded")
		}
	}
}

// TestOParlHTTP checks CORS, conditional GET and not-found answers.
func TestOParlHTTP(t *testing.T) {
	e := newOParlServer(t)
	resp, _ := get(t, e.base+"/meeting/999999")
	if resp.StatusCode != 404 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("missing meeting: %d, CORS %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, _ = get(t, e.base+"/body/01")
	if resp.StatusCode != 404 {
		t.Errorf("non-canonical /body/01: %d", resp.StatusCode)
	}
	// Unknown paths are missing, with OParl's Error object, whatever the
	// method (chi would say 405 with an empty body).
	for _, u := range []string{e.base + "/nonsense", e.base + "/body/1/nonsense", e.base + "/meeting/1/x/y", e.srv.URL + "/oparl/v2/system", e.srv.URL + "/oparl"} {
		resp, body := get(t, u)
		if resp.StatusCode != 404 || !strings.Contains(body, `"type":"https://schema.oparl.org/1.1/Error"`) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %q %s", u, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	sys, resp := getJSON(t, e.base+"/system")
	etag := resp.Header.Get("ETag")
	if etag == "" || sys["id"] != e.base+"/system" {
		t.Fatalf("system: ETag %q, id %v", etag, sys["id"])
	}
	req, _ := http.NewRequest("GET", e.base+"/system", nil)
	req.Header.Set("If-None-Match", etag)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r2.StatusCode)
	}
	// The base URL follows a trusted proxy's scheme.
	req, _ = http.NewRequest("GET", e.base+"/system", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	r3, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r3.Body)
	r3.Body.Close()
	if !strings.Contains(string(b), `"id":"https://`) {
		t.Errorf("behind TLS proxy: %s", b)
	}
}

// TestOParlDeleted unpublishes a public meeting (as the office's
// unpublish route does: store call plus audit entries) and checks the
// soft delete: gone from plain lists, deleted:true with modified_since and
// at its own URL; a draft meeting never published never shows.
func TestOParlDeleted(t *testing.T) {
	e := newOParlServer(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	page, _ := getJSON(t, e.base+"/body/1/meeting?limit=200")
	first := page["data"].([]any)[0].(map[string]any)
	id := first["id"].(string)
	var mid int64
	fmt.Sscanf(id[strings.LastIndex(id, "/")+1:], "%d", &mid)
	m, err := e.sessions.FindMeetingByID(ctx, access.Viewer{}, mid)
	if err != nil {
		t.Fatal(err)
	}
	oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: "meeting.publish", ObjectType: "meeting", ObjectID: mid,
		At: m.PublishedAt, Details: m.PublishedAt.UTC().Format(time.RFC3339)}))
	oparlMust(t, e.sessions.UnpublishMeeting(ctx, mid))
	oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: "meeting.unpublish", ObjectType: "meeting", ObjectID: mid}))
	// A draft that was never public, unpublished again: must not show.
	staff := access.Viewer{Role: access.RoleClerk}
	allMeetings, err := e.sessions.FindMeetings(ctx, staff, sessions.MeetingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var draft int64
	for _, dm := range allMeetings {
		if dm.PublishedAt.IsZero() && dm.ID != mid {
			draft = dm.ID
			break
		}
	}
	if draft == 0 {
		t.Fatal("the demo has no draft meeting")
	}
	oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: "meeting.unpublish", ObjectType: "meeting", ObjectID: draft}))

	plain, _ := getJSON(t, e.base+"/body/1/meeting?limit=200")
	if strings.Contains(strings.Join(ids(t, plain), " "), id+" ") || ids(t, plain)[0] == id {
		t.Errorf("unpublished meeting still in the plain list")
	}
	since := url.QueryEscape(before.Format(time.RFC3339))
	upd, _ := getJSON(t, e.base+"/body/1/meeting?limit=200&modified_since="+since)
	var found map[string]any
	for _, it := range upd["data"].([]any) {
		o := it.(map[string]any)
		if o["id"] == id {
			found = o
		}
		if strings.HasSuffix(o["id"].(string), fmt.Sprintf("/meeting/%d", draft)) {
			t.Errorf("never published meeting %d listed: %v", draft, o)
		}
	}
	if found == nil || found["deleted"] != true || found["name"] != nil {
		t.Errorf("modified_since: unpublished meeting is %v", found)
	}
	one, resp := getJSON(t, id)
	if resp.StatusCode != 200 || one["deleted"] != true {
		t.Errorf("GET %s: %d %v", id, resp.StatusCode, one)
	}
	resp, _ = get(t, fmt.Sprintf("%s/meeting/%d", e.base, draft))
	if resp.StatusCode != 404 {
		t.Errorf("draft meeting: %d", resp.StatusCode)
	}
	c := newCrawler(t, e.base)
	c.check(id, one)
}

// The person and membership lists are read a page at a time: walking
// them with a small limit gives the whole list, and modified_since finds
// a person through the membership it embeds.
func TestOParlPeoplePaging(t *testing.T) {
	e := newOParlServer(t)
	for _, list := range []string{"person", "membership"} {
		all, _ := getJSON(t, e.base+"/body/1/"+list+"?limit=1000")
		want := ids(t, all)
		if len(want) < 5 {
			t.Fatalf("only %d %ss", len(want), list)
		}
		var got []string
		for u := e.base + "/body/1/" + list + "?limit=2"; u != ""; {
			page, _ := getJSON(t, u)
			got = append(got, ids(t, page)...)
			u, _ = page["links"].(map[string]any)["next"].(string)
			if u != "" && !strings.Contains(u, "after=") {
				t.Fatalf("next link %s has no cursor", u)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s paged:\n%v\nwhole list:\n%v", list, got, want)
		}
	}
	ctx := context.Background()
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	ps, err := e.sessions.FindPersons(ctx, sessions.PersonFilter{BodyID: 1})
	oparlMust(t, err)
	orgs, err := e.sessions.FindOrganizations(ctx, sessions.OrganizationFilter{BodyID: 1})
	oparlMust(t, err)
	m := &sessions.Membership{PersonID: ps[0].ID, OrganizationID: orgs[0].ID, Role: "Sachkundige Einwohnerin"}
	oparlMust(t, e.sessions.CreateMembership(ctx, m))
	since := url.QueryEscape(before.Format(time.RFC3339))
	page, _ := getJSON(t, e.base+"/body/1/person?modified_since="+since)
	if got := ids(t, page); len(got) != 1 || !strings.HasSuffix(got[0], fmt.Sprintf("/person/%d", ps[0].ID)) {
		t.Errorf("persons modified since the new membership: %v", got)
	}
	page, _ = getJSON(t, e.base+"/body/1/membership?modified_since="+since)
	if got := ids(t, page); len(got) != 1 || !strings.HasSuffix(got[0], fmt.Sprintf("/membership/%d", m.ID)) {
		t.Errorf("memberships modified since: %v", got)
	}
}

// A consultation the office takes off an agenda item (DELETE on the
// office API) becomes a deleted stub at its URL and in the
// modified_since list, and its paper counts as modified; the citizen's
// plain list no longer has it.
func TestOParlConsultationRemoved(t *testing.T) {
	e := newOParlServer(t)
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	page, _ := getJSON(t, e.base+"/body/1/consultation?limit=200")
	first := page["data"].([]any)[0].(map[string]any)
	id := first["id"].(string)
	var paper, cons int64
	if _, err := fmt.Sscanf(id[strings.Index(id, "/paper/"):], "/paper/%d/consultation/%d", &paper, &cons); err != nil {
		t.Fatalf("consultation URL %s: %v", id, err)
	}
	var clerk string
	for _, a := range e.demo.Accounts {
		if a.Role == string(access.RoleClerk) {
			clerk = a.Token
		}
	}
	del := func() int {
		req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/api/v1/papers/%d/consultations/%d", e.srv.URL, paper, cons), nil)
		req.Header.Set("Authorization", "Bearer "+clerk)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := del(); code != http.StatusNoContent {
		t.Fatalf("DELETE consultation: %d", code)
	}
	if code := del(); code != http.StatusNotFound {
		t.Errorf("DELETE again: %d, want 404", code)
	}
	one, resp := getJSON(t, id)
	if resp.StatusCode != 200 || one["deleted"] != true {
		t.Errorf("GET %s: %d %v, want a deleted stub", id, resp.StatusCode, one)
	}
	plain, _ := getJSON(t, e.base+"/body/1/consultation?limit=200")
	if slices.Contains(ids(t, plain), id) {
		t.Errorf("removed consultation still in the plain list")
	}
	since := url.QueryEscape(before.Format(time.RFC3339))
	upd, _ := getJSON(t, e.base+"/body/1/consultation?limit=200&modified_since="+since)
	found := false
	for _, o := range upd["data"].([]any) {
		if o := o.(map[string]any); o["id"] == id {
			found = o["deleted"] == true
		}
	}
	if !found {
		t.Errorf("modified_since list lacks the removed consultation's stub")
	}
	p, resp := getJSON(t, fmt.Sprintf("%s/paper/%d", e.base, paper))
	if resp.StatusCode == 200 && p["deleted"] != true {
		if m, _ := time.Parse(time.RFC3339, p["modified"].(string)); m.Before(before) {
			t.Errorf("paper modified %v, before the removal", p["modified"])
		}
	}
}

func oparlMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOParlSchemasRefuse makes sure the validation above is not vacuous:
// the compiled schemas refuse what OParl forbids.
func TestOParlSchemasRefuse(t *testing.T) {
	schemas := oparlSchemas(t)
	for _, tc := range []struct {
		typ, doc string
	}{
		{"File", `{"id": "https://x.example/oparl/v1/file/1", "type": "https://schema.oparl.org/1.1/File"}`},                                               // no accessUrl
		{"Meeting", `{"id": "https://x.example/oparl/v1/meeting/1", "type": "https://schema.oparl.org/1.1/Meeting", "start": "2025-01-02 18:00"}`},         // not a date-time
		{"Body", `{"id": "https://x.example/oparl/v1/body/1", "type": "https://schema.oparl.org/1.1/Body", "name": "B"}`},                                  // lists missing
		{"Paper", `{"id": "/oparl/v1/paper/1", "type": "https://schema.oparl.org/1.1/Paper"}`},                                                             // relative id
		{"AgendaItem", `{"id": "https://x.example/oparl/v1/agendaItem/1", "type": "https://schema.oparl.org/1.1/AgendaItem", "order": 1, "public": "ja"}`}, // wrong type
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas["https://schema.oparl.org/1.1/"+tc.typ].Validate(v); err == nil {
			t.Errorf("%s accepted: %s", tc.typ, tc.doc)
		}
	}
}

// TestOParlSoftDeletes checks the body-wide item list and the soft
// deletes of agenda items, files and papers: an item and a file withdrawn
// after the agenda was published and a paper published on its own and then unpublished
// leave the plain lists, appear as deleted:true (with nothing else) in
// lists with modified_since and at their URLs; a paper whose publication
// time never came never appears.
func TestOParlSoftDeletes(t *testing.T) {
	e := newOParlServer(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	since := "&modified_since=" + url.QueryEscape(before.Format(time.RFC3339))

	items, _ := getJSON(t, e.base+"/body/1/agendaItem?limit=200")
	var itemURL string
	for _, it := range items["data"].([]any) {
		if o := it.(map[string]any); o["public"] == true {
			itemURL = o["id"].(string)
			break
		}
	}
	if itemURL == "" {
		t.Fatal("no public agenda item in /body/1/agendaItem")
	}
	var itemID int64
	fmt.Sscanf(itemURL[strings.LastIndex(itemURL, "/")+1:], "%d", &itemID)
	oparlMust(t, e.sessions.WithdrawAgendaItem(ctx, itemID))

	// A public file of a public agenda item (of another item).
	filesPage, _ := getJSON(t, e.base+"/body/1/file?limit=200")
	var fileURL string
	for _, f := range filesPage["data"].([]any) {
		o := f.(map[string]any)
		if o["agendaItem"] != nil && o["agendaItem"].([]any)[0] != itemURL {
			fileURL = o["id"].(string)
			break
		}
	}
	if fileURL == "" {
		t.Fatal("no file of an agenda item in /body/1/file")
	}
	var fileID int64
	fmt.Sscanf(fileURL[strings.LastIndex(fileURL, "/")+1:], "%d", &fileID)
	oparlMust(t, e.sessions.WithdrawAttachment(ctx, fileID))

	seen := &sessions.Paper{BodyID: 1, Reference: "2099/0001", Name: "Antrag, der öffentlich war"}
	never := &sessions.Paper{BodyID: 1, Reference: "2099/0002", Name: "Antrag, der nie öffentlich war"}
	for _, p := range []*sessions.Paper{seen, never} {
		oparlMust(t, e.sessions.CreatePaper(ctx, p))
	}
	at := time.Now().Add(-time.Hour)
	oparlMust(t, e.sessions.PublishPaper(ctx, seen.ID, at))
	oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: "paper.publish", ObjectType: "paper", ObjectID: seen.ID, Details: at.UTC().Format(time.RFC3339)}))
	future := time.Now().Add(24 * time.Hour)
	oparlMust(t, e.sessions.PublishPaper(ctx, never.ID, future))
	oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: "paper.publish", ObjectType: "paper", ObjectID: never.ID, Details: future.UTC().Format(time.RFC3339)}))
	for _, p := range []*sessions.Paper{seen, never} {
		oparlMust(t, e.sessions.UnpublishPaper(ctx, p.ID))
		oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: "paper.unpublish", ObjectType: "paper", ObjectID: p.ID}))
	}
	seenURL, neverURL := fmt.Sprintf("%s/paper/%d", e.base, seen.ID), fmt.Sprintf("%s/paper/%d", e.base, never.ID)

	c := newCrawler(t, e.base)
	for _, tc := range []struct {
		list, id string
	}{{"/body/1/agendaItem", itemURL}, {"/body/1/paper", seenURL}, {"/body/1/file", fileURL}} {
		plain, _ := getJSON(t, e.base+tc.list+"?limit=200")
		if slices.Contains(ids(t, plain), tc.id) {
			t.Errorf("%s: deleted %s in the plain list", tc.list, tc.id)
		}
		upd, _ := getJSON(t, e.base+tc.list+"?limit=200"+since)
		var found map[string]any
		for _, it := range upd["data"].([]any) {
			o := it.(map[string]any)
			c.check(tc.list, o)
			if o["id"] == tc.id {
				found = o
			}
			if o["id"] == neverURL {
				t.Errorf("never public paper listed: %v", o)
			}
		}
		if found == nil || found["deleted"] != true || found["name"] != nil {
			t.Errorf("%s with modified_since: %s is %v", tc.list, tc.id, found)
		}
		one, resp := getJSON(t, tc.id)
		if resp.StatusCode != 200 || one["deleted"] != true {
			t.Errorf("GET %s: %d %v", tc.id, resp.StatusCode, one)
		}
		c.check(tc.id, one)
	}
	if resp, _ := get(t, neverURL); resp.StatusCode != 404 {
		t.Errorf("never public paper: %d", resp.StatusCode)
	}
	// The other body-wide lists are schema-checked by TestOParlCrawl (the
	// Body names them); here they must at least answer.
	for _, l := range []string{"/body/1/consultation", "/body/1/file"} {
		page, resp := getJSON(t, e.base+l+"?limit=200")
		if resp.StatusCode != 200 || len(page["data"].([]any)) == 0 {
			t.Errorf("%s: %d, %d objects", l, resp.StatusCode, len(page["data"].([]any)))
		}
	}
}

// lastID is the numeric last segment of an OParl URL.
func lastID(u string) int64 {
	var id int64
	fmt.Sscanf(u[strings.LastIndex(u, "/")+1:], "%d", &id)
	return id
}

// TestOParlFilesGone checks the soft deletes of Files that follow from
// the visibility policy over time (the office's routes write the audit
// entries the test writes here): a public attachment made non-public, a
// file of an item made non-public, a file of a meeting unpublished, and
// a file of a paper public only through an agenda item that is
// withdrawn. Each is listed before; afterwards it is gone from the plain
// list, deleted:true (only the allowed fields, its modified the time of
// the change) with modified_since and at its URL, and its access and
// download URLs answer byte for byte like those of a file that does not
// exist. The paper public only through the withdrawn items is deleted
// too. A non-public attachment that was never public answers exactly
// like a missing one, with or without modified_since.
func TestOParlFilesGone(t *testing.T) {
	e := newOParlServer(t)
	ctx := context.Background()
	staff := access.Viewer{Role: access.RoleClerk}
	audit := func(action, typ string, id int64, details string) {
		t.Helper()
		oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: action, ObjectType: typ, ObjectID: id, Details: details}))
	}
	meetingOfItem := func(u string) int64 {
		it, err := e.sessions.FindAgendaItemByID(ctx, staff, lastID(u))
		if err != nil {
			t.Fatal(err)
		}
		return it.MeetingID
	}
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	since := "&modified_since=" + url.QueryEscape(before.Format(time.RFC3339))

	// Two files of two different public items, listed now.
	page, _ := getJSON(t, e.base+"/body/1/file?limit=500")
	var flagFile, itemFile, flagItem, hiddenItem string
	usedMeetings := map[int64]bool{}
	for _, f := range page["data"].([]any) {
		o := f.(map[string]any)
		if o["agendaItem"] == nil {
			continue
		}
		id, it := o["id"].(string), o["agendaItem"].([]any)[0].(string)
		switch {
		case flagFile == "":
			flagFile, flagItem = id, it
			usedMeetings[meetingOfItem(it)] = true
		case itemFile == "" && it != flagItem && !usedMeetings[meetingOfItem(it)]:
			itemFile, hiddenItem = id, it
			usedMeetings[meetingOfItem(it)] = true
		}
	}
	if flagFile == "" || itemFile == "" {
		t.Fatalf("the demo lacks public files of items: %q %q", flagFile, itemFile)
	}
	doc, err := e.sessions.FindAttachmentByID(ctx, staff, lastID(flagFile))
	if err != nil {
		t.Fatal(err)
	}
	// The demo attaches to items only: a public file of a public meeting
	// of its own, and one of a paper public only through its agenda items.
	var meetingID int64
	ms, _ := getJSON(t, e.base+"/body/1/meeting?limit=200")
	for _, o := range ms["data"].([]any) {
		if m := lastID(o.(map[string]any)["id"].(string)); !usedMeetings[m] && meetingID == 0 {
			meetingID = m
		}
	}
	var paperID int64
	var routeItems []int64
	ps, _ := getJSON(t, e.base+"/body/1/paper?limit=200")
	for _, o := range ps["data"].([]any) {
		p, err := e.sessions.FindPaperByID(ctx, staff, lastID(o.(map[string]any)["id"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := e.sessions.FindConsultations(ctx, staff, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		ok := p.PublishedAt.IsZero() && len(cs) > 0
		for _, c := range cs {
			it, err := e.sessions.FindAgendaItemByID(ctx, staff, c.AgendaItemID)
			if err != nil {
				t.Fatal(err)
			}
			ok = ok && !usedMeetings[it.MeetingID] && it.MeetingID != meetingID
		}
		if ok {
			paperID = p.ID
			for _, c := range cs {
				routeItems = append(routeItems, c.AgendaItemID)
			}
			break
		}
	}
	if meetingID == 0 || paperID == 0 {
		t.Fatalf("no meeting (%d) or paper public through agendas only (%d) to attach to", meetingID, paperID)
	}
	ma := &sessions.Attachment{DocumentID: doc.DocumentID, MeetingID: meetingID, Title: "Einladung"}
	pa := &sessions.Attachment{DocumentID: doc.DocumentID, PaperID: paperID, Role: sessions.RoleMain, Title: "Vorlage"}
	for _, a := range []*sessions.Attachment{ma, pa} {
		oparlMust(t, e.sessions.Attach(ctx, a))
		oparlMust(t, e.sessions.SetAttachmentPublic(ctx, a.ID, true))
		audit("attachment.public", "attachment", a.ID, "public=true")
	}
	meetingFile, paperFile := fmt.Sprintf("%s/file/%d", e.base, ma.ID), fmt.Sprintf("%s/file/%d", e.base, pa.ID)
	page, _ = getJSON(t, e.base+"/body/1/file?limit=500")
	for _, f := range []string{flagFile, itemFile, meetingFile, paperFile} {
		if !slices.Contains(ids(t, page), f) {
			t.Fatalf("%s is not listed before the change", f)
		}
	}
	// A non-public attachment of a public item: never seen by the public.
	var never int64
	as, err := e.sessions.FindAttachments(ctx, staff, sessions.AttachmentTarget{AgendaItemID: lastID(flagItem)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if !a.Public && !a.Withdrawn() {
			never = a.ID
		}
	}

	// The history the office's routes would have recorded for the demo's
	// public item and attachment (the demo loads through the store).
	for _, f := range []struct {
		action, typ string
		id          int64
	}{{"attachment.public", "attachment", lastID(flagFile)}, {"item.update", "agenda_item", lastID(hiddenItem)}} {
		oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: f.action, ObjectType: f.typ, ObjectID: f.id,
			At: time.Now().Add(-48 * time.Hour), Details: "public=true"}))
	}
	// The changes, as the office's routes make them.
	oparlMust(t, e.sessions.SetAttachmentPublic(ctx, lastID(flagFile), false))
	audit("attachment.public", "attachment", lastID(flagFile), "public=false")
	hidden := false
	oparlMust(t, e.sessions.UpdateAgendaItem(ctx, lastID(hiddenItem), sessions.AgendaItemUpdate{Public: &hidden}))
	audit("item.update", "agenda_item", lastID(hiddenItem), "public=false")
	m, err := e.sessions.FindMeetingByID(ctx, staff, meetingID)
	if err != nil {
		t.Fatal(err)
	}
	oparlMust(t, e.sessions.Audit(ctx, sessions.AuditEntry{Actor: "Amt", Action: "meeting.publish", ObjectType: "meeting", ObjectID: meetingID,
		At: m.PublishedAt, Details: m.PublishedAt.UTC().Format(time.RFC3339)}))
	oparlMust(t, e.sessions.UnpublishMeeting(ctx, meetingID))
	audit("meeting.unpublish", "meeting", meetingID, "")
	for _, it := range routeItems {
		oparlMust(t, e.sessions.WithdrawAgendaItem(ctx, it))
		audit("item.withdraw", "agenda_item", it, "")
	}
	if never != 0 { // public=false again: still never public
		oparlMust(t, e.sessions.SetAttachmentPublic(ctx, never, false))
		audit("attachment.public", "attachment", never, "public=false")
	}

	missing := e.base + "/file/987654321"
	_, missingBody := get(t, missing)
	_, missingAccess := get(t, missing+"/access")
	_, missingDownload := get(t, missing+"/download")
	plain, _ := getJSON(t, e.base+"/body/1/file?limit=500")
	upd, _ := getJSON(t, e.base+"/body/1/file?limit=500"+since)
	c := newCrawler(t, e.base)
	for _, o := range upd["data"].([]any) {
		c.check("/body/1/file?modified_since", o.(map[string]any))
	}
	for _, f := range []string{flagFile, itemFile, meetingFile, paperFile} {
		if slices.Contains(ids(t, plain), f) {
			t.Errorf("%s still in the plain list", f)
		}
		var found map[string]any
		for _, o := range upd["data"].([]any) {
			if o := o.(map[string]any); o["id"] == f {
				found = o
			}
		}
		if found == nil || found["deleted"] != true || found["name"] != nil || found["text"] != nil {
			t.Errorf("%s with modified_since: %v", f, found)
			continue
		}
		if mod, err := time.Parse(time.RFC3339, found["modified"].(string)); err != nil || mod.Before(before) {
			t.Errorf("%s: modified %v is not the time of the change", f, found["modified"])
		}
		one, resp := getJSON(t, f)
		if resp.StatusCode != 200 || one["deleted"] != true || len(one) != 6 {
			t.Errorf("GET %s: %d %v", f, resp.StatusCode, one)
		}
		c.check(f, one)
		for _, tc := range [][2]string{{"/access", missingAccess}, {"/download", missingDownload}} {
			resp, body := get(t, f+tc[0])
			if resp.StatusCode != 404 || body != tc[1] {
				t.Errorf("GET %s%s: %d, differs from a missing file: %v", f, tc[0], resp.StatusCode, body != tc[1])
			}
		}
	}
	// The paper itself, public only through the withdrawn items: gone
	// too, and deleted:true with modified_since.
	paperURL := fmt.Sprintf("%s/paper/%d", e.base, paperID)
	if plainPapers, _ := getJSON(t, e.base+"/body/1/paper?limit=200"); slices.Contains(ids(t, plainPapers), paperURL) {
		t.Errorf("%s still in the plain paper list", paperURL)
	}
	updPapers, _ := getJSON(t, e.base+"/body/1/paper?limit=200"+since)
	var gonePaper map[string]any
	for _, o := range updPapers["data"].([]any) {
		c.check("/body/1/paper?modified_since", o.(map[string]any))
		if o := o.(map[string]any); o["id"] == paperURL {
			gonePaper = o
		}
	}
	if gonePaper == nil || gonePaper["deleted"] != true || len(gonePaper) != 5 {
		t.Errorf("paper public through withdrawn items, with modified_since: %v", gonePaper)
	}
	if never == 0 {
		t.Fatal("the demo has no non-public attachment on a public item")
	}
	neverURL := fmt.Sprintf("%s/file/%d", e.base, never)
	for _, l := range []map[string]any{plain, upd} {
		if slices.Contains(ids(t, l), neverURL) {
			t.Errorf("never public file %s listed", neverURL)
		}
	}
	if resp, body := get(t, neverURL); resp.StatusCode != 404 || body != strings.ReplaceAll(missingBody, "987654321", fmt.Sprint(never)) && body != missingBody {
		t.Errorf("never public file: %d %q, missing: %q", resp.StatusCode, body, missingBody)
	}
}

// A mistyped AGS or license stops the start instead of reaching every
// mirror.
func TestOParlConfigRefused(t *testing.T) {
	for _, c := range []web.OParlConfig{{AGS: "0731500"}, {AGS: "0731500x"}, {License: "CC-BY 4.0"}, {License: "ftp://example.org/l"}} {
		if _, err := web.NewServer(web.Config{OParl: c, Logger: slog.New(slog.DiscardHandler)}); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", c, err)
		}
	}
}

// TestOParlPagesMergeStubs unpublishes a meeting and walks every growing
// list with modified_since in small keyset pages: together they are the
// list walked in big pages, in one ascending order, the deleted stubs of
// the ledger merged in by the same key.
func TestOParlPagesMergeStubs(t *testing.T) {
	e := newOParlServer(t)
	ctx := context.Background()
	meetings, _ := getJSON(t, e.base+"/body/1/meeting?limit=200&omit_internal=true")
	data := meetings["data"].([]any)
	if len(data) < 3 {
		t.Fatalf("only %d public meetings", len(data))
	}
	mid := idOfURL(data[len(data)/2].(map[string]any)["id"].(string))
	oparlMust(t, e.sessions.UnpublishMeeting(ctx, mid))

	since := "modified_since=" + url.QueryEscape("2000-01-01T00:00:00+01:00")
	walk := func(list string, limit int) (ids []string, deleted int) {
		u := fmt.Sprintf("%s/body/1/%s?%s&limit=%d", e.base, list, since, limit)
		for n := 0; u != ""; n++ {
			if n > 500 {
				t.Fatalf("%s: more than 500 pages", list)
			}
			page, _ := getJSON(t, u)
			for _, it := range page["data"].([]any) {
				o := it.(map[string]any)
				ids = append(ids, o["id"].(string))
				if o["deleted"] == true {
					deleted++
				}
			}
			u, _ = page["links"].(map[string]any)["next"].(string)
		}
		return ids, deleted
	}
	for _, list := range []string{"meeting", "agendaItem", "paper", "consultation", "file", "location"} {
		small, deleted := walk(list, 3)
		big, _ := walk(list, 200)
		if strings.Join(small, " ") != strings.Join(big, " ") {
			t.Errorf("%s: pages of 3:\n%v\npages of 200:\n%v", list, small, big)
		}
		if (list == "meeting" || list == "agendaItem") && deleted == 0 {
			t.Errorf("%s: no deleted stub after unpublishing meeting %d", list, mid)
		}
		seen := map[string]bool{}
		for _, id := range small {
			if seen[id] {
				t.Errorf("%s: %s twice", list, id)
			}
			seen[id] = true
		}
	}
}

func idOfURL(u string) int64 {
	n, _ := strconv.ParseInt(u[strings.LastIndex(u, "/")+1:], 10, 64)
	return n
}
