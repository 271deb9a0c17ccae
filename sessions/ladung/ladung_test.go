package ladung_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/ladung"
)

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return l
}()

// at returns a local time in Berlin from "2006-01-02 15:04".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDeadline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rule    ladung.Rule
		meeting string
		latest  string // the last day of sending, local
	}{
		// 12.–18. March are the seven full days; the 11th is the day of sending.
		{"seven calendar days", ladung.Rule{Days: 7}, "2026-03-19 18:00", "2026-03-11"},
		// A meeting just after midnight still has its whole day excluded.
		{"meeting just after midnight", ladung.Rule{Days: 7}, "2026-03-19 00:05", "2026-03-11"},
		{"no full day needed", ladung.Rule{Days: 0}, "2026-03-19 18:00", "2026-03-18"},
		// Weekends count as calendar days: Sat 21 and Sun 22 are two of the three.
		{"weekend counts", ladung.Rule{Days: 3}, "2026-03-23 18:00", "2026-03-19"},
		// Summer time starts on Sunday 29 March 2026: that day has 23 hours
		// and still counts as one day.
		{"across start of summer time", ladung.Rule{Days: 3}, "2026-03-31 09:00", "2026-03-27"},
		// Summer time ends on Sunday 25 October 2026 (25 hours).
		{"across end of summer time", ladung.Rule{Days: 3}, "2026-10-27 09:00", "2026-10-23"},
		{"meeting on the day summer time starts", ladung.Rule{Days: 1}, "2026-03-29 10:00", "2026-03-27"},
		{"across a year", ladung.Rule{Days: 7}, "2027-01-04 18:00", "2026-12-27"},
		// Werktage are Mon–Sat: Sun 22 does not count, Sat 21, Fri 20, Thu 19 do.
		{"Werktage skip Sunday", ladung.Rule{Days: 3, Counting: ladung.Werktage}, "2026-03-23 18:00", "2026-03-18"},
		{"Arbeitstage skip the weekend", ladung.Rule{Days: 3, Counting: ladung.Arbeitstage}, "2026-03-23 18:00", "2026-03-17"},
		// Easter 2026: Good Friday 3 April and Easter Monday 6 April do not count.
		{"Arbeitstage skip Easter", ladung.Rule{Days: 3, Counting: ladung.Arbeitstage}, "2026-04-09 18:00", "2026-04-01"},
		{"Werktage skip Easter", ladung.Rule{Days: 3, Counting: ladung.Werktage}, "2026-04-09 18:00", "2026-04-03"},
		{"calendar days ignore Easter", ladung.Rule{Days: 3}, "2026-04-09 18:00", "2026-04-05"},
		// The latest day would be Sunday 15 March; the office sends on Friday.
		{"send on a working day", ladung.Rule{Days: 7, SendOnWorkday: true}, "2026-03-23 18:00", "2026-03-13"},
		// Latest day Monday 6 April is Easter Monday, then the weekend and Good Friday.
		{"send on a working day before Easter", ladung.Rule{Days: 2, SendOnWorkday: true}, "2026-04-09 18:00", "2026-04-02"},
		{"working day already", ladung.Rule{Days: 7, SendOnWorkday: true}, "2026-03-19 18:00", "2026-03-11"},
		// A letter takes three days to arrive: received on the 11th, posted on the 8th.
		{"postal delay", ladung.Rule{Days: 7, ReceiptDays: 3}, "2026-03-19 18:00", "2026-03-08"},
		{"postal delay, posted on a working day", ladung.Rule{Days: 7, ReceiptDays: 3, SendOnWorkday: true}, "2026-03-19 18:00", "2026-03-06"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meeting := at(t, tc.meeting)
			y, m, d := tc.rule.LatestDay(meeting)
			if got := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format("2006-01-02"); got != tc.latest {
				t.Fatalf("latest day of sending = %s, want %s", got, tc.latest)
			}
			// In time up to the last minute of the latest day, late from
			// the first minute of the next, whatever the summer time.
			last := at(t, tc.latest+" 23:59")
			if v, err := tc.rule.Check(last, meeting, ""); err != nil || v.Late {
				t.Fatalf("sent %v: late=%v err=%v, want in time", last, v.Late, err)
			}
			next := last.Add(time.Minute)
			if got, want := next.In(berlin).Format("15:04"), "00:00"; got != want {
				t.Fatalf("next = %v", next)
			}
			if v, err := tc.rule.Check(next, meeting, "Eilbedürftiger Beschluss"); err != nil || !v.Late {
				t.Fatalf("sent %v: late=%v err=%v, want late", next, v.Late, err)
			}
			if got := tc.rule.Deadline(meeting); !got.Equal(next) {
				t.Fatalf("deadline = %v, want %v", got, next)
			}
		})
	}
}

func TestCheckUrgency(t *testing.T) {
	rule := ladung.Rule{Days: 7}
	meeting := at(t, "2026-03-19 18:00")
	for _, tc := range []struct {
		name        string
		sent        string
		urgency     string
		wantErr     bool
		wantLate    bool
		wantUrgency string
	}{
		{"in time", "2026-03-10 09:00", "", false, false, ""},
		{"in time, reason dropped", "2026-03-10 09:00", "Eilt", false, false, ""},
		{"late without reason", "2026-03-16 09:00", "", true, true, ""},
		{"late with blank reason", "2026-03-16 09:00", " \t\n", true, true, ""},
		{"late with reason", "2026-03-16 09:00", "  Fristablauf Förderantrag am 20.03.  ", false, true, "Fristablauf Förderantrag am 20.03."},
		{"on the meeting day", "2026-03-19 08:00", "Eilt", false, true, "Eilt"},
		{"after the meeting began", "2026-03-19 18:00", "Eilt", true, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := rule.Check(at(t, tc.sent), meeting, tc.urgency)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if got, want := ratsmappe.ErrorCode(err), ratsmappe.EINVALID; got != want {
					t.Fatalf("code = %q, want %q", got, want)
				}
				return
			}
			if v.Late != tc.wantLate || v.Urgency != tc.wantUrgency {
				t.Fatalf("verdict = %+v, want late=%v urgency=%q", v, tc.wantLate, tc.wantUrgency)
			}
		})
	}
	// The refusal tells the office the last day, in German first.
	_, err := rule.Check(at(t, "2026-03-16 09:00"), meeting, "")
	if got, want := ratsmappe.ErrorMessage(err), "spätestens am 11.03.2026"; !strings.Contains(got, want) {
		t.Fatalf("message %q lacks %q", got, want)
	}
	// The office's UI asks for the urgency on this reason.
	if got, want := ratsmappe.ErrorReason(err), "urgency_required"; got != want {
		t.Fatalf("reason = %q, want %q", got, want)
	}
	var e *ratsmappe.Error
	if !errors.As(err, &e) || !strings.Contains(e.MessageEN, "had to be sent by 2026-03-11") {
		t.Fatalf("English message of %v", err)
	}
	long := make([]byte, ladung.MaxUrgency+1)
	for i := range long {
		long[i] = 'x'
	}
	if _, err := rule.Check(at(t, "2026-03-16 09:00"), meeting, string(long)); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Fatalf("overlong reason: err = %v, want EINVALID", err)
	}
}

func TestValidate(t *testing.T) {
	for _, r := range []ladung.Rule{
		{Days: -1}, {Days: ladung.MaxDays + 1}, {Days: 3, ReceiptDays: -1}, {Days: 3, Counting: 7},
	} {
		if _, err := r.Check(at(t, "2026-03-01 09:00"), at(t, "2026-03-19 18:00"), ""); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("%+v: err = %v, want EINVALID", r, err)
		}
	}
	for _, p := range ladung.Presets {
		if err := p.Rule.Validate(); err != nil || p.Rule.Source == "" || p.Note == "" {
			t.Errorf("preset %s: err=%v, source %q", p.Name, err, p.Rule.Source)
		}
	}
}

func TestPresets(t *testing.T) {
	p, err := ladung.FindPreset("hessen")
	if err != nil {
		t.Fatal(err)
	}
	// Hessen: three days between receipt and meeting day.
	if y, m, d := p.Rule.LatestDay(at(t, "2026-03-19 18:00")); y != 2026 || m != 3 || d != 15 {
		t.Fatalf("hessen latest day = %d-%d-%d, want 2026-3-15", y, m, d)
	}
	if _, err := ladung.FindPreset("atlantis"); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("unknown preset: err = %v", err)
	}
}

func TestEaster(t *testing.T) {
	for year, want := range map[int]string{
		2000: "2000-04-23", 2019: "2019-04-21", 2024: "2024-03-31", 2025: "2025-04-20",
		2026: "2026-04-05", 2027: "2027-03-28", 2038: "2038-04-25",
	} {
		if got := ladung.Easter(year).Format("2006-01-02"); got != want {
			t.Errorf("Easter(%d) = %s, want %s", year, got, want)
		}
	}
}

func TestHolidays(t *testing.T) {
	for _, tc := range []struct {
		date string
		want bool
	}{
		{"2026-01-01", true}, {"2026-04-03", true}, {"2026-04-05", false}, {"2026-04-06", true},
		{"2026-05-01", true}, {"2026-05-14", true}, {"2026-05-25", true}, {"2026-10-03", true},
		{"2026-12-24", false}, {"2026-12-25", true}, {"2026-12-26", true}, {"2026-01-06", false},
	} {
		d, _ := time.Parse("2006-01-02", tc.date)
		if got := ladung.NationalHolidays(d.Year(), d.Month(), d.Day()); got != tc.want {
			t.Errorf("NationalHolidays(%s) = %v, want %v", tc.date, got, tc.want)
		}
	}
	// Epiphany in Bavaria: a state holiday the office adds.
	h, err := ladung.HolidaysWith("2026-01-06")
	if err != nil {
		t.Fatal(err)
	}
	if !h(2026, time.January, 6) || !h(2026, time.January, 1) || h(2026, time.January, 7) {
		t.Fatal("HolidaysWith: wrong calendar")
	}
	// Meeting Thursday 8 January 2026, two working days: Wed 7, (Tue 6
	// Epiphany), Mon 5 → sent on Sunday 4 January at the latest.
	r := ladung.Rule{Days: 2, Counting: ladung.Arbeitstage, Holidays: h}
	if y, m, d := r.LatestDay(at(t, "2026-01-08 18:00")); y != 2026 || m != 1 || d != 4 {
		t.Fatalf("latest day = %d-%d-%d, want 2026-1-4", y, m, d)
	}
	if _, err := ladung.HolidaysWith("6.1.2026"); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Fatalf("bad date: err = %v", err)
	}
}
