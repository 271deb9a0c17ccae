package portal

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/web/folder"
)

// TestMeetingsJSONAsEncodingJSON: the API's list of meetings written by
// hand is byte for byte what encoding/json wrote (render.JSON), for
// random meetings with every kind of string encoding/json escapes,
// times in several zones with and without fractions, absent and present
// ends and publications, packet URLs or none, an empty, a nil and a
// long list, with and without a next link.
func TestMeetingsJSONAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	pieces := []string{"", "a", "Stadtrat", `"`, `\`, "<", ">", "&", "'", "+", "\x00", "\x01", "\b", "\f", "\n", "\r", "\t", "\x1f", "\x7f",
		"\u2028", "\u2029", "\xff", "\xe2\x80", "\x80", "😀", "€", " ", "/api/v1/meetings?cursor=a%2Fb&limit=5"}
	str := func() string {
		var b []byte
		for range rng.IntN(6) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		return string(b)
	}
	zones := []*time.Location{time.UTC, berlinForTest(t), time.FixedZone("x", -(3*3600 + 30*60))}
	tm := func() time.Time {
		return time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(1e9)*int64(rng.IntN(2))).In(zones[rng.IntN(len(zones))])
	}
	var out []byte
	for n := range 2000 {
		var ms []folder.MeetingView
		switch rng.IntN(5) {
		case 0: // nil
		case 1:
			ms = []folder.MeetingView{}
		default:
			for range 1 + rng.IntN(12) {
				m := folder.MeetingView{ID: rng.Int64N(1<<50) - 5, Name: str(), Organization: str(), Start: tm(), Location: str(), State: str()}
				if rng.IntN(4) == 0 {
					m.Start = time.Time{}
				}
				if rng.IntN(2) == 0 {
					m.End = folder.Tptr(tm())
				}
				if rng.IntN(2) == 0 {
					m.Published = folder.Tptr(tm())
				}
				if rng.IntN(4) == 0 {
					m.PacketURL = str()
				}
				ms = append(ms, m)
			}
		}
		var next *string
		if rng.IntN(2) == 0 {
			s := str()
			next = &s
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(true)
		if err := enc.Encode(meetingsAnswer(ms, next)); err != nil {
			t.Fatal(err)
		}
		out = appendMeetingsJSON(out[:0], ms, next)
		if !bytes.Equal(out, want.Bytes()) {
			t.Fatalf("case %d:\n got %s\nwant %s", n, out, want.Bytes())
		}
	}
}

func berlinForTest(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
