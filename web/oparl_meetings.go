package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// ---- meetings, agenda items, locations ----

// oparlMeetingOf builds meeting m as the public sees it, with its agenda
// and files embedded (unless omitInternal), and returns its effective
// modification time: the latest of the meeting's and of everything it
// embeds, so that modified_since finds a meeting whose agenda changed.
func (s *Server) oparlMeetingOf(ctx context.Context, u oparlURLs, r *http.Request, m *sessions.Meeting, omitInternal bool) (*oparlMeetingObj, time.Time, error) {
	_, items, err := s.cfg.Sessions.FindAgenda(ctx, oparlViewer, m.ID)
	if err != nil {
		return nil, time.Time{}, err
	}
	o := &oparlMeetingObj{ID: u.of("meeting", m.ID), Type: oparlSchema + "Meeting", Name: m.Name, MeetingState: m.State,
		Cancelled: m.State == sessions.MeetingCancelled, Start: oparlTime(m.Start), End: oparlTime(m.End),
		Organization: []string{u.of("organization", m.OrganizationID)}, Web: strings.TrimSuffix(oparlWeb(r), "/meetings") + "/meetings/" + id64(m.ID),
		Created: oparlTime(m.Created)}
	modified := m.Modified
	if m.Location != "" {
		o.Location = oparlLocationOf(u, m)
	}
	files, fm, err := s.oparlFilesOf(ctx, u, sessions.AttachmentTarget{MeetingID: m.ID})
	if err != nil {
		return nil, time.Time{}, err
	}
	modified = latest(modified, fm)
	for _, af := range files {
		a, f := af.a, af.f
		if a.Role == sessions.RoleInvitation && o.Invitation == nil {
			o.Invitation = f
		} else if !omitInternal {
			o.AuxiliaryFile = append(o.AuxiliaryFile, f)
		}
	}
	if f, fm, err := s.oparlProtocolOf(ctx, u, m.ID, 0); err != nil {
		return nil, time.Time{}, err
	} else if f != nil {
		o.ResultsProtocol = f
		modified = latest(modified, fm)
	}
	for _, it := range items {
		ai, im, err := s.oparlAgendaItemOf(ctx, u, it)
		if err != nil {
			return nil, time.Time{}, err
		}
		modified = latest(modified, im)
		if !omitInternal {
			o.AgendaItem = append(o.AgendaItem, *ai)
		}
	}
	o.Modified = oparlTime(modified)
	return o, modified, nil
}

// oparlAgendaItemOf builds an item as the public sees it: in full, or —
// for a non-public item — the stub the policy gives (number, public
// title), never its files.
func (s *Server) oparlAgendaItemOf(ctx context.Context, u oparlURLs, it *sessions.AgendaItem) (*oparlAgendaItemObj, time.Time, error) {
	o := &oparlAgendaItemObj{ID: u.of("agendaItem", it.ID), Type: oparlSchema + "AgendaItem", Meeting: u.of("meeting", it.MeetingID),
		Number: it.Number, Order: it.Position, Name: it.Title, Public: it.Public && it.Access == access.Full,
		Created: oparlTime(it.Created)}
	modified := it.Modified
	if it.Access == access.Full {
		o.Result, o.ResolutionText = it.Result, it.Resolution
		c, err := s.oparlConsultationOfItem(ctx, it.ID)
		if err != nil {
			return nil, time.Time{}, err
		}
		if c != nil {
			o.Consultation = u.of("paper", c.PaperID) + "/consultation/" + id64(c.ID)
			modified = latest(modified, c.Created)
		}
		files, fm, err := s.oparlFilesOf(ctx, u, sessions.AttachmentTarget{AgendaItemID: it.ID})
		if err != nil {
			return nil, time.Time{}, err
		}
		modified = latest(modified, fm)
		for _, af := range files {
			o.AuxiliaryFile = append(o.AuxiliaryFile, af.f)
		}
	}
	o.Modified = oparlTime(modified)
	return o, modified, nil
}

// oparlConsultationOfItem returns the consultation of a paper on item
// itemID the public sees (the first, if several papers are on the item:
// OParl links one), or nil. It is the same consultation the paper lists,
// so AgendaItem.consultation and Consultation.agendaItem agree.
func (s *Server) oparlConsultationOfItem(ctx context.Context, itemID int64) (*sessions.Consultation, error) {
	ps, err := s.cfg.Sessions.FindPapers(ctx, oparlViewer, sessions.PaperFilter{AgendaItemID: itemID})
	if err != nil {
		return nil, err
	}
	var first *sessions.Consultation
	for _, p := range ps {
		cs, err := s.cfg.Sessions.FindConsultations(ctx, oparlViewer, p.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.AgendaItemID == itemID && (first == nil || c.ID < first.ID) {
				first = c
			}
		}
	}
	return first, nil
}

func oparlLocationOf(u oparlURLs, m *sessions.Meeting) *oparlLocationObj {
	return &oparlLocationObj{ID: u.of("location", m.ID), Type: oparlSchema + "Location", Description: m.Location,
		Meetings: []string{u.of("meeting", m.ID)}, Created: oparlTime(m.Created), Modified: oparlTime(m.Modified)}
}

// oparlMeetingsOf returns the meetings the public sees, of body bodyID or
// of organization orgID.
func (s *Server) oparlMeetingsOf(ctx context.Context, bodyID, orgID int64) ([]*sessions.Meeting, error) {
	ms, err := s.cfg.Sessions.FindMeetings(ctx, oparlViewer, sessions.MeetingFilter{OrganizationID: orgID})
	if err != nil {
		return nil, err
	}
	if bodyID == 0 {
		return ms, nil
	}
	orgs, err := s.oparlOrgsOfBody(ctx, bodyID)
	if err != nil {
		return nil, err
	}
	var out []*sessions.Meeting
	for _, m := range ms {
		if orgs[m.OrganizationID] {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *Server) oparlOrgsOfBody(ctx context.Context, bodyID int64) (map[int64]bool, error) {
	orgs, err := s.cfg.Sessions.FindOrganizations(ctx, sessions.OrganizationFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	in := map[int64]bool{}
	for _, o := range orgs {
		in[o.ID] = true
	}
	return in, nil
}

// oparlMeetings lists a body's (/body/{id}/meeting) or an organization's
// (/organization/{id}/meeting) meetings; with modified_since also the
// meetings that were public once and are not any more, as deleted.
func (s *Server) oparlMeetings(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	ctx := r.Context()
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	var bodyID, orgID int64
	if strings.HasPrefix(r.URL.Path, "/oparl/v1/organization/") {
		if _, err := s.cfg.Sessions.FindOrganizationByID(ctx, id); err != nil {
			return nil, err
		}
		orgID = id
	} else if bodyID, err = s.bodyParam(r); err != nil {
		return nil, err
	}
	ms, err := s.oparlMeetingsOf(ctx, bodyID, orgID)
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	var out []oparlItem
	seen := map[int64]bool{}
	for _, m := range ms {
		o, mod, err := s.oparlMeetingOf(ctx, u, r, m, q.omitInternal)
		if err != nil {
			return nil, err
		}
		seen[m.ID] = true
		out = append(out, oparlItem{id: m.ID, created: m.Created, modified: mod, obj: o})
	}
	if q.modifiedSince.IsZero() {
		return out, nil
	}
	gone, err := s.oparlDepublishedMeetings(ctx, q.modifiedSince)
	if err != nil {
		return nil, err
	}
	var orgs map[int64]bool
	if bodyID != 0 {
		if orgs, err = s.oparlOrgsOfBody(ctx, bodyID); err != nil {
			return nil, err
		}
	}
	for _, m := range gone {
		if seen[m.ID] || (orgID != 0 && m.OrganizationID != orgID) || (bodyID != 0 && !orgs[m.OrganizationID]) {
			continue
		}
		seen[m.ID] = true
		out = append(out, oparlItem{id: m.ID, created: m.Created, modified: m.Modified, deleted: true, obj: oparlDeletedMeeting(u, m)})
	}
	return out, nil
}

func oparlDeletedMeeting(u oparlURLs, m *sessions.Meeting) *oparlMeetingObj {
	return &oparlMeetingObj{ID: u.of("meeting", m.ID), Type: oparlSchema + "Meeting", Created: oparlTime(m.Created),
		Modified: oparlTime(m.Modified), Deleted: true}
}

// oparlStaff reads the bare record of a meeting that was public once and
// is not any more, for its deleted stub (id, type, created, modified). It
// is the only read here that is not anonymous, and it is used only after
// the audit log shows that the public has seen the meeting.
var oparlStaff = access.Viewer{Role: access.RoleClerk}

// oparlDepublishedMeetings returns the meetings unpublished since since
// that the public had seen and no longer sees.
func (s *Server) oparlDepublishedMeetings(ctx context.Context, since time.Time) ([]*sessions.Meeting, error) {
	es, err := s.cfg.Sessions.FindAuditEntriesFor(ctx, sessions.AuditFilter{Action: "meeting.unpublish", ObjectType: "meeting", From: since, Limit: 10000})
	if err != nil {
		return nil, err
	}
	var out []*sessions.Meeting
	done := map[int64]bool{}
	for _, e := range es {
		if done[e.ObjectID] {
			continue
		}
		done[e.ObjectID] = true
		m, ok, err := s.oparlDepublished(ctx, e.ObjectID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// oparlDepublished reports whether meeting id is hidden from the public
// now although the public saw it once: a meeting.publish entry in the
// audit log whose publication time came before the meeting's next
// publish or unpublish. A draft never published, or an embargo lifted
// before it ended, never shows.
func (s *Server) oparlDepublished(ctx context.Context, id int64) (*sessions.Meeting, bool, error) {
	if _, err := s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, id); err == nil {
		return nil, false, nil
	} else if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return nil, false, err
	}
	es, err := s.cfg.Sessions.FindAuditEntriesFor(ctx, sessions.AuditFilter{ObjectType: "meeting", ObjectID: id, Limit: 10000})
	if err != nil {
		return nil, false, err
	}
	next := s.cfg.Sessions.Now()
	public := false
	for _, e := range es { // newest first
		switch e.Action {
		case "meeting.publish":
			if at, err := time.Parse(time.RFC3339, e.Details); err == nil && !at.After(next) {
				public = true
			}
			next = e.At
		case "meeting.unpublish":
			next = e.At
		}
	}
	if !public {
		return nil, false, nil
	}
	m, err := s.cfg.Sessions.FindMeetingByID(ctx, oparlStaff, id)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

func (s *Server) oparlMeeting(r *http.Request) (any, error) {
	ctx := r.Context()
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	m, err := s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, id)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		// Soft delete: a meeting the public saw keeps its URL.
		gone, ok, derr := s.oparlDepublished(ctx, id)
		if derr != nil {
			return nil, derr
		}
		if ok {
			return oparlDeletedMeeting(u, gone), nil
		}
	}
	if err != nil {
		return nil, err
	}
	o, _, err := s.oparlMeetingOf(ctx, u, r, m, false)
	return o, err
}

func (s *Server) oparlAgendaItem(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	it, err := s.cfg.Sessions.FindAgendaItemByID(r.Context(), oparlViewer, id)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		// Soft delete: an item the public saw keeps its URL.
		if gone, derr := s.oparlDeletedAgendaItem(r, id); derr == nil {
			return gone, nil
		}
	}
	if err != nil {
		return nil, err
	}
	o, _, err := s.oparlAgendaItemOf(r.Context(), oparlURLs(oparlBase(r)), it)
	return o, err
}

func (s *Server) oparlLocation(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	m, err := s.cfg.Sessions.FindMeetingByID(r.Context(), oparlViewer, id)
	if err != nil {
		return nil, err
	}
	if m.Location == "" {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	return oparlLocationOf(oparlURLs(oparlBase(r)), m), nil
}

func (s *Server) oparlLocations(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	ms, err := s.oparlMeetingsOf(r.Context(), bodyID, 0)
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	var out []oparlItem
	for _, m := range ms {
		if m.Location != "" {
			out = append(out, oparlItem{id: m.ID, created: m.Created, modified: m.Modified, obj: oparlLocationOf(u, m)})
		}
	}
	return out, nil
}

// ---- papers and consultations ----

func (s *Server) oparlPaperOf(ctx context.Context, u oparlURLs, p *sessions.Paper, omitInternal bool) (*oparlPaperObj, time.Time, error) {
	o := &oparlPaperObj{ID: u.of("paper", p.ID), Type: oparlSchema + "Paper", Body: u.of("body", p.BodyID), Name: p.Name,
		Reference: p.Reference, Date: p.Date, PaperType: p.Type, Created: oparlTime(p.Created)}
	modified := p.Modified
	files, fm, err := s.oparlFilesOf(ctx, u, sessions.AttachmentTarget{PaperID: p.ID})
	if err != nil {
		return nil, time.Time{}, err
	}
	modified = latest(modified, fm)
	for _, af := range files {
		a, f := af.a, af.f
		if a.Role == sessions.RoleMain && o.MainFile == nil {
			o.MainFile = f
		} else if !omitInternal {
			o.AuxiliaryFile = append(o.AuxiliaryFile, f)
		}
	}
	cs, err := s.cfg.Sessions.FindConsultations(ctx, oparlViewer, p.ID)
	if err != nil {
		return nil, time.Time{}, err
	}
	for _, c := range cs {
		co, err := s.oparlConsultationOf(ctx, u, c)
		if err != nil {
			return nil, time.Time{}, err
		}
		modified = latest(modified, c.Created)
		o.Consultation = append(o.Consultation, *co)
	}
	o.Modified = oparlTime(modified)
	return o, modified, nil
}

func (s *Server) oparlConsultationOf(ctx context.Context, u oparlURLs, c *sessions.Consultation) (*oparlConsultationObj, error) {
	o := &oparlConsultationObj{ID: u.of("paper", c.PaperID) + "/consultation/" + id64(c.ID), Type: oparlSchema + "Consultation",
		Paper: u.of("paper", c.PaperID), AgendaItem: u.of("agendaItem", c.AgendaItemID), Authoritative: c.Authoritative,
		Role: c.Role, Created: oparlTime(c.Created), Modified: oparlTime(c.Created)}
	it, err := s.cfg.Sessions.FindAgendaItemByID(ctx, oparlViewer, c.AgendaItemID)
	if err != nil {
		return nil, err
	}
	m, err := s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, it.MeetingID)
	if err != nil {
		return nil, err
	}
	o.Meeting = u.of("meeting", m.ID)
	o.Organization = []string{u.of("organization", m.OrganizationID)}
	return o, nil
}

func (s *Server) oparlPapers(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	ps, err := s.cfg.Sessions.FindPapers(r.Context(), oparlViewer, sessions.PaperFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	var out []oparlItem
	for _, p := range ps {
		o, mod, err := s.oparlPaperOf(r.Context(), u, p, q.omitInternal)
		if err != nil {
			return nil, err
		}
		out = append(out, oparlItem{id: p.ID, created: p.Created, modified: mod, obj: o})
	}
	if q.modifiedSince.IsZero() {
		return out, nil
	}
	gone, err := s.oparlDepublishedPapers(r.Context(), bodyID, q.modifiedSince)
	if err != nil {
		return nil, err
	}
	for _, p := range gone {
		out = append(out, oparlItem{id: p.ID, created: p.Created, modified: p.Modified, deleted: true, obj: oparlDeletedPaper(u, p)})
	}
	return out, nil
}

func (s *Server) oparlPaper(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Sessions.FindPaperByID(r.Context(), oparlViewer, id)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		// Soft delete: a paper the public saw keeps its URL.
		gone, ok, derr := s.oparlDepublishedPaper(r.Context(), id)
		if derr != nil {
			return nil, derr
		}
		if ok {
			return oparlDeletedPaper(oparlURLs(oparlBase(r)), gone), nil
		}
	}
	if err != nil {
		return nil, err
	}
	o, _, err := s.oparlPaperOf(r.Context(), oparlURLs(oparlBase(r)), p, false)
	return o, err
}

func (s *Server) oparlConsultation(r *http.Request) (any, error) {
	pid, err := oparlID(r, "paper")
	if err != nil {
		return nil, err
	}
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	cs, err := s.cfg.Sessions.FindConsultations(r.Context(), oparlViewer, pid)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.ID == id {
			return s.oparlConsultationOf(r.Context(), oparlURLs(oparlBase(r)), c)
		}
	}
	return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
}
