package web

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The council office's pages (/office). They show everything, drafts
// included, and change things through the JSON API (static/office.js), so
// that the UI and scripts share one code path and one audit trail.

// staffPage lets staff through and sends everyone else to sign in; to a
// member the office does not exist (404).
func (s *Server) staffPage(next http.HandlerFunc) http.HandlerFunc {
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
	meetingView
	Status string // Entwurf, Sperrfrist, veröffentlicht
}

func meetingStatus(m *sessions.Meeting, now time.Time, lang string) string {
	switch {
	case m.PublishedAt.IsZero():
		return render.T(lang, "office.status_draft")
	case now.Before(m.PublishedAt):
		return render.T(lang, "office.status_embargo") + " " + m.PublishedAt.In(render.Berlin).Format("02.01.2006, 15:04")
	}
	return render.T(lang, "office.status_published")
}

// officeMeetings reads one page of meetings for the office's lists, each
// with its publication status, and the link that continues it on path.
func (s *Server) officeMeetings(r *http.Request, path string, f sessions.MeetingFilter, p meetingPage) ([]officeMeeting, string, error) {
	ctx := r.Context()
	ms, next, err := s.findMeetingPage(ctx, request.Viewer(ctx), f, p)
	if err != nil {
		return nil, "", err
	}
	views, err := s.meetingSummaries(ctx, ms)
	if err != nil {
		return nil, "", err
	}
	now, lang := time.Now(), render.Language(r)
	list := make([]officeMeeting, len(ms))
	for i, m := range ms {
		list[i] = officeMeeting{views[i], meetingStatus(m, now, lang)}
	}
	if next != "" {
		next = withCursor(r, path, next)
	}
	return list, next, nil
}

// pageOffice shows the office a bounded window of meetings — from two
// months ago on, 50 at a time (`limit`, at most 200) — with links to the
// next ones ("Weitere Sitzungen") and to those before the window
// ("Frühere Sitzungen"); the calendar shows any month.
func (s *Server) pageOffice(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := meetingFilterFrom(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p, err := parseMeetingPage(r, officeMeetingLimits)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	earlier := ""
	if p.After == nil {
		cut := time.Now().AddDate(0, -2, 0)
		// A link to the meetings before the window, if there are any.
		back := boundary(cut, true, 1)
		before, _, err := s.findMeetingPage(ctx, request.Viewer(ctx), f, back)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		if len(before) > 0 {
			earlier = withCursor(r, "/office", encodeMeetingCursor(*back.After, true))
		}
		p = boundary(cut, false, p.Limit)
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
}

type officeDoc struct {
	AttachmentID int64
	documentEntry
	Withdrawn bool
}

func (s *Server) pageOfficeMeeting(w http.ResponseWriter, r *http.Request) {
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
			if d, ok := s.document(ctx, v, a); ok {
				oi.Documents = append(oi.Documents, officeDoc{AttachmentID: a.ID, documentEntry: d, Withdrawn: !a.WithdrawnAt.IsZero()})
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
	minutes, err := s.cfg.Sessions.FindMinutes(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p := render.NewPage(w, r, m.Name)
	p.Data = map[string]any{
		"Meeting": officeMeeting{s.meetingSummary(ctx, m), meetingStatus(m, time.Now(), render.Language(r))},
		"Start":   m.Start.In(render.Berlin).Format("2006-01-02T15:04"),
		"Items":   out, "Persons": persons, "Minutes": minutes,
	}
	p.Scripts = []string{"office.js"}
	render.HTML(w, r, http.StatusOK, "office_meeting", p)
}

type calendarDay struct {
	Day      int
	InMonth  bool
	Today    bool
	Meetings []officeMeeting
}

// pageOfficeCalendar shows a month of meetings as a calendar grid,
// Monday first.
func (s *Server) pageOfficeCalendar(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	now := time.Now().In(render.Berlin)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, render.Berlin)
	if m, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), render.Berlin); err == nil {
		month = m
	}
	first := month.AddDate(0, 0, -((int(month.Weekday()) + 6) % 7))
	last := month.AddDate(0, 1, 0)
	ms, err := s.cfg.Sessions.FindMeetings(ctx, v, sessions.MeetingFilter{From: first, To: last.AddDate(0, 0, 7)})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	views, err := s.meetingSummaries(ctx, ms)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var weeks [][]calendarDay
	for d := first; d.Before(last); {
		var week []calendarDay
		for i := 0; i < 7; i++ {
			cd := calendarDay{Day: d.Day(), InMonth: d.Month() == month.Month(), Today: d.Year() == now.Year() && d.YearDay() == now.YearDay()}
			for i, m := range ms {
				ls := m.Start.In(render.Berlin)
				if ls.Year() == d.Year() && ls.YearDay() == d.YearDay() {
					cd.Meetings = append(cd.Meetings, officeMeeting{views[i], meetingStatus(m, time.Now(), render.Language(r))})
				}
			}
			week = append(week, cd)
			d = d.AddDate(0, 0, 1)
		}
		weeks = append(weeks, week)
	}
	p := render.NewPage(w, r, "Kalender")
	p.Data = map[string]any{
		"Month": render.GermanMonths[month.Month()-1] + " " + fmt.Sprint(month.Year()),
		"Prev":  month.AddDate(0, -1, 0).Format("2006-01"), "Next": month.AddDate(0, 1, 0).Format("2006-01"),
		"Weeks": weeks,
	}
	render.HTML(w, r, http.StatusOK, "office_calendar", p)
}

// pageOfficeAudit shows the audit log to admins.
func (s *Server) pageOfficeAudit(w http.ResponseWriter, r *http.Request) {
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
