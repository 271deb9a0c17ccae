package ical

import (
	"strings"
	"testing"
)

// FuzzFold folds arbitrary calendar lines (names and places come from
// the office and from OParl imports): it ends, every physical line has at
// most 75 octets, and unfolding gives the line back.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"SUMMARY:Sitzung", "DESCRIPTION:" + strings.Repeat("Straßenausbaubeiträge ", 10), strings.Repeat("€", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var b strings.Builder
		Fold(&b, line)
		out := b.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("no CRLF at the end")
		}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(l) > 75 {
				t.Fatalf("physical line of %d octets", len(l))
			}
		}
		if got := strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n ", ""); got != line && !strings.ContainsAny(line, "\r\n") {
			t.Fatalf("unfolded %q, want %q", got, line)
		}
	})
}
