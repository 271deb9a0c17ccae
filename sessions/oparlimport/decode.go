package oparlimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
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

// Object is what every OParl object has.
type Object struct {
	ID       Str  `json:"id"`
	Type     Str  `json:"type"`
	Created  Str  `json:"created"`
	Modified Str  `json:"modified"`
	Deleted  Bool `json:"deleted"`
}

// Kind is the object's type without the schema prefix ("Meeting"), or
// fallback if the server left type out (as some do on deleted entries).
func (o *Object) Kind(fallback string) string {
	t := string(o.Type)
	if i := strings.LastIndex(t, "/"); i >= 0 {
		t = t[i+1:]
	}
	if t == "" {
		return fallback
	}
	return t
}

// System is an OParl System.
type System struct {
	Object
	Name Str `json:"name"`
	Body Str `json:"body"` // URL of the body list
}

// Body is an OParl Body.
type Body struct {
	Object
	Name                Str  `json:"name"`
	ShortName           Str  `json:"shortName"`
	Website             Str  `json:"website"`
	Organization        Str  `json:"organization"`
	Person              Str  `json:"person"`
	Meeting             Str  `json:"meeting"`
	Paper               Str  `json:"paper"`
	Membership          Str  `json:"membership"`
	LegislativeTerm     Refs `json:"legislativeTerm"`
	LegislativeTermList Str  `json:"legislativeTermList"`
}

// Organization is an OParl Organization.
type Organization struct {
	Object
	Name             Str  `json:"name"`
	ShortName        Str  `json:"shortName"`
	Classification   Str  `json:"classification"`
	OrganizationType Str  `json:"organizationType"`
	StartDate        Str  `json:"startDate"`
	EndDate          Str  `json:"endDate"`
	Membership       Refs `json:"membership"`
}

// Person is an OParl Person.
type Person struct {
	Object
	Name          Str  `json:"name"`
	FamilyName    Str  `json:"familyName"`
	GivenName     Str  `json:"givenName"`
	FormOfAddress Str  `json:"formOfAddress"`
	Title         Strs `json:"title"`
	Membership    Refs `json:"membership"`
}

// Membership is an OParl Membership.
type Membership struct {
	Object
	Person       Ref  `json:"person"`
	Organization Ref  `json:"organization"`
	Role         Str  `json:"role"`
	VotingRight  Bool `json:"votingRight"`
	StartDate    Str  `json:"startDate"`
	EndDate      Str  `json:"endDate"`
	OnBehalfOf   Ref  `json:"onBehalfOf"`
}

// LegislativeTerm is an OParl LegislativeTerm.
type LegislativeTerm struct {
	Object
	Name      Str `json:"name"`
	StartDate Str `json:"startDate"`
	EndDate   Str `json:"endDate"`
}

// Location is an OParl Location (only its description is kept).
type Location struct {
	Object
	Description   Str `json:"description"`
	StreetAddress Str `json:"streetAddress"`
	Room          Str `json:"room"`
	Locality      Str `json:"locality"`
}

// Meeting is an OParl Meeting.
type Meeting struct {
	Object
	Name             Str  `json:"name"`
	MeetingState     Str  `json:"meetingState"`
	Cancelled        Bool `json:"cancelled"`
	Start            Str  `json:"start"`
	End              Str  `json:"end"`
	Location         Ref  `json:"location"`
	Organization     Refs `json:"organization"`
	Invitation       Refs `json:"invitation"`
	ResultsProtocol  Refs `json:"resultsProtocol"`
	VerbatimProtocol Refs `json:"verbatimProtocol"`
	AuxiliaryFile    Refs `json:"auxiliaryFile"`
	AgendaItem       Refs `json:"agendaItem"`
}

// AgendaItem is an OParl AgendaItem.
type AgendaItem struct {
	Object
	Meeting        Ref  `json:"meeting"`
	Number         Str  `json:"number"`
	Order          Int  `json:"order"`
	Name           Str  `json:"name"`
	Public         Bool `json:"public"`
	Result         Str  `json:"result"`
	ResolutionText Str  `json:"resolutionText"`
	AuxiliaryFile  Refs `json:"auxiliaryFile"`
}

// Paper is an OParl Paper.
type Paper struct {
	Object
	Name          Str  `json:"name"`
	Reference     Str  `json:"reference"`
	Date          Str  `json:"date"`
	PaperType     Str  `json:"paperType"`
	MainFile      Refs `json:"mainFile"`
	AuxiliaryFile Refs `json:"auxiliaryFile"`
	Consultation  Refs `json:"consultation"`
}

// Consultation is an OParl Consultation.
type Consultation struct {
	Object
	Paper         Ref  `json:"paper"`
	AgendaItem    Ref  `json:"agendaItem"`
	Meeting       Ref  `json:"meeting"`
	Role          Str  `json:"role"`
	Authoritative Bool `json:"authoritative"`
}

// File is an OParl File.
type File struct {
	Object
	Name           Str `json:"name"`
	FileName       Str `json:"fileName"`
	MimeType       Str `json:"mimeType"`
	Date           Str `json:"date"`
	Size           Int `json:"size"`
	SHA512Checksum Str `json:"sha512Checksum"`
	AccessURL      Str `json:"accessUrl"`
	DownloadURL    Str `json:"downloadUrl"`
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

// Decode reads one object into v (a pointer to one of this package's
// object types).
func Decode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// ParseTime reads an OParl date-time; also without zone (taken as
// Berlin time) or a bare date. Zero if s is empty or unreadable.
func ParseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, berlin); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ParseDate reads a date (YYYY-MM-DD, or the date of a date-time) as
// YYYY-MM-DD; "" if empty or unreadable.
func ParseDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 10 {
		if t, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return t.Format("2006-01-02")
		}
	}
	if t := ParseTime(s); !t.IsZero() {
		return t.In(berlin).Format("2006-01-02")
	}
	return ""
}
