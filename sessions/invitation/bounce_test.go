package invitation_test

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

// TestBounces invites the demo council through a real SMTP server that
// refuses one member's address (a mailbox at a domain it does not
// serve): that invitation is bounced at once with the server's reply,
// never offered again, and the member is on the postal list. A bounce
// reported later by the mail administrator is recorded by the office by
// Message-ID, once, and puts that member on the postal list too.
func TestBounces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		srv := mailpittest.Start(t, mailpittest.Options{AllowedRecipients: `@lindenau\.example$`})
		c := openDemo(t, db)
		s, err := smtp.New(smtp.Config{URL: "smtp://" + srv.SMTP, From: killFrom})
		if err != nil {
			t.Fatal(err)
		}
		outbox := notify.NewOutbox(c.DB, s, notify.Options{BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond})
		svc := invitation.New(invitation.Config{DB: c.DB, Sessions: c.Sessions, Documents: c.Documents, Outbox: outbox,
			From: killFrom, BaseURL: "https://rat.lindenau.example", TempDir: c.Dir})
		res := c.Load(t, demo.Options{Invitations: svc})
		meeting := councilMeeting(t, res)
		moved, later := res.Members[1], res.Members[0]
		if !moved.Consent || !later.Consent {
			t.Fatal("the demo's first members should have consented")
		}
		con, err := svc.FindConsent(ctx, moved.PersonID)
		if err != nil {
			t.Fatal(err)
		}
		con.Email = "umgezogen@alt.example"
		if err := svc.SetConsent(ctx, con, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Issue(ctx, meeting.ID, invitation.Request{Urgency: "Test"}); err != nil {
			t.Fatal(err)
		}
		for n := -1; n != 0; {
			if _, err := outbox.SendDue(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err = outbox.Backlog(ctx); err != nil {
				t.Fatal(err)
			}
		}
		row := func(person int64) invitation.Delivery {
			t.Helper()
			ds, err := svc.Deliveries(ctx, meeting.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.PersonID == person {
					return d
				}
			}
			t.Fatalf("person %d not in the delivery table", person)
			return invitation.Delivery{}
		}
		d := row(moved.PersonID)
		if d.State != invitation.StateBounced || !d.Paper || d.Attempts != 1 || d.Bounced.IsZero() ||
			!strings.Contains(d.BounceReason, "550") || !strings.Contains(d.StateText, "unzustellbar") {
			t.Fatalf("refused address: %+v", d)
		}

		// Reported later: the mail administrator forwards the report, which
		// names the Message-ID.
		d = row(later.PersonID)
		if d.State != invitation.StateAccepted {
			t.Fatalf("%s: %+v", later.Name, d)
		}
		reason := "550 5.2.1 mailbox disabled (Unzustellbarkeitsbericht vom 3.12.)"
		got, err := svc.RecordBounce(ctx, meeting.ID, invitation.Bounce{MessageID: "<" + strings.ToUpper(d.MessageID) + ">", Reason: reason}, "ratsbuero")
		if err != nil {
			t.Fatal(err)
		}
		if d = row(later.PersonID); d != got || d.State != invitation.StateBounced || !d.Paper || d.BounceReason != reason ||
			d.BouncedBy != "ratsbuero" || d.QueueID == "" {
			t.Fatalf("recorded bounce: %+v, read back %+v", got, d)
		}
		var noConsent demo.Member
		for _, mb := range res.Members {
			if !mb.Consent {
				noConsent = mb
			}
		}
		for _, tc := range []struct {
			name string
			b    invitation.Bounce
			code string
			why  string
		}{
			{"twice", invitation.Bounce{Invitation: 1, PersonID: later.PersonID, Reason: "again"}, ratsmappe.ECONFLICT, "already_bounced"},
			{"refused at sending", invitation.Bounce{Invitation: 1, PersonID: moved.PersonID, Reason: "x"}, ratsmappe.ECONFLICT, "already_bounced"},
			{"no reason", invitation.Bounce{Invitation: 1, PersonID: later.PersonID}, ratsmappe.EINVALID, "bounce_reason"},
			{"no target", invitation.Bounce{Reason: "x"}, ratsmappe.EINVALID, "bounce_target"},
			{"unknown Message-ID", invitation.Bounce{MessageID: "nope@lindenau.example", Reason: "x"}, ratsmappe.ENOTFOUND, ""},
			{"a letter", invitation.Bounce{Invitation: 1, PersonID: noConsent.PersonID, Reason: "x"}, ratsmappe.ECONFLICT, "not_accepted"},
		} {
			_, err := svc.RecordBounce(ctx, meeting.ID, tc.b, "ratsbuero")
			var e *ratsmappe.Error
			if ratsmappe.ErrorCode(err) != tc.code || tc.why != "" && (!asError(err, &e) || e.Reason != tc.why) {
				t.Errorf("%s: %v, want %s %s", tc.name, err, tc.code, tc.why)
			}
		}

		// Both now get the letter on paper, with the member without consent.
		var pdf bytes.Buffer
		n, err := svc.WritePostalList(ctx, &pdf, meeting.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("postal list of %d letters, want 3 (no consent, refused, bounced later)", n)
		}
		ds, err := svc.Deliveries(ctx, meeting.ID)
		if err != nil {
			t.Fatal(err)
		}
		var csv bytes.Buffer
		if err := invitation.WriteCSV(&csv, ds); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(csv.String(), ",Unzustellbar,Grund\n") || strings.Count(csv.String(), "unzustellbar – per Post zustellen") != 2 ||
			!strings.Contains(csv.String(), reason) {
			t.Errorf("CSV:\n%s", csv.String())
		}
		if len(srv.Messages(t)) != len(res.Members)-2 {
			t.Errorf("%d messages arrived, want one per member with a served address", len(srv.Messages(t)))
		}
	})
}

// councilMeeting returns a published council meeting of the demo ahead.
func councilMeeting(t *testing.T, res *demo.Result) demo.Meeting {
	t.Helper()
	for _, m := range res.Meetings {
		if m.Organization == "Gemeinderat" && m.State == "published" && m.Start.After(time.Now()) {
			return m
		}
	}
	t.Skip("the demo has no published council meeting ahead")
	return demo.Meeting{}
}
