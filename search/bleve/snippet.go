package bleve

import (
	"encoding/binary"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// Snippets need to know where on a hit's page the query's terms occur.
// Analysing the page again for every hit was most of an uncached query,
// and Bleve's term vectors are found only by walking each term's
// postings up to the page. Instead, every page stores its analysis in a
// compact form beside its text (the "tv" field): for each token, in text
// order, where its word starts (as a delta), the word's length, whether
// the token is a compound's part, its position (as a delta; stop words
// leave gaps) and a 32-bit hash of its term. A hit's
// matches are then one pass over that field, comparing hashes with the
// hashes of the query's marks. Two terms with the same hash could mark a
// word a snippet should not mark (about one chance in 10⁶ per page with
// 20 marks); a snippet only shows text of a page the viewer may find
// anyway, so such a mistake can mislead the eye but never leak.

// appendToken appends token t of a page's analysis to the encoded
// analysis b; prev is the previous token.
func appendToken(b []byte, t, prev german.Token) []byte {
	part := uint64(0)
	if t.Part {
		part = 1
	}
	b = binary.AppendUvarint(b, uint64(t.Start-prev.Start)<<1|part)
	b = binary.AppendUvarint(b, uint64(t.End-t.Start))
	b = binary.AppendUvarint(b, uint64(t.Position-prev.Position))
	return binary.LittleEndian.AppendUint32(b, termHash(t.Term))
}

// token is a decoded token of an encoded analysis.
type token struct {
	start, end, position int
	part                 bool
	hash                 uint32
}

// nextToken decodes the token at the start of enc, given the previous
// one, and returns the rest of enc; ok is false at the end or where enc
// is damaged.
func nextToken(enc []byte, prev token) (t token, rest []byte, ok bool) {
	d, n := uvarint(enc)
	if n <= 0 {
		return t, nil, false
	}
	enc = enc[n:]
	l, n := uvarint(enc)
	if n <= 0 {
		return t, nil, false
	}
	enc = enc[n:]
	pd, n := uvarint(enc)
	if n <= 0 || len(enc) < n+4 {
		return t, nil, false
	}
	t.start = prev.start + int(d>>1)
	t.part = d&1 == 1
	t.end = t.start + int(l)
	t.position = prev.position + int(pd)
	t.hash = binary.LittleEndian.Uint32(enc[n:])
	return t, enc[n+4:], true
}

// uvarint is binary.Uvarint with the one-byte case inline.
func uvarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return binary.Uvarint(b)
}

// termHash is FNV-1a.
func termHash(term string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(term); i++ {
		h ^= uint32(term[i])
		h *= 16777619
	}
	return h
}

// snippetState is what the snippets of one query share.
type snippetState struct {
	// marks are the plan's marks by hash.
	marks map[uint32]string
	// filter has a bit for the low 12 bits of every mark's hash: a
	// query has a few dozen marks at most, and a page's tokens mostly
	// miss them.
	filter [1 << 12 / 64]uint64
	// ms is matches' list, reused from page to page.
	ms []search.Match
}

func newSnippetState(p *plan) *snippetState {
	s := &snippetState{marks: make(map[uint32]string, len(p.marks))}
	for m := range p.marks {
		h := termHash(m)
		s.marks[h] = m
		s.filter[(h&0xfff)/64] |= 1 << (h & 63)
	}
	return s
}

func (s *snippetState) mark(h uint32) (string, bool) {
	if s.filter[(h&0xfff)/64]&(1<<(h&63)) == 0 {
		return "", false
	}
	m, ok := s.marks[h]
	return m, ok
}

// matches returns where the terms s marks occur on a page, from the
// page's encoded analysis: a word is marked by the first of its terms,
// stem then parts, that is a mark, and a compound matched by a part is
// marked whole. A damaged encoding ends the list where it is damaged.
// The list is s's, valid until the next call.
func (s *snippetState) matches(enc []byte) []search.Match {
	// nextToken's decoding, inline: this loop runs over every token of
	// every shown page.
	ms := s.ms[:0]
	start := 0
	marked := -1 // start of the word last marked
	i := 0
	for i < len(enc) {
		d, n := uvarint(enc[i:])
		if n <= 0 {
			break
		}
		i += n
		l, n := uvarint(enc[i:])
		if n <= 0 {
			break
		}
		i += n
		for i < len(enc) && enc[i] >= 0x80 { // the position's delta
			i++
		}
		i++
		if i+4 > len(enc) {
			break
		}
		h := binary.LittleEndian.Uint32(enc[i:])
		i += 4
		start += int(d >> 1)
		if start == marked {
			continue // a part of a word already marked
		}
		if m, ok := s.mark(h); ok {
			ms = append(ms, search.Match{Start: start, End: start + int(l), Term: m})
			marked = start
		}
	}
	s.ms = ms[:0]
	return ms
}
