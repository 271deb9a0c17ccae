package invitation_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/notifytest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

func TestConsentValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      invitation.Consent
		reason string
	}{
		{"no consent, no address", invitation.Consent{}, ""},
		{"complete", invitation.Consent{Electronic: true, Email: "a@b.example", GivenOn: "2024-07-01", How: "schriftlich"}, ""},
		{"no date", invitation.Consent{Electronic: true, Email: "a@b.example", How: "schriftlich"}, "consent_incomplete"},
		{"no address", invitation.Consent{Electronic: true, GivenOn: "2024-07-01", How: "schriftlich"}, "consent_incomplete"},
		{"name in address", invitation.Consent{Email: "Anna <a@b.example>"}, "bad_email"},
		{"header injection", invitation.Consent{Email: "a@b.example\r\nBcc: x@y.example"}, "bad_email"},
		{"bad date", invitation.Consent{GivenOn: "1.7.2024"}, "bad_consent"},
		{"two lines", invitation.Consent{How: "a\nb"}, "bad_consent"},
		{"too long", invitation.Consent{How: strings.Repeat("x", invitation.MaxHow+1)}, "bad_consent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			var e *ratsmappe.Error
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.reason != "" && (err == nil || !asError(err, &e) || e.Reason != tc.reason || e.MessageEN == ""):
				t.Fatalf("got %v, want reason %s with an English message", err, tc.reason)
			}
		})
	}
}

func asError(err error, e **ratsmappe.Error) bool { return errors.As(err, e) }

// TestCalendar checks the invitation's calendar objects: one UID per
// meeting for the request and its cancellation, the sequence counting up,
// the method in the object, lines folded.
func TestCalendar(t *testing.T) {
	m := &sessions.Meeting{ID: 42, Name: "12. Sitzung des Gemeinderats; öffentlich, mit Komma",
		Start: time.Date(2026, 12, 10, 16, 0, 0, 0, time.UTC), Location: "Rathaus, Großer Sitzungssaal"}
	e := invitation.CalendarEvent{Method: "REQUEST", Meeting: m, Organization: "Gemeinderat", Sequence: 0,
		Organizer: "Ratsmappe <ratsmappe@lindenau.example>", Attendee: "anna@lindenau.example",
		Link: "https://rat.lindenau.example/reader/meetings/42", Stamp: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	req := invitation.Calendar(e)
	e.Method, e.Sequence = "CANCEL", 2
	cancel := invitation.Calendar(e)
	for _, want := range []string{"METHOD:REQUEST\r\n", "UID:meeting-42@lindenau.example\r\n", "SEQUENCE:0\r\n",
		"DTSTART:20261210T160000Z\r\n", "DTEND:20261210T190000Z\r\n", "ORGANIZER:mailto:ratsmappe@lindenau.example\r\n",
		"STATUS:CONFIRMED\r\n", `SUMMARY:12. Sitzung des Gemeinderats\; öffentlich\, mit Komma (Gemeinderat)`} {
		if !strings.Contains(unfold(req), want) {
			t.Errorf("request lacks %q:\n%s", want, req)
		}
	}
	for _, want := range []string{"METHOD:CANCEL\r\n", "UID:meeting-42@lindenau.example\r\n", "SEQUENCE:2\r\n", "STATUS:CANCELLED\r\n"} {
		if !strings.Contains(unfold(cancel), want) {
			t.Errorf("cancellation lacks %q:\n%s", want, cancel)
		}
	}
	for _, l := range strings.Split(req, "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
	}
}

func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

// TestIssueOnce issues the invitation of the demo council meeting into an
// outbox and sends it with the in-memory sender: one message per member
// with consent, keyed per meeting, invitation and member; issuing again
// is refused and adds nothing; a Nachtrag of a non-public item reaches only
// the members who may see it.
func TestIssueOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := openDemo(t, db)
		sender := &notifytest.Sender{}
		outbox := notify.NewOutbox(c.DB, sender, notify.Options{})
		svc := invitation.New(invitation.Config{DB: c.DB, Sessions: c.Sessions, Documents: c.Documents, Outbox: outbox,
			From: "Ratsmappe <ratsmappe@lindenau.example>", BaseURL: "https://rat.lindenau.example/", TempDir: c.Dir})
		res := c.Load(t, demo.Options{Invitations: svc})
		st := c.Sessions
		var meeting demo.Meeting
		for _, m := range res.Meetings {
			if m.Organization == "Gemeinderat" && m.State == "published" && m.Start.After(time.Now()) {
				meeting = m
				break
			}
		}
		if meeting.ID == 0 {
			t.Skip("the demo has no published council meeting ahead")
		}
		inv, err := svc.Issue(ctx, meeting.ID, invitation.Request{Urgency: "Test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Issue(ctx, meeting.ID, invitation.Request{Urgency: "Test"}); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
			t.Fatalf("second Ladung: %v, want a conflict", err)
		}
		if _, err := outbox.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		sent := sender.Sent()
		if len(sent) != inv.Emails || inv.Emails != len(res.Members)-1 {
			t.Fatalf("%d sent, %d e-mails recorded, want %d", len(sent), inv.Emails, len(res.Members)-1)
		}
		for _, mb := range res.Members {
			got := sender.To(mb.Email)
			if mb.Consent != (len(got) == 1) || len(got) > 1 {
				t.Errorf("%s (consent %t): %d messages", mb.Name, mb.Consent, len(got))
			}
			for _, m := range got {
				if want := fmt.Sprintf("ladung/meeting/%d/invitation/1/person/%d", meeting.ID, mb.PersonID); m.Key != want {
					t.Errorf("key %q, want %q", m.Key, want)
				}
				if !strings.Contains(m.Text, fmt.Sprintf("https://rat.lindenau.example/reader/meetings/%d", meeting.ID)) ||
					!strings.Contains(m.HTML, "<h2>Tagesordnung</h2>") || m.Calendar == nil || !strings.HasPrefix(m.Subject, "Einladung: ") {
					t.Errorf("message to %s: %q", mb.Name, m.Subject)
				}
			}
		}

		// A Nachtrag of a non-public item, one member excluded: only the
		// others who may see it hear of it.
		clara := res.Members[2]
		item := &sessions.AgendaItem{MeetingID: meeting.ID, Number: "N 9", Title: "Grundstückstausch Geheimstraße"}
		if err := st.CreateAgendaItem(ctx, item); err != nil {
			t.Fatal(err)
		}
		if err := st.AddExclusion(ctx, item.ID, clara.PersonID, "Befangen"); err != nil {
			t.Fatal(err)
		}
		sup, err := svc.Issue(ctx, meeting.ID, invitation.Request{Supplement: true, Urgency: "Test"})
		if err != nil {
			t.Fatal(err)
		}
		if sup.Number != 2 || sup.Emails != len(res.Members)-2 || sup.Letters != 1 {
			t.Fatalf("Nachtrag: %+v, want everyone but Clara, one by post", sup)
		}
		if _, err := outbox.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range sender.Sent()[len(sent):] {
			if m.To == clara.Email {
				t.Errorf("the excluded member was told of the Nachtrag")
			}
			if !strings.Contains(m.Text, "Grundstückstausch Geheimstraße") || !strings.HasPrefix(m.Subject, "1. Nachtrag zur Einladung") ||
				!strings.Contains(m.Calendar.Data, "SEQUENCE:1\r\n") {
				t.Errorf("Nachtrag to %s: %q", m.To, m.Subject)
			}
		}
		// Cancelled: everyone told by e-mail gets one calendar cancellation,
		// however often the office cancels.
		before := len(sender.Sent())
		n, err := svc.Cancel(ctx, meeting.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if again, err := svc.Cancel(ctx, meeting.ID, ""); err != nil || again != 0 {
			t.Fatalf("second cancellation: %d, %v; want nothing new", again, err)
		}
		if _, err := outbox.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		cancels := sender.Sent()[before:]
		if n != inv.Emails || len(cancels) != n {
			t.Fatalf("%d cancellations queued, %d sent, want %d", n, len(cancels), inv.Emails)
		}
		for _, m := range cancels {
			if m.Calendar == nil || m.Calendar.Method != "CANCEL" || !strings.Contains(m.Calendar.Data, "SEQUENCE:2\r\n") ||
				!strings.Contains(m.Calendar.Data, fmt.Sprintf("UID:meeting-%d@lindenau.example", meeting.ID)) || !strings.HasPrefix(m.Subject, "Absage: ") {
				t.Errorf("cancellation to %s: %q", m.To, m.Subject)
			}
		}
		if _, err := svc.Issue(ctx, meeting.ID, invitation.Request{Supplement: true, Urgency: "x"}); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
			t.Errorf("Nachtrag to a cancelled meeting: %v, want a conflict", err)
		}

		// The change notifications read a member's channels by account.
		for _, a := range res.Accounts {
			got, err := invitation.ConsentOfAccount(ctx, c.DB, accountID(t, c, a.Name))
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != a.Email && a.PersonID != 0 || a.PersonID == 0 && got.Electronic {
				t.Errorf("account %s: consent %+v", a.Name, got)
			}
		}

		// Reading as a member of the reader records the opening once.
		anna := res.Members[0]
		for range 2 {
			if err := svc.RecordOpening(ctx, anna.PersonID, meeting.ID); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := svc.Deliveries(ctx, meeting.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if (d.PersonID == anna.PersonID) == d.Opened.IsZero() {
				t.Errorf("%s invitation %d: opened %v", d.Name, d.Invitation, d.Opened)
			}
			if d.Channel == "email" && (d.State != invitation.StateAccepted || !strings.HasPrefix(d.QueueID, "fake-")) {
				t.Errorf("%s: %+v", d.Name, d)
			}
		}
	})
}

func accountID(t *testing.T, c *demotest.Council, name string) int64 {
	t.Helper()
	a, err := c.Accounts.FindAccountByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
