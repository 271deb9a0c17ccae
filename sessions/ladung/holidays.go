package ladung

import (
	"fmt"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// NationalHolidays reports whether a date is a public holiday in every
// German state: New Year, Good Friday, Easter Monday, 1 May, Ascension,
// Whit Monday, German Unity Day and both Christmas days. States add their
// own (Epiphany, Corpus Christi, Reformation Day, …) with HolidaysWith.
func NationalHolidays(year int, month time.Month, day int) bool {
	switch {
	case month == time.January && day == 1,
		month == time.May && day == 1,
		month == time.October && day == 3,
		month == time.December && (day == 25 || day == 26):
		return true
	}
	easter := Easter(year)
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	switch int(t.Sub(easter).Hours() / 24) {
	case -2, 1, 39, 50: // Good Friday, Easter Monday, Ascension, Whit Monday
		return true
	}
	return false
}

// Easter returns Easter Sunday of a Gregorian year, at midnight UTC
// (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher").
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// HolidaysWith returns a holiday calendar of the nationwide holidays and
// the given dates ("2006-01-02"), for a state's or a town's own holidays.
// It returns an EINVALID error naming a date it cannot read.
func HolidaysWith(dates ...string) (func(int, time.Month, int) bool, error) {
	extra := make(map[[3]int]bool, len(dates))
	for _, s := range dates {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, refusal(ratsmappe.EINVALID, "bad_holiday",
				fmt.Sprintf("Feiertag %q ist kein Datum der Form JJJJ-MM-TT.", s),
				fmt.Sprintf("Holiday %q is not a date of the form YYYY-MM-DD.", s))
		}
		y, m, d := t.Date()
		extra[[3]int{y, int(m), d}] = true
	}
	return func(y int, m time.Month, d int) bool {
		return extra[[3]int{y, int(m), d}] || NationalHolidays(y, m, d)
	}, nil
}

// Preset is a named, documented rule an organization may start from.
type Preset struct {
	Name string // stable key, stored in the organization's settings
	Rule Rule
	// Note explains the rule to the office: its basis, and what the
	// office must set itself.
	Note string
}

// Presets lists the common rules. Where a state's code itself fixes the
// period, the preset cites it; where the code leaves the period to the
// council's standing order (Geschäftsordnung), the preset is marked
// configurable and carries the period most standing orders choose.
var Presets = []Preset{
	{
		Name: "hessen",
		Rule: Rule{Days: 3, Source: "§ 58 Abs. 1 HGO"},
		Note: "Hessen: zwischen dem Zugang der Ladung und dem Sitzungstag müssen mindestens drei Tage liegen (§ 58 Abs. 1 HGO); in eiligen Fällen kürzer, mit Hinweis in der Ladung.",
	},
	{
		Name: "rheinland-pfalz",
		Rule: Rule{Days: 4, Source: "§ 34 Abs. 3 GemO RLP"},
		Note: "Rheinland-Pfalz: zwischen dem Tag des Zugangs der Einladung und dem Tag der Sitzung müssen mindestens vier volle Kalendertage liegen (§ 34 GemO RLP); in dringenden Fällen kürzer.",
	},
	{
		Name: "geschaeftsordnung-7",
		Rule: Rule{Days: 7, Source: "Geschäftsordnung (konfigurierbar)"},
		Note: "Konfigurierbar: sieben volle Tage, wie viele Geschäftsordnungen sie vorsehen, wo die Gemeindeordnung die Frist der Geschäftsordnung überlässt (etwa NRW, Bayern) oder eine „angemessene Frist“ verlangt (etwa Baden-Württemberg, Sachsen). Die Frist der eigenen Geschäftsordnung eintragen.",
	},
	{
		Name: "geschaeftsordnung-3",
		Rule: Rule{Days: 3, Source: "Geschäftsordnung (konfigurierbar)"},
		Note: "Konfigurierbar: drei volle Tage, für Ausschüsse und Ortsbeiräte mit kürzerer Frist. Die Frist der eigenen Geschäftsordnung eintragen.",
	},
}

// FindPreset returns the preset of the given name, or an ENOTFOUND error.
func FindPreset(name string) (Preset, error) {
	for _, p := range Presets {
		if p.Name == name {
			return p, nil
		}
	}
	return Preset{}, refusal(ratsmappe.ENOTFOUND, "",
		fmt.Sprintf("Unbekannte Vorgabe %q für die Ladungsfrist.", name),
		fmt.Sprintf("Unknown invitation period preset %q.", name))
}
