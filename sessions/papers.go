package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// ---- papers ----

const paperColumns = `id, body_id, reference, name, paper_type, date, originator, published_at, created, modified`

func scanPaper(sc interface{ Scan(...any) error }) (*Paper, error) {
	var p Paper
	dest, finish := paperDest(&p)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return &p, nil
}

// paperDest returns the scan destinations of paperColumns for p and what
// fills in p once a row is scanned into them, for a row that holds more
// than a paper.
func paperDest(p *Paper) ([]any, func()) {
	var pub sql.NullString
	var c, m string
	return []any{&p.ID, &p.BodyID, &p.Reference, &p.Name, &p.Type, &p.Date, &p.Originator, &pub, &c, &m}, func() {
		p.PublishedAt = parseNull(pub)
		p.Created, p.Modified = parseTS(c), parseTS(m)
	}
}

// CreatePaper stores p, unpublished (its PublishedAt is ignored), and sets
// its ID. It returns EINVALID without a reference or a name, and ECONFLICT
// if the body already has a paper with that reference.
func (s *Store) CreatePaper(ctx context.Context, p *Paper) error {
	if strings.TrimSpace(p.Reference) == "" || strings.TrimSpace(p.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Eine Vorlage braucht ein Aktenzeichen und einen Titel.")
	}
	if err := validDate("Datum", p.Date); err != nil {
		return err
	}
	now := s.now()
	err := s.db.QueryRowContext(ctx, `INSERT INTO papers (body_id, reference, name, paper_type, date, originator, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.BodyID, p.Reference, p.Name, p.Type, p.Date, p.Originator, ts(now), ts(now)).Scan(&p.ID)
	if err != nil {
		if sqldb.IsUnique(err) {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Es gibt schon eine Vorlage %s.", p.Reference)
		}
		if sqldb.IsForeignKey(err) {
			return notFound("Körperschaft")
		}
		return fmt.Errorf("create paper: %w", err)
	}
	p.PublishedAt = time.Time{}
	p.Created, p.Modified = now, now
	return nil
}

// PaperUpdate holds the fields of a paper to change; nil fields stay.
type PaperUpdate struct {
	Reference  *string
	Name       *string
	Type       *string
	Date       *string
	Originator *string
}

// UpdatePaper changes paper id and returns it. It returns ENOTFOUND for a
// missing paper and ECONFLICT for a reference the body already uses.
func (s *Store) UpdatePaper(ctx context.Context, id int64, u PaperUpdate) (*Paper, error) {
	p, err := s.paper(ctx, id)
	if err != nil {
		return nil, err
	}
	for src, dst := range map[*string]*string{u.Reference: &p.Reference, u.Name: &p.Name, u.Type: &p.Type, u.Date: &p.Date, u.Originator: &p.Originator} {
		if src != nil {
			*dst = *src
		}
	}
	if strings.TrimSpace(p.Reference) == "" || strings.TrimSpace(p.Name) == "" {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Eine Vorlage braucht ein Aktenzeichen und einen Titel.")
	}
	if err := validDate("Datum", p.Date); err != nil {
		return nil, err
	}
	p.Modified = s.now()
	if _, err := s.db.ExecContext(ctx, `UPDATE papers SET reference = ?, name = ?, paper_type = ?, date = ?, originator = ?, modified = ? WHERE id = ?`,
		p.Reference, p.Name, p.Type, p.Date, p.Originator, ts(p.Modified), id); err != nil {
		if sqldb.IsUnique(err) {
			return nil, ratsmappe.Errorf(ratsmappe.ECONFLICT, "Es gibt schon eine Vorlage %s.", p.Reference)
		}
		return nil, fmt.Errorf("update paper: %w", err)
	}
	return p, nil
}

// PublishPaper publishes paper id on its own, at time at (zero: now; a
// time in the future is an embargo), whether or not it is on a published
// agenda — for a motion that is public once submitted, say. Its public
// attachments become visible with it; non-public ones stay hidden.
func (s *Store) PublishPaper(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.setPublishedAt(ctx, "papers", "Vorlage", id, ts(at))
}

// UnpublishPaper takes back an explicit publication of paper id. A paper
// consulted on a public item of a published agenda stays public through
// that item.
func (s *Store) UnpublishPaper(ctx context.Context, id int64) error {
	return s.setPublishedAt(ctx, "papers", "Vorlage", id, nil)
}

// paper reads a paper without the policy, for write paths.
func (s *Store) paper(ctx context.Context, id int64) (*Paper, error) {
	p, err := scanPaper(s.db.QueryRowContext(ctx, `SELECT `+paperColumns+` FROM papers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Vorlage")
	}
	if err != nil {
		return nil, fmt.Errorf("find paper: %w", err)
	}
	return p, nil
}

// Consult links a paper to an agenda item where it is discussed and sets
// c's ID. It returns ENOTFOUND if either does not exist and ECONFLICT if
// they are linked already.
func (s *Store) Consult(ctx context.Context, c *Consultation) error {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		// The id is past every removed consultation's too: the ledger's
		// history of a removed one must not become a new one's.
		err := tx.QueryRowContext(ctx, `INSERT INTO consultations (id, paper_id, agenda_item_id, role, authoritative, created)
			VALUES ((SELECT MAX(n) + 1 FROM (SELECT MAX(id) AS n FROM consultations
				UNION ALL SELECT MAX(id) FROM consultation_tombstones UNION ALL SELECT 0) AS ids), ?, ?, ?, ?, ?)
			RETURNING id`,
			c.PaperID, c.AgendaItemID, c.Role, b2i(c.Authoritative), ts(now)).Scan(&c.ID)
		// The paper, its files and the new consultation may go public
		// through the item.
		return ledgerScope{papers: []int64{c.PaperID}}, err
	})
	if err != nil {
		if sqldb.IsUnique(err) {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Die Vorlage ist diesem Tagesordnungspunkt schon zugeordnet.")
		}
		if sqldb.IsForeignKey(err) {
			return notFound("Vorlage oder Tagesordnungspunkt")
		}
		return fmt.Errorf("consult: %w", err)
	}
	c.Created = now
	return nil
}

// RemoveConsultation takes paper paperID off the agenda item of its
// consultation id: the consultation is deleted and leaves a tombstone, so
// that a public one becomes a deleted stub in OParl and the paper, the
// item and their files follow the change in the same transaction. It
// returns ENOTFOUND if the paper has no such consultation.
func (s *Store) RemoveConsultation(ctx context.Context, paperID, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		var meeting int64
		err := tx.QueryRowContext(ctx, `SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.id = ? AND c.paper_id = ?`, id, paperID).Scan(&meeting)
		if errors.Is(err, sql.ErrNoRows) {
			return ledgerScope{}, notFound("Beratung")
		}
		if err != nil {
			return ledgerScope{}, fmt.Errorf("remove consultation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_tombstones (id, paper_id, agenda_item_id, created, removed)
			SELECT id, paper_id, agenda_item_id, created, ? FROM consultations WHERE id = ?`, ts(s.now()), id); err != nil {
			return ledgerScope{}, fmt.Errorf("remove consultation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM consultations WHERE id = ?`, id); err != nil {
			return ledgerScope{}, fmt.Errorf("remove consultation: %w", err)
		}
		// The paper may leave the public view with its last public item,
		// and the item's meeting shows the paper no more.
		return ledgerScope{papers: []int64{paperID}, meetings: []int64{meeting}, removedConsultations: []int64{id}}, nil
	})
}

// FindConsultations returns the consultations of paper paperID whose agenda
// items v sees in full, oldest first; the paper itself must be visible to
// v, else ENOTFOUND.
func (s *Store) FindConsultations(ctx context.Context, v access.Viewer, paperID int64) ([]*Consultation, error) {
	if _, err := s.FindPaperByID(ctx, v, paperID); err != nil {
		return nil, err
	}
	all, items, err := s.paperConsultations(ctx, paperID)
	if err != nil {
		return nil, err
	}
	g, err := s.loadGraph(ctx, nil, items, nil)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*Consultation
	for _, c := range all {
		if it, ok := g.itemFacts(c.AgendaItemID); ok && access.ItemAccess(v, it, now) == access.Full {
			out = append(out, c)
		}
	}
	return out, nil
}

// paperConsultations returns every consultation of paper paperID, oldest
// first, and their agenda items.
func (s *Store) paperConsultations(ctx context.Context, paperID int64) ([]*Consultation, []int64, error) {
	all, err := queryAll(ctx, s.db, scanConsultation, `SELECT `+consultationColumns+` FROM consultations WHERE paper_id = ? ORDER BY id`, paperID)
	if err != nil {
		return nil, nil, fmt.Errorf("find consultations: %w", err)
	}
	items := make([]int64, len(all))
	for i, c := range all {
		items[i] = c.AgendaItemID
	}
	return all, items, nil
}

const consultationColumns = `id, paper_id, agenda_item_id, role, authoritative, created`

func scanConsultation(sc interface{ Scan(...any) error }) (*Consultation, error) {
	var c Consultation
	dest, finish := consultationDest(&c)
	err := sc.Scan(dest...)
	finish()
	return &c, err
}

// consultationDest is paperDest for consultationColumns.
func consultationDest(c *Consultation) ([]any, func()) {
	var auth int
	var created string
	return []any{&c.ID, &c.PaperID, &c.AgendaItemID, &c.Role, &auth, &created}, func() {
		c.Authoritative, c.Created = auth != 0, parseTS(created)
	}
}

// PaperFilter selects papers for FindPapers; zero fields do not filter.
type PaperFilter struct {
	BodyID       int64
	Reference    string  // exact
	AgendaItemID int64   // papers consulted on this item
	IDs          []int64 // only these papers
	Offset       int     // counted among the papers the viewer sees
	Limit        int     // 0: no limit
}

// FindPapers returns the papers matching f that v may see, by reference.
// Offset and Limit count visible papers only, so pages are full.
func (s *Store) FindPapers(ctx context.Context, v access.Viewer, f PaperFilter) ([]*Paper, error) {
	q := `SELECT ` + paperColumns + ` FROM papers WHERE 1=1`
	var args []any
	if f.BodyID != 0 {
		q += ` AND body_id = ?`
		args = append(args, f.BodyID)
	}
	if f.Reference != "" {
		q += ` AND reference = ?`
		args = append(args, f.Reference)
	}
	if f.AgendaItemID != 0 {
		q += ` AND id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = ?)`
		args = append(args, f.AgendaItemID)
	}
	if f.IDs != nil {
		q += ` AND id` + inIDs
		args = append(args, idList(f.IDs))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY reference, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find papers: %w", err)
	}
	var all []*Paper
	var ids []int64
	for rows.Next() {
		p, err := scanPaper(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("find papers: %w", err)
		}
		all = append(all, p)
		ids = append(ids, p.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find papers: %w", err)
	}
	g, err := s.loadGraph(ctx, nil, nil, ids)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*Paper
	skip := f.Offset
	for _, p := range all {
		pf, ok := g.paperFacts(p.ID)
		if !ok || access.PaperAccess(v, pf, now) == access.None {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, p)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// FindPaperByID returns paper id if v may see it, else ENOTFOUND (the same
// error as for a paper that does not exist). A paper that could not be
// visible to v at all is refused by the same single query that finds a
// missing id missing (candidatePaper), so that both cost the same.
func (s *Store) FindPaperByID(ctx context.Context, v access.Viewer, id int64) (*Paper, error) {
	p, err := s.candidatePaper(ctx, v, id)
	if err != nil {
		return nil, err
	}
	g, err := s.loadGraph(ctx, nil, nil, []int64{id})
	if err != nil {
		return nil, err
	}
	if pf, ok := g.paperFacts(id); !ok || access.PaperAccess(v, pf, s.now()) == access.None {
		return nil, notFound("Vorlage")
	}
	return p, nil
}

// candidatePaper reads paper id if it could be visible to v
// (paperCouldShow; staff: whether it exists), for the rule to decide; ENOTFOUND
// otherwise, as for a missing id. The condition and the read are one
// statement: a refused id and a missing one both find no row, and the
// paper page saves PostgreSQL a round trip (issue 15).
func (s *Store) candidatePaper(ctx context.Context, v access.Viewer, id int64) (*Paper, error) {
	cond := paperCandidateCond(v)
	p, err := scanPaper(s.db.QueryRowContext(ctx, `SELECT `+paperColumns+` FROM papers p WHERE p.id = ?1 AND `+cond,
		id, ts(s.now()), memberOrgs(v)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Vorlage")
	}
	if err != nil {
		return nil, fmt.Errorf("paper candidate %d: %w", id, err)
	}
	return p, nil
}

// paperCandidateCond is the condition on paper p under which v could see
// it (paperCouldShow); for staff, that it exists.
func paperCandidateCond(v access.Viewer) string {
	if v.Staff() {
		return staffCandidate
	}
	return paperCouldShow
}

// candidatePaperConsultations is candidatePaper together with the
// paper's consultations (oldest first) and their items, as
// paperConsultations reads them, in one statement: the paper page's
// first round trip on PostgreSQL instead of two (issue 15). A refused id
// and a missing one both find no row.
func (s *Store) candidatePaperConsultations(ctx context.Context, v access.Viewer, id int64) (*Paper, []*Consultation, []int64, error) {
	cond := paperCandidateCond(v)
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.body_id, p.reference, p.name, p.paper_type, p.date, p.originator,
		p.published_at, p.created, p.modified,
		pc.id, pc.agenda_item_id, pc.role, pc.authoritative, pc.created
		FROM papers p LEFT JOIN consultations pc ON pc.paper_id = p.id
		WHERE p.id = ?1 AND `+cond+` ORDER BY pc.id`, id, ts(s.now()), memberOrgs(v))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("paper candidate %d: %w", id, err)
	}
	defer rows.Close()
	var p *Paper
	var all []*Consultation
	items := []int64{}
	for rows.Next() {
		var cid, item, auth sql.NullInt64
		var role, created sql.NullString
		pp, err := scanPaper(scanWith{rows, []any{&cid, &item, &role, &auth, &created}})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("paper candidate %d: %w", id, err)
		}
		if p == nil {
			p = pp
		}
		if cid.Valid {
			all = append(all, &Consultation{ID: cid.Int64, PaperID: id, AgendaItemID: item.Int64, Role: role.String,
				Authoritative: auth.Int64 != 0, Created: parseTS(created.String)})
			items = append(items, item.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("paper candidate %d: %w", id, err)
	}
	if p == nil {
		return nil, nil, nil, notFound("Vorlage")
	}
	return p, all, items, nil
}

// scanWith scans a row into the destinations a scan function names,
// followed by extra: a row that carries more columns than the one it
// is scanned as.
type scanWith struct {
	sc    interface{ Scan(...any) error }
	extra []any
}

func (w scanWith) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }

// FindPapersOfItem returns the papers consulted on agenda item itemID that
// v may see, by reference.
func (s *Store) FindPapersOfItem(ctx context.Context, v access.Viewer, itemID int64) ([]*Paper, error) {
	return s.FindPapers(ctx, v, PaperFilter{AgendaItemID: itemID})
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

// Attach links a document to exactly one agenda item, paper or meeting and
// sets a's ID. The link is always created non-public — whatever a.Public
// says — so that nothing, least of all a late attachment, goes public by
// default; SetAttachmentPublic makes it public. A link made once the
// agenda of its meeting is published (for a paper: once the paper or any
// agenda it is on is published) is marked late (nachgereicht) with the
// time. It returns EINVALID unless exactly one target is set, and
// ENOTFOUND for a missing target or document.
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
	switch a.Role {
	case RoleMain, RoleAttachment, RoleAgenda, RoleInvitation:
	default:
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Rolle %q für ein Dokument.", a.Role)
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	defer tx.Rollback()
	now := s.now()
	published, err := attachTargetPublished(ctx, tx, a)
	if err != nil {
		return err
	}
	a.LateAt = time.Time{}
	if !published.IsZero() && !now.Before(published) {
		a.LateAt = now
	}
	a.Public = false
	a.WithdrawnAt = time.Time{}
	err = tx.QueryRowContext(ctx, `INSERT INTO attachments (document_id, agenda_item_id, paper_id, meeting_id, role, title, public, position, late_at, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id`, a.DocumentID, nullID(a.AgendaItemID), nullID(a.PaperID), nullID(a.MeetingID), a.Role, a.Title,
		a.Position, nullTS(a.LateAt), ts(now), ts(now)).Scan(&a.ID)
	if err != nil {
		if sqldb.IsForeignKey(err) {
			return notFound("Dokument")
		}
		return fmt.Errorf("attach: %w", err)
	}
	a.Created, a.Modified = now, now
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	return nil
}

// attachTargetPublished returns when what a is attached to became public:
// the publication of its meeting's agenda; for a paper the earliest of
// its own publication and those of the agendas it is on. Zero if never.
func attachTargetPublished(ctx context.Context, tx *sql.Tx, a *Attachment) (time.Time, error) {
	var q, what string
	var id int64
	switch {
	case a.AgendaItemID != 0:
		q, id, what = `SELECT m.published_at FROM meetings m JOIN agenda_items i ON i.meeting_id = m.id WHERE i.id = ?`, a.AgendaItemID, "Tagesordnungspunkt"
	case a.MeetingID != 0:
		q, id, what = `SELECT published_at FROM meetings WHERE id = ?`, a.MeetingID, "Sitzung"
	default:
		q, id, what = `SELECT p.published_at, (SELECT m.published_at FROM meetings m JOIN agenda_items i ON i.meeting_id = m.id
			JOIN consultations c ON c.agenda_item_id = i.id WHERE c.paper_id = p.id AND m.published_at IS NOT NULL
			ORDER BY m.published_at LIMIT 1) FROM papers p WHERE p.id = ?`, a.PaperID, "Vorlage"
	}
	var pub, other sql.NullString
	dest := []any{&pub}
	if a.PaperID != 0 {
		dest = append(dest, &other)
	}
	err := tx.QueryRowContext(ctx, q, id).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, notFound(what)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("attach: %w", err)
	}
	t, o := parseNull(pub), parseNull(other)
	if t.IsZero() || (!o.IsZero() && o.Before(t)) {
		t = o
	}
	return t, nil
}

// SetAttachmentPublic sets whether attachment id is public. Making a
// withdrawn attachment public is refused (ECONFLICT): it stays withdrawn.
func (s *Store) SetAttachmentPublic(ctx context.Context, id int64, public bool) error {
	if public {
		var withdrawn bool
		err := s.db.QueryRowContext(ctx, `SELECT withdrawn_at IS NOT NULL FROM attachments WHERE id = ?`, id).Scan(&withdrawn)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Anlage")
		}
		if err != nil {
			return fmt.Errorf("update attachment: %w", err)
		}
		if withdrawn {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Eine zurückgezogene Anlage kann nicht veröffentlicht werden.")
		}
	}
	return s.updateAttachment(ctx, id, `public = ?`, b2i(public))
}

// WithdrawAttachment withdraws attachment id: it stays stored, and staff
// still see it (marked), but nobody else does. Withdrawing twice keeps the
// first time.
func (s *Store) WithdrawAttachment(ctx context.Context, id int64) error {
	return s.updateAttachment(ctx, id, `withdrawn_at = COALESCE(withdrawn_at, ?)`, ts(s.now()))
}

func (s *Store) updateAttachment(ctx context.Context, id int64, set string, v any) error {
	return s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		res, err := tx.ExecContext(ctx, `UPDATE attachments SET `+set+`, modified = ? WHERE id = ?`, v, ts(s.now()), id)
		if err != nil {
			return ledgerScope{}, fmt.Errorf("update attachment: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ledgerScope{}, notFound("Anlage")
		}
		return ledgerScope{attachments: []int64{id}}, nil
	})
}

// attachments reads attachments without the policy.
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
			return nil, fmt.Errorf("find attachments: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find attachments: %w", err)
	}
	return out, nil
}

// AttachmentTarget names what attachments to list: exactly one field set.
type AttachmentTarget struct {
	AgendaItemID, PaperID, MeetingID int64
}

// FindAttachments returns the attachments of target that v may see, in
// order; staff get withdrawn ones too (marked by WithdrawnAt).
func (s *Store) FindAttachments(ctx context.Context, v access.Viewer, t AttachmentTarget) ([]*Attachment, error) {
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
	return s.visibleAttachments(ctx, v, all)
}

func (s *Store) visibleAttachments(ctx context.Context, v access.Viewer, all []*Attachment) ([]*Attachment, error) {
	g, err := s.loadGraphFor(ctx, all, nil)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*Attachment
	for _, a := range all {
		if g.attachment(v, a, now) == access.Full {
			out = append(out, a)
		}
	}
	return out, nil
}

// FindAttachmentByID returns attachment id if v may see it, else
// ENOTFOUND; one that could not be visible to v at all is refused by the
// same single query that finds a missing id missing (attachmentCandidate).
func (s *Store) FindAttachmentByID(ctx context.Context, v access.Viewer, id int64) (*Attachment, error) {
	if ok, err := s.attachmentCandidate(ctx, v, id); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("Anlage")
	}
	all, err := s.attachments(ctx, "id = ?", id)
	if err != nil {
		return nil, err
	}
	vis, err := s.visibleAttachments(ctx, v, all)
	if err != nil {
		return nil, err
	}
	if len(vis) == 0 {
		return nil, notFound("Anlage")
	}
	return vis[0], nil
}

// ---- minutes ----

// CreateMinutes records document m.DocumentID as draft minutes of meeting
// m.MeetingID — its public or its non-public part, as m.Public says — and
// sets m's ID. It returns ENOTFOUND for a missing meeting or document.
func (s *Store) CreateMinutes(ctx context.Context, m *Minutes) error {
	now := s.now()
	err := s.db.QueryRowContext(ctx, `INSERT INTO minutes (meeting_id, document_id, public, state, state_changed_at, created, modified)
		VALUES (?, ?, ?, 'draft', ?, ?, ?) RETURNING id`, m.MeetingID, m.DocumentID, b2i(m.Public), ts(now), ts(now), ts(now)).Scan(&m.ID)
	if err != nil {
		if sqldb.IsForeignKey(err) {
			return notFound("Sitzung oder Dokument")
		}
		return fmt.Errorf("create minutes: %w", err)
	}
	m.State, m.StateChanged = MinutesDraft, now
	m.Created, m.Modified = now, now
	return nil
}

// SetMinutesState moves minutes id along draft → approved → published.
// One step back is allowed, for corrections; skipping a step is refused
// with ECONFLICT.
func (s *Store) SetMinutesState(ctx context.Context, id int64, state string) error {
	order := map[string]int{MinutesDraft: 0, MinutesApproved: 1, MinutesPublished: 2}
	to, ok := order[state]
	if !ok {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannter Status %q.", state)
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("set minutes state: %w", err)
	}
	defer tx.Rollback()
	var cur string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM minutes WHERE id = ?`, id).Scan(&cur); errors.Is(err, sql.ErrNoRows) {
		return notFound("Niederschrift")
	} else if err != nil {
		return fmt.Errorf("set minutes state: %w", err)
	}
	if d := to - order[cur]; d > 1 || d < -1 {
		return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Eine Niederschrift geht von Entwurf über genehmigt zu veröffentlicht; von %s nach %s geht es nicht direkt.", cur, state)
	}
	if cur == state {
		return nil
	}
	now := ts(s.now())
	if _, err := tx.ExecContext(ctx, `UPDATE minutes SET state = ?, state_changed_at = ?, modified = ? WHERE id = ?`, state, now, now, id); err != nil {
		return fmt.Errorf("set minutes state: %w", err)
	}
	if err := s.recordLedger(ctx, tx, ledgerScope{minutes: []int64{id}}); err != nil {
		return err
	}
	return tx.Commit()
}

// minutesWhere reads minutes without the policy.
func (s *Store) minutesWhere(ctx context.Context, where string, args ...any) ([]*Minutes, error) {
	out, err := queryAll(ctx, s.db, scanMinutes, `SELECT `+minutesColumns+` FROM minutes WHERE `+where+` ORDER BY public DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find minutes: %w", err)
	}
	return out, nil
}

const minutesColumns = `id, meeting_id, document_id, public, state, state_changed_at, created, modified`

// attachmentsAndMinutes reads, without the policy, the attachments where
// attWhere holds (ordered as attachments orders them) and the minutes
// where minWhere holds (as minutesWhere orders them), in one statement:
// the pages that need both (a meeting's folder, a document's links) ask
// PostgreSQL one round trip instead of two. args are attWhere's
// parameters, then minWhere's (plain `?`, in order). The two parts share
// columns: a minutes row leaves the attachment's own ones empty, an
// attachment row the minutes' state; the first column tells them apart.
func (s *Store) attachmentsAndMinutes(ctx context.Context, attWhere, minWhere string, args ...any) ([]*Attachment, []*Minutes, error) {
	l, err := s.readLinks(ctx, false, attWhere, minWhere, args...)
	return l.attachments, l.minutes, err
}

// links are attachments and minutes as readLinks reads them, with their
// documents' titles and current versions if it was asked for them.
type links struct {
	attachments []*Attachment
	minutes     []*Minutes
	current     currentDocs
}

// currentDocs are documents' titles and current versions (the newest
// active one; none if every version is withdrawn), by document id, as
// currentVersions reads them.
type currentDocs struct {
	titles   map[int64]string
	versions map[int64]*documents.Version
}

// noMinutes is readLinks' minWhere for attachments alone.
const noMinutes = `1 = 0`

// linkUnion is readLinks' two parts, attachments and minutes, with
// their shared columns.
const linkUnion = `SELECT 0 AS kind, ` + attachmentColumns + `, '', '', position AS k1, id AS k2 FROM attachments WHERE %s
		UNION ALL SELECT 1, id, document_id, 0, 0, meeting_id, '', '', public, 0, NULL, NULL, created, modified, state, state_changed_at, 1 - public, id
		FROM minutes WHERE %s`

// readLinks is attachmentsAndMinutes, and with current also the title and
// current version of every document they link (currentVersions, read in
// the same statement, a round trip fewer for a folder): the caller
// takes from them only those of the links the viewer may see.
// A caller that wants attachments alone gives noMinutes as minWhere.
func (s *Store) readLinks(ctx context.Context, current bool, attWhere, minWhere string, args ...any) (links, error) {
	var l links
	if err := sqldb.Each(ctx, s.db, linksQuery(&l, current, attWhere, minWhere, args...)); err != nil {
		return l, fmt.Errorf("find attachments and minutes: %w", err)
	}
	return l, nil
}

// linksQuery is readLinks' statement, for a batch: its Read fills l.
func linksQuery(l *links, current bool, attWhere, minWhere string, args ...any) sqldb.Query {
	q := fmt.Sprintf(linkUnion, attWhere, minWhere) + ` ORDER BY 1, 17, 18`
	if current {
		l.current = currentDocs{titles: map[int64]string{}, versions: map[int64]*documents.Version{}}
		q = `SELECT u.*, d.title, v.number, v.sha256, v.size, v.file_name, v.pages, v.state, v.created_at, v.state_changed_at
			FROM (` + fmt.Sprintf(linkUnion, attWhere, minWhere) + `) u
			JOIN documents d ON d.id = u.document_id
			LEFT JOIN versions v ON v.document_id = d.id AND v.state = 'active'
				AND v.number = (SELECT MAX(w.number) FROM versions w WHERE w.document_id = d.id AND w.state = 'active')
			ORDER BY u.kind, u.k1, u.k2`
	}
	return sqldb.Query{SQL: q, Args: args, Read: func(rows sqldb.Rows) error {
		for rows.Next() {
			var kind, key, id int64
			var a Attachment
			var pub int
			var late, wd sql.NullString
			var c, m, state, changed string
			dest := []any{&kind, &a.ID, &a.DocumentID, &a.AgendaItemID, &a.PaperID, &a.MeetingID, &a.Role, &a.Title, &pub, &a.Position,
				&late, &wd, &c, &m, &state, &changed, &key, &id}
			var title string
			var number, size, pages sql.NullInt64
			var sha, file, vstate, vcreated, vchanged sql.NullString
			if current {
				dest = append(dest, &title, &number, &sha, &size, &file, &pages, &vstate, &vcreated, &vchanged)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if current {
				l.current.titles[a.DocumentID] = title
				if number.Valid {
					l.current.versions[a.DocumentID] = &documents.Version{DocumentID: a.DocumentID, Number: int(number.Int64), SHA256: sha.String,
						Size: size.Int64, FileName: file.String, Pages: int(pages.Int64), State: vstate.String,
						Created: parseTS(vcreated.String), StateChanged: parseTS(vchanged.String)}
				}
			}
			if kind == 1 {
				l.minutes = append(l.minutes, &Minutes{ID: a.ID, MeetingID: a.MeetingID, DocumentID: a.DocumentID, Public: pub != 0, State: state,
					StateChanged: parseTS(changed), Created: parseTS(c), Modified: parseTS(m)})
				continue
			}
			a.Public = pub != 0
			a.LateAt, a.WithdrawnAt = parseNull(late), parseNull(wd)
			a.Created, a.Modified = parseTS(c), parseTS(m)
			l.attachments = append(l.attachments, &a)
		}
		return nil
	}}
}

func scanMinutes(sc interface{ Scan(...any) error }) (*Minutes, error) {
	var m Minutes
	var pub int
	var changed, c, mod string
	if err := sc.Scan(&m.ID, &m.MeetingID, &m.DocumentID, &pub, &m.State, &changed, &c, &mod); err != nil {
		return nil, err
	}
	m.Public = pub != 0
	m.StateChanged, m.Created, m.Modified = parseTS(changed), parseTS(c), parseTS(mod)
	return &m, nil
}

// FindMinutes returns the minutes of meeting meetingID that v may see,
// public part first. A meeting v may not see is ENOTFOUND.
func (s *Store) FindMinutes(ctx context.Context, v access.Viewer, meetingID int64) ([]*Minutes, error) {
	if _, err := s.FindMeetingByID(ctx, v, meetingID); err != nil {
		return nil, err
	}
	all, err := s.minutesWhere(ctx, "meeting_id = ?", meetingID)
	if err != nil {
		return nil, err
	}
	g, err := s.loadGraphFor(ctx, nil, all)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*Minutes
	for _, m := range all {
		if g.minutes(v, m, now) == access.Full {
			out = append(out, m)
		}
	}
	return out, nil
}
