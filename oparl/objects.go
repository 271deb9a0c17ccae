package oparl

// The objects as Ratsmappe serves them. Optional fields are omitted when
// empty (OParl asks for no null, no [] and no "" where there is no data);
// required fields and booleans that carry meaning are always written.

type System struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	OParlVersion string `json:"oparlVersion"`
	Body         string `json:"body"`
	Name         string `json:"name"`
	Website      string `json:"website,omitempty"`
	Product      string `json:"product"`
	License      string `json:"license,omitempty"`
	Created      string `json:"created"`
	Modified     string `json:"modified"`
	Web          string `json:"web,omitempty"`
}

type Body struct {
	ID                  string            `json:"id"`
	Type                string            `json:"type"`
	System              string            `json:"system"`
	Name                string            `json:"name"`
	ShortName           string            `json:"shortName,omitempty"`
	Website             string            `json:"website,omitempty"`
	AGS                 string            `json:"ags,omitempty"`
	License             string            `json:"license,omitempty"`
	Organization        string            `json:"organization"`
	Person              string            `json:"person"`
	Meeting             string            `json:"meeting"`
	Paper               string            `json:"paper"`
	LegislativeTerm     []LegislativeTerm `json:"legislativeTerm"`
	LegislativeTermList string            `json:"legislativeTermList"`
	Membership          string            `json:"membership"`
	LocationList        string            `json:"locationList"`
	AgendaItem          string            `json:"agendaItem"`
	Consultation        string            `json:"consultation"`
	File                string            `json:"file"`
	Created             string            `json:"created"`
	Modified            string            `json:"modified"`
}

type LegislativeTerm struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Body      string `json:"body"`
	Name      string `json:"name"`
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
	Created   string `json:"created"`
	Modified  string `json:"modified"`
}

type Organization struct {
	ID               string   `json:"id"`
	Type             string   `json:"type"`
	Body             string   `json:"body"`
	Name             string   `json:"name"`
	ShortName        string   `json:"shortName,omitempty"`
	Membership       []string `json:"membership,omitempty"`
	Meeting          string   `json:"meeting"`
	OrganizationType string   `json:"organizationType"`
	Classification   string   `json:"classification"`
	StartDate        string   `json:"startDate,omitempty"`
	EndDate          string   `json:"endDate,omitempty"`
	Created          string   `json:"created"`
	Modified         string   `json:"modified"`
}

type Person struct {
	ID            string       `json:"id"`
	Type          string       `json:"type"`
	Body          string       `json:"body"`
	Name          string       `json:"name"`
	FamilyName    string       `json:"familyName"`
	GivenName     string       `json:"givenName,omitempty"`
	FormOfAddress string       `json:"formOfAddress,omitempty"`
	Title         []string     `json:"title,omitempty"`
	Membership    []Membership `json:"membership,omitempty"`
	Created       string       `json:"created"`
	Modified      string       `json:"modified"`
}

type Membership struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Person       string `json:"person"`
	Organization string `json:"organization"`
	Role         string `json:"role,omitempty"`
	VotingRight  bool   `json:"votingRight"`
	StartDate    string `json:"startDate,omitempty"`
	EndDate      string `json:"endDate,omitempty"`
	OnBehalfOf   string `json:"onBehalfOf,omitempty"`
	Created      string `json:"created"`
	Modified     string `json:"modified"`
}

type Meeting struct {
	ID            string       `json:"id"`
	Type          string       `json:"type"`
	Name          string       `json:"name,omitempty"`
	MeetingState  string       `json:"meetingState,omitempty"`
	Cancelled     bool         `json:"cancelled,omitempty"`
	Start         string       `json:"start,omitempty"`
	End           string       `json:"end,omitempty"`
	Location      *Location    `json:"location,omitempty"`
	Organization  []string     `json:"organization,omitempty"`
	Invitation    *File        `json:"invitation,omitempty"`
	AuxiliaryFile []*File      `json:"auxiliaryFile,omitempty"`
	AgendaItem    []AgendaItem `json:"agendaItem,omitempty"`
	// ResultsProtocol is the published public minutes.
	ResultsProtocol *File  `json:"resultsProtocol,omitempty"`
	Web             string `json:"web,omitempty"`
	Created         string `json:"created"`
	Modified        string `json:"modified"`
	Deleted         bool   `json:"deleted,omitempty"`
}

type AgendaItem struct {
	ID             string  `json:"id"`
	Type           string  `json:"type"`
	Meeting        string  `json:"meeting"`
	Number         string  `json:"number,omitempty"`
	Order          int     `json:"order"`
	Name           string  `json:"name,omitempty"`
	Public         bool    `json:"public"`
	Result         string  `json:"result,omitempty"`
	ResolutionText string  `json:"resolutionText,omitempty"`
	Consultation   string  `json:"consultation,omitempty"`
	AuxiliaryFile  []*File `json:"auxiliaryFile,omitempty"`
	Created        string  `json:"created"`
	Modified       string  `json:"modified"`
	// Votes is Ratsmappe's extension (docs/oparl-extension.md): the
	// closed votes on the item with counts and, for named votes, each
	// member's choice.
	Votes []*Vote `json:"ratsmappe:votes,omitempty"`
}

type Location struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Meetings    []string `json:"meetings,omitempty"`
	Created     string   `json:"created"`
	Modified    string   `json:"modified"`
}

type Paper struct {
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	Body          string         `json:"body"`
	Name          string         `json:"name,omitempty"`
	Reference     string         `json:"reference,omitempty"`
	Date          string         `json:"date,omitempty"`
	PaperType     string         `json:"paperType,omitempty"`
	MainFile      *File          `json:"mainFile,omitempty"`
	AuxiliaryFile []*File        `json:"auxiliaryFile,omitempty"`
	Consultation  []Consultation `json:"consultation,omitempty"`
	Created       string         `json:"created"`
	Modified      string         `json:"modified"`
}

type Consultation struct {
	ID            string   `json:"id"`
	Type          string   `json:"type"`
	Paper         string   `json:"paper"`
	AgendaItem    string   `json:"agendaItem,omitempty"`
	Meeting       string   `json:"meeting,omitempty"`
	Organization  []string `json:"organization,omitempty"`
	Authoritative bool     `json:"authoritative"`
	Role          string   `json:"role,omitempty"`
	Created       string   `json:"created"`
	Modified      string   `json:"modified"`
}

type File struct {
	ID             string   `json:"id"`
	Type           string   `json:"type"`
	Name           string   `json:"name,omitempty"`
	FileName       string   `json:"fileName,omitempty"`
	MimeType       string   `json:"mimeType"`
	Date           string   `json:"date,omitempty"`
	Size           int64    `json:"size"`
	SHA512Checksum string   `json:"sha512Checksum,omitempty"`
	Text           string   `json:"text,omitempty"`
	AccessURL      string   `json:"accessUrl"`
	DownloadURL    string   `json:"downloadUrl"`
	Meeting        []string `json:"meeting,omitempty"`
	AgendaItem     []string `json:"agendaItem,omitempty"`
	Paper          []string `json:"paper,omitempty"`
	Created        string   `json:"created"`
	Modified       string   `json:"modified"`
}

// Deleted is a soft-deleted object: id, type, created, modified
// and deleted only — and what the schema requires of every object of
// the type: an AgendaItem's order, a File's accessUrl (which answers 404).
type Deleted struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Order     *int   `json:"order,omitempty"`
	AccessURL string `json:"accessUrl,omitempty"` // required of every File by the schema
	Created   string `json:"created"`
	Modified  string `json:"modified"`
	Deleted   bool   `json:"deleted"`
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
