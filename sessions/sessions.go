// Package sessions is the council's work: its body, organizations
// (council, committees, district councils, factions), persons and their
// memberships, meetings with agendas of public (Ö) and non-public (N)
// items, papers and their consultations, documents attached to items,
// papers and meetings, minutes — and the one visibility policy that
// decides, for every read path of the product, who may see which of them
// now (policy.go). Names follow OParl 1.1.
//
// Publication: an agenda is a draft until the office publishes it, now or
// at a set time (an embargo). Agenda items and attachments added after
// publication are marked as late (nachgereicht) with their date. New items
// and new attachments are non-public until someone sets them public.
// Withdrawing an item or an attachment keeps it stored.
//
// Accounts, sign-ins (the auth cookie), API tokens and the audit log live
// here too (accounts.go), because the viewer the policy needs is an
// account with the memberships of its person.
package sessions

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the package's forward-only schema migrations, to be
// applied with scope "sessions" after those of package documents.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Organization classifications.
const (
	ClassCouncil         = "council"
	ClassCommittee       = "committee"
	ClassDistrictCouncil = "district_council"
	ClassFaction         = "faction"
	ClassOther           = "other"
)

// Meeting states (OParl meetingState).
const (
	MeetingPlanned   = "planned"
	MeetingInvited   = "invited"
	MeetingHeld      = "held"
	MeetingCancelled = "cancelled"
)

// Minutes states.
const (
	MinutesDraft     = "draft"
	MinutesApproved  = "approved"
	MinutesPublished = "published"
)

// Attachment roles.
const (
	RoleMain       = "main"       // a paper's main document (Vorlage)
	RoleAttachment = "attachment" // Anlage
	RoleAgenda     = "agenda"     // the meeting's agenda document
	RoleInvitation = "invitation" // the meeting's invitation
)

// Body is the municipality (OParl Body).
type Body struct {
	ID        int64
	Name      string
	ShortName string
	Website   string
	Created   time.Time
	Modified  time.Time
}

// Organization is a council, committee, district council or faction.
type Organization struct {
	ID             int64
	BodyID         int64
	Name           string
	ShortName      string
	Classification string
	StartDate      string // YYYY-MM-DD or ""
	EndDate        string
	Created        time.Time
	Modified       time.Time
}

// Person is a council member or other person of the body.
type Person struct {
	ID            int64
	BodyID        int64
	GivenName     string
	FamilyName    string
	Title         string // e.g. "Dr."
	FormOfAddress string // e.g. "Frau"
	Created       time.Time
	Modified      time.Time
}

// Name is the person's full name, e.g. "Dr. Anna Beispiel".
func (p *Person) Name() string {
	n := p.GivenName + " " + p.FamilyName
	if p.Title != "" {
		n = p.Title + " " + n
	}
	return n
}

// Membership is a person's membership in an organization.
type Membership struct {
	ID             int64
	PersonID       int64
	OrganizationID int64
	Role           string // e.g. "Mitglied", "Vorsitzende"
	VotingRight    bool
	OnBehalfOf     int64  // faction, 0 if none
	StartDate      string // YYYY-MM-DD or ""
	EndDate        string
	Created        time.Time
	Modified       time.Time
}

// LegislativeTerm is an electoral period (Wahlperiode).
type LegislativeTerm struct {
	ID        int64
	BodyID    int64
	Name      string
	StartDate string
	EndDate   string
	Created   time.Time
	Modified  time.Time
}

// Meeting is a session of an organization.
type Meeting struct {
	ID             int64
	OrganizationID int64
	Name           string
	Start          time.Time
	End            time.Time // zero if not known
	Location       string
	State          string
	// PublishedAt is when the agenda is (or becomes) public; zero while
	// it is a draft. A time in the future is an embargo.
	PublishedAt time.Time
	Created     time.Time
	Modified    time.Time
}

// Facts returns what the policy needs of m.
func (m *Meeting) Facts() MeetingFacts {
	return MeetingFacts{OrganizationID: m.OrganizationID, Start: m.Start, PublishedAt: m.PublishedAt}
}

// AgendaItem is one item of a meeting's agenda.
type AgendaItem struct {
	ID          int64
	MeetingID   int64
	Number      string // e.g. "Ö 3.1", "N 2"
	Position    int    // order in the agenda, from 1
	Public      bool
	Title       string
	PublicTitle string // what the public sees of a non-public item; may be ""
	Result      string
	Resolution  string
	LateAt      time.Time // nachgereicht at; zero if on the agenda when published
	WithdrawnAt time.Time // zero unless withdrawn
	Excluded    []int64   // persons excluded (Befangenheit)
	Created     time.Time
	Modified    time.Time

	// Access is what the viewer it was found for may see: Full, or Stub
	// — then Title is the public title and everything else is empty.
	Access Access
}

// Late reports whether the item was added after the agenda was published.
func (it *AgendaItem) Late() bool { return !it.LateAt.IsZero() }

// Withdrawn reports whether the item was withdrawn.
func (it *AgendaItem) Withdrawn() bool { return !it.WithdrawnAt.IsZero() }

// Facts returns what the policy needs of it, in meeting m.
func (it *AgendaItem) Facts(m MeetingFacts) ItemFacts {
	return ItemFacts{Meeting: m, Public: it.Public, Withdrawn: it.Withdrawn(), Excluded: it.Excluded}
}

// StubTitle is shown for a non-public item without a public title.
const StubTitle = "Nichtöffentlicher Tagesordnungspunkt"

// stub reduces it to what a Stub shows: number, position, public title.
func (it *AgendaItem) stub() *AgendaItem {
	title := it.PublicTitle
	if title == "" {
		title = StubTitle
	}
	return &AgendaItem{ID: it.ID, MeetingID: it.MeetingID, Number: it.Number, Position: it.Position,
		Title: title, Created: it.Created, Modified: it.Modified, Access: Stub}
}

// Paper is a motion, draft resolution, inquiry or report (Vorlage).
type Paper struct {
	ID         int64
	BodyID     int64
	Reference  string // e.g. "2025/0123"
	Name       string
	Type       string // e.g. "Beschlussvorlage", "Antrag"
	Date       string // YYYY-MM-DD
	Originator string
	Created    time.Time
	Modified   time.Time
}

// Consultation links a paper to an agenda item where it is discussed.
type Consultation struct {
	ID            int64
	PaperID       int64
	AgendaItemID  int64
	Role          string // e.g. "Beratung", "Entscheidung"
	Authoritative bool
	Created       time.Time
}

// Attachment is a document linked to exactly one agenda item, paper or
// meeting, with the link's own visibility.
type Attachment struct {
	ID           int64
	DocumentID   int64
	AgendaItemID int64
	PaperID      int64
	MeetingID    int64
	Role         string
	Title        string
	Public       bool
	Position     int
	LateAt       time.Time
	WithdrawnAt  time.Time
	Created      time.Time
	Modified     time.Time
}

// Facts returns what the policy needs of a.
func (a *Attachment) Facts() AttachmentFacts {
	return AttachmentFacts{Public: a.Public, Withdrawn: !a.WithdrawnAt.IsZero()}
}

// Late reports whether the attachment was added after publication.
func (a *Attachment) Late() bool { return !a.LateAt.IsZero() }

// Minutes is the record of a meeting.
type Minutes struct {
	ID           int64
	MeetingID    int64
	DocumentID   int64
	Public       bool
	State        string
	StateChanged time.Time
	Created      time.Time
	Modified     time.Time
}
