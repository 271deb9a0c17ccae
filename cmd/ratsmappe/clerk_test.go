package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// api is a client of the JSON API with one caller's token ("" anonymous).
type api struct {
	t     *testing.T
	base  string
	token string
}

func (a api) do(method, path string, body any) (int, map[string]any, string) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return resp.StatusCode, m, string(raw)
}

// must does a request that must answer want.
func (a api) must(want int, method, path string, body any) map[string]any {
	a.t.Helper()
	got, m, raw := a.do(method, path, body)
	if got != want {
		a.t.Fatalf("%s %s: %d %s, want %d", method, path, got, raw, want)
	}
	return m
}

func (a api) upload(path, file string) (int, map[string]any) {
	a.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", filepath.Base(file))
	b, err := os.ReadFile(file)
	if err != nil {
		a.t.Fatal(err)
	}
	fw.Write(b)
	mw.Close()
	req, _ := http.NewRequest("POST", a.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (a api) status(path string) int {
	a.t.Helper()
	s, _, _ := a.do("GET", path, nil)
	return s
}

func id(m map[string]any, key string) int64 { f, _ := m[key].(float64); return int64(f) }

// The council office's workflow, end to end against the real server:
// meeting, agenda, uploads, publication, Nachtrag, exclusion, new version,
// minutes — and after every step, each audience sees exactly its share.
func TestClerkWorkflow(t *testing.T) {
	files := corpus(t)
	c := newCLI(t)
	var res struct {
		Accounts []struct {
			Name, Token string
			PersonID    int64 `json:"person_id"`
		}
	}
	if err := json.Unmarshal([]byte(c.run("demo", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	base, _ := c.serve(t)
	tok := map[string]string{}
	person := map[string]int64{}
	for _, a := range res.Accounts {
		tok[a.Name], person[a.Name] = a.Token, a.PersonID
	}
	office := api{t, base, tok["ratsbuero"]}
	anon := api{t, base, ""}
	anna, clara, bernd := api{t, base, tok["anna"]}, api{t, base, tok["clara"]}, api{t, base, tok["bernd"]}

	// Members cannot change anything; citizens must sign in first.
	if s, _, _ := bernd.do("POST", "/api/v1/meetings", map[string]any{}); s != http.StatusForbidden {
		t.Errorf("member creating a meeting: %d, want 403", s)
	}
	if s, _, _ := anon.do("POST", "/api/v1/meetings", map[string]any{}); s != http.StatusUnauthorized {
		t.Errorf("anonymous creating a meeting: %d, want 401", s)
	}

	var bau int64
	orgs := office.must(200, "GET", "/api/v1/organizations", nil)
	for _, o := range orgs["data"].([]any) {
		if m := o.(map[string]any); m["name"] == "Bauausschuss" {
			bau = id(m, "id")
		}
	}
	start := time.Now().Add(10 * 24 * time.Hour).Format(time.RFC3339)
	meeting := office.must(201, "POST", "/api/v1/meetings", map[string]any{"organization_id": bau, "name": "Sondersitzung des Bauausschusses", "start": start, "location": "Rathaus, Saal 2"})
	mid := id(meeting, "id")
	mpath := fmt.Sprintf("/api/v1/meetings/%d", mid)
	pub := office.must(201, "POST", mpath+"/items", map[string]any{"number": "Ö 1", "title": "Sanierung Turnhalle", "public": true})
	np := office.must(201, "POST", mpath+"/items", map[string]any{"number": "N 1", "title": "Grundstückskauf Müllerstraße 5", "public_title": "Grundstücksangelegenheit"})

	// Uploads: a PDF is accepted, a text file refused with its reason.
	s, doc1 := office.upload("/api/v1/documents?kind=draft_resolution&title=Vorlage+Turnhalle", files[5])
	if s != 201 {
		t.Fatalf("upload: %d %v", s, doc1)
	}
	notPDF := filepath.Join(t.TempDir(), "brief.txt")
	os.WriteFile(notPDF, []byte("kein PDF"), 0o644)
	if s, m := office.upload("/api/v1/documents", notPDF); s != 422 || m["code"] != "not_pdf" || m["message"] == "" {
		t.Errorf("text upload: %d %v", s, m)
	}
	_, doc2 := office.upload("/api/v1/documents?title=Kaufvertrag", files[6])
	file1 := fmt.Sprintf("/api/v1/documents/%d/versions/1/file", id(doc1, "document"))
	file2 := fmt.Sprintf("/api/v1/documents/%d/versions/1/file", id(doc2, "document"))
	office.must(201, "POST", fmt.Sprintf("/api/v1/items/%d/attachments", id(pub, "id")), map[string]any{"document_id": id(doc1, "document"), "public": true})
	office.must(201, "POST", fmt.Sprintf("/api/v1/items/%d/attachments", id(np, "id")), map[string]any{"document_id": id(doc2, "document")})

	// A draft exists only for the office.
	for name, who := range map[string]api{"anonymous": anon, "anna": anna} {
		if s := who.status(mpath); s != 404 {
			t.Errorf("%s sees the draft: %d", name, s)
		}
		if s := who.status(file1); s != 404 {
			t.Errorf("%s reads a draft's document: %d", name, s)
		}
	}

	// Published: citizens see the public part, the non-public item as a
	// stub; members of the committee see everything.
	office.must(200, "POST", mpath+"/publish", map[string]any{})
	m := anon.must(200, "GET", mpath, nil)
	body, _ := json.Marshal(m)
	if strings.Contains(string(body), "Müllerstraße") || !strings.Contains(string(body), "Grundstücksangelegenheit") {
		t.Errorf("citizen's agenda: %s", body)
	}
	if s := anon.status(file1); s != 200 {
		t.Errorf("citizen reads the public document: %d", s)
	}
	if s := anon.status(file2); s != 404 {
		t.Errorf("citizen reads the non-public document: %d", s)
	}
	if s := anna.status(file2); s != 200 {
		t.Errorf("committee member reads the non-public document: %d", s)
	}
	if s := bernd.status(file2); s != 404 {
		t.Errorf("member of another committee reads the non-public document: %d", s)
	}

	// Exclusion: clara (Bauausschuss) loses the item at once.
	if s := clara.status(file2); s != 200 {
		t.Fatalf("clara before the exclusion: %d", s)
	}
	office.must(204, "POST", fmt.Sprintf("/api/v1/items/%d/exclusions", id(np, "id")), map[string]any{"person_id": person["clara"], "reason": "Nachbarin"})
	if s := clara.status(file2); s != 404 {
		t.Errorf("excluded member still reads the document: %d", s)
	}
	cm := clara.must(200, "GET", mpath, nil)
	if b, _ := json.Marshal(cm); strings.Contains(string(b), "Müllerstraße") {
		t.Errorf("excluded member still sees the title")
	}

	// Nachtrag: a late item and a late attachment, non-public by default.
	late := office.must(201, "POST", mpath+"/items", map[string]any{"number": "Ö 2", "title": "Dringlichkeitsantrag Hochwasserschutz", "public": true})
	if late["late"] == nil {
		t.Errorf("late item not marked: %v", late)
	}
	_, doc3 := office.upload("/api/v1/documents?title=Nachtrag", files[7])
	att := office.must(201, "POST", fmt.Sprintf("/api/v1/items/%d/attachments", id(late, "id")), map[string]any{"document_id": id(doc3, "document")})
	if att["late"] == nil || att["public"] != false {
		t.Errorf("late attachment: %v", att)
	}
	file3 := fmt.Sprintf("/api/v1/documents/%d/versions/1/file", id(doc3, "document"))
	if s := anon.status(file3); s != 404 {
		t.Errorf("late attachment public by default: %d", s)
	}
	office.must(204, "PATCH", fmt.Sprintf("/api/v1/attachments/%d", id(att, "id")), map[string]any{"public": true})
	if s := anon.status(file3); s != 200 {
		t.Errorf("late attachment after release: %d", s)
	}

	// A new version: both versions readable, the new one current.
	s, v2 := office.upload(fmt.Sprintf("/api/v1/documents/%d/versions?note=Kosten+aktualisiert", id(doc1, "document")), files[8])
	if s != 201 || id(v2, "version") != 2 {
		t.Fatalf("new version: %d %v", s, v2)
	}
	if s := anon.status(strings.Replace(file1, "/versions/1/", "/versions/2/", 1)); s != 200 {
		t.Errorf("citizen reads version 2: %d", s)
	}
	if s := anon.status(file1); s != 200 {
		t.Errorf("citizen reads the superseded version 1: %d", s)
	}

	// Packets: the member's has the non-public document, the citizen's not.
	for name, who := range map[string]api{"anonymous": anon, "anna": anna} {
		s, _, raw := who.do("GET", mpath+"/packet.pdf", nil)
		if s != 200 || !strings.HasPrefix(raw, "%PDF-") {
			t.Fatalf("%s packet: %d", name, s)
		}
		text := pdfText(t, raw)
		hasSecret := strings.Contains(text, "NICHTÖFFENTLICH")
		if name == "anonymous" && (hasSecret || strings.Contains(text, "Müllerstraße")) {
			t.Errorf("public packet contains non-public content")
		}
		if name == "anna" && (!hasSecret || !strings.Contains(text, "Anna")) {
			t.Errorf("member's packet lacks the non-public part or her watermark")
		}
	}

	// Minutes: draft → approved → published.
	_, mdoc := office.upload("/api/v1/documents?kind=minutes&title=Niederschrift", files[9])
	min := office.must(201, "POST", mpath+"/minutes", map[string]any{"document_id": id(mdoc, "document"), "public": true})
	mfile := fmt.Sprintf("/api/v1/documents/%d/versions/1/file", id(mdoc, "document"))
	for _, step := range []struct {
		state      string
		anon, anna int
	}{{"draft", 404, 404}, {"approved", 404, 200}, {"published", 200, 200}} {
		if step.state != "draft" {
			office.must(204, "POST", fmt.Sprintf("/api/v1/minutes/%d/state", id(min, "id")), map[string]any{"state": step.state})
		}
		if s := anon.status(mfile); s != step.anon {
			t.Errorf("minutes %s, citizen: %d, want %d", step.state, s, step.anon)
		}
		if s := anna.status(mfile); s != step.anna {
			t.Errorf("minutes %s, member: %d, want %d", step.state, s, step.anna)
		}
	}

	// Everything was audited, and only the admin reads the log.
	if s := office.status("/api/v1/audit"); s != 403 {
		t.Errorf("clerk reads the audit log: %d", s)
	}
	audit := api{t, base, tok["admin"]}.must(200, "GET", "/api/v1/audit", nil)
	b, _ := json.Marshal(audit)
	for _, action := range []string{"meeting.create", "meeting.publish", "item.exclude", "document.upload", "attachment.public", "minutes.published", "document.read_nonpublic"} {
		if !strings.Contains(string(b), action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}
