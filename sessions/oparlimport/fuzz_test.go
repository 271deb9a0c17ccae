package oparlimport_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ratsmappe/ratsmappe/oparl"
)

// FuzzDecodeOParl feeds arbitrary bytes, as a hostile or broken OParl
// server could send them, to the importer's decoding of list pages and
// of every object type: it must never panic, and what it accepts must
// hold no empty references.
func FuzzDecodeOParl(f *testing.F) {
	for _, s := range []string{
		`{"data": [{"id": "https://x/m/1", "type": "https://schema.oparl.org/1.1/Meeting", "organization": "https://x/o/1", "agendaItem": {"id": "https://x/a/1", "order": "3", "public": "false"}}], "links": {"next": "https://x/l?page=2"}}`,
		`{"data": {"id": "https://x/p/1", "deleted": true}}`,
		`{"id": "https://x/p/1", "mainFile": [{"id": "https://x/f/1", "size": 1.5e3}, "https://x/f/2", null, ""], "consultation": "https://x/c/1", "date": ""}`,
		`{"id": 17, "name": ["a"], "membership": [[["x"]]], "title": "Dr.", "votingRight": "ja"}`,
		`{"data": null, "links": {"next": {"id": "https://x"}}}`,
		`[]`, `"x"`, `{"data": [1, "a", {}]}`,
		`{"id": "https://x/i/1", "ratsmappe:votes": [{"yes": "drei"}], "auxiliaryFile": [{"id": 1, "size": {}}, 7], "meeting": [[{"id": "m"}]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := oparl.DecodePage(b); err == nil {
			for _, d := range p.Data {
				if len(d) == 0 || d[0] != '{' {
					t.Fatalf("page entry that is no object: %q", d)
				}
			}
		}
		var m oparl.Meeting
		if json.Unmarshal(b, &m) == nil {
			noEmpty(t, b, m.Organization)
			for _, it := range m.AgendaItem {
				noEmpty(t, b, []oparl.Ref[oparl.AgendaItem]{it.Read})
			}
			for _, f := range append(oparl.Objects[oparl.File]{m.Invitation, m.ResultsProtocol}, m.AuxiliaryFile...) {
				if f != nil {
					noEmpty(t, b, f.Read.All())
				}
			}
		}
		// Every field is lenient: any JSON object decodes into every
		// type, so an odd embedded object never fails the one around it.
		object := json.Valid(b) && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
		for _, v := range []any{&oparl.System{}, &oparl.Body{}, &oparl.Organization{}, &oparl.Person{},
			&oparl.Membership{}, &oparl.LegislativeTerm{}, &oparl.Meeting{}, &oparl.AgendaItem{}, &oparl.Paper{},
			&oparl.Consultation{}, &oparl.File{}, &oparl.Location{}} {
			if err := json.Unmarshal(b, v); err != nil && object {
				t.Fatalf("%T refuses the JSON object %q: %v", v, b, err)
			}
		}
		oparl.ParseTime(string(b))
		oparl.ParseDate(string(b))
	})
}

// noEmpty fails if a reference of rs, read from b, refers to nothing.
func noEmpty[T any](t *testing.T, b []byte, rs []oparl.Ref[T]) {
	t.Helper()
	for _, r := range rs {
		if r.IsZero() {
			t.Fatalf("empty reference in %q", b)
		}
	}
}
