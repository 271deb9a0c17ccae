package alerts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
)

// TestMailpit runs a citizen's subscription end to end over a real SMTP
// server: the confirmation and the alert arrive once each, with
// List-Unsubscribe and RFC 8058's List-Unsubscribe-Post, and no message
// that arrived contains the canary of the non-public items.
func TestMailpit(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	sender, err := smtp.New(smtp.Config{URL: "smtp://" + srv.SMTP, From: "Ratsinfo Lindenau <rat@lindenau.example>"})
	must(t, err)
	f := newFixtureWith(t, dbtest.Open(t, sqldb.SQLite), sender) // about SMTP, not the database
	ctx := context.Background()
	f.process(t)
	const addr = "buergerin@example.org"
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, OrganizationID: f.org}))
	_, err = f.outbox.SendDue(ctx)
	must(t, err)
	msgs := srv.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages after subscribing, want the confirmation", len(msgs))
	}
	conf := srv.Message(t, msgs[0].ID)
	m := confirmLink.FindStringSubmatch(conf.Text)
	if m == nil {
		t.Fatalf("no confirmation link in\n%s", conf.Text)
	}
	token := m[1]
	must(t, f.st.PublishMeeting(ctx, f.meeting(t, "Vor der Bestätigung"), time.Time{}))
	f.process(t)
	if n := len(srv.Messages(t)); n != 1 {
		t.Fatalf("%d messages before confirmation", n)
	}
	_, err = f.alerts.Confirm(ctx, token)
	must(t, err)
	must(t, f.st.PublishMeeting(ctx, f.meeting(t, "Nach der Bestätigung"), time.Time{}))
	f.process(t)
	msgs = srv.Messages(t)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want confirmation and one alert", len(msgs))
	}
	for _, s := range msgs {
		h := srv.Headers(t, s.ID)
		if got, want := strings.Join(h["List-Unsubscribe"], ""), "<https://rat.example/api/v1/alerts/unsubscribe/"+token+">"; got != want {
			t.Errorf("%q: List-Unsubscribe %q, want %q", s.Subject, got, want)
		}
		if got := strings.Join(h["List-Unsubscribe-Post"], ""); got != "List-Unsubscribe=One-Click" {
			t.Errorf("%q: List-Unsubscribe-Post %q", s.Subject, got)
		}
		raw := string(srv.Raw(t, s.ID))
		body := srv.Message(t, s.ID)
		for _, part := range []string{raw, body.Text, body.HTML} {
			if strings.Contains(part, canary) {
				t.Fatalf("message %q contains the canary", s.Subject)
			}
		}
	}
	alert := srv.Message(t, msgs[0].ID) // newest first
	if !strings.Contains(alert.Text, "Nach der Bestätigung") || strings.Contains(alert.Text, "Vor der Bestätigung") ||
		!strings.Contains(alert.Text, "Planskizze Radweg") {
		t.Fatalf("alert:\n%s", alert.Text)
	}
}
