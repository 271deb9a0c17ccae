package sessions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// meetingColumns are the columns scanMeeting reads from table meetings
// (unaliased), with the deputies seated in its running session: a fact of
// the visibility rule, read with the meeting wherever a meeting is read.
// The organization's name comes along, so that a page or a list that
// names each meeting's committee asks no second statement for it: on
// PostgreSQL a round trip per page.
const meetingColumns = `id, organization_id, name, start, "end", location, state, published_at, created, modified,
	` + meetingDeputies + `,
	COALESCE((SELECT o.name FROM organizations o WHERE o.id = meetings.organization_id), '')`

const meetingDeputies = `(SELECT json_group_array(d.person_id) FROM meeting_deputies d WHERE d.meeting_id = meetings.id)`

// meetingListFrom and meetingListColumns are meetingColumns for a list
// of meetings: the organization's name by a join rather than a subquery
// per row, which PostgreSQL ran for each of a list's 51 meetings (a list
// statement 0.2 → 0.5 ms, more than the round trip it saved); SQLite
// reads the organization by its key either way.
const (
	meetingListFrom    = `meetings LEFT JOIN organizations o ON o.id = meetings.organization_id`
	meetingListColumns = `meetings.id, meetings.organization_id, meetings.name, meetings.start, meetings."end", meetings.location,
	meetings.state, meetings.published_at, meetings.created, meetings.modified, ` + meetingDeputies + `, COALESCE(o.name, '')`
)

func scanMeeting(sc interface{ Scan(...any) error }) (*Meeting, error) {
	var m Meeting
	var start, end, c, mod, deputies string
	var pub sql.NullString
	if err := sc.Scan(&m.ID, &m.OrganizationID, &m.Name, &start, &end, &m.Location, &m.State, &pub, &c, &mod, &deputies, &m.OrganizationName); err != nil {
		return nil, err
	}
	// Most meetings have no deputies: a list of a hundred meetings need
	// not decode a hundred empty arrays.
	if deputies != "[]" {
		if err := json.Unmarshal([]byte(deputies), &m.Deputies); err != nil {
			return nil, fmt.Errorf("meeting %d: deputies: %w", m.ID, err)
		}
		slices.Sort(m.Deputies)
	}
	m.Start, m.PublishedAt = parseTS(start), parseNull(pub)
	if end != "" {
		m.End = parseTS(end)
	}
	m.Created, m.Modified = parseTS(c), parseTS(mod)
	return &m, nil
}

// CreateMeeting stores m as a draft (its PublishedAt is ignored; see
// PublishMeeting) and sets its ID. State defaults to MeetingPlanned. It
// returns EINVALID for a meeting without name or start, an end before the
// start or an unknown state, and ENOTFOUND for a missing organization.
func (s *Store) CreateMeeting(ctx context.Context, m *Meeting) error {
	if m.State == "" {
		m.State = MeetingPlanned
	}
	if err := validMeeting(m); err != nil {
		return err
	}
	now := s.now()
	end := ""
	if !m.End.IsZero() {
		end = ts(m.End)
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO meetings (organization_id, name, start, "end", location, state, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, m.OrganizationID, m.Name, ts(m.Start), end, m.Location, m.State, ts(now), ts(now)).Scan(&m.ID)
	if sqldb.IsForeignKey(err) {
		return notFound("Gremium")
	}
	if err != nil {
		return fmt.Errorf("create meeting: %w", err)
	}
	m.PublishedAt = time.Time{}
	m.Created, m.Modified = now, now
	return nil
}

func validMeeting(m *Meeting) error {
	switch m.State {
	case MeetingPlanned, MeetingInvited, MeetingHeld, MeetingCancelled:
	default:
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannter Sitzungsstatus %q.", m.State)
	}
	if strings.TrimSpace(m.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Sitzung braucht einen Namen.")
	}
	if m.Start.IsZero() {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Sitzung braucht einen Beginn.")
	}
	if !m.End.IsZero() && m.End.Before(m.Start) {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Das Ende der Sitzung liegt vor ihrem Beginn.")
	}
	return nil
}

// MeetingUpdate holds the fields of a meeting to change; nil fields stay.
// Publication has its own methods (PublishMeeting, UnpublishMeeting).
type MeetingUpdate struct {
	Name     *string
	Start    *time.Time
	End      *time.Time
	Location *string
	State    *string
}

// UpdateMeeting changes meeting id and returns it; ENOTFOUND if it does not
// exist, EINVALID as for CreateMeeting.
func (s *Store) UpdateMeeting(ctx context.Context, id int64, u MeetingUpdate) (*Meeting, error) {
	m, err := s.meeting(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Name != nil {
		m.Name = *u.Name
	}
	if u.Start != nil {
		m.Start = *u.Start
	}
	if u.End != nil {
		m.End = *u.End
	}
	if u.Location != nil {
		m.Location = *u.Location
	}
	if u.State != nil {
		m.State = *u.State
	}
	if err := validMeeting(m); err != nil {
		return nil, err
	}
	end := ""
	if !m.End.IsZero() {
		end = ts(m.End)
	}
	m.Modified = s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		// The location appears or disappears with its text.
		_, err := tx.ExecContext(ctx, `UPDATE meetings SET name = ?, start = ?, "end" = ?, location = ?, state = ?, modified = ? WHERE id = ?`,
			m.Name, ts(m.Start), end, m.Location, m.State, ts(m.Modified), id)
		return ledgerScope{meetings: []int64{id}}, err
	})
	if err != nil {
		return nil, fmt.Errorf("update meeting: %w", err)
	}
	return m, nil
}

// PublishMeeting makes the agenda of meeting id public at time at: zero
// means now, a time in the future is an embargo — until then the meeting
// exists only for staff, and nothing added meanwhile is marked late.
// Publishing again moves the time (also back into the future);
// UnpublishMeeting makes it a draft again. ENOTFOUND if there is no such
// meeting.
func (s *Store) PublishMeeting(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.setPublishedAt(ctx, "meetings", "Sitzung", id, ts(at))
}

// UnpublishMeeting makes the agenda of meeting id a draft again; items
// and attachments already marked late stay marked.
func (s *Store) UnpublishMeeting(ctx context.Context, id int64) error {
	return s.setPublishedAt(ctx, "meetings", "Sitzung", id, nil)
}

// setPublishedAt sets published_at (a time, or nil for "not published")
// of row id of table — meetings or papers, named what in errors.
func (s *Store) setPublishedAt(ctx context.Context, table, what string, id int64, v any) error {
	return s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET published_at = ?, modified = ? WHERE id = ?`, v, ts(s.now()), id)
		if err != nil {
			return ledgerScope{}, fmt.Errorf("publish %s %d: %w", table, id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ledgerScope{}, notFound(what)
		}
		if table == "papers" {
			return ledgerScope{papers: []int64{id}}, nil
		}
		return ledgerScope{meetings: []int64{id}}, nil
	})
}

// meeting reads a meeting without the policy (for internal use).
func (s *Store) meeting(ctx context.Context, id int64) (*Meeting, error) {
	m, err := scanMeeting(s.db.QueryRowContext(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Sitzung")
	}
	if err != nil {
		return nil, fmt.Errorf("find meeting: %w", err)
	}
	return m, nil
}

// FindMeetingByID returns meeting id if v may see it (MeetingAccess), else
// ENOTFOUND — the same error as for a meeting that does not exist. The
// rule's condition is part of the query, so that a refused id costs the
// same one indexed lookup as a missing one and answers by the same path
// ("no row"); the rule is asked again on the row, as everywhere.
func (s *Store) FindMeetingByID(ctx context.Context, v access.Viewer, id int64) (*Meeting, error) {
	now := s.now()
	vis, args := meetingVisible(v, now)
	m, err := scanMeeting(s.db.QueryRowContext(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = ?`+vis, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Sitzung")
	}
	if err != nil {
		return nil, fmt.Errorf("find meeting: %w", err)
	}
	if access.MeetingAccess(v, m.Facts(), now) == access.None {
		return nil, notFound("Sitzung")
	}
	return m, nil
}

// meetingVisible is MeetingAccess as an SQL condition on table meetings
// (" AND …", with its arguments): staff see every meeting, everyone else
// those whose agenda was published at or before now. Timestamps are
// stored in one fixed-width UTC layout (ts), so comparing the strings
// compares the times.
func meetingVisible(v access.Viewer, now time.Time) (string, []any) {
	if v.Staff() {
		return "", nil
	}
	return ` AND published_at IS NOT NULL AND published_at <= ?`, []any{ts(now)}
}

// MeetingCursor is a position in a list of meetings ordered by start and
// id: a page continues after (or, descending, before) it.
type MeetingCursor struct {
	Start time.Time
	ID    int64
}

// MeetingFilter selects meetings; zero fields do not filter.
type MeetingFilter struct {
	OrganizationID int64
	From, To       time.Time // start in [From, To)
	Descending     bool
	// After continues a list after this meeting in the list's order
	// (keyset pagination: a page costs the same wherever it is).
	After  *MeetingCursor
	Offset int // counted among the meetings the viewer sees
	Limit  int // 0: no limit
}

// FindMeetings returns the meetings matching f that v may see, by start
// time and id. The rule is part of the query (meetingVisible), so Offset,
// Limit and After count visible meetings only and pages are full; a page
// reads only its own rows.
func (s *Store) FindMeetings(ctx context.Context, v access.Viewer, f MeetingFilter) ([]*Meeting, error) {
	ls, err := s.FindMeetingLists(ctx, v, f)
	if err != nil {
		return nil, err
	}
	return ls[0], nil
}

// FindMeetingLists is FindMeetings for each of fs, the lists in the
// order of fs: a page that shows several lists (the upcoming and the
// past meetings) reads them in one round trip on PostgreSQL
// (sqldb.Batch).
func (s *Store) FindMeetingLists(ctx context.Context, v access.Viewer, fs ...MeetingFilter) ([][]*Meeting, error) {
	now := s.now()
	out := make([][]*Meeting, len(fs))
	qs := make([]sqldb.Query, len(fs))
	for i, f := range fs {
		q, args := findMeetingsQuery(v, f, now)
		qs[i] = sqldb.Query{SQL: q, Args: args, Read: func(rows sqldb.Rows) error {
			for rows.Next() {
				m, err := scanMeeting(rows)
				if err != nil {
					return err
				}
				// The query applied the rule; asking it again keeps one
				// decider.
				if access.MeetingAccess(v, m.Facts(), now) == access.None {
					continue
				}
				out[i] = append(out[i], m)
			}
			return nil
		}}
	}
	if err := sqldb.Batch(ctx, s.db, qs...); err != nil {
		return nil, fmt.Errorf("find meetings: %w", err)
	}
	return out, nil
}

// findMeetingsQuery is FindMeetings' SQL with its arguments. Its order
// (start, id) is the order of index meetings_start (SQLite's index holds
// the rowid, the id; PostgreSQL sorts the few rows of one start), and the
// cursor's row comparison bounds the index range, so that a page reads
// its own rows wherever it is in the list (TestMeetingPagePlan).
func findMeetingsQuery(v access.Viewer, f MeetingFilter, now time.Time) (string, []any) {
	vis, args := meetingVisible(v, now)
	q := `SELECT ` + meetingListColumns + ` FROM ` + meetingListFrom + ` WHERE 1=1` + vis
	if f.OrganizationID != 0 {
		q += ` AND meetings.organization_id = ?`
		args = append(args, f.OrganizationID)
	}
	if !f.From.IsZero() {
		q += ` AND meetings.start >= ?`
		args = append(args, ts(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND meetings.start < ?`
		args = append(args, ts(f.To))
	}
	if c := f.After; c != nil {
		if f.Descending {
			q += ` AND (meetings.start, meetings.id) < (?, ?)`
		} else {
			q += ` AND (meetings.start, meetings.id) > (?, ?)`
		}
		args = append(args, ts(c.Start), c.ID)
	}
	if f.Descending {
		q += ` ORDER BY meetings.start DESC, meetings.id DESC`
	} else {
		q += ` ORDER BY meetings.start, meetings.id`
	}
	if f.Limit > 0 || f.Offset > 0 {
		limit := f.Limit
		if limit <= 0 {
			limit = -1
		}
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, max(f.Offset, 0))
	}
	return q, args
}

// ---- agenda items ----

const itemColumns = `id, meeting_id, number, number_fixed, position, public, title, public_title, result, resolution, late_at, withdrawn_at, created, modified`

func scanItem(sc interface{ Scan(...any) error }) (*AgendaItem, error) {
	var it AgendaItem
	var pub, fixed int
	var late, wd sql.NullString
	var c, m string
	if err := sc.Scan(&it.ID, &it.MeetingID, &it.Number, &fixed, &it.Position, &pub, &it.Title, &it.PublicTitle, &it.Result, &it.Resolution, &late, &wd, &c, &m); err != nil {
		return nil, err
	}
	it.Public, it.NumberFixed = pub != 0, fixed != 0
	it.LateAt, it.WithdrawnAt = parseNull(late), parseNull(wd)
	it.Created, it.Modified = parseTS(c), parseTS(m)
	return &it, nil
}

// CreateAgendaItem appends it to its meeting's agenda and sets its ID,
// Position and Number. An item added once the agenda is published is
// marked late (nachgereicht) with the time (LateAt). Public is taken as
// given: its zero value, and so the default, is non-public; making an item
// public is a deliberate act of the caller.
//
// Without a Number the item is numbered automatically (the next "Ö n" or
// "N n", see ReorderAgenda). A Number other than that one is fixed by
// hand (NumberFixed), as is any Number when NumberFixed is set. It returns
// EINVALID without a title and ENOTFOUND for a missing meeting.
func (s *Store) CreateAgendaItem(ctx context.Context, it *AgendaItem) error {
	if strings.TrimSpace(it.Title) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Ein Tagesordnungspunkt braucht einen Titel.")
	}
	it.Number = strings.TrimSpace(it.Number)
	if it.Number == "" {
		it.NumberFixed = false
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var pub sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT published_at FROM meetings WHERE id = ?`, it.MeetingID).Scan(&pub); errors.Is(err, sql.ErrNoRows) {
		return notFound("Sitzung")
	} else if err != nil {
		return fmt.Errorf("create agenda item: %w", err)
	}
	now := s.now()
	it.LateAt = time.Time{}
	if p := parseNull(pub); !p.IsZero() && !now.Before(p) {
		it.LateAt = now
	}
	var auto int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1, COUNT(*) FILTER (WHERE public = ? AND number_fixed = 0) + 1
		FROM agenda_items WHERE meeting_id = ?`, b2i(it.Public), it.MeetingID).Scan(&it.Position, &auto); err != nil {
		return err
	}
	// Appended last, the item's automatic number is the next of its kind.
	if next := autoNumber(it.Public, auto); it.Number != next && it.Number != "" {
		it.NumberFixed = true
	} else if !it.NumberFixed {
		it.Number = next
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO agenda_items (meeting_id, number, number_fixed, position, public, title, public_title, result, resolution, late_at, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, it.MeetingID, it.Number, b2i(it.NumberFixed), it.Position, b2i(it.Public), it.Title, it.PublicTitle,
		it.Result, it.Resolution, nullTS(it.LateAt), ts(now), ts(now)).Scan(&it.ID)
	if err != nil {
		return fmt.Errorf("create agenda item: %w", err)
	}
	it.Created, it.Modified = now, now
	if err := s.renumber(ctx, tx, it.MeetingID); err != nil {
		return err
	}
	if err := s.recordLedger(ctx, tx, ledgerScope{meetings: []int64{it.MeetingID}}); err != nil {
		return err
	}
	return tx.Commit()
}

// AgendaItemUpdate holds the fields of an agenda item to change; nil fields
// stay.
type AgendaItemUpdate struct {
	Number *string
	// NumberFixed fixes the number by hand (true) or lets it follow the
	// order again (false). Without it, a changed Number is fixed by hand.
	NumberFixed *bool
	Title       *string
	PublicTitle *string
	Public      *bool
	Result      *string
	Resolution  *string
}

// UpdateAgendaItem changes item id and renumbers its agenda (a changed
// Public moves the item between the Ö and the N numbers); ENOTFOUND if it
// does not exist, EINVALID for an empty number or title.
func (s *Store) UpdateAgendaItem(ctx context.Context, id int64, u AgendaItemUpdate) error {
	var sets []string
	var args []any
	add := func(col string, v any) { sets = append(sets, col+" = ?"); args = append(args, v) }
	if u.Number != nil {
		if strings.TrimSpace(*u.Number) == "" {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Nummer darf nicht leer sein.")
		}
		n := strings.TrimSpace(*u.Number)
		add("number", n)
		if u.NumberFixed == nil {
			// Typing another number is fixing it by hand.
			sets = append(sets, "number_fixed = CASE WHEN number = ? THEN number_fixed ELSE 1 END")
			args = append(args, n)
		}
	}
	if u.NumberFixed != nil {
		add("number_fixed", b2i(*u.NumberFixed))
	}
	if u.Title != nil {
		if strings.TrimSpace(*u.Title) == "" {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "Der Titel darf nicht leer sein.")
		}
		add("title", *u.Title)
	}
	if u.PublicTitle != nil {
		add("public_title", *u.PublicTitle)
	}
	if u.Public != nil {
		add("public", b2i(*u.Public))
	}
	if u.Result != nil {
		add("result", *u.Result)
	}
	if u.Resolution != nil {
		add("resolution", *u.Resolution)
	}
	add("modified", ts(s.now()))
	args = append(args, id)
	return s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		res, err := tx.ExecContext(ctx, `UPDATE agenda_items SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
		if err != nil {
			return ledgerScope{}, fmt.Errorf("update agenda item: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ledgerScope{}, notFound("Tagesordnungspunkt")
		}
		sc, err := s.itemScope(ctx, tx, id)
		if err != nil {
			return sc, err
		}
		return sc, s.renumber(ctx, tx, sc.meetings[0])
	})
}

// itemScope is the ledger scope of a change to agenda item id: its
// meeting, whose papers and files follow the item.
func (s *Store) itemScope(ctx context.Context, tx *sql.Tx, id int64) (ledgerScope, error) {
	var mid int64
	if err := tx.QueryRowContext(ctx, `SELECT meeting_id FROM agenda_items WHERE id = ?`, id).Scan(&mid); err != nil {
		return ledgerScope{}, fmt.Errorf("ledger scope of item %d: %w", id, err)
	}
	return ledgerScope{meetings: []int64{mid}}, nil
}

// ReorderAgenda sets the order (Position) of meeting meetingID's items to
// the order of ids, which must name every item of the meeting exactly
// once, withdrawn ones included (else EINVALID), and renumbers the agenda:
// in the new order, the public items not fixed by hand are "Ö 1", "Ö 2",
// …, the non-public ones "N 1", "N 2", …. A withdrawn item keeps its place
// in the count, so that the numbers members noted do not shift; an item
// whose number is fixed by hand keeps it and takes no place in the count.
func (s *Store) ReorderAgenda(ctx context.Context, meetingID int64, ids []int64) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM agenda_items WHERE meeting_id = ?`, meetingID).Scan(&n); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	if n != len(ids) || len(seen) != len(ids) {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die neue Reihenfolge muss jeden Tagesordnungspunkt der Sitzung genau einmal enthalten.")
	}
	now := ts(s.now())
	for i, id := range ids {
		res, err := tx.ExecContext(ctx, `UPDATE agenda_items SET position = ?, modified = ? WHERE id = ? AND meeting_id = ?`, i+1, now, id, meetingID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "Tagesordnungspunkt %d gehört nicht zu dieser Sitzung.", id)
		}
	}
	if err := s.renumber(ctx, tx, meetingID); err != nil {
		return err
	}
	return tx.Commit()
}

// autoNumber is the automatic number of the k-th public or non-public
// item: "Ö k" or "N k".
func autoNumber(public bool, k int) string {
	if public {
		return fmt.Sprintf("Ö %d", k)
	}
	return fmt.Sprintf("N %d", k)
}

// renumber gives meeting meetingID's items not fixed by hand their
// automatic numbers in the agenda's order (see ReorderAgenda), in tx.
// Only items whose number changes are written.
func (s *Store) renumber(ctx context.Context, tx *sql.Tx, meetingID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, number, public FROM agenda_items
		WHERE meeting_id = ? AND number_fixed = 0 ORDER BY position, id`, meetingID)
	if err != nil {
		return fmt.Errorf("renumber agenda: %w", err)
	}
	type change struct {
		id     int64
		number string
	}
	var changes []change
	count := map[bool]int{}
	for rows.Next() {
		var id int64
		var number string
		var pub int
		if err := rows.Scan(&id, &number, &pub); err != nil {
			rows.Close()
			return fmt.Errorf("renumber agenda: %w", err)
		}
		count[pub != 0]++
		if want := autoNumber(pub != 0, count[pub != 0]); want != number {
			changes = append(changes, change{id, want})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("renumber agenda: %w", err)
	}
	now := ts(s.now())
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE agenda_items SET number = ?, modified = ? WHERE id = ?`, c.number, now, c.id); err != nil {
			return fmt.Errorf("renumber agenda: %w", err)
		}
	}
	return nil
}

// WithdrawAgendaItem takes item id off the agenda. It stays stored and
// staff still see it, marked by WithdrawnAt; for everyone else the item,
// its attachments and the papers seen only through it disappear.
// Withdrawing twice keeps the first time. ENOTFOUND if there is no such
// item.
func (s *Store) WithdrawAgendaItem(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		res, err := tx.ExecContext(ctx, `UPDATE agenda_items SET withdrawn_at = COALESCE(withdrawn_at, ?), modified = ? WHERE id = ?`,
			ts(s.now()), ts(s.now()), id)
		if err != nil {
			return ledgerScope{}, fmt.Errorf("withdraw agenda item: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ledgerScope{}, notFound("Tagesordnungspunkt")
		}
		return s.itemScope(ctx, tx, id)
	})
}

// AddExclusion records that person personID is excluded from agenda item
// itemID (Befangenheit), with a reason for the office. It takes effect for
// every read from the next one on: the item becomes a Stub for the person
// (if non-public), its attachments, papers consulted on it, non-public
// documents of its meeting and non-public minutes disappear for them.
// Adding an exclusion again updates the reason. It returns ENOTFOUND for a
// missing item or person.
func (s *Store) AddExclusion(ctx context.Context, itemID, personID int64, reason string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO exclusions (agenda_item_id, person_id, reason, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (agenda_item_id, person_id) DO UPDATE SET reason = excluded.reason`, itemID, personID, reason, ts(s.now()))
		return exclusionScope(itemID, personID, true), err
	})
	if sqldb.IsForeignKey(err) {
		return notFound("Tagesordnungspunkt oder Person")
	}
	if err != nil {
		return fmt.Errorf("add exclusion: %w", err)
	}
	return nil
}

// RemoveExclusion lifts an exclusion; lifting one that does not exist is
// not an error.
func (s *Store) RemoveExclusion(ctx context.Context, itemID, personID int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM exclusions WHERE agenda_item_id = ? AND person_id = ?`, itemID, personID)
		if err != nil {
			return ledgerScope{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ledgerScope{}, nil // nothing lifted, nothing to record
		}
		return exclusionScope(itemID, personID, false), nil
	})
	if err != nil {
		return fmt.Errorf("remove exclusion: %w", err)
	}
	return nil
}

// exclusionScope records an exclusion added or lifted. It changes no
// public state (the public never sees what an exclusion hides), only
// what a member may see; the row is for channels that follow members.
func exclusionScope(itemID, personID int64, added bool) ledgerScope {
	return ledgerScope{entries: []access.Entry{{Kind: access.KindExclusion,
		Object: access.Object{Type: access.ObjAgendaItem, ID: itemID}, PersonID: personID, Public: added}}}
}

// items reads the items of a meeting with their exclusions, unfiltered.
//
// Each item comes with its exclusions in the same statement (a round trip
// fewer per page on PostgreSQL): those recorded on it, and those that
// follow the matter (persons whose exclusion is recorded on another item
// consulting a paper that the item consults, in whatever meeting —
// docs/decisions.md), each a correlated subquery by the item's id, so
// that both read by index what the page's items need however many
// exclusions the archive holds (a subquery cannot be hashed over the
// whole table, as a join of the items' condition with exclusions was
// when PostgreSQL misjudged the number of items). Each list is sorted by
// person here, as the primary key read them before.
func (s *Store) items(ctx context.Context, where string, args ...any) ([]*AgendaItem, error) {
	var out []*AgendaItem
	if err := sqldb.Each(ctx, s.db, itemsQuery(&out, where, args...)); err != nil {
		return nil, fmt.Errorf("find agenda items: %w", err)
	}
	return out, nil
}

// itemsQuery is items' statement, for a batch: its Read appends the
// items to out.
func itemsQuery(out *[]*AgendaItem, where string, args ...any) sqldb.Query {
	return sqldb.Query{SQL: `SELECT ` + itemColumns + `,
			(SELECT json_group_array(e.person_id) FROM exclusions e WHERE e.agenda_item_id = agenda_items.id),
			(SELECT json_group_array(e.person_id) FROM consultations mine
				JOIN consultations other ON other.paper_id = mine.paper_id AND other.agenda_item_id <> mine.agenda_item_id
				JOIN exclusions e ON e.agenda_item_id = other.agenda_item_id
				WHERE mine.agenda_item_id = agenda_items.id)
		FROM agenda_items WHERE ` + where + ` ORDER BY meeting_id, position, id`, Args: args, Read: func(rows sqldb.Rows) error {
		for rows.Next() {
			var excluded, byMatter string
			it, err := scanItem(withExtra{rows, []any{&excluded, &byMatter}})
			if err != nil {
				return err
			}
			if it.Excluded, err = personList(excluded); err != nil {
				return fmt.Errorf("agenda item %d: exclusions: %w", it.ID, err)
			}
			matter, err := personList(byMatter)
			if err != nil {
				return fmt.Errorf("agenda item %d: exclusions by matter: %w", it.ID, err)
			}
			for i, p := range matter {
				if (i == 0 || matter[i-1] != p) && !slices.Contains(it.Excluded, p) {
					it.ExcludedByMatter = append(it.ExcludedByMatter, p)
				}
			}
			*out = append(*out, it)
		}
		return nil
	}}
}

// withExtra scans a row's leading columns into the destinations its
// Scan is given and the rest into extra, so that a scanner of a table's
// columns also reads a statement's added ones.
type withExtra struct {
	sc    interface{ Scan(...any) error }
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }

// personList decodes json_group_array's list of person ids, sorted; nil
// for the empty list (most items have no exclusions).
func personList(s string) ([]int64, error) {
	if s == "[]" || s == "" {
		return nil, nil
	}
	var ids []int64
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// FindAgenda returns the agenda of meeting id as v may see it: items in
// order, each Full or reduced to a Stub; items v may not see are left out.
// A meeting v may not see is ENOTFOUND.
func (s *Store) FindAgenda(ctx context.Context, v access.Viewer, meetingID int64) (*Meeting, []*AgendaItem, error) {
	m, err := s.FindMeetingByID(ctx, v, meetingID)
	if err != nil {
		return nil, nil, err
	}
	all, err := s.items(ctx, "meeting_id = ?", meetingID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	var out []*AgendaItem
	for _, it := range all {
		switch access.ItemAccess(v, it.Facts(m.Facts()), now) {
		case access.Full:
			it.Access = access.Full
			out = append(out, it)
		case access.Stub:
			out = append(out, it.stub())
		}
	}
	return m, out, nil
}

// FindAgendaItemByID returns item id as v may see it (Full or Stub), or
// ENOTFOUND; an item v cannot see at all is refused by the same single
// query that finds a missing id missing (itemCandidate).
func (s *Store) FindAgendaItemByID(ctx context.Context, v access.Viewer, id int64) (*AgendaItem, error) {
	if ok, err := s.itemCandidate(ctx, v, id); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("Tagesordnungspunkt")
	}
	its, err := s.items(ctx, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(its) == 0 {
		return nil, notFound("Tagesordnungspunkt")
	}
	it := its[0]
	m, err := s.meeting(ctx, it.MeetingID)
	if err != nil {
		return nil, err
	}
	switch access.ItemAccess(v, it.Facts(m.Facts()), s.now()) {
	case access.Full:
		it.Access = access.Full
		return it, nil
	case access.Stub:
		return it.stub(), nil
	}
	return nil, notFound("Tagesordnungspunkt")
}

// WithdrawnItemFor returns item id if it is withdrawn and v would see it
// in full were it not (its title, its meeting published to v, v not
// excluded from it); nil otherwise. A member who saw an item may be told
// it was withdrawn; one excluded from it may not.
func (s *Store) WithdrawnItemFor(ctx context.Context, v access.Viewer, id int64) (*AgendaItem, error) {
	g, err := s.loadGraph(ctx, nil, []int64{id}, nil)
	if err != nil {
		return nil, err
	}
	f, ok := g.itemFacts(id)
	if !ok || !f.Withdrawn {
		return nil, nil
	}
	f.Withdrawn = false
	if access.ItemAccess(v, f, s.now()) != access.Full {
		return nil, nil
	}
	its, err := s.items(ctx, "id = ?", id)
	if err != nil || len(its) == 0 {
		return nil, err
	}
	return its[0], nil
}
