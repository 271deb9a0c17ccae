package oparlimport

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ratsmappe/ratsmappe/oparl"
)

// The objects as the importer reads them: only the fields it keeps, each
// of one of oparl's lenient field types (a real server's number where a
// string belongs, a single object where a list belongs, …), so that what
// does not fit makes the one object fail, never the list.

// Object is what every OParl object has.
type Object struct {
	ID       oparl.Str  `json:"id"`
	Type     oparl.Str  `json:"type"`
	Created  oparl.Str  `json:"created"`
	Modified oparl.Str  `json:"modified"`
	Deleted  oparl.Bool `json:"deleted"`
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
	Name oparl.Str `json:"name"`
	Body oparl.Str `json:"body"` // URL of the body list
}

// Body is an OParl Body.
type Body struct {
	Object
	Name                oparl.Str  `json:"name"`
	ShortName           oparl.Str  `json:"shortName"`
	Website             oparl.Str  `json:"website"`
	Organization        oparl.Str  `json:"organization"`
	Person              oparl.Str  `json:"person"`
	Meeting             oparl.Str  `json:"meeting"`
	Paper               oparl.Str  `json:"paper"`
	Membership          oparl.Str  `json:"membership"`
	LegislativeTerm     oparl.Refs `json:"legislativeTerm"`
	LegislativeTermList oparl.Str  `json:"legislativeTermList"`
}

// Organization is an OParl Organization.
type Organization struct {
	Object
	Name             oparl.Str  `json:"name"`
	ShortName        oparl.Str  `json:"shortName"`
	Classification   oparl.Str  `json:"classification"`
	OrganizationType oparl.Str  `json:"organizationType"`
	StartDate        oparl.Str  `json:"startDate"`
	EndDate          oparl.Str  `json:"endDate"`
	Membership       oparl.Refs `json:"membership"`
}

// Person is an OParl Person.
type Person struct {
	Object
	Name          oparl.Str  `json:"name"`
	FamilyName    oparl.Str  `json:"familyName"`
	GivenName     oparl.Str  `json:"givenName"`
	FormOfAddress oparl.Str  `json:"formOfAddress"`
	Title         oparl.Strs `json:"title"`
	Membership    oparl.Refs `json:"membership"`
}

// Membership is an OParl Membership.
type Membership struct {
	Object
	Person       oparl.Ref  `json:"person"`
	Organization oparl.Ref  `json:"organization"`
	Role         oparl.Str  `json:"role"`
	VotingRight  oparl.Bool `json:"votingRight"`
	StartDate    oparl.Str  `json:"startDate"`
	EndDate      oparl.Str  `json:"endDate"`
	OnBehalfOf   oparl.Ref  `json:"onBehalfOf"`
}

// LegislativeTerm is an OParl LegislativeTerm.
type LegislativeTerm struct {
	Object
	Name      oparl.Str `json:"name"`
	StartDate oparl.Str `json:"startDate"`
	EndDate   oparl.Str `json:"endDate"`
}

// Location is an OParl Location (only its description is kept).
type Location struct {
	Object
	Description   oparl.Str `json:"description"`
	StreetAddress oparl.Str `json:"streetAddress"`
	Room          oparl.Str `json:"room"`
	Locality      oparl.Str `json:"locality"`
}

// Meeting is an OParl Meeting.
type Meeting struct {
	Object
	Name             oparl.Str  `json:"name"`
	MeetingState     oparl.Str  `json:"meetingState"`
	Cancelled        oparl.Bool `json:"cancelled"`
	Start            oparl.Str  `json:"start"`
	End              oparl.Str  `json:"end"`
	Location         oparl.Ref  `json:"location"`
	Organization     oparl.Refs `json:"organization"`
	Invitation       oparl.Refs `json:"invitation"`
	ResultsProtocol  oparl.Refs `json:"resultsProtocol"`
	VerbatimProtocol oparl.Refs `json:"verbatimProtocol"`
	AuxiliaryFile    oparl.Refs `json:"auxiliaryFile"`
	AgendaItem       oparl.Refs `json:"agendaItem"`
}

// AgendaItem is an OParl AgendaItem.
type AgendaItem struct {
	Object
	Meeting        oparl.Ref  `json:"meeting"`
	Number         oparl.Str  `json:"number"`
	Order          oparl.Int  `json:"order"`
	Name           oparl.Str  `json:"name"`
	Public         oparl.Bool `json:"public"`
	Result         oparl.Str  `json:"result"`
	ResolutionText oparl.Str  `json:"resolutionText"`
	AuxiliaryFile  oparl.Refs `json:"auxiliaryFile"`
}

// Paper is an OParl Paper.
type Paper struct {
	Object
	Name          oparl.Str  `json:"name"`
	Reference     oparl.Str  `json:"reference"`
	Date          oparl.Str  `json:"date"`
	PaperType     oparl.Str  `json:"paperType"`
	MainFile      oparl.Refs `json:"mainFile"`
	AuxiliaryFile oparl.Refs `json:"auxiliaryFile"`
	Consultation  oparl.Refs `json:"consultation"`
}

// Consultation is an OParl Consultation.
type Consultation struct {
	Object
	Paper         oparl.Ref  `json:"paper"`
	AgendaItem    oparl.Ref  `json:"agendaItem"`
	Meeting       oparl.Ref  `json:"meeting"`
	Role          oparl.Str  `json:"role"`
	Authoritative oparl.Bool `json:"authoritative"`
}

// File is an OParl File.
type File struct {
	Object
	Name           oparl.Str `json:"name"`
	FileName       oparl.Str `json:"fileName"`
	MimeType       oparl.Str `json:"mimeType"`
	Date           oparl.Str `json:"date"`
	Size           oparl.Int `json:"size"`
	SHA512Checksum oparl.Str `json:"sha512Checksum"`
	AccessURL      oparl.Str `json:"accessUrl"`
	DownloadURL    oparl.Str `json:"downloadUrl"`
}

// Decode reads one object into v (a pointer to one of this package's
// object types).
func Decode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}
