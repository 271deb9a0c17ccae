package office_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
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
	st, orgs := calendarStore(tb)
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
	return newHandler(tb, st)
}

// calendarStore returns a store on a real SQLite database with a body and
// the ids of five of its committees.
func calendarStore(tb testing.TB) (*sessions.Store, []int64) {
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
	return st, orgs
}

// newHandler returns the office's handlers on st.
func newHandler(tb testing.TB, st *sessions.Store) *office.Handler {
	tb.Helper()
	if err := render.Load(); err != nil { // once, before a benchmark's timer runs
		tb.Fatal(err)
	}
	return office.New(office.Config{Config: folder.Config{Sessions: st}})
}

// clerk is the office's viewer.
var clerk = access.Viewer{AccountID: 1, Name: "amt", Role: access.RoleClerk}

// getCalendar renders the calendar of month for a clerk.
func getCalendar(tb testing.TB, h *office.Handler, month string) string {
	tb.Helper()
	return get(tb, h.CalendarPage, "/office/calendar?month="+month, clerk)
}

// get answers target with handler for viewer v and returns the page.
func get(tb testing.TB, handler http.HandlerFunc, target string, v access.Viewer) string {
	tb.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r = r.WithContext(request.WithViewer(r.Context(), v, false))
	w := httptest.NewRecorder()
	handler(w, r)
	if w.Code != 200 {
		tb.Fatalf("GET %s: %d", target, w.Code)
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
// in it (7) and with those of the demo grown 50× by bench/scale (about
// 80): spread over the days, and crowded as bench/scale's are (each
// committee meets on its weekday, the demo's weekly copies pile up:
// seven on Mondays, two or three on the other weekdays).
func BenchmarkCalendarPage(b *testing.B) {
	april := time.Date(2027, 3, 29, 0, 0, 0, 0, render.Berlin)
	for _, n := range []int{7, 80} {
		b.Run(fmt.Sprintf("meetings=%d", n), func(b *testing.B) {
			h := newCalendar(b, n*42/35, april) // n in April's grid, the rest in the week after
			loop(b, func() { getCalendar(b, h, "2027-04") })
		})
	}
	b.Run("meetings=80,crowded", func(b *testing.B) {
		ctx := context.Background()
		st, orgs := calendarStore(b)
		perWeekday := []int{7, 2, 2, 3, 2}
		for week := 0; week < 5; week++ {
			for wd, n := range perWeekday {
				for k := 0; k < n; k++ {
					d := april.AddDate(0, 0, 7*week+wd)
					m := &sessions.Meeting{OrganizationID: orgs[k%len(orgs)], Name: "Sitzung",
						Start: time.Date(d.Year(), d.Month(), d.Day(), 17, k, 0, 0, render.Berlin)}
					if err := st.CreateMeeting(ctx, m); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		h := newHandler(b, st)
		loop(b, func() { getCalendar(b, h, "2027-04") })
	})
}

// loop runs f b.N times and reports, besides the wall time, the process's
// CPU time per run: on a machine shared with other processes the wall
// time swings by several times, the CPU time far less.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	for b.Loop() {
		f()
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// A day with more meetings than its cell shows lists the earliest three
// and links, with the number of the others, to the office's list of that
// day, which holds exactly the day's meetings. What a viewer may not see
// is neither shown nor counted, in the cell, in the link or in its list.
func TestCalendarDayOverCap(t *testing.T) {
	ctx := context.Background()
	st, orgs := calendarStore(t)
	day := func(d, h int) time.Time { return time.Date(2027, 4, d, h, 0, 0, 0, render.Berlin) }
	ids := map[time.Time]int64{}
	// Created latest first, so that ids do not give the order by start.
	for _, m := range []struct {
		start     time.Time
		published bool
	}{
		{day(8, 0), true}, // the day after, just after midnight
		{day(7, 13), true}, {day(7, 12), false}, {day(7, 11), true},
		{day(7, 10), true}, {day(7, 9), false}, {day(7, 8), true},
		{day(6, 23), true}, // the day before, just before midnight
	} {
		mt := &sessions.Meeting{OrganizationID: orgs[0], Name: "Sitzung", Start: m.start}
		if err := st.CreateMeeting(ctx, mt); err != nil {
			t.Fatal(err)
		}
		if m.published {
			if err := st.PublishMeeting(ctx, mt.ID, time.Date(2026, 1, 2, 10, 0, 0, 0, render.Berlin)); err != nil {
				t.Fatal(err)
			}
		}
		ids[m.start] = mt.ID
	}
	h := newHandler(t, st)
	meetings := func(page string) []int64 {
		var out []int64
		for _, m := range regexp.MustCompile(`href="/office/meetings/(\d+)"`).FindAllStringSubmatch(page, -1) {
			var id int64
			fmt.Sscan(m[1], &id)
			out = append(out, id)
		}
		return out
	}
	idsAt := func(hours ...int) []int64 {
		var out []int64
		for _, hr := range hours {
			out = append(out, ids[day(7, hr)])
		}
		return out
	}
	const link = `href="/office?from=2027-04-07&amp;to=2027-04-08"`
	for _, tc := range []struct {
		name   string
		v      access.Viewer
		lang   string
		cell   []int64 // the day's meetings in its cell, in order
		more   string  // the link's text
		listed []int64 // the meetings of the linked list
	}{
		{"clerk", clerk, "", idsAt(8, 9, 10),
			`+ 3 weitere<span class="visually-hidden"> Sitzungen am 7. April</span></a>`, idsAt(8, 9, 10, 11, 12, 13)},
		{"clerk in English", clerk, "en", idsAt(8, 9, 10),
			`+ 3 more<span class="visually-hidden"> meetings on 7 April</span></a>`, idsAt(8, 9, 10, 11, 12, 13)},
		// A citizen does not see the drafts at 9 and 12 o'clock.
		{"citizen", access.Viewer{}, "", idsAt(8, 10, 11),
			`+ 1 weitere<span class="visually-hidden"> Sitzung am 7. April</span></a>`, idsAt(8, 10, 11, 13)},
		{"citizen in English", access.Viewer{}, "en", idsAt(8, 10, 11),
			`+ 1 more<span class="visually-hidden"> meeting on 7 April</span></a>`, idsAt(8, 10, 11, 13)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := get(t, h.CalendarPage, "/office/calendar?month=2027-04&lang="+tc.lang, tc.v)
			i := strings.Index(page, `<span class="day">7</span>`)
			j := strings.Index(page, `<span class="day">8</span>`)
			if i < 0 || j < i {
				t.Fatalf("no 7 and 8 April in the calendar:\n%s", page)
			}
			cell := page[i:j]
			if got := meetings(cell); !slices.Equal(got, tc.cell) {
				t.Errorf("7 April shows meetings %v, want %v:\n%s", got, tc.cell, cell)
			}
			if !strings.Contains(cell, `<a class="event more" `+link+`>`+tc.more) {
				t.Errorf("7 April has no link %s … %s:\n%s", link, tc.more, cell)
			}
			if n := strings.Count(page, `class="event more"`); n != 1 {
				t.Errorf("%d days link to more meetings, want 1", n)
			}
			// The meetings of the days around are in their own cells.
			for _, at := range []time.Time{day(6, 23), day(8, 0)} {
				if !strings.Contains(page, fmt.Sprintf(`href="/office/meetings/%d"`, ids[at])) {
					t.Errorf("meeting at %v is missing from the calendar", at)
				}
			}
			list := get(t, h.HomePage, "/office?from=2027-04-07&to=2027-04-08", tc.v)
			if got := meetings(list); !slices.Equal(got, tc.listed) {
				t.Errorf("the day's list shows meetings %v, want %v", got, tc.listed)
			}
		})
	}
}

// The list of a day long before the office's default window (two months
// back) starts at that day: the calendar links to days of any month.
func TestOfficeListFromLongAgo(t *testing.T) {
	ctx := context.Background()
	st, orgs := calendarStore(t)
	m := &sessions.Meeting{OrganizationID: orgs[0], Name: "Sitzung", Start: time.Date(2019, 5, 6, 17, 0, 0, 0, render.Berlin)}
	if err := st.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, st)
	page := get(t, h.HomePage, "/office?from=2019-05-06&to=2019-05-07", clerk)
	if !strings.Contains(page, fmt.Sprintf(`href="/office/meetings/%d"`, m.ID)) {
		t.Errorf("the list of 6 May 2019 misses its meeting:\n%s", page)
	}
}

// The cells are written in Go, not by the template: what a clerk typed
// is escaped there all the same.
func TestCalendarEscapes(t *testing.T) {
	ctx := context.Background()
	st, orgs := calendarStore(t)
	o := &sessions.Organization{BodyID: 1, Name: `Rat "A" & <b onclick='x'>`, Classification: sessions.ClassCommittee}
	if err := st.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	for _, org := range []int64{o.ID, orgs[0], orgs[1], orgs[2]} {
		m := &sessions.Meeting{OrganizationID: org, Name: "<i>Sitzung</i>", Start: time.Date(2027, 4, 7, 17, 0, 0, 0, render.Berlin)}
		if err := st.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	page := getCalendar(t, newHandler(t, st), "2027-04")
	if want := `17:00 Rat &#34;A&#34; &amp; &lt;b onclick=&#39;x&#39;&gt;<br>`; !strings.Contains(page, want) {
		t.Errorf("the calendar has no %s", want)
	}
	if strings.Contains(page, "<b onclick") {
		t.Errorf("the calendar holds the organization's name unescaped")
	}
}
