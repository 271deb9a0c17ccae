package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The body-wide lists OParl 1.1 makes mandatory besides the classic
// ones (Body.agendaItem, Body.consultation, Body.file), and the soft
// deletes of agenda items and papers.
//
// Deleted agenda items: an item withdrawn after its meeting's agenda was
// published, in a meeting the public still sees — the public saw it, so
// its URL answers {deleted: true} and body-wide item lists with
// modified_since carry it. An item withdrawn before publication never
// shows. Deleted files: every attachment the public could see at some
// earlier time and cannot see now, by the policy over time
// (oparl_history.go). Deleted papers: a paper the audit log shows
// published on its own (paper.publish, at a time that had passed before
// the next paper.unpublish) that the public no longer sees.

// oparlListRoutes registers the body-wide lists on r (inside /oparl/v1).
func (s *Server) oparlListRoutes(r chi.Router) {
	r.Get("/body/{id}/agendaItem", s.oparlList(s.oparlAgendaItems))
	r.Get("/body/{id}/consultation", s.oparlList(s.oparlConsultations))
	r.Get("/body/{id}/file", s.oparlList(s.oparlFiles))
}

// oparlPublicMeetings returns the meetings of body bodyID the public
// sees, each with its OParl object.
func (s *Server) oparlPublicMeetings(r *http.Request, bodyID int64) ([]*sessions.Meeting, []*oparlMeetingObj, error) {
	ms, err := s.oparlMeetingsOf(r.Context(), bodyID, 0)
	if err != nil {
		return nil, nil, err
	}
	u := oparlURLs(oparlBase(r))
	objs := make([]*oparlMeetingObj, 0, len(ms))
	for _, m := range ms {
		o, _, err := s.oparlMeetingOf(r.Context(), u, r, m, false)
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, o)
	}
	return ms, objs, nil
}

func (s *Server) oparlAgendaItems(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	ms, objs, err := s.oparlPublicMeetings(r, bodyID)
	if err != nil {
		return nil, err
	}
	var out []oparlItem
	for _, o := range objs {
		for i := range o.AgendaItem {
			it := o.AgendaItem[i]
			out = append(out, oparlItem{id: idOf(it.ID), created: mustTime(it.Created), modified: mustTime(it.Modified), obj: &it})
		}
	}
	if q.modifiedSince.IsZero() {
		return out, nil
	}
	u := oparlURLs(oparlBase(r))
	for _, m := range ms {
		gone, err := s.oparlWithdrawnItems(r.Context(), m)
		if err != nil {
			return nil, err
		}
		for _, it := range gone {
			out = append(out, oparlItem{id: it.ID, created: it.Created, modified: it.Modified, deleted: true, obj: oparlDeletedItem(u, it)})
		}
	}
	return out, nil
}

// idOf is the numeric last segment of an OParl URL.
func idOf(u string) int64 {
	n, _ := strconv.ParseInt(u[strings.LastIndex(u, "/")+1:], 10, 64)
	return n
}

// oparlWithdrawnItems returns the items of meeting m (which the public
// sees) that were withdrawn after its agenda was published.
func (s *Server) oparlWithdrawnItems(ctx context.Context, m *sessions.Meeting) ([]*sessions.AgendaItem, error) {
	_, all, err := s.cfg.Sessions.FindAgenda(ctx, oparlStaff, m.ID)
	if err != nil {
		return nil, err
	}
	var out []*sessions.AgendaItem
	for _, it := range all {
		if it.Withdrawn() && it.WithdrawnAt.After(m.PublishedAt) {
			out = append(out, it)
		}
	}
	return out, nil
}

// oparlDeletedObj is a soft-deleted object: id, type, created, modified
// and deleted only — and what the schema requires of every object of
// the type: an AgendaItem's order, a File's accessUrl (which answers 404).
type oparlDeletedObj struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Order     *int   `json:"order,omitempty"`
	AccessURL string `json:"accessUrl,omitempty"` // required of every File by the schema
	Created   string `json:"created"`
	Modified  string `json:"modified"`
	Deleted   bool   `json:"deleted"`
}

func oparlDeletedItem(u oparlURLs, it *sessions.AgendaItem) *oparlDeletedObj {
	order := it.Position
	return &oparlDeletedObj{ID: u.of("agendaItem", it.ID), Type: oparlSchema + "AgendaItem", Order: &order, Created: oparlTime(it.Created),
		Modified: oparlTime(it.Modified), Deleted: true}
}

// oparlDeletedAgendaItem returns the deleted stub of item id if the
// public saw it before it was withdrawn; ENOTFOUND otherwise.
func (s *Server) oparlDeletedAgendaItem(r *http.Request, id int64) (any, error) {
	ctx := r.Context()
	it, err := s.cfg.Sessions.FindAgendaItemByID(ctx, oparlStaff, id)
	if err != nil {
		return nil, err
	}
	m, err := s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, it.MeetingID)
	if err != nil {
		return nil, err
	}
	if !it.Withdrawn() || !it.WithdrawnAt.After(m.PublishedAt) {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	return oparlDeletedItem(oparlURLs(oparlBase(r)), it), nil
}

func (s *Server) oparlConsultations(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
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
		cs, err := s.cfg.Sessions.FindConsultations(r.Context(), oparlViewer, p.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			o, err := s.oparlConsultationOf(r.Context(), u, c)
			if err != nil {
				return nil, err
			}
			out = append(out, oparlItem{id: c.ID, created: c.Created, modified: c.Created, obj: o})
		}
	}
	return out, nil
}

// oparlFiles lists every File the public sees: of meetings (invitation,
// auxiliary files, minutes), agenda items and papers, each once. Minutes
// (at /meeting/{mid}/protocol/{id}) sort after attachments.
func (s *Server) oparlFiles(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	_, objs, err := s.oparlPublicMeetings(r, bodyID)
	if err != nil {
		return nil, err
	}
	var out []oparlItem
	seen := map[string]bool{}
	add := func(fs ...*oparlFileObj) {
		for _, f := range fs {
			if f == nil || seen[f.ID] {
				continue
			}
			seen[f.ID] = true
			id := idOf(f.ID)
			if strings.Contains(f.ID, "/protocol/") {
				id += 1 << 40
			}
			out = append(out, oparlItem{id: id, created: mustTime(f.Created), modified: mustTime(f.Modified), obj: f})
		}
	}
	for _, o := range objs {
		add(o.Invitation, o.ResultsProtocol)
		add(o.AuxiliaryFile...)
		for _, it := range o.AgendaItem {
			add(it.AuxiliaryFile...)
		}
	}
	ps, err := s.cfg.Sessions.FindPapers(r.Context(), oparlViewer, sessions.PaperFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	for _, p := range ps {
		po, _, err := s.oparlPaperOf(r.Context(), u, p, false)
		if err != nil {
			return nil, err
		}
		add(po.MainFile)
		add(po.AuxiliaryFile...)
	}
	if q.modifiedSince.IsZero() {
		return out, nil
	}
	// Files the public saw once and sees no more: of every meeting, item
	// and paper of the body, whatever they look like now.
	gone, err := s.oparlGoneFiles(r.Context(), oparlURLs(oparlBase(r)), bodyID, seen)
	if err != nil {
		return nil, err
	}
	return append(out, gone...), nil
}

// oparlGoneFiles returns the deleted stubs of the attachments of body
// bodyID (of its meetings, their items, its papers) that the public saw
// at some earlier time and does not see now; skip holds the File URLs
// the public sees.
func (s *Server) oparlGoneFiles(ctx context.Context, u oparlURLs, bodyID int64, skip map[string]bool) ([]oparlItem, error) {
	ms, err := s.cfg.Sessions.FindMeetings(ctx, oparlStaff, sessions.MeetingFilter{})
	if err != nil {
		return nil, err
	}
	orgs, err := s.oparlOrgsOfBody(ctx, bodyID)
	if err != nil {
		return nil, err
	}
	var targets []sessions.AttachmentTarget
	for _, m := range ms {
		if !orgs[m.OrganizationID] {
			continue
		}
		targets = append(targets, sessions.AttachmentTarget{MeetingID: m.ID})
		_, items, err := s.cfg.Sessions.FindAgenda(ctx, oparlStaff, m.ID)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			targets = append(targets, sessions.AttachmentTarget{AgendaItemID: it.ID})
		}
	}
	ps, err := s.cfg.Sessions.FindPapers(ctx, oparlStaff, sessions.PaperFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		targets = append(targets, sessions.AttachmentTarget{PaperID: p.ID})
	}
	h := s.newOParlHistory(ctx)
	h.urls = u
	var out []oparlItem
	for _, t := range targets {
		as, err := s.cfg.Sessions.FindAttachments(ctx, oparlStaff, t)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if skip[u.of("file", a.ID)] {
				continue
			}
			stub, err := s.oparlGoneFile(h, a)
			if err != nil {
				return nil, err
			}
			if stub != nil {
				out = append(out, oparlItem{id: a.ID, created: a.Created, modified: mustTime(stub.Modified), deleted: true, obj: stub})
			}
		}
	}
	return out, nil
}

// oparlGoneFile returns the deleted stub of attachment a (read as
// staff) if the public saw it at some earlier time and does not see it
// now; nil otherwise.
func (s *Server) oparlGoneFile(h *oparlHistory, a *sessions.Attachment) (*oparlDeletedObj, error) {
	if _, err := s.cfg.Sessions.FindAttachmentByID(h.ctx, oparlViewer, a.ID); err == nil {
		return nil, nil // the public sees it
	} else if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return nil, err
	}
	when, ok, err := h.fileGone(a)
	if err != nil || !ok {
		return nil, err
	}
	return oparlDeletedFileObj(h.urls, a, when), nil
}

func oparlDeletedFileObj(u oparlURLs, a *sessions.Attachment, modified time.Time) *oparlDeletedObj {
	id := u.of("file", a.ID)
	return &oparlDeletedObj{ID: id, Type: oparlSchema + "File", AccessURL: id + "/access", Created: oparlTime(a.Created),
		Modified: oparlTime(modified), Deleted: true}
}

// oparlDeletedFile returns the deleted stub of attachment id if the
// public saw it once and does not now; ENOTFOUND otherwise.
func (s *Server) oparlDeletedFile(r *http.Request, id int64) (any, error) {
	a, err := s.cfg.Sessions.FindAttachmentByID(r.Context(), oparlStaff, id)
	if err != nil {
		return nil, err
	}
	h := s.newOParlHistory(r.Context())
	h.urls = oparlURLs(oparlBase(r))
	stub, err := s.oparlGoneFile(h, a)
	if err != nil {
		return nil, err
	}
	if stub == nil {
		return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	return stub, nil
}

// oparlDepublishedPaper reports whether paper id is hidden from the
// public now although the public could see it at some earlier time —
// published on its own, or consulted on an item the public saw — by the
// policy over time (oparl_history.go). It returns the bare record for
// the stub, its Modified the time the paper disappeared.
func (s *Server) oparlDepublishedPaper(ctx context.Context, id int64) (*sessions.Paper, bool, error) {
	return s.newOParlHistory(ctx).paperGone(id)
}

func oparlDeletedPaper(u oparlURLs, p *sessions.Paper) *oparlDeletedObj {
	return &oparlDeletedObj{ID: u.of("paper", p.ID), Type: oparlSchema + "Paper", Created: oparlTime(p.Created),
		Modified: oparlTime(p.Modified), Deleted: true}
}

// oparlDepublishedPapers returns the papers of body bodyID the public
// could see once and sees no more, gone since since.
func (s *Server) oparlDepublishedPapers(ctx context.Context, bodyID int64, since time.Time) ([]*sessions.Paper, error) {
	ps, err := s.cfg.Sessions.FindPapers(ctx, oparlStaff, sessions.PaperFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	h := s.newOParlHistory(ctx)
	var out []*sessions.Paper
	for _, p := range ps {
		gone, ok, err := h.paperGone(p.ID)
		if err != nil {
			return nil, err
		}
		if ok && !gone.Modified.Before(since) {
			out = append(out, gone)
		}
	}
	return out, nil
}
