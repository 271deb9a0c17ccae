package packet

import (
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/font"
)

// The packet's own text (cover, table of contents, stamps, watermark) is
// set in two of the standard 14 fonts, which every PDF reader has, so
// nothing is embedded. They are used with WinAnsiEncoding (code page
// 1252), which covers German (äöüÄÖÜß, „…“, –, €) and the rest of Western
// Europe.
const (
	fontRegular = "Helvetica"
	fontBold    = "Helvetica-Bold"
)

// cp1252 maps the runes code page 1252 puts at 0x80–0x9f.
var cp1252 = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
	'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
	'˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
}

// winAnsi encodes s in code page 1252. Runes it lacks become a close
// substitute where there is an obvious one, else "?".
func winAnsi(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x20:
			b = append(b, ' ')
		case r < 0x80 || (r >= 0xa0 && r <= 0xff):
			b = append(b, byte(r))
		default:
			if c, ok := cp1252[r]; ok {
				b = append(b, c)
				continue
			}
			switch r {
			case '\u2010', '\u2011', '\u2012', '\u2212':
				b = append(b, '-')
			case '\u2002', '\u2003', '\u2007', '\u2009', '\u200a', '\u202f':
				b = append(b, ' ')
			case '\u200b', '\u200c', '\u200d', '\ufeff':
			default:
				b = append(b, '?')
			}
		}
	}
	return string(b)
}

// width returns the width of the WinAnsi-encoded s in points.
func width(s, fontName string, size float64) float64 {
	w, err := font.TextWidthFloat(s, fontName, size)
	if err != nil { // cannot happen for the standard fonts
		return float64(len(s)) * size * 0.6
	}
	return w
}

// pdfString writes s (already WinAnsi-encoded) as a PDF literal string.
func pdfString(b *strings.Builder, s string) {
	b.WriteByte('(')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '(', ')', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
}

// num formats a coordinate for a content stream.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// wrap breaks the WinAnsi-encoded s into lines no wider than max, at
// spaces, and inside words only where a word alone is too wide.
func wrap(s, fontName string, size, limit float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if width(try, fontName, size) <= limit {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
			line = ""
		}
		for width(word, fontName, size) > limit {
			// Cut the word at the last byte that still fits (at least one).
			n := 1
			for n < len(word) && width(word[:n+1], fontName, size) <= limit {
				n++
			}
			lines = append(lines, word[:n])
			word = word[n:]
		}
		line = word
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
