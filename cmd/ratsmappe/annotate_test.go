package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/annotate/pdfexport"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
)

// A member's highlight and drawing on a draft resolution, against the real
// server with real PDF ingestion: the office uploads a new version, the
// annotations move to it, the diff shows the change, and the export is a
// PDF with the annotations in it. Another member of the committee sees
// none of it.
func TestAnnotationsEndToEnd(t *testing.T) {
	c := newCLI(t)
	var res struct {
		Accounts []struct{ Name, Token string }
	}
	if err := json.Unmarshal([]byte(c.run("demo", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	base, _ := c.serve(t)
	tok := map[string]string{}
	for _, a := range res.Accounts {
		tok[a.Name] = a.Token
	}
	office, anna, clara := api{t, base, tok["ratsbuero"]}, api{t, base, tok["anna"]}, api{t, base, tok["clara"]}

	dir := t.TempDir()
	pdf := func(name string, pages ...string) string {
		var blocks []string
		for i, p := range pages {
			if i > 0 {
				blocks = append(blocks, "\f")
			}
			blocks = append(blocks, p)
		}
		var buf bytes.Buffer
		if _, err := textpdf.Write(&buf, textpdf.Doc{Title: "Vorlage Mensa", Blocks: blocks}); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p
	}
	intro := "Der Gemeinderat beschließt den Bau einer Mensa an der Realschule."
	costs := "Die Kosten betragen 2,1 Millionen Euro und werden aus Rücklagen gedeckt."
	v1 := pdf("v1.pdf", intro, "Begründung. "+costs)
	v2 := pdf("v2.pdf", "Geänderte Fassung.", intro, "Begründung. "+strings.Replace(costs, "2,1", "2,4", 1))

	var bau int64
	orgs := office.must(200, "GET", "/api/v1/organizations", nil)
	for _, o := range orgs["data"].([]any) {
		if m := o.(map[string]any); m["name"] == "Bauausschuss" {
			bau = id(m, "id")
		}
	}
	meeting := office.must(201, "POST", "/api/v1/meetings", map[string]any{"organization_id": bau, "name": "Sitzung Mensa",
		"start": time.Now().Add(72 * time.Hour).Format(time.RFC3339), "location": "Rathaus"})
	item := office.must(201, "POST", fmt.Sprintf("/api/v1/meetings/%d/items", id(meeting, "id")), map[string]any{"number": "N 1", "title": "Mensa"})
	s, up := office.upload("/api/v1/documents?kind=draft_resolution&title=Mensa", v1)
	if s != 201 {
		t.Fatalf("upload: %d %v", s, up)
	}
	doc := id(up, "document")
	office.must(201, "POST", fmt.Sprintf("/api/v1/items/%d/attachments", id(item, "id")), map[string]any{"document_id": doc})
	office.must(200, "POST", fmt.Sprintf("/api/v1/meetings/%d/publish", id(meeting, "id")), map[string]any{})

	src := fmt.Sprintf("/api/v1/documents/%d/versions/1", doc)
	anna.must(201, "PUT", "/api/v1/annotations/6a1d8c62-3f5e-4f0e-a0d5-000000000001", map[string]any{
		"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "highlighting",
		"body": map[string]any{"type": "TextualBody", "value": "Rücklagen reichen?"},
		"target": map[string]any{"source": src, "selector": []any{
			map[string]any{"type": "FragmentSelector", "value": "page=2"},
			map[string]any{"type": "TextQuoteSelector", "exact": costs, "prefix": "Begründung. "},
		}},
	})
	anna.must(201, "PUT", "/api/v1/annotations/6a1d8c62-3f5e-4f0e-a0d5-000000000002", map[string]any{
		"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "drawing",
		"body": map[string]any{"type": "ratsmappe:Ink", "strokes": []any{map[string]any{"points": [][2]float64{{80, 700}, {300, 690}}}}},
		"target": map[string]any{"source": src, "selector": []any{
			map[string]any{"type": "FragmentSelector", "value": "page=1"},
			map[string]any{"type": "TextQuoteSelector", "exact": intro},
		}},
	})
	anna.must(204, "PUT", fmt.Sprintf("/api/v1/documents/%d/read", doc), map[string]any{"version": 1})

	if s, _ := office.upload(fmt.Sprintf("/api/v1/documents/%d/versions", doc), v2); s != 201 {
		t.Fatalf("new version: %d", s)
	}
	list := anna.must(200, "GET", fmt.Sprintf("/api/v1/annotations?document=%d", doc), nil)
	items := list["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("anna's annotations: %v", list)
	}
	for _, it := range items {
		a := it.(map[string]any)
		anc := a["anchoring"].(map[string]any)
		want := map[string]float64{"highlighting": 3, "drawing": 2}[a["motivation"].(string)]
		if anc["version"] != 2.0 || anc["page"] != want || anc["state"] == "orphaned" {
			t.Errorf("%s after the new version: %v", a["motivation"], anc)
		}
	}
	read := anna.must(200, "GET", fmt.Sprintf("/api/v1/documents/%d/read", doc), nil)
	if read["status"] != "changed" {
		t.Errorf("read status: %v", read)
	}
	diff := anna.must(200, "GET", fmt.Sprintf("/api/v1/documents/%d/diff", doc), nil)
	if diff["from"] != 1.0 || diff["to"] != 2.0 || diff["inserted"].(float64) < 3 || diff["deleted"].(float64) < 1 {
		t.Errorf("diff: %v", diff)
	}

	resp, err := http.DefaultClient.Do(authGet(t, base+fmt.Sprintf("/api/v1/documents/%d/versions/2/annotations.pdf", doc), tok["anna"]))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("export: %d %s", resp.StatusCode, b)
	}
	got, err := pdfexport.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(got[2]) != 1 || got[2][0][0] != "Ink" || len(got[3]) != 1 || got[3][0][0] != "Text" || !strings.Contains(got[3][0][1], "Rücklagen reichen?") {
		t.Errorf("exported annotations: %v", got)
	}

	// clara sits on the same committee and sees the document — not
	// anna's notes.
	for _, p := range []string{fmt.Sprintf("/api/v1/annotations?document=%d", doc), "/api/v1/annotations/changes",
		fmt.Sprintf("/api/v1/documents/%d/versions/2/annotations.json", doc)} {
		if s, _, raw := clara.do("GET", p, nil); s != 200 || strings.Contains(raw, "Rücklagen") || strings.Contains(raw, "6a1d8c62") {
			t.Errorf("clara GET %s: %d %s", p, s, raw)
		}
	}
}

func authGet(t *testing.T, url, token string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}
