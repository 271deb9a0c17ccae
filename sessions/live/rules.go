package live

import "github.com/ratsmappe/ratsmappe"

// The rules of a session, as pure functions: who holds a seat, whether the
// body is quorate, who may vote on an item, and whether a motion is
// adopted. The store reads the facts and asks these; nothing else decides.

// Quorum rule kinds.
const (
	QuorumMajority = "majority" // more than half of the statutory members present
	QuorumFixed    = "fixed"    // at least a fixed number present
)

// QuorumRule is how an organization decides that it is quorate
// (beschlussfähig). The zero value is the usual rule of the German
// municipal codes: more than half of the statutory members present, the
// statutory number being the members with voting right.
type QuorumRule struct {
	Kind string // QuorumMajority ("" too) or QuorumFixed
	// Number is the members that must be present for QuorumFixed.
	Number int
	// Statutory is the statutory number of members (gesetzliche
	// Mitgliederzahl), e.g. the seats of the council plus the mayor; 0:
	// the members with voting right at the meeting's date.
	Statutory int
}

// Validate returns EINVALID for an unknown kind or negative numbers.
func (q QuorumRule) Validate() error {
	switch {
	case q.Kind != "" && q.Kind != QuorumMajority && q.Kind != QuorumFixed:
		return invalid("unknown_rule", "Unbekannte Regel für die Beschlussfähigkeit %q.", "Unknown quorum rule %q.", q.Kind)
	case q.Number < 0 || q.Statutory < 0:
		return invalid("negative", "Die Zahlen der Regel dürfen nicht negativ sein.", "The rule's numbers must not be negative.")
	case q.Kind == QuorumFixed && q.Number == 0:
		return invalid("no_number", "Eine feste Regel braucht eine Zahl anwesender Mitglieder.", "A fixed rule needs a number of members present.")
	}
	return nil
}

// QuorumState is the quorum of a meeting (or of one item) now.
type QuorumState struct {
	Statutory int  `json:"statutory"` // the statutory number of members used
	Present   int  `json:"present"`   // seats taken (members, or deputies for them)
	Required  int  `json:"required"`  // seats that must be taken
	Reached   bool `json:"reached"`
}

// Quorum decides whether present seats make the body quorate under rule
// q; members is the number of members with voting right, used when q
// names no statutory number.
func Quorum(q QuorumRule, members, present int) QuorumState {
	st := QuorumState{Statutory: q.Statutory, Present: present}
	if st.Statutory == 0 {
		st.Statutory = members
	}
	if q.Kind == QuorumFixed {
		st.Required = q.Number
	} else {
		st.Required = st.Statutory/2 + 1 // more than half
	}
	st.Reached = st.Required > 0 && present >= st.Required
	return st
}

// Attendance statuses.
const (
	Present = "present"
	Absent  = "absent"
	Excused = "excused"
)

// Attendee is one person's attendance in a meeting.
type Attendee struct {
	Person int64  `json:"person"`
	Status string `json:"status"`
	// SubstituteFor is the member a deputy sits for (0: none): the deputy
	// takes that member's seat and votes for it.
	SubstituteFor int64 `json:"substitute_for,omitempty"`
	// ArrivedAt and LeftAt are when the office first recorded the person
	// present and, if so, last recorded them leaving (RFC 3339, UTC): late
	// arrival and early leaving, for the record and the minutes.
	ArrivedAt string `json:"arrived_at,omitempty"`
	LeftAt    string `json:"left_at,omitempty"`
}

// Seats returns, for every member in members (persons with voting right)
// whose seat is taken, the person who sits in it: the member if present,
// or the present deputy who sits for them. A deputy sitting for someone
// who is not a member takes no seat.
func Seats(members []int64, att []Attendee) map[int64]int64 {
	isMember := make(map[int64]bool, len(members))
	for _, m := range members {
		isMember[m] = true
	}
	seats := map[int64]int64{}
	for _, a := range att {
		if a.Status != Present {
			continue
		}
		switch {
		case a.SubstituteFor != 0 && isMember[a.SubstituteFor]:
			seats[a.SubstituteFor] = a.Person
		case a.SubstituteFor == 0 && isMember[a.Person]:
			if _, taken := seats[a.Person]; !taken {
				seats[a.Person] = a.Person
			}
		}
	}
	return seats
}

// Voters returns the persons who may vote on an item: those sitting in a
// seat (Seats) who are not excluded from the item (Befangenheit) — an
// exclusion is personal, so a deputy votes unless they themselves are
// excluded, and an excluded member's seat stays empty for the item.
func Voters(seats map[int64]int64, excluded []int64) map[int64]int64 {
	out := make(map[int64]int64, len(seats))
	for seat, sitter := range seats {
		if !contains(excluded, sitter) {
			out[sitter] = seat
		}
	}
	return out
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Majority rules.
const (
	// Simple: more yes than no votes; abstentions do not count, a tie
	// rejects.
	Simple = "simple"
	// Absolute: more yes votes than half of the statutory members.
	Absolute = "absolute"
	// TwoThirds: at least two thirds of the yes and no votes cast are yes
	// (abstentions do not count), and at least one yes.
	TwoThirds = "two_thirds"
)

// Vote kinds.
const (
	Open   = "open"   // counts are recorded and published
	Named  = "named"  // roll call: each member's choice is public
	Secret = "secret" // only counts are ever stored
)

// Choices.
const (
	Yes     = "yes"
	No      = "no"
	Abstain = "abstain"
)

// Counts are the votes of a vote.
type Counts struct {
	Yes     int `json:"yes"`
	No      int `json:"no"`
	Abstain int `json:"abstain"`
}

// Total is all votes cast, abstentions included.
func (c Counts) Total() int { return c.Yes + c.No + c.Abstain }

// Add counts one choice.
func (c *Counts) Add(choice string) {
	switch choice {
	case Yes:
		c.Yes++
	case No:
		c.No++
	case Abstain:
		c.Abstain++
	}
}

// Adopted decides whether a motion with counts c is adopted under rule;
// statutory is the statutory number of members (for Absolute).
func Adopted(rule string, c Counts, statutory int) bool {
	switch rule {
	case Simple:
		return c.Yes > c.No
	case Absolute:
		return 2*c.Yes > statutory
	case TwoThirds:
		return c.Yes > 0 && 3*c.Yes >= 2*(c.Yes+c.No)
	}
	return false
}

// ValidRule returns EINVALID unless rule is a majority rule.
func ValidRule(rule string) error {
	switch rule {
	case Simple, Absolute, TwoThirds:
		return nil
	}
	return invalid("unknown_rule", "Unbekannte Mehrheitsregel %q (simple, absolute, two_thirds).", "Unknown majority rule %q (simple, absolute, two_thirds).", rule)
}

// ValidKind returns EINVALID unless kind is a vote kind.
func ValidKind(kind string) error {
	switch kind {
	case Open, Named, Secret:
		return nil
	}
	return invalid("unknown_kind", "Unbekannte Abstimmungsart %q (open, named, secret).", "Unknown kind of vote %q (open, named, secret).", kind)
}

// ValidChoice returns EINVALID unless choice is yes, no or abstain.
func ValidChoice(choice string) error {
	switch choice {
	case Yes, No, Abstain:
		return nil
	}
	return invalid("unknown_choice", "Unbekannte Stimme %q (yes, no, abstain).", "Unknown choice %q (yes, no, abstain).", choice)
}

// refusal returns an *ratsmappe.Error with code, reason and a German and
// an English message, both formatted with args.
func refusal(code, reason, de, en string, args ...any) error {
	e := ratsmappe.Reasonf(code, reason, de, args...)
	e.MessageEN = ratsmappe.Reasonf(code, reason, en, args...).Message
	return e
}

func invalid(reason, de, en string, args ...any) error {
	return refusal(ratsmappe.EINVALID, reason, de, en, args...)
}
