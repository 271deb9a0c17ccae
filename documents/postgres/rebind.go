package postgres

import (
	"strconv"
	"strings"
)

// Rebind rewrites the SQLite placeholders of query to PostgreSQL's: ?NNN
// becomes $NNN, and a bare ? becomes the parameter after the largest one
// used so far, as SQLite numbers them. Question marks inside string
// literals, quoted identifiers, comments and dollar-quoted bodies are left
// alone. (PostgreSQL's JSON operators ?, ?| and ?& cannot be written in
// the stores' SQL: use jsonb_exists and friends. Nor can E'…' strings
// with backslash-escaped quotes: write quotes doubled, as both databases
// read them.)
func Rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	max := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := closing(query, i+1, c)
			b.WriteString(query[i:j])
			i = j
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				j = len(query) - i
			} else {
				j += 4
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '$':
			j := dollarQuoted(query, i)
			b.WriteString(query[i:j])
			i = j
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := max + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			if n > max {
				max = n
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// closing returns the index after the quote q that closes a literal
// starting at i; a doubled quote is an escaped one.
func closing(s string, i int, q byte) int {
	for i < len(s) {
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(s)
}

// dollarQuoted returns the index after the dollar-quoted string ($$…$$ or
// $tag$…$tag$) starting at i, or i+1 if none starts there (a $1
// parameter, say).
func dollarQuoted(s string, i int) int {
	j := i + 1
	for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' ||
		j > i+1 && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		return i + 1
	}
	tag := s[i : j+1]
	end := strings.Index(s[j+1:], tag)
	if end < 0 {
		return len(s)
	}
	return j + 1 + end + len(tag)
}
