package portal

import (
	"bytes"
	"html/template"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// mainAgenda is how the meeting template wrote the agenda before
// agendaRows wrote it (3b6a305), inside the page's {{with .Data}}.
const mainAgenda = `{{$p := .}}{{with .Data}}<ol class="agenda" aria-labelledby="agenda">
{{range .Agenda}}
<li id="item-{{.ID}}">
  <span class="number">{{.Number}}</span>
  <span class="title">{{.Title}}</span>
  {{if not .Public}}<span class="badge np">{{if eq $p.Lang "en"}}non-public{{else}}nichtöffentlich{{end}}</span>{{end}}
  {{if .Late}}<span class="badge late">{{if eq $p.Lang "en"}}added late{{else}}nachgereicht{{end}}</span>{{end}}
  {{with .Result}}<div class="result"><strong>{{if eq $p.Lang "en"}}Result{{else}}Ergebnis{{end}}:</strong> {{.}}</div>{{end}}
  {{range index $p.Data.RollCalls .ID}}<dl class="rollcall facts">
    <dt>{{if eq $p.Lang "en"}}Yes{{else}}Ja{{end}}</dt><dd>{{range $i, $n := index .Choices 0}}{{if $i}}, {{end}}<a href="/persons/{{$n.Person}}">{{$n.Name}}</a>{{else}}–{{end}}</dd>
    <dt>{{if eq $p.Lang "en"}}No{{else}}Nein{{end}}</dt><dd>{{range $i, $n := index .Choices 1}}{{if $i}}, {{end}}<a href="/persons/{{$n.Person}}">{{$n.Name}}</a>{{else}}–{{end}}</dd>
    <dt>{{if eq $p.Lang "en"}}Abstain{{else}}Enthaltung{{end}}</dt><dd>{{range $i, $n := index .Choices 2}}{{if $i}}, {{end}}<a href="/persons/{{$n.Person}}">{{$n.Name}}</a>{{else}}–{{end}}</dd>
  </dl>{{end}}
  {{range .Papers}}<div class="muted"><a href="/papers/{{.ID}}">{{.Type}} {{.Reference}}</a></div>{{end}}
  {{with .Documents}}<ul class="docs">
  {{range .}}<li><a href="/documents/{{.ID}}">{{.Title}}</a> · <a href="{{.URL}}">PDF</a> <span class="muted">({{.Pages}} {{if eq $p.Lang "en"}}{{if eq .Pages 1}}page{{else}}pages{{end}}{{else}}{{if eq .Pages 1}}Seite{{else}}Seiten{{end}}{{end}}{{if gt .Version 1}}, {{if eq $p.Lang "en"}}version{{else}}Fassung{{end}} {{.Version}}{{end}})</span>{{if .Late}} <span class="badge late">{{if eq $p.Lang "en"}}added late{{else}}nachgereicht{{end}}</span>{{end}}</li>{{end}}
  </ul>{{end}}
</li>
{{end}}
</ol>{{end}}`

// TestAgendaRowsAsTemplate: the meeting page's agenda written by
// agendaRows is byte for byte what the template wrote, in both
// languages, for items public and not, late or not, with and without
// results, roll calls (names or none per choice), papers and documents
// (one page or more, first or later versions, late, URLs public,
// signed-in, with schemes and with characters the URL normalizer
// encodes), and texts with everything html/template escapes; a roll
// call without three lists fails both.
func TestAgendaRowsAsTemplate(t *testing.T) {
	tmpl := template.Must(template.New("agenda").Parse(mainAgenda))
	rng := rand.New(rand.NewPCG(15, 4))
	pieces := []string{"", "a", "Ö 3.1", "Haushaltssatzung 2027", `"`, `\`, "<", ">", "&", "'", "+", "\x00", "\t", "\n", "\u2028", "\xff", "\uFFFD", "\uFDD0", "😀", "–", " "}
	str := func() string {
		var b []byte
		for range rng.IntN(5) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		return string(b)
	}
	urls := []string{"/api/v1/documents/12/versions/3/file", "/files/ab12cd/Vorlage.pdf", "https://example.org/a?b=c&d=e+f", "javascript:alert(1)",
		"HTTP://x", "mailto:a@b", "/a b/ü?x=%41%4&y=%zz%", "/p'(\")<>", "data:x", "a/b:c", ""}
	url := func() string {
		if rng.IntN(3) == 0 {
			return str()
		}
		return urls[rng.IntN(len(urls))]
	}
	late := func() *time.Time {
		if rng.IntN(3) == 0 {
			return folder.Tptr(time.Unix(1.8e9, 0))
		}
		return nil
	}
	for n := range 1500 {
		var a agendaRows
		a.RollCalls = map[int64][]live.RollCall{}
		for range rng.IntN(6) {
			e := folder.AgendaEntry{ID: rng.Int64N(1000) - 3, Number: str(), Title: str(), Public: rng.IntN(2) == 0, Late: late()}
			if rng.IntN(2) == 0 {
				e.Result = str()
			}
			for range rng.IntN(3) {
				e.Papers = append(e.Papers, &folder.PaperEntry{ID: rng.Int64N(1 << 40), Type: str(), Reference: str()})
			}
			if rng.IntN(4) > 0 {
				for range rng.IntN(4) {
					e.Documents = append(e.Documents, folder.DocumentEntry{ID: rng.Int64N(1 << 40), Title: str(), URL: url(),
						Pages: rng.IntN(4) - 1, Version: rng.IntN(4) - 1, Late: late()})
				}
			} else if rng.IntN(2) == 0 {
				e.Documents = []folder.DocumentEntry{}
			}
			if rng.IntN(3) == 0 {
				for range 1 + rng.IntN(2) {
					rc := live.RollCall{Vote: rng.Int64N(100)}
					for range 3 {
						var ns []live.RollName
						for range rng.IntN(3) {
							ns = append(ns, live.RollName{Person: rng.Int64N(600), Name: str()})
						}
						rc.Choices = append(rc.Choices, ns)
					}
					a.RollCalls[e.ID] = append(a.RollCalls[e.ID], rc)
				}
			}
			a.Agenda = append(a.Agenda, e)
		}
		page := meetingPage{MeetingView: &folder.MeetingView{Agenda: a.Agenda}, RollCalls: a.RollCalls}
		for _, lang := range []string{"de", "en"} {
			var want bytes.Buffer
			if err := tmpl.Execute(&want, &render.Page{Lang: lang, Data: page}); err != nil {
				t.Fatal(err)
			}
			b, err := a.AppendHTML(nil, lang)
			if err != nil {
				t.Fatal(err)
			}
			got := `<ol class="agenda" aria-labelledby="agenda">` + "\n" + string(b) + "\n</ol>"
			if got != want.String() {
				t.Fatalf("case %d, %s:\n got %q\nwant %q", n, lang, got, want.String())
			}
		}
	}
	// A roll call without its three lists fails the page, as it did.
	a := agendaRows{Agenda: []folder.AgendaEntry{{ID: 1}}, RollCalls: map[int64][]live.RollCall{1: {{Choices: [][]live.RollName{nil}}}}}
	page := meetingPage{MeetingView: &folder.MeetingView{Agenda: a.Agenda}, RollCalls: a.RollCalls}
	if err := tmpl.Execute(new(strings.Builder), &render.Page{Data: page}); err == nil {
		t.Fatal("template: no error for a roll call with one list")
	}
	if _, err := a.AppendHTML(nil, "de"); err == nil {
		t.Fatal("agendaRows: no error for a roll call with one list")
	}
}

// BenchmarkAgenda writes a dozen agenda items (each with a paper and two
// documents) as main's template did and as agendaRows does.
func BenchmarkAgenda(b *testing.B) {
	var a agendaRows
	for i := range 12 {
		a.Agenda = append(a.Agenda, folder.AgendaEntry{ID: int64(i + 1), Number: "Ö " + strconv.Itoa(i+1), Title: "Bebauungsplan Nr. 123 „Am Mühlbach“",
			Public: i%4 != 0, Papers: []*folder.PaperEntry{{ID: int64(i + 7), Type: "Beschlussvorlage", Reference: "2026/0123"}},
			Documents: []folder.DocumentEntry{
				{ID: int64(100 + i), Title: "Beschlussvorlage Haushalt 2027", URL: "/api/v1/documents/100/versions/1/file", Pages: 12, Version: 1},
				{ID: int64(200 + i), Title: "Anlage 1 – Stellungnahme", URL: "/api/v1/documents/200/versions/2/file", Pages: 1, Version: 2},
			}})
	}
	page := &render.Page{Lang: "de", Data: meetingPage{MeetingView: &folder.MeetingView{Agenda: a.Agenda}, RollCalls: map[int64][]live.RollCall{}}}
	benchTemplateAndRows(b, template.Must(template.New("agenda").Parse(mainAgenda)), page, a)
}

// benchTemplateAndRows times main's template tmpl executing page beside
// rows written in Go, the same rows (BenchmarkAgenda, BenchmarkMeetingRows).
func benchTemplateAndRows(b *testing.B, tmpl *template.Template, page *render.Page, rows interface {
	AppendHTML([]byte, string) ([]byte, error)
}) {
	b.Run("template", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := tmpl.Execute(&buf, page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rows", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = rows.AppendHTML(buf[:0], page.Lang); err != nil {
				b.Fatal(err)
			}
		}
	})
}
