package invitation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/notifytest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

// BenchmarkIssue700 issues the invitation of a council of 700 members
// with consent (issue 14's figure) to a meeting of 20 items, 5 of them
// non-public with one member excluded: the time to build every member's
// message from their own view and queue them in one transaction, and the
// time to hand them to the in-memory sender. It prints both.
func BenchmarkIssue700(b *testing.B) {
	sender := &notifytest.Sender{}
	benchIssue(b, sender, func() int { return len(sender.Sent()) })
}

// BenchmarkIssue700Mailpit is BenchmarkIssue700 to a real SMTP server
// (Mailpit): issue 14's figure "all accepted in ≤ 10 s", from the office's
// click to the server's last acceptance.
//
//	go test -run '^$' -bench Issue700Mailpit -benchtime 1x ./sessions/invitation/
func BenchmarkIssue700Mailpit(b *testing.B) {
	srv := mailpittest.Start(b, mailpittest.Options{})
	sender, err := smtp.New(smtp.Config{URL: "smtp://" + srv.SMTP, From: killFrom})
	if err != nil {
		b.Fatal(err)
	}
	benchIssue(b, sender, func() int { return len(srv.Messages(b)) })
}

// benchIssue issues the invitations and sends them through sender;
// arrived counts the messages the sender has taken so far.
func benchIssue(b *testing.B, sender notify.Sender, arrived func() int) {
	ctx := context.Background()
	c := demotest.Open(b)
	st := c.Sessions
	body := &sessions.Body{Name: "Stadt Großlindenau"}
	if err := st.CreateBody(ctx, body); err != nil {
		b.Fatal(err)
	}
	org := &sessions.Organization{BodyID: body.ID, Name: "Stadtverordnetenversammlung", Classification: sessions.ClassCouncil}
	if err := st.CreateOrganization(ctx, org); err != nil {
		b.Fatal(err)
	}
	outbox := notify.NewOutbox(c.DB, sender, notify.Options{Batch: 100, Concurrency: 8})
	svc := invitation.New(invitation.Config{DB: c.DB, Sessions: st, Documents: c.Documents, Outbox: outbox,
		From: "Ratsmappe <ratsmappe@lindenau.example>", BaseURL: "https://rat.example", TempDir: c.Dir})
	var persons []int64
	for i := range 700 {
		p := &sessions.Person{BodyID: body.ID, GivenName: "Mitglied", FamilyName: fmt.Sprintf("Nr%03d", i)}
		if err := st.CreatePerson(ctx, p); err != nil {
			b.Fatal(err)
		}
		if err := st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: org.ID, Role: "Mitglied", StartDate: "2024-01-01"}); err != nil {
			b.Fatal(err)
		}
		if err := svc.SetConsent(ctx, &invitation.Consent{PersonID: p.ID, Electronic: true, GivenOn: "2024-01-01", How: "schriftlich",
			Email: fmt.Sprintf("m%03d@example.org", i)}, "bench"); err != nil {
			b.Fatal(err)
		}
		persons = append(persons, p.ID)
	}
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		m := &sessions.Meeting{OrganizationID: org.ID, Name: fmt.Sprintf("%d. Sitzung", n+1), Start: time.Now().Add(30 * 24 * time.Hour), Location: "Rathaus"}
		if err := st.CreateMeeting(ctx, m); err != nil {
			b.Fatal(err)
		}
		for i := range 20 {
			it := &sessions.AgendaItem{MeetingID: m.ID, Number: fmt.Sprintf("Ö %d", i+1), Title: fmt.Sprintf("Punkt %d", i+1), Public: i < 15}
			if i >= 15 {
				it.Number = fmt.Sprintf("N %d", i-14)
			}
			if err := st.CreateAgendaItem(ctx, it); err != nil {
				b.Fatal(err)
			}
			if i == 19 {
				if err := st.AddExclusion(ctx, it.ID, persons[0], "befangen"); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := st.PublishMeeting(ctx, m.ID, time.Now().Add(-time.Minute)); err != nil {
			b.Fatal(err)
		}
		before := arrived()
		b.StartTimer()
		start := time.Now()
		inv, err := svc.Issue(ctx, m.ID, invitation.Request{})
		if err != nil {
			b.Fatal(err)
		}
		issued := time.Since(start)
		if _, err := outbox.SendDue(ctx); err != nil {
			b.Fatal(err)
		}
		total := time.Since(start)
		if got := arrived() - before; got != 700 || inv.Emails != 700 {
			b.Fatalf("%d sent, %d recorded, want 700", got, inv.Emails)
		}
		b.Logf("700 invitations: issued and queued in %v, handed to the sender after %v", issued.Round(time.Millisecond), total.Round(time.Millisecond))
	}
}
