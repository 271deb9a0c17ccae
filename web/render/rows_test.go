package render_test

import (
	"html/template"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/web/render"
)

// TestAppendHTMLAsTemplate: AppendHTMLText and AppendHTMLURL write what
// html/template writes for a string between tags and for a whole href,
// for strings of everything its escapers and its URL filter and
// normalizer treat specially.
func TestAppendHTMLAsTemplate(t *testing.T) {
	tmpl := template.Must(template.New("x").Parse(`<p>{{.}}</p><a href="{{.}}">`))
	rng := rand.New(rand.NewPCG(15, 5))
	pieces := []string{"", "a", "Z", "0", "/", ":", "http", "HTTPS", "mailto", "javascript", "data", "?", "#", "&", "+", "%", "%4", "%41", "%zz", " ",
		`"`, "'", "<", ">", "(", ")", "\x00", "\t", "\x7f", "ü", "\xff", "\uFFFD", "\uFDD0", "!$*,;=@[]-._~", "`", "{", "\\"}
	for n := range 5000 {
		var b strings.Builder
		for range rng.IntN(7) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		var want strings.Builder
		if err := tmpl.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		got := "<p>" + string(render.AppendHTMLText(nil, s)) + `</p><a href="` + string(render.AppendHTMLURL(nil, s)) + `">`
		if got != want.String() {
			t.Fatalf("case %d %q:\n got %q\nwant %q", n, s, got, want.String())
		}
	}
}
