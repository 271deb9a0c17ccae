package oparlimport_test

import (
	"testing"

	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport"
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
		var m oparlimport.Meeting
		if oparlimport.Decode(b, &m) == nil {
			for _, rs := range []oparl.Refs{m.Organization, m.AgendaItem, m.Invitation, m.AuxiliaryFile, m.ResultsProtocol} {
				for _, r := range rs {
					if r.Empty() {
						t.Fatalf("empty reference in %q", b)
					}
				}
			}
		}
		for _, v := range []any{&oparlimport.System{}, &oparlimport.Body{}, &oparlimport.Organization{}, &oparlimport.Person{},
			&oparlimport.Membership{}, &oparlimport.LegislativeTerm{}, &oparlimport.AgendaItem{}, &oparlimport.Paper{},
			&oparlimport.Consultation{}, &oparlimport.File{}, &oparlimport.Location{}} {
			oparlimport.Decode(b, v)
		}
		oparl.ParseTime(string(b))
		oparl.ParseDate(string(b))
	})
}
