// Package ical writes iCalendar (RFC 5545) content lines: the escaping of
// TEXT values and the folding of long lines. The portal's public calendar
// and the invitations' calendar objects (RFC 5546 REQUEST and CANCEL)
// share it.
package ical

import "strings"

// Time is the layout of a UTC DATE-TIME value.
const Time = "20060102T150405Z"

// Escape escapes a TEXT value (RFC 5545, 3.3.11).
func Escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// Fold writes one content line, folded so that no physical line has
// more than 75 octets (a continuation's leading space counts), without
// splitting a UTF-8 sequence, ended by CRLF.
func Fold(b *strings.Builder, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && line[cut]&0xC0 == 0x80 {
			cut--
		}
		if cut == 0 {
			// Only continuation bytes (not UTF-8): cut anywhere rather
			// than loop for ever.
			cut = limit
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
