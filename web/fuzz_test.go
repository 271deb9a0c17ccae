package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe/documents"
)

// The parsers of untrusted request input never panic, and what they let
// through is safe: redirects stay on the site, header values stay one
// line, times parse or are refused with a message.

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/meetings", "//evil.example", "https://evil.example/", "/\\evil", "javascript:alert(1)", "/a?b=c#d", "/%2F%2Fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}

func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"Vorlage.pdf", "a\"b;c.pdf", "../../etc/passwd", "Straßenausbaubeiträge – „neu“.pdf", "x\r\nSet-Cookie: a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v := documents.ContentDisposition("attachment", name)
		if strings.ContainsAny(v, "\r\n\x00") || !utf8.ValidString(v) || !strings.HasPrefix(v, "attachment") {
			t.Fatalf("ContentDisposition(%q) = %q", name, v)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"organization_id":1,"name":"x","start":"2026-01-01T10:00"}`, `{"name":`, `[]`, `{"unknown":1}`, `{"start":"2026-13-45T99:99"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/meetings", strings.NewReader(body))
		var in meetingInput
		if err := decode(r, &in); err != nil {
			return
		}
		if in.Start != nil {
			apiTime(*in.Start) // must not panic
		}
	})
}
