package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// CreatePaper stores p and sets its ID. References are unique per body.
func (s *Store) CreatePaper(ctx context.Context, p *Paper) error {
	if strings.TrimSpace(p.Reference) == "" || strings.TrimSpace(p.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Eine Vorlage braucht ein Aktenzeichen und einen Titel.")
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO papers (body_id, reference, name, paper_type, date, originator, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.BodyID, p.Reference, p.Name, p.Type, p.Date, p.Originator, ts(now), ts(now))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Es gibt schon eine Vorlage %s.", p.Reference)
		}
		return fmt.Errorf("create paper: %w", err)
	}
	p.ID, _ = res.LastInsertId()
	p.Created, p.Modified = now, now
	return nil
}

func scanPaper(sc interface{ Scan(...any) error }) (*Paper, error) {
	var p Paper
	var c, m string
	if err := sc.Scan(&p.ID, &p.BodyID, &p.Reference, &p.Name, &p.Type, &p.Date, &p.Originator, &c, &m); err != nil {
		return nil, err
	}
	p.Created, p.Modified = parseTS(c), parseTS(m)
	return &p, nil
}

const paperColumns = `id, body_id, reference, name, paper_type, date, originator, created, modified`

// Consult links paper to an agenda item and returns the consultation.
func (s *Store) Consult(ctx context.Context, c *Consultation) error {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO consultations (paper_id, agenda_item_id, role, authoritative, created) VALUES (?, ?, ?, ?, ?)`,
		c.PaperID, c.AgendaItemID, c.Role, b2i(c.Authoritative), ts(now))
	if err != nil {
		return fmt.Errorf("consult: %w", err)
	}
	c.ID, _ = res.LastInsertId()
	c.Created = now
	return nil
}

// paperItems returns the facts of the agenda items paper id is consulted
// on.
func (s *Store) paperItems(ctx context.Context, paperID int64) ([]ItemFacts, error) {
	its, err := s.items(ctx, "id IN (SELECT agenda_item_id FROM consultations WHERE paper_id = ?)", paperID)
	if err != nil {
		return nil, err
	}
	var out []ItemFacts
	for _, it := range its {
		m, err := s.meeting(ctx, it.MeetingID)
		if err != nil {
			return nil, err
		}
		out = append(out, it.Facts(m.Facts()))
	}
	return out, nil
}

// FindPaperByID returns paper id if v may see it, else ENOTFOUND.
func (s *Store) FindPaperByID(ctx context.Context, v Viewer, id int64) (*Paper, error) {
	p, err := scanPaper(s.db.QueryRowContext(ctx, `SELECT `+paperColumns+` FROM papers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Vorlage")
	}
	if err != nil {
		return nil, fmt.Errorf("find paper: %w", err)
	}
	items, err := s.paperItems(ctx, id)
	if err != nil {
		return nil, err
	}
	if PaperAccess(v, items, s.now()) == None {
		return nil, notFound("Vorlage")
	}
	return p, nil
}

// FindPapersOfItem returns the papers consulted on item id that v may see.
func (s *Store) FindPapersOfItem(ctx context.Context, v Viewer, itemID int64) ([]*Paper, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id FROM papers p JOIN consultations c ON c.paper_id = p.id
		WHERE c.agenda_item_id = ? ORDER BY p.reference`, itemID)
	if err != nil {
		return nil, fmt.Errorf("find papers: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	var out []*Paper
	for _, id := range ids {
		p, err := s.FindPaperByID(ctx, v, id)
		if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ---- attachments ----

const attachmentColumns = `id, document_id, COALESCE(agenda_item_id, 0), COALESCE(paper_id, 0), COALESCE(meeting_id, 0),
	role, title, public, position, late_at, withdrawn_at, created, modified`

func scanAttachment(sc interface{ Scan(...any) error }) (*Attachment, error) {
	var a Attachment
	var pub int
	var late, wd sql.NullString
	var c, m string
	if err := sc.Scan(&a.ID, &a.DocumentID, &a.AgendaItemID, &a.PaperID, &a.MeetingID, &a.Role, &a.Title, &pub, &a.Position, &late, &wd, &c, &m); err != nil {
		return nil, err
	}
	a.Public = pub != 0
	a.LateAt, a.WithdrawnAt = parseNull(late), parseNull(wd)
	a.Created, a.Modified = parseTS(c), parseTS(m)
	return &a, nil
}

// Attach links a document to exactly one agenda item, paper or meeting.
// The link is always created non-public — whatever a.Public says — so that
// nothing, least of all a late attachment, goes public by default; use
// SetAttachmentPublic. A link made after the meeting's agenda was
// published is marked late (nachgereicht).
func (s *Store) Attach(ctx context.Context, a *Attachment) error {
	n := 0
	for _, id := range []int64{a.AgendaItemID, a.PaperID, a.MeetingID} {
		if id != 0 {
			n++
		}
	}
	if n != 1 {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Ein Dokument wird genau einem Tagesordnungspunkt, einer Vorlage oder einer Sitzung zugeordnet.")
	}
	if a.Role == "" {
		a.Role = RoleAttachment
	}
	now := s.now()
	published, err := s.attachTargetPublished(ctx, a)
	if err != nil {
		return err
	}
	a.LateAt = time.Time{}
	if !published.IsZero() && !now.Before(published) {
		a.LateAt = now
	}
	a.Public = false
	nz := func(id int64) any {
		if id == 0 {
			return nil
		}
		return id
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO attachments (document_id, agenda_item_id, paper_id, meeting_id, role, title, public, position, late_at, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`, a.DocumentID, nz(a.AgendaItemID), nz(a.PaperID), nz(a.MeetingID), a.Role, a.Title,
		a.Position, nullTS(a.LateAt), ts(now), ts(now))
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	a.ID, _ = res.LastInsertId()
	a.Created, a.Modified = now, now
	return nil
}

// attachTargetPublished returns when the agenda of the meeting the
// attachment belongs to was published (for papers: the earliest
// publication among the meetings consulting it), zero if never.
func (s *Store) attachTargetPublished(ctx context.Context, a *Attachment) (time.Time, error) {
	var q string
	var id int64
	switch {
	case a.AgendaItemID != 0:
		q, id = `SELECT m.published_at FROM meetings m JOIN agenda_items i ON i.meeting_id = m.id WHERE i.id = ?`, a.AgendaItemID
	case a.MeetingID != 0:
		q, id = `SELECT published_at FROM meetings WHERE id = ?`, a.MeetingID
	default:
		q, id = `SELECT MIN(m.published_at) FROM meetings m JOIN agenda_items i ON i.meeting_id = m.id
			JOIN consultations c ON c.agenda_item_id = i.id WHERE c.paper_id = ?`, a.PaperID
	}
	var pub sql.NullString
	err := s.db.QueryRowContext(ctx, q, id).Scan(&pub)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, notFound("Ziel")
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("attach: %w", err)
	}
	return parseNull(pub), nil
}

// SetAttachmentPublic sets whether attachment id is public.
func (s *Store) SetAttachmentPublic(ctx context.Context, id int64, public bool) error {
	return s.updateAttachment(ctx, id, `public = ?`, b2i(public))
}

// WithdrawAttachment withdraws attachment id; it stays stored.
func (s *Store) WithdrawAttachment(ctx context.Context, id int64) error {
	return s.updateAttachment(ctx, id, `withdrawn_at = COALESCE(withdrawn_at, ?)`, ts(s.now()))
}

func (s *Store) updateAttachment(ctx context.Context, id int64, set string, v any) error {
	res, err := s.db.ExecContext(ctx, `UPDATE attachments SET `+set+`, modified = ? WHERE id = ?`, v, ts(s.now()), id)
	if err != nil {
		return fmt.Errorf("update attachment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Anlage")
	}
	return nil
}

func (s *Store) attachments(ctx context.Context, where string, args ...any) ([]*Attachment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE `+where+` ORDER BY position, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find attachments: %w", err)
	}
	defer rows.Close()
	var out []*Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// attachmentAccess decides v's access to one attachment.
func (s *Store) attachmentAccess(ctx context.Context, v Viewer, a *Attachment, now time.Time) (Access, error) {
	switch {
	case a.AgendaItemID != 0:
		its, err := s.items(ctx, "id = ?", a.AgendaItemID)
		if err != nil || len(its) == 0 {
			return None, err
		}
		m, err := s.meeting(ctx, its[0].MeetingID)
		if err != nil {
			return None, err
		}
		return ItemAttachmentAccess(v, its[0].Facts(m.Facts()), a.Facts(), now), nil
	case a.MeetingID != 0:
		m, err := s.meeting(ctx, a.MeetingID)
		if err != nil {
			return None, err
		}
		return MeetingAttachmentAccess(v, m.Facts(), a.Facts(), now), nil
	default:
		items, err := s.paperItems(ctx, a.PaperID)
		if err != nil {
			return None, err
		}
		return PaperAttachmentAccess(v, items, a.Facts(), now), nil
	}
}

// AttachmentTarget names what attachments to list: exactly one field set.
type AttachmentTarget struct {
	AgendaItemID, PaperID, MeetingID int64
}

// FindAttachments returns the attachments of target that v may see.
func (s *Store) FindAttachments(ctx context.Context, v Viewer, t AttachmentTarget) ([]*Attachment, error) {
	var all []*Attachment
	var err error
	switch {
	case t.AgendaItemID != 0:
		all, err = s.attachments(ctx, "agenda_item_id = ?", t.AgendaItemID)
	case t.PaperID != 0:
		all, err = s.attachments(ctx, "paper_id = ?", t.PaperID)
	default:
		all, err = s.attachments(ctx, "meeting_id = ?", t.MeetingID)
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*Attachment
	for _, a := range all {
		acc, err := s.attachmentAccess(ctx, v, a, now)
		if err != nil {
			return nil, err
		}
		if acc == Full {
			out = append(out, a)
		}
	}
	return out, nil
}

// ---- minutes ----

// CreateMinutes records document as (draft) minutes of a meeting.
func (s *Store) CreateMinutes(ctx context.Context, m *Minutes) error {
	now := s.now()
	m.State, m.StateChanged = MinutesDraft, now
	res, err := s.db.ExecContext(ctx, `INSERT INTO minutes (meeting_id, document_id, public, state, state_changed_at, created, modified)
		VALUES (?, ?, ?, 'draft', ?, ?, ?)`, m.MeetingID, m.DocumentID, b2i(m.Public), ts(now), ts(now), ts(now))
	if err != nil {
		return fmt.Errorf("create minutes: %w", err)
	}
	m.ID, _ = res.LastInsertId()
	m.Created, m.Modified = now, now
	return nil
}

// SetMinutesState moves minutes id along draft → approved → published
// (one step back is allowed for corrections; skipping is not).
func (s *Store) SetMinutesState(ctx context.Context, id int64, state string) error {
	var cur string
	if err := s.db.QueryRowContext(ctx, `SELECT state FROM minutes WHERE id = ?`, id).Scan(&cur); errors.Is(err, sql.ErrNoRows) {
		return notFound("Niederschrift")
	} else if err != nil {
		return err
	}
	order := map[string]int{MinutesDraft: 0, MinutesApproved: 1, MinutesPublished: 2}
	to, ok := order[state]
	if !ok {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannter Status %q.", state)
	}
	if d := to - order[cur]; d > 1 || d < -1 {
		return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Eine Niederschrift geht von Entwurf über genehmigt zu veröffentlicht; von %s nach %s geht es nicht direkt.", cur, state)
	}
	now := ts(s.now())
	_, err := s.db.ExecContext(ctx, `UPDATE minutes SET state = ?, state_changed_at = ?, modified = ? WHERE id = ?`, state, now, now, id)
	return err
}

func (s *Store) minutesFacts(ctx context.Context, m *Minutes, mt *Meeting) (MinutesFacts, error) {
	f := MinutesFacts{Meeting: mt.Facts(), Public: m.Public, State: m.State}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT e.person_id FROM exclusions e JOIN agenda_items a ON a.id = e.agenda_item_id WHERE a.meeting_id = ?`, mt.ID)
	if err != nil {
		return f, err
	}
	defer rows.Close()
	for rows.Next() {
		var p int64
		rows.Scan(&p)
		f.Excluded = append(f.Excluded, p)
	}
	return f, rows.Err()
}

// FindMinutes returns the minutes of meeting id that v may see.
func (s *Store) FindMinutes(ctx context.Context, v Viewer, meetingID int64) ([]*Minutes, error) {
	mt, err := s.FindMeetingByID(ctx, v, meetingID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, meeting_id, document_id, public, state, state_changed_at, created, modified
		FROM minutes WHERE meeting_id = ? ORDER BY public DESC, id`, meetingID)
	if err != nil {
		return nil, err
	}
	var all []*Minutes
	for rows.Next() {
		var m Minutes
		var pub int
		var sc, c, mod string
		if err := rows.Scan(&m.ID, &m.MeetingID, &m.DocumentID, &pub, &m.State, &sc, &c, &mod); err != nil {
			rows.Close()
			return nil, err
		}
		m.Public = pub != 0
		m.StateChanged, m.Created, m.Modified = parseTS(sc), parseTS(c), parseTS(mod)
		all = append(all, &m)
	}
	rows.Close()
	now := s.now()
	var out []*Minutes
	for _, m := range all {
		f, err := s.minutesFacts(ctx, m, mt)
		if err != nil {
			return nil, err
		}
		if MinutesAccess(v, f, now) == Full {
			out = append(out, m)
		}
	}
	return out, nil
}

// ---- documents ----

// DocumentAccess decides whether v may see document docID: Full if any of
// its links (attachments, minutes) lets v see it. A document linked
// nowhere exists only for staff. Every route that serves a document's
// metadata, text or bytes asks this first; for a single version, combine
// with VersionAccess.
func (s *Store) DocumentAccess(ctx context.Context, v Viewer, docID int64) (Access, error) {
	if v.Staff() {
		return Full, nil
	}
	now := s.now()
	as, err := s.attachments(ctx, "document_id = ?", docID)
	if err != nil {
		return None, err
	}
	for _, a := range as {
		acc, err := s.attachmentAccess(ctx, v, a, now)
		if err != nil {
			return None, err
		}
		if acc == Full {
			return Full, nil
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, meeting_id, public, state FROM minutes WHERE document_id = ?`, docID)
	if err != nil {
		return None, err
	}
	var ms []*Minutes
	for rows.Next() {
		var m Minutes
		var pub int
		rows.Scan(&m.ID, &m.MeetingID, &pub, &m.State)
		m.Public = pub != 0
		ms = append(ms, &m)
	}
	rows.Close()
	for _, m := range ms {
		mt, err := s.meeting(ctx, m.MeetingID)
		if err != nil {
			return None, err
		}
		f, err := s.minutesFacts(ctx, m, mt)
		if err != nil {
			return None, err
		}
		if MinutesAccess(v, f, now) == Full {
			return Full, nil
		}
	}
	return None, nil
}
