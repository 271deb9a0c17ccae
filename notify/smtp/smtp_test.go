package smtp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
)

const from = "Ratsmappe Lindenau <ratsmappe@lindenau.example>"

func invitation(key string) notify.Message {
	return notify.Message{
		Key:     key,
		To:      "anna.schmidt@lindenau.example",
		ToName:  "Anna Schmidt",
		Subject: "Einladung: 12. Sitzung des Rates am 19.03.2026 – Tagesordnung",
		Text:    "Sehr geehrte Frau Schmidt,\n\nzur Sitzung des Rates lade ich Sie ein. Öffentliche Sitzung, Bürgersaal.\n",
		HTML:    "<p>Sehr geehrte Frau Schmidt,</p><p>zur Sitzung des Rates lade ich Sie ein. Öffentliche Sitzung, Bürgersaal.</p>",
		Unsubscribe: []string{
			"https://rat.lindenau.example/abmelden/abc123",
			"mailto:abmelden@lindenau.example?subject=abc123",
		},
		OneClick:  true,
		MessageID: notify.MessageID(key, "lindenau.example"),
		Calendar: &notify.Calendar{Method: "REQUEST", Data: strings.Join([]string{
			"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ratsmappe//DE", "METHOD:REQUEST",
			"BEGIN:VEVENT", "UID:meeting-12@lindenau.example", "SEQUENCE:0",
			"DTSTAMP:20260310T090000Z", "DTSTART:20260319T170000Z", "DTEND:20260319T200000Z",
			"SUMMARY:12. Sitzung des Rates", "LOCATION:Bürgersaal",
			"ORGANIZER:mailto:ratsmappe@lindenau.example",
			"ATTENDEE;RSVP=FALSE:mailto:anna.schmidt@lindenau.example",
			"END:VEVENT", "END:VCALENDAR", ""}, "\r\n")},
	}
}

func newSender(t *testing.T, url string, tlsConf *tls.Config) *smtp.Sender {
	t.Helper()
	s, err := smtp.New(smtp.Config{URL: url, From: from, TLS: tlsConf, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// arrived returns the one message in the server, failing if there are
// more or none.
func arrived(t *testing.T, srv *mailpittest.Server) mailpittest.Summary {
	t.Helper()
	msgs := srv.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived, want 1", len(msgs))
	}
	return msgs[0]
}

// TestSend sends an invitation to a real SMTP server and reads back what a
// member's mail client would see.
func TestSend(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	s := newSender(t, "smtp://"+srv.SMTP, nil)
	msg := invitation("ladung/12/anna")
	rcpt, err := s.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	got := arrived(t, srv)
	if rcpt.MessageID != msg.MessageID || got.MessageID != msg.MessageID {
		t.Fatalf("Message-ID: receipt %q, arrived %q, want %q", rcpt.MessageID, got.MessageID, msg.MessageID)
	}
	// Mailpit's id is the queue id of its 250 reply.
	if rcpt.QueueID == "" || rcpt.QueueID != got.ID || !strings.Contains(rcpt.Response, "queued as") {
		t.Fatalf("receipt %+v, arrived as %s", rcpt, got.ID)
	}
	if got.Subject != msg.Subject || len(got.To) != 1 || got.To[0].Address != msg.To || got.To[0].Name != "Anna Schmidt" {
		t.Fatalf("arrived %+v", got)
	}
	if got.From.Address != "ratsmappe@lindenau.example" || got.From.Name != "Ratsmappe Lindenau" {
		t.Fatalf("from %+v", got.From)
	}

	h := srv.Headers(t, got.ID)
	for name, want := range map[string]string{
		"List-Unsubscribe":      "<https://rat.lindenau.example/abmelden/abc123>, <mailto:abmelden@lindenau.example?subject=abc123>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Content-Language":      "de",
		"Auto-Submitted":        "auto-generated",
	} {
		if v := h[name]; len(v) != 1 || v[0] != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}

	content := srv.Message(t, got.ID)
	if !strings.Contains(content.Text, "Öffentliche Sitzung, Bürgersaal") || !strings.Contains(content.HTML, "<p>Sehr geehrte Frau Schmidt,</p>") {
		t.Fatalf("text %q, html %q", content.Text, content.HTML)
	}

	// The MIME structure, from the raw message: text first (German),
	// then HTML, then the calendar with its method; and the .ics file.
	parts := mimeParts(t, srv.Raw(t, got.ID))
	var types []string
	for _, p := range parts {
		types = append(types, p.mediaType)
	}
	if got, want := strings.Join(types, " "), "text/plain text/html text/calendar application/ics"; got != want {
		t.Fatalf("parts %s, want %s", got, want)
	}
	cal := parts[2]
	if cal.params["method"] != "REQUEST" || !strings.Contains(cal.body, "METHOD:REQUEST\r\n") ||
		!strings.Contains(cal.body, "LOCATION:Bürgersaal") || !strings.Contains(cal.body, "UID:meeting-12@lindenau.example") {
		t.Fatalf("calendar part %+v", cal)
	}
	if parts[3].body != msg.Calendar.Data {
		t.Fatalf("ics attachment %q", parts[3].body)
	}
}

// A cancellation carries METHOD:CANCEL; a message without calendar, HTML
// or unsubscribe links is a single text part.
func TestSendCancelAndPlain(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	s := newSender(t, "smtp://"+srv.SMTP, nil)
	msg := invitation("absage/12/anna")
	msg.HTML, msg.Unsubscribe, msg.OneClick = "", nil, false
	msg.Calendar.Method = "CANCEL"
	msg.Calendar.Data = strings.Replace(msg.Calendar.Data, "METHOD:REQUEST", "METHOD:CANCEL", 1)
	if _, err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	parts := mimeParts(t, srv.Raw(t, arrived(t, srv).ID))
	if len(parts) != 3 || parts[1].mediaType != "text/calendar" || parts[1].params["method"] != "CANCEL" ||
		!strings.Contains(parts[1].body, "METHOD:CANCEL") {
		t.Fatalf("parts %+v", parts)
	}

	plain := notify.Message{To: "b@lindenau.example", Subject: "Hinweis", Text: "Nur Text."}
	rcpt, err := s.Send(context.Background(), plain)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(rcpt.MessageID, "@lindenau.example") {
		t.Fatalf("generated Message-ID %q", rcpt.MessageID)
	}
	for _, m := range srv.Messages(t) {
		if m.MessageID != rcpt.MessageID {
			continue
		}
		h := srv.Headers(t, m.ID)
		if _, ok := h["List-Unsubscribe"]; ok {
			t.Fatal("List-Unsubscribe without links")
		}
		if parts := mimeParts(t, srv.Raw(t, m.ID)); len(parts) != 1 || strings.TrimSpace(parts[0].body) != "Nur Text." {
			t.Fatalf("plain parts %+v", parts)
		}
		return
	}
	t.Fatalf("plain message %s did not arrive", rcpt.MessageID)
}

// Credentials go over STARTTLS (smtp://, required) or implicit TLS
// (smtps://), checked against the server's certificate.
func TestSendTLS(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  mailpittest.Options
		url  func(hostport string) string
	}{
		{"STARTTLS", mailpittest.Options{STARTTLS: true, Auth: true},
			func(hp string) string { return "smtp://rat:geheim@" + hp }},
		{"implicit TLS", mailpittest.Options{ImplicitTLS: true, Auth: true},
			func(hp string) string { return "smtps://rat:geheim@" + hp }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailpittest.Start(t, tc.opt)
			s := newSender(t, tc.url(srv.SMTP), &tls.Config{RootCAs: srv.RootCAs})
			if _, err := s.Send(context.Background(), invitation("tls")); err != nil {
				t.Fatal(err)
			}
			arrived(t, srv)
			// Without trusting the certificate, nothing is sent, and the
			// failure is one to retry (the office may fix the setup).
			untrusting := newSender(t, tc.url(srv.SMTP), nil)
			_, err := untrusting.Send(context.Background(), invitation("tls2"))
			if err == nil || errors.Is(err, notify.ErrRejected) {
				t.Fatalf("untrusted certificate: err = %v, want a temporary error", err)
			}
			arrived(t, srv)
		})
	}
}

// Refusals: a 5xx to the recipient is permanent, a 4xx temporary.
func TestSendRefused(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{Chaos: true})
	s := newSender(t, "smtp://"+srv.SMTP, nil)
	ctx := context.Background()

	srv.SetChaos(t, mailpittest.Trigger{}, mailpittest.Trigger{ErrorCode: 550, Probability: 100})
	if _, err := s.Send(ctx, invitation("r1")); !errors.Is(err, notify.ErrRejected) {
		t.Fatalf("550 to RCPT: err = %v, want rejected", err)
	}
	srv.SetChaos(t, mailpittest.Trigger{}, mailpittest.Trigger{ErrorCode: 451, Probability: 100})
	if _, err := s.Send(ctx, invitation("r2")); err == nil || errors.Is(err, notify.ErrRejected) {
		t.Fatalf("451 to RCPT: err = %v, want temporary", err)
	}
	srv.SetChaos(t, mailpittest.Trigger{ErrorCode: 550, Probability: 100}, mailpittest.Trigger{})
	if _, err := s.Send(ctx, invitation("r3")); err == nil || errors.Is(err, notify.ErrRejected) {
		t.Fatalf("550 to MAIL FROM: err = %v, want temporary (a setup problem)", err)
	}
	if n := len(srv.Messages(t)); n != 0 {
		t.Fatalf("%d messages arrived despite refusals", n)
	}
	srv.SetChaos(t, mailpittest.Trigger{}, mailpittest.Trigger{})
	if _, err := s.Send(ctx, invitation("r4")); err != nil {
		t.Fatal(err)
	}
}

// Nobody listening: a temporary error, and a cancelled context ends the
// attempt.
func TestSendNoServer(t *testing.T) {
	s := newSender(t, "smtp://127.0.0.1:1", nil)
	if _, err := s.Send(context.Background(), invitation("x")); err == nil || errors.Is(err, notify.ErrRejected) {
		t.Fatalf("err = %v, want temporary", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Send(ctx, invitation("x")); err == nil {
		t.Fatal("sent with a cancelled context")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct{ url, from string }{
		{"", from},
		{"http://mail.lindenau.example", from},
		{"smtp://mail.lindenau.example:99999", from},
		{"smtp://mail.lindenau.example?tls=maybe", from},
		{"smtp://rat:geheim@mail.lindenau.example?tls=none", from},
		{"smtp://rat:geheim@mail.lindenau.example?tls=opportunistic", from},
		{"smtps://mail.lindenau.example?tls=none", from},
		{"smtp://mail.lindenau.example", ""},
		{"smtp://mail.lindenau.example", "kein absender"},
	} {
		_, err := smtp.New(smtp.Config{URL: tc.url, From: tc.from})
		if ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("New(%q, %q): err = %v, want EINVALID", tc.url, tc.from, err)
		}
		if err != nil && strings.Contains(err.Error(), "geheim") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	for _, u := range []string{
		"smtp://rat:geheim@mail.lindenau.example:587",
		"smtps://rat:geheim@mail.lindenau.example",
		"smtp://relay.intern.lindenau.example:25?tls=none",
		"smtp://localhost:1025",
		"smtp://rat:geheim@127.0.0.1:1025",
	} {
		if _, err := smtp.New(smtp.Config{URL: u, From: from}); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}

func TestQueueID(t *testing.T) {
	for reply, want := range map[string]string{
		"2.0.0 Ok: queued as 4F2Xyz1Ab2":       "4F2Xyz1Ab2",       // Postfix, Mailpit
		"OK id=1tQ3bC-0004Xy-2Z":               "1tQ3bC-0004Xy-2Z", // Exim
		"2.6.0 <a@b> Queued mail for delivery": "",
		"":                                     "",
	} {
		if got := smtp.QueueID(reply); got != want {
			t.Errorf("QueueID(%q) = %q, want %q", reply, got, want)
		}
	}
}

type part struct {
	mediaType string
	params    map[string]string
	body      string
}

// mimeParts returns the leaf parts of a raw message in order, decoded.
func mimeParts(t *testing.T, raw []byte) []part {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []part
	var walk func(ct, cte string, body io.Reader)
	walk = func(ct, cte string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		switch strings.ToLower(cte) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		out = append(out, part{mediaType: mt, params: params, body: string(b)})
	}
	walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return out
}
