// Package sessions is the council's work: its body, organizations
// (council, committees, district councils, factions), persons and their
// memberships, legislative terms, meetings with agendas of public (Ö) and
// non-public (N) items, papers and their consultations, documents attached
// to items, papers and meetings, minutes — and the one visibility policy
// that decides, for every read path of the product, who may see which of
// them now. Names follow OParl 1.1 (Body, Organization, Person,
// Membership, LegislativeTerm, Meeting, AgendaItem, Paper, Consultation;
// an Attachment becomes a File; AgendaItem.Position is OParl's order,
// Title its name, Resolution its resolutionText).
//
// The audit log lives here too (audit.go). Accounts, sign-ins and API
// tokens live in package accounts; ViewerFor completes an account's Viewer
// with the memberships of its person. A "session" in this product is a
// council session; a signed-in browser is an accounts.SignIn.
//
// # Storage
//
// Store keeps everything in the database of package documents (SQLite or
// PostgreSQL); the schema is Migrations (PostgresMigrations), applied
// with scope "sessions" after documents' migrations, so that attachments and minutes can reference documents(id).
// Documents and their versions belong to package documents; this package
// only links to them. Times are stored as UTC text of fixed width, so text
// order is time order. Store takes a clock, so that tests can move time.
//
// # Publication
//
//   - An agenda is a draft until the office publishes it (PublishMeeting),
//     now or at a set time. Until that time has come — a draft or an
//     embargo — the meeting and everything in it exist only for staff.
//   - Agenda items and attachments added once the agenda is published are
//     marked nachgereicht with their time (LateAt); those added during an
//     embargo are not, since nobody outside the office has seen the agenda.
//   - New attachments are always non-public, whatever the caller asks,
//     until someone calls SetAttachmentPublic; a late attachment therefore
//     never goes public by default. New agenda items are non-public unless
//     created public explicitly.
//   - Withdrawing an item or attachment (and, in package documents, a
//     version) keeps it stored and auditable; staff still see it, marked.
//   - A paper is public through a public item of a published agenda, or
//     when the office publishes it on its own (PublishPaper).
//   - Minutes move draft → approved → published, one step at a time.
//
// # Visibility
//
// The policy is in policy.go: pure functions of a Viewer (anonymous is the
// zero value), small facts structs that every object produces, and the
// time. Store's Find… methods, DocumentAccess, FilterDocuments and
// CanSeeVersion apply it; nothing else decides. An object the viewer may
// not see is reported exactly like a missing one (ENOTFOUND, same
// message), and lists leave it out, so lists and single reads agree.
//
//   - Staff (clerk, admin) see everything: drafts, embargoed agendas,
//     withdrawn items, attachments and versions, unlinked documents.
//   - Everyone else sees a meeting once its agenda's publication time has
//     passed, and nothing of it before.
//   - In a published meeting, a public item is seen in full by everyone; a
//     withdrawn item by nobody. A non-public item is seen in full by the
//     insiders: accounts with role member whose person was a member of the
//     meeting's organization at the meeting's start and is not excluded
//     from the item (Befangenheit). Everyone else sees a Stub: number and
//     public title (or StubTitle), never the real title or anything
//     attached. An exclusion counts from the next read on.
//   - An item's attachment: insiders see every attachment that is not
//     withdrawn; everyone else only public, not withdrawn attachments of
//     public items.
//   - A meeting's own documents (agenda, invitation): public ones are seen
//     by everyone once published; non-public ones by members of the
//     organization excluded from none of the meeting's items.
//   - A paper: by everyone if published explicitly or consulted on a public
//     item of a published agenda; by insiders of any item it is consulted
//     on, unless excluded from any of its consultations (the exclusion is
//     about the matter). Its attachments: public ones wherever the paper is
//     public; all by such insiders; withdrawn ones by nobody.
//   - Minutes: published public minutes by everyone; approved and
//     published minutes by members of the organization — non-public ones
//     not by a member excluded from any item of the meeting; drafts by
//     staff only.
//   - A document is visible if any of its links (attachment or minutes)
//     is; one linked nowhere only to staff. A version follows its
//     document, superseded or not; a withdrawn version only staff see.
package sessions

import (
	"embed"
	"io/fs"
	"slices"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's forward-only schema migrations, to be
// applied with scope "sessions" after those of package documents.
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same migrations for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

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
	// OrganizationName is the organization's name, read with the meeting
	// (public data) by every read of the store; writes ignore it.
	OrganizationName string
	Name             string
	Start            time.Time
	End              time.Time // zero if not known
	Location         string
	State            string
	// PublishedAt is when the agenda is (or becomes) public; zero while
	// it is a draft. A time in the future is an embargo.
	PublishedAt time.Time
	Created     time.Time
	Modified    time.Time
	// Deputies are the persons seated as deputies in the meeting's
	// running session (SetDeputies), in order; empty unless it runs.
	Deputies []int64
}

// Facts returns what the policy needs of m, without the exclusions of its
// items (MeetingFacts.Excluded).
func (m *Meeting) Facts() access.MeetingFacts {
	return access.MeetingFacts{OrganizationID: m.OrganizationID, Start: m.Start, PublishedAt: m.PublishedAt, Deputies: m.Deputies}
}

// Published reports whether m's agenda is public at now.
func (m *Meeting) Published(now time.Time) bool { return m.Facts().Published(now) }

// AgendaItem is one item of a meeting's agenda.
type AgendaItem struct {
	ID        int64
	MeetingID int64
	Number    string // e.g. "Ö 3.1", "N 2"
	// NumberFixed says the office fixed Number by hand; otherwise it
	// follows the agenda's order (see ReorderAgenda).
	NumberFixed bool
	Position    int       // OParl order: place in the agenda, from 1
	Public      bool      // new items are non-public unless created public
	Title       string    // OParl name
	PublicTitle string    // what the public sees of a non-public item; may be ""
	Result      string    // e.g. "einstimmig beschlossen"
	Resolution  string    // OParl resolutionText
	LateAt      time.Time // nachgereicht at; zero if on the agenda when published
	WithdrawnAt time.Time // zero unless withdrawn
	Excluded    []int64   // persons whose exclusion (Befangenheit) is recorded on this item
	// ExcludedByMatter lists the persons excluded from another item that
	// consults a paper this item consults: an exclusion follows the
	// matter, so they are excluded from this item too (not in Excluded).
	ExcludedByMatter []int64
	Created          time.Time
	Modified         time.Time

	// Access is what the viewer it was found for may see: Full, or Stub
	// — then Title is the public title and everything else is empty.
	Access access.Access
}

// Late reports whether the item was added after the agenda was published.
func (it *AgendaItem) Late() bool { return !it.LateAt.IsZero() }

// Withdrawn reports whether the item was withdrawn.
func (it *AgendaItem) Withdrawn() bool { return !it.WithdrawnAt.IsZero() }

// Facts returns what the policy needs of it, in meeting m.
func (it *AgendaItem) Facts(m access.MeetingFacts) access.ItemFacts {
	return access.ItemFacts{Meeting: m, Public: it.Public, Withdrawn: it.Withdrawn(),
		Excluded: append(slices.Clip(it.Excluded), it.ExcludedByMatter...)}
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
		Title: title, Created: it.Created, Modified: it.Modified, Access: access.Stub}
}

// Paper is a motion, draft resolution, inquiry or report (Vorlage).
type Paper struct {
	ID         int64
	BodyID     int64
	Reference  string // e.g. "2025/0123"; unique per body
	Name       string
	Type       string // OParl paperType, e.g. "Beschlussvorlage", "Antrag"
	Date       string // YYYY-MM-DD
	Originator string // who submitted it: an office, a faction, persons
	// PublishedAt is when the office published the paper on its own,
	// independent of any agenda; zero if it did not. A paper is public
	// anyway once it is consulted on a public item of a published agenda.
	PublishedAt time.Time
	Created     time.Time
	Modified    time.Time
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

// Attachment is a document (package documents) linked to exactly one
// agenda item, paper or meeting, with the link's own visibility: the same
// document can be public in one place and not in another. It becomes an
// OParl File of that object (mainFile for RoleMain, auxiliaryFile for
// RoleAttachment, invitation for RoleInvitation).
type Attachment struct {
	ID           int64
	DocumentID   int64
	AgendaItemID int64 // exactly one of AgendaItemID, PaperID, MeetingID is set
	PaperID      int64
	MeetingID    int64
	Role         string
	Title        string
	Public       bool // false when created; see Store.Attach
	Position     int
	LateAt       time.Time // nachgereicht at; zero if attached before publication
	WithdrawnAt  time.Time // zero unless withdrawn
	Created      time.Time
	Modified     time.Time
}

// Withdrawn reports whether the attachment was withdrawn.
func (a *Attachment) Withdrawn() bool { return !a.WithdrawnAt.IsZero() }

// Facts returns what the policy needs of a.
func (a *Attachment) Facts() access.AttachmentFacts {
	return access.AttachmentFacts{Public: a.Public, Withdrawn: !a.WithdrawnAt.IsZero()}
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
