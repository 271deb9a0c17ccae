package portal

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/search"
)

// TestSearchJSONAsEncodingJSON: the API's search answer written by hand
// is byte for byte what encoding/json wrote (render.JSON), for random
// results with every kind of string encoding/json escapes — quotes,
// backslashes, control characters, HTML's <, > and &, invalid UTF-8,
// U+2028 and U+2029 — snippets whose spans split a character, absent
// and empty page lists, zero and non-zero dates in several zones,
// facets empty, repeated and out of order.
func TestSearchJSONAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2026))
	pieces := []string{"", "a", "Bürgerbeteiligung", `"`, `\`, "<", ">", "&", "'", "\x00", "\x01", "\b", "\f", "\n", "\r", "\t", "\x1f", "\x7f",
		"\u2028", "\u2029", "\xff", "\xe2\x80", "\x80", "😀", "€", "…", " ", "Ö 3.1", "2025/0123", "<mark>", "&amp;"}
	str := func() string {
		var b []byte
		for range rng.IntN(6) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		return string(b)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	zones := []*time.Location{time.UTC, berlin, time.FixedZone("x", -(3*3600 + 30*60))}
	var out, scratch []byte
	for n := range 2000 {
		res := &search.Result{Total: rng.IntN(100000)}
		for range rng.IntN(4) {
			f := search.Facet{Name: []string{search.FacetCommittee, search.FacetKind, search.FacetYear, str()}[rng.IntN(4)]}
			if rng.IntN(5) > 0 {
				f.Values = []search.FacetValue{}
			}
			for range rng.IntN(4) {
				f.Values = append(f.Values, search.FacetValue{Value: str(), Count: rng.IntN(1000)})
			}
			res.Facets = append(res.Facets, f)
		}
		for range rng.IntN(12) {
			h := search.Hit{Document: rng.Int64N(1 << 40), Version: rng.IntN(9), Title: str(), Reference: str(), Committee: str(),
				Meeting: str(), Kind: str(), Page: rng.IntN(500), Matches: rng.IntN(50)}
			if rng.IntN(4) > 0 {
				h.Date = time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)*int64(rng.IntN(2))).In(zones[rng.IntN(len(zones))])
			}
			switch rng.IntN(3) {
			case 1:
				h.Pages = []int{}
			case 2:
				for range 1 + rng.IntN(5) {
					h.Pages = append(h.Pages, rng.IntN(500))
				}
			}
			// Spans as MakeSnippet makes them (marked and not in turn),
			// or not.
			alternate, mark := rng.IntN(2) == 0, rng.IntN(2) == 0
			for range rng.IntN(5) {
				if alternate {
					mark = !mark
				} else {
					mark = rng.IntN(2) == 0
				}
				h.Snippet = append(h.Snippet, search.Span{Text: str(), Mark: mark})
			}
			res.Hits = append(res.Hits, h)
		}
		q := search.Query{Limit: rng.IntN(101), Offset: rng.IntN(1000)}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(true)
		if err := enc.Encode(searchAnswer(res, q)); err != nil {
			t.Fatal(err)
		}
		out, scratch = appendSearchJSON(out[:0], scratch[:0], res, q)
		if !bytes.Equal(out, want.Bytes()) {
			t.Fatalf("case %d:\n got %s\nwant %s", n, out, want.Bytes())
		}
	}
}

// TestSearchJSONRefusedDate: a date encoding/json cannot encode is left
// to it (its answer, whatever it is, stays the API's).
func TestSearchJSONRefusedDate(t *testing.T) {
	for _, d := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if rfc3339able(d) {
			t.Errorf("%v: rfc3339able, but time.Time.MarshalJSON refuses it", d)
		}
		if _, err := d.MarshalJSON(); err == nil {
			t.Errorf("%v: MarshalJSON encodes it", d)
		}
	}
	if d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); !rfc3339able(d) {
		t.Errorf("%v: not rfc3339able", d)
	}
}
