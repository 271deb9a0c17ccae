package annotate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
)

const inkJSON = `{
	"@context": "http://www.w3.org/ns/anno.jsonld",
	"type": "Annotation",
	"motivation": "drawing",
	"body": {"type": "ratsmappe:Ink", "strokes": [{"points": [[100, 700], [120, 705.5], [140, 702]], "width": 2, "color": "#cc0000"}]},
	"target": {
		"source": "https://rat.example.org/api/v1/documents/7/versions/2",
		"selector": [
			{"type": "FragmentSelector", "value": "page=3", "conformsTo": "http://tools.ietf.org/rfc/rfc8118"},
			{"type": "TextQuoteSelector", "exact": "Die Kosten", "prefix": "", "suffix": " betragen"}
		]
	},
	"ratsmappe:shared": "faction"
}`

func TestParse(t *testing.T) {
	a, err := annotate.Parse([]byte(inkJSON))
	if err != nil {
		t.Fatal(err)
	}
	if a.DocumentID != 7 || a.Version != 2 || a.Page() != 3 || a.Target.Source != "/api/v1/documents/7/versions/2" ||
		a.Shared != annotate.SharedFaction || len(a.Body[0].Strokes[0].Points) != 3 {
		t.Fatalf("parsed %+v", a)
	}
	for _, tc := range []struct{ name, edit, reason string }{
		{"point off the page", `[100, 700]`, "bad_ink"},
		{"two pages", `"page=3"`, "bad_selector"},
		{"color", `"#cc0000"`, "bad_ink"},
		{"source query", `versions/2"`, "bad_source"},
		{"shared with all", `"faction"`, "bad_shared"},
	} {
		bad := map[string]string{
			"point off the page": `[1e9, 700]`,
			"two pages":          `"page=0"`,
			"color":              `"red"`,
			"source query":       `versions/2?x=1"`,
			"shared with all":    `"public"`,
		}[tc.name]
		_, err := annotate.Parse([]byte(strings.Replace(inkJSON, tc.edit, bad, 1)))
		if inv, ok := err.(*ratsmappe.Error); !ok || inv.Reason != tc.reason {
			t.Errorf("%s: got %v, want reason %s", tc.name, err, tc.reason)
		}
	}
}

// FuzzAnnotation feeds the parser of untrusted annotation JSON: it must
// never panic, and what it accepts must survive a round trip unchanged.
func FuzzAnnotation(f *testing.F) {
	f.Add([]byte(inkJSON))
	f.Add([]byte(w3cJSON))
	f.Add([]byte(`{"@context":"http://www.w3.org/ns/anno.jsonld","type":"Annotation","motivation":"highlighting","target":{"source":"/api/v1/documents/1/versions/1","selector":[{"type":"FragmentSelector","value":"page=1"},{"type":"TextQuoteSelector","exact":"ä","prefix":"x"},{"type":"TextPositionSelector","start":0,"end":1},{"type":"ratsmappe:RectSelector","rects":[[1,2,3,4]]}]},"body":[{"type":"TextualBody","value":"Notiz"}]}`))
	f.Add([]byte(`{"@context":["http://www.w3.org/ns/anno.jsonld"],"type":"Annotation","motivation":"bookmarking","target":{"source":"/api/v1/documents/1/versions/1","selector":{"type":"FragmentSelector","value":"page=9"}},"ratsmappe:baseRevision":3}`))
	f.Add([]byte(`{"@context":"http://www.w3.org/ns/anno.jsonld","type":"Annotation","motivation":"commenting","body":{"type":"TextualBody","value":"x"},"target":{"source":"/api/v1/documents/1/versions/1","selector":[{"type":"FragmentSelector","value":"page=2"},{"type":"ratsmappe:PointSelector","x":1,"y":-2}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := annotate.Parse(data)
		if err != nil {
			if inv, ok := err.(*ratsmappe.Error); !ok || inv.Reason == "" {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := annotate.Parse(out)
		if err != nil {
			t.Fatalf("accepted %s but not its own output %s: %v", data, out, err)
		}
		b.BaseRevision = a.BaseRevision // input only, not in the output
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed\n%+v\n%+v", a, b)
		}
	})
}

// w3cJSON is a note as another W3C Web Annotation client writes it: the
// PDF fragment the data model names (RFC 3778), motivation as a list of
// one compact IRI, and properties Ratsmappe does not use — which it must
// keep — next to ones that would claim another author or another
// sharing, which it must not take.
const w3cJSON = `{
	"@context": "http://www.w3.org/ns/anno.jsonld",
	"id": "urn:uuid:6b1f2c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
	"type": "Annotation",
	"motivation": ["oa:commenting"],
	"generator": {"id": "https://client.example.org/", "type": "Software", "name": "Anderer Client 2.1"},
	"rights": "https://creativecommons.org/licenses/by/4.0/",
	"audience": {"type": "schema:Audience", "schema:audienceType": "Fraktion"},
	"x-foo": {"nested": [1, 2.50, "<b>"], "ok": true},
	"creator": {"id": "acct:buergermeister", "type": "Person"},
	"dcterms:creator": "acct:buergermeister",
	"Creator": "acct:buergermeister",
	"@id": "urn:uuid:00000000-0000-4000-8000-000000000009",
	"http://www.w3.org/ns/oa#hasBody": {"type": "TextualBody", "value": "untergeschoben"},
	"shared": "faction",
	"ratsmappe:sharedBy": {"account": 1, "name": "Bürgermeister"},
	"body": {"type": "TextualBody", "value": "Zahlen nachfragen", "format": "text/plain"},
	"target": {
		"source": "https://rat.example.org/api/v1/documents/7/versions/2",
		"selector": [
			{"type": "FragmentSelector", "conformsTo": "http://tools.ietf.org/rfc/rfc3778", "value": "page=3"},
			{"type": "TextQuoteSelector", "exact": "Die Kosten"}
		]
	}
}`

// TestParseW3CClient: an annotation from another W3C client is taken,
// its own properties kept byte for byte and given back; what would claim
// another author, body or sharing is dropped.
func TestParseW3CClient(t *testing.T) {
	a, err := annotate.Parse([]byte(w3cJSON))
	if err != nil {
		t.Fatal(err)
	}
	if a.Motivation != annotate.Commenting || a.Page() != 3 || a.Note() != "Zahlen nachfragen" || a.Shared != "" {
		t.Fatalf("parsed %+v", a)
	}
	var keys []string
	for k := range a.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"audience", "generator", "rights", "x-foo"}; !slices.Equal(keys, want) {
		t.Fatalf("kept %v, want %v", keys, want)
	}
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	for _, k := range []string{"creator", "Creator", "dcterms:creator", "@id", "http://www.w3.org/ns/oa#hasBody", "shared", "ratsmappe:sharedBy", "ratsmappe:shared"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s given back: %s", k, out)
		}
	}
	if gen, _ := got["generator"].(map[string]any); gen["name"] != "Anderer Client 2.1" {
		t.Errorf("generator %v", got["generator"])
	}
	if x := string(a.Extra["x-foo"]); x != `{"nested":[1,2.50,"\u003cb\u003e"],"ok":true}` {
		t.Errorf("x-foo kept as %s", x)
	}
	if !strings.Contains(string(out), `"conformsTo":"http://tools.ietf.org/rfc/rfc8118"`) {
		t.Errorf("page selector not normalized: %s", out)
	}
	b, err := annotate.Parse(out)
	if err != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("own output %s not read back the same: %v", out, err)
	}
}

// TestParseExtraLimits: the fragment forms W3C clients send are taken,
// others not; unknown properties in Ratsmappe's own namespace are typos
// and refused; extras are bounded.
func TestParseExtraLimits(t *testing.T) {
	for _, tc := range []struct{ name, from, to, reason string }{
		{"rfc3778 https", "http://tools.ietf.org/rfc/rfc3778", "https://tools.ietf.org/rfc/rfc3778", ""},
		{"rfc8118", "http://tools.ietf.org/rfc/rfc3778", "http://tools.ietf.org/rfc/rfc8118", ""},
		{"media fragments", "http://tools.ietf.org/rfc/rfc3778", "http://www.w3.org/TR/media-frags/", "bad_selector"},
		{"two motivations", `["oa:commenting"]`, `["commenting", "tagging"]`, "bad_motivation"},
		{"other motivation", `["oa:commenting"]`, `"questioning"`, "bad_motivation"},
		{"our namespace", `"rights"`, `"ratsmappe:rights"`, "unknown_field"},
		{"our namespace, other case", `"rights"`, `"Ratsmappe:Rights"`, "unknown_field"},
		{"bodyValue", `"body": {"type": "TextualBody", "value": "Zahlen nachfragen", "format": "text/plain"}`, `"bodyValue": "Zahlen nachfragen"`, ""},
		{"body and bodyValue", `"rights"`, `"bodyValue": "doppelt", "rights"`, "bad_body"},
		{"long name", `"rights"`, `"` + strings.Repeat("r", annotate.MaxExtraName+1) + `"`, "too_large"},
	} {
		_, err := annotate.Parse([]byte(strings.Replace(w3cJSON, tc.from, tc.to, 1)))
		if reason := ""; err != nil {
			if inv, ok := err.(*ratsmappe.Error); ok {
				reason = inv.Reason
			}
			if reason != tc.reason {
				t.Errorf("%s: %v, want reason %q", tc.name, err, tc.reason)
			}
		} else if tc.reason != "" {
			t.Errorf("%s: accepted, want reason %s", tc.name, tc.reason)
		}
	}
	many := strings.Builder{}
	for i := range annotate.MaxExtra + 1 {
		fmt.Fprintf(&many, `"x-%d": %d, `, i, i)
	}
	_, err := annotate.Parse([]byte(strings.Replace(w3cJSON, `"rights"`, many.String()+`"rights"`, 1)))
	if inv, ok := err.(*ratsmappe.Error); !ok || inv.Reason != "too_large" || inv.Code != ratsmappe.ETOOLARGE {
		t.Errorf("%d extras: %v", annotate.MaxExtra+1, err)
	}
}

// TestStoreKeepsExtras: the store gives back another client's properties
// on every read (the annotation, the document's list, the revisions),
// and the author and sharing stay the server's.
func TestStoreKeepsExtras(t *testing.T) { dbtest.EachDatabase(t, testStoreKeepsExtras) }

func testStoreKeepsExtras(t *testing.T, d dbtest.Database) {
	ctx := context.Background()
	db, upload := openDocuments(t, d)
	doc := upload(0, "Seite eins", "Seite zwei", "Die Kosten betragen 3 Mio.")
	st := annotate.NewStore(db, nil)
	const me, peer = 7, 8
	in := strings.Replace(w3cJSON, "documents/7/versions/2", fmt.Sprintf("documents/%d/versions/1", doc), 1)
	uuid := "6b1f2c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
	if _, _, err := st.Put(ctx, me, uuid, mustParse(t, in)); err != nil {
		t.Fatal(err)
	}
	one, err := st.Find(ctx, me, uuid)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := st.FindByDocument(ctx, annotate.Reader{AccountID: me}, doc)
	if err != nil || len(mine) != 1 {
		t.Fatalf("%d annotations, %v", len(mine), err)
	}
	revs, err := st.Revisions(ctx, me, uuid)
	if err != nil || len(revs) != 1 {
		t.Fatalf("%d revisions, %v", len(revs), err)
	}
	for _, a := range []*annotate.Annotation{one, mine[0], revs[0]} {
		out, _ := json.Marshal(a)
		for _, want := range []string{`"generator":{"id":"https://client.example.org/"`, `"rights":"https://creativecommons.org/licenses/by/4.0/"`, `"x-foo":{"nested":[1,2.50,"\u003cb\u003e"],"ok":true}`} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s missing in %s", want, out)
			}
		}
		if strings.Contains(string(out), "buergermeister") || strings.Contains(string(out), "sharedBy") || strings.Contains(string(out), "untergeschoben") {
			t.Errorf("forged author, sharing or body kept: %s", out)
		}
	}
	// Not shared (the forged "shared" is no ratsmappe:shared): a faction
	// peer of the author sees nothing.
	if list, err := st.FindByDocument(ctx, annotate.Reader{AccountID: peer, Peers: map[int64]string{me: "Anna"}}, doc); err != nil || len(list) != 0 {
		t.Errorf("peer sees %d annotations, %v", len(list), err)
	}
}
