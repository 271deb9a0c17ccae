// Package ladung holds the rule of the invitation deadline (Ladungsfrist):
// by when the invitation to a council meeting must be sent so that the
// meeting may lawfully take place, and what the office must record when it
// sends later (the urgency, Dringlichkeit).
//
// Deadlines are counted as the municipal codes count them: in full
// calendar days between the invitation and the meeting, the day the
// invitation is sent (or reaches the member) and the day of the meeting
// excluded. Days are the days of the council's local calendar (Europe/Berlin
// by default), so a change to or from summer time changes nothing.
//
// The package is pure: it reads no clock and no storage.
package ladung

import (
	"fmt"
	"strings"
	"time"
	// A legal deadline must not depend on the host's zone files: embed them.
	_ "time/tzdata"

	"github.com/ratsmappe/ratsmappe"
)

// Counting says which days between sending and meeting count.
type Counting int

const (
	// CalendarDays counts every day (Kalendertage, "volle Tage"). This is
	// what the codes mean when they say "Tage" without more.
	CalendarDays Counting = iota
	// Werktage counts Monday to Saturday, except public holidays.
	Werktage
	// Arbeitstage counts Monday to Friday, except public holidays.
	Arbeitstage
)

// MaxDays bounds a rule's Days; no code or standing order asks for more
// than a few weeks, and a larger number is a typing error.
const MaxDays = 60

// MaxUrgency bounds the length of an urgency reason in bytes; it is shown
// on the invitation.
const MaxUrgency = 2000

// Rule is an organization's invitation deadline.
type Rule struct {
	// Days is the number of full days that must lie between the day the
	// invitation reaches the member and the meeting day, both excluded.
	// With 0 it must arrive the day before the meeting at the latest: an
	// invitation on the meeting day is always late.
	Days int
	// Counting says which days count towards Days.
	Counting Counting
	// ReceiptDays is how many days after sending the invitation is taken
	// to reach the member: 0 for electronic delivery, where it is
	// available the day it is sent; for letters the office sets the
	// postal delay its code assumes.
	ReceiptDays int
	// SendOnWorkday moves the latest day of sending back to the preceding
	// working day (Monday to Friday, not a holiday) when it falls on a
	// weekend or holiday, for standing orders that want the office to send
	// on a working day.
	SendOnWorkday bool
	// Holidays says which dates are public holidays; nil means the
	// nationwide German holidays (NationalHolidays). A state's own
	// holidays are added with HolidaysWith.
	Holidays func(year int, month time.Month, day int) bool
	// Location is the council's time zone; nil means Europe/Berlin.
	Location *time.Location
	// Source names the provision the rule is based on, for the
	// invitation's and the office's eyes.
	Source string
}

// Validate returns an EINVALID error if the rule cannot be applied.
func (r Rule) Validate() error {
	if r.Days < 0 || r.Days > MaxDays {
		return refusal(ratsmappe.EINVALID, "bad_rule",
			fmt.Sprintf("Die Ladungsfrist muss zwischen 0 und %d Tagen liegen.", MaxDays),
			fmt.Sprintf("The invitation period must be between 0 and %d days.", MaxDays))
	}
	if r.ReceiptDays < 0 || r.ReceiptDays > MaxDays {
		return refusal(ratsmappe.EINVALID, "bad_rule",
			fmt.Sprintf("Die Zugangsfrist muss zwischen 0 und %d Tagen liegen.", MaxDays),
			fmt.Sprintf("The receipt delay must be between 0 and %d days.", MaxDays))
	}
	if r.Counting < CalendarDays || r.Counting > Arbeitstage {
		return refusal(ratsmappe.EINVALID, "bad_rule",
			"Unbekannte Zählweise der Ladungsfrist.", "Unknown way of counting the invitation period.")
	}
	return nil
}

// Deadline returns the instant before which the invitation to a meeting
// starting at meeting must be sent: the start (local midnight) of the day
// after the latest day of sending. An invitation sent at any time on the
// latest day is in time.
func (r Rule) Deadline(meeting time.Time) time.Time {
	y, m, d := r.LatestDay(meeting)
	return time.Date(y, m, d+1, 0, 0, 0, 0, r.loc())
}

// LatestDay returns the last local day on which the invitation to a meeting
// starting at meeting may be sent.
func (r Rule) LatestDay(meeting time.Time) (int, time.Month, int) {
	loc := r.loc()
	my, mm, md := meeting.In(loc).Date()
	// Walk back from the day before the meeting, counting days that count,
	// until Days of them lie between receipt and meeting.
	day := date(my, mm, md-1, loc)
	for n := 0; n < r.Days; {
		if r.counts(day) {
			n++
		}
		day = day.AddDate(0, 0, -1)
	}
	// day is now the latest day of receipt; sending comes ReceiptDays
	// before it.
	day = day.AddDate(0, 0, -r.ReceiptDays)
	if r.SendOnWorkday {
		for !r.workday(day) {
			day = day.AddDate(0, 0, -1)
		}
	}
	return day.Date()
}

// Verdict is the outcome of checking an invitation against the rule.
type Verdict struct {
	// Deadline is the instant before which the invitation had to be sent.
	Deadline time.Time
	// Late reports that it was sent at or after Deadline.
	Late bool
	// Urgency is the recorded reason for a late invitation, trimmed;
	// empty when the invitation is in time.
	Urgency string
}

// Check checks an invitation sent at sent to a meeting starting at meeting.
// An invitation in time needs no reason, and a reason given anyway is
// dropped: the invitation must not claim an urgency it did not need. A late
// invitation needs an urgency reason, which the invitation shows; without
// one Check returns an EINVALID error that says by when it had to be sent.
// An invitation sent at or after the meeting's start is refused whatever the
// reason.
func (r Rule) Check(sent, meeting time.Time, urgency string) (Verdict, error) {
	if err := r.Validate(); err != nil {
		return Verdict{}, err
	}
	v := Verdict{Deadline: r.Deadline(meeting)}
	if !sent.Before(meeting) {
		return v, refusal(ratsmappe.EINVALID, "meeting_begun",
			"Die Sitzung hat bereits begonnen; eine Ladung ist nicht mehr möglich.",
			"The meeting has already begun; it can no longer be invited to.")
	}
	if sent.Before(v.Deadline) {
		return v, nil
	}
	v.Late = true
	urgency = strings.TrimSpace(urgency)
	if urgency == "" {
		last := v.Deadline.Add(-time.Nanosecond)
		return v, refusal(ratsmappe.EINVALID, "urgency_required",
			fmt.Sprintf("Die Ladungsfrist ist versäumt: die Ladung hätte spätestens am %s versandt werden müssen. "+
				"Eine verspätete Ladung ist nur mit Angabe der Dringlichkeit möglich.", last.Format("02.01.2006")),
			fmt.Sprintf("The invitation period has passed: the invitation had to be sent by %s. "+
				"A late invitation needs a reason for its urgency.", last.Format("2006-01-02")))
	}
	if len(urgency) > MaxUrgency {
		return v, refusal(ratsmappe.EINVALID, "urgency_too_long",
			fmt.Sprintf("Die Begründung der Dringlichkeit ist zu lang (höchstens %d Zeichen).", MaxUrgency),
			fmt.Sprintf("The reason for urgency is too long (at most %d bytes).", MaxUrgency))
	}
	v.Urgency = urgency
	return v, nil
}

// refusal returns an error whose messages, German and English, a person may
// read; reason lets the office's UI react (ask for the urgency).
func refusal(code, reason, de, en string) error {
	return &ratsmappe.Error{Code: code, Reason: reason, Message: de, MessageEN: en}
}

func (r Rule) loc() *time.Location {
	if r.Location != nil {
		return r.Location
	}
	return berlin
}

func (r Rule) holiday(t time.Time) bool {
	y, m, d := t.Date()
	if r.Holidays != nil {
		return r.Holidays(y, m, d)
	}
	return NationalHolidays(y, m, d)
}

// counts reports whether day counts towards the rule's Days.
func (r Rule) counts(day time.Time) bool {
	switch r.Counting {
	case Werktage:
		return day.Weekday() != time.Sunday && !r.holiday(day)
	case Arbeitstage:
		return r.workday(day)
	}
	return true
}

func (r Rule) workday(day time.Time) bool {
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !r.holiday(day)
}

// date returns local noon of the day: noon is far from any summer-time
// change, so stepping by AddDate stays on the intended calendar day.
func date(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, loc)
}

var berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("ladung: time zone %s: %v", name, err)) // embedded, so never
	}
	return loc
}
