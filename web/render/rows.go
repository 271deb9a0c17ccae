package render

import (
	"html/template"
	"time"
	"unicode/utf8"
)

// Rows is a page's data that writes its own HTML: the rows of a list
// that a template would render with several reflective calls each. A
// template writes them with {{rows .}}, dot being the page whose Data
// they are. html/template calls a template's functions, and an escaper
// for each value, by reflection: a row of /meetings (a date, a link, a
// name, a badge, a committee) cost about seven such calls, and the rows
// were a third of the page's CPU at 32 clients (issue 15, pgapp2).
// AppendHTML must write exactly what the template wrote, escaped as
// html/template escapes it (AppendHTMLText does that for text between
// tags); a test of each implementation compares the two.
type Rows interface {
	AppendHTML(dst []byte, lang string) []byte
}

// rows is the template function: p.Data's rows in p's language.
func rows(p *Page) (template.HTML, error) {
	r, ok := p.Data.(Rows)
	if !ok {
		return "", errNotRows
	}
	return template.HTML(r.AppendHTML(nil, p.Lang)), nil
}

type rowsError struct{}

func (rowsError) Error() string { return "render: rows of data that does not write its rows" }

var errNotRows error = rowsError{}

// htmlTextEscapes is what html/template's escaper writes for a string
// between tags (its htmlReplacementTable).
var htmlTextEscapes = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// AppendHTMLText appends s escaped as html/template escapes a string
// printed between tags ({{.Name}} in <td>…</td>): NUL, ", &, ', +, < and
// > replaced, every other byte — invalid UTF-8 too — kept.
func AppendHTMLText(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || int(c) >= len(htmlTextEscapes) || htmlTextEscapes[c] == "" {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, htmlTextEscapes[c]...)
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// AppendDateTime appends t as the templates' datetime function writes
// it: in Berlin's time, "02.01.2006, 15:04" (digits and punctuation
// that need no escaping).
func AppendDateTime(dst []byte, t time.Time) []byte {
	return t.In(Berlin).AppendFormat(dst, "02.01.2006, 15:04")
}
