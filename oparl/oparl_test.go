package oparl_test

import (
	"encoding/json"
	"strings"
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

// encode is what encoding/json writes of v, with or without HTML
// escaping (json.Marshal escapes; the API's encoder does not).
func encode(t *testing.T, v any, escapeHTML bool) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestWritesPlainValue: the field types write exactly what the plain
// values wrote before the types were shared — a reference its URL as a
// string, an embedded object the object as written alone — whatever the
// encoder's HTML escaping, and an empty optional one is left out.
func TestWritesPlainValue(t *testing.T) {
	odd := "Haushalt <2027> & \"Rest\"\u2028 Zeile, Grüße \xff"
	file := &oparl.File{ID: "https://x/file/1?a=1&b=<2>", Type: oparl.Schema + "File", Name: oparl.Str(odd), Text: oparl.Str(odd), Size: 12,
		Paper: oparl.Refs[oparl.Paper]{{ID: "https://x/paper/ä&1"}}}
	item := &oparl.AgendaItem{ID: "https://x/agendaItem/1", Meeting: oparl.Ref[oparl.Meeting]{ID: "https://x/meeting/<1>"}, Name: oparl.Str(odd),
		AuxiliaryFile: oparl.Objects[oparl.File]{file}}
	m := &oparl.Meeting{ID: "https://x/meeting/1", AgendaItem: oparl.Objects[oparl.AgendaItem]{item}}
	for _, escape := range []bool{true, false} {
		if got, want := encode(t, m, escape), `"agendaItem":[`+strings.TrimSuffix(encode(t, item, escape), "\n")+`]`; !strings.Contains(got, want) {
			t.Errorf("escape %v: meeting\n%s\ndoes not embed the item as written alone\n%s", escape, got, want)
		}
		for _, u := range []string{"https://x/paper/1", "https://x/ä?a=1&b=<2>", "\"\\\u2028\x01\xff"} {
			if got, want := encode(t, oparl.Ref[oparl.Paper]{ID: u}, escape), encode(t, u, escape); got != want {
				t.Errorf("escape %v: URL %q written %s, want %s", escape, u, got, want)
			}
		}
	}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{oparl.Consultation{Paper: oparl.Ref[oparl.Paper]{}}, `{"id":"","type":"","paper":"","authoritative":false,"created":"","modified":""}`},
		{oparl.Meeting{Organization: oparl.Refs[oparl.Organization]{}, AgendaItem: oparl.Objects[oparl.AgendaItem]{}}, `{"id":"","type":"","created":"","modified":""}`},
		{oparl.Body{}, `{"id":"","type":"","system":"","name":"","organization":"","person":"","meeting":"","paper":"","legislativeTerm":null,"legislativeTermList":"","membership":"","locationList":"","agendaItem":"","consultation":"","file":"","created":"","modified":""}`},
		{oparl.Body{LegislativeTerm: oparl.Objects[oparl.LegislativeTerm]{}}, `"legislativeTerm":[]`},
	} {
		if got := encode(t, tc.v, false); !strings.Contains(got, tc.want) {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

// TestReadAsWritten: what Ratsmappe writes, read back into the same
// type and written again, is the same bytes.
func TestReadAsWritten(t *testing.T) {
	f := &oparl.File{ID: "https://x/file/1", Type: oparl.Schema + "File", Name: "Vorlage", Size: 12, AccessURL: "https://x/file/1/access",
		AgendaItem: oparl.Refs[oparl.AgendaItem]{{ID: "https://x/agendaItem/1"}}}
	m := &oparl.Meeting{ID: "https://x/meeting/1", Type: oparl.Schema + "Meeting", Name: "Rat", Cancelled: true,
		Location:   &oparl.Location{ID: "https://x/location/1", Description: "Rathaus"},
		Invitation: f,
		AgendaItem: oparl.Objects[oparl.AgendaItem]{{ID: "https://x/agendaItem/1", Order: 1, Public: true,
			Consultation: oparl.Ref[oparl.Consultation]{ID: "https://x/paper/1/consultation/1"}, AuxiliaryFile: oparl.Objects[oparl.File]{f}}},
		Created: "2026-01-15T18:30:00+01:00", Modified: "2026-01-15T18:30:00+01:00"}
	want := encode(t, m, false)
	var back oparl.Meeting
	if err := json.Unmarshal([]byte(want), &back); err != nil {
		t.Fatal(err)
	}
	if got := encode(t, &back, false); got != want {
		t.Errorf("read back and written again:\n%s\nwant\n%s", got, want)
	}
	if back.Location.Read.ID != "https://x/location/1" || back.Location.Read.Raw == nil || back.AgendaItem[0].Read.Raw == nil ||
		back.AgendaItem[0].AuxiliaryFile[0].Name != "Vorlage" {
		t.Errorf("embedded objects read as %+v, %+v", back.Location, back.AgendaItem[0])
	}
}

// TestReadLenient: what real servers send instead of the spec is read;
// an embedded object is kept undecoded besides (for a reader that
// decodes it on its own), a URL where an object is embedded is an object
// with only its id, a list where one object belongs keeps every entry,
// and a boolean the server leaves out or garbles keeps its default.
func TestReadLenient(t *testing.T) {
	var p oparl.Paper
	if err := json.Unmarshal([]byte(`{"id": "https://x/p/1", "mainFile": ["https://x/f/1", {"id": "https://x/f/2", "size": "x", "name": {"a": 1}}, "", null],
		"auxiliaryFile": {"id": "https://x/f/3", "size": "1.5e3"}, "consultation": "https://x/c/1", "body": [["https://x/b/1"]], "deleted": "ja"}`), &p); err != nil {
		t.Fatal(err)
	}
	mains := p.MainFile.Read.All()
	if p.MainFile.ID != "https://x/f/1" || len(mains) != 2 || mains[0].ID != "https://x/f/1" || mains[1].ID != "https://x/f/2" || mains[1].Raw == nil {
		t.Errorf("mainFile read as %+v: %+v", p.MainFile, mains)
	}
	var f oparl.File
	if err := json.Unmarshal(mains[1].Raw, &f); err != nil || f.Size != 0 || f.Name != "" || f.ID != "https://x/f/2" {
		t.Errorf("embedded file decoded as %+v (%v)", f, err)
	}
	if len(p.AuxiliaryFile) != 1 || p.AuxiliaryFile[0].Size != 1500 || len(p.Consultation) != 1 || p.Consultation[0].ID != "https://x/c/1" ||
		p.Consultation[0].Read.Raw != nil || p.Body.ID != "https://x/b/1" || !p.Deleted {
		t.Errorf("read %+v", p)
	}
	if (oparl.Ref[oparl.File]{}).All() != nil {
		t.Error("an empty reference has entries")
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{{`{}`, true}, {`{"votingRight": null}`, true}, {`{"votingRight": "vielleicht"}`, true}, {`{"votingRight": "nein"}`, false}, {`{"votingRight": 0}`, false}} {
		var m oparl.Membership
		if err := json.Unmarshal([]byte(tc.in), &m); err != nil || bool(m.VotingRight) != tc.want {
			t.Errorf("%s: votingRight %v (%v), want %v", tc.in, m.VotingRight, err, tc.want)
		}
	}
}

// TestStrAsUnmarshal: a string field reads what json.Unmarshal reads of
// the string, trimmed, with or without escapes.
func TestStrAsUnmarshal(t *testing.T) {
	for _, in := range []string{`" Grüße "`, `"a\"b\u00e4\n"`, "\"\xff x\"", `"\ud83d\ude00"`, `""`, `"https://x/p/1?a=1&b=2"`} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		var got oparl.Str
		if err := json.Unmarshal([]byte(in), &got); err != nil || string(got) != strings.TrimSpace(want) {
			t.Errorf("%s read as %q (%v), want %q", in, got, err, strings.TrimSpace(want))
		}
	}
}
