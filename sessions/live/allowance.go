package live

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// AllowanceRate is what a body pays a person per meeting attended
// (Sitzungsgeld), in cents: PerMeeting, or Long for a meeting that lasted
// longer than LongAfter minutes (LongAfter 0: no higher rate).
type AllowanceRate struct {
	PerMeeting int64 `json:"per_meeting_cents"`
	Long       int64 `json:"long_cents"`
	LongAfter  int   `json:"long_after_minutes"`
}

// Bounds of a rate: 1,000 € a meeting, a day's minutes.
const (
	maxRateCents = 100000
	maxMinutes   = 24 * 60
	// MaxAllowanceDays bounds an allowance period: a year.
	MaxAllowanceDays = 366
)

// Validate returns EINVALID unless r is a rate within bounds.
func (r AllowanceRate) Validate() error {
	if r.PerMeeting < 0 || r.Long < 0 || r.PerMeeting > maxRateCents || r.Long > maxRateCents {
		return invalid("bad_rate", "Ein Sitzungsgeld liegt zwischen 0 und 1.000 € (0 bis 100000 Cent).",
			"An allowance is between 0 and 1,000 € (0 to 100000 cents).")
	}
	if r.LongAfter < 0 || r.LongAfter > maxMinutes || (r.LongAfter == 0) != (r.Long == 0) {
		return invalid("bad_long_rate", "Der höhere Satz braucht eine Sitzungsdauer in Minuten (1 bis 1440), ab der er gilt, und umgekehrt.",
			"The higher rate needs a meeting length in minutes (1 to 1440) above which it applies, and vice versa.")
	}
	return nil
}

// SetAllowanceRate sets the allowance rate of organization org; EINVALID
// for a rate out of bounds, ENOTFOUND for a missing organization.
func (s *Store) SetAllowanceRate(ctx context.Context, org int64, r AllowanceRate) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if _, err := s.sessions.FindOrganizationByID(ctx, org); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO live_allowance_rates (organization_id, per_meeting_cents, long_cents, long_after_minutes, modified) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (organization_id) DO UPDATE SET per_meeting_cents = excluded.per_meeting_cents, long_cents = excluded.long_cents,
			long_after_minutes = excluded.long_after_minutes, modified = excluded.modified`,
		org, r.PerMeeting, r.Long, r.LongAfter, ts(s.now()))
	if err != nil {
		return fmt.Errorf("set allowance rate: %w", err)
	}
	return nil
}

// AllowanceRateOf returns the allowance rate of organization org and
// whether one is set.
func (s *Store) AllowanceRateOf(ctx context.Context, org int64) (AllowanceRate, bool, error) {
	var r AllowanceRate
	err := s.db.QueryRowContext(ctx, `SELECT per_meeting_cents, long_cents, long_after_minutes FROM live_allowance_rates WHERE organization_id = ?`, org).Scan(&r.PerMeeting, &r.Long, &r.LongAfter)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("allowance rate: %w", err)
	}
	return r, true, nil
}

// AllowanceMeeting is one meeting a person attended.
type AllowanceMeeting struct {
	Meeting       int64  `json:"meeting"`
	Date          string `json:"date"` // YYYY-MM-DD, in the council's time zone
	Name          string `json:"name"`
	Organization  string `json:"organization"`
	Minutes       int    `json:"minutes"`                  // the meeting's length; 0 if not known
	SubstituteFor int64  `json:"substitute_for,omitempty"` // the member a deputy sat for
	Cents         int64  `json:"cents"`
	NoRate        bool   `json:"no_rate,omitempty"` // the body has no rate set
}

// Allowance is what one person is owed for a period.
type Allowance struct {
	Person   int64              `json:"person"`
	Name     string             `json:"name"`
	Meetings []AllowanceMeeting `json:"meetings"`
	Cents    int64              `json:"cents"`
}

// ParsePeriod checks an allowance period, from and to as YYYY-MM-DD
// (both days included): EINVALID for a malformed date, to before from,
// or more than MaxAllowanceDays.
func ParsePeriod(from, to string) (time.Time, time.Time, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return f, t, invalid("bad_period", "Der Zeitraum braucht from und to als Datum JJJJ-MM-TT.", "The period needs from and to as dates YYYY-MM-DD.")
	}
	if t.Before(f) || t.Sub(f) >= MaxAllowanceDays*24*time.Hour {
		return f, t, invalid("bad_period", "Der Zeitraum endet nicht vor seinem Beginn und umfasst höchstens 366 Tage.",
			"The period ends no earlier than it begins and spans at most 366 days.")
	}
	return f, t, nil
}

// Allowances returns what each person who attended a meeting between from
// and to (YYYY-MM-DD, both included, by the meeting's date in the
// council's time zone) is owed, ordered by family and given name. A person
// attended who is recorded present — deputies too, who are paid for the
// seat they took, not the member they sat for. The meeting's length is
// that of its session (start to end) if it was held live, else the
// meeting's planned times.
func (s *Store) Allowances(ctx context.Context, from, to string) ([]Allowance, error) {
	if _, _, err := ParsePeriod(from, to); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT a.meeting_id, a.person_id, COALESCE(a.substitute_for, 0) FROM live_attendance a
		WHERE a.status = 'present' ORDER BY a.meeting_id, a.person_id`)
	if err != nil {
		return nil, fmt.Errorf("allowances: %w", err)
	}
	type present struct{ meeting, person, sub int64 }
	var ps []present
	for rows.Next() {
		var p present
		if err := rows.Scan(&p.meeting, &p.person, &p.sub); err != nil {
			rows.Close()
			return nil, fmt.Errorf("allowances: %w", err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("allowances: %w", err)
	}
	meetings := map[int64]*AllowanceMeeting{} // nil: outside the period
	byPerson := map[int64]*Allowance{}
	persons := map[int64]*sessions.Person{}
	for _, p := range ps {
		am, seen := meetings[p.meeting]
		if !seen {
			if am, err = s.allowanceMeeting(ctx, p.meeting, from, to); err != nil {
				return nil, err
			}
			meetings[p.meeting] = am
		}
		if am == nil {
			continue
		}
		a := byPerson[p.person]
		if a == nil {
			pe, err := s.sessions.FindPersonByID(ctx, p.person)
			if err != nil {
				return nil, err
			}
			persons[p.person] = pe
			a = &Allowance{Person: p.person, Name: pe.Name()}
			byPerson[p.person] = a
		}
		m := *am
		m.SubstituteFor = p.sub
		a.Meetings = append(a.Meetings, m)
		a.Cents += m.Cents
	}
	out := make([]Allowance, 0, len(byPerson))
	for _, a := range byPerson {
		slices.SortFunc(a.Meetings, func(x, y AllowanceMeeting) int {
			return cmp.Or(cmp.Compare(x.Date, y.Date), cmp.Compare(x.Meeting, y.Meeting))
		})
		out = append(out, *a)
	}
	slices.SortFunc(out, func(x, y Allowance) int {
		px, py := persons[x.Person], persons[y.Person]
		return cmp.Or(cmp.Compare(px.FamilyName, py.FamilyName), cmp.Compare(px.GivenName, py.GivenName), cmp.Compare(x.Person, y.Person))
	})
	return out, nil
}

// allowanceMeeting is meeting id as an allowance pays it, nil if it is
// not in the period from–to.
func (s *Store) allowanceMeeting(ctx context.Context, id int64, from, to string) (*AllowanceMeeting, error) {
	m, err := s.sessions.FindMeetingByID(ctx, staff, id)
	if err != nil {
		if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	day := m.Start.In(berlin).Format(time.DateOnly)
	if day < from || day > to {
		return nil, nil
	}
	org, err := s.sessions.FindOrganizationByID(ctx, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	se, err := s.session(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	start, end := m.Start, m.End
	if !se.StartedAt.IsZero() && !se.EndedAt.IsZero() {
		start, end = se.StartedAt, se.EndedAt
	}
	am := &AllowanceMeeting{Meeting: id, Date: day, Name: m.Name, Organization: org.Name}
	if !end.IsZero() && end.After(start) {
		am.Minutes = int(end.Sub(start).Minutes())
	}
	rate, ok, err := s.AllowanceRateOf(ctx, m.OrganizationID)
	if err != nil {
		return nil, err
	}
	am.NoRate = !ok
	am.Cents = rate.PerMeeting
	if rate.LongAfter > 0 && am.Minutes > rate.LongAfter {
		am.Cents = rate.Long
	}
	return am, nil
}

// Euro is an amount in cents as German finance software reads it:
// decimal comma, no thousands separator, e.g. "1234,50".
func Euro(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d,%02d", sign, cents/100, cents%100)
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteAllowancesCSV writes the allowances as the finance system imports
// them: UTF-8 with a byte order mark, semicolons, CRLF, decimal comma;
// one line per person (person number, name, meetings, amount in euros).
func WriteAllowancesCSV(w io.Writer, as []Allowance) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	cw.Write([]string{"Personennummer", "Name", "Sitzungen", "Betrag (EUR)"})
	for _, a := range as {
		cw.Write([]string{strconv.FormatInt(a.Person, 10), csvCell(a.Name), strconv.Itoa(len(a.Meetings)), Euro(a.Cents)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteAllowancesPDF writes the allowances of the period from–to as a
// PDF list: per person the meetings attended with their amounts, and the
// total.
func WriteAllowancesPDF(w io.Writer, as []Allowance, from, to string, now time.Time) error {
	day := func(d string) string {
		t, _ := time.Parse(time.DateOnly, d)
		return t.Format("02.01.2006")
	}
	period := day(from) + " – " + day(to)
	doc := textpdf.Doc{Title: "Sitzungsgeld " + period, Created: now, Header: "Sitzungsgeld · " + period,
		Blocks: []string{"# Sitzungsgeld " + period, "Stand: " + now.In(berlin).Format("02.01.2006 15:04") + " Uhr"}}
	var total int64
	for _, a := range as {
		doc.Blocks = append(doc.Blocks, fmt.Sprintf("# %s (Nr. %d): %d Sitzungen, %s €", a.Name, a.Person, len(a.Meetings), Euro(a.Cents)))
		for _, m := range a.Meetings {
			line := fmt.Sprintf("%s %s – %s", day(m.Date), m.Organization, m.Name)
			if m.Minutes > 0 {
				line += fmt.Sprintf(" (%d Min.)", m.Minutes)
			}
			if m.SubstituteFor != 0 {
				line += ", als Vertretung"
			}
			line += ": " + Euro(m.Cents) + " €"
			if m.NoRate {
				line += " (kein Satz festgelegt)"
			}
			doc.Blocks = append(doc.Blocks, line)
		}
		total += a.Cents
	}
	if len(as) == 0 {
		doc.Blocks = append(doc.Blocks, "Im Zeitraum ist keine Anwesenheit erfasst.")
	}
	doc.Blocks = append(doc.Blocks, fmt.Sprintf("# Summe: %s € für %d Personen", Euro(total), len(as)))
	_, err := textpdf.Write(w, doc)
	return err
}
