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
		loc, err := s.oparlLocationOf(ctx, u, m)
		if err != nil {
			return nil, time.Time{}, err
		}
		o.Location = loc
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
	if modified, err = s.oparlTouched(ctx, access.ObjMeeting, m.ID, modified); err != nil {
		return nil, time.Time{}, err
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
	modified, err := s.oparlTouched(ctx, access.ObjAgendaItem, it.ID, modified)
	if err != nil {
		return nil, time.Time{}, err
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

// oparlLocationOf is the Location of meeting m (which has a location).
func (s *Server) oparlLocationOf(ctx context.Context, u oparlURLs, m *sessions.Meeting) (*oparlLocationObj, error) {
	modified, err := s.oparlTouched(ctx, access.ObjLocation, m.ID, m.Modified)
	if err != nil {
		return nil, err
	}
	return &oparlLocationObj{ID: u.of("location", m.ID), Type: oparlSchema + "Location", Description: m.Location,
		Meetings: []string{u.of("meeting", m.ID)}, Created: oparlTime(m.Created), Modified: oparlTime(modified)}, nil
}

func (s *Server) oparlMeeting(r *http.Request) (any, error) {
	ctx := r.Context()
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	m, err := s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, id)
	if err != nil {
		return s.oparlGoneOne(r, access.ObjMeeting, id, err)
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
	if err != nil {
		return s.oparlGoneOne(r, access.ObjAgendaItem, id, err)
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
	if err == nil && m.Location == "" {
		err = ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	if err != nil {
		return s.oparlGoneOne(r, access.ObjLocation, id, err)
	}
	return s.oparlLocationOf(r.Context(), oparlURLs(oparlBase(r)), m)
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
	// The office attaches a paper's documents to the paper or to the
	// agenda items it is consulted on (the Vorlage travels with the item
	// of the committee and of the council); a mirror finds them at the
	// paper either way. The same File is then both the item's and the
	// paper's, once.
	seen := map[string]bool{}
	for _, af := range files {
		seen[af.f.ID] = true
	}
	for _, c := range cs {
		itemFiles, fm, err := s.oparlFilesOf(ctx, u, sessions.AttachmentTarget{AgendaItemID: c.AgendaItemID})
		if err != nil {
			return nil, time.Time{}, err
		}
		for _, af := range itemFiles {
			if seen[af.f.ID] || (af.a.Role != sessions.RoleMain && af.a.Role != sessions.RoleAttachment) {
				continue
			}
			seen[af.f.ID] = true
			modified = latest(modified, fm)
			if af.a.Role == sessions.RoleMain && o.MainFile == nil {
				o.MainFile = af.f
			} else if !omitInternal {
				o.AuxiliaryFile = append(o.AuxiliaryFile, af.f)
			}
		}
	}
	for _, c := range cs {
		co, err := s.oparlConsultationOf(ctx, u, c)
		if err != nil {
			return nil, time.Time{}, err
		}
		modified = latest(modified, mustTime(co.Modified))
		o.Consultation = append(o.Consultation, *co)
	}
	modified, err = s.oparlTouched(ctx, access.ObjPaper, p.ID, modified)
	if err != nil {
		return nil, time.Time{}, err
	}
	o.Modified = oparlTime(modified)
	return o, modified, nil
}

func (s *Server) oparlConsultationOf(ctx context.Context, u oparlURLs, c *sessions.Consultation) (*oparlConsultationObj, error) {
	o := &oparlConsultationObj{ID: u.of("paper", c.PaperID) + "/consultation/" + id64(c.ID), Type: oparlSchema + "Consultation",
		Paper: u.of("paper", c.PaperID), AgendaItem: u.of("agendaItem", c.AgendaItemID), Authoritative: c.Authoritative,
		Role: c.Role, Created: oparlTime(c.Created)}
	modified, err := s.oparlTouched(ctx, access.ObjConsultation, c.ID, c.Created)
	if err != nil {
		return nil, err
	}
	o.Modified = oparlTime(modified)
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

func (s *Server) oparlPaper(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Sessions.FindPaperByID(r.Context(), oparlViewer, id)
	if err != nil {
		return s.oparlGoneOne(r, access.ObjPaper, id, err)
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
		return s.oparlGoneOne(r, access.ObjConsultation, id, err)
	}
	for _, c := range cs {
		if c.ID == id {
			return s.oparlConsultationOf(r.Context(), oparlURLs(oparlBase(r)), c)
		}
	}
	return s.oparlGoneOne(r, access.ObjConsultation, id, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
}
