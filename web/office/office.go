// Package office is the council office's surface of web: its pages
// (/office: meetings, one meeting's agenda and documents, a calendar, the
// audit log) and its JSON API under /api/v1 (clerk.go: meetings, items,
// papers, attachments, exclusions, minutes, uploads). Everything here is
// for staff only (StaffPage, StaffOnly); web/routes.go registers it.
package office

import (
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Config is what the office works on.
type Config struct {
	folder.Config // the stores and the logger
	// TempDir receives uploads; MaxUpload is the largest accepted.
	TempDir   string
	MaxUpload int64
}

// Handler serves the office's pages and API.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	folder *folder.Folder
}

// New returns the office's handlers.
func New(cfg Config) *Handler {
	return &Handler{cfg: cfg, log: cfg.Logger(), folder: folder.New(cfg.Config)}
}

// The council office's pages (/office). They show everything, drafts
// included, and change things through the JSON API (static/office.js), so
// that the UI and scripts share one code path and one audit trail.

// StaffPage lets staff through and sends everyone else to sign in; to a
// member the office does not exist (404).
func (s *Handler) StaffPage(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := request.Viewer(r.Context())
		switch {
		case v.AccountID == 0:
			http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusSeeOther)
		case !v.Staff():
			render.Error(w, r, render.NotFound)
		default:
			next(w, r)
		}
	}
}

type officeMeeting struct {
	folder.MeetingView
	Status string // Entwurf, Veröffentlichung geplant am …, veröffentlicht
	// Publication is "draft", "scheduled" or "published": what the
	// publish card offers and what its confirmations say.
	Publication string
}

func newOfficeMeeting(v folder.MeetingView, m *sessions.Meeting, now time.Time, lang string) officeMeeting {
	switch {
	case m.PublishedAt.IsZero():
		return officeMeeting{v, render.T(lang, "office.status_draft"), "draft"}
	case now.Before(m.PublishedAt):
		return officeMeeting{v, render.T(lang, "office.status_scheduled") + " " + render.DateTime(m.PublishedAt), "scheduled"}
	}
	return officeMeeting{v, render.T(lang, "office.status_published"), "published"}
}

// officeMeetings reads one page of meetings for the office's lists, each
// with its publication status, and the link that continues it on path.
func (s *Handler) officeMeetings(r *http.Request, path string, f sessions.MeetingFilter, p folder.MeetingPage) ([]officeMeeting, string, error) {
	ctx := r.Context()
	ms, next, err := s.folder.FindMeetingPage(ctx, request.Viewer(ctx), f, p)
	if err != nil {
		return nil, "", err
	}
	views, err := s.folder.MeetingSummaries(ctx, ms)
	if err != nil {
		return nil, "", err
	}
	now, lang := time.Now(), render.Language(r)
	list := make([]officeMeeting, len(ms))
	for i, m := range ms {
		list[i] = newOfficeMeeting(views[i], m, now, lang)
	}
	if next != "" {
		next = folder.WithCursor(r, path, next)
	}
	return list, next, nil
}

// HomePage shows the office a bounded window of meetings — from two
// months ago (or from the `from` date) on, 50 at a time (`limit`, at
// most 200) — with links to the next ones ("Weitere Sitzungen") and to
// those before the window ("Frühere Sitzungen"); the calendar shows any
// month.
func (s *Handler) HomePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := folder.MeetingFilterFrom(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p, err := folder.ParseMeetingPage(r, folder.OfficeMeetingLimits)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	earlier := ""
	if p.After == nil {
		// A list asked from a date (the calendar's "+ 4 weitere" links to
		// one day) starts there, however long ago.
		cut := time.Now().AddDate(0, -2, 0)
		if !f.From.IsZero() {
			cut = f.From
		}
		// A link to the meetings before the window, if there are any.
		back := folder.Boundary(cut, true, 1)
		before, _, err := s.folder.FindMeetingPage(ctx, request.Viewer(ctx), f, back)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		if len(before) > 0 {
			earlier = folder.WithCursor(r, "/office", folder.EncodeMeetingCursor(*back.After, true))
		}
		p = folder.Boundary(cut, false, p.Limit)
	}
	list, next, err := s.officeMeetings(r, "/office", f, p)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	orgs, err := s.cfg.Sessions.FindOrganizations(ctx, sessions.OrganizationFilter{})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var bodies []*sessions.Organization
	for _, o := range orgs {
		if o.Classification != sessions.ClassFaction {
			bodies = append(bodies, o)
		}
	}
	pg := render.NewPage(w, r, "Ratsbüro")
	pg.Data = map[string]any{"Meetings": list, "Organizations": bodies, "Next": next, "Earlier": earlier,
		"Descending": p.Descending, "Continued": r.URL.Query().Get("cursor") != ""}
	pg.Scripts = []string{"office.js"}
	render.HTML(w, r, http.StatusOK, "office", pg)
}

type officeItem struct {
	*sessions.AgendaItem
	Documents []officeDoc
	Excluded  []*sessions.Person
	Duplicate bool // another item on the agenda has the same number
}

// markDuplicates flags the items whose number another item of the agenda
// has too; a withdrawn item's number counts, it stays on the record.
func markDuplicates(items []officeItem) (found bool) {
	n := map[string]int{}
	for _, it := range items {
		n[it.Number]++
	}
	for i := range items {
		if n[items[i].Number] > 1 {
			items[i].Duplicate, found = true, true
		}
	}
	return found
}

type officeMinutes struct {
	*sessions.Minutes
	Title string // its document's
}

type officeDoc struct {
	AttachmentID int64
	folder.DocumentEntry
	Withdrawn bool
}

// MeetingPage answers GET /office/meetings/{id}: one meeting to prepare.
func (s *Handler) MeetingPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	m, items, err := s.cfg.Sessions.FindAgenda(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var out []officeItem
	for _, it := range items {
		oi := officeItem{AgendaItem: it}
		as, err := s.cfg.Sessions.FindAttachments(ctx, v, sessions.AttachmentTarget{AgendaItemID: it.ID})
		if err != nil {
			render.Error(w, r, err)
			return
		}
		for _, a := range as {
			if d, ok := s.folder.Document(ctx, v, a); ok {
				oi.Documents = append(oi.Documents, officeDoc{AttachmentID: a.ID, DocumentEntry: d, Withdrawn: !a.WithdrawnAt.IsZero()})
			}
		}
		for _, pid := range it.Excluded {
			if p, err := s.cfg.Sessions.FindPersonByID(ctx, pid); err == nil {
				oi.Excluded = append(oi.Excluded, p)
			}
		}
		out = append(out, oi)
	}
	members, err := s.cfg.Sessions.FindMemberships(ctx, 0, m.OrganizationID)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var persons []*sessions.Person
	for _, ms := range members {
		if p, err := s.cfg.Sessions.FindPersonByID(ctx, ms.PersonID); err == nil {
			persons = append(persons, p)
		}
	}
	sort.Slice(persons, func(i, j int) bool { return persons[i].FamilyName < persons[j].FamilyName })
	// Deputies for the session console (issue 16) may come from anywhere
	// in the body, not only from this committee.
	var bodyPersons []*sessions.Person
	if o, err := s.cfg.Sessions.FindOrganizationByID(ctx, m.OrganizationID); err == nil {
		bodyPersons, _ = s.cfg.Sessions.FindPersons(ctx, sessions.PersonFilter{BodyID: o.BodyID})
	}
	found, err := s.cfg.Sessions.FindMinutes(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	// Minutes by their document's title: "Dokument 206" said nothing.
	minutes := make([]officeMinutes, len(found))
	for i, mi := range found {
		minutes[i] = officeMinutes{Minutes: mi, Title: fmt.Sprintf("%s %d", render.T(render.Language(r), "office.document"), mi.DocumentID)}
		if d, err := s.cfg.Documents.Store().FindDocumentByID(ctx, mi.DocumentID); err == nil && d.Title != "" {
			minutes[i].Title = d.Title
		}
	}
	// What publishing makes visible, for its confirmation.
	var public, nonPublic int
	for _, it := range items {
		switch {
		case it.Withdrawn():
		case it.Public:
			public++
		default:
			nonPublic++
		}
	}
	data := map[string]any{
		"Meeting": newOfficeMeeting(s.folder.MeetingSummary(ctx, m), m, time.Now(), render.Language(r)),
		"Start":   m.Start.In(render.Berlin).Format("2006-01-02T15:04"),
		"Items":   out, "Duplicates": markDuplicates(out), "Persons": persons, "BodyPersons": bodyPersons, "Minutes": minutes,
		"PublicItems": public, "PublicCount": counted(r, public, "office.public_item", "office.public_items"),
		"NonPublicCount": counted(r, nonPublic, "office.nonpublic_item", "office.nonpublic_items"),
	}
	if !m.PublishedAt.IsZero() {
		data["PublishedAt"] = render.DateTime(m.PublishedAt)
		data["PublishAt"] = m.PublishedAt.In(render.Berlin).Format("2006-01-02T15:04")
	}
	p := render.NewPage(w, r, m.Name)
	p.Data = data
	p.Scripts = []string{"office.js", "live-office.js"}
	render.HTML(w, r, http.StatusOK, "office_meeting", p)
}

// counted says "1 öffentlicher Punkt" or "3 öffentliche Punkte": n with
// the text of key one or many, in r's language.
func counted(r *http.Request, n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf(render.T(render.Language(r), one), n)
	}
	return fmt.Sprintf(render.T(render.Language(r), many), n)
}

// calendarDayCap is how many meetings a day's cell of the calendar shows:
// the earliest by start; the rest are counted behind a link to that day's
// list (see docs/decisions.md). It bounds both the page and the work, so
// that a month of a large city costs about what a small council's does.
const calendarDayCap = 3

type calendarDay struct {
	Day     int
	InMonth bool
	Today   bool
	// Events are the day's links, made by calendarCell.
	Events template.HTML
}

// calendarEvent is a meeting in a calendar's day: only what the cell
// shows.
type calendarEvent struct {
	ID     int64
	Title  string // the start in Berlin and the organization: 17:00 Stadtrat
	Status string
}

// calendarMore is the link of a day with more meetings than its cell
// shows, to the office's list of that day.
type calendarMore struct {
	Day  time.Time // its midnight in Berlin
	Text string    // "3 weitere", shown after a "+"
	Rest string    // "Sitzungen am 7. April", for screen readers
}

// calendarCell writes a day's links as HTML: each event's, then more's if
// more.Text is set. They are written here rather than by the template,
// because the template's escaping costs several reflective calls for
// each field of each meeting and a month can hold a hundred. It stays
// as safe: every text goes through html.EscapeString, and the URLs are
// made of numbers and dates only. The markup is the one the template
// wrote before (testdata/calendar-*.golden).
func calendarCell(events []calendarEvent, more calendarMore) template.HTML {
	var b []byte
	for _, e := range events {
		b = append(b, `<a class="event" href="/office/meetings/`...)
		b = strconv.AppendInt(b, e.ID, 10)
		b = append(b, `">`...)
		b = append(b, html.EscapeString(e.Title)...)
		b = append(b, `<br><small>`...)
		b = append(b, html.EscapeString(e.Status)...)
		b = append(b, `</small></a>`...)
	}
	if more.Text != "" {
		b = append(b, `<a class="event more" href="/office?from=`...)
		b = more.Day.AppendFormat(b, "2006-01-02")
		b = append(b, `&amp;to=`...)
		b = more.Day.AddDate(0, 0, 1).AppendFormat(b, "2006-01-02")
		b = append(b, `">+ `...)
		b = append(b, html.EscapeString(more.Text)...)
		b = append(b, `<span class="visually-hidden"> `...)
		b = append(b, html.EscapeString(more.Rest)...)
		b = append(b, `</span></a>`...)
	}
	return template.HTML(b)
}

// CalendarPage shows a month of meetings as a calendar grid,
// Monday first, in whole weeks. A day shows its first calendarDayCap
// meetings and links to the list of the whole day when it has more; only
// the meetings shown are described (organization, status).
func (s *Handler) CalendarPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	now := time.Now().In(render.Berlin)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, render.Berlin)
	if m, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), render.Berlin); err == nil {
		month = m
	}
	first := month.AddDate(0, 0, -((int(month.Weekday()) + 6) % 7))
	days := make([]calendarDay, (dayNumber(month.AddDate(0, 1, 0))-dayNumber(first)+6)/7*7)
	// FindMeetings decides what v sees, so a meeting v may not see is
	// neither shown nor counted; its order (start, id) puts each day's
	// earliest first.
	ms, err := s.cfg.Sessions.FindMeetings(ctx, v, sessions.MeetingFilter{From: first, To: first.AddDate(0, 0, len(days))})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	count := make([]int, len(days))
	shown, on := ms[:0:0], []int(nil)
	for _, m := range ms {
		if d := dayNumber(m.Start) - dayNumber(first); d >= 0 && d < len(days) {
			if count[d]++; count[d] <= calendarDayCap {
				shown, on = append(shown, m), append(on, d)
			}
		}
	}
	views, err := s.folder.MeetingSummaries(ctx, shown)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	lang := render.Language(r)
	events := make([][]calendarEvent, len(days))
	for i, m := range shown {
		events[on[i]] = append(events[on[i]], calendarEvent{ID: m.ID,
			Title:  m.Start.In(render.Berlin).Format("15:04") + " " + views[i].Organization,
			Status: newOfficeMeeting(views[i], m, now, lang).Status})
	}
	for i := range days {
		d := first.AddDate(0, 0, i)
		var more calendarMore
		if n := count[i] - calendarDayCap; n > 0 {
			key := "office.more_day_many"
			if n == 1 {
				key = "office.more_day_one"
			}
			more = calendarMore{Day: d, Text: fmt.Sprintf(render.T(lang, "office.more"), n), Rest: fmt.Sprintf(render.T(lang, key), dayAndMonth(d, lang))}
		}
		days[i] = calendarDay{Day: d.Day(), InMonth: d.Month() == month.Month(), Today: dayNumber(d) == dayNumber(now),
			Events: calendarCell(events[i], more)}
	}
	var weeks [][]calendarDay
	for i := 0; i < len(days); i += 7 {
		weeks = append(weeks, days[i:i+7])
	}
	p := render.NewPage(w, r, "Kalender")
	p.Data = map[string]any{
		"Month": monthAndYear(month, lang),
		"Prev":  month.AddDate(0, -1, 0).Format("2006-01"), "Next": month.AddDate(0, 1, 0).Format("2006-01"),
		"Weeks": weeks,
	}
	render.HTML(w, r, http.StatusOK, "office_calendar", p)
}

// monthAndYear names m's month in lang: "Dezember 2026", "December 2026".
func monthAndYear(m time.Time, lang string) string {
	if lang == "en" {
		return m.Format("January 2006")
	}
	return render.GermanMonths[m.Month()-1] + " " + fmt.Sprint(m.Year())
}

// dayAndMonth names d's day without its year, in lang: "7. Dezember",
// "7 December".
func dayAndMonth(d time.Time, lang string) string {
	if lang == "en" {
		return fmt.Sprintf("%d %s", d.Day(), d.Month())
	}
	return fmt.Sprintf("%d. %s", d.Day(), render.GermanMonths[d.Month()-1])
}

// dayNumber counts the days from 1 January 1970 to t's day in Berlin, so
// that days compare and subtract across changes of the clock.
func dayNumber(t time.Time) int {
	y, m, d := t.In(render.Berlin).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// AuditPage shows the audit log to admins.
func (s *Handler) AuditPage(w http.ResponseWriter, r *http.Request) {
	if request.Viewer(r.Context()).Role != access.RoleAdmin {
		render.Error(w, r, render.NotFound)
		return
	}
	es, err := s.cfg.Sessions.FindAuditEntries(r.Context(), 500)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p := render.NewPage(w, r, "Audit-Protokoll")
	p.Data = es
	render.HTML(w, r, http.StatusOK, "office_audit", p)
}
