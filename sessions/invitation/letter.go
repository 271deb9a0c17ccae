package invitation

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/internal/ical"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// berlin is the council's calendar; package ladung embeds the zone data.
var berlin, _ = time.LoadLocation("Europe/Berlin")

var (
	weekdaysDE = [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	monthsDE   = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
)

// line is an agenda item as a letter shows it.
type line struct {
	Number, Title string
	Public        bool // a public item (Ö)
	Late          bool // nachgereicht
	New           bool // invited to by this invitation (a Nachtrag's items)
}

// letter is what one invitation says, to one member (Recipient) or to
// everyone (the meeting's letter, Recipient nil).
type letter struct {
	Body, Organization string
	Meeting            *sessions.Meeting
	Number             int
	Moves              int // calendar updates sent since the first invitation (calendar_moves)
	Urgency            string
	Issued             time.Time
	Chair              string
	Link               string // the meeting in the reader
	From               string
	Recipient          *sessions.Person
	Items              []line
}

func dateDE(t time.Time) string {
	t = t.In(berlin)
	return fmt.Sprintf("%s, %d. %s %d", weekdaysDE[t.Weekday()], t.Day(), monthsDE[t.Month()-1], t.Year())
}

func dateEN(t time.Time) string { return t.In(berlin).Format("Monday, 2 January 2006") }

func clock(t time.Time) string { return t.In(berlin).Format("15:04") }

// title is the letter's heading.
func (l letter) title() string {
	if l.Number > 1 {
		return fmt.Sprintf("%d. Nachtrag zur Einladung", l.Number-1)
	}
	return "Einladung"
}

func (l letter) titleEN() string {
	if l.Number > 1 {
		return fmt.Sprintf("Supplement %d to the invitation", l.Number-1)
	}
	return "Invitation"
}

func (l letter) when() string {
	s := dateDE(l.Meeting.Start) + ", " + clock(l.Meeting.Start) + " Uhr"
	if !l.Meeting.End.IsZero() {
		s += " bis " + clock(l.Meeting.End) + " Uhr"
	}
	return s
}

func (l letter) salutation() string {
	if l.Recipient == nil {
		return "Sehr geehrte Damen und Herren,"
	}
	switch l.Recipient.FormOfAddress {
	case "Frau":
		return "Sehr geehrte Frau " + strings.TrimSpace(l.Recipient.Title+" "+l.Recipient.FamilyName) + ","
	case "Herr":
		return "Sehr geehrter Herr " + strings.TrimSpace(l.Recipient.Title+" "+l.Recipient.FamilyName) + ","
	}
	return "Guten Tag " + l.Recipient.Name() + ","
}

func (l letter) intro() string {
	if l.Number > 1 {
		return fmt.Sprintf("zur %s des %s am %s ergänze ich die Tagesordnung um die folgenden Punkte.",
			l.Meeting.Name, l.Organization, l.when())
	}
	return fmt.Sprintf("hiermit lade ich Sie zur %s des %s ein.", l.Meeting.Name, l.Organization)
}

func (l letter) itemLine(it line) string {
	s := it.Number + "  " + it.Title
	if it.Late {
		s += " (nachgereicht)"
	}
	if it.New && l.Number > 1 {
		s += " – neu"
	}
	return s
}

func (l letter) signature() string {
	if l.Chair != "" {
		return l.Chair + "\nVorsitz " + l.Organization
	}
	return "Der Vorsitz " + l.Organization
}

// pdf returns the letter as a document for textpdf.
func (l letter) pdf() textpdf.Doc {
	var b []string
	if l.Recipient != nil {
		b = append(b, l.Recipient.Name())
	}
	b = append(b, l.Body+" · "+l.Organization, "Datum: "+dateDE(l.Issued))
	b = append(b, "# "+l.title()+": "+l.Meeting.Name, l.salutation(), l.intro())
	b = append(b, "Zeit: "+l.when(), "Ort: "+l.Meeting.Location)
	if l.Urgency != "" {
		b = append(b, "Dringlichkeit: Die Ladungsfrist ist verkürzt. Begründung: "+l.Urgency)
	}
	b = append(b, "# Tagesordnung")
	if len(l.Items) == 0 {
		b = append(b, "(keine Tagesordnungspunkte)")
	}
	for _, it := range l.Items {
		b = append(b, l.itemLine(it))
	}
	b = append(b, "Die Unterlagen stehen im Ratsinformationssystem bereit: "+l.Link, "Mit freundlichen Grüßen", l.signature())
	return textpdf.Doc{Title: l.title() + ": " + l.Meeting.Name, Author: l.Body, Subject: l.Organization,
		Created: l.Issued, Header: l.Body + " · " + l.Organization, Blocks: b}
}

// subject is the e-mail's subject.
func (l letter) subject() string {
	return fmt.Sprintf("%s: %s am %s", l.title(), l.Meeting.Name, l.Meeting.Start.In(berlin).Format("02.01.2006"))
}

// text is the e-mail's plain text: German first, then English.
func (l letter) text() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("%s", l.salutation())
	w("")
	w("%s", l.intro())
	w("")
	w("Zeit: %s", l.when())
	w("Ort:  %s", l.Meeting.Location)
	if l.Urgency != "" {
		w("")
		w("Dringlichkeit: Die Ladungsfrist ist verkürzt. Begründung: %s", l.Urgency)
	}
	w("")
	w("Tagesordnung:")
	for _, it := range l.Items {
		w("  %s", l.itemLine(it))
	}
	if len(l.Items) == 0 {
		w("  (keine Tagesordnungspunkte)")
	}
	w("")
	w("Ihre Sitzungsmappe: %s", l.Link)
	w("")
	w("Mit freundlichen Grüßen")
	w("%s", l.signature())
	w("")
	w("-- English --")
	w("")
	w("%s: %s of the %s, %s, %s.", l.titleEN(), l.Meeting.Name, l.Organization, dateEN(l.Meeting.Start), clock(l.Meeting.Start))
	w("Place: %s", l.Meeting.Location)
	if l.Urgency != "" {
		w("Urgency: the invitation period is shortened. Reason: %s", l.Urgency)
	}
	w("The agenda is listed above; your session folder: %s", l.Link)
	return b.String()
}

// html is the e-mail's HTML alternative, with the same content as text.
func (l letter) html() string {
	e := html.EscapeString
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>%s</title></head><body>`, e(l.subject()))
	w(`<p>%s</p><p>%s</p>`, e(l.salutation()), e(l.intro()))
	w(`<p><strong>Zeit:</strong> %s<br><strong>Ort:</strong> %s</p>`, e(l.when()), e(l.Meeting.Location))
	if l.Urgency != "" {
		w(`<p><strong>Dringlichkeit:</strong> Die Ladungsfrist ist verkürzt. Begründung: %s</p>`, e(l.Urgency))
	}
	w(`<h2>Tagesordnung</h2><ol style="list-style:none;padding:0">`)
	for _, it := range l.Items {
		w(`<li>%s</li>`, e(l.itemLine(it)))
	}
	w(`</ol><p><a href="%s">Zur Sitzungsmappe</a></p>`, e(l.Link))
	w(`<p>Mit freundlichen Grüßen<br>%s</p>`, strings.ReplaceAll(e(l.signature()), "\n", "<br>"))
	w(`<hr><div lang="en"><p>%s: %s of the %s, %s, %s. Place: %s.</p>`, e(l.titleEN()), e(l.Meeting.Name), e(l.Organization),
		e(dateEN(l.Meeting.Start)), e(clock(l.Meeting.Start)), e(l.Meeting.Location))
	if l.Urgency != "" {
		w(`<p>Urgency: the invitation period is shortened. Reason: %s</p>`, e(l.Urgency))
	}
	w(`<p>The agenda is listed above; <a href="%s">open your session folder</a>.</p></div></body></html>`, e(l.Link))
	return b.String()
}

// message is the e-mail of letter l to address to, under key.
func (s *Service) message(l letter, key, to string) notify.Message {
	cal := Calendar(CalendarEvent{Method: "REQUEST", Meeting: l.Meeting, Organization: l.Organization,
		Sequence: l.Number - 1 + l.Moves, Organizer: l.From, Attendee: to, Link: l.Link, Stamp: l.Issued})
	return notify.Message{Key: key, From: s.cfg.From, To: to, ToName: l.Recipient.Name(), Subject: l.subject(),
		Text: l.text(), HTML: l.html(), Language: "de", Calendar: &notify.Calendar{Method: "REQUEST", Data: cal}}
}

// CalendarEvent is what an invitation's iCalendar object says.
type CalendarEvent struct {
	// Method is "REQUEST" (an invitation or its update) or "CANCEL".
	Method       string
	Meeting      *sessions.Meeting
	Organization string
	// Sequence counts the revisions of the meeting sent (RFC 5545): 0 for
	// the invitation, increasing with every update and the cancellation.
	Sequence int
	// Organizer and Attendee are addresses (the sender and the member).
	Organizer, Attendee string
	Link                string
	Stamp               time.Time
}

// Calendar returns the iCalendar object (RFC 5546) of e. The UID is
// stable per meeting and sender domain, so a calendar program updates
// or removes the one entry it made.
func Calendar(e CalendarEvent) string {
	m := e.Meeting
	end := m.End
	if end.IsZero() {
		end = m.Start.Add(3 * time.Hour)
	}
	status := "CONFIRMED"
	if e.Method == "CANCEL" {
		status = "CANCELLED"
	}
	domain := notify.Domain(e.Organizer)
	if domain == "" {
		domain = "ratsmappe.invalid"
	}
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ratsmappe//Ladung//DE", "CALSCALE:GREGORIAN",
		"METHOD:" + e.Method, "BEGIN:VEVENT",
		fmt.Sprintf("UID:meeting-%d@%s", m.ID, domain),
		fmt.Sprintf("SEQUENCE:%d", e.Sequence),
		"DTSTAMP:" + e.Stamp.UTC().Format(ical.Time),
		"DTSTART:" + m.Start.UTC().Format(ical.Time),
		"DTEND:" + end.UTC().Format(ical.Time),
		"SUMMARY:" + ical.Escape(m.Name+" ("+e.Organization+")"),
		"LOCATION:" + ical.Escape(m.Location),
		"DESCRIPTION:" + ical.Escape(e.Link),
		"URL:" + e.Link,
		"STATUS:" + status,
	}
	if addr := bareAddress(e.Organizer); addr != "" {
		lines = append(lines, "ORGANIZER:mailto:"+addr)
	}
	if e.Attendee != "" {
		lines = append(lines, "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:"+e.Attendee)
	}
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	var b strings.Builder
	for _, l := range lines {
		ical.Fold(&b, l)
	}
	return b.String()
}

// bareAddress returns the address of "Name <a@b>" or "a@b".
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		s = strings.TrimSuffix(s[i+1:], ">")
	}
	if strings.ContainsAny(s, " \r\n") || !strings.Contains(s, "@") {
		return ""
	}
	return s
}

// cancellation is the message telling recipient that the meeting of l is
// cancelled; sequence is above every revision of the calendar entry sent
// (invitations and moves).
func (l letter) cancellation(from, to string, recipient *sessions.Person, sequence int) notify.Message {
	l.Recipient = recipient
	when := l.when()
	text := fmt.Sprintf("%s\n\ndie %s des %s am %s ist abgesagt. Die Einladung ist gegenstandslos.\n\nMit freundlichen Grüßen\n%s\n\n-- English --\n\nThe %s of the %s on %s, %s, is cancelled.\n",
		l.salutation(), l.Meeting.Name, l.Organization, when, l.signature(), l.Meeting.Name, l.Organization, dateEN(l.Meeting.Start), clock(l.Meeting.Start))
	e := html.EscapeString
	body := fmt.Sprintf(`<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Absage</title></head><body><p>%s</p><p>die %s des %s am %s ist <strong>abgesagt</strong>. Die Einladung ist gegenstandslos.</p><p>Mit freundlichen Grüßen<br>%s</p><hr><p lang="en">The %s of the %s on %s, %s, is cancelled.</p></body></html>`,
		e(l.salutation()), e(l.Meeting.Name), e(l.Organization), e(when), strings.ReplaceAll(e(l.signature()), "\n", "<br>"),
		e(l.Meeting.Name), e(l.Organization), e(dateEN(l.Meeting.Start)), e(clock(l.Meeting.Start)))
	cal := Calendar(CalendarEvent{Method: "CANCEL", Meeting: l.Meeting, Organization: l.Organization, Sequence: sequence,
		Organizer: l.From, Attendee: to, Link: l.Link, Stamp: l.Issued})
	return notify.Message{From: from, To: to, ToName: recipient.Name(), Language: "de",
		Subject: fmt.Sprintf("Absage: %s am %s", l.Meeting.Name, l.Meeting.Start.In(berlin).Format("02.01.2006")),
		Text:    text, HTML: body, Calendar: &notify.Calendar{Method: "CANCEL", Data: cal}}
}
