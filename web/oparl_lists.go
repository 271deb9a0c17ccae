package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The lists of meetings, locations, agenda items, papers, consultations
// and files are keyset pages read in SQL (sessions.FindPublicPage): the
// public rule and the time filters are in the query, the deleted stubs of
// the publication ledger are merged in by the same key, and only the
// objects of the page are built. The body-wide agendaItem, consultation
// and file lists are the ones OParl 1.1 makes mandatory besides the
// classic ones.

// oparlListRoutes registers the body-wide lists on r (inside /oparl/v1).
func (s *Server) oparlListRoutes(r chi.Router) {
	r.Get("/body/{id}/agendaItem", s.oparlList(s.oparlPublicList(sessions.ListAgendaItems)))
	r.Get("/body/{id}/consultation", s.oparlList(s.oparlPublicList(sessions.ListConsultations)))
	r.Get("/body/{id}/file", s.oparlList(s.oparlPublicList(sessions.ListFiles)))
}

// oparlPublicList is the lister of list l, of the body in the URL or, for
// /organization/{id}/meeting, of the organization.
func (s *Server) oparlPublicList(l sessions.PublicList) oparlLister {
	return func(r *http.Request, q *oparlQuery) ([]oparlItem, int64, error) {
		ctx := r.Context()
		f := sessions.PublicListFilter{After: q.after, Limit: q.limit,
			CreatedSince: q.createdSince, CreatedUntil: q.createdUntil, ModifiedSince: q.modifiedSince, ModifiedUntil: q.modifiedUntil,
			Gone: !q.modifiedSince.IsZero()}
		if strings.HasPrefix(r.URL.Path, "/oparl/v1/organization/") {
			id, err := oparlID(r, "id")
			if err != nil {
				return nil, 0, err
			}
			if _, err := s.cfg.Sessions.FindOrganizationByID(ctx, id); err != nil {
				return nil, 0, err
			}
			f.OrganizationID = id
		} else {
			id, err := s.bodyParam(r)
			if err != nil {
				return nil, 0, err
			}
			f.BodyID = id
		}
		refs, more, err := s.cfg.Sessions.FindPublicPage(ctx, l, f)
		if err != nil {
			return nil, 0, err
		}
		u := oparlURLs(oparlBase(r))
		out := make([]oparlItem, 0, len(refs))
		for _, ref := range refs {
			it, ok, err := s.oparlBuild(ctx, u, r, ref, q.omitInternal)
			if err != nil {
				return nil, 0, err
			}
			// The query filtered the modified times on a superset (see
			// sessions.PublicListFilter); the object's own are exact.
			if ok && q.match(it.created, it.modified) {
				out = append(out, it)
			}
		}
		var next int64
		if more && len(refs) > 0 {
			next = refs[len(refs)-1].Key
		}
		return out, next, nil
	}
}

// oparlBuild builds the object ref names as the public sees it, or its
// deleted stub; ok is false if the store's finders, which ask the rule
// again, refuse it after all.
func (s *Server) oparlBuild(ctx context.Context, u oparlURLs, r *http.Request, ref sessions.PublicRef, omitInternal bool) (oparlItem, bool, error) {
	if g := ref.Gone; g != nil {
		return oparlItem{id: ref.Key, created: g.Created, modified: g.Gone, deleted: true, obj: oparlStub(u, *g)}, true, nil
	}
	it := oparlItem{id: ref.Key}
	var err error
	switch ref.Type {
	case access.ObjMeeting, access.ObjLocation:
		var m *sessions.Meeting
		if m, err = s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, ref.ID); err != nil {
			break
		}
		it.created = m.Created
		if ref.Type == access.ObjMeeting {
			it.obj, it.modified, err = s.oparlMeetingOf(ctx, u, r, m, omitInternal)
		} else if m.Location != "" {
			var loc *oparlLocationObj
			if loc, err = s.oparlLocationOf(ctx, u, m); err == nil {
				it.obj, it.modified = loc, mustTime(loc.Modified)
			}
		}
	case access.ObjAgendaItem:
		var ai *sessions.AgendaItem
		if ai, err = s.cfg.Sessions.FindAgendaItemByID(ctx, oparlViewer, ref.ID); err != nil {
			break
		}
		it.created = ai.Created
		it.obj, it.modified, err = s.oparlAgendaItemOf(ctx, u, ai)
	case access.ObjPaper:
		var p *sessions.Paper
		if p, err = s.cfg.Sessions.FindPaperByID(ctx, oparlViewer, ref.ID); err != nil {
			break
		}
		it.created = p.Created
		it.obj, it.modified, err = s.oparlPaperOf(ctx, u, p, omitInternal)
	case access.ObjConsultation:
		var cs []*sessions.Consultation
		if cs, err = s.cfg.Sessions.FindConsultations(ctx, oparlViewer, ref.Parent); err != nil {
			break
		}
		for _, c := range cs {
			if c.ID == ref.ID {
				var co *oparlConsultationObj
				if co, err = s.oparlConsultationOf(ctx, u, c); err == nil {
					it.obj, it.created, it.modified = co, c.Created, mustTime(co.Modified)
				}
			}
		}
	case access.ObjAttachment, access.ObjMinutes:
		var f *oparlFileObj
		if ref.Type == access.ObjMinutes {
			f, it.modified, err = s.oparlProtocolOf(ctx, u, ref.Parent, ref.ID)
		} else {
			var a *sessions.Attachment
			if a, err = s.cfg.Sessions.FindAttachmentByID(ctx, oparlViewer, ref.ID); err == nil {
				f, it.modified, err = s.oparlFileOf(ctx, u, a, access.ObjAttachment)
			}
		}
		if err == nil && f != nil {
			it.obj, it.created = f, mustTime(f.Created)
		}
	}
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return oparlItem{}, false, nil
	}
	if err != nil {
		return oparlItem{}, false, err
	}
	return it, it.obj != nil, nil
}
