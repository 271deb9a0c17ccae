package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The body-wide lists OParl 1.1 makes mandatory besides the classic
// ones (Body.agendaItem, Body.consultation, Body.file). Their deleted
// stubs come from the publication ledger (oparl_deleted.go).

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
	_, objs, err := s.oparlPublicMeetings(r, bodyID)
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
	seen := map[int64]bool{}
	for _, it := range out {
		seen[it.id] = true
	}
	gone, err := s.oparlGoneList(r.Context(), oparlURLs(oparlBase(r)), access.ObjAgendaItem, bodyID, 0, seen, 0)
	return append(out, gone...), err
}

// idOf is the numeric last segment of an OParl URL.
func idOf(u string) int64 {
	n, _ := strconv.ParseInt(u[strings.LastIndex(u, "/")+1:], 10, 64)
	return n
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
			out = append(out, oparlItem{id: c.ID, created: c.Created, modified: mustTime(o.Modified), obj: o})
		}
	}
	if q.modifiedSince.IsZero() {
		return out, nil
	}
	seen := map[int64]bool{}
	for _, it := range out {
		seen[it.id] = true
	}
	gone, err := s.oparlGoneList(r.Context(), u, access.ObjConsultation, bodyID, 0, seen, 0)
	return append(out, gone...), err
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
	// Files the public saw once and sees no more: attachments, then
	// minutes (at their own URLs, after the attachments in the order).
	skip := map[int64]bool{}
	for id := range seen {
		if !strings.Contains(id, "/protocol/") {
			skip[idOf(id)] = true
		}
	}
	gone, err := s.oparlGoneList(r.Context(), u, access.ObjAttachment, bodyID, 0, skip, 0)
	if err != nil {
		return nil, err
	}
	out = append(out, gone...)
	skip = map[int64]bool{}
	for id := range seen {
		if strings.Contains(id, "/protocol/") {
			skip[idOf(id)] = true
		}
	}
	gone, err = s.oparlGoneList(r.Context(), u, access.ObjMinutes, bodyID, 0, skip, 1<<40)
	return append(out, gone...), err
}
