package live

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// Store keeps the live session in the database of package sessions and
// reads meetings, agenda items (with their exclusions), memberships and
// persons through a sessions.Store. Its methods do not check roles or
// visibility: the web layer lets only staff change the session, lets a
// member cast only their own ballot, and filters what it shows through
// Snapshot.For. Every change wakes the meeting's followers on Hub.
type Store struct {
	db       *sql.DB
	sessions *sessions.Store
	now      func() time.Time
	hub      *Hub

	// counting guards tallies, the counts of open secret votes (see the
	// package doc), and tallied, closed and replaced whenever a count
	// grows.
	counting sync.Mutex
	tallies  map[int64]*Counts
	tallied  chan struct{}
	// cluster links the store to other server processes (Join); nil for
	// one process.
	cluster *cluster
	// mu guards snaps, the newest snapshot of each meeting, and reading,
	// the lock held while a meeting's snapshot is read.
	mu      sync.Mutex
	snaps   map[int64]*Snapshot
	reading map[int64]*sync.Mutex
}

// begin starts a write transaction holding the database's write lock
// (sessions.Store.BeginWrite): the live session's writes read the state
// they change — an open vote, a free seat, the speaker on the floor —
// and on PostgreSQL two of them would otherwise read the same state.
func (s *Store) begin(ctx context.Context) (*sql.Tx, error) { return s.sessions.BeginWrite(ctx) }

// staff is the viewer the store reads sessions' records as: everything.
var staff = access.Viewer{Role: access.RoleClerk}

// NewStore returns a Store on db (migrated by internal/schema) that reads
// the council's records through st. now is the clock, time.Now if nil.
func NewStore(db *sql.DB, st *sessions.Store, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, sessions: st, now: now, hub: NewHub(), tallies: map[int64]*Counts{}, tallied: make(chan struct{}), snaps: map[int64]*Snapshot{}, reading: map[int64]*sync.Mutex{}}
}

// Hub returns the hub that tells followers of a meeting about changes.
func (s *Store) Hub() *Hub { return s.hub }

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseNull(v sql.NullString) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, v.String)
	return t
}

func conflict(reason, de, en string, args ...any) error {
	return refusal(ratsmappe.ECONFLICT, reason, de, en, args...)
}

func forbidden(reason, de, en string) error {
	return &ratsmappe.Error{Code: ratsmappe.EFORBIDDEN, Reason: reason, Message: de, MessageEN: en}
}

func notFound(what string) error {
	return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "%s nicht gefunden.", what)
}

// ---- quorum rules ----

// SetQuorumRule sets the quorum rule of organization org; EINVALID for an
// invalid rule, ENOTFOUND for a missing organization.
func (s *Store) SetQuorumRule(ctx context.Context, org int64, q QuorumRule) error {
	if err := q.Validate(); err != nil {
		return err
	}
	if _, err := s.sessions.FindOrganizationByID(ctx, org); err != nil {
		return err
	}
	kind := q.Kind
	if kind == "" {
		kind = QuorumMajority
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO live_quorum_rules (organization_id, kind, number, statutory, modified) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (organization_id) DO UPDATE SET kind = excluded.kind, number = excluded.number, statutory = excluded.statutory, modified = excluded.modified`,
		org, kind, q.Number, q.Statutory, ts(s.now()))
	if err != nil {
		return fmt.Errorf("set quorum rule: %w", err)
	}
	return nil
}

// QuorumRuleOf returns the quorum rule of organization org: the zero rule
// (more than half of the members with voting right) unless one was set.
func (s *Store) QuorumRuleOf(ctx context.Context, org int64) (QuorumRule, error) {
	var q QuorumRule
	err := s.db.QueryRowContext(ctx, `SELECT kind, number, statutory FROM live_quorum_rules WHERE organization_id = ?`, org).Scan(&q.Kind, &q.Number, &q.Statutory)
	if errors.Is(err, sql.ErrNoRows) {
		return QuorumRule{Kind: QuorumMajority}, nil
	}
	if err != nil {
		return q, fmt.Errorf("quorum rule: %w", err)
	}
	return q, nil
}

// ---- the session ----

// Session is a meeting's live session.
type Session struct {
	MeetingID int64
	StartedAt time.Time // zero: not started
	EndedAt   time.Time // zero: not ended
	Current   int64     // the agenda item being discussed, 0 if none
}

// Running reports whether the session has started and not ended.
func (se Session) Running() bool { return !se.StartedAt.IsZero() && se.EndedAt.IsZero() }

func (s *Store) session(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, meeting int64) (Session, error) {
	se := Session{MeetingID: meeting}
	var start, end sql.NullString
	var cur sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT started_at, ended_at, current_item_id FROM live_sessions WHERE meeting_id = ?`, meeting).Scan(&start, &end, &cur)
	if errors.Is(err, sql.ErrNoRows) {
		return se, nil
	}
	if err != nil {
		return se, fmt.Errorf("live session: %w", err)
	}
	se.StartedAt, se.EndedAt, se.Current = parseNull(start), parseNull(end), cur.Int64
	return se, nil
}

// FindSession returns the live session of meeting id (not started if it
// never was); ENOTFOUND for a missing meeting.
func (s *Store) FindSession(ctx context.Context, id int64) (Session, error) {
	if _, err := s.sessions.FindMeetingByID(ctx, staff, id); err != nil {
		return Session{}, err
	}
	return s.session(ctx, s.db, id)
}

// Start starts the session of meeting id. ECONFLICT if it is running or
// has ended (a session is held once), ENOTFOUND for a missing meeting.
func (s *Store) Start(ctx context.Context, id int64) (Session, error) {
	se, err := s.FindSession(ctx, id)
	if err != nil {
		return se, err
	}
	switch {
	case se.Running():
		return se, conflict("running", "Die Sitzung läuft bereits.", "The session is running already.")
	case !se.EndedAt.IsZero():
		return se, conflict("ended", "Die Sitzung ist bereits beendet.", "The session has ended.")
	}
	se.StartedAt = s.now()
	err = s.inTx(ctx, id, func(tx *sql.Tx) error {
		// Started meanwhile (the check above was before the write lock)?
		if now, err := s.session(ctx, tx, id); err != nil || !now.StartedAt.IsZero() {
			return cmp.Or(err, conflict("running", "Die Sitzung läuft bereits.", "The session is running already."))
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO live_sessions (meeting_id, started_at, modified) VALUES (?, ?, ?)`, id, ts(se.StartedAt), ts(se.StartedAt))
		return err
	})
	if err != nil {
		return se, refusalOr(err, "start session")
	}
	s.hub.Publish(id)
	return se, nil
}

// End ends the running session of meeting id. ECONFLICT if it is not
// running or a vote is still open.
func (s *Store) End(ctx context.Context, id int64) (Session, error) {
	se, err := s.FindSession(ctx, id)
	if err != nil {
		return se, err
	}
	if !se.Running() {
		return se, notRunning()
	}
	se.EndedAt = s.now()
	err = s.inTx(ctx, id, func(tx *sql.Tx) error {
		// Under the write lock, so that no vote opens between the check
		// and the end.
		if open, err := openVotes(ctx, tx, id); err != nil || open {
			return cmp.Or(err, conflict("vote_open", "Es läuft noch eine Abstimmung; schließen Sie sie zuerst.", "A vote is still open; close it first."))
		}
		res, err := tx.ExecContext(ctx, `UPDATE live_sessions SET ended_at = ?, modified = ? WHERE meeting_id = ? AND ended_at IS NULL`, ts(se.EndedAt), ts(se.EndedAt), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notRunning()
		}
		return nil
	})
	if err != nil {
		return se, refusalOr(err, "end session")
	}
	s.hub.Publish(id)
	return se, nil
}

func notRunning() error {
	return conflict("not_running", "Die Sitzung läuft nicht.", "The session is not running.")
}

// refusalOr returns err as it is if it is a refusal (a *ratsmappe.Error),
// else wrapped with what failed.
func refusalOr(err error, what string) error {
	var e *ratsmappe.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// openVotes reports whether a vote of meeting is open.
func openVotes(ctx context.Context, tx *sql.Tx, meeting int64) (bool, error) {
	var open bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM live_votes v JOIN agenda_items a ON a.id = v.agenda_item_id
		WHERE a.meeting_id = ? AND v.state = 'open')`, meeting).Scan(&open)
	return open, err
}

// SetCurrentItem makes item the one being discussed in the running
// session of meeting id (0: none). EINVALID for an item of another
// meeting, ECONFLICT if the session is not running.
func (s *Store) SetCurrentItem(ctx context.Context, id, item int64) error {
	se, err := s.FindSession(ctx, id)
	if err != nil {
		return err
	}
	if !se.Running() {
		return notRunning()
	}
	var cur any
	if item != 0 {
		it, err := s.sessions.FindAgendaItemByID(ctx, staff, item)
		if err != nil || it.MeetingID != id {
			return invalid("wrong_item", "Der Tagesordnungspunkt gehört nicht zu dieser Sitzung.", "The agenda item is not on this meeting's agenda.")
		}
		cur = item
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE live_sessions SET current_item_id = ?, modified = ? WHERE meeting_id = ?`, cur, ts(s.now()), id); err != nil {
		return fmt.Errorf("current item: %w", err)
	}
	s.hub.Publish(id)
	return nil
}

// ---- attendance ----

// members returns the persons with voting right in the organization of
// meeting m at its date.
func (s *Store) members(ctx context.Context, m *sessions.Meeting) ([]int64, error) {
	ms, err := s.sessions.FindMemberships(ctx, 0, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	day := m.Start.In(berlin).Format("2006-01-02")
	var out []int64
	seen := map[int64]bool{}
	for _, ms := range ms {
		if !ms.VotingRight || seen[ms.PersonID] || (ms.StartDate != "" && ms.StartDate > day) || (ms.EndDate != "" && ms.EndDate < day) {
			continue
		}
		seen[ms.PersonID] = true
		out = append(out, ms.PersonID)
	}
	return out, nil
}

// meetingMembers returns meeting id (ENOTFOUND if missing) and its
// members with voting right (members).
func (s *Store) meetingMembers(ctx context.Context, id int64) (*sessions.Meeting, []int64, error) {
	m, err := s.sessions.FindMeetingByID(ctx, staff, id)
	if err != nil {
		return nil, nil, err
	}
	members, err := s.members(ctx, m)
	return m, members, err
}

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return l
}()

func (s *Store) attendees(ctx context.Context, meeting int64) ([]Attendee, error) {
	return attendees(ctx, s.db, meeting)
}

func attendees(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, meeting int64) ([]Attendee, error) {
	rows, err := q.QueryContext(ctx, `SELECT person_id, status, COALESCE(substitute_for, 0), COALESCE(arrived_at, ''), COALESCE(left_at, '')
		FROM live_attendance WHERE meeting_id = ? ORDER BY person_id`, meeting)
	if err != nil {
		return nil, fmt.Errorf("attendance: %w", err)
	}
	defer rows.Close()
	var out []Attendee
	for rows.Next() {
		var a Attendee
		if err := rows.Scan(&a.Person, &a.Status, &a.SubstituteFor, &a.ArrivedAt, &a.LeftAt); err != nil {
			return nil, fmt.Errorf("attendance: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetAttendance records a's attendance in meeting id. EINVALID for an
// unknown status, a deputy sitting for themselves or for someone without
// voting right in the body, or an unknown person; ECONFLICT if the seat a
// present person would take is taken (the member is present, or another
// deputy sits for them).
func (s *Store) SetAttendance(ctx context.Context, id int64, a Attendee) error {
	switch a.Status {
	case Present, Absent, Excused:
	default:
		return invalid("unknown_status", "Unbekannter Anwesenheitsstatus %q (present, absent, excused).", "Unknown attendance status %q (present, absent, excused).", a.Status)
	}
	m, err := s.sessions.FindMeetingByID(ctx, staff, id)
	if err != nil {
		return err
	}
	if _, err := s.sessions.FindPersonByID(ctx, a.Person); err != nil {
		return invalid("unknown_person", "Unbekannte Person %d.", "Unknown person %d.", a.Person)
	}
	members, err := s.members(ctx, m)
	if err != nil {
		return err
	}
	if a.SubstituteFor != 0 && (a.SubstituteFor == a.Person || !contains(members, a.SubstituteFor)) {
		return invalid("not_a_seat", "Eine Vertretung muss für ein stimmberechtigtes Mitglied des Gremiums sitzen, nicht für sich selbst.",
			"A deputy must sit for a member of the body with voting right, not for themselves.")
	}
	now := ts(s.now())
	var sub any
	if a.SubstituteFor != 0 {
		sub = a.SubstituteFor
	}
	arrived, left := any(nil), any(nil)
	if a.Status == Present {
		arrived = now
	} else {
		left = now
	}
	err = s.inTx(ctx, id, func(tx *sql.Tx) error {
		// Read under the write lock: two deputies recorded at once for
		// one member must not both take the seat.
		if err := seatFree(ctx, tx, id, a); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO live_attendance (meeting_id, person_id, status, substitute_for, arrived_at, left_at, modified)
		VALUES (?, ?, ?, ?, ?, NULL, ?)
		ON CONFLICT (meeting_id, person_id) DO UPDATE SET status = excluded.status, substitute_for = excluded.substitute_for,
			arrived_at = COALESCE(live_attendance.arrived_at, excluded.arrived_at),
			left_at = CASE WHEN live_attendance.status = 'present' AND excluded.status <> 'present' THEN ? ELSE live_attendance.left_at END,
			modified = excluded.modified`,
			id, a.Person, a.Status, sub, arrived, now, left)
		if err != nil {
			return err
		}
		// The office's record answers the person's check-in, if any.
		_, err = tx.ExecContext(ctx, `DELETE FROM live_checkins WHERE meeting_id = ? AND person_id = ?`, id, a.Person)
		return err
	})
	if err != nil {
		return refusalOr(err, "set attendance")
	}
	s.hub.Publish(id)
	return nil
}

// seatFree refuses (ECONFLICT "seat_taken") a's attendance as present if
// someone else holds the seat a would take in meeting.
func seatFree(ctx context.Context, tx *sql.Tx, meeting int64, a Attendee) error {
	if a.Status != Present {
		return nil
	}
	att, err := attendees(ctx, tx, meeting)
	if err != nil {
		return err
	}
	seat := a.Person
	if a.SubstituteFor != 0 {
		seat = a.SubstituteFor
	}
	for _, o := range att {
		if o.Person == a.Person || o.Status != Present {
			continue
		}
		if (o.SubstituteFor == 0 && o.Person == seat) || (o.SubstituteFor != 0 && o.SubstituteFor == seat) {
			return conflict("seat_taken", "Dieser Sitz ist bereits besetzt (das Mitglied ist anwesend oder wird schon vertreten).",
				"This seat is taken (the member is present or already has a deputy).")
		}
	}
	return nil
}

// checkins returns the check-ins of meeting not yet answered, by person.
func (s *Store) checkins(ctx context.Context, meeting int64) ([]Attendee, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, COALESCE(substitute_for, 0) FROM live_checkins WHERE meeting_id = ? ORDER BY person_id`, meeting)
	if err != nil {
		return nil, fmt.Errorf("check-ins: %w", err)
	}
	defer rows.Close()
	out := []Attendee{}
	for rows.Next() {
		a := Attendee{Status: Present}
		if err := rows.Scan(&a.Person, &a.SubstituteFor); err != nil {
			return nil, fmt.Errorf("check-ins: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// inTx runs fn, a change of meeting's session or attendance, in a write
// transaction (begin) that also records who then sits in the session as a
// deputy (seatDeputies), so that the change and the view it grants or
// ends commit together.
func (s *Store) inTx(ctx context.Context, meeting int64, fn func(tx *sql.Tx) error) error {
	_, members, err := s.meetingMembers(ctx, meeting)
	if err != nil {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := s.seatDeputies(ctx, tx, meeting, members); err != nil {
		return err
	}
	return tx.Commit()
}

// seatDeputies records in tx, as the visibility rule's fact
// (sessions.Store.SetDeputies), the deputies who hold a seat of members
// (Seats) in meeting's session while it runs — none before the start and
// after the end: a deputy sees the meeting as a member for the duration
// of the session only, and afterwards the minutes' ordinary path applies.
func (s *Store) seatDeputies(ctx context.Context, tx *sql.Tx, meeting int64, members []int64) error {
	se, err := s.session(ctx, tx, meeting)
	if err != nil {
		return err
	}
	var want []sessions.Deputy
	if se.Running() {
		att, err := attendees(ctx, tx, meeting)
		if err != nil {
			return err
		}
		for seat, sitter := range Seats(members, att) {
			if sitter != seat {
				want = append(want, sessions.Deputy{PersonID: sitter, ForPersonID: seat})
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i].PersonID < want[j].PersonID })
	}
	return s.sessions.SetDeputies(ctx, tx, meeting, want)
}

// CheckIn records that person asks, from their tablet, to be recorded
// present in meeting id — as deputy for the member substituteFor if not
// 0. It is a request for the office, which confirms it by recording the
// attendance (SetAttendance); until then it counts for nothing: not for
// the quorum, not for votes, not for a deputy's view. EINVALID
// ("not_a_seat") unless the person sits in a seat: their own as a member
// with voting right at the meeting's date, or that of such a member for
// whom they sit; ECONFLICT ("ended") after the session ended,
// ("already_present") for a person recorded present in that seat.
func (s *Store) CheckIn(ctx context.Context, id, person, substituteFor int64) error {
	_, members, err := s.meetingMembers(ctx, id)
	if err != nil {
		return err
	}
	seat := person
	if substituteFor != 0 {
		seat = substituteFor
	}
	if seat == person && substituteFor != 0 || !contains(members, seat) {
		return invalid("not_a_seat", "Sie können sich nur auf Ihren eigenen Sitz oder als Vertretung eines stimmberechtigten Mitglieds anmelden.",
			"You can check in only to your own seat or as the deputy of a member with voting right.")
	}
	se, err := s.session(ctx, s.db, id)
	if err != nil {
		return err
	}
	if !se.EndedAt.IsZero() {
		return conflict("ended", "Die Sitzung ist bereits beendet.", "The session has ended.")
	}
	att, err := s.attendees(ctx, id)
	if err != nil {
		return err
	}
	for _, a := range att {
		if a.Person == person && a.Status == Present && a.SubstituteFor == substituteFor {
			return conflict("already_present", "Sie sind bereits als anwesend erfasst.", "You are recorded present already.")
		}
	}
	var sub any
	if substituteFor != 0 {
		sub = substituteFor
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO live_checkins (meeting_id, person_id, substitute_for, requested_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (meeting_id, person_id) DO UPDATE SET substitute_for = excluded.substitute_for, requested_at = excluded.requested_at`,
		id, person, sub, ts(s.now()))
	if err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	s.hub.Publish(id)
	return nil
}

// AttendanceState is who attends a meeting and whether it is quorate.
type AttendanceState struct {
	Attendees []Attendee  `json:"attendees"`
	Members   []int64     `json:"members"` // persons with voting right
	Quorum    QuorumState `json:"quorum"`
	// CheckIns are the check-ins from tablets the office has not yet
	// answered (Status "present" each): requests, not attendance.
	CheckIns []Attendee `json:"checkins"`
}

// Attendance returns the attendance of meeting id and its quorum.
func (s *Store) Attendance(ctx context.Context, id int64) (*AttendanceState, error) {
	m, err := s.sessions.FindMeetingByID(ctx, staff, id)
	if err != nil {
		return nil, err
	}
	return s.attendance(ctx, m)
}

func (s *Store) attendance(ctx context.Context, m *sessions.Meeting) (*AttendanceState, error) {
	members, err := s.members(ctx, m)
	if err != nil {
		return nil, err
	}
	att, err := s.attendees(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	q, err := s.QuorumRuleOf(ctx, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	if att == nil {
		att = []Attendee{}
	}
	if members == nil {
		members = []int64{}
	}
	checkins, err := s.checkins(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	return &AttendanceState{Attendees: att, Members: members, Quorum: Quorum(q, len(members), len(Seats(members, att))), CheckIns: checkins}, nil
}

// ---- votes ----

// Vote is a vote on an agenda item.
type Vote struct {
	ID        int64     `json:"id"`
	ItemID    int64     `json:"item"`
	MeetingID int64     `json:"meeting"`
	Kind      string    `json:"kind"`
	Rule      string    `json:"rule"`
	State     string    `json:"state"` // "open" or "closed"
	Entitled  int       `json:"entitled"`
	Statutory int       `json:"statutory"`
	Voted     int       `json:"voted"` // ballots cast (while open)
	OpenedAt  time.Time `json:"opened_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	// QuorumReason is why the office opened the vote without quorum.
	QuorumReason string  `json:"quorum_reason,omitempty"`
	Result       *Result `json:"result,omitempty"` // the newest version, once closed
}

// Result is one version of a vote's result.
type Result struct {
	Version int `json:"version"`
	Counts
	Adopted  bool          `json:"adopted"`
	ByHand   bool          `json:"by_hand"`          // counted by the office, not from ballots
	Named    []NamedChoice `json:"named"`            // the roll call of a named vote; empty otherwise
	Excluded []int64       `json:"excluded"`         // did not take part: excluded from the item
	Reason   string        `json:"reason,omitempty"` // why a correction was made
	Created  time.Time     `json:"created"`
}

// NamedChoice is one member's choice in a named vote.
type NamedChoice struct {
	Person int64  `json:"person"`
	Seat   int64  `json:"seat"` // the member whose seat voted: Person, or the member a deputy sat for
	Choice string `json:"choice"`
}

// Vote states.
const (
	StateOpen   = "open"
	StateClosed = "closed"
)

// OpenVote opens a vote of kind under rule on agenda item item. The
// session must be running (ECONFLICT "not_running"), no other vote of the
// meeting open (ECONFLICT "vote_open"), and the body quorate for the item
// — the seats whose holder is not excluded from it — unless reason says
// why the office proceeds without quorum (ECONFLICT "no_quorum").
func (s *Store) OpenVote(ctx context.Context, item int64, kind, rule, reason string) (*Vote, error) {
	if err := ValidKind(kind); err != nil {
		return nil, err
	}
	if err := ValidRule(rule); err != nil {
		return nil, err
	}
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, item)
	if err != nil {
		return nil, err
	}
	if it.Withdrawn() {
		return nil, conflict("withdrawn", "Der Tagesordnungspunkt ist abgesetzt.", "The agenda item is withdrawn.")
	}
	m, err := s.sessions.FindMeetingByID(ctx, staff, it.MeetingID)
	if err != nil {
		return nil, err
	}
	se, err := s.session(ctx, s.db, m.ID)
	if err != nil {
		return nil, err
	}
	if !se.Running() {
		return nil, notRunning()
	}
	st, err := s.attendance(ctx, m)
	if err != nil {
		return nil, err
	}
	voters := Voters(Seats(st.Members, st.Attendees), itemExcluded(it))
	q, err := s.QuorumRuleOf(ctx, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	quorum := Quorum(q, len(st.Members), len(voters))
	reason = strings.TrimSpace(reason)
	if quorum.Reached {
		reason = ""
	} else if reason == "" {
		return nil, conflict("no_quorum", "Das Gremium ist für diesen Punkt nicht beschlussfähig (%d von %d nötigen Sitzen). Eine Abstimmung ohne Beschlussfähigkeit braucht eine Begründung.",
			"The body is not quorate for this item (%d of %d seats needed). A vote without quorum needs a reason.", quorum.Present, quorum.Required)
	}
	if len(reason) > 2000 {
		return nil, invalid("too_long", "Die Begründung ist zu lang (höchstens 2000 Zeichen).", "The reason is too long (2000 characters at most).")
	}
	v := &Vote{ItemID: item, MeetingID: m.ID, Kind: kind, Rule: rule, State: StateOpen, Entitled: len(voters),
		Statutory: quorum.Statutory, OpenedAt: s.now(), QuorumReason: reason}
	// Under the write lock: two votes opened at once must not both find
	// none open.
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if open, err := openVotes(ctx, tx, m.ID); err != nil || open {
		return nil, refusalOr(cmp.Or(err, conflict("vote_open", "Es läuft bereits eine Abstimmung in dieser Sitzung.", "A vote is already open in this session.")), "open vote")
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO live_votes (agenda_item_id, kind, rule, state, quorum_reason, entitled, statutory, opened_at)
		VALUES (?, ?, ?, 'open', ?, ?, ?, ?) RETURNING id`, item, kind, rule, reason, v.Entitled, v.Statutory, ts(v.OpenedAt)).Scan(&v.ID); err != nil {
		return nil, fmt.Errorf("open vote: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("open vote: %w", err)
	}
	if kind == Secret {
		s.counting.Lock()
		if s.tallies[v.ID] == nil { // joined, a first ballot may be here already
			s.tallies[v.ID] = &Counts{}
		}
		s.counting.Unlock()
	}
	s.hub.Publish(m.ID)
	return v, nil
}

func itemExcluded(it *sessions.AgendaItem) []int64 {
	return append(append([]int64{}, it.Excluded...), it.ExcludedByMatter...)
}

const voteColumns = `v.id, v.agenda_item_id, a.meeting_id, v.kind, v.rule, v.state, v.quorum_reason, v.entitled, v.statutory, v.opened_at, v.closed_at`

func scanVote(sc interface{ Scan(...any) error }) (*Vote, error) {
	var v Vote
	var opened string
	var closed sql.NullString
	if err := sc.Scan(&v.ID, &v.ItemID, &v.MeetingID, &v.Kind, &v.Rule, &v.State, &v.QuorumReason, &v.Entitled, &v.Statutory, &opened, &closed); err != nil {
		return nil, err
	}
	v.OpenedAt, _ = time.Parse(time.RFC3339Nano, opened)
	v.ClosedAt = parseNull(closed)
	return &v, nil
}

// FindVoteByID returns vote id with its newest result and, while open,
// the number of ballots cast; ENOTFOUND if there is none.
func (s *Store) FindVoteByID(ctx context.Context, id int64) (*Vote, error) {
	vs, err := s.votes(ctx, `v.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, notFound("Abstimmung")
	}
	return vs[0], nil
}

// FindVotes returns the votes on agenda item item, oldest first.
func (s *Store) FindVotes(ctx context.Context, item int64) ([]*Vote, error) {
	return s.votes(ctx, `v.agenda_item_id = ?`, item)
}

// FindVotesOfMeetings returns the votes on the agenda items of the
// meetings ids, by item, each item's oldest first: what FindVotes answers
// for every item of the meetings, in a few queries whatever their number
// (OParl's pages embed the votes of every item they show).
func (s *Store) FindVotesOfMeetings(ctx context.Context, ids []int64) (map[int64][]*Vote, error) {
	if ids == nil {
		ids = []int64{}
	}
	list, _ := json.Marshal(ids)
	// json_each of a text parameter: one parameter for any number of ids
	// (on PostgreSQL, the function of package sessions' migrations).
	vs, err := s.votes(ctx, `a.meeting_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	out := map[int64][]*Vote{}
	for _, v := range vs {
		out[v.ItemID] = append(out[v.ItemID], v)
	}
	return out, nil
}

func (s *Store) votes(ctx context.Context, where string, args ...any) ([]*Vote, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+voteColumns+` FROM live_votes v JOIN agenda_items a ON a.id = v.agenda_item_id WHERE `+where+` ORDER BY v.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find votes: %w", err)
	}
	var out []*Vote
	for rows.Next() {
		v, err := scanVote(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("find votes: %w", err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find votes: %w", err)
	}
	byID := map[int64]*Vote{}
	for _, v := range out {
		byID[v.ID] = v
		if v.State == StateOpen {
			table := "live_ballots"
			if v.Kind == Secret {
				table = "live_voted"
			}
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE vote_id = ?`, v.ID).Scan(&v.Voted); err != nil {
				return nil, fmt.Errorf("find votes: %w", err)
			}
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	// The newest result of every vote, in one query.
	rows, err = s.db.QueryContext(ctx, `SELECT r.vote_id, `+prefixed("r.", resultColumns)+` FROM live_votes v
		JOIN agenda_items a ON a.id = v.agenda_item_id
		JOIN live_results r ON r.vote_id = v.id AND r.version = (SELECT MAX(version) FROM live_results WHERE vote_id = v.id)
		WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("find votes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		r, err := scanResult(withID{&id, rows})
		if err != nil {
			return nil, err
		}
		if v := byID[id]; v != nil {
			v.Result = r
		}
	}
	return out, rows.Err()
}

// withID scans a leading id column into id and the rest with a scanner
// of the remaining columns.
type withID struct {
	id *int64
	sc interface{ Scan(...any) error }
}

func (w withID) Scan(dest ...any) error { return w.sc.Scan(append([]any{w.id}, dest...)...) }

// prefixed qualifies each of the comma-separated columns with alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}

const resultColumns = `version, yes, no, abstain, adopted, by_hand, named, excluded, reason, created`

func scanResult(sc interface{ Scan(...any) error }) (*Result, error) {
	var r Result
	var adopted, hand int
	var named, excluded, created string
	if err := sc.Scan(&r.Version, &r.Yes, &r.No, &r.Abstain, &adopted, &hand, &named, &excluded, &r.Reason, &created); err != nil {
		return nil, fmt.Errorf("vote result: %w", err)
	}
	r.Adopted, r.ByHand = adopted != 0, hand != 0
	r.Created, _ = time.Parse(time.RFC3339Nano, created)
	if err := json.Unmarshal([]byte(named), &r.Named); err != nil {
		return nil, fmt.Errorf("vote result: %w", err)
	}
	if err := json.Unmarshal([]byte(excluded), &r.Excluded); err != nil {
		return nil, fmt.Errorf("vote result: %w", err)
	}
	return &r, nil
}

// FindResults returns every version of vote id's result, oldest first.
func (s *Store) FindResults(ctx context.Context, id int64) ([]*Result, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+resultColumns+` FROM live_results WHERE vote_id = ? ORDER BY version`, id)
	if err != nil {
		return nil, fmt.Errorf("vote results: %w", err)
	}
	defer rows.Close()
	var out []*Result
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// voteContext is what deciding on a ballot or a closing needs.
type voteContext struct {
	vote     *Vote
	item     *sessions.AgendaItem
	members  []int64
	voters   map[int64]int64 // voter → seat
	excluded []int64         // persons excluded from the item who hold or attend a seat
}

func (s *Store) voteContext(ctx context.Context, id int64) (*voteContext, error) {
	v, err := s.FindVoteByID(ctx, id)
	if err != nil {
		return nil, err
	}
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, v.ItemID)
	if err != nil {
		return nil, err
	}
	m, err := s.sessions.FindMeetingByID(ctx, staff, v.MeetingID)
	if err != nil {
		return nil, err
	}
	st, err := s.attendance(ctx, m)
	if err != nil {
		return nil, err
	}
	ex := itemExcluded(it)
	vc := &voteContext{vote: v, item: it, members: st.Members, voters: Voters(Seats(st.Members, st.Attendees), ex), excluded: []int64{}}
	present := map[int64]bool{}
	for _, a := range st.Attendees {
		present[a.Person] = a.Status == Present
	}
	for _, p := range ex {
		if (contains(st.Members, p) || present[p]) && !contains(vc.excluded, p) {
			vc.excluded = append(vc.excluded, p)
		}
	}
	sort.Slice(vc.excluded, func(i, j int) bool { return vc.excluded[i] < vc.excluded[j] })
	return vc, nil
}

// ErrExcluded refuses the ballot of a person excluded from the item
// (Befangenheit).
var ErrExcluded = forbidden("excluded", "Sie sind von diesem Tagesordnungspunkt ausgeschlossen (Befangenheit) und nehmen an der Abstimmung nicht teil.",
	"You are excluded from this agenda item (conflict of interest) and do not take part in the vote.")

// Excluded reports whether person is excluded from the item of vote id.
func (s *Store) Excluded(ctx context.Context, id, person int64) (bool, error) {
	v, err := s.FindVoteByID(ctx, id)
	if err != nil {
		return false, err
	}
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, v.ItemID)
	if err != nil {
		return false, err
	}
	return contains(itemExcluded(it), person), nil
}

// Ballot casts person's choice in open vote id. EFORBIDDEN "excluded" for
// a person excluded from the item, EFORBIDDEN "not_entitled" for one who
// does not sit in a seat of the body now; ECONFLICT "vote_closed" once
// the vote is closed, "not_running" if the session is not, and
// "already_voted" for a second ballot in a secret vote (an open or named
// ballot may be changed while the vote is open). A secret ballot is
// counted in memory only; see the package doc.
func (s *Store) Ballot(ctx context.Context, id, person int64, choice string) error {
	if err := ValidChoice(choice); err != nil {
		return err
	}
	vc, err := s.voteContext(ctx, id)
	if err != nil {
		return err
	}
	v := vc.vote
	if contains(itemExcluded(vc.item), person) {
		return ErrExcluded
	}
	if v.State != StateOpen {
		return conflict("vote_closed", "Die Abstimmung ist geschlossen.", "The vote is closed.")
	}
	se, err := s.session(ctx, s.db, v.MeetingID)
	if err != nil {
		return err
	}
	if !se.Running() {
		return notRunning()
	}
	seat, ok := vc.voters[person]
	if !ok {
		return forbidden("not_entitled", "Sie sind in dieser Sitzung nicht als stimmberechtigtes Mitglied anwesend.",
			"You are not present as a member with voting right in this session.")
	}
	if v.Kind == Secret {
		if err := s.secretBallot(ctx, id, person, choice); err != nil {
			return err
		}
	} else {
		// The ballot row exists only for open and named votes.
		err := s.ballotTx(ctx, id, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO live_ballots (vote_id, person_id, seat_id, choice) VALUES (?, ?, ?, ?)
			ON CONFLICT (vote_id, person_id) DO UPDATE SET seat_id = excluded.seat_id, choice = excluded.choice`, id, person, seat, choice)
			return err
		})
		if err != nil {
			return refusalOr(err, "ballot")
		}
	}
	s.hub.Publish(v.MeetingID)
	return nil
}

// ballotTx runs fn, the write of a ballot into vote id, in a write
// transaction (begin) if the vote is still open then (ECONFLICT
// "vote_closed" if not): a closing, which takes the same lock, counts
// every ballot committed before it, and none commits after it.
func (s *Store) ballotTx(ctx context.Context, id int64, fn func(tx *sql.Tx) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM live_votes WHERE id = ?`, id).Scan(&state); err != nil {
		return err
	}
	if state != StateOpen {
		return conflict("vote_closed", "Die Abstimmung ist geschlossen.", "The vote is closed.")
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// secretBallot records that person voted in secret vote id and then
// counts choice (count): in this process's memory, or — joined with other
// server processes (Join) — in every process's. The count follows the
// record's commit, so a closing, which counts the records under the write
// lock, waits for it (secretCounts).
func (s *Store) secretBallot(ctx context.Context, id, person int64, choice string) error {
	err := s.ballotTx(ctx, id, func(tx *sql.Tx) error {
		// The vote is open (ballotTx). Alone, a process without its count
		// restarted; joined, the count may be complete elsewhere.
		if s.cluster == nil && !s.hasTally(id) {
			return conflict("tally_lost", "Die Zählung dieser geheimen Abstimmung ist verloren (Neustart des Servers). Das Ratsbüro gibt das Ergebnis von Hand ein oder wiederholt die Abstimmung.",
				"The count of this secret vote is lost (the server restarted). The office enters the result by hand or repeats the vote.")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO live_voted (vote_id, person_id) VALUES (?, ?) ON CONFLICT (vote_id, person_id) DO NOTHING`, id, person)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return conflict("already_voted", "Sie haben in dieser geheimen Abstimmung bereits abgestimmt.", "You have voted in this secret vote already.")
		}
		return nil
	})
	if err != nil {
		return refusalOr(err, "secret ballot")
	}
	return s.count(ctx, id, choice)
}

// Close closes open vote id and stores its result as version 1. Counts
// come from the ballots, or from hand if not nil (a show of hands, paper
// ballots): then they must be counts of at most the members entitled to
// vote now, and a named vote refuses them (EINVALID). A secret vote whose
// count in memory was lost refuses to close without hand counts
// (ECONFLICT "tally_lost"). ECONFLICT "vote_closed" if it is closed.
func (s *Store) Close(ctx context.Context, id int64, hand *Counts) (*Vote, error) {
	vc, err := s.voteContext(ctx, id)
	if err != nil {
		return nil, err
	}
	v := vc.vote
	if v.State != StateOpen {
		return nil, conflict("vote_closed", "Die Abstimmung ist bereits geschlossen.", "The vote is closed already.")
	}
	r := &Result{Version: 1, Excluded: vc.excluded, Named: []NamedChoice{}, Created: s.now()}
	if hand != nil {
		if v.Kind == Named {
			return nil, invalid("named_by_hand", "Eine namentliche Abstimmung wird aus den Stimmen der Mitglieder gezählt, nicht von Hand.", "A named vote is counted from the members' ballots, not by hand.")
		}
		if err := validCounts(*hand, max(len(vc.voters), v.Entitled)); err != nil {
			return nil, err
		}
		r.Counts, r.ByHand = *hand, true
	}
	// The choices of secret ballots cast in other processes may still be
	// on their way: they are waited for (until deadline) before the write
	// lock, and what is left of that time under it (secretCounts).
	deadline := time.Now().Add(tallyWait)
	if hand == nil && v.Kind == Secret {
		if err := s.settle(ctx, id, deadline); err != nil {
			return nil, fmt.Errorf("close vote: %w", err)
		}
	}
	// The count is taken in the closing's transaction, after the vote's
	// state changed under the write lock: every ballot that committed
	// is counted, none comes later (ballotTx).
	count := func(tx *sql.Tx) error {
		switch {
		case hand != nil:
		case v.Kind == Secret:
			c, err := s.secretCounts(ctx, tx, id, deadline)
			if err != nil {
				return err
			}
			r.Counts = c
		default:
			rows, err := tx.QueryContext(ctx, `SELECT person_id, seat_id, choice FROM live_ballots WHERE vote_id = ? ORDER BY person_id`, id)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var c NamedChoice
				if err := rows.Scan(&c.Person, &c.Seat, &c.Choice); err != nil {
					return err
				}
				r.Counts.Add(c.Choice)
				if v.Kind == Named {
					r.Named = append(r.Named, c)
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		r.Adopted = Adopted(v.Rule, r.Counts, v.Statutory)
		return nil
	}
	if err := s.writeResult(ctx, id, r, count); err != nil {
		return nil, refusalOr(err, "close vote")
	}
	s.dropTally(ctx, id)
	v.State, v.ClosedAt, v.Result, v.Voted = StateClosed, r.Created, r, 0
	s.hub.Publish(v.MeetingID) // the live view shows the vote's record, not the item's text
	if err := s.recordOnItem(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

func validCounts(c Counts, most int) error {
	if c.Yes < 0 || c.No < 0 || c.Abstain < 0 {
		return invalid("negative", "Stimmenzahlen dürfen nicht negativ sein.", "Counts must not be negative.")
	}
	if c.Total() > most {
		return invalid("too_many", "Mehr Stimmen (%d) als stimmberechtigte Mitglieder (%d).", "More votes (%d) than members entitled to vote (%d).", c.Total(), most)
	}
	return nil
}

// writeResult stores r as a version of vote id's result in a write
// transaction (begin). If count is not nil, it closes the vote first and
// then lets count fill in r's counts in that transaction; else r is a
// correction, stored as the next version.
func (s *Store) writeResult(ctx context.Context, id int64, r *Result, count func(tx *sql.Tx) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if count != nil {
		res, err := tx.ExecContext(ctx, `UPDATE live_votes SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'`, ts(r.Created), id)
		if err != nil {
			return fmt.Errorf("close vote: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("vote_closed", "Die Abstimmung ist bereits geschlossen.", "The vote is closed already.")
		}
		if err := count(tx); err != nil {
			return err
		}
	} else if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM live_results WHERE vote_id = ?`, id).Scan(&r.Version); err != nil {
		return fmt.Errorf("correct vote: %w", err)
	}
	named, _ := json.Marshal(r.Named)
	excluded, _ := json.Marshal(r.Excluded)
	if _, err := tx.ExecContext(ctx, `INSERT INTO live_results (vote_id, version, yes, no, abstain, adopted, by_hand, named, excluded, reason, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, r.Version, r.Yes, r.No, r.Abstain, b2i(r.Adopted), b2i(r.ByHand), string(named), string(excluded), r.Reason, ts(r.Created)); err != nil {
		return fmt.Errorf("vote result: %w", err)
	}
	return tx.Commit()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// recordOnItem writes the result in words on the agenda item (OParl's
// result), so that every channel that shows the item shows it.
func (s *Store) recordOnItem(ctx context.Context, v *Vote) error {
	text := ResultText(v)
	return s.sessions.UpdateAgendaItem(ctx, v.ItemID, sessions.AgendaItemUpdate{Result: &text})
}

// ResultText is a closed vote's result in words, e.g. "angenommen (Ja: 12,
// Nein: 3, Enthaltung: 1)".
func ResultText(v *Vote) string {
	if v.Result == nil {
		return ""
	}
	word := "abgelehnt"
	if v.Result.Adopted {
		word = "angenommen"
	}
	return fmt.Sprintf("%s (Ja: %d, Nein: %d, Enthaltung: %d)", word, v.Result.Yes, v.Result.No, v.Result.Abstain)
}

// Correction is a corrected result of a closed vote: its counts, or for a
// named vote its roll call (the counts follow from it), and why.
type Correction struct {
	Counts *Counts
	Named  []NamedChoice
	Reason string
}

// Correct stores c as a new version of closed vote id's result. EINVALID
// without a reason, with counts for a named vote or a roll call for
// another, or with impossible counts; ECONFLICT while the vote is open.
func (s *Store) Correct(ctx context.Context, id int64, c Correction) (*Vote, error) {
	vc, err := s.voteContext(ctx, id)
	if err != nil {
		return nil, err
	}
	v := vc.vote
	if v.State != StateClosed {
		return nil, conflict("vote_open", "Eine offene Abstimmung wird geschlossen, nicht berichtigt.", "An open vote is closed, not corrected.")
	}
	c.Reason = strings.TrimSpace(c.Reason)
	if c.Reason == "" || len(c.Reason) > 2000 {
		return nil, invalid("no_reason", "Eine Berichtigung braucht eine Begründung (höchstens 2000 Zeichen).", "A correction needs a reason (2000 characters at most).")
	}
	r := &Result{Excluded: v.Result.Excluded, Named: []NamedChoice{}, Reason: c.Reason, Created: s.now(), ByHand: true}
	switch {
	case v.Kind == Named:
		if c.Counts != nil || len(c.Named) == 0 {
			return nil, invalid("named_roll_call", "Eine namentliche Abstimmung wird über die Stimmen der Mitglieder berichtigt (named).", "A named vote is corrected through the members' choices (named).")
		}
		seen := map[int64]bool{}
		for _, n := range c.Named {
			if err := ValidChoice(n.Choice); err != nil {
				return nil, err
			}
			if seen[n.Person] || contains(v.Result.Excluded, n.Person) || (!contains(vc.members, n.Seat)) {
				return nil, invalid("bad_roll_call", "Die namentliche Liste nennt eine Person doppelt, eine ausgeschlossene Person oder keinen Sitz des Gremiums.",
					"The roll call names a person twice, an excluded person, or no seat of the body.")
			}
			seen[n.Person] = true
			r.Counts.Add(n.Choice)
			r.Named = append(r.Named, n)
		}
		sort.Slice(r.Named, func(i, j int) bool { return r.Named[i].Person < r.Named[j].Person })
	case c.Counts == nil || len(c.Named) > 0:
		return nil, invalid("counts", "Eine Berichtigung nennt die Stimmenzahlen (yes, no, abstain).", "A correction gives the counts (yes, no, abstain).")
	default:
		if err := validCounts(*c.Counts, max(v.Statutory, len(vc.members))); err != nil {
			return nil, err
		}
		r.Counts = *c.Counts
	}
	r.Adopted = Adopted(v.Rule, r.Counts, v.Statutory)
	if err := s.writeResult(ctx, id, r, nil); err != nil {
		return nil, err
	}
	v.Result = r
	s.hub.Publish(v.MeetingID)
	if err := s.recordOnItem(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}
