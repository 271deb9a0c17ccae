package annotate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// Annotations from other W3C clients carry properties this package does
// not use (generator, rights, audience, their own x-… fields). They are
// kept in Annotation.Extra and given back, so that a round trip through
// Ratsmappe loses nothing — but none of them may stand in for a property
// the server owns or reads: the keys below are never extras.

// pdfFragment lists the conformsTo values of a page FragmentSelector:
// RFC 8118 (what the reader sends) and RFC 3778, which it updates and
// which the W3C Web Annotation Data Model gives for PDF; each as http
// and https.
var pdfFragment = map[string]bool{
	PDFFragment:                          true,
	"https://tools.ietf.org/rfc/rfc8118": true,
	"http://tools.ietf.org/rfc/rfc3778":  true,
	"https://tools.ietf.org/rfc/rfc3778": true,
}

// oaPrefixes are the ways the W3C vocabulary names a motivation.
var oaPrefixes = []string{"oa:", "http://www.w3.org/ns/oa#"}

// motivation returns the one motivation raw names (a string, or a list
// of one string, as "commenting", "oa:commenting" or the full IRI), ""
// if it names none or several.
func motivation(raw json.RawMessage) string {
	var m string
	if json.Unmarshal(raw, &m) != nil {
		var list []string
		if json.Unmarshal(raw, &list) != nil || len(list) != 1 {
			return ""
		}
		m = list[0]
	}
	for _, p := range oaPrefixes {
		if s, ok := strings.CutPrefix(m, p); ok {
			return s
		}
	}
	return m
}

// knownKeys are the properties of the input and of the annotation the
// server gives back. encoding/json matches them case-insensitively, so
// extras are told from them the same way.
var knownKeys = func() []string {
	var keys []string
	for _, t := range []reflect.Type{reflect.TypeFor[input](), reflect.TypeFor[Annotation]()} {
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
	}
	return keys
}()

// reservedNames are names, alone or after a prefix such as "dcterms:"
// or a namespace IRI, that would say, to a JSON-LD reader, what a property of
// the server says: who wrote the annotation, when, what it is about, and
// with whom it is shared. Such keys are dropped like the server fields.
var reservedNames = []string{"id", "type", "context", "motivation", "motivatedBy", "body", "bodyValue", "hasBody",
	"target", "hasTarget", "created", "modified", "generated", "creator", "author", "attributedTo", "wasAttributedTo",
	"shared", "sharedBy", "revision", "baseRevision", "anchoring", "history"}

type keyKind int

const (
	keyExtra   keyKind = iota // kept in Extra
	keyKnown                  // a property of input or Annotation
	keyDropped                // would alias a known one: ignored
	keyOurs                   // an unknown ratsmappe: property: refused
)

func classify(k string) keyKind {
	for _, known := range knownKeys {
		if strings.EqualFold(k, known) {
			return keyKnown
		}
	}
	if len(k) >= len("ratsmappe:") && strings.EqualFold(k[:len("ratsmappe:")], "ratsmappe:") {
		return keyOurs
	}
	if strings.HasPrefix(k, "@") {
		return keyDropped // JSON-LD keywords (@id, @type, @graph …)
	}
	local := k[strings.LastIndexAny(k, ":/#")+1:]
	for _, r := range reservedNames {
		if strings.EqualFold(local, r) {
			return keyDropped
		}
	}
	return keyExtra
}

// extras returns the properties of the annotation object data that go
// into Annotation.Extra, each as compact JSON, HTML characters escaped
// as encoding/json writes them (so that a round trip is byte-identical).
func extras(data []byte) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, invalid("malformed_json", "Die Anmerkung ist kein JSON-Objekt.")
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out map[string]json.RawMessage
	for _, k := range keys {
		switch classify(k) {
		case keyKnown, keyDropped:
			continue
		case keyOurs:
			return nil, invalid("unknown_field", "Unbekanntes Feld %q in der Anmerkung.", truncate(k, 40))
		}
		if len(k) > MaxExtraName {
			return nil, invalid("too_large", "Der Name einer Eigenschaft ist länger als %d Bytes.", MaxExtraName)
		}
		if len(out) == MaxExtra {
			return nil, invalid("too_large", "Die Anmerkung hat mehr als %d weitere Eigenschaften.", MaxExtra)
		}
		var c, v bytes.Buffer
		if err := json.Compact(&c, all[k]); err != nil {
			return nil, invalid("malformed_json", "Die Anmerkung ist fehlerhaft.")
		}
		json.HTMLEscape(&v, c.Bytes())
		if out == nil {
			out = map[string]json.RawMessage{}
		}
		out[k] = v.Bytes()
	}
	return out, nil
}

// MarshalJSON writes the annotation with its extras after the known
// properties, sorted by name. An extra whose key is not an extra's (it
// could only come from code, not from Parse) is left out.
func (a Annotation) MarshalJSON() ([]byte, error) {
	type plain Annotation
	b, err := json.Marshal(plain(a))
	if err != nil || len(a.Extra) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(a.Extra))
	for k := range a.Extra {
		if classify(k) == keyExtra {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	buf := bytes.NewBuffer(b[:len(b)-1])
	for _, k := range keys {
		name, _ := json.Marshal(k)
		buf.WriteByte(',')
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(a.Extra[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads an annotation as MarshalJSON wrote it (the stored
// form), its extras included. It does not validate: untrusted input goes
// through Parse.
func (a *Annotation) UnmarshalJSON(b []byte) error {
	type plain Annotation
	if err := json.Unmarshal(b, (*plain)(a)); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	a.Extra = nil
	for k, v := range all {
		if classify(k) != keyExtra {
			continue
		}
		if a.Extra == nil {
			a.Extra = map[string]json.RawMessage{}
		}
		a.Extra[k] = v
	}
	return nil
}
