package web_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
	"github.com/ratsmappe/ratsmappe/web"
)

const inviteCanary = "LADUNGKANARIE"

const mailFrom = "Ratsmappe Lindenau <ratsmappe@lindenau.example>"

// inviteEnv serves the demo council with the invitation's parts: the
// outbox over a real Mailpit when mp is given, none otherwise (no mail
// server configured).
type inviteEnv struct {
	*readerEnv
	st     *sessions.Store
	outbox *notify.Outbox
}

func newInviteServer(t *testing.T, mp *mailpittest.Server) *inviteEnv {
	t.Helper()
	c := demotest.Open(t)
	var outbox *notify.Outbox
	if mp != nil {
		sender, err := smtp.New(smtp.Config{URL: "smtp://" + mp.SMTP, From: mailFrom})
		if err != nil {
			t.Fatal(err)
		}
		outbox = notify.NewOutbox(c.DB, sender, notify.Options{Domain: "lindenau.example"})
	}
	env := serveDemo(t, c, demo.Options{Canary: inviteCanary,
		Invitations: invitation.New(invitation.Config{DB: c.DB, Sessions: c.Sessions, Documents: c.Documents})},
		web.Config{TempDir: c.Dir, PacketDir: filepath.Join(c.Dir, "packets"), Outbox: outbox, MailFrom: mailFrom})
	return &inviteEnv{readerEnv: env, st: c.Sessions, outbox: outbox}
}

// councilMeeting returns the demo's next published council meeting: all
// members are invited to it, the one without consent too.
func (e *inviteEnv) councilMeeting(t *testing.T) demo.Meeting {
	t.Helper()
	for _, m := range e.demo.Meetings {
		if m.Organization == "Gemeinderat" && m.State == "published" && m.Start.After(time.Now()) {
			return m
		}
	}
	t.Skip("the demo has no published council meeting ahead")
	return demo.Meeting{}
}

func (e *inviteEnv) member(t *testing.T, i int) demo.Member {
	t.Helper()
	return e.demo.Members[i]
}

type errorBody struct {
	Code, Message, Reason string
	MessageEN             string `json:"message_en"`
}

type deliveryTable struct {
	Mailer      bool
	Invitations []invitation.Invitation
	Deliveries  []invitation.Delivery
}

func (e *inviteEnv) deliveries(t *testing.T, meeting int64) deliveryTable {
	t.Helper()
	resp, b := e.do(t, "GET", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/deliveries", meeting), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("deliveries: %d %s", resp.StatusCode, b)
	}
	var d deliveryTable
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestInvitationMailpit issues the invitation of the demo's council meeting
// to a real SMTP server and reads what arrived: every member with consent
// gets exactly one message, the member excluded from an item gets it
// without that item, the member without consent gets none and is on the
// postal list, and no message carries the canary of a non-public item to
// anyone who may not see that item — in its text, its HTML or its
// attachments.
func TestInvitationMailpit(t *testing.T) {
	mp := mailpittest.Start(t, mailpittest.Options{})
	e := newInviteServer(t, mp)
	ctx := context.Background()
	m := e.councilMeeting(t)
	clara := e.member(t, 2)
	noConsent := e.member(t, demo.NoConsent)
	if noConsent.Consent {
		t.Fatal("demo: the member without consent has consent")
	}

	// The office excludes Clara from a non-public item; her invitation
	// must leave it out.
	_, items, err := e.st.FindAgenda(ctx, access.Viewer{Role: access.RoleClerk}, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var secret *sessions.AgendaItem
	for _, it := range items {
		if !it.Public && !it.Withdrawn() && strings.Contains(it.Title, inviteCanary) {
			secret = it
			break
		}
	}
	if secret == nil {
		t.Fatal("no non-public item with the canary on the council agenda")
	}
	if resp, b := e.do(t, "POST", "ratsbuero", fmt.Sprintf("/api/v1/items/%d/exclusions", secret.ID),
		map[string]any{"person_id": clara.PersonID, "reason": "Befangenheit"}); resp.StatusCode >= 300 {
		t.Fatalf("exclusion: %d %s", resp.StatusCode, b)
	}

	resp, b := e.do(t, "POST", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/invitation", m.ID),
		map[string]any{"urgency_reason": "Eilbedürftige Vergabe vor Jahresende"})
	if resp.StatusCode != 201 {
		t.Fatalf("invitation: %d %s", resp.StatusCode, b)
	}
	var inv invitation.Invitation
	json.Unmarshal(b, &inv)
	if got, want := inv.Emails+inv.Letters, len(e.demo.Members); got != want {
		t.Fatalf("%d invited, want all %d council members", got, want)
	}
	if inv.Letters != 1 {
		t.Fatalf("%d letters, want 1 (the member without consent)", inv.Letters)
	}
	if _, err := e.outbox.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	// Issuing it again sends nothing new.
	if resp, b := e.do(t, "POST", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/invitation", m.ID),
		map[string]any{"urgency_reason": "x"}); resp.StatusCode != 409 {
		t.Fatalf("second invitation: %d %s, want 409", resp.StatusCode, b)
	}

	byAddr := map[string][]mailpittest.Summary{}
	for _, s := range mp.Messages(t) {
		for _, to := range s.To {
			byAddr[strings.ToLower(to.Address)] = append(byAddr[strings.ToLower(to.Address)], s)
		}
	}
	for _, mb := range e.demo.Members {
		n := len(byAddr[mb.Email])
		switch {
		case mb.Consent && n != 1:
			t.Errorf("%s got %d messages, want exactly 1", mb.Name, n)
		case !mb.Consent && n != 0:
			t.Errorf("%s (no consent) got %d messages, want none", mb.Name, n)
		}
	}

	// Every message, decoded: what each member may see of the agenda
	// explains every canary in it; anything else is a leak.
	secretTitle := secret.Title
	for _, mb := range e.demo.Members {
		for _, s := range byAddr[mb.Email] {
			raw := mp.Raw(t, s.ID)
			content, attachments := decodeMail(t, raw)
			for _, a := range attachments {
				if !strings.HasSuffix(a, ".ics") {
					t.Errorf("message to %s carries attachment %q; only the calendar may be attached", mb.Name, a)
				}
			}
			if !strings.Contains(content, "METHOD:REQUEST") || !strings.Contains(content, fmt.Sprintf("UID:meeting-%d@lindenau.example", m.ID)) {
				t.Errorf("message to %s lacks the calendar request", mb.Name)
			}
			if !strings.Contains(content, fmt.Sprintf("/reader/meetings/%d", m.ID)) {
				t.Errorf("message to %s lacks the link to the reader", mb.Name)
			}
			if !strings.Contains(content, "Eilbedürftige Vergabe") {
				t.Errorf("message to %s lacks the urgency", mb.Name)
			}
			if mb.PersonID == clara.PersonID {
				// Left out, not reduced to its number and public title.
				if strings.Contains(content, secretTitle) || strings.Contains(content, "\n  "+secret.Number+"  ") {
					t.Errorf("the excluded member's message has the item she is excluded from")
				}
			} else if !strings.Contains(content, secretTitle) {
				t.Errorf("message to %s lacks the non-public item %q", mb.Name, secretTitle)
			}
			v, err := e.st.ViewerFor(ctx, access.Viewer{Role: access.RoleMember, PersonID: mb.PersonID})
			if err != nil {
				t.Fatal(err)
			}
			_, mine, err := e.st.FindAgenda(ctx, v, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			rest := content
			for _, it := range mine {
				if it.Access == access.Full && !contains(it.Excluded, mb.PersonID) && !contains(it.ExcludedByMatter, mb.PersonID) {
					rest = strings.ReplaceAll(rest, it.Title, "")
				}
			}
			if strings.Contains(rest, inviteCanary) {
				i := strings.Index(rest, inviteCanary)
				t.Errorf("canary in the message to %s outside what they may see: …%s…", mb.Name, rest[max(0, i-80):min(len(rest), i+40)])
			}
		}
	}

	// The proof of delivery: accepted with the server's queue id, the
	// member without consent on paper.
	d := e.deliveries(t, m.ID)
	for _, row := range d.Deliveries {
		switch {
		case row.PersonID == noConsent.PersonID:
			if row.Channel != "post" || !row.Paper {
				t.Errorf("member without consent: %+v, want post", row)
			}
		case row.State != invitation.StateAccepted || row.QueueID == "" || row.Sent.IsZero():
			t.Errorf("delivery to %s: %+v, want accepted with a queue id", row.Name, row)
		}
	}
	// Mailpit's ids are the queue ids of its replies.
	ids := map[string]bool{}
	for _, s := range mp.Messages(t) {
		ids[s.ID] = true
	}
	for _, row := range d.Deliveries {
		if row.QueueID != "" && !ids[row.QueueID] {
			t.Errorf("queue id %s of %s is no message of the server", row.QueueID, row.Name)
		}
	}
	resp, pdf := e.do(t, "GET", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/postal.pdf", m.ID), nil)
	if resp.StatusCode != 200 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("postal list: %d", resp.StatusCode)
	}
	if text := pdfText(t, pdf); !strings.Contains(text, noConsent.Name) || strings.Count(text, "Sehr geehrte")+strings.Count(text, "Guten Tag") != 1 {
		t.Errorf("postal list is not one letter to %s", noConsent.Name)
	}

	// The mail administrator reports a bounce after acceptance: the
	// office records it by Message-ID (audited), once, and the member's
	// letter joins the postal list.
	anna := e.member(t, 0)
	var annaRow invitation.Delivery
	for _, row := range d.Deliveries {
		if row.PersonID == anna.PersonID {
			annaRow = row
		}
	}
	bounce := map[string]any{"message_id": "<" + annaRow.MessageID + ">", "reason": "550 5.1.1 user unknown (Bericht vom Mailadministrator)"}
	path := fmt.Sprintf("/api/v1/meetings/%d/deliveries/bounce", m.ID)
	if resp, _ := e.do(t, "POST", "bernd", path, bounce); resp.StatusCode == 200 {
		t.Errorf("a member recorded a bounce")
	}
	resp, b = e.do(t, "POST", "ratsbuero", path, bounce)
	var bounced invitation.Delivery
	if err := json.Unmarshal(b, &bounced); resp.StatusCode != 200 || err != nil || bounced.State != invitation.StateBounced || !bounced.Paper {
		t.Fatalf("bounce: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do(t, "POST", "ratsbuero", path, bounce); resp.StatusCode != 409 || !strings.Contains(string(b), "already_bounced") {
		t.Errorf("second bounce: %d %s, want 409", resp.StatusCode, b)
	}
	// Or the office posts the report itself (RFC 3464), as the mail
	// administrator forwarded it; it names the invitation by Message-ID.
	bernd := e.member(t, 1)
	report, err := os.ReadFile("../notify/testdata/dsn-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range d.Deliveries {
		if row.PersonID == bernd.PersonID {
			report = bytes.ReplaceAll(report, []byte("abcdefghijklmnop@lindenau.example"), []byte(row.MessageID))
		}
	}
	postReport := func(who string) (int, []byte) {
		resp, b := e.do(t, "POST", who, "/api/v1/bounces", bytes.NewReader(report))
		return resp.StatusCode, b
	}
	if status, _ := postReport("bernd"); status == 200 {
		t.Errorf("a member posted a bounce report")
	}
	status, b := postReport("ratsbuero")
	if err := json.Unmarshal(b, &bounced); status != 200 || err != nil || bounced.PersonID != bernd.PersonID || bounced.State != invitation.StateBounced ||
		!strings.Contains(bounced.BounceReason, "Status 5.1.1 smtp; 550 5.1.1") {
		t.Fatalf("bounce report: %d %s", status, b)
	}
	resp, pdf = e.do(t, "GET", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/postal.pdf", m.ID), nil)
	if text := pdfText(t, pdf); resp.StatusCode != 200 || !strings.Contains(text, anna.Name) || strings.Count(text, "Sehr geehrte")+strings.Count(text, "Guten Tag") != 3 {
		t.Errorf("postal list after the bounces is not three letters")
	}
	if resp, b := e.do(t, "GET", "ratsbuero", fmt.Sprintf("/office/meetings/%d/invitation", m.ID), nil); resp.StatusCode != 200 ||
		!strings.Contains(string(b), "unzustellbar – per Post zustellen – 550 5.1.1 user unknown") || !strings.Contains(string(b), "Unzustellbar melden") {
		t.Errorf("office page does not show the bounce: %d", resp.StatusCode)
	}

	// The meeting's letter is public and shows no non-public title.
	resp, letter := e.do(t, "GET", "", fmt.Sprintf("/api/v1/documents/%d/versions/%d/file", inv.DocumentID, inv.Version), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("the invitation letter is not public: %d", resp.StatusCode)
	}
	text := pdfText(t, letter)
	if strings.Contains(text, inviteCanary) {
		t.Errorf("the public invitation letter carries the canary")
	}
	if !strings.Contains(text, "Dringlichkeit") || !strings.Contains(text, "Tagesordnung") {
		t.Errorf("the letter lacks the urgency or the agenda: %.300s", text)
	}

	// The meeting is cancelled: each member invited by e-mail gets one
	// cancellation of the same calendar entry, with no item in it.
	if resp, b := e.do(t, "POST", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/cancellation", m.ID), nil); resp.StatusCode != 200 {
		t.Fatalf("cancellation: %d %s", resp.StatusCode, b)
	}
	if _, err := e.outbox.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	cancels := map[string]int{}
	for _, s := range mp.Messages(t) {
		if !strings.HasPrefix(s.Subject, "Absage: ") {
			continue
		}
		content, _ := decodeMail(t, mp.Raw(t, s.ID))
		if !strings.Contains(content, "METHOD:CANCEL") || !strings.Contains(content, fmt.Sprintf("UID:meeting-%d@lindenau.example", m.ID)) ||
			strings.Contains(content, inviteCanary) {
			t.Errorf("cancellation %s is not a calendar cancellation without items", s.ID)
		}
		for _, to := range s.To {
			cancels[strings.ToLower(to.Address)]++
		}
	}
	for _, mb := range e.demo.Members {
		if want := map[bool]int{true: 1, false: 0}[mb.Consent]; cancels[mb.Email] != want {
			t.Errorf("%s got %d cancellations, want %d", mb.Name, cancels[mb.Email], want)
		}
	}
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// decodeMail returns every part of a message decoded (headers with
// encoded words, bodies without their transfer encoding), and the file
// names of its attachments.
func decodeMail(t *testing.T, raw []byte) (string, []string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	dec := new(mime.WordDecoder)
	for k, vs := range msg.Header {
		for _, v := range vs {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	var files []string
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		mt, params, _ := mime.ParseMediaType(get("Content-Type"))
		if _, dp, err := mime.ParseMediaType(get("Content-Disposition")); err == nil && dp["filename"] != "" {
			files = append(files, dp["filename"])
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		var r io.Reader = body
		switch strings.ToLower(get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, &newlineStripper{body})
		}
		c, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("part %s: %v", mt, err)
		}
		b.Write(c)
		b.WriteByte('\n')
	}
	walk(msg.Header, msg.Body)
	return b.String(), files
}

type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	c, err := n.r.Read(p)
	k := 0
	for _, x := range p[:c] {
		if x != '\r' && x != '\n' {
			p[k] = x
			k++
		}
	}
	return k, err
}

var (
	pdfStream = regexp.MustCompile(`(?s)stream\r?\n(.*?)endstream`)
	pdfOctal  = regexp.MustCompile(`\\[0-7]{3}`)
)

// pdfText returns the content streams of a PDF that textpdf wrote,
// inflated and decoded from WinAnsi: its text is there in the strings of
// the Tj operators.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	var b []byte
	for _, m := range pdfStream.FindAllSubmatch(pdf, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			b = append(b, m[1]...)
			continue
		}
		c, _ := io.ReadAll(zr)
		b = append(b, c...)
	}
	b = pdfOctal.ReplaceAllFunc(b, func(o []byte) []byte {
		n, _ := strconv.ParseUint(string(o[1:]), 8, 8)
		return []byte{byte(n)}
	})
	s, err := charmap.Windows1252.NewDecoder().String(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *inviteEnv) refusal(t *testing.T, who, path string, body any, status int, reason string) {
	t.Helper()
	resp, b := e.do(t, "POST", who, path, body)
	if resp.StatusCode != status {
		t.Fatalf("POST %s %v: %d %s, want %d", path, body, resp.StatusCode, b, status)
	}
	var eb errorBody
	json.Unmarshal(b, &eb)
	if eb.Reason != reason || eb.Message == "" || (reason != "" && eb.MessageEN == "") {
		t.Fatalf("POST %s %v: %s, want reason %q with German and English messages", path, body, b, reason)
	}
}

// TestInvitationDeadline issues invitations through the office's API
// without a mail server: the deadline is refused without an urgency and
// accepted with one, a second Ladung is refused, a Nachtrag carries only
// the new item, the e-mails are recorded as not sent and go on paper, and
// a member's opening of the meeting in the reader is their proof of
// access.
func TestInvitationDeadline(t *testing.T) {
	e := newInviteServer(t, nil)
	ctx := context.Background()
	dm := e.councilMeeting(t)
	m, err := e.st.FindMeetingByID(ctx, access.Viewer{Role: access.RoleClerk}, dm.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/meetings/%d/invitation", m.ID)

	// The council's standing order asks for 60 days: the meeting, at most
	// two weeks ahead, is late.
	resp, b := e.do(t, "PUT", "ratsbuero", fmt.Sprintf("/api/v1/organizations/%d/invitation-rule", m.OrganizationID),
		map[string]any{"preset": "geschaeftsordnung-7", "days": 60})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"effective_days":60`) {
		t.Fatalf("rule: %d %s", resp.StatusCode, b)
	}
	if resp, _ := e.do(t, "PUT", "ratsbuero", fmt.Sprintf("/api/v1/organizations/%d/invitation-rule", m.OrganizationID),
		map[string]any{"preset": "bayern-99"}); resp.StatusCode != 404 {
		t.Fatalf("unknown preset: %d, want 404", resp.StatusCode)
	}

	// Members and citizens may not invite.
	if resp, _ := e.do(t, "POST", "anna", path, map[string]any{"urgency_reason": "x"}); resp.StatusCode != 403 {
		t.Fatalf("member invites: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.do(t, "POST", "", path, map[string]any{"urgency_reason": "x"}); resp.StatusCode != 401 {
		t.Fatalf("anonymous invites: %d, want 401", resp.StatusCode)
	}
	e.refusal(t, "ratsbuero", path, nil, 400, "urgency_required")
	e.refusal(t, "ratsbuero", path, map[string]any{"urgency_reason": "   "}, 400, "urgency_required")
	e.refusal(t, "ratsbuero", path, map[string]any{"urgency_reason": strings.Repeat("x", 2001)}, 400, "urgency_too_long")
	e.refusal(t, "ratsbuero", path, map[string]any{"supplement": true, "urgency_reason": "x"}, 409, "not_invited")

	resp, b = e.do(t, "POST", "ratsbuero", path, map[string]any{"urgency_reason": "Haushaltssperre droht"})
	if resp.StatusCode != 201 {
		t.Fatalf("invitation with urgency: %d %s", resp.StatusCode, b)
	}
	var inv invitation.Invitation
	json.Unmarshal(b, &inv)
	if inv.Number != 1 || inv.Mailer || inv.Urgency != "Haushaltssperre droht" || inv.Emails != len(e.demo.Members)-1 || inv.Letters != 1 {
		t.Fatalf("invitation: %+v", inv)
	}
	e.refusal(t, "ratsbuero", path, map[string]any{"urgency_reason": "x"}, 409, "already_invited")
	e.refusal(t, "ratsbuero", path, map[string]any{"supplement": true, "urgency_reason": "x"}, 409, "nothing_new")

	// Without a mail server nothing is sent, and the office is told so.
	d := e.deliveries(t, m.ID)
	if d.Mailer || len(d.Deliveries) != len(e.demo.Members) {
		t.Fatalf("deliveries: mailer %t, %d rows", d.Mailer, len(d.Deliveries))
	}
	for _, row := range d.Deliveries {
		if row.Channel == "email" && (row.State != invitation.StateUnsent || row.StateText != "nicht versendet (kein Mailserver konfiguriert)" || !row.Paper) {
			t.Errorf("delivery without a mail server: %+v", row)
		}
	}

	// A late item, then its Nachtrag.
	resp, b = e.do(t, "POST", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/items", m.ID),
		map[string]any{"number": "Ö 99", "title": "Nachtrag: Hallenbad", "public": true})
	if resp.StatusCode != 201 {
		t.Fatalf("item: %d %s", resp.StatusCode, b)
	}
	var item struct{ ID int64 }
	json.Unmarshal(b, &item)
	resp, b = e.do(t, "POST", "ratsbuero", path, map[string]any{"supplement": true, "urgency_reason": "Fördermittelfrist"})
	if resp.StatusCode != 201 {
		t.Fatalf("supplement: %d %s", resp.StatusCode, b)
	}
	json.Unmarshal(b, &inv)
	if inv.Number != 2 || len(inv.Items) != 1 || inv.Items[0] != item.ID || inv.Version != 2 {
		t.Fatalf("supplement: %+v, want number 2 over item %d, letter version 2", inv, item.ID)
	}

	// Anna opens the meeting in the reader: proof of access of both.
	anna := e.member(t, 0)
	if resp, b := e.do(t, "GET", "anna", fmt.Sprintf("/api/v1/reader/meetings/%d/manifest", m.ID), nil); resp.StatusCode != 200 {
		t.Fatalf("manifest: %d %s", resp.StatusCode, b)
	}
	opened := 0
	d = e.deliveries(t, m.ID)
	if d.Invitations[0].Emails != len(e.demo.Members)-1 || d.Invitations[0].Letters != 1 {
		t.Errorf("invitation listed with %d e-mails and %d letters", d.Invitations[0].Emails, d.Invitations[0].Letters)
	}
	for _, row := range d.Deliveries {
		if !row.Opened.IsZero() {
			opened++
			if row.PersonID != anna.PersonID {
				t.Errorf("%s opened, but only Anna did", row.Name)
			}
		}
	}
	if opened != 2 {
		t.Errorf("%d openings recorded, want Anna's of both invitations", opened)
	}

	// Bernd downloads the packet: that is an opening too.
	if resp, _ := e.do(t, "GET", "bernd", fmt.Sprintf("/api/v1/meetings/%d/packet.pdf", m.ID), nil); resp.StatusCode != 200 {
		t.Fatalf("packet: %d", resp.StatusCode)
	}
	bernd := e.member(t, 1)
	for _, row := range e.deliveries(t, m.ID).Deliveries {
		if row.PersonID == bernd.PersonID && row.Opened.IsZero() {
			t.Errorf("Bernd's download of the packet is not recorded as his opening")
		}
	}
	// Clara opens only a document of the meeting, the invitation letter,
	// by its file link: her opening of both invitations. It is written
	// beside the answer, so the table may take a moment to show it.
	clara := e.member(t, 2)
	if resp, b := e.do(t, "GET", "clara", fmt.Sprintf("/api/v1/documents/%d/versions/%d/file", inv.DocumentID, inv.Version), nil); resp.StatusCode != 200 {
		t.Fatalf("letter: %d %s", resp.StatusCode, b)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n := 0
		for _, row := range e.deliveries(t, m.ID).Deliveries {
			if row.PersonID == clara.PersonID && !row.Opened.IsZero() {
				n++
			}
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Clara's opening of the invitation letter is recorded for %d of 2 invitations", n)
		}
	}
	// Without a mail server everyone's letter is on the postal list.
	resp, b = e.do(t, "GET", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/postal.pdf", m.ID), nil)
	if text := pdfText(t, b); resp.StatusCode != 200 || strings.Count(text, "Guten Tag ") != 2*len(e.demo.Members) {
		t.Errorf("postal list: %d, %d letters, want %d", resp.StatusCode, strings.Count(text, "Guten Tag "), 2*len(e.demo.Members))
	}

	resp, b = e.do(t, "GET", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/deliveries?format=csv", m.ID), nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(string(b), "Ladung,Person,Name,Kanal") || strings.Count(string(b), "\n") != 1+2*len(e.demo.Members) {
		t.Errorf("CSV: %d %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	resp, b = e.do(t, "GET", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/deliveries?format=pdf", m.ID), nil)
	if text := pdfText(t, b); resp.StatusCode != 200 || !strings.Contains(text, "Zustellungsnachweis") || !strings.Contains(text, "1. Nachtrag") ||
		!strings.Contains(text, "Anna Beispiel") {
		t.Errorf("PDF: %d %.300s", resp.StatusCode, text)
	}
	if resp, _ := e.do(t, "GET", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/deliveries?format=xls", m.ID), nil); resp.StatusCode != 400 {
		t.Errorf("unknown format: %d, want 400", resp.StatusCode)
	}
	resp, b = e.do(t, "GET", "ratsbuero", fmt.Sprintf("/office/meetings/%d/invitation", m.ID), nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "kein Mailserver konfiguriert") || !strings.Contains(string(b), anna.Name) {
		t.Errorf("office page: %d", resp.StatusCode)
	}

	// A meeting that has begun, and one whose agenda is a draft.
	for _, other := range e.demo.Meetings {
		p := fmt.Sprintf("/api/v1/meetings/%d/invitation", other.ID)
		switch {
		case other.State == "published" && other.Start.Before(time.Now()):
			e.refusal(t, "ratsbuero", p, map[string]any{"urgency_reason": "x"}, 400, "meeting_begun")
		case other.State == "draft":
			e.refusal(t, "ratsbuero", p, map[string]any{"urgency_reason": "x"}, 409, "agenda_unpublished")
		default:
			continue
		}
	}
	if resp, _ := e.do(t, "POST", "ratsbuero", "/api/v1/meetings/999999/invitation", nil); resp.StatusCode != 404 {
		t.Errorf("missing meeting: %d, want 404", resp.StatusCode)
	}

	// The office cancels the meeting; no invitation goes out after that.
	cancel := fmt.Sprintf("/api/v1/meetings/%d/cancellation", m.ID)
	if resp, _ := e.do(t, "POST", "anna", cancel, nil); resp.StatusCode != 403 {
		t.Errorf("member cancels: %d, want 403", resp.StatusCode)
	}
	if resp, b := e.do(t, "POST", "ratsbuero", cancel, nil); resp.StatusCode != 200 || !strings.Contains(string(b), `"state":"cancelled"`) {
		t.Fatalf("cancellation: %d %s", resp.StatusCode, b)
	}
	e.refusal(t, "ratsbuero", path, map[string]any{"supplement": true, "urgency_reason": "x"}, 409, "meeting_cancelled")
}

// TestConsent reads and records members' consent through the office API:
// incomplete and malformed records are refused in German and English,
// and only staff may see or change it.
func TestConsent(t *testing.T) {
	e := newInviteServer(t, nil)
	nc := e.member(t, demo.NoConsent)
	path := fmt.Sprintf("/api/v1/members/%d/consent", nc.PersonID)
	resp, b := e.do(t, "GET", "ratsbuero", path, nil)
	var c invitation.Consent
	json.Unmarshal(b, &c)
	if resp.StatusCode != 200 || c.Electronic || c.Email != nc.Email {
		t.Fatalf("consent of the member without: %d %s", resp.StatusCode, b)
	}
	put := func(body map[string]any, status int, reason string) {
		t.Helper()
		resp, b := e.do(t, "PUT", "ratsbuero", path, body)
		if resp.StatusCode != status {
			t.Fatalf("PUT %v: %d %s, want %d", body, resp.StatusCode, b, status)
		}
		if reason != "" && !strings.Contains(string(b), `"reason":"`+reason+`"`) {
			t.Fatalf("PUT %v: %s, want reason %s", body, b, reason)
		}
	}
	put(map[string]any{"electronic": true, "email": nc.Email}, 400, "consent_incomplete")
	put(map[string]any{"electronic": true, "email": "hans at lindenau", "given_on": "2026-01-02", "how": "schriftlich"}, 400, "bad_email")
	put(map[string]any{"electronic": true, "email": nc.Email, "given_on": "02.01.2026", "how": "schriftlich"}, 400, "bad_consent")
	put(map[string]any{"electronic": true, "email": nc.Email, "given_on": "2026-01-02", "how": "schriftlich", "digest": true}, 200, "")
	resp, b = e.do(t, "GET", "ratsbuero", path, nil)
	json.Unmarshal(b, &c)
	if !c.Electronic || c.GivenOn != "2026-01-02" || !c.Digest || c.ModifiedBy == "" {
		t.Fatalf("recorded consent: %s", b)
	}
	if resp, _ := e.do(t, "GET", "anna", path, nil); resp.StatusCode != 403 {
		t.Errorf("member reads consent: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.do(t, "PUT", "", path, map[string]any{}); resp.StatusCode != 401 {
		t.Errorf("anonymous writes consent: %d, want 401", resp.StatusCode)
	}
	if resp, _ := e.do(t, "GET", "ratsbuero", "/api/v1/members/999999/consent", nil); resp.StatusCode != 404 {
		t.Errorf("consent of a missing person: %d, want 404", resp.StatusCode)
	}
	resp, b = e.do(t, "GET", "ratsbuero", "/office/members", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Einwilligung") || !strings.Contains(string(b), nc.Email) {
		t.Errorf("consent page: %d", resp.StatusCode)
	}
}
