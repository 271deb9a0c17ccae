package live

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// Speaker is a request to speak on an agenda item, or a speech.
type Speaker struct {
	Person      int64     `json:"person"`
	RequestedAt time.Time `json:"requested_at"`
	StartedAt   time.Time `json:"started_at,omitzero"` // zero: waiting
	// Faction is the speaker's faction if the item limits the factions'
	// speaking time (0: none, or no such limit).
	Faction int64 `json:"faction,omitempty"`
}

// Speakers is an item's speaker list: who speaks now and who waits, in
// the order they asked, and the speaking time per person and per
// faction (0: no limit).
type Speakers struct {
	Current             *Speaker  `json:"current"`
	Waiting             []Speaker `json:"waiting"`
	LimitSeconds        int       `json:"limit_seconds"`
	FactionLimitSeconds int       `json:"faction_limit_seconds"`
	// Factions is the time each faction has spoken on the item in
	// finished speeches, if the item limits the factions' time; the
	// running speech counts on top (it is still growing).
	Factions []FactionTime `json:"factions,omitempty"`
}

// FactionTime is how long a faction's members have spoken on an item.
type FactionTime struct {
	Faction     int64  `json:"faction"`
	Name        string `json:"name"`
	UsedSeconds int    `json:"used_seconds"`
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
	// In a write transaction (begin): on PostgreSQL two requests of one
	// person at once (a double tap) would both find none listed.
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var status string
	err = tx.QueryRowContext(ctx, `SELECT status FROM live_attendance WHERE meeting_id = ? AND person_id = ?`, it.MeetingID, person).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || status != Present {
		return forbidden("not_present", "Nur wer an der Sitzung teilnimmt, kann sich zu Wort melden.", "Only those present can ask to speak.")
	}
	if err != nil {
		return fmt.Errorf("request to speak: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO live_speakers (agenda_item_id, person_id, requested_at)
		SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM live_speakers WHERE agenda_item_id = ? AND person_id = ? AND ended_at IS NULL AND withdrawn_at IS NULL)`,
		item, person, ts(s.now()), item, person)
	if err != nil {
		return fmt.Errorf("request to speak: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return conflict("already_listed", "Sie stehen bereits auf der Redeliste.", "You are on the speaker list already.")
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("request to speak: %w", err)
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
	// One speaker on the floor: two chairs' clicks at once must not both
	// end the speech and both start one.
	tx, err := s.begin(ctx)
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
	tx, err := s.begin(ctx)
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
	return s.setLimit(ctx, item, "seconds", seconds, 3600)
}

// SetFactionSpeakingLimit limits the speaking time of each faction's
// members together on item to seconds (0: no limit); EINVALID for a
// negative number or more than four hours.
func (s *Store) SetFactionSpeakingLimit(ctx context.Context, item int64, seconds int) error {
	return s.setLimit(ctx, item, "faction_seconds", seconds, 4*3600)
}

func (s *Store) setLimit(ctx context.Context, item int64, column string, seconds, most int) error {
	if seconds < 0 || seconds > most {
		return invalid("bad_limit", "Die Redezeit liegt zwischen 0 (unbegrenzt) und %d Sekunden.", "The speaking time is between 0 (no limit) and %d seconds.", most)
	}
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, item)
	if err != nil {
		return err
	}
	// A new row has no limit but the one set; column is one of two
	// constants, never input.
	person, faction := seconds, 0
	if column == "faction_seconds" {
		person, faction = 0, seconds
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO live_speaking_limits (agenda_item_id, seconds, faction_seconds) VALUES (?, ?, ?)
		ON CONFLICT (agenda_item_id) DO UPDATE SET `+column+` = excluded.`+column, item, person, faction); err != nil {
		return fmt.Errorf("speaking limit: %w", err)
	}
	s.hub.Publish(it.MeetingID)
	return nil
}

// FindSpeakers returns item's speaker list.
func (s *Store) FindSpeakers(ctx context.Context, item int64) (*Speakers, error) {
	out := &Speakers{Waiting: []Speaker{}}
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seconds), 0), COALESCE(MAX(faction_seconds), 0) FROM live_speaking_limits WHERE agenda_item_id = ?`,
		item).Scan(&out.LimitSeconds, &out.FactionLimitSeconds); err != nil {
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("speakers: %w", err)
	}
	if out.FactionLimitSeconds > 0 {
		if err := s.factionTimes(ctx, item, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// factionTimes fills in the factions of sp's speakers and the time each
// faction spoke on item in finished speeches. A person's faction is the
// one a membership of theirs is on behalf of at the meeting's date (for a
// deputy from outside the committee: their council membership's), else
// the faction they are a member of.
func (s *Store) factionTimes(ctx context.Context, item int64, sp *Speakers) error {
	it, err := s.sessions.FindAgendaItemByID(ctx, staff, item)
	if err != nil {
		return err
	}
	m, err := s.sessions.FindMeetingByID(ctx, staff, it.MeetingID)
	if err != nil {
		return err
	}
	day := m.Start.In(berlin).Format("2006-01-02")
	factions := map[int64]int64{}
	factionOf := func(person int64) (int64, error) {
		if f, ok := factions[person]; ok {
			return f, nil
		}
		ms, err := s.sessions.FindMemberships(ctx, person, 0)
		if err != nil {
			return 0, err
		}
		factions[person] = 0
		for _, ms := range ms {
			if (ms.StartDate != "" && ms.StartDate > day) || (ms.EndDate != "" && ms.EndDate < day) {
				continue
			}
			if ms.OnBehalfOf != 0 {
				factions[person] = ms.OnBehalfOf
				break
			}
			// Or a membership in the faction itself.
			if o, err := s.sessions.FindOrganizationByID(ctx, ms.OrganizationID); err == nil && o.Classification == sessions.ClassFaction {
				factions[person] = o.ID
			}
		}
		return factions[person], nil
	}
	type speech struct {
		person         int64
		started, ended string
	}
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, started_at, ended_at FROM live_speakers
		WHERE agenda_item_id = ? AND started_at IS NOT NULL AND ended_at IS NOT NULL`, item)
	if err != nil {
		return fmt.Errorf("faction times: %w", err)
	}
	var speeches []speech
	for rows.Next() {
		var sc speech
		if err := rows.Scan(&sc.person, &sc.started, &sc.ended); err != nil {
			rows.Close()
			return fmt.Errorf("faction times: %w", err)
		}
		speeches = append(speeches, sc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("faction times: %w", err)
	}
	used := map[int64]time.Duration{}
	for _, sc := range speeches {
		f, err := factionOf(sc.person)
		if err != nil {
			return err
		}
		if f == 0 {
			continue
		}
		a, _ := time.Parse(time.RFC3339Nano, sc.started)
		b, _ := time.Parse(time.RFC3339Nano, sc.ended)
		used[f] += b.Sub(a)
	}
	for i := range sp.Waiting {
		if sp.Waiting[i].Faction, err = factionOf(sp.Waiting[i].Person); err != nil {
			return err
		}
	}
	if c := sp.Current; c != nil {
		if c.Faction, err = factionOf(c.Person); err != nil {
			return err
		}
		if _, ok := used[c.Faction]; !ok && c.Faction != 0 {
			used[c.Faction] = 0 // listed while its first speech runs
		}
	}
	for f, d := range used {
		name := ""
		if o, err := s.sessions.FindOrganizationByID(ctx, f); err == nil {
			name = o.ShortName
			if name == "" {
				name = o.Name
			}
		}
		sp.Factions = append(sp.Factions, FactionTime{Faction: f, Name: name, UsedSeconds: int(d.Seconds())})
	}
	sort.Slice(sp.Factions, func(i, j int) bool { return sp.Factions[i].Name < sp.Factions[j].Name })
	return nil
}
