package live

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// Speaker is a request to speak on an agenda item, or a speech.
type Speaker struct {
	Person      int64     `json:"person"`
	RequestedAt time.Time `json:"requested_at"`
	StartedAt   time.Time `json:"started_at,omitzero"` // zero: waiting
}

// Speakers is an item's speaker list: who speaks now and who waits, in
// the order they asked, and the speaking time per person (0: no limit).
type Speakers struct {
	Current      *Speaker  `json:"current"`
	Waiting      []Speaker `json:"waiting"`
	LimitSeconds int       `json:"limit_seconds"`
}

// runningItem returns item and checks that its meeting's session runs.
func (s *Store) runningItem(ctx context.Context, item int64) (*sessions.AgendaItem, error) {
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, item)
	if err != nil {
		return nil, err
	}
	se, err := s.session(ctx, s.db, it.MeetingID)
	if err != nil {
		return nil, err
	}
	if !se.Running() {
		return nil, notRunning()
	}
	return it, nil
}

// RequestToSpeak puts person on item's speaker list. EFORBIDDEN
// "excluded" for a person excluded from the item, "not_present" for one
// not present in the meeting; ECONFLICT "already_listed" if they wait or
// speak already; "not_running" if the session is not running.
func (s *Store) RequestToSpeak(ctx context.Context, item, person int64) error {
	it, err := s.runningItem(ctx, item)
	if err != nil {
		return err
	}
	if contains(itemExcluded(it), person) {
		return ErrExcluded
	}
	var status string
	err = s.db.QueryRowContext(ctx, `SELECT status FROM live_attendance WHERE meeting_id = ? AND person_id = ?`, it.MeetingID, person).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || status != Present {
		return forbidden("not_present", "Nur wer an der Sitzung teilnimmt, kann sich zu Wort melden.", "Only those present can ask to speak.")
	}
	if err != nil {
		return fmt.Errorf("request to speak: %w", err)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO live_speakers (agenda_item_id, person_id, requested_at)
		SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM live_speakers WHERE agenda_item_id = ? AND person_id = ? AND ended_at IS NULL AND withdrawn_at IS NULL)`,
		item, person, ts(s.now()), item, person)
	if err != nil {
		return fmt.Errorf("request to speak: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return conflict("already_listed", "Sie stehen bereits auf der Redeliste.", "You are on the speaker list already.")
	}
	s.hub.Publish(it.MeetingID)
	return nil
}

// WithdrawRequest takes person's waiting request off item's list;
// ENOTFOUND if they have none.
func (s *Store) WithdrawRequest(ctx context.Context, item, person int64) error {
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, item)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE live_speakers SET withdrawn_at = ? WHERE agenda_item_id = ? AND person_id = ?
		AND started_at IS NULL AND withdrawn_at IS NULL`, ts(s.now()), item, person)
	if err != nil {
		return fmt.Errorf("withdraw request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Wortmeldung")
	}
	s.hub.Publish(it.MeetingID)
	return nil
}

// GiveFloor ends whatever speech runs in the item's meeting and lets
// person speak on item — after their request, or without one (the chair
// gives the floor). EFORBIDDEN "excluded" for an excluded person.
func (s *Store) GiveFloor(ctx context.Context, item, person int64) error {
	it, err := s.runningItem(ctx, item)
	if err != nil {
		return err
	}
	if contains(itemExcluded(it), person) {
		return ErrExcluded
	}
	if _, err := s.sessions.FindPersonByID(ctx, person); err != nil {
		return invalid("unknown_person", "Unbekannte Person %d.", "Unknown person %d.", person)
	}
	now := ts(s.now())
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := endSpeech(ctx, tx, it.MeetingID, now); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE live_speakers SET started_at = ? WHERE agenda_item_id = ? AND person_id = ?
		AND started_at IS NULL AND withdrawn_at IS NULL`, now, item, person)
	if err != nil {
		return fmt.Errorf("give the floor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO live_speakers (agenda_item_id, person_id, requested_at, started_at) VALUES (?, ?, ?, ?)`,
			item, person, now, now); err != nil {
			return fmt.Errorf("give the floor: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("give the floor: %w", err)
	}
	s.hub.Publish(it.MeetingID)
	return nil
}

func endSpeech(ctx context.Context, tx *sql.Tx, meeting int64, now string) error {
	_, err := tx.ExecContext(ctx, `UPDATE live_speakers SET ended_at = ? WHERE started_at IS NOT NULL AND ended_at IS NULL
		AND agenda_item_id IN (SELECT id FROM agenda_items WHERE meeting_id = ?)`, now, meeting)
	if err != nil {
		return fmt.Errorf("end speech: %w", err)
	}
	return nil
}

// EndSpeech ends the speech running in meeting (none: no change).
func (s *Store) EndSpeech(ctx context.Context, meeting int64) error {
	if _, err := s.sessions.FindMeetingByID(ctx, staff, meeting); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := endSpeech(ctx, tx, meeting, ts(s.now())); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.hub.Publish(meeting)
	return nil
}

// SetSpeakingLimit limits each person's speaking time on item to seconds
// (0: no limit); EINVALID for a negative number or more than an hour.
func (s *Store) SetSpeakingLimit(ctx context.Context, item int64, seconds int) error {
	if seconds < 0 || seconds > 3600 {
		return invalid("bad_limit", "Die Redezeit liegt zwischen 0 (unbegrenzt) und 3600 Sekunden.", "The speaking time is between 0 (no limit) and 3600 seconds.")
	}
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, item)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO live_speaking_limits (agenda_item_id, seconds) VALUES (?, ?)
		ON CONFLICT (agenda_item_id) DO UPDATE SET seconds = excluded.seconds`, item, seconds); err != nil {
		return fmt.Errorf("speaking limit: %w", err)
	}
	s.hub.Publish(it.MeetingID)
	return nil
}

// FindSpeakers returns item's speaker list.
func (s *Store) FindSpeakers(ctx context.Context, item int64) (*Speakers, error) {
	out := &Speakers{Waiting: []Speaker{}}
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seconds), 0) FROM live_speaking_limits WHERE agenda_item_id = ?`, item).Scan(&out.LimitSeconds); err != nil {
		return nil, fmt.Errorf("speakers: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, requested_at, started_at FROM live_speakers
		WHERE agenda_item_id = ? AND ended_at IS NULL AND withdrawn_at IS NULL ORDER BY requested_at, id`, item)
	if err != nil {
		return nil, fmt.Errorf("speakers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sp Speaker
		var req string
		var started sql.NullString
		if err := rows.Scan(&sp.Person, &req, &started); err != nil {
			return nil, fmt.Errorf("speakers: %w", err)
		}
		sp.RequestedAt, _ = time.Parse(time.RFC3339Nano, req)
		sp.StartedAt = parseNull(started)
		if started.Valid {
			out.Current = &sp
		} else {
			out.Waiting = append(out.Waiting, sp)
		}
	}
	return out, rows.Err()
}
