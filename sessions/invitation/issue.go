package invitation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// Request is what the office gives when it issues an invitation.
type Request struct {
	// Urgency is the reason for a late invitation (Dringlichkeit); it is
	// required when the deadline has passed and shown on the invitation.
	Urgency string `json:"urgency_reason"`
	// Supplement issues a Nachtrag: an invitation to the items not
	// invited to before.
	Supplement bool `json:"supplement"`
	// Chair is the name signing the letter; empty: the member of the
	// organization whose role names the chair (Vorsitz).
	Chair string `json:"chair,omitempty"`
	// IssuedBy is the office account issuing it, for the record.
	IssuedBy string `json:"-"`
	// BaseURL is where members reach the reader, when Config.BaseURL is
	// not set (the address the office's request came to).
	BaseURL string `json:"-"`
}

// MaxChair bounds the chair's name.
const MaxChair = 200

// Invitation is one issued invitation of a meeting.
type Invitation struct {
	ID        int64 `json:"id"`
	MeetingID int64 `json:"meeting_id"`
	// Number is 1 for the Ladung, 2 for its first Nachtrag, and so on.
	Number   int       `json:"number"`
	Urgency  string    `json:"urgency_reason,omitempty"`
	Deadline time.Time `json:"deadline"`
	Issued   time.Time `json:"issued"`
	IssuedBy string    `json:"issued_by,omitempty"`
	// Chair is the name that signed the letter.
	Chair string `json:"chair,omitempty"`
	// DocumentID and Version name the letter of this invitation.
	DocumentID int64 `json:"document_id"`
	Version    int   `json:"version"`
	// Items are the agenda items invited to (a Nachtrag: the new ones).
	Items []int64 `json:"items"`
	// Mailer reports whether a mail server was configured; without one
	// the e-mail recipients were recorded but nothing was sent.
	Mailer bool `json:"mailer"`
	// Emails and Letters count the members invited by e-mail and on
	// paper (the postal list).
	Emails  int `json:"emails"`
	Letters int `json:"letters"`
}

// Supplement reports whether inv is a Nachtrag.
func (inv *Invitation) Supplement() bool { return inv.Number > 1 }

// staff reads everything the office sees, for the letter's facts.
var staff = access.Viewer{Role: access.RoleClerk, Name: "invitation"}

// member is an entitled member of the meeting with the Viewer the
// visibility rule judges them by.
type member struct {
	person *sessions.Person
	viewer access.Viewer
	role   string
}

// Issue issues invitation of meeting id: it checks the deadline (a late
// invitation needs req.Urgency: EINVALID "urgency_required" otherwise),
// stores the letter as a new version of the meeting's invitation document,
// and in one transaction records the invitation and enqueues one e-mail
// per entitled member with consent; members without consent go on the
// postal list. Refusals: ENOTFOUND for a missing meeting, ECONFLICT for a
// meeting that is cancelled, whose agenda is not published, that was
// invited to already (without req.Supplement), or that has nothing new
// for a Nachtrag.
func (s *Service) Issue(ctx context.Context, meetingID int64, req Request) (*Invitation, error) {
	req.Chair = strings.TrimSpace(req.Chair)
	if len(req.Chair) > MaxChair || strings.ContainsAny(req.Chair, "\r\n") {
		return nil, invalid("bad_chair", "Der Name des Vorsitzes ist zu lang.", "The chair's name is too long.")
	}
	m, agenda, err := s.cfg.Sessions.FindAgenda(ctx, staff, meetingID)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if m.State == sessions.MeetingCancelled {
		return nil, conflict("meeting_cancelled", "Die Sitzung ist abgesagt.", "The meeting is cancelled.")
	}
	if !m.Published(now) {
		return nil, conflict("agenda_unpublished",
			"Die Tagesordnung ist noch nicht veröffentlicht; erst danach kann geladen werden.",
			"The agenda is not published yet; invite once it is.")
	}
	rule, _, err := s.Rule(ctx, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	verdict, err := rule.Check(now, m.Start, req.Urgency)
	if err != nil {
		return nil, err
	}
	prev, number, err := s.invited(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	switch {
	case !req.Supplement && number > 0:
		return nil, conflict("already_invited",
			"Zu dieser Sitzung wurde bereits geladen; neue Tagesordnungspunkte gehen mit einem Nachtrag hinaus.",
			"This meeting was invited to already; new items go out with a supplement.")
	case req.Supplement && number == 0:
		return nil, conflict("not_invited", "Ein Nachtrag setzt eine Ladung voraus.", "A supplement needs an invitation first.")
	}
	number++
	var set []int64
	for _, it := range agenda {
		if !it.Withdrawn() && !prev[it.ID] {
			set = append(set, it.ID)
		}
	}
	if len(set) == 0 {
		if req.Supplement {
			return nil, conflict("nothing_new", "Es gibt keine neuen Tagesordnungspunkte für einen Nachtrag.", "There are no new agenda items for a supplement.")
		}
		return nil, conflict("empty_agenda", "Die Tagesordnung ist leer.", "The agenda is empty.")
	}
	members, err := s.entitled(ctx, m)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(members))
	for i, mb := range members {
		ids[i] = mb.person.ID
	}
	consents, err := s.consents(ctx, ids)
	if err != nil {
		return nil, err
	}
	base, err := s.facts(ctx, m, number, verdict.Urgency, req.Chair, members, now)
	if err != nil {
		return nil, err
	}
	if s.cfg.BaseURL == "" {
		base.Link = strings.TrimRight(req.BaseURL, "/") + base.Link
	}
	if base.Moves, err = moves(ctx, s.cfg.DB, m.ID); err != nil {
		return nil, err
	}

	// The meeting's letter shows the agenda as the public sees it, every
	// item invited to so far, the new ones marked.
	all := setOf(set)
	for id := range prev {
		all[id] = true
	}
	public := base
	if public.Items, err = s.agendaFor(ctx, access.Viewer{}, 0, m.ID, all, set); err != nil {
		return nil, err
	}
	docID, version, err := s.storeLetter(ctx, m, public, req.IssuedBy)
	if err != nil {
		return nil, err
	}

	inv := &Invitation{MeetingID: m.ID, Number: number, Urgency: verdict.Urgency, Deadline: verdict.Deadline.UTC(),
		Issued: time.UnixMilli(now.UnixMilli()).UTC(), IssuedBy: req.IssuedBy, DocumentID: docID, Version: version,
		Items: set, Mailer: s.Mailer(), Chair: base.Chair}
	inSet := setOf(set)
	// Each member's message is built before the transaction: reading the
	// agenda per member is the slow part, and SQLite has one writer.
	type outgoing struct {
		person  int64
		channel string
		address string
		key     string
		msg     *notify.Message
	}
	var out []outgoing
	for _, mb := range members {
		items, err := s.agendaFor(ctx, mb.viewer, mb.person.ID, m.ID, inSet, set)
		if err != nil {
			return nil, err
		}
		if number > 1 && len(items) == 0 {
			continue // nothing in this Nachtrag is theirs to see
		}
		o := outgoing{person: mb.person.ID, channel: "post"}
		if c := consents[mb.person.ID]; c != nil && c.Electronic && c.Email != "" {
			o.channel, o.address = "email", c.Email
			if s.Mailer() {
				o.key = fmt.Sprintf("ladung/meeting/%d/invitation/%d/person/%d", m.ID, number, mb.person.ID)
				l := base
				l.Items, l.Recipient = items, mb.person
				msg := s.message(l, o.key, c.Email)
				o.msg = &msg
			}
		}
		out = append(out, o)
	}

	tx, err := s.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("issue invitation: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO invitations
		(meeting_id, number, urgency, deadline_at, issued_at, issued_by, document_id, version, mailer, chair)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.ID, number, inv.Urgency, inv.Deadline.UnixMilli(), inv.Issued.UnixMilli(), inv.IssuedBy, docID, version, b2i(inv.Mailer), base.Chair).Scan(&inv.ID)
	if sqldb.IsUnique(err) {
		return nil, conflict("already_invited", "Die Ladung wurde gerade von anderer Seite versandt.", "The invitation was just issued elsewhere.")
	}
	if err != nil {
		return nil, fmt.Errorf("issue invitation: %w", err)
	}
	for _, id := range set {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitation_items (invitation_id, agenda_item_id) VALUES (?, ?)`, inv.ID, id); err != nil {
			return nil, fmt.Errorf("issue invitation: %w", err)
		}
	}
	for _, o := range out {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitation_recipients (invitation_id, person_id, channel, address, outbox_key)
			VALUES (?, ?, ?, ?, ?)`, inv.ID, o.person, o.channel, o.address, o.key); err != nil {
			return nil, fmt.Errorf("issue invitation: %w", err)
		}
		if o.msg != nil {
			if _, err := s.cfg.Outbox.Enqueue(ctx, tx, *o.msg); err != nil {
				return nil, err
			}
		}
		if o.channel == "email" {
			inv.Emails++
		} else {
			inv.Letters++
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("issue invitation: %w", err)
	}
	// Its recipients have opened nothing yet.
	s.opened.reset()
	s.openedMeetings.reset()
	if s.Mailer() {
		s.cfg.Outbox.Kick()
	}
	if m.State == sessions.MeetingPlanned {
		// The meeting is now invited to (OParl meetingState); the
		// invitation stands whether or not this succeeds.
		invited := sessions.MeetingInvited
		s.cfg.Sessions.UpdateMeeting(ctx, m.ID, sessions.MeetingUpdate{State: &invited})
	}
	return inv, nil
}

// invited returns the items invited to so far and the number of the last
// invitation of meeting id (0 if none).
func (s *Service) invited(ctx context.Context, meetingID int64) (map[int64]bool, int, error) {
	items := map[int64]bool{}
	var n sql.NullInt64
	if err := s.cfg.DB.QueryRowContext(ctx, `SELECT MAX(number) FROM invitations WHERE meeting_id = ?`, meetingID).Scan(&n); err != nil {
		return nil, 0, fmt.Errorf("find invitations: %w", err)
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT ii.agenda_item_id FROM invitation_items ii
		JOIN invitations i ON i.id = ii.invitation_id WHERE i.meeting_id = ?`, meetingID)
	if err != nil {
		return nil, 0, fmt.Errorf("find invitations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, 0, fmt.Errorf("find invitations: %w", err)
		}
		items[id] = true
	}
	return items, int(n.Int64), rows.Err()
}

// entitled returns the members of the meeting's organization at its
// start, by name, each with the Viewer of a member account of theirs: the
// invitation goes to the person, whether or not they have signed in yet.
func (s *Service) entitled(ctx context.Context, m *sessions.Meeting) ([]member, error) {
	ms, err := s.cfg.Sessions.FindMemberships(ctx, 0, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []member
	for _, ship := range ms {
		if seen[ship.PersonID] {
			continue
		}
		v, err := s.cfg.Sessions.ViewerFor(ctx, access.Viewer{Role: access.RoleMember, PersonID: ship.PersonID})
		if err != nil {
			return nil, err
		}
		if !v.MemberOf(m.OrganizationID, m.Start) {
			continue
		}
		seen[ship.PersonID] = true
		p, err := s.cfg.Sessions.FindPersonByID(ctx, ship.PersonID)
		if err != nil {
			return nil, err
		}
		out = append(out, member{person: p, viewer: v, role: ship.Role})
	}
	slices.SortFunc(out, func(a, b member) int {
		return strings.Compare(a.person.FamilyName+" "+a.person.GivenName, b.person.FamilyName+" "+b.person.GivenName)
	})
	return out, nil
}

// agendaFor returns the items of meeting id in set that v sees in full
// and person (0 for none) is not excluded from, in agenda order, marked
// new when in fresh. It asks the visibility rule (FindAgenda) and does
// not decide itself.
func (s *Service) agendaFor(ctx context.Context, v access.Viewer, person, meetingID int64, set map[int64]bool, fresh []int64) ([]line, error) {
	_, items, err := s.cfg.Sessions.FindAgenda(ctx, v, meetingID)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []line
	for _, it := range items {
		if !set[it.ID] {
			continue
		}
		if person != 0 && (it.Access != access.Full || slices.Contains(it.Excluded, person) || slices.Contains(it.ExcludedByMatter, person)) {
			continue
		}
		out = append(out, line{Number: it.Number, Title: it.Title, Public: it.Access == access.Full && it.Public,
			Late: it.Late(), New: slices.Contains(fresh, it.ID)})
	}
	return out, nil
}

// facts gathers what every letter of this invitation says.
func (s *Service) facts(ctx context.Context, m *sessions.Meeting, number int, urgency, chair string, members []member, now time.Time) (letter, error) {
	org, err := s.cfg.Sessions.FindOrganizationByID(ctx, m.OrganizationID)
	if err != nil {
		return letter{}, err
	}
	body, err := s.cfg.Sessions.FindBodyByID(ctx, org.BodyID)
	if err != nil {
		return letter{}, err
	}
	if chair == "" {
		for _, mb := range members {
			if r := strings.ToLower(mb.role); strings.Contains(r, "vorsitz") && !strings.Contains(r, "stellv") {
				chair = mb.person.Name()
				break
			}
		}
	}
	return letter{Body: body.Name, Organization: org.Name, Meeting: m, Number: number, Urgency: urgency,
		Issued: now, Chair: chair, Link: fmt.Sprintf("%s/reader/meetings/%d", s.cfg.BaseURL, m.ID),
		From: s.cfg.From}, nil
}

// storeLetter stores the meeting's letter as the next version of its
// invitation document (the meeting's first attachment of role
// invitation), or as a new such document, public like the agenda it
// shows. It returns the document and version.
func (s *Service) storeLetter(ctx context.Context, m *sessions.Meeting, l letter, by string) (int64, int, error) {
	var buf bytes.Buffer
	if _, err := textpdf.Write(&buf, l.pdf()); err != nil {
		return 0, 0, fmt.Errorf("invitation letter: %w", err)
	}
	f, err := os.CreateTemp(s.cfg.TempDir, "einladung-*.pdf")
	if err != nil {
		return 0, 0, fmt.Errorf("invitation letter: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return 0, 0, fmt.Errorf("invitation letter: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, 0, fmt.Errorf("invitation letter: %w", err)
	}
	if by == "" {
		by = "Ratsbüro"
	}
	as, err := s.cfg.Sessions.FindAttachments(ctx, staff, sessions.AttachmentTarget{MeetingID: m.ID})
	if err != nil {
		return 0, 0, err
	}
	file := fmt.Sprintf("einladung-sitzung-%d.pdf", m.ID)
	for _, a := range as {
		if a.Role == sessions.RoleInvitation && !a.Withdrawn() {
			// An issue that died after storing its letter and before its
			// transaction is issued again with the same letter: that
			// version is this letter (the store refuses a second copy).
			sum := sha256.Sum256(buf.Bytes())
			if cur, err := s.cfg.Documents.Store().FindVersion(ctx, a.DocumentID, 0); err == nil && cur.OriginalSHA256 == hex.EncodeToString(sum[:]) {
				return a.DocumentID, cur.Number, nil
			}
			added, err := s.cfg.Documents.AddVersion(ctx, a.DocumentID, documents.Upload{Path: f.Name(), FileName: file,
				Uploader: by, Note: l.title()})
			if err != nil {
				return 0, 0, err
			}
			return a.DocumentID, added.Version.Number, nil
		}
	}
	title := "Einladung – " + m.Name
	added, err := s.cfg.Documents.AddDocument(ctx, documents.Upload{Path: f.Name(), FileName: file, Title: title,
		Kind: documents.KindAgenda, Uploader: by})
	if err != nil {
		return 0, 0, err
	}
	a := &sessions.Attachment{DocumentID: added.Document.ID, MeetingID: m.ID, Role: sessions.RoleInvitation, Title: "Einladung"}
	if err := s.cfg.Sessions.Attach(ctx, a); err != nil {
		return 0, 0, err
	}
	if err := s.cfg.Sessions.SetAttachmentPublic(ctx, a.ID, true); err != nil {
		return 0, 0, err
	}
	return added.Document.ID, added.Version.Number, nil
}

// Cancel cancels meeting id (state cancelled) and tells every member who
// was invited by e-mail, with a calendar cancellation (METHOD:CANCEL) of
// the invitation's entry. It may be called again: a member is told once
// (one message per meeting and member). It returns how many messages were
// queued; ENOTFOUND for a missing meeting, ECONFLICT for one that has
// begun. Without a mail server it only cancels.
func (s *Service) Cancel(ctx context.Context, meetingID int64, baseURL string) (int, error) {
	m, err := s.cfg.Sessions.FindMeetingByID(ctx, staff, meetingID)
	if err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	if !now.Before(m.Start) {
		return 0, conflict("meeting_begun", "Die Sitzung hat bereits begonnen.", "The meeting has already begun.")
	}
	cancelled := sessions.MeetingCancelled
	if m, err = s.cfg.Sessions.UpdateMeeting(ctx, m.ID, sessions.MeetingUpdate{State: &cancelled}); err != nil {
		return 0, err
	}
	invs, err := s.FindInvitations(ctx, meetingID)
	if err != nil || len(invs) == 0 || !s.Mailer() {
		return 0, err
	}
	members, err := s.entitled(ctx, m)
	if err != nil {
		return 0, err
	}
	l, err := s.facts(ctx, m, len(invs), "", invs[0].Chair, members, now)
	if err != nil {
		return 0, err
	}
	if s.cfg.BaseURL == "" {
		l.Link = strings.TrimRight(baseURL, "/") + l.Link
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT DISTINCT r.person_id, r.address FROM invitation_recipients r
		JOIN invitations i ON i.id = r.invitation_id
		WHERE i.meeting_id = ? AND r.channel = 'email' AND r.outbox_key <> '' ORDER BY r.person_id`, meetingID)
	if err != nil {
		return 0, fmt.Errorf("cancel: %w", err)
	}
	type to struct {
		person int64
		addr   string
	}
	var tos []to
	for rows.Next() {
		var x to
		if err := rows.Scan(&x.person, &x.addr); err != nil {
			rows.Close()
			return 0, fmt.Errorf("cancel: %w", err)
		}
		tos = append(tos, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("cancel: %w", err)
	}
	moved, err := moves(ctx, s.cfg.DB, m.ID)
	if err != nil {
		return 0, err
	}
	tx, err := s.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("cancel: %w", err)
	}
	defer tx.Rollback()
	n := 0
	for _, x := range tos {
		p, err := s.cfg.Sessions.FindPersonByID(ctx, x.person)
		if err != nil {
			return 0, err
		}
		msg := l.cancellation(s.cfg.From, x.addr, p, len(invs)+moved)
		msg.Key = fmt.Sprintf("ladung/meeting/%d/cancel/person/%d", m.ID, x.person)
		added, err := s.cfg.Outbox.Enqueue(ctx, tx, msg)
		if err != nil {
			return 0, err
		}
		if added {
			n++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("cancel: %w", err)
	}
	s.cfg.Outbox.Kick()
	return n, nil
}

// moves returns how many calendar updates (moves of the meeting) were
// sent since its first invitation.
func moves(ctx context.Context, q *sql.DB, meeting int64) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM calendar_moves WHERE meeting_id = ?`, meeting).Scan(&n); err != nil {
		return 0, fmt.Errorf("calendar moves: %w", err)
	}
	return n, nil
}

// CalendarMove records, within tx, that meeting moved (key names the new
// time and place) and returns the SEQUENCE its calendar update carries,
// and whether the member person was invited by e-mail (only they have the
// entry to update). A meeting never invited has no entry: ok is false
// and nothing is recorded. Telling the same move again returns the same
// sequence.
func CalendarMove(ctx context.Context, tx *sql.Tx, meeting int64, key string, now time.Time) (seq int, ok bool, err error) {
	var invs int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitations WHERE meeting_id = ?`, meeting).Scan(&invs); err != nil {
		return 0, false, fmt.Errorf("calendar move: %w", err)
	}
	if invs == 0 {
		return 0, false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_moves (meeting_id, key, recorded_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, meeting, key, now.UnixMilli()); err != nil {
		return 0, false, fmt.Errorf("calendar move: %w", err)
	}
	// The moves up to this one, in the order they were recorded: by
	// time, and by key within one millisecond (SQLite's rowid, which this
	// counted by first, has no PostgreSQL twin that db copy would carry).
	var before int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM calendar_moves c, calendar_moves this
		WHERE this.meeting_id = ? AND this.key = ? AND c.meeting_id = this.meeting_id
		AND (c.recorded_at < this.recorded_at OR c.recorded_at = this.recorded_at AND c.key <= this.key)`, meeting, key).Scan(&before); err != nil {
		return 0, false, fmt.Errorf("calendar move: %w", err)
	}
	return invs - 1 + before, true, nil
}

// InvitedByEmail reports whether person was sent an invitation to
// meeting by e-mail (and so has its calendar entry).
func InvitedByEmail(ctx context.Context, tx *sql.Tx, meeting, person int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitation_recipients r JOIN invitations i ON i.id = r.invitation_id
		WHERE i.meeting_id = ? AND r.person_id = ? AND r.channel = 'email' AND r.outbox_key <> ''`, meeting, person).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("invited by e-mail: %w", err)
	}
	return n > 0, nil
}
