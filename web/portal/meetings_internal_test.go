package portal

import (
	"bytes"
	"html/template"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// mainMeetingRows is how the template "meetingrows" wrote a table's rows
// before meetingRows wrote them (3b6a305).
const mainMeetingRows = `<table><tbody>
{{range .Data}}<tr>
<td>{{datetime .Start}}</td>
<td><a href="/meetings/{{.ID}}">{{.Name}}</a>{{if not .Published}} <span class="badge late">{{$.T "office.status_draft"}}</span>{{end}}</td>
<td>{{.Organization}}</td>
</tr>{{end}}
</tbody></table>`

// TestMeetingRowsAsTemplate: the rows of /meetings written by
// meetingRows are byte for byte what the template wrote, in both
// languages, for names with everything html/template escapes (and
// invalid UTF-8, U+FFFD and noncharacters, which it keeps), starts in
// several zones and years, drafts and published meetings.
func TestMeetingRowsAsTemplate(t *testing.T) {
	tmpl := template.Must(template.New("rows").Funcs(template.FuncMap{
		"datetime": func(t time.Time) string { return t.In(render.Berlin).Format("02.01.2006, 15:04") },
	}).Parse(mainMeetingRows))
	rng := rand.New(rand.NewPCG(15, 2))
	pieces := []string{"", "a", "Stadtrat", "Bezirksausschuss 3 – Maxvorstadt", `"`, `\`, "<", ">", "&", "'", "+", "\x00", "\x01", "\t", "\n",
		"\u2028", "\xff", "\xe2\x80", "\uFFFD", "\uFDD0", "\uFFFE", "😀", "Ö 3.1", "<script>", "&amp;", "{{.}}", " "}
	str := func() string {
		var b []byte
		for range rng.IntN(6) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		return string(b)
	}
	zones := []*time.Location{time.UTC, render.Berlin, time.FixedZone("x", -(3*3600 + 30*60))}
	for n := range 1000 {
		var ms meetingRows
		for range rng.IntN(8) {
			m := folder.MeetingView{ID: rng.Int64N(1 << 40), Name: str(), Organization: str(),
				Start: time.Unix(rng.Int64N(4e9)-1e9, 0).In(zones[rng.IntN(len(zones))])}
			if rng.IntN(3) == 0 {
				m.Start = time.Time{}
			}
			if rng.IntN(2) == 0 {
				m.Published = folder.Tptr(m.Start.Add(-time.Hour))
			}
			ms = append(ms, m)
		}
		for _, lang := range []string{"de", "en"} {
			var want bytes.Buffer
			if err := tmpl.Execute(&want, &render.Page{Lang: lang, Data: ms}); err != nil {
				t.Fatal(err)
			}
			b, err := ms.AppendHTML(nil, lang)
			if err != nil {
				t.Fatal(err)
			}
			got := "<table><tbody>\n" + string(b) + "\n</tbody></table>"
			if got != want.String() {
				t.Fatalf("case %d, %s:\n got %q\nwant %q", n, lang, got, want.String())
			}
		}
	}
}

// BenchmarkMeetingRows writes /meetings' twenty rows as main's template
// did and as meetingRows does.
func BenchmarkMeetingRows(b *testing.B) {
	var ms meetingRows
	for i := range 20 {
		ms = append(ms, folder.MeetingView{ID: int64(1000 + i), Name: "14. Sitzung des Bezirksausschusses 3 – Maxvorstadt", Organization: "Bezirksausschuss 3",
			Start: time.Date(2027, 3, 10+i, 16, 0, 0, 0, time.UTC), Published: folder.Tptr(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))})
	}
	page := &render.Page{Lang: "de", Data: ms}
	tmpl := template.Must(template.New("rows").Funcs(template.FuncMap{
		"datetime": func(t time.Time) string { return t.In(render.Berlin).Format("02.01.2006, 15:04") },
	}).Parse(mainMeetingRows))
	benchTemplateAndRows(b, tmpl, page, ms)
}
