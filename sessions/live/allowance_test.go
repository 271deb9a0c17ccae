package live_test

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

func TestAllowances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		c := newCouncil(t, db)
		meeting := func(start string, hours float64) int64 {
			st, err := time.ParseInLocation("2006-01-02 15:04", start, time.Local)
			must(t, err)
			m := &sessions.Meeting{OrganizationID: c.org, Name: "Sitzung " + start, Start: st, End: st.Add(time.Duration(hours * float64(time.Hour)))}
			must(t, c.st.CreateMeeting(ctx, m))
			return m.ID
		}
		attend := func(m int64, a live.Attendee) {
			t.Helper()
			must(t, c.live.SetAttendance(ctx, m, a))
		}
		short, long, later := meeting("2026-03-02 17:00", 2), meeting("2026-03-16 17:00", 4.5), meeting("2026-05-04 17:00", 1)
		attend(short, live.Attendee{Person: c.m[0], Status: live.Present})
		attend(short, live.Attendee{Person: c.m[1], Status: live.Excused})
		// Bert's deputy sits for him in the long meeting: the deputy is paid.
		attend(long, live.Attendee{Person: c.m[0], Status: live.Present})
		attend(long, live.Attendee{Person: c.deputy, Status: live.Present, SubstituteFor: c.m[1]})
		attend(long, live.Attendee{Person: c.m[1], Status: live.Absent})
		attend(later, live.Attendee{Person: c.m[0], Status: live.Present})

		// Without a rate the meetings are listed with nothing owed.
		as, err := c.live.Allowances(ctx, "2026-03-01", "2026-03-31")
		must(t, err)
		if len(as) != 2 || as[0].Cents != 0 || !as[0].Meetings[0].NoRate {
			t.Fatalf("without a rate: %+v", as)
		}

		for _, bad := range []live.AllowanceRate{{PerMeeting: -1}, {PerMeeting: 100001}, {PerMeeting: 2500, Long: 4000}, {PerMeeting: 2500, LongAfter: 180}} {
			if err := c.live.SetAllowanceRate(ctx, c.org, bad); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
				t.Errorf("rate %+v: %v", bad, err)
			}
		}
		must(t, c.live.SetAllowanceRate(ctx, c.org, live.AllowanceRate{PerMeeting: 2500, Long: 4000, LongAfter: 180}))
		as, err = c.live.Allowances(ctx, "2026-03-01", "2026-03-31")
		must(t, err)
		// Anna Beispiel (two meetings: 25 € and 40 € for the long one), Vera
		// Beispiel the deputy (40 €); Bert, excused and absent, nothing.
		if len(as) != 2 || as[0].Person != c.m[0] || as[0].Cents != 6500 || len(as[0].Meetings) != 2 || as[0].Meetings[1].Minutes != 270 {
			t.Fatalf("anna: %+v", as)
		}
		if as[1].Person != c.deputy || as[1].Cents != 4000 || as[1].Meetings[0].SubstituteFor != c.m[1] {
			t.Fatalf("deputy: %+v", as)
		}
		as, err = c.live.Allowances(ctx, "2026-01-01", "2026-12-31")
		must(t, err)
		if as[0].Cents != 9000 {
			t.Fatalf("the year: %+v", as[0])
		}

		for _, p := range [][2]string{{"2026-03-31", "2026-03-01"}, {"2026-01-01", "2027-01-02"}, {"01.03.2026", "2026-03-31"}, {"", ""}} {
			_, err := c.live.Allowances(ctx, p[0], p[1])
			wantReason(t, "period "+p[0]+"–"+p[1], err, ratsmappe.EINVALID, "bad_period")
		}

		var buf bytes.Buffer
		must(t, live.WriteAllowancesCSV(&buf, as))
		want := "\uFEFFPersonennummer;Name;Sitzungen;Betrag (EUR)\r\n1;Anna Beispiel;3;90,00\r\n6;Vera Beispiel;1;40,00\r\n"
		if buf.String() != want {
			t.Errorf("CSV:\n%q\nwant\n%q", buf.String(), want)
		}
		buf.Reset()
		must(t, live.WriteAllowancesCSV(&buf, []live.Allowance{{Person: 9, Name: "=HYPERLINK(1)", Cents: 123456}}))
		if !strings.Contains(buf.String(), ";'=HYPERLINK(1);0;1234,56\r\n") {
			t.Errorf("a formula is not neutralised: %q", buf.String())
		}
		buf.Reset()
		must(t, live.WriteAllowancesPDF(&buf, as, "2026-01-01", "2026-12-31", time.Now()))
		if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
			t.Error("not a PDF")
		}
	})
}
