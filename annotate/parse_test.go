package annotate_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/annotate"
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
		inv, ok := err.(*annotate.InvalidError)
		if !ok || inv.Reason != tc.reason {
			t.Errorf("%s: got %v, want reason %s", tc.name, err, tc.reason)
		}
	}
}

// FuzzAnnotation feeds the parser of untrusted annotation JSON: it must
// never panic, and what it accepts must survive a round trip unchanged.
func FuzzAnnotation(f *testing.F) {
	f.Add([]byte(inkJSON))
	f.Add([]byte(`{"@context":"http://www.w3.org/ns/anno.jsonld","type":"Annotation","motivation":"highlighting","target":{"source":"/api/v1/documents/1/versions/1","selector":[{"type":"FragmentSelector","value":"page=1"},{"type":"TextQuoteSelector","exact":"ä","prefix":"x"},{"type":"TextPositionSelector","start":0,"end":1},{"type":"ratsmappe:RectSelector","rects":[[1,2,3,4]]}]},"body":[{"type":"TextualBody","value":"Notiz"}]}`))
	f.Add([]byte(`{"@context":["http://www.w3.org/ns/anno.jsonld"],"type":"Annotation","motivation":"bookmarking","target":{"source":"/api/v1/documents/1/versions/1","selector":{"type":"FragmentSelector","value":"page=9"}},"ratsmappe:baseRevision":3}`))
	f.Add([]byte(`{"@context":"http://www.w3.org/ns/anno.jsonld","type":"Annotation","motivation":"commenting","body":{"type":"TextualBody","value":"x"},"target":{"source":"/api/v1/documents/1/versions/1","selector":[{"type":"FragmentSelector","value":"page=2"},{"type":"ratsmappe:PointSelector","x":1,"y":-2}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := annotate.Parse(data)
		if err != nil {
			if _, ok := err.(*annotate.InvalidError); !ok {
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
