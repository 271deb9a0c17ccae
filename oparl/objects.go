package oparl

// The objects, as Ratsmappe serves them and as its importer reads them
// (sessions/oparlimport), with the field types of decode.go. Written,
// optional fields are left out when empty (OParl asks for no null, no []
// and no "" where there is no data); required fields and booleans that
// carry meaning are always written. deleted is written only as true, on
// objects that are; a reader sees it on every type.

type System struct {
	ID           Str  `json:"id"`
	Type         Str  `json:"type"`
	OParlVersion Str  `json:"oparlVersion"`
	Body         Str  `json:"body"` // the URL of the list of bodies
	Name         Str  `json:"name"`
	Website      Str  `json:"website,omitempty"`
	Product      Str  `json:"product"`
	License      Str  `json:"license,omitempty"`
	Created      Str  `json:"created"`
	Modified     Str  `json:"modified"`
	Web          Str  `json:"web,omitempty"`
	Deleted      Bool `json:"deleted,omitempty"`
}

type Body struct {
	ID                  Str                      `json:"id"`
	Type                Str                      `json:"type"`
	System              Ref[System]              `json:"system"`
	Name                Str                      `json:"name"`
	ShortName           Str                      `json:"shortName,omitempty"`
	Website             Str                      `json:"website,omitempty"`
	AGS                 Str                      `json:"ags,omitempty"`
	License             Str                      `json:"license,omitempty"`
	Organization        Str                      `json:"organization"` // list URLs from here to File but for legislativeTerm
	Person              Str                      `json:"person"`
	Meeting             Str                      `json:"meeting"`
	Paper               Str                      `json:"paper"`
	LegislativeTerm     Objects[LegislativeTerm] `json:"legislativeTerm"`
	LegislativeTermList Str                      `json:"legislativeTermList"`
	Membership          Str                      `json:"membership"`
	LocationList        Str                      `json:"locationList"`
	AgendaItem          Str                      `json:"agendaItem"`
	Consultation        Str                      `json:"consultation"`
	File                Str                      `json:"file"`
	Created             Str                      `json:"created"`
	Modified            Str                      `json:"modified"`
	Deleted             Bool                     `json:"deleted,omitempty"`
}

type LegislativeTerm struct {
	ID        Str                  `json:"id"`
	Type      Str                  `json:"type"`
	Body      Ref[Body]            `json:"body"`
	Name      Str                  `json:"name"`
	StartDate Str                  `json:"startDate,omitempty"`
	EndDate   Str                  `json:"endDate,omitempty"`
	Created   Str                  `json:"created"`
	Modified  Str                  `json:"modified"`
	Deleted   Bool                 `json:"deleted,omitempty"`
	Read      Ref[LegislativeTerm] `json:"-"` // how a reader found it (decode.go)
}

type Organization struct {
	ID               Str              `json:"id"`
	Type             Str              `json:"type"`
	Body             Ref[Body]        `json:"body"`
	Name             Str              `json:"name"`
	ShortName        Str              `json:"shortName,omitempty"`
	Membership       Refs[Membership] `json:"membership,omitempty"`
	Meeting          Str              `json:"meeting"` // the URL of the list of its meetings
	OrganizationType Str              `json:"organizationType"`
	Classification   Str              `json:"classification"`
	StartDate        Str              `json:"startDate,omitempty"`
	EndDate          Str              `json:"endDate,omitempty"`
	Created          Str              `json:"created"`
	Modified         Str              `json:"modified"`
	Deleted          Bool             `json:"deleted,omitempty"`
}

type Person struct {
	ID            Str                 `json:"id"`
	Type          Str                 `json:"type"`
	Body          Ref[Body]           `json:"body"`
	Name          Str                 `json:"name"`
	FamilyName    Str                 `json:"familyName"`
	GivenName     Str                 `json:"givenName,omitempty"`
	FormOfAddress Str                 `json:"formOfAddress,omitempty"`
	Title         Strs                `json:"title,omitempty"`
	Membership    Objects[Membership] `json:"membership,omitempty"`
	Created       Str                 `json:"created"`
	Modified      Str                 `json:"modified"`
	Deleted       Bool                `json:"deleted,omitempty"`
}

type Membership struct {
	ID           Str               `json:"id"`
	Type         Str               `json:"type"`
	Person       Ref[Person]       `json:"person"`
	Organization Ref[Organization] `json:"organization"`
	Role         Str               `json:"role,omitempty"`
	VotingRight  Bool              `json:"votingRight"`
	StartDate    Str               `json:"startDate,omitempty"`
	EndDate      Str               `json:"endDate,omitempty"`
	OnBehalfOf   Ref[Organization] `json:"onBehalfOf,omitzero"`
	Created      Str               `json:"created"`
	Modified     Str               `json:"modified"`
	Deleted      Bool              `json:"deleted,omitempty"`
	Read         Ref[Membership]   `json:"-"` // how a reader found it (decode.go)
}

type Meeting struct {
	ID            Str                 `json:"id"`
	Type          Str                 `json:"type"`
	Name          Str                 `json:"name,omitempty"`
	MeetingState  Str                 `json:"meetingState,omitempty"`
	Cancelled     Bool                `json:"cancelled,omitempty"`
	Start         Str                 `json:"start,omitempty"`
	End           Str                 `json:"end,omitempty"`
	Location      *Location           `json:"location,omitempty"`
	Organization  Refs[Organization]  `json:"organization,omitempty"`
	Invitation    *File               `json:"invitation,omitempty"`
	AuxiliaryFile Objects[File]       `json:"auxiliaryFile,omitempty"`
	AgendaItem    Objects[AgendaItem] `json:"agendaItem,omitempty"`
	// ResultsProtocol is the published public minutes.
	ResultsProtocol *File `json:"resultsProtocol,omitempty"`
	// VerbatimProtocol is read, never written (Ratsmappe's minutes are
	// resultsProtocol).
	VerbatimProtocol *File `json:"verbatimProtocol,omitempty"`
	Web              Str   `json:"web,omitempty"`
	Created          Str   `json:"created"`
	Modified         Str   `json:"modified"`
	Deleted          Bool  `json:"deleted,omitempty"`
}

type AgendaItem struct {
	ID             Str               `json:"id"`
	Type           Str               `json:"type"`
	Meeting        Ref[Meeting]      `json:"meeting"`
	Number         Str               `json:"number,omitempty"`
	Order          Int               `json:"order"`
	Name           Str               `json:"name,omitempty"`
	Public         Bool              `json:"public"`
	Result         Str               `json:"result,omitempty"`
	ResolutionText Str               `json:"resolutionText,omitempty"`
	Consultation   Ref[Consultation] `json:"consultation,omitzero"`
	AuxiliaryFile  Objects[File]     `json:"auxiliaryFile,omitempty"`
	Created        Str               `json:"created"`
	Modified       Str               `json:"modified"`
	// Votes is Ratsmappe's extension (docs/oparl-extension.md): the
	// closed votes on the item with counts and, for named votes, each
	// member's choice.
	Votes   Votes           `json:"ratsmappe:votes,omitempty"`
	Deleted Bool            `json:"deleted,omitempty"`
	Read    Ref[AgendaItem] `json:"-"` // how a reader found it (decode.go)
}

// Location is a meeting's place. Ratsmappe writes its description; the
// address fields are read from servers that have them.
type Location struct {
	ID            Str           `json:"id"`
	Type          Str           `json:"type"`
	Description   Str           `json:"description"`
	StreetAddress Str           `json:"streetAddress,omitempty"`
	Room          Str           `json:"room,omitempty"`
	Locality      Str           `json:"locality,omitempty"`
	Meetings      Refs[Meeting] `json:"meetings,omitempty"`
	Created       Str           `json:"created"`
	Modified      Str           `json:"modified"`
	Deleted       Bool          `json:"deleted,omitempty"`
	Read          Ref[Location] `json:"-"` // how a reader found it (decode.go)
}

type Paper struct {
	ID            Str                   `json:"id"`
	Type          Str                   `json:"type"`
	Body          Ref[Body]             `json:"body"`
	Name          Str                   `json:"name,omitempty"`
	Reference     Str                   `json:"reference,omitempty"`
	Date          Str                   `json:"date,omitempty"`
	PaperType     Str                   `json:"paperType,omitempty"`
	MainFile      *File                 `json:"mainFile,omitempty"`
	AuxiliaryFile Objects[File]         `json:"auxiliaryFile,omitempty"`
	Consultation  Objects[Consultation] `json:"consultation,omitempty"`
	Created       Str                   `json:"created"`
	Modified      Str                   `json:"modified"`
	Deleted       Bool                  `json:"deleted,omitempty"`
}

type Consultation struct {
	ID            Str                `json:"id"`
	Type          Str                `json:"type"`
	Paper         Ref[Paper]         `json:"paper"`
	AgendaItem    Ref[AgendaItem]    `json:"agendaItem,omitzero"`
	Meeting       Ref[Meeting]       `json:"meeting,omitzero"`
	Organization  Refs[Organization] `json:"organization,omitempty"`
	Authoritative Bool               `json:"authoritative"`
	Role          Str                `json:"role,omitempty"`
	Created       Str                `json:"created"`
	Modified      Str                `json:"modified"`
	Deleted       Bool               `json:"deleted,omitempty"`
	Read          Ref[Consultation]  `json:"-"` // how a reader found it (decode.go)
}

type File struct {
	ID             Str              `json:"id"`
	Type           Str              `json:"type"`
	Name           Str              `json:"name,omitempty"`
	FileName       Str              `json:"fileName,omitempty"`
	MimeType       Str              `json:"mimeType"`
	Date           Str              `json:"date,omitempty"`
	Size           Int              `json:"size"`
	SHA512Checksum Str              `json:"sha512Checksum,omitempty"`
	Text           Str              `json:"text,omitempty"`
	AccessURL      Str              `json:"accessUrl"`
	DownloadURL    Str              `json:"downloadUrl"`
	Meeting        Refs[Meeting]    `json:"meeting,omitempty"`
	AgendaItem     Refs[AgendaItem] `json:"agendaItem,omitempty"`
	Paper          Refs[Paper]      `json:"paper,omitempty"`
	Created        Str              `json:"created"`
	Modified       Str              `json:"modified"`
	Deleted        Bool             `json:"deleted,omitempty"`
	Read           Ref[File]        `json:"-"` // how a reader found it (decode.go)
}

// Deleted is a soft-deleted object: id, type, created, modified
// and deleted only — and what the schema requires of every object of
// the type: an AgendaItem's order, a File's accessUrl (which answers 404).
type Deleted struct {
	ID        Str  `json:"id"`
	Type      Str  `json:"type"`
	Order     *int `json:"order,omitempty"`
	AccessURL Str  `json:"accessUrl,omitempty"` // required of every File by the schema
	Created   Str  `json:"created"`
	Modified  Str  `json:"modified"`
	Deleted   bool `json:"deleted"`
}

type List struct {
	Data       []any      `json:"data"`
	Pagination Pagination `json:"pagination"`
	Links      Links      `json:"links"`
}

// Pagination is OParl's pagination object. Lists are keyset pages
// (a page costs the same wherever it is, and an object created meanwhile
// neither shifts nor repeats the pages after it), so only the page size
// is known without counting the whole list: the other fields, optional
// in OParl 1.1, are left out.
type Pagination struct {
	ElementsPerPage int `json:"elementsPerPage"`
}

type Links struct {
	First string `json:"first,omitempty"`
	Self  string `json:"self,omitempty"`
	Next  string `json:"next,omitempty"`
}

// Error is OParl's error object (section 2.9). Debug carries a request
// id for an internal error, never the error's text.
type Error struct {
	Debug   string `json:"debug,omitempty"`
	Message string `json:"message"`
	Type    string `json:"type"`
}
