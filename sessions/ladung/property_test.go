package ladung_test

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ratsmappe/ratsmappe/sessions/ladung"
)

// TestLatestDayProperty checks the rule against its definition on random
// meetings and rules, by counting days forwards where LatestDay walks
// backwards: from the latest day of sending, at least Days counted days lie
// between receipt and meeting, and one day later they would not.
func TestLatestDayProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rule := ladung.Rule{
			Days:          rapid.IntRange(0, 21).Draw(rt, "days"),
			Counting:      ladung.Counting(rapid.IntRange(0, 2).Draw(rt, "counting")),
			ReceiptDays:   rapid.IntRange(0, 4).Draw(rt, "receipt"),
			SendOnWorkday: rapid.Bool().Draw(rt, "workday"),
		}
		meeting := time.Date(2024, 1, 1, 0, 0, 0, 0, berlin).
			AddDate(0, 0, rapid.IntRange(0, 12*366).Draw(rt, "day")).
			Add(time.Duration(rapid.IntRange(0, 24*60-1).Draw(rt, "minute")) * time.Minute)
		my, mm, md := meeting.In(berlin).Date()
		meetingDay := day(my, mm, md)
		y, m, d := rule.LatestDay(meeting)
		latest := day(y, m, d)

		// between counts the days between receipt and meeting; -1 if the
		// invitation would arrive on the meeting day or later, which no
		// rule allows (the two days are distinct even with Days 0).
		between := func(send time.Time) int {
			if !send.AddDate(0, 0, rule.ReceiptDays).Before(meetingDay) {
				return -1
			}
			n := 0
			for x := send.AddDate(0, 0, rule.ReceiptDays+1); x.Before(meetingDay); x = x.AddDate(0, 0, 1) {
				if counts(rule, x) {
					n++
				}
			}
			return n
		}
		if got := between(latest); got < rule.Days {
			rt.Fatalf("sent on %s: %d days counted before the meeting on %s, want %d",
				latest.Format("2006-01-02"), got, meetingDay.Format("2006-01-02"), rule.Days)
		}
		if rule.SendOnWorkday {
			if !workday(latest) {
				rt.Fatalf("latest day %s is no working day", latest.Format("2006-01-02 Mon"))
			}
			// Every day after it that would still be in time is no working day.
			for x := latest.AddDate(0, 0, 1); between(x) >= rule.Days; x = x.AddDate(0, 0, 1) {
				if workday(x) {
					rt.Fatalf("%s is a working day still in time after %s", x.Format("2006-01-02"), latest.Format("2006-01-02"))
				}
			}
		} else if got := between(latest.AddDate(0, 0, 1)); got >= rule.Days {
			rt.Fatalf("the day after %s is still in time (%d days)", latest.Format("2006-01-02"), got)
		}
		dl := rule.Deadline(meeting).In(berlin)
		if dl.Hour() != 0 || dl.Minute() != 0 || !dl.After(latest) || dl.Sub(latest) > 13*time.Hour {
			rt.Fatalf("deadline %v is not the midnight after %v", dl, latest)
		}
	})
}

// day is local noon of a date, as the package steps through days.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, berlin) }

func workday(x time.Time) bool {
	return x.Weekday() != time.Saturday && x.Weekday() != time.Sunday &&
		!ladung.NationalHolidays(x.Year(), x.Month(), x.Day())
}

func counts(r ladung.Rule, x time.Time) bool {
	switch r.Counting {
	case ladung.Werktage:
		return x.Weekday() != time.Sunday && !ladung.NationalHolidays(x.Year(), x.Month(), x.Day())
	case ladung.Arbeitstage:
		return workday(x)
	}
	return true
}
