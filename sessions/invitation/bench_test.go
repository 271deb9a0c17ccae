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
	outbox := notify.NewOutbox(c.DB, sender, notify.Options{Batch: 100, Concurrency: 8})
	svc := invitation.New(invitation.Config{DB: c.DB, Sessions: st, Documents: c.Documents, Outbox: outbox,
		From: "Ratsmappe <ratsmappe@lindenau.example>", BaseURL: "https://rat.example", TempDir: c.Dir})
	org, persons := largeCouncil(b, st, svc, 700, 0)
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		m := publishedMeeting(b, st, org, fmt.Sprintf("%d. Sitzung", n+1), time.Now().Add(30*24*time.Hour), 20, 5, persons[0])
		before := arrived()
		b.StartTimer()
		start := time.Now()
		inv, err := svc.Issue(ctx, m, invitation.Request{})
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
