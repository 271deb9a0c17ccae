package live

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// MinutesPart is one part of the minutes drafted from the record: the
// public part (the public items only) or the non-public part (the
// non-public items only). Source is the editable text source: paragraphs
// separated by blank lines, a paragraph starting with "# " a heading —
// what documents/textpdf typesets.
type MinutesPart struct {
	Public bool   `json:"public"`
	Title  string `json:"title"`
	Source string `json:"source"`
}

// MinutesDraft is the minutes of a meeting drafted from the record.
type MinutesDraft struct {
	Meeting *sessions.Meeting `json:"-"`
	Body    string            `json:"-"` // "Stadt Lindenau · Gemeinderat", the PDFs' header
	Parts   []MinutesPart     `json:"parts"`
}

var (
	weekdaysDE = [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	monthsDE   = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
	kindsDE    = map[string]string{Open: "offen", Named: "namentlich", Secret: "geheim"}
	rulesDE    = map[string]string{Simple: "einfache Mehrheit", Absolute: "absolute Mehrheit", TwoThirds: "Zweidrittelmehrheit"}
	choicesDE  = [...][2]string{{Yes, "Ja"}, {No, "Nein"}, {Abstain, "Enthaltung"}}
)

func dateDE(t time.Time) string {
	t = t.In(berlin)
	return fmt.Sprintf("%s, %d. %s %d", weekdaysDE[t.Weekday()], t.Day(), monthsDE[t.Month()-1], t.Year())
}

// DraftMinutes drafts the minutes of meeting id from the record:
// meeting, date, place, attendance (present with deputies, excused,
// absent), the quorum, and the items in order with their resolution
// texts and results — counts, the roll call of named votes (a secret
// vote has only counts), who did not take part. The public part holds
// the public items only; a non-public item (its title, its result) is
// only ever in the non-public part, which exists if the meeting has
// non-public items. ECONFLICT "running" while the session runs;
// ENOTFOUND for a missing meeting.
func (s *Store) DraftMinutes(ctx context.Context, id int64) (*MinutesDraft, error) {
	m, items, err := s.sessions.FindAgenda(ctx, staff, id)
	if err != nil {
		return nil, err
	}
	se, err := s.session(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if se.Running() {
		return nil, conflict("running", "Die Sitzung läuft noch; die Niederschrift wird nach ihrem Ende entworfen.",
			"The session is still running; the minutes are drafted after its end.")
	}
	d, err := s.minutesFrame(ctx, m)
	if err != nil {
		return nil, err
	}
	st, err := s.attendance(ctx, m)
	if err != nil {
		return nil, err
	}
	names := nameCache{s: s, names: map[int64]string{}}
	head, err := s.minutesHead(ctx, m, se, st, &names)
	if err != nil {
		return nil, err
	}
	for _, public := range []bool{true, false} {
		var blocks []string
		n := 0
		for _, it := range items {
			if it.Public != public {
				continue
			}
			n++
			b, err := s.minutesItem(ctx, it, &names)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, b...)
		}
		if !public && n == 0 {
			break
		}
		title := "Niederschrift über die öffentliche Sitzung"
		if !public {
			title = "Niederschrift über die nichtöffentliche Sitzung"
		}
		title += ": " + m.Name
		src := append([]string{"# " + title, d.Body}, head...)
		src = append(src, "# Tagesordnung")
		if n == 0 {
			src = append(src, "(keine Tagesordnungspunkte)")
		}
		src = append(src, blocks...)
		if public && len(items) > n {
			src = append(src, "Die nichtöffentlichen Tagesordnungspunkte sind in einer gesonderten Niederschrift festgehalten.")
		}
		src = append(src, "ENTWURF – aus dem Sitzungsprotokoll des Ratsinformationssystems erstellt; vor der Genehmigung zu prüfen.")
		d.Parts = append(d.Parts, MinutesPart{Public: public, Title: title, Source: strings.Join(src, "\n\n") + "\n"})
	}
	return d, nil
}

// minutesFrame is the minutes of m without parts: the meeting and the
// header naming the body and the organization.
func (s *Store) minutesFrame(ctx context.Context, m *sessions.Meeting) (*MinutesDraft, error) {
	org, err := s.sessions.FindOrganizationByID(ctx, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	body, err := s.sessions.FindBodyByID(ctx, org.BodyID)
	if err != nil {
		return nil, err
	}
	return &MinutesDraft{Meeting: m, Body: body.Name + " · " + org.Name}, nil
}

// FindMinutesSource returns the meeting and the stored text source of
// minutes minutes; ENOTFOUND if they were not drafted from the record.
func (s *Store) FindMinutesSource(ctx context.Context, minutes int64) (int64, MinutesSource, error) {
	src := MinutesSource{MinutesID: minutes}
	var meeting int64
	var pub int
	err := s.db.QueryRowContext(ctx, `SELECT meeting_id, public, source, version, edited FROM live_minutes_sources WHERE minutes_id = ?`, minutes).Scan(&meeting, &pub, &src.Source, &src.Version, &src.Edited)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, src, notFound("Niederschrift aus dem Sitzungsprotokoll")
	}
	if err != nil {
		return 0, src, fmt.Errorf("minutes source: %w", err)
	}
	src.Public = pub != 0
	return meeting, src, nil
}

// EditMinutes returns the minutes minutes drafted from the record with
// their stored text source replaced by source, as one part to typeset
// and store again; the caller checks that they are still a draft.
// ENOTFOUND if minutes were not drafted from the record; EINVALID for an
// empty source.
func (s *Store) EditMinutes(ctx context.Context, minutes int64, source string) (*MinutesDraft, MinutesSource, error) {
	meeting, old, err := s.FindMinutesSource(ctx, minutes)
	if err != nil {
		return nil, old, err
	}
	if strings.TrimSpace(source) == "" || !utf8.ValidString(source) {
		return nil, old, invalid("empty_source", "Der Text der Niederschrift ist leer oder kein UTF-8.", "The minutes' text is empty or not UTF-8.")
	}
	m, err := s.sessions.FindMeetingByID(ctx, staff, meeting)
	if err != nil {
		return nil, old, err
	}
	d, err := s.minutesFrame(ctx, m)
	if err != nil {
		return nil, old, err
	}
	title := "Niederschrift: " + m.Name
	if first, _, _ := strings.Cut(strings.TrimSpace(source), "\n"); strings.HasPrefix(first, "# ") {
		title = strings.TrimSpace(first[2:])
	}
	d.Parts = []MinutesPart{{Public: old.Public, Title: title, Source: source}}
	return d, old, nil
}

// minutesHead is what both parts begin with: date, time, place,
// attendance and quorum.
func (s *Store) minutesHead(ctx context.Context, m *sessions.Meeting, se Session, st *AttendanceState, names *nameCache) ([]string, error) {
	start, end := m.Start, m.End
	if !se.StartedAt.IsZero() {
		start, end = se.StartedAt, se.EndedAt
	}
	when := "Datum: " + dateDE(start) + ", Beginn " + start.In(berlin).Format("15:04") + " Uhr"
	if !end.IsZero() {
		when += ", Ende " + end.In(berlin).Format("15:04") + " Uhr"
	}
	out := []string{when}
	if m.Location != "" {
		out = append(out, "Ort: "+m.Location)
	}
	var present, excused, absent []string
	recorded := map[int64]bool{}
	for _, a := range st.Attendees {
		n, err := names.name(ctx, a.Person)
		if err != nil {
			return nil, err
		}
		recorded[a.Person] = true
		switch a.Status {
		case Present:
			if a.SubstituteFor != 0 {
				f, err := names.name(ctx, a.SubstituteFor)
				if err != nil {
					return nil, err
				}
				n += " (in Vertretung für " + f + ")"
				recorded[a.SubstituteFor] = true // their seat is taken
			}
			present = append(present, n)
		case Excused:
			excused = append(excused, n)
		default:
			absent = append(absent, n)
		}
	}
	for _, p := range st.Members {
		if !recorded[p] {
			n, err := names.name(ctx, p)
			if err != nil {
				return nil, err
			}
			absent = append(absent, n+" (ohne Angabe)")
		}
	}
	out = append(out, "# Anwesenheit", "Anwesend: "+list(present), "Entschuldigt: "+list(excused), "Abwesend: "+list(absent))
	q := st.Quorum
	word := "gegeben"
	if !q.Reached {
		word = "nicht gegeben"
	}
	out = append(out, fmt.Sprintf("Beschlussfähigkeit: %s (%d Sitze besetzt, erforderlich %d, gesetzliche Mitgliederzahl %d).", word, q.Present, q.Required, q.Statutory))
	return out, nil
}

// minutesItem is one agenda item: heading, resolution text, votes.
func (s *Store) minutesItem(ctx context.Context, it *sessions.AgendaItem, names *nameCache) ([]string, error) {
	out := []string{"# " + strings.TrimSpace(it.Number+" "+it.Title)}
	if it.Withdrawn() {
		return append(out, "Der Tagesordnungspunkt wurde abgesetzt."), nil
	}
	if it.Resolution != "" {
		out = append(out, "Beschlusstext: "+it.Resolution)
	}
	votes, err := s.FindVotes(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	closed := 0
	for _, v := range votes {
		if v.State != StateClosed || v.Result == nil {
			continue
		}
		closed++
		r := v.Result
		line := fmt.Sprintf("Abstimmung (%s, %s): %s", kindsDE[v.Kind], rulesDE[v.Rule], ResultText(v))
		if r.ByHand {
			line += ", durch das Sitzungsbüro ausgezählt"
		}
		out = append(out, line+".")
		if r.Version > 1 {
			out = append(out, fmt.Sprintf("Berichtigt (Fassung %d): %s", r.Version, r.Reason))
		}
		if v.QuorumReason != "" {
			out = append(out, "Ohne Beschlussfähigkeit abgestimmt: "+v.QuorumReason)
		}
		if v.Kind == Named {
			byChoice, err := names.rollCall(ctx, r.Named)
			if err != nil {
				return nil, err
			}
			for i, c := range choicesDE {
				names := make([]string, len(byChoice[i]))
				for j, n := range byChoice[i] {
					names[j] = n.Name
				}
				out = append(out, c[1]+": "+list(names))
			}
		}
		if len(r.Excluded) > 0 {
			var who []string
			for _, p := range r.Excluded {
				n, err := names.name(ctx, p)
				if err != nil {
					return nil, err
				}
				who = append(who, n)
			}
			out = append(out, "Wegen Befangenheit nicht beteiligt: "+list(who))
		}
	}
	if closed == 0 {
		if it.Result != "" {
			out = append(out, "Ergebnis: "+it.Result)
		} else {
			out = append(out, "Ohne Abstimmung.")
		}
	}
	return out, nil
}

func list(names []string) string {
	if len(names) == 0 {
		return "–"
	}
	return strings.Join(names, ", ")
}

// nameCache reads each person's name once.
type nameCache struct {
	s     *Store
	names map[int64]string
}

// readRollCalls reads the names of everyone in the roll calls of the
// named votes vs (the members and the seats deputies held) in one query,
// not one per person.
func (c *nameCache) readRollCalls(ctx context.Context, vs []*Vote) error {
	var ids []int64
	seen := map[int64]bool{}
	for _, v := range vs {
		if v.Kind != Named || v.Result == nil {
			continue
		}
		for _, n := range v.Result.Named {
			for _, id := range []int64{n.Person, n.Seat} {
				if _, ok := c.names[id]; !ok && !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ps, err := c.s.sessions.FindPersons(ctx, sessions.PersonFilter{IDs: ids})
	if err != nil {
		return err
	}
	// One not found stays out, and name asks for it as before.
	for _, p := range ps {
		c.names[p.ID] = p.Name()
	}
	return nil
}

func (c *nameCache) name(ctx context.Context, id int64) (string, error) {
	if n, ok := c.names[id]; ok {
		return n, nil
	}
	p, err := c.s.sessions.FindPersonByID(ctx, id)
	if err != nil {
		return "", err
	}
	c.names[id] = p.Name()
	return c.names[id], nil
}

// RollName is a person in a roll call: a deputy is named "für" the
// member whose seat they held.
type RollName struct {
	Person int64
	Name   string
}

// rollCall returns the persons in roll call named by choice (yes, no,
// abstain).
func (c *nameCache) rollCall(ctx context.Context, named []NamedChoice) ([][]RollName, error) {
	out := make([][]RollName, len(choicesDE))
	for i, ch := range choicesDE {
		for _, n := range named {
			if n.Choice != ch[0] {
				continue
			}
			name, err := c.name(ctx, n.Person)
			if err != nil {
				return nil, err
			}
			if n.Seat != n.Person {
				seat, err := c.name(ctx, n.Seat)
				if err != nil {
					return nil, err
				}
				name += " (für " + seat + ")"
			}
			out[i] = append(out[i], RollName{Person: n.Person, Name: name})
		}
	}
	return out, nil
}

// MinutesSource is the stored text source of minutes drafted from the
// record.
type MinutesSource struct {
	MinutesID int64
	Public    bool
	Source    string
	Version   int  // the version of the minutes' document typeset from Source
	Edited    bool // the office edited Source (not as drafted from the record)
}

// FindMinutesSources returns the text sources of the minutes drafted for
// meeting id, the public part first.
func (s *Store) FindMinutesSources(ctx context.Context, id int64) ([]MinutesSource, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT minutes_id, public, source, version, edited FROM live_minutes_sources WHERE meeting_id = ? ORDER BY public DESC, minutes_id`, id)
	if err != nil {
		return nil, fmt.Errorf("minutes sources: %w", err)
	}
	defer rows.Close()
	var out []MinutesSource
	for rows.Next() {
		var m MinutesSource
		var pub int
		if err := rows.Scan(&m.MinutesID, &pub, &m.Source, &m.Version, &m.Edited); err != nil {
			return nil, fmt.Errorf("minutes sources: %w", err)
		}
		m.Public = pub != 0
		out = append(out, m)
	}
	return out, rows.Err()
}

// SaveMinutesSource stores (or replaces) the text source of minutes
// minutes of meeting id.
func (s *Store) SaveMinutesSource(ctx context.Context, id int64, m MinutesSource) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO live_minutes_sources (minutes_id, meeting_id, public, source, version, edited, modified) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (minutes_id) DO UPDATE SET source = excluded.source, version = excluded.version, edited = excluded.edited, modified = excluded.modified`,
		m.MinutesID, id, b2i(m.Public), m.Source, m.Version, b2i(m.Edited), ts(s.now()))
	if err != nil {
		return fmt.Errorf("save minutes source: %w", err)
	}
	return nil
}

// RollCall is a closed named vote's roll call by choice, with names, as
// the portal shows it.
type RollCall struct {
	Vote    int64
	Result  string       // the result in words
	Choices [][]RollName // who chose yes, no, abstain
}

// RollCalls returns the roll calls of the closed named votes on the
// agenda items items (their newest results), by item, each item's oldest
// first, in a fixed number of queries however many items there are. The
// caller asks the visibility rule for the items.
func (s *Store) RollCalls(ctx context.Context, items []int64) (map[int64][]RollCall, error) {
	out := map[int64][]RollCall{}
	if len(items) == 0 {
		return out, nil
	}
	list, _ := json.Marshal(items)
	votes, err := s.votes(ctx, `v.agenda_item_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	names := nameCache{s: s, names: map[int64]string{}}
	if err := names.readRollCalls(ctx, votes); err != nil {
		return nil, err
	}
	for _, v := range votes {
		if v.Kind != Named || v.State != StateClosed || v.Result == nil {
			continue
		}
		byChoice, err := names.rollCall(ctx, v.Result.Named)
		if err != nil {
			return nil, err
		}
		out[v.ItemID] = append(out[v.ItemID], RollCall{Vote: v.ID, Result: ResultText(v), Choices: byChoice})
	}
	return out, nil
}
