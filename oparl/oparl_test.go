package oparl_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/oparl"
)

// TestTimeRoundTrip: what Time writes, ParseTime reads back as the same
// instant, in the council's zone (summer and winter time).
func TestTimeRoundTrip(t *testing.T) {
	for _, s := range []string{"2026-01-15T18:30:00+01:00", "2026-07-15T18:30:00+02:00"} {
		got := string(oparl.Time(oparl.ParseTime(s)))
		if got != s {
			t.Errorf("Time(ParseTime(%q)) = %q", s, got)
		}
	}
	if oparl.Time(time.Time{}) != "" {
		t.Error("zero time must be written as empty (left out)")
	}
	if got := oparl.ParseTime("2026-07-15 18:30:00"); oparl.Time(got) != "2026-07-15T18:30:00+02:00" {
		t.Errorf("a time without zone is Berlin time, got %v", got)
	}
	if got := oparl.ParseDate("2026-07-15T23:30:00+02:00"); got != "2026-07-15" {
		t.Errorf("ParseDate = %q", got)
	}
}

// TestErrorObject: the error object's JSON is what the map it replaced
// wrote (keys in sorted order, debug only when set).
func TestErrorObject(t *testing.T) {
	for _, tc := range []struct {
		e    oparl.Error
		want string
	}{
		{oparl.Error{Type: oparl.Schema + "Error", Message: "Nicht gefunden."}, `{"message":"Nicht gefunden.","type":"https://schema.oparl.org/1.1/Error"}`},
		{oparl.Error{Type: oparl.Schema + "Error", Message: "internal error", Debug: "request x"}, `{"debug":"request x","message":"internal error","type":"https://schema.oparl.org/1.1/Error"}`},
	} {
		b, err := json.Marshal(tc.e)
		if err != nil || string(b) != tc.want {
			t.Errorf("got %s (%v), want %s", b, err, tc.want)
		}
	}
}

// TestLenientFields: the field types take what real servers send.
func TestLenientFields(t *testing.T) {
	var v struct {
		Name  oparl.Str                      `json:"name"`
		Order oparl.Int                      `json:"order"`
		Pub   oparl.Bool                     `json:"public"`
		Orgs  oparl.Refs[oparl.Organization] `json:"organization"`
		Title oparl.Strs                     `json:"title"`
	}
	if err := json.Unmarshal([]byte(`{"name": 17, "order": "3", "public": "ja", "organization": {"id": "https://x/o/1"}, "title": "Dr."}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Name != "17" || v.Order != 3 || !v.Pub || len(v.Orgs) != 1 || v.Orgs[0].ID != "https://x/o/1" || len(v.Title) != 1 {
		t.Errorf("decoded %+v", v)
	}
}
