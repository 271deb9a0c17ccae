package sessions

import "time"

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
// them. The zero Viewer is an anonymous citizen.
type Viewer struct {
	AccountID   int64
	PersonID    int64 // 0 if the account is not a person of the body
	Name        string
	Role        Role
	Memberships []Period // the person's memberships, for the policy
}

// Period is a membership of a person in an organization from Start to End
// (zero times: open).
type Period struct {
	OrganizationID int64
	Start, End     time.Time
}

// Staff reports whether v works for the council office (clerk or admin):
// staff see everything, drafts and withdrawn objects included.
func (v Viewer) Staff() bool { return v.Role == RoleClerk || v.Role == RoleAdmin }

// MemberOf reports whether v was a member of organization org at time t.
// Staff are members of nothing by this rule; they see everything anyway.
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

// MeetingFacts is what the policy needs to know about a meeting.
type MeetingFacts struct {
	OrganizationID int64
	Start          time.Time
	PublishedAt    time.Time // zero: the agenda is a draft
}

// Published reports whether the meeting's agenda is public at now.
func (m MeetingFacts) Published(now time.Time) bool {
	return !m.PublishedAt.IsZero() && !now.Before(m.PublishedAt)
}

// ItemFacts is what the policy needs to know about an agenda item.
type ItemFacts struct {
	Meeting   MeetingFacts
	Public    bool
	Withdrawn bool
	Excluded  []int64 // persons excluded from the item (Befangenheit)
}

// AttachmentFacts is what the policy needs to know about a document's link
// to an agenda item, a paper or a meeting.
type AttachmentFacts struct {
	Public    bool
	Withdrawn bool
}

// MinutesFacts is what the policy needs to know about minutes.
type MinutesFacts struct {
	Meeting  MeetingFacts
	Public   bool
	State    string  // draft, approved, published
	Excluded []int64 // persons excluded from any item of the meeting
}

// The policy. These functions are the only place that decides who may see
// what; every read path — pages, API, OParl, files, search, feeds,
// packets, sync — goes through them (Store's Find… methods apply them).

// MeetingAccess decides whether v may see a meeting at now: staff always;
// everyone else once its agenda is published (a draft or an embargoed
// agenda does not exist for them).
func MeetingAccess(v Viewer, m MeetingFacts, now time.Time) Access {
	if v.Staff() || m.Published(now) {
		return Full
	}
	return None
}

// ItemAccess decides how much of an agenda item v may see at now. Staff
// see everything. For everyone else the meeting must be published and the
// item not withdrawn. A public item is seen in full. A non-public item is
// seen in full by members of the meeting's organization (at the meeting's
// date) who are not excluded from it; everyone else sees a Stub.
func ItemAccess(v Viewer, it ItemFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if MeetingAccess(v, it.Meeting, now) == None || it.Withdrawn {
		return None
	}
	if it.Public {
		return Full
	}
	if v.MemberOf(it.Meeting.OrganizationID, it.Meeting.Start) && !excluded(v, it.Excluded) {
		return Full
	}
	return Stub
}

// insider reports whether v sees the item because of membership (not
// because it is public): then v also sees its non-public attachments.
func insider(v Viewer, it ItemFacts) bool {
	return v.MemberOf(it.Meeting.OrganizationID, it.Meeting.Start) && !excluded(v, it.Excluded)
}

func excluded(v Viewer, persons []int64) bool {
	for _, p := range persons {
		if v.PersonID != 0 && p == v.PersonID {
			return true
		}
	}
	return false
}

// ItemAttachmentAccess decides whether v may see a document attached to an
// agenda item. Staff: always. Otherwise the item must be fully visible and
// the attachment not withdrawn; then members of the organization (not
// excluded) see every attachment, and everyone else only public
// attachments of public items.
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
// a meeting itself (agenda, invitation): staff always; others once the
// agenda is published, if the attachment is public and not withdrawn, or
// for members of the organization if it is not withdrawn.
func MeetingAttachmentAccess(v Viewer, m MeetingFacts, a AttachmentFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if a.Withdrawn || MeetingAccess(v, m, now) == None {
		return None
	}
	if a.Public || v.MemberOf(m.OrganizationID, m.Start) {
		return Full
	}
	return None
}

// PaperAccess decides whether v may see a paper consulted on the given
// agenda items: staff always; others if they see at least one of those
// items in full. A paper on no agenda yet exists only for staff.
func PaperAccess(v Viewer, items []ItemFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	for _, it := range items {
		if ItemAccess(v, it, now) == Full {
			return Full
		}
	}
	return None
}

// PaperAttachmentAccess decides whether v may see a document attached to a
// paper consulted on items: staff always; otherwise not withdrawn, and
// either public on a paper v sees through a public item, or seen through
// an item where v is an insider.
func PaperAttachmentAccess(v Viewer, items []ItemFacts, a AttachmentFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if a.Withdrawn {
		return None
	}
	for _, it := range items {
		if ItemAccess(v, it, now) != Full {
			continue
		}
		if insider(v, it) || (it.Public && a.Public) {
			return Full
		}
	}
	return None
}

// MinutesAccess decides whether v may see minutes: staff always; members
// of the organization once they are approved — non-public minutes not to
// a member excluded from any item of the meeting, since they record that
// item too; everyone else once they are published and public — and only
// if the meeting itself is visible.
func MinutesAccess(v Viewer, m MinutesFacts, now time.Time) Access {
	if v.Staff() {
		return Full
	}
	if MeetingAccess(v, m.Meeting, now) == None {
		return None
	}
	switch {
	case m.State == MinutesPublished && m.Public:
		return Full
	case (m.State == MinutesApproved || m.State == MinutesPublished) && v.MemberOf(m.Meeting.OrganizationID, m.Meeting.Start):
		if !m.Public && excluded(v, m.Excluded) {
			return None
		}
		return Full
	}
	return None
}

// VersionAccess decides whether v may see one version of a document that v
// may see (docAccess): a withdrawn version only staff; a superseded one
// follows its document.
func VersionAccess(v Viewer, docAccess Access, versionState string) Access {
	if v.Staff() {
		return Full
	}
	if docAccess != Full || versionState == "withdrawn" {
		return None
	}
	return Full
}
