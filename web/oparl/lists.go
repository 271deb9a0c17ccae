package oparl

import (
	"context"
	"net/http"
	"strings"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The lists of meetings, locations, agenda items, papers, consultations
// and files are keyset pages read in SQL (sessions.FindPublicPage): the
// public rule and the time filters are in the query, the deleted stubs of
// the publication ledger are merged in by the same key, and only the
// objects of the page are built. The body-wide agendaItem, consultation
// and file lists are the ones OParl 1.1 makes mandatory besides the
// classic ones.

// oparlPublicList is the lister of list l, of the body in the URL or, for
// /organization/{id}/meeting, of the organization.
func (s *Handler) oparlPublicList(l sessions.PublicList) oparlLister {
	return func(r *http.Request, q *oparlQuery) ([]oparlItem, int64, error) {
		ctx := r.Context()
		f := q.pageFilter(0)
		f.Gone = !q.modifiedSince.IsZero()
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
		pg, err := s.oparlPageOf(ctx, refs)
		if err != nil {
			return nil, 0, err
		}
		out := make([]oparlItem, 0, len(refs))
		for _, ref := range refs {
			it, ok, err := s.oparlBuild(ctx, u, r, pg, ref, q.omitInternal)
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

// oparlPage is what the objects of a list page are built from, read at
// once: the folders of the meetings and papers they are in.
type oparlPage struct {
	folders []*sessions.Folder
	papers  []*sessions.PaperFolder
	batch   *oparlBatch
}

func (s *Handler) oparlPageOf(ctx context.Context, refs []sessions.PublicRef) (*oparlPage, error) {
	var mids, pids []int64
	for _, ref := range refs {
		switch {
		case ref.Gone != nil:
		case ref.Type == access.ObjMeeting:
			mids = append(mids, ref.ID)
		case ref.Type == access.ObjAgendaItem, ref.Type == access.ObjAttachment && ref.Parent != 0, ref.Type == access.ObjMinutes:
			mids = append(mids, ref.Parent)
		case ref.Type == access.ObjPaper:
			pids = append(pids, ref.ID)
		case ref.Type == access.ObjAttachment && ref.Paper != 0:
			pids = append(pids, ref.Paper)
		case ref.Type == access.ObjConsultation:
			pids = append(pids, ref.Parent)
		}
	}
	pg := &oparlPage{}
	var err error
	if len(mids) > 0 {
		if pg.folders, err = s.cfg.Sessions.FindFolders(ctx, oparlViewer, mids); err != nil {
			return nil, err
		}
	}
	if len(pids) > 0 {
		if pg.papers, err = s.cfg.Sessions.FindPaperFolders(ctx, oparlViewer, pids); err != nil {
			return nil, err
		}
	}
	pg.batch, err = s.oparlBatchOf(ctx, pg.folders, pg.papers)
	return pg, err
}

func (pg *oparlPage) folder(id int64) *sessions.Folder {
	for _, f := range pg.folders {
		if f.Meeting.ID == id {
			return f
		}
	}
	return nil
}

// oparlBuild builds the object ref names as the public sees it, or its
// deleted stub; ok is false if the store's finders, which ask the rule
// again, refuse it after all.
func (s *Handler) oparlBuild(ctx context.Context, u oparlURLs, r *http.Request, pg *oparlPage, ref sessions.PublicRef, omitInternal bool) (oparlItem, bool, error) {
	if g := ref.Gone; g != nil {
		return oparlItem{id: ref.Key, created: g.Created, modified: g.Gone, deleted: true, obj: oparlStub(u, *g)}, true, nil
	}
	it := oparlItem{id: ref.Key}
	var err error
	switch ref.Type {
	case access.ObjMeeting:
		if f := pg.folder(ref.ID); f != nil {
			it.created = f.Meeting.Created
			it.obj, it.modified, err = s.oparlMeetingOf(ctx, u, r, pg.batch, f, omitInternal)
		}
	case access.ObjLocation:
		var m *sessions.Meeting
		if m, err = s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, ref.ID); err != nil || m.Location == "" {
			break
		}
		var loc *oparl.Location
		if loc, err = s.oparlLocationOf(ctx, u, nil, m); err == nil {
			it.obj, it.created, it.modified = loc, m.Created, mustTime(loc.Modified)
		}
	case access.ObjAgendaItem:
		if fi := oparlItemIn(pg.folders, ref.ID); fi != nil {
			it.created = fi.Created
			it.obj, it.modified, err = s.oparlAgendaItemOf(ctx, u, pg.batch, fi)
		}
	case access.ObjPaper:
		for _, pf := range pg.papers {
			if pf.Paper.ID == ref.ID {
				it.created = pf.Paper.Created
				it.obj, it.modified, err = s.oparlPaperOf(ctx, u, pg.batch, pf, omitInternal)
			}
		}
	case access.ObjConsultation:
		if c := oparlConsultationIn(pg.papers, ref.ID); c != nil {
			var co *oparl.Consultation
			if co, err = s.oparlConsultationOf(ctx, u, pg.batch, c); err == nil {
				it.obj, it.created, it.modified = co, c.Created, mustTime(co.Modified)
			}
		}
	case access.ObjMinutes:
		if f := pg.folder(ref.Parent); f != nil {
			for _, mi := range f.Minutes {
				if mi.Minutes.ID == ref.ID {
					var file *oparl.File
					file, it.modified, err = s.oparlProtocolFile(ctx, u, pg.batch, mi.Minutes, mi.Title, mi.Version)
					if err == nil && file != nil {
						it.obj, it.created = file, mi.Minutes.Created
					}
				}
			}
		}
	case access.ObjAttachment:
		var file *oparl.File
		if ref.Parent == 0 {
			// A paper's attachment: from its paper's folder, else read
			// alone (as /file/{id} does).
			if d := oparlPaperDocumentIn(pg.papers, ref.Paper, ref.ID); d != nil {
				file, it.modified, err = s.oparlFileObjOf(ctx, u, pg.batch, d.Attachment, d.Version, access.ObjAttachment, nil)
			} else {
				var a *sessions.Attachment
				if a, err = s.cfg.Sessions.FindAttachmentByID(ctx, oparlViewer, ref.ID); err == nil {
					file, it.modified, err = s.oparlFileOf(ctx, u, a, access.ObjAttachment)
				}
			}
		} else if d, papers := oparlDocumentIn(pg.folder(ref.Parent), ref.ID); d != nil {
			file, it.modified, err = s.oparlFileObjOf(ctx, u, pg.batch, d.Attachment, d.Version, access.ObjAttachment, papers)
		}
		if err == nil && file != nil {
			it.obj, it.created = file, mustTime(file.Created)
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

// oparlPaperDocumentIn returns attachment id of paper paper among the
// paper folders ps; nil if they lack it.
func oparlPaperDocumentIn(ps []*sessions.PaperFolder, paper, id int64) *sessions.FolderDocument {
	return oparlFind(ps, func(pf *sessions.PaperFolder) []*sessions.FolderDocument {
		if pf.Paper.ID != paper {
			return nil
		}
		return pf.Documents
	}, func(d *sessions.FolderDocument) bool { return d.Attachment.ID == id })
}

// oparlDocumentIn returns attachment id of folder f, with the papers its
// File names (those of its item, for a main document or an attachment);
// nil if f lacks it.
func oparlDocumentIn(f *sessions.Folder, id int64) (*sessions.FolderDocument, []*sessions.Paper) {
	if f == nil {
		return nil, nil
	}
	for _, d := range f.Documents {
		if d.Attachment.ID == id {
			return d, nil
		}
	}
	for _, fi := range f.Agenda {
		for _, d := range fi.Documents {
			if d.Attachment.ID == id {
				if d.Attachment.Role == sessions.RoleMain || d.Attachment.Role == sessions.RoleAttachment {
					return d, fi.Papers
				}
				return d, nil
			}
		}
	}
	return nil, nil
}
