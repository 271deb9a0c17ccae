package render

import (
	"bytes"
	"flag"
	"fmt"
	"html/template"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// other is a data type with a T method and a Lang field of its own: inside
// {{range}} and {{with}} dot is such a value, not the page, and must not be
// folded.
type other struct{ Lang string }

func (other) T(key string) string { return "other:" + key }

// TestFoldLanguage folds a small template set the way the pages are
// folded and compares it with the general one, in both languages: the
// page's T, Lang and OtherLang and the static files' URLs become
// constants (literal text where the escapers, URL ones too, would leave
// them as they are), the data's do not.
func TestFoldLanguage(t *testing.T) {
	const src = `{{define "layout.html"}}<html lang="{{.Lang}}"><title>{{.T "app.name"}}</title>` +
		`<a aria-label="{{.T "nav.main"}}" href="/x?l={{$.Lang}}">{{$.T "nav.meetings"}}</a>` +
		`{{$p := .}}{{if eq $p.Lang "en"}}EN{{else}}DE{{end}}{{if eq .Lang "de"}}<b>de</b>{{end}}` +
		`{{range .Data}}[{{.T "k"}} {{.Lang}} {{$p.T "nav.signin"}} {{if eq .Lang "en"}}data-en{{end}}]{{end}}` +
		`{{with .Data}}{{$p := index . 0}}({{$p.T "k"}}){{end}}` +
		`<p title="{{.T "login.failed"}}">{{printf "%s!" ($p.T "error.csrf")}}</p>` +
		`<script>var x = {{.T "nav.skip"}};</script>{{template "sub" .With 1}}` +
		`<a href="?lang={{.OtherLang}}" hreflang="{{.OtherLang}}">{{.OtherLang}}</a><link href="{{static "app.css"}}">` +
		`<link href="{{static "a b.css"}}"><link href="{{static "x:y.css"}}"><a href="/s/{{static "q"}}?x={{static "q"}}">{{end}}` +
		`{{define "sub"}}<i>{{.T "nav.signout"}}{{if eq $.Lang "en"}}!{{end}}</i>{{end}}`
	data := []other{{Lang: "en"}, {Lang: "de"}}
	static := func(name string) string { return "/static/ab12/" + name }
	lookup := func(name string) (string, bool) { return static(name), true }
	funcs := template.FuncMap{"static": static}
	for _, lang := range languages {
		general := template.Must(template.New("x").Funcs(funcs).Parse(src))
		folded := template.Must(template.New("x").Funcs(funcs).Parse(src))
		if err := foldLanguage(folded, lang, lookup); err != nil {
			t.Fatal(err)
		}
		var want, got bytes.Buffer
		p := &Page{Lang: lang, Data: data}
		if err := general.ExecuteTemplate(&want, "layout.html", p); err != nil {
			t.Fatal(err)
		}
		if err := folded.ExecuteTemplate(&got, "layout.html", p); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("%s: folded\n%s\nwant\n%s", lang, got.String(), want.String())
		}
		// The page's texts are folded: the layout no longer asks T.
		if tree := folded.Lookup("layout.html").Tree.Root.String(); strings.Contains(tree, `.T "app.name"`) || strings.Contains(tree, "eq $p.Lang") ||
			strings.Contains(tree, "OtherLang") || strings.Contains(tree, `static "app.css"`) || !strings.Contains(tree, `href="/static/ab12/app.css"`) {
			t.Errorf("%s: not folded: %s", lang, tree)
		}
		if !strings.Contains(got.String(), "other:k") {
			t.Errorf("%s: the data's own T was not called: %s", lang, got.String())
		}
	}
}

// TestFoldedPages renders the pages a test can render without a store
// through HTML, which under go test also renders the general template and
// answers 500 if they differ.
func TestFoldedPages(t *testing.T) {
	if !checkFolded() {
		if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
			t.Skip("benchmarking: pages are not rendered twice")
		}
		t.Fatal("checkFolded is off under go test")
	}
	for _, lang := range languages {
		for _, name := range []string{"error", "login"} {
			r := httptest.NewRequest("GET", "/x?lang="+lang, nil)
			w := httptest.NewRecorder()
			p := &Page{Title: "Titel", Error: "Fehler & <mehr>", RequestID: "r1", Data: "/next", CSRF: "tok", User: "Anna"}
			HTML(w, r, 200, name, p)
			if w.Code != 200 {
				t.Fatalf("%s %s: %d %s", lang, name, w.Code, w.Body.String())
			}
			if !strings.Contains(w.Body.String(), T(lang, "nav.signout")) {
				t.Errorf("%s %s: no %q", lang, name, T(lang, "nav.signout"))
			}
		}
	}
}

// BenchmarkMeetingPage renders a member's meeting page from the general
// template and from the folded one, to compare the templates' own cost;
// the agenda items, which portal writes in Go (agendaRows), are left
// out here (portal's BenchmarkAgenda costs them).
func BenchmarkMeetingPage(b *testing.B) {
	if err := Load(); err != nil {
		b.Fatal(err)
	}
	var agenda []map[string]any
	for i := range 12 {
		docs := []map[string]any{
			{"ID": int64(100 + i), "Title": "Beschlussvorlage Haushalt 2027", "URL": "/files/abc.pdf", "Pages": 12, "Version": 1, "Late": nil},
			{"ID": int64(200 + i), "Title": "Anlage 1 – Stellungnahme", "URL": "/files/def.pdf", "Pages": 1, "Version": 2, "Late": nil},
		}
		agenda = append(agenda, map[string]any{"ID": int64(i + 1), "Number": fmt.Sprintf("Ö %d", i+1), "Title": "Bebauungsplan Nr. 123 „Am Mühlbach“",
			"Public": i%4 != 0, "Late": nil, "Result": "", "Papers": []map[string]any{{"ID": int64(i + 7), "Type": "Beschlussvorlage", "Reference": "2026/0123"}},
			"Documents": docs})
	}
	data := map[string]any{"Name": "14. Sitzung des Hauptausschusses", "Organization": "Hauptausschuss", "Start": time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC),
		"Location": "Rathaus, Großer Sitzungssaal", "PacketURL": "/api/v1/meetings/14/packet.pdf", "Agenda": agenda, "RollCalls": map[int64][]any{}, "Minutes": nil,
		"Items": noRows{}}
	for _, c := range []struct {
		name string
		t    *template.Template
	}{{"general", loaded.views.pages["meeting"]}, {"folded", loaded.views.byLang["de"]["meeting"]}} {
		b.Run(c.name, func(b *testing.B) {
			p := &Page{Lang: "de", Title: "x", User: "Anna Beispiel", CSRF: "tok", Path: "/meetings/14", Data: data}
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := c.t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// noRows writes no rows.
type noRows struct{}

func (noRows) AppendHTML(dst []byte, lang string) ([]byte, error) { return dst, nil }
