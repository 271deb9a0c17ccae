package oparl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The field types of the objects. Written, each is what the plain Go
// value would be (a string, a boolean, a number, a list; a reference its
// URL or its object), so the JSON served is what OParl asks. Read, each
// tolerates what real OParl servers send besides the spec: a single
// object where an array belongs and the other way round, an embedded
// object where a URL belongs and the other way round, numbers and
// booleans as strings, empty strings and null for absent values, and
// deleted entries without type. Anything that still does not fit makes
// the one object fail, never the list.

// Str is a string field. Read, a number is taken as its text, null and
// anything else as "", and surrounding space is trimmed.
type Str string

func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 1 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b):
		// No escapes: the text between the quotes, as json.Unmarshal
		// would give it, without scanning a long text twice more.
		*s = Str(strings.TrimSpace(string(b[1 : len(b)-1])))
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(strings.TrimSpace(v))
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = Str(b)
	default:
		*s = ""
	}
	return nil
}

// Bool is a boolean field. Read, it may also come as "true"/"false",
// 1/0 or "ja"/"nein"; null or anything else leaves it as it was: false,
// or the default its type sets (AgendaItem.public and
// Membership.votingRight are true unless the server says otherwise).
type Bool bool

func (v *Bool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(strings.ToLower(string(bytes.TrimSpace(b))), `"`) {
	case "true", "1", "ja", "yes":
		*v = true
	case "false", "0", "nein", "no":
		*v = false
	}
	return nil
}

// Int is an integer field. Read, it may come as a string or a float; 0
// if absent or unreadable.
type Int int64

func (n *Int) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int(i)
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -1e15 && f <= 1e15 {
		*n = Int(f)
		return nil
	}
	*n = 0
	return nil
}

// Ref is a reference to an object of type T where OParl names it by
// URL: written, it is the URL (fields that may be empty are tagged
// omitzero). Read, it may also be the object embedded, which is kept
// undecoded in Raw, with its id in ID, so that it is decoded — and fails
// — on its own; a list where one reference belongs gives its first
// entry, and All gives them all.
type Ref[T any] struct {
	ID  string          // the object's URL; read, also the id of an embedded object
	Raw json.RawMessage // the object embedded, as read
	// more are the entries after the first of a list read where one
	// reference belongs.
	more []Ref[T]
}

// IsZero reports whether r refers to nothing.
func (r Ref[T]) IsZero() bool { return r.ID == "" && r.Raw == nil }

// All returns r and the references read after it where OParl has one
// (servers send mainFile or invitation as a list); none if r is zero.
func (r Ref[T]) All() []Ref[T] {
	if r.IsZero() {
		return nil
	}
	more := r.more
	r.more = nil
	return append([]Ref[T]{r}, more...)
}

func (r Ref[T]) MarshalJSON() ([]byte, error) {
	if r.Raw != nil {
		return r.Raw, nil
	}
	return marshalString(r.ID)
}

func (r *Ref[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*r = Ref[T]{}
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		r.ID = strings.TrimSpace(s)
	case '{':
		var head struct {
			ID Str `json:"id"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return err
		}
		r.ID, r.Raw = string(head.ID), append(json.RawMessage(nil), b...)
	case '[':
		var rs Refs[T]
		if err := json.Unmarshal(b, &rs); err != nil {
			return err
		}
		if len(rs) > 0 {
			*r = rs[0]
			r.more = rs[1:]
		}
	}
	return nil
}

// Refs is a list of references. Read, a single reference (URL or object)
// where the list belongs is a list of one, null or "" an empty list, and
// empty entries are dropped.
type Refs[T any] []Ref[T]

func (rs *Refs[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*rs = nil
	if len(b) == 0 || b[0] != '[' {
		var r Ref[T]
		if err := r.UnmarshalJSON(b); err != nil {
			return err
		}
		if !r.IsZero() {
			*rs = Refs[T]{r}
		}
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, e := range raw {
		var r Ref[T]
		if err := r.UnmarshalJSON(e); err != nil {
			return err
		}
		if !r.IsZero() {
			r.more = nil // a list in the list: its first entry
			*rs = append(*rs, r)
		}
	}
	return nil
}

// Strs is a list of strings. Read, a single string is a list of one.
type Strs []string

func (ss *Strs) UnmarshalJSON(b []byte) error {
	var rs Refs[struct{}]
	if err := rs.UnmarshalJSON(b); err != nil {
		return err
	}
	*ss = nil
	for _, r := range rs {
		if r.Raw == nil && r.ID != "" {
			*ss = append(*ss, r.ID)
		}
	}
	return nil
}

// marshalString is what encoding/json writes of s, without escaping
// HTML (the encoder of the enclosing document escapes it, or not, as it
// is told when it copies these bytes in): at once for the URLs that need
// no escaping.
func marshalString(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(s); err != nil {
				return nil, err
			}
			return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
		}
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// Objects that Ratsmappe writes embedded (Location, File, AgendaItem,
// Consultation, Membership, LegislativeTerm) are fields of their own
// type, *T or Objects[T], so that encoding/json writes them as it writes
// any struct (a type with its own MarshalJSON would have every byte of a
// File's text copied and checked again at each level of embedding). Read,
// such an object may come as its URL, embedded, or as a list where one
// belongs; its field Read (never written) tells how, and keeps the
// embedded object undecoded for a reader that decodes it on its own.
// Every field of these types is lenient, so any JSON object decodes into
// them: an odd embedded object never fails the object that embeds it
// (FuzzDecodeOParl holds this).

// Objects is a list of objects written embedded. Read, a single object or
// URL where the list belongs is a list of one, null or "" an empty list,
// and empty entries are dropped; T must be one of the types above.
type Objects[T any] []*T

func (l *Objects[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	elems := []json.RawMessage{b}
	if len(b) > 0 && b[0] == '[' {
		elems = nil
		if err := json.Unmarshal(b, &elems); err != nil {
			return err
		}
	}
	*l = nil
	for _, e := range elems {
		if e = bytes.TrimSpace(e); len(e) == 0 || e[0] != '{' {
			// A URL, a list in the list (its first entry) or nothing.
			var r Ref[T]
			if err := r.UnmarshalJSON(e); err != nil {
				return err
			}
			if r.IsZero() {
				continue
			}
			if e = r.Raw; e == nil {
				e, _ = marshalString(r.ID)
			}
		}
		o := new(T)
		// T's own UnmarshalJSON (readEmbeddable) at once: json.Unmarshal
		// would check e, which the decoder has checked, once more.
		u, ok := any(o).(json.Unmarshaler)
		if !ok {
			return fmt.Errorf("oparl: %T is not written embedded", o)
		}
		if err := u.UnmarshalJSON(e); err != nil {
			return err
		}
		*l = append(*l, o)
	}
	return nil
}

// readEmbeddable reads b into an object of a type written embedded:
// fields is the object as a type without this UnmarshalJSON, id its id,
// read its field Read. A URL sets only the id; fields absent from b keep
// what they held, as encoding/json has it (a reader's defaults).
func readEmbeddable[T any](b []byte, fields any, id *Str, read *Ref[T]) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, fields)
		*read = Ref[T]{ID: string(*id), Raw: append(json.RawMessage(nil), b...)}
		return err
	}
	var r Ref[T]
	if err := r.UnmarshalJSON(b); err != nil {
		return err
	}
	if r.Raw != nil { // the first of a list
		if err := json.Unmarshal(r.Raw, fields); err != nil {
			return err
		}
	} else {
		*id = Str(r.ID)
	}
	*read = r
	return nil
}

func (o *Location) UnmarshalJSON(b []byte) error {
	type fields Location
	return readEmbeddable(b, (*fields)(o), &o.ID, &o.Read)
}

func (o *File) UnmarshalJSON(b []byte) error {
	type fields File
	return readEmbeddable(b, (*fields)(o), &o.ID, &o.Read)
}

// UnmarshalJSON reads an agenda item; public is true unless the server
// says otherwise (it published the item in a public API).
func (o *AgendaItem) UnmarshalJSON(b []byte) error {
	type fields AgendaItem
	o.Public = true
	return readEmbeddable(b, (*fields)(o), &o.ID, &o.Read)
}

func (o *Consultation) UnmarshalJSON(b []byte) error {
	type fields Consultation
	return readEmbeddable(b, (*fields)(o), &o.ID, &o.Read)
}

// UnmarshalJSON reads a membership; votingRight is true unless the
// server says otherwise.
func (o *Membership) UnmarshalJSON(b []byte) error {
	type fields Membership
	o.VotingRight = true
	return readEmbeddable(b, (*fields)(o), &o.ID, &o.Read)
}

func (o *LegislativeTerm) UnmarshalJSON(b []byte) error {
	type fields LegislativeTerm
	return readEmbeddable(b, (*fields)(o), &o.ID, &o.Read)
}

// Page is one page of an external object list. Data holds the objects
// undecoded (a single object where the list belongs is a list of one);
// Next is the URL of the next page, "" on the last.
type Page struct {
	Data []json.RawMessage
	Next string
}

// DecodePage reads a list page. A body that is not a JSON object with
// data is an error; entries that are not objects are dropped.
func DecodePage(b []byte) (*Page, error) {
	var raw struct {
		Data  json.RawMessage `json:"data"`
		Links struct {
			Next Ref[List] `json:"next"`
		} `json:"links"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("list page: %w", err)
	}
	p := &Page{Next: raw.Links.Next.ID}
	d := bytes.TrimSpace(raw.Data)
	switch {
	case len(d) == 0 || string(d) == "null":
	case d[0] == '{':
		p.Data = []json.RawMessage{d}
	case d[0] == '[':
		var all []json.RawMessage
		if err := json.Unmarshal(d, &all); err != nil {
			return nil, fmt.Errorf("list page data: %w", err)
		}
		for _, e := range all {
			if e = bytes.TrimSpace(e); len(e) > 0 && e[0] == '{' {
				p.Data = append(p.Data, e)
			}
		}
	default:
		return nil, fmt.Errorf("list page: data is neither a list nor an object")
	}
	return p, nil
}
