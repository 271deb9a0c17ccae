package portal

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe/search"
)

// The search API's answer, written without reflection: at a year of
// Munich, encoding/json's encoding of the hits, their URLs made with
// fmt and the snippets built as strings twice were most of what an
// uncached search cost outside the index besides writing the answer
// (issue 15, search p99). appendSearchJSON writes exactly the bytes
// render.JSON wrote for searchJSON — the same fields in the same order,
// encoding/json's escaping (HTML characters too) and its trailing
// newline — which TestSearchJSONAsEncodingJSON checks against
// encoding/json itself.

// jsonBufs keeps the answers' buffers (about 11 kB for ten hits).
var jsonBufs = sync.Pool{New: func() any { return new(jsonBuf) }}

type jsonBuf struct{ out, scratch []byte }

// writeSearchJSON answers res as the API's JSON with status 200, or
// returns false, having written nothing, where only encoding/json's
// answer is right (a date encoding/json refuses to encode).
func writeSearchJSON(w http.ResponseWriter, res *search.Result, q search.Query) bool {
	for _, h := range res.Hits {
		if !h.Date.IsZero() && !rfc3339able(h.Date) {
			return false
		}
	}
	b := jsonBufs.Get().(*jsonBuf)
	defer jsonBufs.Put(b)
	b.out, b.scratch = appendSearchJSON(b.out[:0], b.scratch[:0], res, q)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// One write with its length: no chunked encoding, no closing chunk.
	h.Set("Content-Length", strconv.Itoa(len(b.out)))
	w.WriteHeader(http.StatusOK)
	w.Write(b.out)
	return true
}

// rfc3339able reports whether time.Time's MarshalJSON encodes t as
// AppendFormat does (it refuses years outside 0–9999; an offset with
// seconds is left to it too).
func rfc3339able(t time.Time) bool {
	_, off := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && off%60 == 0
}

// appendSearchJSON appends searchJSON{…} of res and q as encoding/json's
// Encoder (SetEscapeHTML) writes it; scratch is a buffer for the
// snippets' strings, returned for reuse.
func appendSearchJSON(dst, scratch []byte, res *search.Result, q search.Query) ([]byte, []byte) {
	dst = append(dst, `{"facets":{`...)
	// A map's keys in order; a name given twice keeps its last values,
	// as the map did.
	order := make([]int, 0, 4)
	for i, f := range res.Facets {
		if j := slices.IndexFunc(order, func(k int) bool { return res.Facets[k].Name == f.Name }); j >= 0 {
			order[j] = i
			continue
		}
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := res.Facets[a].Name, res.Facets[b].Name
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	for n, i := range order {
		f := res.Facets[i]
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, f.Name)
		dst = append(dst, ":["...)
		for k, v := range f.Values {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"value":`...)
			dst = appendJSONString(dst, v.Value)
			dst = append(dst, `,"count":`...)
			dst = strconv.AppendInt(dst, int64(v.Count), 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"hits":[`...)
	for i, h := range res.Hits {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"document":`...)
		dst = strconv.AppendInt(dst, h.Document, 10)
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(h.Version), 10)
		dst = append(dst, `,"title":`...)
		dst = appendJSONString(dst, h.Title)
		if h.Reference != "" {
			dst = append(dst, `,"reference":`...)
			dst = appendJSONString(dst, h.Reference)
		}
		if h.Committee != "" {
			dst = append(dst, `,"committee":`...)
			dst = appendJSONString(dst, h.Committee)
		}
		if h.Meeting != "" {
			dst = append(dst, `,"meeting":`...)
			dst = appendJSONString(dst, h.Meeting)
		}
		if !h.Date.IsZero() {
			dst = append(dst, `,"date":"`...)
			dst = h.Date.AppendFormat(dst, time.RFC3339Nano)
			dst = append(dst, '"')
		}
		dst = append(dst, `,"kind":`...)
		dst = appendJSONString(dst, h.Kind)
		dst = append(dst, `,"page":`...)
		dst = strconv.AppendInt(dst, int64(h.Page), 10)
		dst = append(dst, `,"pages":`...)
		if h.Pages == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for k, p := range h.Pages {
				if k > 0 {
					dst = append(dst, ',')
				}
				dst = strconv.AppendInt(dst, int64(p), 10)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, `,"matches":`...)
		dst = strconv.AppendInt(dst, int64(h.Matches), 10)
		// The plain snippet as Snippet.String builds it, escaped whole:
		// a character may run on from one span into the next.
		scratch = scratch[:0]
		for _, sp := range h.Snippet {
			scratch = append(scratch, sp.Text...)
		}
		dst = append(dst, `,"snippet":`...)
		dst = appendJSONString(dst, scratch)
		dst = append(dst, `,"snippet_html":`...)
		dst = appendSnippetHTML(dst, h.Snippet)
		// hitURLs' two URLs: digits and ASCII that needs no escaping.
		dst = append(dst, `,"url":"/documents/`...)
		dst = strconv.AppendInt(dst, h.Document, 10)
		dst = append(dst, "#seite-"...)
		dst = strconv.AppendInt(dst, int64(h.Page), 10)
		dst = append(dst, `","file_url":"/api/v1/documents/`...)
		dst = strconv.AppendInt(dst, h.Document, 10)
		dst = append(dst, "/versions/"...)
		dst = strconv.AppendInt(dst, int64(h.Version), 10)
		dst = append(dst, "/file#page="...)
		dst = strconv.AppendInt(dst, int64(h.Page), 10)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, `],"limit":`...)
	dst = strconv.AppendInt(dst, int64(q.Limit), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, int64(q.Offset), 10)
	dst = append(dst, `,"total":`...)
	dst = strconv.AppendInt(dst, int64(res.Total), 10)
	dst = append(dst, "}\n"...)
	return dst, scratch
}

// appendSnippetHTML appends the JSON string of sn.HTML(). It escapes
// span by span: a tag stands between two spans where one is marked and
// the other not (as MakeSnippet makes them), so no character of one runs
// on into the next. Otherwise it makes the string and escapes it whole.
func appendSnippetHTML(dst []byte, sn search.Snippet) []byte {
	if !alternating(sn) {
		return appendJSONString(dst, string(sn.HTML()))
	}
	dst = append(dst, '"')
	for _, sp := range sn {
		if sp.Mark {
			dst = append(dst, `\u003cmark\u003e`...)
		}
		dst = appendJSONChars(dst, sp.Text, true)
		if sp.Mark {
			dst = append(dst, `\u003c/mark\u003e`...)
		}
	}
	return append(dst, '"')
}

// alternating reports whether every span of s is marked where the one
// before is not, and the other way round.
func alternating(s search.Snippet) bool {
	for i := 1; i < len(s); i++ {
		if s[i].Mark == s[i-1].Mark {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// jsonSafe holds the ASCII bytes a JSON string with HTML escaping keeps
// as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// jsonHTMLSafe holds those that html.EscapeString keeps too.
var jsonHTMLSafe = func() (t [utf8.RuneSelf]bool) {
	t = jsonSafe
	t['\''] = false
	return t
}()

// htmlInJSON is what html.EscapeString makes of a byte, escaped for
// JSON.
var htmlInJSON = [utf8.RuneSelf]string{
	'&':  `\u0026amp;`,
	'\'': `\u0026#39;`,
	'<':  `\u0026lt;`,
	'>':  `\u0026gt;`,
	'"':  `\u0026#34;`,
}

// appendJSONString appends s quoted as encoding/json writes a string
// with HTML escaping: ", \ and control characters escaped, <, > and &
// as \u003c, \u003e, \u0026, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func appendJSONString[S []byte | string](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = appendJSONChars(dst, s, false)
	return append(dst, '"')
}

// appendJSONChars appends s escaped as in appendJSONString, without the
// quotes; with html, as html.EscapeString(s) would be.
func appendJSONChars[S []byte | string](dst []byte, s S, html bool) []byte {
	safe := &jsonSafe
	if html {
		safe = &jsonHTMLSafe
	}
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			if html && htmlInJSON[c] != "" {
				dst = append(dst, htmlInJSON[c]...)
				i++
				start = i
				continue
			}
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		n := min(len(s)-i, utf8.UTFMax)
		r, size := utf8.DecodeRuneInString(string(s[i : i+n]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}
