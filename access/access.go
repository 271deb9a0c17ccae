// Package access decides what a viewer may see. It owns the viewer, the
// facts a decision needs, the rule itself and its mapping to the search
// index's principals. Every channel — pages, JSON API, OParl, files, search,
// feeds, packets, sync, annotations, exports — asks it, directly or through
// the domain stores that load the facts and pass them in; nothing else in
// the code base decides visibility. It knows no HTTP and no storage: the
// domain (package sessions) records the facts and hands them to the rule.
package access

import (
	"time"

	"github.com/ratsmappe/ratsmappe/search"
)

// Role is what an account may do. Anonymous viewers have no role.
type Role string

// Roles.
const (
	RoleAnonymous Role = ""
	RoleMember    Role = "member" // council member: reads, annotates
	RoleClerk     Role = "clerk"  // council office: builds meetings, uploads, publishes
	RoleAdmin     Role = "admin"  // runs the installation; reads the audit log
)

// ValidRole reports whether r is a role an account can have.
func ValidRole(r Role) bool { return r == RoleMember || r == RoleClerk || r == RoleAdmin }

// Viewer is who asks: everything the visibility policy needs to know about
// them. The zero Viewer is an anonymous citizen. The Viewer of a
// signed-in account is the account's (id, name, role, person) and its
// person's memberships: accounts.Account.Viewer gives it whole for an
// account found by its credential, which reads the memberships in the
// same statement; otherwise sessions.Store.ViewerFor adds them.
type Viewer struct {
	AccountID   int64
	PersonID    int64 // 0 if the account is not a person of the body
	Name        string
	Role        Role
	Memberships []Period // the person's memberships, for the policy
}

// Period is a membership of a person in an organization from Start
// (inclusive) to End (exclusive); a zero time is open.
type Period struct {
	OrganizationID int64
	Start, End     time.Time
}

// PeriodOf returns the Period of a membership in organization org from
// start to end, dates as the council's records keep them (YYYY-MM-DD, ""
// for open): end is the membership's last day, so the period ends at the
// following midnight; both are read in Europe/Berlin. A malformed date
// counts as open.
func PeriodOf(org int64, start, end string) Period {
	e := ParseDate(end)
	if !e.IsZero() {
		e = e.AddDate(0, 0, 1)
	}
	return Period{OrganizationID: org, Start: ParseDate(start), End: e}
}

// ParseDate reads a date of the council's records (YYYY-MM-DD) as the
// start of that day in Europe/Berlin; the zero time if s is empty or
// malformed.
func ParseDate(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, berlin)
	if err != nil {
		return time.Time{}
	}
	return t
}

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// Staff reports whether v works for the council office (clerk or admin):
// staff see everything, drafts and withdrawn objects included.
func (v Viewer) Staff() bool { return v.Role == RoleClerk || v.Role == RoleAdmin }

// MemberOf reports whether v was a member of organization org at time t.
// Only accounts with RoleMember that are linked to a person are members by
// this rule; staff see everything anyway.
func (v Viewer) MemberOf(org int64, t time.Time) bool {
	if v.Role != RoleMember || v.PersonID == 0 {
		return false
	}
	for _, p := range v.Memberships {
		if p.OrganizationID != org {
			continue
		}
		if !p.Start.IsZero() && t.Before(p.Start) {
			continue
		}
		if !p.End.IsZero() && !t.Before(p.End) {
			continue
		}
		return true
	}
	return false
}

// excludedFrom reports whether v's person is one of persons.
func (v Viewer) excludedFrom(persons []int64) bool {
	if v.PersonID == 0 {
		return false
	}
	for _, p := range persons {
		if p == v.PersonID {
			return true
		}
	}
	return false
}

// Access is how much of an object a viewer may see.
type Access int

// Levels of access.
const (
	// None: the object does not exist for the viewer; every path answers
	// exactly as for an object that does not exist.
	None Access = iota
	// Stub: only the number and the public title of a non-public agenda
	// item, so that the public agenda shows that something is discussed
	// behind closed doors — never its real title or anything attached.
	Stub
	// Full: everything.
	Full
)

// String returns "none", "stub" or "full".
func (a Access) String() string {
	switch a {
	case Stub:
		return "stub"
	case Full:
		return "full"
	}
	return "none"
}

// MeetingFacts is what the policy needs to know about a meeting.
type MeetingFacts struct {
	OrganizationID int64
	Start          time.Time // memberships count at this time
	PublishedAt    time.Time // zero: the agenda is a draft
	// Excluded lists the persons excluded from any item of the meeting
	// (ItemFacts.Excluded, so exclusions that follow the matter count).
	// Only non-public documents of the whole meeting (minutes, a
	// non-public invitation) need it, because they speak of every item.
	Excluded []int64
	// Deputies lists the persons who sit in the meeting's running session
	// as deputies (Vertretung) for a member of its organization with
	// voting right, recorded present by the office: for this meeting, and
	// only while its session runs, they see what a member of the
	// organization sees. Their own exclusions apply; those of the member
	// they sit for do not (an exclusion is personal).
	Deputies []int64
}

// Published reports whether the meeting's agenda is public at now: it has
// a publication time and that time has come.
func (m MeetingFacts) Published(now time.Time) bool {
	return !m.PublishedAt.IsZero() && !now.Before(m.PublishedAt)
}

// ItemFacts is what the policy needs to know about an agenda item.
type ItemFacts struct {
	Meeting   MeetingFacts
	Public    bool
	Withdrawn bool
	// Excluded lists the persons excluded from the item: those whose
	// exclusion (Befangenheit) is recorded on it, and — because an
	// exclusion follows the matter — those excluded from any item that
	// consults a paper this item consults, in whatever meeting.
	Excluded []int64
}

// AttachmentFacts is what the policy needs to know about a document's link
// to an agenda item, a paper or a meeting.
type AttachmentFacts struct {
	Public    bool
	Withdrawn bool
}

// PaperFacts is what the policy needs to know about a paper: whether the
// office published it on its own, the agenda items it is consulted on, and
// the persons excluded from any of those items.
type PaperFacts struct {
	PublishedAt time.Time // zero unless published explicitly
	Items       []ItemFacts
	// Excluded lists the persons whose exclusion (Befangenheit) is
	// recorded on any item the paper is consulted on: the matter.
	Excluded []int64
}

// MinutesFacts is what the policy needs to know about minutes.
type MinutesFacts struct {
	Meeting MeetingFacts // with Excluded filled in
	Public  bool
	// Approved: the council approved them (approved or published);
	// Published: the office published them. Drafts are neither.
	Approved, Published bool
}

// The rule. The functions below are the only place that decides who may
// see what; every read path — pages, API, OParl, files, search, feeds,
// packets, sync — goes through them, directly or through sessions.Store's
// Find… methods, DocumentAccess, FilterDocuments and CanSeeVersion.

// MeetingAccess decides whether v may see a meeting at now: staff always;
// everyone else once its agenda is published (a draft or an embargoed
// agenda does not exist for them).
func MeetingAccess(v Viewer, m MeetingFacts, now time.Time) Access {
	if v.Staff() || m.Published(now) {
		return Full
	}
	return None
}

// seated reports whether v takes part in meeting m as one of its body: a
// member of the organization at the meeting's date, or a deputy sitting
// for such a member in the meeting's running session (m.Deputies). Like
// membership, a deputy's seat counts only for member accounts linked to a
// person.
func seated(v Viewer, m MeetingFacts) bool {
	if v.MemberOf(m.OrganizationID, m.Start) {
		return true
	}
	if v.Role != RoleMember || v.PersonID == 0 {
		return false
	}
	for _, p := range m.Deputies {
		if p == v.PersonID {
			return true
		}
	}
	return false
}

// insider reports whether v sees agenda item it because of a seat in its
// meeting (seated: a member of the meeting's organization at the
// meeting's date, or a deputy in its running session) and is not excluded
// from the item. Insiders see non-public items and attachments.
func insider(v Viewer, it ItemFacts) bool {
	return seated(v, it.Meeting) && !v.excludedFrom(it.Excluded)
}

// ItemAccess decides how much of an agenda item v may see at now. Staff
// see everything, withdrawn items included. For everyone else the meeting
// must be published and the item not withdrawn. A public item is seen in
// full. A non-public item is seen in full by insiders (members of the
// meeting's organization at its date, or deputies in its running session,
// not excluded from the item); everyone else sees a Stub.
func ItemAccess(v Viewer, it ItemFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if MeetingAccess(v, it.Meeting, now) == None || it.Withdrawn {
		return None
	}
	if it.Public || insider(v, it) {
		return Full
	}
	return Stub
}

// ItemAttachmentAccess decides whether v may see a document attached to an
// agenda item. Staff: always. Otherwise the item must be seen in full and
// the attachment not withdrawn; then insiders see every attachment, and
// everyone else only public attachments of public items.
func ItemAttachmentAccess(v Viewer, it ItemFacts, a AttachmentFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if a.Withdrawn || ItemAccess(v, it, now) != Full {
		return None
	}
	if insider(v, it) || (it.Public && a.Public) {
		return Full
	}
	return None
}

// MeetingAttachmentAccess decides whether v may see a document attached to
// a meeting itself (agenda, invitation). Staff: always. Otherwise the
// meeting must be visible and the attachment not withdrawn; a public one
// is then seen by everyone, a non-public one by those seated in the
// meeting (members of the organization at its date, deputies in its
// running session) who are excluded from none of its items — such a
// document speaks of every item.
func MeetingAttachmentAccess(v Viewer, m MeetingFacts, a AttachmentFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if a.Withdrawn || MeetingAccess(v, m, now) == None {
		return None
	}
	if a.Public || (seated(v, m) && !v.excludedFrom(m.Excluded)) {
		return Full
	}
	return None
}

// paperExcluded reports whether v is excluded from any item p is
// consulted on. Befangenheit concerns the matter, that is the paper, so an
// exclusion from one consultation makes v an outsider for the paper
// everywhere — and, through ItemFacts.Excluded, for every item that
// consults it and every document of the paper and of those items.
func paperExcluded(v Viewer, p PaperFacts) bool {
	return v.excludedFrom(p.Excluded)
}

// publicRoute reports whether a citizen sees item it in full at now: the
// meeting is published and the item public and not withdrawn.
func publicRoute(it ItemFacts, now time.Time) bool {
	return it.Public && !it.Withdrawn && it.Meeting.Published(now)
}

// PaperAccess decides whether v may see a paper: staff always; everyone
// once the office published it explicitly, or once it is consulted on a
// public item of a published agenda; insiders of a non-public item it is
// consulted on — unless they are excluded from any of its consultations.
// A paper on no visible agenda and not published exists only for staff.
func PaperAccess(v Viewer, p PaperFacts, now time.Time) Access {
	if v.Staff() || (!p.PublishedAt.IsZero() && !now.Before(p.PublishedAt)) {
		return Full
	}
	excluded := paperExcluded(v, p)
	for _, it := range p.Items {
		if publicRoute(it, now) {
			return Full
		}
		if !excluded && ItemAccess(v, it, now) == Full {
			return Full
		}
	}
	return None
}

// PaperAttachmentAccess decides whether v may see a document attached to a
// paper (its main document or an attachment): staff always; otherwise the
// paper must be visible and the attachment not withdrawn; a public
// attachment is seen by everyone if the paper is published explicitly or
// consulted on a public item of a published agenda; any attachment by
// insiders of an item the paper is consulted on, unless excluded from any
// of its consultations.
func PaperAttachmentAccess(v Viewer, p PaperFacts, a AttachmentFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if a.Withdrawn || PaperAccess(v, p, now) == None {
		return None
	}
	if a.Public && !p.PublishedAt.IsZero() && !now.Before(p.PublishedAt) {
		return Full
	}
	excluded := paperExcluded(v, p)
	for _, it := range p.Items {
		if a.Public && publicRoute(it, now) {
			return Full
		}
		if !excluded && ItemAccess(v, it, now) == Full && insider(v, it) {
			return Full
		}
	}
	return None
}

// MinutesAccess decides whether v may see minutes. Staff: always. Others
// only if the meeting is visible; then everyone sees published public
// minutes, and those seated in the meeting (members of the organization at
// its date, deputies while its session runs) see approved and published
// ones — non-public minutes not if they are
// excluded from any item of the meeting, since the minutes record that
// item too. Drafts exist only for staff.
func MinutesAccess(v Viewer, m MinutesFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if MeetingAccess(v, m.Meeting, now) == None {
		return None
	}
	switch {
	case m.Published && m.Public:
		return Full
	case (m.Approved || m.Published) && seated(v, m.Meeting):
		if !m.Public && v.excludedFrom(m.Meeting.Excluded) {
			return None
		}
		return Full
	}
	return None
}

// VersionAccess decides whether v may see one version of a document given
// v's access to the document (docAccess, from sessions.Store.DocumentAccess)
// and whether the version is withdrawn: a withdrawn version only staff; an
// active or superseded one follows its document.
func VersionAccess(v Viewer, docAccess Access, withdrawn bool) Access {
	if v.Staff() {
		return Full
	}
	if docAccess != Full || withdrawn {
		return None
	}
	return Full
}

// SearchViewer returns the principals v holds in the search index: staff
// hold search.Staff; a member account linked to a person holds
// search.Public and search.Person of that person; everyone else
// search.Public.
func SearchViewer(v Viewer) search.Viewer {
	switch {
	case v.Staff():
		return search.Viewer{Principals: []string{search.Staff}}
	case v.Role == RoleMember && v.PersonID != 0:
		return search.Viewer{Principals: []string{search.Public, search.Person(v.PersonID)}}
	}
	return search.Viewer{Principals: []string{search.Public}}
}
