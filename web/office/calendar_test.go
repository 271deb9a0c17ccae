package office_test

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/office"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// newCalendar returns the office's handlers on a real SQLite database
// with n meetings of five organizations spread over the 35 days from the
// Monday first and the week after them (not shown): drafts, scheduled and
// published ones, some just after midnight and just before it in Berlin,
// where the day differs from UTC's.
func newCalendar(tb testing.TB, n int, first time.Time) *office.Handler {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "t.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := schema.Migrate(ctx, db); err != nil {
		tb.Fatal(err)
	}
	st := sessions.NewStore(db, nil)
	body := &sessions.Body{Name: "Stadt Test"}
	if err := st.CreateBody(ctx, body); err != nil {
		tb.Fatal(err)
	}
	var orgs []int64
	for _, name := range []string{"Stadtrat", "Bauausschuss", "Haupt- und Finanzausschuss", "Ortsbeirat Nord", "Jugendhilfeausschuss"} {
		o := &sessions.Organization{BodyID: body.ID, Name: name, Classification: sessions.ClassCommittee}
		if err := st.CreateOrganization(ctx, o); err != nil {
			tb.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}
	clock := []struct{ h, m int }{{17, 0}, {0, 30}, {23, 30}, {9, 15}, {18, 30}}
	for i := 0; i < n; i++ {
		c := clock[i%len(clock)]
		day := first.AddDate(0, 0, (i*11)%42) // the grid's 35 days and the week after
		m := &sessions.Meeting{OrganizationID: orgs[i%len(orgs)], Name: fmt.Sprintf("%d. Sitzung", i+1),
			Start: time.Date(day.Year(), day.Month(), day.Day(), c.h, c.m, 0, 0, render.Berlin)}
		if err := st.CreateMeeting(ctx, m); err != nil {
			tb.Fatal(err)
		}
		var at time.Time
		switch i % 3 {
		case 1:
			at = time.Date(2026, 1, 2, 10, 0, 0, 0, render.Berlin)
		case 2:
			at = time.Date(2099, 1, 2, 10, 0, 0, 0, render.Berlin) // scheduled
		}
		if !at.IsZero() {
			if err := st.PublishMeeting(ctx, m.ID, at); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := render.Load(); err != nil { // once, before a benchmark's timer runs
		tb.Fatal(err)
	}
	return office.New(office.Config{Config: folder.Config{Sessions: st}})
}

// getCalendar renders the calendar of month for a clerk.
func getCalendar(tb testing.TB, h *office.Handler, month string) string {
	tb.Helper()
	r := httptest.NewRequest("GET", "/office/calendar?month="+month, nil)
	r = r.WithContext(request.WithViewer(r.Context(), access.Viewer{AccountID: 1, Name: "amt", Role: access.RoleClerk}, false))
	w := httptest.NewRecorder()
	h.CalendarPage(w, r)
	if w.Code != 200 {
		tb.Fatalf("GET /office/calendar?month=%s: %d", month, w.Code)
	}
	return w.Body.String()
}

// A month's grid shows each meeting on its day in Berlin, with its time,
// organization and publication status, and nothing of the week after.
// The golden files hold the page's content (the layout around it changes
// with every stylesheet): go test ./web/office/ -run TestCalendarPage
// -update rewrites them.
func TestCalendarPage(t *testing.T) {
	for _, tc := range []struct {
		month string
		first time.Time // the grid's Monday
	}{
		{"2027-03", time.Date(2027, 3, 1, 0, 0, 0, 0, render.Berlin)},  // the clocks go forward on its 28th
		{"2027-04", time.Date(2027, 3, 29, 0, 0, 0, 0, render.Berlin)}, // starts on a Thursday
		{"2027-10", time.Date(2027, 9, 27, 0, 0, 0, 0, render.Berlin)}, // the clocks go back on its last day
	} {
		t.Run(tc.month, func(t *testing.T) {
			page := getCalendar(t, newCalendar(t, 60, tc.first), tc.month)
			i, j := strings.Index(page, `<div class="office-page">`), strings.Index(page, `</tbody></table>`)
			if i < 0 || j < i {
				t.Fatalf("no calendar in the page:\n%s", page)
			}
			got := page[i:j]
			golden := filepath.Join("testdata", "calendar-"+tc.month+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("calendar differs from %s:\n%s", golden, got)
			}
		})
	}
}

// BenchmarkCalendarPage renders a month with the demo council's meetings
// in it (7) and with those of the demo grown 50× by bench/scale (about 80).
func BenchmarkCalendarPage(b *testing.B) {
	for _, n := range []int{7, 80} {
		b.Run(fmt.Sprintf("meetings=%d", n), func(b *testing.B) {
			h := newCalendar(b, n*42/35, time.Date(2027, 3, 29, 0, 0, 0, 0, render.Berlin)) // n in April's grid, the rest in the week after
			b.ReportAllocs()
			for b.Loop() {
				getCalendar(b, h, "2027-04")
			}
		})
	}
}
