package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
)

// TestServeInvitationSMTP runs the binary as an operator would: the demo
// with its members' addresses and consent, then serve with
// RATSMAPPE_SMTP_URL and RATSMAPPE_MAIL_FROM: the
// invitation of the council meeting reaches the mail server once per
// member with consent, sent by the server's own worker, and the delivery
// table shows each accepted. A malformed URL stops the server with a
// message naming the setting.
func TestServeInvitationSMTP(t *testing.T) {
	// Credentials and TLS are the SMTP adapter's own tests (notify/smtp).
	mp := mailpittest.Start(t, mailpittest.Options{})
	c := newCLI(t)
	var res struct {
		Accounts []struct {
			Name, Token, Email string
			Consent            bool
		}
		Members []struct {
			Name, Email string
			Consent     bool
		}
		Meetings []struct {
			ID                  int64
			Organization, State string
			Start               time.Time
		}
	}
	if err := json.Unmarshal([]byte(c.run("demo", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	tokens, consenting := map[string]string{}, 0
	for _, a := range res.Accounts {
		tokens[a.Name] = a.Token
		if a.Name == "anna" && (!a.Consent || a.Email != "anna.beispiel@lindenau.example") {
			t.Errorf("demo --json: anna's account %+v, want her address and consent", a)
		}
	}
	for _, m := range res.Members {
		if m.Consent {
			consenting++
		}
		if !strings.HasSuffix(m.Email, "@lindenau.example") {
			t.Errorf("member %s: address %q", m.Name, m.Email)
		}
	}
	if consenting != len(res.Members)-1 {
		t.Fatalf("%d of %d members consent, want all but one", consenting, len(res.Members))
	}
	var meeting int64
	for _, m := range res.Meetings {
		if m.Organization == "Gemeinderat" && m.State == "published" && m.Start.After(time.Now()) {
			meeting = m.ID
			break
		}
	}
	if meeting == 0 {
		t.Skip("the demo has no published council meeting ahead")
	}

	bad := c.command(t.Context(), "serve", "--addr", "127.0.0.1:0")
	bad.Env = append(bad.Env, "RATSMAPPE_SMTP_URL=ftp://mail.example", "RATSMAPPE_MAIL_FROM=ratsmappe@lindenau.example")
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "RATSMAPPE_SMTP_URL") {
		t.Errorf("serve with a bad SMTP URL: %v %s", err, out)
	}

	c.env = []string{"RATSMAPPE_SMTP_URL=smtp://" + mp.SMTP,
		"RATSMAPPE_MAIL_FROM=Ratsmappe Lindenau <ratsmappe@lindenau.example>"}
	base, _ := c.serve(t)
	do := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+tokens["ratsbuero"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, b := do("POST", fmt.Sprintf("/api/v1/meetings/%d/invitation", meeting), map[string]any{"urgency_reason": "Test der Zustellung"})
	if status != 201 {
		t.Fatalf("invitation: %d %s", status, b)
	}
	var inv struct{ Emails, Letters int }
	json.Unmarshal(b, &inv)
	if inv.Emails != consenting || inv.Letters != 1 {
		t.Fatalf("invitation: %s", b)
	}
	// The server's worker sends them; wait for the last to be recorded.
	var table struct {
		Mailer     bool
		Deliveries []struct {
			Name, Channel, State string
			QueueID              string `json:"queue_id"`
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		status, b = do("GET", fmt.Sprintf("/api/v1/meetings/%d/deliveries", meeting), nil)
		if status != 200 {
			t.Fatalf("deliveries: %d %s", status, b)
		}
		json.Unmarshal(b, &table)
		accepted := 0
		for _, d := range table.Deliveries {
			if d.State == "accepted" && d.QueueID != "" {
				accepted++
			}
		}
		if accepted == consenting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d invitations accepted after 90 s: %s", accepted, consenting, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !table.Mailer {
		t.Errorf("delivery table says no mail server is configured")
	}
	perAddress := map[string]int{}
	for _, s := range mp.Messages(t) {
		for _, to := range s.To {
			perAddress[to.Address]++
		}
	}
	for _, m := range res.Members {
		if want := map[bool]int{true: 1, false: 0}[m.Consent]; perAddress[m.Email] != want {
			t.Errorf("%s received %d messages, want %d", m.Name, perAddress[m.Email], want)
		}
	}
}
