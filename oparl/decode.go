package oparl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Decoding tolerates what real OParl servers send besides the spec: a
// single object where an array belongs, an embedded object where a URL
// belongs and the other way round, numbers and booleans as strings,
// empty strings and null for absent values, and deleted entries without
// type. Anything that still does not fit makes the one object fail, never
// the list.

// Str is a string field; a number is taken as its text, null and
// anything else as "", and surrounding space is trimmed.
type Str string

func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
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

// Bool is a boolean that may come as "true"/"false" or 1/0; Set tells
// whether the field was there at all.
type Bool struct {
	Value, Set bool
}

func (v *Bool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(strings.ToLower(string(bytes.TrimSpace(b))), `"`) {
	case "true", "1", "ja", "yes":
		*v = Bool{Value: true, Set: true}
	case "false", "0", "nein", "no":
		*v = Bool{Value: false, Set: true}
	default:
		*v = Bool{}
	}
	return nil
}

// Int is an integer that may come as a string or a float; 0 if absent or
// unreadable.
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

// Ref is a reference to another object: its URL, or the object itself
// embedded (then Obj holds it and ID is its id). Empty if absent.
type Ref struct {
	ID  string
	Obj json.RawMessage
}

func (r *Ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*r = Ref{}
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
		r.ID, r.Obj = string(head.ID), append(json.RawMessage(nil), b...)
	case '[':
		// An array where one reference belongs: take the first.
		var rs Refs
		if err := json.Unmarshal(b, &rs); err != nil {
			return err
		}
		if len(rs) > 0 {
			*r = rs[0]
		}
	}
	return nil
}

// Empty reports whether r refers to nothing.
func (r Ref) Empty() bool { return r.ID == "" && r.Obj == nil }

// Refs is a list of references; a single reference (URL or object) where
// the list belongs is a list of one, null or "" an empty list.
type Refs []Ref

func (rs *Refs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*rs = nil
	if len(b) == 0 || b[0] != '[' {
		var r Ref
		if err := r.UnmarshalJSON(b); err != nil {
			return err
		}
		if !r.Empty() {
			*rs = Refs{r}
		}
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, e := range raw {
		var r Ref
		if err := r.UnmarshalJSON(e); err != nil {
			return err
		}
		if !r.Empty() {
			*rs = append(*rs, r)
		}
	}
	return nil
}

// Strs is a list of strings; a single string is a list of one.
type Strs []string

func (ss *Strs) UnmarshalJSON(b []byte) error {
	var rs Refs
	if err := rs.UnmarshalJSON(b); err != nil {
		return err
	}
	*ss = nil
	for _, r := range rs {
		if r.Obj == nil && r.ID != "" {
			*ss = append(*ss, r.ID)
		}
	}
	return nil
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
			Next Ref `json:"next"`
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
