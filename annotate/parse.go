package annotate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe"
)

// Limits of one annotation. Ink is the bulky part: a page of handwriting
// is a few thousand points.
const (
	MaxSize        = 512 << 10 // bytes of JSON
	MaxNote        = 20000     // bytes of a note's text
	MaxQuote       = 4000      // bytes of TextQuoteSelector.exact
	MaxContext     = 256       // bytes of prefix and of suffix
	MaxStrokes     = 1000
	MaxPoints      = 50000 // over all strokes
	MaxRects       = 500
	MaxCoordinate  = 100000
	MaxStrokeWidth = 100
	MaxPage        = 100000
	MaxExtra       = 64  // properties kept in Annotation.Extra
	MaxExtraName   = 200 // bytes of such a property's name
)

// invalid is why Parse refused an annotation: a *ratsmappe.Error whose
// Reason is a stable machine-readable word (for example "unknown_field",
// "bad_selector"). Its code is ratsmappe.EINVALID, or ETOOLARGE for the
// reason "too_large".
func invalid(reason, format string, args ...any) error {
	code := ratsmappe.EINVALID
	if reason == "too_large" {
		code = ratsmappe.ETOOLARGE
	}
	return ratsmappe.Reasonf(code, reason, format, args...)
}

// input is the JSON a client may send. Server-owned fields are accepted
// (so that a client can send back what it got) and ignored; any other
// property is kept in Annotation.Extra (see extras).
type input struct {
	Context      json.RawMessage `json:"@context"`
	ID           string          `json:"id"`
	Type         json.RawMessage `json:"type"`
	Motivation   json.RawMessage `json:"motivation"`
	Body         json.RawMessage `json:"body"`
	BodyValue    *string         `json:"bodyValue"` // W3C's short form of one TextualBody
	Target       json.RawMessage `json:"target"`
	Shared       *string         `json:"ratsmappe:shared"`
	BaseRevision *int64          `json:"ratsmappe:baseRevision"`

	Created   json.RawMessage `json:"created"`
	Modified  json.RawMessage `json:"modified"`
	Creator   json.RawMessage `json:"creator"`
	Revision  json.RawMessage `json:"ratsmappe:revision"`
	Anchoring json.RawMessage `json:"anchoring"`
	SharedBy  json.RawMessage `json:"ratsmappe:sharedBy"`
	History   json.RawMessage `json:"ratsmappe:history"`
}

type inputTarget struct {
	Type     string          `json:"type"`
	Source   string          `json:"source"`
	Selector json.RawMessage `json:"selector"`
}

var sourcePath = regexp.MustCompile(`^/api/v1/documents/([1-9][0-9]{0,17})/versions/([1-9][0-9]{0,8})$`)

// ParseSource returns the document id and version number a target.source
// names: the path /api/v1/documents/{id}/versions/{n}, or an absolute
// http(s) URL with that path (any host; it is normalized to the path).
func ParseSource(src string) (docID int64, version int, err error) {
	u, err := url.Parse(src)
	if err != nil || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		return 0, 0, invalid("bad_source", "target.source muss /api/v1/documents/{id}/versions/{n} sein.")
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" || (u.Scheme == "") != (u.Host == "") {
		return 0, 0, invalid("bad_source", "target.source muss /api/v1/documents/{id}/versions/{n} sein.")
	}
	m := sourcePath.FindStringSubmatch(u.Path)
	if m == nil {
		return 0, 0, invalid("bad_source", "target.source muss /api/v1/documents/{id}/versions/{n} sein.")
	}
	docID, _ = strconv.ParseInt(m[1], 10, 64)
	version, _ = strconv.Atoi(m[2])
	return docID, version, nil
}

// Source returns the canonical target.source of version n of document id.
func Source(docID int64, n int) string {
	return fmt.Sprintf("/api/v1/documents/%d/versions/%d", docID, n)
}

// pageOf reads "page=N" (RFC 8118), N from 1.
func pageOf(v string) (int, bool) {
	s, ok := strings.CutPrefix(v, "page=")
	if !ok || s == "" || len(s) > 6 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPage {
		return 0, false
	}
	return n, true
}

// oneOrMany returns the elements of raw, which is a JSON object or an
// array of objects.
func oneOrMany(raw json.RawMessage) ([]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, true
	}
	switch raw[0] {
	case '{':
		return []json.RawMessage{raw}, true
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil, false
		}
		for _, e := range list {
			if e = bytes.TrimSpace(e); len(e) == 0 || e[0] != '{' {
				return nil, false
			}
		}
		return list, true
	}
	return nil, false
}

func strict(raw []byte, v any) error { return decode(raw, v, true) }

// decode reads one JSON value into v, refusing trailing data and, if
// strict, unknown fields.
func decode(raw []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

func typeOf(raw json.RawMessage) string {
	var t struct {
		Type any `json:"type"`
	}
	_ = json.Unmarshal(raw, &t)
	s, _ := t.Type.(string)
	return s
}

func decodeErr(reason, what string, err error) error {
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid("unknown_field", "Unbekanntes Feld %s in %s.", f, what)
	}
	return invalid(reason, "%s ist fehlerhaft.", what)
}

// Parse reads and validates one annotation from untrusted JSON. It accepts
// only the structure described in the package documentation, within the
// limits above, and refuses anything else with a *ratsmappe.Error whose
// Reason says why. The result is normalized: a single context string,
// target.source as a path, bodies and selectors as lists, server fields
// cleared.
func Parse(data []byte) (*Annotation, error) {
	if len(data) > MaxSize {
		return nil, invalid("too_large", "Die Anmerkung ist größer als %d KiB.", MaxSize>>10)
	}
	if !utf8.Valid(data) {
		return nil, invalid("malformed_json", "Die Anmerkung ist kein gültiges UTF-8.")
	}
	var in input
	if err := decode(data, &in, false); err != nil {
		return nil, decodeErr("malformed_json", "Die Anmerkung", err)
	}
	a := &Annotation{Context: Context, Type: "Annotation"}
	var err error
	if a.Extra, err = extras(data); err != nil {
		return nil, err
	}
	if !validContext(in.Context) {
		return nil, invalid("bad_context", "@context muss %q sein.", Context)
	}
	var typ string
	if json.Unmarshal(in.Type, &typ) != nil || typ != "Annotation" {
		return nil, invalid("bad_type", "type muss \"Annotation\" sein.")
	}
	if a.Motivation = motivation(in.Motivation); a.Motivation == "" {
		return nil, invalid("bad_motivation", "motivation fehlt oder nennt mehrere Motivationen.")
	}
	switch a.Motivation {
	case Highlighting, Commenting, Bookmarking, Drawing:
	default:
		return nil, invalid("bad_motivation", "motivation muss highlighting, commenting, bookmarking oder drawing sein.")
	}
	if in.ID != "" {
		if _, ok := ParseID(in.ID); !ok {
			return nil, invalid("bad_id", "id muss urn:uuid:UUID sein.")
		}
		a.ID = in.ID
	}
	if in.Shared != nil {
		switch *in.Shared {
		case "", "private":
		case SharedFaction:
			a.Shared = SharedFaction
		default:
			return nil, invalid("bad_shared", "ratsmappe:shared muss \"faction\" oder \"private\" sein.")
		}
	}
	if in.BaseRevision != nil {
		if *in.BaseRevision < 0 {
			return nil, invalid("bad_revision", "ratsmappe:baseRevision darf nicht negativ sein.")
		}
		a.BaseRevision = *in.BaseRevision
	}
	if in.BodyValue != nil {
		if len(in.Body) > 0 {
			return nil, invalid("bad_body", "body und bodyValue schließen sich aus.")
		}
		in.Body, _ = json.Marshal(Body{Type: TextualBody, Value: *in.BodyValue})
	}
	if err := parseBodies(a, in.Body); err != nil {
		return nil, err
	}
	if err := parseTarget(a, in.Target); err != nil {
		return nil, err
	}
	return a, a.check()
}

func validContext(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == Context
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) == 1 {
		return list[0] == Context
	}
	return false
}

func parseBodies(a *Annotation, raw json.RawMessage) error {
	list, ok := oneOrMany(raw)
	if !ok || len(list) > 4 {
		return invalid("bad_body", "body muss ein Objekt oder eine Liste von höchstens 4 Objekten sein.")
	}
	points := 0
	for _, e := range list {
		var b Body
		switch t := typeOf(e); t {
		case TextualBody:
			if err := strict(e, &b); err != nil {
				return decodeErr("bad_body", "body", err)
			}
			if len(b.Strokes) > 0 {
				return invalid("bad_body", "Ein TextualBody hat keine strokes.")
			}
			if len(b.Value) > MaxNote {
				return invalid("too_large", "Der Notiztext ist länger als %d Zeichen.", MaxNote)
			}
			if b.Format != "" && b.Format != "text/plain" {
				return invalid("bad_body", "body.format muss text/plain sein.")
			}
			if len(b.Language) > 35 || len(b.Purpose) > 32 {
				return invalid("bad_body", "body.language oder body.purpose ist zu lang.")
			}
		case InkBody:
			if err := strict(e, &b); err != nil {
				return decodeErr("bad_ink", "Der Ink-Body", err)
			}
			if b.Value != "" || b.Format != "" || b.Language != "" {
				return invalid("bad_ink", "Ein Ink-Body hat nur strokes.")
			}
			if len(b.Strokes) == 0 || len(b.Strokes) > MaxStrokes {
				return invalid("bad_ink", "Ein Ink-Body hat 1 bis %d Striche.", MaxStrokes)
			}
			for _, s := range b.Strokes {
				if len(s.Points) == 0 {
					return invalid("bad_ink", "Ein Strich hat keine Punkte.")
				}
				points += len(s.Points)
				if points > MaxPoints {
					return invalid("too_large", "Die Zeichnung hat mehr als %d Punkte.", MaxPoints)
				}
				for _, p := range s.Points {
					if !coordinate(p[0]) || !coordinate(p[1]) {
						return invalid("bad_ink", "Ein Punkt liegt außerhalb der Seite.")
					}
				}
				if s.Width < 0 || s.Width > MaxStrokeWidth || math.IsNaN(s.Width) {
					return invalid("bad_ink", "Die Strichbreite muss zwischen 0 und %d liegen.", MaxStrokeWidth)
				}
				if s.Color != "" && !validColor(s.Color) {
					return invalid("bad_ink", "Die Farbe muss #rrggbb sein.")
				}
			}
		default:
			return invalid("bad_body", "Unbekannter body.type %q; erlaubt sind TextualBody und ratsmappe:Ink.", truncate(t, 40))
		}
		a.Body = append(a.Body, b)
	}
	return nil
}

func parseTarget(a *Annotation, raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return invalid("bad_target", "target muss ein Objekt sein.")
	}
	var t inputTarget
	if err := strict(raw, &t); err != nil {
		return decodeErr("bad_target", "target", err)
	}
	if t.Type != "" && t.Type != "SpecificResource" {
		return invalid("bad_target", "target.type muss SpecificResource sein.")
	}
	var err error
	if a.DocumentID, a.Version, err = ParseSource(t.Source); err != nil {
		return err
	}
	a.Target.Source = Source(a.DocumentID, a.Version)
	list, ok := oneOrMany(t.Selector)
	if !ok || len(list) == 0 || len(list) > 8 {
		return invalid("bad_selector", "target.selector muss ein Objekt oder eine Liste von 1 bis 8 Objekten sein.")
	}
	seen := map[string]bool{}
	for _, e := range list {
		var s Selector
		typ := typeOf(e)
		if err := strict(e, &s); err != nil {
			return decodeErr("bad_selector", "Der Selektor "+truncate(typ, 40), err)
		}
		if seen[s.Type] {
			return invalid("bad_selector", "Selektor %s doppelt.", s.Type)
		}
		seen[s.Type] = true
		ok := true
		switch s.Type {
		case FragmentSelector:
			_, pok := pageOf(s.Value)
			ok = pok && (s.ConformsTo == "" || pdfFragment[s.ConformsTo]) && only(s, "value", "conformsTo")
			s.ConformsTo = PDFFragment
		case TextQuoteSelector:
			ok = s.Exact != "" && only(s, "exact", "prefix", "suffix")
			if len(s.Exact) > MaxQuote || len(s.Prefix) > MaxContext || len(s.Suffix) > MaxContext {
				return invalid("too_large", "Das Zitat ist länger als %d Zeichen oder sein Kontext länger als %d.", MaxQuote, MaxContext)
			}
		case TextPositionSelector:
			ok = s.Start != nil && s.End != nil && *s.Start >= 0 && *s.End >= *s.Start && *s.End <= 10_000_000 && only(s, "start", "end")
		case PointSelector:
			ok = s.X != nil && s.Y != nil && coordinate(*s.X) && coordinate(*s.Y) && only(s, "x", "y")
		case RectSelector:
			ok = len(s.Rects) > 0 && len(s.Rects) <= MaxRects && only(s, "rects")
			for _, r := range s.Rects {
				for _, c := range r {
					ok = ok && coordinate(c)
				}
			}
		default:
			return invalid("bad_selector", "Unbekannter Selektor %q.", truncate(s.Type, 40))
		}
		if !ok {
			return invalid("bad_selector", "Der Selektor %s ist unvollständig oder fehlerhaft.", s.Type)
		}
		a.Target.Selector = append(a.Target.Selector, s)
	}
	return nil
}

// only reports whether s sets no fields but the named ones (and type).
func only(s Selector, fields ...string) bool {
	set := map[string]bool{
		"value": s.Value != "", "conformsTo": s.ConformsTo != "", "exact": s.Exact != "",
		"prefix": s.Prefix != "", "suffix": s.Suffix != "", "start": s.Start != nil, "end": s.End != nil,
		"x": s.X != nil, "y": s.Y != nil, "rects": s.Rects != nil,
	}
	for _, f := range fields {
		delete(set, f)
	}
	for _, v := range set {
		if v {
			return false
		}
	}
	return true
}

// check applies the rules between motivation, body and selectors.
func (a *Annotation) check() error {
	if a.Page() == 0 {
		return invalid("missing_page", "Jede Anmerkung braucht einen FragmentSelector page=N.")
	}
	_, hasQuote := a.Quote()
	var text, ink int
	for _, b := range a.Body {
		switch b.Type {
		case TextualBody:
			text++
		case InkBody:
			ink++
		}
	}
	switch a.Motivation {
	case Highlighting:
		if !hasQuote {
			return invalid("missing_quote", "Eine Hervorhebung braucht einen TextQuoteSelector.")
		}
		if ink > 0 {
			return invalid("bad_body", "Eine Hervorhebung hat keine Zeichnung.")
		}
	case Commenting:
		if text != 1 || ink > 0 {
			return invalid("bad_body", "Eine Notiz braucht genau einen TextualBody.")
		}
	case Bookmarking:
		if ink > 0 {
			return invalid("bad_body", "Ein Lesezeichen hat keine Zeichnung.")
		}
	case Drawing:
		if ink != 1 {
			return invalid("bad_ink", "Eine Zeichnung braucht genau einen ratsmappe:Ink-Body.")
		}
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidUUID reports whether s is a UUID in canonical lower-case form.
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }

// ParseID returns the UUID of an annotation id "urn:uuid:UUID".
func ParseID(id string) (string, bool) {
	u, ok := strings.CutPrefix(id, "urn:uuid:")
	return u, ok && ValidUUID(u)
}

// ID returns the annotation id of uuid.
func ID(uuid string) string { return "urn:uuid:" + uuid }

func coordinate(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0) && f >= -MaxCoordinate && f <= MaxCoordinate
}

var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func validColor(s string) bool { return colorRE.MatchString(s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
