package invitation

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// Delivery states, as the delivery table shows them.
const (
	StatePending  = "pending"  // in the outbox, not yet accepted
	StateAccepted = "accepted" // the mail server accepted it
	StateFailed   = "failed"   // given up after retries
	StateBounced  = "bounced"  // refused by the mail server, or reported undeliverable
	StateUnsent   = "unsent"   // no mail server was configured
	StatePost     = "post"     // on the postal list
)

// stateText is what the office reads for each state, German and English.
var stateText = map[string][2]string{
	StatePending:  {"wird versendet", "being sent"},
	StateAccepted: {"vom Mailserver angenommen", "accepted by the mail server"},
	StateFailed:   {"fehlgeschlagen – per Post zustellen", "failed – deliver by post"},
	StateBounced:  {"unzustellbar – per Post zustellen", "bounced – deliver by post"},
	StateUnsent:   {"nicht versendet (kein Mailserver konfiguriert)", "not sent (no mail server configured)"},
	StatePost:     {"per Post (Postliste)", "by post (postal list)"},
}

// Delivery is one line of the delivery table: how one invitation reached
// one member — the proof of access.
type Delivery struct {
	Invitation int    `json:"invitation"` // its number: 1 the Ladung, then Nachträge
	PersonID   int64  `json:"person_id"`
	Name       string `json:"name"`
	// Channel is "email" or "post".
	Channel string `json:"channel"`
	Address string `json:"address,omitempty"`
	// State is pending, accepted, failed, unsent or post; StateText says
	// it in German, StateTextEN in English.
	State       string `json:"state"`
	StateText   string `json:"state_text"`
	StateTextEN string `json:"state_text_en"`
	// Sent is when the mail server accepted the message.
	Sent time.Time `json:"sent,omitzero"`
	// MessageID and QueueID are the message's Message-ID and the server's
	// queue id from its acceptance; Error the last failure, if any.
	MessageID string `json:"message_id,omitempty"`
	QueueID   string `json:"queue_id,omitempty"`
	Attempts  int    `json:"attempts,omitempty"`
	Error     string `json:"error,omitempty"`
	// Bounced is when the message was found undeliverable: the mail
	// server's permanent refusal, or a bounce the office recorded
	// (RecordBounce); BounceReason is the server's reply or the report's
	// text, BouncedBy the office account that recorded it.
	Bounced      time.Time `json:"bounced,omitzero"`
	BounceReason string    `json:"bounce_reason,omitempty"`
	BouncedBy    string    `json:"bounced_by,omitempty"`
	// Opened is the member's first opening of the meeting or one of its
	// documents after the invitation was issued (Zugang); zero if not yet.
	Opened time.Time `json:"opened,omitzero"`
	// Paper reports that the member is to get the letter on paper: on the
	// postal list, without a mail server, or after a failed or bounced
	// e-mail.
	Paper bool `json:"paper"`
}

// FindInvitations returns the invitations of meeting id, oldest first.
func (s *Service) FindInvitations(ctx context.Context, meetingID int64) ([]*Invitation, error) {
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT id, meeting_id, number, urgency, deadline_at, issued_at, issued_by,
		document_id, version, mailer, chair FROM invitations WHERE meeting_id = ? ORDER BY number`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("find invitations: %w", err)
	}
	defer rows.Close()
	var out []*Invitation
	for rows.Next() {
		var (
			inv              Invitation
			deadline, issued int64
			mailer           int
		)
		if err := rows.Scan(&inv.ID, &inv.MeetingID, &inv.Number, &inv.Urgency, &deadline, &issued, &inv.IssuedBy,
			&inv.DocumentID, &inv.Version, &mailer, &inv.Chair); err != nil {
			return nil, fmt.Errorf("find invitations: %w", err)
		}
		inv.Deadline, inv.Issued, inv.Mailer = time.UnixMilli(deadline).UTC(), time.UnixMilli(issued).UTC(), mailer != 0
		out = append(out, &inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find invitations: %w", err)
	}
	rows.Close()
	for _, inv := range out {
		if inv.Items, err = s.itemsOf(ctx, inv.ID); err != nil {
			return nil, err
		}
		if err := s.cfg.DB.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN channel = 'email' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN channel = 'post' THEN 1 ELSE 0 END), 0)
			FROM invitation_recipients WHERE invitation_id = ?`, inv.ID).Scan(&inv.Emails, &inv.Letters); err != nil {
			return nil, fmt.Errorf("find invitations: %w", err)
		}
	}
	return out, nil
}

// Deliveries returns the delivery table of meeting id: per invitation and
// member, in order of invitation and name. ENOTFOUND for a missing
// meeting.
func (s *Service) Deliveries(ctx context.Context, meetingID int64) ([]Delivery, error) {
	if _, err := s.cfg.Sessions.FindMeetingByID(ctx, staff, meetingID); err != nil {
		return nil, err
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT i.number, r.person_id, r.channel, r.address, r.outbox_key, r.opened_at,
		r.bounced_at, r.bounce_reason, r.bounced_by FROM invitation_recipients r JOIN invitations i ON i.id = r.invitation_id
		WHERE i.meeting_id = ? ORDER BY i.number, r.person_id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	type row struct {
		d   Delivery
		key string
	}
	var rs []row
	for rows.Next() {
		var (
			r               row
			opened, bounced sql.NullInt64
		)
		if err := rows.Scan(&r.d.Invitation, &r.d.PersonID, &r.d.Channel, &r.d.Address, &r.key, &opened,
			&bounced, &r.d.BounceReason, &r.d.BouncedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find deliveries: %w", err)
		}
		if opened.Valid {
			r.d.Opened = time.UnixMilli(opened.Int64).UTC()
		}
		if bounced.Valid {
			r.d.Bounced = time.UnixMilli(bounced.Int64).UTC()
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	// One read of the persons, not one per row: a council has hundreds.
	ps, err := s.cfg.Sessions.FindPersons(ctx, sessions.PersonFilter{})
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(ps))
	for _, p := range ps {
		names[p.ID] = p.Name()
	}
	out := make([]Delivery, 0, len(rs))
	for _, r := range rs {
		d := r.d
		d.Name = names[d.PersonID]
		switch {
		case d.Channel == "post":
			d.State, d.Paper = StatePost, true
		case r.key == "":
			// Recorded without a mail server: the office prints it.
			d.State, d.Paper = StateUnsent, true
		case s.cfg.Outbox == nil:
			d.State = StatePending
		default:
			del, err := s.cfg.Outbox.FindDelivery(ctx, r.key)
			if err != nil {
				return nil, err
			}
			d.MessageID, d.QueueID, d.Attempts, d.Error = del.MessageID, del.QueueID, del.Attempts, del.LastError
			switch {
			case del.Rejected():
				// The server's permanent refusal is the bounce; its
				// reply is the reason.
				d.State, d.Paper, d.Bounced, d.BounceReason = StateBounced, true, del.Log[len(del.Log)-1].Finished, del.LastError
			case del.State == notify.Failed:
				d.State, d.Paper = StateFailed, true
			case del.State == notify.Sent:
				d.State, d.Sent = StateAccepted, del.Sent
			default:
				d.State = StatePending
			}
			if !r.d.Bounced.IsZero() {
				// Recorded after the server had accepted it.
				d.State, d.Paper, d.Bounced, d.BounceReason = StateBounced, true, r.d.Bounced, r.d.BounceReason
			}
		}
		t := stateText[d.State]
		d.StateText, d.StateTextEN = t[0], t[1]
		out = append(out, d)
	}
	return out, nil
}

// WriteCSV writes the delivery table as CSV (UTF-8, comma-separated, a
// header line in German), for the minutes.
func WriteCSV(w io.Writer, ds []Delivery) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"Ladung", "Person", "Name", "Kanal", "Adresse", "Status", "Versandt", "Message-ID", "Queue-ID", "Geöffnet", "Papier",
		"Unzustellbar", "Grund"})
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(berlin).Format("2006-01-02 15:04:05")
	}
	for _, d := range ds {
		paper := "nein"
		if d.Paper {
			paper = "ja"
		}
		cw.Write([]string{strconv.Itoa(d.Invitation), strconv.FormatInt(d.PersonID, 10), csvSafe(d.Name), d.Channel, csvSafe(d.Address),
			d.StateText, stamp(d.Sent), d.MessageID, d.QueueID, stamp(d.Opened), paper, stamp(d.Bounced), csvSafe(d.BounceReason)})
	}
	cw.Flush()
	return cw.Error()
}

// WritePDF writes the delivery table of meeting m as a PDF, for the
// minutes: per invitation, one paragraph per member.
func WritePDF(w io.Writer, m *sessions.Meeting, invs []*Invitation, ds []Delivery, now time.Time) error {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.In(berlin).Format("02.01.2006 15:04")
	}
	doc := textpdf.Doc{Title: "Zustellungsnachweis: " + m.Name, Created: now, Header: "Zustellungsnachweis · " + m.Name,
		Blocks: []string{"Sitzung: " + m.Name + ", " + dateDE(m.Start) + ", " + clock(m.Start) + " Uhr", "Stand: " + stamp(now)}}
	for _, inv := range invs {
		head := "# Ladung vom " + stamp(inv.Issued)
		if inv.Number > 1 {
			head = fmt.Sprintf("# %d. Nachtrag vom %s", inv.Number-1, stamp(inv.Issued))
		}
		doc.Blocks = append(doc.Blocks, head, "Frist bis: "+stamp(inv.Deadline.Add(-time.Minute)))
		if inv.Urgency != "" {
			doc.Blocks = append(doc.Blocks, "Dringlichkeit: "+inv.Urgency)
		}
		for _, d := range ds {
			if d.Invitation != inv.Number {
				continue
			}
			line := d.Name + " – " + d.StateText
			if d.Channel == "email" {
				line += " – " + d.Address + " – versandt " + stamp(d.Sent)
				if d.QueueID != "" {
					line += " (Queue-ID " + d.QueueID + ")"
				}
			}
			if !d.Bounced.IsZero() {
				line += " – unzustellbar " + stamp(d.Bounced) + ": " + d.BounceReason
			}
			line += " – geöffnet " + stamp(d.Opened)
			doc.Blocks = append(doc.Blocks, line)
		}
	}
	if _, err := textpdf.Write(w, doc); err != nil {
		return fmt.Errorf("delivery table: %w", err)
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

// Bounce is a non-delivery report that reached the office after the mail
// server had accepted an invitation (the recipient's server refused it
// later, and the mail administrator forwarded the report). It names the
// delivery by MessageID, as the report does, or by Invitation number and
// PersonID, as the delivery table does.
type Bounce struct {
	Invitation int    `json:"invitation,omitempty"`
	PersonID   int64  `json:"person_id,omitempty"`
	MessageID  string `json:"message_id,omitempty"`
	Reason     string `json:"reason"`
}

// MaxBounceReason bounds a bounce's reason.
const MaxBounceReason = 2000

// RecordBounce records b for meeting id by the office account by, and
// returns the delivery as it now stands (state bounced, on the postal
// list). A bounce is written once. Refusals: EINVALID without a reason
// (bounce_reason) or naming no delivery; ENOTFOUND for a missing meeting
// or delivery; ECONFLICT for a delivery not accepted by the mail server
// (not_accepted: letters, unsent, pending, failed) or bounced already
// (already_bounced).
func (s *Service) RecordBounce(ctx context.Context, meetingID int64, b Bounce, by string) (Delivery, error) {
	b.Reason, b.MessageID = strings.TrimSpace(b.Reason), strings.Trim(strings.TrimSpace(b.MessageID), "<>")
	if b.Reason == "" || len(b.Reason) > MaxBounceReason {
		return Delivery{}, invalid("bounce_reason", fmt.Sprintf("Bitte den Grund der Unzustellbarkeit angeben (höchstens %d Zeichen).", MaxBounceReason),
			fmt.Sprintf("Please give the reason it was undeliverable (at most %d bytes).", MaxBounceReason))
	}
	if b.MessageID == "" && (b.Invitation == 0 || b.PersonID == 0) {
		return Delivery{}, invalid("bounce_target", "Bitte die Message-ID oder Ladung und Person angeben.", "Please name the Message-ID, or the invitation and the person.")
	}
	ds, err := s.Deliveries(ctx, meetingID)
	if err != nil {
		return Delivery{}, err
	}
	i := slices.IndexFunc(ds, func(d Delivery) bool {
		if b.MessageID != "" {
			return d.MessageID != "" && strings.EqualFold(d.MessageID, b.MessageID)
		}
		return d.Invitation == b.Invitation && d.PersonID == b.PersonID
	})
	if i < 0 {
		return Delivery{}, &ratsmappe.Error{Code: ratsmappe.ENOTFOUND, Message: "Zustellung nicht gefunden.", MessageEN: "Delivery not found."}
	}
	d := ds[i]
	switch d.State {
	case StateAccepted:
	case StateBounced:
		return Delivery{}, conflict("already_bounced", "Diese Zustellung ist bereits als unzustellbar vermerkt.", "This delivery is already recorded as bounced.")
	default:
		return Delivery{}, conflict("not_accepted", "Nur eine vom Mailserver angenommene E-Mail kann als unzustellbar vermerkt werden.",
			"Only an e-mail the mail server accepted can be recorded as bounced.")
	}
	now := s.cfg.Now()
	res, err := s.cfg.DB.ExecContext(ctx, `UPDATE invitation_recipients SET bounced_at = ?, bounce_reason = ?, bounced_by = ?
		WHERE person_id = ? AND bounced_at IS NULL AND channel = 'email'
		AND invitation_id = (SELECT id FROM invitations WHERE meeting_id = ? AND number = ?)`,
		now.UnixMilli(), b.Reason, by, d.PersonID, meetingID, d.Invitation)
	if err != nil {
		return Delivery{}, fmt.Errorf("record bounce: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		// Recorded meanwhile by another request.
		return Delivery{}, conflict("already_bounced", "Diese Zustellung ist bereits als unzustellbar vermerkt.", "This delivery is already recorded as bounced.")
	}
	d.State, d.Paper, d.Bounced, d.BounceReason, d.BouncedBy = StateBounced, true, time.UnixMilli(now.UnixMilli()).UTC(), b.Reason, by
	t := stateText[d.State]
	d.StateText, d.StateTextEN = t[0], t[1]
	return d, nil
}

// RecordBounceReport records the bounce a delivery status notification
// (RFC 3464) reports, as the mail administrator forwarded it: the report
// names the invitation by its Message-ID, and its failed recipient's
// status and diagnostic become the reason. Refusals as RecordBounce, plus
// EINVALID for what is no report (not_dsn) or reports no failure
// (not_failed), and ENOTFOUND for a Message-ID of no invitation.
func (s *Service) RecordBounceReport(ctx context.Context, report io.Reader, by string) (Delivery, error) {
	dsn, err := notify.ParseDSN(report)
	if err != nil {
		return Delivery{}, err
	}
	failed := dsn.Failed()
	if len(failed) == 0 {
		return Delivery{}, invalid("not_failed", "Der Bericht meldet keine endgültige Unzustellbarkeit (nur Verzögerung oder Zustellung).",
			"The report tells of no permanent failure (only a delay or a delivery).")
	}
	notFound := &ratsmappe.Error{Code: ratsmappe.ENOTFOUND, Message: "Zu dieser Message-ID gibt es keine Ladung.", MessageEN: "No invitation has this Message-ID."}
	if s.cfg.Outbox == nil {
		return Delivery{}, notFound
	}
	del, err := s.cfg.Outbox.FindDeliveryByMessageID(ctx, dsn.MessageID)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return Delivery{}, notFound
	}
	if err != nil {
		return Delivery{}, err
	}
	var meetingID int64
	err = s.cfg.DB.QueryRowContext(ctx, `SELECT i.meeting_id FROM invitation_recipients r
		JOIN invitations i ON i.id = r.invitation_id WHERE r.outbox_key = ?`, del.Key).Scan(&meetingID)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, notFound
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("record bounce report: %w", err)
	}
	f := failed[0]
	reason := strings.TrimSpace(fmt.Sprintf("Unzustellbarkeitsbericht für %s: Status %s %s", f.Address, f.Status, f.Diagnostic))
	if len(reason) > MaxBounceReason {
		// A rune cut in half is dropped.
		reason = strings.ToValidUTF8(reason[:MaxBounceReason], "")
	}
	return s.RecordBounce(ctx, meetingID, Bounce{MessageID: dsn.MessageID, Reason: reason}, by)
}

// RecordOpening records that person opened meeting id in the reader now:
// the first opening after each invitation of the meeting is its proof of
// access (Zugang). It writes only when there is something to record, so
// that reading the reader costs no write; and like RecordDocumentOpening
// it asks the database once per person and meeting until the next
// invitation is issued, so that a member's meeting page, read again and
// again, costs no statement for it.
func (s *Service) RecordOpening(ctx context.Context, personID, meetingID int64) error {
	if personID == 0 || !s.openedMeetings.first(personID, meetingID) {
		return nil
	}
	var n int
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitation_recipients r
		JOIN invitations i ON i.id = r.invitation_id
		WHERE r.person_id = ? AND i.meeting_id = ? AND r.opened_at IS NULL`, personID, meetingID).Scan(&n)
	if err == nil && n > 0 {
		_, err = s.cfg.DB.ExecContext(ctx, `UPDATE invitation_recipients SET opened_at = ?
			WHERE person_id = ? AND opened_at IS NULL
			AND invitation_id IN (SELECT id FROM invitations WHERE meeting_id = ?)`, s.cfg.Now().UnixMilli(), personID, meetingID)
	}
	if err != nil {
		s.openedMeetings.forget(personID, meetingID)
		return fmt.Errorf("record opening: %w", err)
	}
	return nil
}

// RecordDocumentOpening records that person opened document id — a file
// of a meeting, of one of its agenda items, or of a paper consulted on
// one of them — now: the first opening of any document of a meeting after
// an invitation to it is that invitation's proof of access, as the
// opening of the meeting itself is (RecordOpening). The caller has served
// the document to the person, so they may see it.
//
// It sits on the file path, so it costs a map lookup after the first
// time: each person and document is asked of the database once per
// process (one UPDATE, which writes only where an invitation of that
// person is still unopened) until the next invitation is issued.
func (s *Service) RecordDocumentOpening(ctx context.Context, personID, documentID int64) error {
	if personID == 0 || !s.opened.first(personID, documentID) {
		return nil
	}
	_, err := s.cfg.DB.ExecContext(ctx, `UPDATE invitation_recipients SET opened_at = ?
		WHERE person_id = ? AND opened_at IS NULL AND invitation_id IN (
			SELECT id FROM invitations WHERE meeting_id IN (
				SELECT meeting_id FROM attachments WHERE document_id = ? AND meeting_id IS NOT NULL
				UNION SELECT ai.meeting_id FROM attachments a JOIN agenda_items ai ON ai.id = a.agenda_item_id
					WHERE a.document_id = ?
				UNION SELECT ai.meeting_id FROM attachments a JOIN consultations c ON c.paper_id = a.paper_id
					JOIN agenda_items ai ON ai.id = c.agenda_item_id WHERE a.document_id = ?))`,
		s.cfg.Now().UnixMilli(), personID, documentID, documentID, documentID)
	if err != nil {
		s.opened.forget(personID, documentID)
		return fmt.Errorf("record document opening: %w", err)
	}
	return nil
}

// openings remembers which person opened which document (or meeting)
// since the last invitation, so that RecordDocumentOpening (and
// RecordOpening) asks the database once per pair. It forgets everything
// when an invitation is issued (its recipients start unopened) and when
// it grows past maxOpenings.
//
// Only a process that alone issues the invitations may remember: with
// off (PostgreSQL, where several app servers share the database), an
// invitation issued by another server would leave this one remembering
// openings of the one before, and the first opening after it (the proof
// of access) would go unrecorded. There every opening asks the database.
type openings struct {
	off  bool
	mu   sync.Mutex
	seen map[[2]int64]bool
}

const maxOpenings = 100_000

// first reports whether person and document are new, and remembers them.
func (o *openings) first(person, document int64) bool {
	if o.off {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k := [2]int64{person, document}
	if o.seen[k] {
		return false
	}
	if o.seen == nil || len(o.seen) >= maxOpenings {
		o.seen = map[[2]int64]bool{}
	}
	o.seen[k] = true
	return true
}

func (o *openings) forget(person, document int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.seen, [2]int64{person, document})
}

func (o *openings) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = nil
}

// WritePostalList writes one PDF of letters, one per page group, for the
// members of meeting id who get the invitation on paper: those without
// consent, and those recorded while no mail server was configured. Each
// letter is built for its member as their e-mail would be. It returns the
// number of letters; ENOTFOUND for a missing meeting. baseURL is used for
// the link to the reader when Config.BaseURL is not set.
func (s *Service) WritePostalList(ctx context.Context, w io.Writer, meetingID int64, baseURL string) (int, error) {
	m, _, err := s.cfg.Sessions.FindAgenda(ctx, staff, meetingID)
	if err != nil {
		return 0, err
	}
	invs, err := s.FindInvitations(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	ds, err := s.Deliveries(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	doc := textpdf.Doc{Title: "Postliste: " + m.Name, Created: s.cfg.Now()}
	letters := 0
	members, err := s.entitled(ctx, m)
	if err != nil {
		return 0, err
	}
	byPerson := map[int64]member{}
	for _, mb := range members {
		byPerson[mb.person.ID] = mb
	}
	for _, inv := range invs {
		base, err := s.facts(ctx, m, inv.Number, inv.Urgency, inv.Chair, members, inv.Issued)
		if err != nil {
			return 0, err
		}
		if s.cfg.BaseURL == "" {
			base.Link = strings.TrimRight(baseURL, "/") + base.Link
		}
		for _, d := range ds {
			mb, ok := byPerson[d.PersonID]
			if d.Invitation != inv.Number || !d.Paper || !ok {
				continue
			}
			l := base
			if l.Items, err = s.agendaFor(ctx, mb.viewer, mb.person.ID, m.ID, setOf(inv.Items), inv.Items); err != nil {
				return 0, err
			}
			l.Recipient = mb.person
			if letters > 0 {
				doc.Blocks = append(doc.Blocks, "\f")
			}
			doc.Blocks = append(doc.Blocks, l.pdf().Blocks...)
			letters++
		}
	}
	if letters == 0 {
		doc.Blocks = []string{"Alle Mitglieder erhalten die Ladung elektronisch; es ist nichts zu drucken."}
	}
	if _, err := textpdf.Write(w, doc); err != nil {
		return 0, fmt.Errorf("postal list: %w", err)
	}
	return letters, nil
}

// itemsOf returns the items invitation id invited to.
func (s *Service) itemsOf(ctx context.Context, id int64) ([]int64, error) {
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT agenda_item_id FROM invitation_items WHERE invitation_id = ? ORDER BY agenda_item_id`, id)
	if err != nil {
		return nil, fmt.Errorf("invitation items: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var it int64
		if err := rows.Scan(&it); err != nil {
			return nil, fmt.Errorf("invitation items: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func setOf(ids []int64) map[int64]bool {
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}
