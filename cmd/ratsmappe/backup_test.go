package main_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/sqlite"
)

// A backup restored into an empty data directory has every document,
// every version and every blob, byte for byte, and every annotation, as
// the API answers it; the search index is rebuilt there.
func TestBackupRestore(t *testing.T) {
	files := corpus(t)
	c := newCLI(t)
	var demo struct {
		Accounts []struct{ Name, Role, Token string }
	}
	if err := json.Unmarshal([]byte(c.run("demo", "--json")), &demo); err != nil {
		t.Fatal(err)
	}
	lines := parseLines(t, c.run("doc", "add", "--json", files[0], files[1]))
	c.run("doc", "version", "--note", "neu", jsonID(lines[0]), files[2])

	// Annotations through the real server, which keeps running while the
	// backup is made: what it wrote may still sit in the WAL.
	base, _ := c.serve(t) // stopped by the test's cleanup
	var members []string
	tok := map[string]string{}
	for _, a := range demo.Accounts {
		tok[a.Name] = a.Token
		if a.Role == "member" {
			members = append(members, a.Name)
		}
	}
	docs := writeAnnotations(t, api{t, base, tok["anna"]}, api{t, base, tok[members[len(members)-1]]})
	before := annotationState(t, base, tok, members, docs)
	cursor := changesCursor(t, api{t, base, tok["anna"]})

	backup := filepath.Join(t.TempDir(), "sicherung")
	if out := c.run("backup", backup); !strings.Contains(out, "Sicherung in") {
		t.Fatalf("backup: %s", out)
	}
	// Not over an existing backup.
	cmd := c.command(t.Context(), "backup", backup)
	if err := cmd.Run(); err == nil {
		t.Errorf("backup into a non-empty directory succeeded")
	}

	restored := &cli{t: t, data: filepath.Join(t.TempDir(), "neu")}
	if out := restored.run("restore", backup); !strings.Contains(out, "Wiederhergestellt") {
		t.Fatalf("restore: %s", out)
	}
	if got, want := restored.run("doc", "list", "--json"), c.run("doc", "list", "--json"); got != want {
		t.Fatalf("documents differ after restore")
	}
	// Every version, with both its hashes, is there; and a sample of files
	// comes out byte for byte.
	a, b := versionHashes(t, c.data), versionHashes(t, restored.data)
	if len(a) < 100 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("versions differ after restore (%d before, %d after)", len(a), len(b))
	}
	checked := 0
	for _, id := range []int64{1, 50, 200, lines[0].Document, lines[1].Document} {
		for _, orig := range []string{"", "--original"} {
			args := []string{"doc", "get", jsonInt(id)}
			if orig != "" {
				args = append(args, orig)
			}
			if sum(restored.run(args...)) != sum(c.run(args...)) {
				t.Errorf("document %d %s: bytes differ", id, orig)
			}
			checked++
		}
	}
	t.Logf("%d versions compared, %d files byte for byte", len(a), checked)

	// Every annotation — revision, body, anchoring, sharing, tombstone —
	// and every read mark comes back byte for byte through the API of a
	// server on the restored directory, and a sync cursor handed out
	// before the backup still works there.
	rbase, rstop := restored.serve(t)
	after := annotationState(t, rbase, tok, members, docs)
	if len(after) != len(before) {
		t.Fatalf("annotation answers: %d before, %d after restore", len(before), len(after))
	}
	for k, want := range before {
		if got := after[k]; got != want {
			t.Errorf("%s after restore:\n got %s\nwant %s", k, got, want)
		}
	}
	anna := api{t, rbase, tok["anna"]}
	// The Web Push key comes back too: the members' devices stay subscribed.
	_, k1, _ := api{t, base, tok["anna"]}.do("GET", "/api/v1/push/key", nil)
	_, k2, _ := anna.do("GET", "/api/v1/push/key", nil)
	if k1["public_key"] == nil || k1["public_key"] != k2["public_key"] {
		t.Errorf("push key %v before, %v after restore", k1["public_key"], k2["public_key"])
	}
	if _, m, raw := anna.do("GET", "/api/v1/annotations/changes?since="+cursor, nil); len(m["changes"].([]any)) != 0 || m["next"] != cursor {
		t.Errorf("changes since the cursor of before the backup: %s", raw)
	}
	anna.must(201, "PUT", "/api/v1/annotations/7c2e9d41-5b6a-4f1e-9c3d-0000000000ff", annotationBody(docs[0], "Nach der Wiederherstellung", ""))
	if _, m, raw := anna.do("GET", "/api/v1/annotations/changes?since="+cursor, nil); len(m["changes"].([]any)) != 1 || !strings.Contains(raw, "Nach der Wiederherstellung") {
		t.Errorf("a change after restore, since the old cursor: %s", raw)
	}
	t.Logf("%d annotation answers compared", len(before))

	// The search index is not in the backup — it is derived from the
	// database — and the restored server rebuilds it: the same query
	// finds as much there as on the original.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var orig, rest struct{ Total int }
		s1, _, raw1 := api{t, base, ""}.do("GET", "/api/v1/search?q=Haushalt", nil)
		s2, _, raw2 := api{t, rbase, ""}.do("GET", "/api/v1/search?q=Haushalt", nil)
		json.Unmarshal([]byte(raw1), &orig)
		json.Unmarshal([]byte(raw2), &rest)
		if s1 == 200 && s2 == 200 && orig.Total > 0 && orig.Total == rest.Total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search after restore: original %d %.200s, restored %d %.200s", s1, raw1, s2, raw2)
		}
		time.Sleep(200 * time.Millisecond)
	}
	rstop()

	// Restoring over existing data is refused; a damaged backup is noticed.
	if err := restored.command(t.Context(), "restore", backup).Run(); err == nil {
		t.Errorf("restore over existing data succeeded")
	}
	os.WriteFile(filepath.Join(backup, "ratsmappe.db"), []byte("kaputt"), 0o644)
	again := &cli{t: t, data: filepath.Join(t.TempDir(), "neu2")}
	out, err := again.command(t.Context(), "restore", backup).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "damaged") {
		t.Errorf("restore of a damaged backup: %v %s", err, out)
	}
}

// versionHashes lists every version of the data directory as
// "document/number sha256 original_sha256 state".
func versionHashes(t *testing.T, data string) []string {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(data, "ratsmappe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT document_id, number, sha256, original_sha256, state FROM versions ORDER BY document_id, number`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d, n int64
		var s1, s2, st string
		rows.Scan(&d, &n, &s1, &s2, &st)
		out = append(out, fmt.Sprintf("%d/%d %s %s %s", d, n, s1, s2, st))
	}
	return out
}

// Annotation UUIDs of the backup test.
const (
	annPrivate = "7c2e9d41-5b6a-4f1e-9c3d-000000000001"
	annShared  = "7c2e9d41-5b6a-4f1e-9c3d-000000000002"
	annDeleted = "7c2e9d41-5b6a-4f1e-9c3d-000000000003"
	annEdited  = "7c2e9d41-5b6a-4f1e-9c3d-000000000004"
	annOther   = "7c2e9d41-5b6a-4f1e-9c3d-000000000005"
)

func annotationBody(doc int64, note, shared string) map[string]any {
	a := map[string]any{
		"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "commenting",
		"body": map[string]any{"type": "TextualBody", "value": note},
		"target": map[string]any{"source": fmt.Sprintf("/api/v1/documents/%d/versions/1", doc), "selector": []any{
			map[string]any{"type": "FragmentSelector", "value": "page=1"},
			map[string]any{"type": "ratsmappe:PointSelector", "x": 120, "y": 400},
		}},
	}
	if shared != "" {
		a["ratsmappe:shared"] = shared
	}
	return a
}

// writeAnnotations has anna write a private note, a faction-shared one, one
// she edits and one she deletes (a tombstone), and another member one
// note, on public documents of the demo council; it returns the documents.
func writeAnnotations(t *testing.T, anna, other api) []int64 {
	t.Helper()
	var docs []int64
	for _, m := range anna.must(200, "GET", "/api/v1/meetings", nil)["data"].([]any) {
		detail := anna.must(200, "GET", fmt.Sprintf("/api/v1/meetings/%d", int64(m.(map[string]any)["id"].(float64))), nil)
		agenda, _ := detail["agenda"].([]any)
		for _, e := range agenda {
			ds, _ := e.(map[string]any)["documents"].([]any)
			for _, d := range ds {
				if d := d.(map[string]any); d["public"] == true && d["version"] == 1.0 && len(docs) < 2 {
					docs = append(docs, int64(d["id"].(float64)))
				}
			}
		}
		if len(docs) == 2 {
			break
		}
	}
	if len(docs) < 2 {
		t.Fatalf("no public documents in the demo: %v", docs)
	}
	anna.must(201, "PUT", "/api/v1/annotations/"+annPrivate, annotationBody(docs[0], "Privat: nachfragen", ""))
	anna.must(201, "PUT", "/api/v1/annotations/"+annShared, annotationBody(docs[0], "Für die Fraktion", "faction"))
	anna.must(201, "PUT", "/api/v1/annotations/"+annEdited, annotationBody(docs[1], "Erste Fassung", ""))
	anna.must(200, "PUT", "/api/v1/annotations/"+annEdited, annotationBody(docs[1], "Zweite Fassung", "faction"))
	anna.must(201, "PUT", "/api/v1/annotations/"+annDeleted, annotationBody(docs[1], "Gleich weg", ""))
	if s, _, raw := anna.do("DELETE", "/api/v1/annotations/"+annDeleted, nil); s != 204 && s != 200 {
		t.Fatalf("delete: %d %s", s, raw)
	}
	other.must(201, "PUT", "/api/v1/annotations/"+annOther, annotationBody(docs[1], "Andere Notiz", ""))
	anna.must(204, "PUT", fmt.Sprintf("/api/v1/documents/%d/read", docs[0]), map[string]any{"version": 1})
	return docs
}

// annotationState is every annotation answer the members get, raw: the
// full change feed (with tombstones), the list per document, each
// annotation by id and the read marks.
func annotationState(t *testing.T, base string, tok map[string]string, members []string, docs []int64) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, who := range members {
		a := api{t, base, tok[who]}
		since := ""
		for page := 0; ; page++ {
			s, m, raw := a.do("GET", "/api/v1/annotations/changes?limit=2&since="+since, nil)
			if s != 200 {
				t.Fatalf("%s changes: %d %s", who, s, raw)
			}
			out[fmt.Sprintf("%s changes %d", who, page)] = raw
			if m["more"] != true {
				break
			}
			since = m["next"].(string)
		}
		for _, d := range docs {
			_, _, raw := a.do("GET", fmt.Sprintf("/api/v1/annotations?document=%d", d), nil)
			out[fmt.Sprintf("%s list %d", who, d)] = raw
			_, _, raw = a.do("GET", fmt.Sprintf("/api/v1/documents/%d/read", d), nil)
			out[fmt.Sprintf("%s read %d", who, d)] = raw
		}
		for _, id := range []string{annPrivate, annShared, annDeleted, annEdited, annOther} {
			s, _, raw := a.do("GET", "/api/v1/annotations/"+id, nil)
			out[fmt.Sprintf("%s get %s", who, id)] = fmt.Sprint(s, " ", raw)
		}
	}
	for k, v := range out {
		out[k] = strings.ReplaceAll(v, base, "BASE")
	}
	if !strings.Contains(out["anna get "+annEdited], "Zweite Fassung") || !strings.Contains(out["anna changes 0"]+out["anna changes 1"]+out["anna changes 2"], annDeleted) {
		t.Fatalf("annotations before the backup: %v", out)
	}
	return out
}

// changesCursor is where anna's change feed ends now.
func changesCursor(t *testing.T, anna api) string {
	t.Helper()
	since := ""
	for {
		m := anna.must(200, "GET", "/api/v1/annotations/changes?since="+since, nil)
		since = m["next"].(string)
		if m["more"] != true {
			return since
		}
	}
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func jsonID(l addLine) string { return jsonInt(l.Document) }

func jsonInt(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}
