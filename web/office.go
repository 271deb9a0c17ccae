package web

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The council office's pages (/office). They show everything, drafts
// included, and change things through the JSON API (static/office.js), so
// that the UI and scripts share one code path and one audit trail.

// staffPage lets staff through and sends everyone else to sign in; to a
// member the office does not exist (404).
func (s *Server) staffPage(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		switch {
		case v.AccountID == 0:
			http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusSeeOther)
		case !v.Staff():
			s.pageError(w, r, notFoundErr)
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
		return translate(lang, "office.status_draft")
	case now.Before(m.PublishedAt):
		return translate(lang, "office.status_embargo") + " " + m.PublishedAt.In(berlin).Format("02.01.2006, 15:04")
	}
	return translate(lang, "office.status_published")
}

func (s *Server) pageOffice(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := viewerFrom(ctx)
	now := time.Now()
	ms, err := s.cfg.Sessions.FindMeetings(ctx, v, sessions.MeetingFilter{From: now.AddDate(0, -2, 0)})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var list []officeMeeting
	for _, m := range ms {
		list = append(list, officeMeeting{s.meetingSummary(ctx, m), meetingStatus(m, now, language(r))})
	}
	orgs, err := s.cfg.Sessions.FindOrganizations(ctx, sessions.OrganizationFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var bodies []*sessions.Organization
	for _, o := range orgs {
		if o.Classification != sessions.ClassFaction {
			bodies = append(bodies, o)
		}
	}
	p := s.newPage(w, r, "Ratsbüro")
	p.Data = map[string]any{"Meetings": list, "Organizations": bodies}
	p.Scripts = []string{"office.js"}
	s.render(w, r, http.StatusOK, "office", p)
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
	v := viewerFrom(ctx)
	id, ok := idParam(r, "id")
	if !ok {
		s.pageError(w, r, notFoundErr)
		return
	}
	m, items, err := s.cfg.Sessions.FindAgenda(ctx, v, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var out []officeItem
	for _, it := range items {
		oi := officeItem{AgendaItem: it}
		as, err := s.cfg.Sessions.FindAttachments(ctx, v, sessions.AttachmentTarget{AgendaItemID: it.ID})
		if err != nil {
			s.pageError(w, r, err)
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
		s.pageError(w, r, err)
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
		s.pageError(w, r, err)
		return
	}
	p := s.newPage(w, r, m.Name)
	p.Data = map[string]any{
		"Meeting": officeMeeting{s.meetingSummary(ctx, m), meetingStatus(m, time.Now(), language(r))},
		"Start":   m.Start.In(berlin).Format("2006-01-02T15:04"),
		"Items":   out, "Persons": persons, "Minutes": minutes,
	}
	p.Scripts = []string{"office.js"}
	s.render(w, r, http.StatusOK, "office_meeting", p)
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
	v := viewerFrom(ctx)
	now := time.Now().In(berlin)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, berlin)
	if m, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), berlin); err == nil {
		month = m
	}
	first := month.AddDate(0, 0, -((int(month.Weekday()) + 6) % 7))
	last := month.AddDate(0, 1, 0)
	ms, err := s.cfg.Sessions.FindMeetings(ctx, v, sessions.MeetingFilter{From: first, To: last.AddDate(0, 0, 7)})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var weeks [][]calendarDay
	for d := first; d.Before(last); {
		var week []calendarDay
		for i := 0; i < 7; i++ {
			cd := calendarDay{Day: d.Day(), InMonth: d.Month() == month.Month(), Today: d.Year() == now.Year() && d.YearDay() == now.YearDay()}
			for _, m := range ms {
				ls := m.Start.In(berlin)
				if ls.Year() == d.Year() && ls.YearDay() == d.YearDay() {
					cd.Meetings = append(cd.Meetings, officeMeeting{s.meetingSummary(ctx, m), meetingStatus(m, time.Now(), language(r))})
				}
			}
			week = append(week, cd)
			d = d.AddDate(0, 0, 1)
		}
		weeks = append(weeks, week)
	}
	p := s.newPage(w, r, "Kalender")
	p.Data = map[string]any{
		"Month": germanMonths[month.Month()-1] + " " + fmt.Sprint(month.Year()),
		"Prev":  month.AddDate(0, -1, 0).Format("2006-01"), "Next": month.AddDate(0, 1, 0).Format("2006-01"),
		"Weeks": weeks,
	}
	s.render(w, r, http.StatusOK, "office_calendar", p)
}

// pageOfficeAudit shows the audit log to admins.
func (s *Server) pageOfficeAudit(w http.ResponseWriter, r *http.Request) {
	if viewerFrom(r.Context()).Role != access.RoleAdmin {
		s.pageError(w, r, notFoundErr)
		return
	}
	es, err := s.cfg.Sessions.FindAuditEntries(r.Context(), 500)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := s.newPage(w, r, "Audit-Protokoll")
	p.Data = es
	s.render(w, r, http.StatusOK, "office_audit", p)
}
