package render

import (
	"html/template"
	"strings"
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
	AppendHTML(dst []byte, lang string) ([]byte, error)
}

// rows is the template function: p.Data's rows in p's language. An
// error fails the page as the template's own error did.
func rows(p *Page) (template.HTML, error) {
	r, ok := p.Data.(Rows)
	if !ok {
		return "", errNotRows
	}
	b, err := r.AppendHTML(nil, p.Lang)
	return template.HTML(b), err
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

// dateTimeLayout is a date with its time as the pages show it.
const dateTimeLayout = "02.01.2006, 15:04"

// DateTime is t in Berlin's time as the pages show it (the templates'
// datetime function): "02.01.2006, 15:04".
func DateTime(t time.Time) string { return t.In(Berlin).Format(dateTimeLayout) }

// AppendDateTime appends DateTime(t) (digits and punctuation that need
// no escaping).
func AppendDateTime(dst []byte, t time.Time) []byte {
	return t.In(Berlin).AppendFormat(dst, dateTimeLayout)
}

// AppendHTMLURL appends s as html/template writes a string that is a
// whole attribute's URL (href="{{.URL}}"): a URL with a scheme other
// than http, https or mailto replaced by "#ZgotmplZ", then normalized
// (bytes outside RFC 3986's unreserved and reserved ones, and a % that
// does not start an escape, percent-encoded), then escaped for the
// attribute.
func AppendHTMLURL(dst []byte, s string) []byte {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return append(dst, "#ZgotmplZ"...)
		}
	}
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$*,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '&' || c == '+':
			// Kept by the normalizer, escaped for the attribute.
			dst = append(dst, s[written:i]...)
			dst = append(dst, htmlTextEscapes[c]...)
			written = i + 1
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		dst = append(dst, s[written:i]...)
		dst = append(dst, '%', hexLower[c>>4], hexLower[c&0xF])
		written = i + 1
	}
	return append(dst, s[written:]...)
}

const hexLower = "0123456789abcdef"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
