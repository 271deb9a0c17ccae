package oparl

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// ---- meetings, agenda items, locations ----

// oparlMeetingOf builds the meeting of folder f (read as the public) as
// the public sees it, with its agenda and files embedded (unless
// omitInternal), and returns its effective modification time: the latest
// of the meeting's and of everything it embeds, so that modified_since
// finds a meeting whose agenda changed. b holds what the objects of the
// answer share (oparlBatchOf).
func (s *Handler) oparlMeetingOf(ctx context.Context, u oparlURLs, r *http.Request, b *oparlBatch, f *sessions.Folder, omitInternal bool) (*oparl.Meeting, time.Time, error) {
	m := f.Meeting
	o := &oparl.Meeting{ID: oparl.Str(u.of("meeting", m.ID)), Type: oparl.Schema + "Meeting", Name: oparl.Str(m.Name), MeetingState: oparl.Str(m.State),
		Cancelled: m.State == sessions.MeetingCancelled, Start: oparl.Time(m.Start), End: oparl.Time(m.End),
		Organization: oparl.Refs[oparl.Organization]{ref[oparl.Organization](u, "organization", m.OrganizationID)},
		Web:          oparl.Str(strings.TrimSuffix(oparlWeb(r), "/meetings") + "/meetings/" + id64(m.ID)),
		Created:      oparl.Time(m.Created)}
	modified := m.Modified
	if m.Location != "" {
		loc, err := s.oparlLocationOf(ctx, u, b, m)
		if err != nil {
			return nil, time.Time{}, err
		}
		o.Location = loc
	}
	for _, d := range f.Documents {
		file, fm, err := s.oparlFileObjOf(ctx, u, b, d.Attachment, d.Version, access.ObjAttachment, nil)
		if err != nil {
			return nil, time.Time{}, err
		}
		if file == nil {
			continue
		}
		modified = latest(modified, fm)
		if d.Attachment.Role == sessions.RoleInvitation && o.Invitation == nil {
			o.Invitation = file
		} else if !omitInternal {
			o.AuxiliaryFile = append(o.AuxiliaryFile, file)
		}
	}
	if len(f.Minutes) > 0 {
		// The first minutes the public sees (OParl has one protocol).
		mi := f.Minutes[0]
		file, fm, err := s.oparlProtocolFile(ctx, u, b, mi.Minutes, mi.Title, mi.Version)
		if err != nil {
			return nil, time.Time{}, err
		}
		if file != nil {
			o.ResultsProtocol = file
			modified = latest(modified, fm)
		}
	}
	for _, fi := range f.Agenda {
		ai, im, err := s.oparlAgendaItemOf(ctx, u, b, fi)
		if err != nil {
			return nil, time.Time{}, err
		}
		modified = latest(modified, im)
		if !omitInternal {
			o.AgendaItem = append(o.AgendaItem, ai)
		}
	}
	modified, err := s.oparlTouched(ctx, b, access.ObjMeeting, m.ID, modified)
	if err != nil {
		return nil, time.Time{}, err
	}
	o.Modified = oparl.Time(modified)
	return o, modified, nil
}

// oparlAgendaItemOf builds an item of a folder as the public sees it: in
// full, or — for a non-public item — the stub the policy gives (number,
// public title), never its files. Its consultation is the first of a
// paper the public sees (OParl links one), the same the paper lists, so
// AgendaItem.consultation and Consultation.agendaItem agree.
func (s *Handler) oparlAgendaItemOf(ctx context.Context, u oparlURLs, b *oparlBatch, fi *sessions.FolderItem) (*oparl.AgendaItem, time.Time, error) {
	it := fi.AgendaItem
	o := &oparl.AgendaItem{ID: oparl.Str(u.of("agendaItem", it.ID)), Type: oparl.Schema + "AgendaItem", Meeting: ref[oparl.Meeting](u, "meeting", it.MeetingID),
		Number: oparl.Str(it.Number), Order: oparl.Int(it.Position), Name: oparl.Str(it.Title), Public: oparl.Bool(it.Public && it.Access == access.Full),
		Created: oparl.Time(it.Created)}
	modified := it.Modified
	if it.Access == access.Full {
		o.Result, o.ResolutionText = oparl.Str(it.Result), oparl.Str(it.Resolution)
		votes, err := s.oparlVotes(ctx, u, b, it) // the live session's extension (votes.go)
		if err != nil {
			return nil, time.Time{}, err
		}
		o.Votes = votes
		if len(fi.Consultations) > 0 {
			c := fi.Consultations[0]
			o.Consultation = oparl.Ref[oparl.Consultation]{ID: u.of("paper", c.PaperID) + "/consultation/" + id64(c.ID)}
			modified = latest(modified, c.Created)
		}
		for _, d := range fi.Documents {
			var papers []*sessions.Paper
			if d.Attachment.Role == sessions.RoleMain || d.Attachment.Role == sessions.RoleAttachment {
				papers = fi.Papers
			}
			file, fm, err := s.oparlFileObjOf(ctx, u, b, d.Attachment, d.Version, access.ObjAttachment, papers)
			if err != nil {
				return nil, time.Time{}, err
			}
			if file != nil {
				modified = latest(modified, fm)
				o.AuxiliaryFile = append(o.AuxiliaryFile, file)
			}
		}
	}
	modified, err := s.oparlTouched(ctx, b, access.ObjAgendaItem, it.ID, modified)
	if err != nil {
		return nil, time.Time{}, err
	}
	o.Modified = oparl.Time(modified)
	return o, modified, nil
}

// oparlFolders reads the folders of the meetings ids as the public sees
// them, with what their objects share.
func (s *Handler) oparlFolders(ctx context.Context, ids []int64) ([]*sessions.Folder, *oparlBatch, error) {
	fs, err := s.cfg.Sessions.FindFolders(ctx, oparlViewer, ids)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.oparlBatchOf(ctx, fs, nil)
	return fs, b, err
}

// oparlItemIn returns the item id of the folders fs, nil if none has it.
func oparlItemIn(fs []*sessions.Folder, id int64) *sessions.FolderItem {
	return oparlFind(fs, func(f *sessions.Folder) []*sessions.FolderItem { return f.Agenda },
		func(fi *sessions.FolderItem) bool { return fi.ID == id })
}

// oparlFind returns the first of the children of parents for which match
// holds, or nil.
func oparlFind[P any, C any](parents []P, children func(P) []*C, match func(*C) bool) *C {
	for _, p := range parents {
		for _, c := range children(p) {
			if match(c) {
				return c
			}
		}
	}
	return nil
}

// oparlLocationOf is the Location of meeting m (which has a location).
func (s *Handler) oparlLocationOf(ctx context.Context, u oparlURLs, b *oparlBatch, m *sessions.Meeting) (*oparl.Location, error) {
	modified, err := s.oparlTouched(ctx, b, access.ObjLocation, m.ID, m.Modified)
	if err != nil {
		return nil, err
	}
	return &oparl.Location{ID: oparl.Str(u.of("location", m.ID)), Type: oparl.Schema + "Location", Description: oparl.Str(m.Location),
		Meetings: oparl.Refs[oparl.Meeting]{ref[oparl.Meeting](u, "meeting", m.ID)}, Created: oparl.Time(m.Created), Modified: oparl.Time(modified)}, nil
}

func (s *Handler) oparlMeeting(r *http.Request) (any, error) {
	ctx := r.Context()
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Sessions.FindMeetingByID(ctx, oparlViewer, id); err != nil {
		return s.oparlGoneOne(r, access.ObjMeeting, id, err)
	}
	fs, b, err := s.oparlFolders(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return s.oparlGoneOne(r, access.ObjMeeting, id, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
	}
	o, _, err := s.oparlMeetingOf(ctx, oparlURLs(oparlBase(r)), r, b, fs[0], false)
	return o, err
}

func (s *Handler) oparlAgendaItem(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	it, err := s.cfg.Sessions.FindAgendaItemByID(r.Context(), oparlViewer, id)
	if err != nil {
		return s.oparlGoneOne(r, access.ObjAgendaItem, id, err)
	}
	fs, b, err := s.oparlFolders(r.Context(), []int64{it.MeetingID})
	if err != nil {
		return nil, err
	}
	fi := oparlItemIn(fs, id)
	if fi == nil {
		return s.oparlGoneOne(r, access.ObjAgendaItem, id, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
	}
	o, _, err := s.oparlAgendaItemOf(r.Context(), oparlURLs(oparlBase(r)), b, fi)
	return o, err
}

func (s *Handler) oparlLocation(r *http.Request) (any, error) {
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
	return s.oparlLocationOf(r.Context(), oparlURLs(oparlBase(r)), nil, m)
}

// ---- papers and consultations ----

// oparlPaperOf builds the paper of folder pf (read as the public) as the
// public sees it, with its files and consultations embedded.
func (s *Handler) oparlPaperOf(ctx context.Context, u oparlURLs, b *oparlBatch, pf *sessions.PaperFolder, omitInternal bool) (*oparl.Paper, time.Time, error) {
	p := pf.Paper
	o := &oparl.Paper{ID: oparl.Str(u.of("paper", p.ID)), Type: oparl.Schema + "Paper", Body: ref[oparl.Body](u, "body", p.BodyID), Name: oparl.Str(p.Name),
		Reference: oparl.Str(p.Reference), Date: oparl.Str(p.Date), PaperType: oparl.Str(p.Type), Created: oparl.Time(p.Created)}
	modified := p.Modified
	seen := map[int64]bool{}
	add := func(a *sessions.Attachment, f *oparl.File) {
		seen[a.ID] = true
		if a.Role == sessions.RoleMain && o.MainFile == nil {
			o.MainFile = f
		} else if !omitInternal {
			o.AuxiliaryFile = append(o.AuxiliaryFile, f)
		}
	}
	for _, d := range pf.Documents {
		f, fm, err := s.oparlFileObjOf(ctx, u, b, d.Attachment, d.Version, access.ObjAttachment, nil)
		if err != nil {
			return nil, time.Time{}, err
		}
		if f != nil {
			modified = latest(modified, fm)
			add(d.Attachment, f)
		}
	}
	// The office attaches a paper's documents to the paper or to the
	// agenda items it is consulted on (the Vorlage travels with the item
	// of the committee and of the council); a mirror finds them at the
	// paper either way. The same File is then both the item's and the
	// paper's, once.
	for _, c := range pf.Consultations {
		for _, d := range c.Item.Documents {
			a := d.Attachment
			if seen[a.ID] || (a.Role != sessions.RoleMain && a.Role != sessions.RoleAttachment) {
				continue
			}
			f, fm, err := s.oparlFileObjOf(ctx, u, b, a, d.Version, access.ObjAttachment, c.Item.Papers)
			if err != nil {
				return nil, time.Time{}, err
			}
			if f != nil {
				modified = latest(modified, fm)
				add(a, f)
			}
		}
	}
	for _, c := range pf.Consultations {
		co, err := s.oparlConsultationOf(ctx, u, b, c)
		if err != nil {
			return nil, time.Time{}, err
		}
		modified = latest(modified, mustTime(co.Modified))
		o.Consultation = append(o.Consultation, co)
	}
	modified, err := s.oparlTouched(ctx, b, access.ObjPaper, p.ID, modified)
	if err != nil {
		return nil, time.Time{}, err
	}
	o.Modified = oparl.Time(modified)
	return o, modified, nil
}

func (s *Handler) oparlConsultationOf(ctx context.Context, u oparlURLs, b *oparlBatch, c *sessions.PaperConsultation) (*oparl.Consultation, error) {
	o := &oparl.Consultation{ID: oparl.Str(u.of("paper", c.PaperID) + "/consultation/" + id64(c.ID)), Type: oparl.Schema + "Consultation",
		Paper: ref[oparl.Paper](u, "paper", c.PaperID), AgendaItem: ref[oparl.AgendaItem](u, "agendaItem", c.AgendaItemID), Authoritative: oparl.Bool(c.Authoritative),
		Role: oparl.Str(c.Role), Created: oparl.Time(c.Created),
		Meeting: ref[oparl.Meeting](u, "meeting", c.Meeting.ID), Organization: oparl.Refs[oparl.Organization]{ref[oparl.Organization](u, "organization", c.Meeting.OrganizationID)}}
	modified, err := s.oparlTouched(ctx, b, access.ObjConsultation, c.ID, c.Created)
	if err != nil {
		return nil, err
	}
	o.Modified = oparl.Time(modified)
	return o, nil
}

// oparlPaperFolders reads the folders of the papers ids as the public
// sees them, with what their objects share.
func (s *Handler) oparlPaperFolders(ctx context.Context, ids []int64) ([]*sessions.PaperFolder, *oparlBatch, error) {
	ps, err := s.cfg.Sessions.FindPaperFolders(ctx, oparlViewer, ids)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.oparlBatchOf(ctx, nil, ps)
	return ps, b, err
}

func (s *Handler) oparlPaper(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Sessions.FindPaperByID(r.Context(), oparlViewer, id); err != nil {
		return s.oparlGoneOne(r, access.ObjPaper, id, err)
	}
	ps, b, err := s.oparlPaperFolders(r.Context(), []int64{id})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return s.oparlGoneOne(r, access.ObjPaper, id, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
	}
	o, _, err := s.oparlPaperOf(r.Context(), oparlURLs(oparlBase(r)), b, ps[0], false)
	return o, err
}

// oparlConsultationIn returns consultation id of the paper folders ps,
// nil if none has it.
func oparlConsultationIn(ps []*sessions.PaperFolder, id int64) *sessions.PaperConsultation {
	return oparlFind(ps, func(pf *sessions.PaperFolder) []*sessions.PaperConsultation { return pf.Consultations },
		func(c *sessions.PaperConsultation) bool { return c.ID == id })
}

func (s *Handler) oparlConsultation(r *http.Request) (any, error) {
	pid, err := oparlID(r, "paper")
	if err != nil {
		return nil, err
	}
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Sessions.FindPaperByID(r.Context(), oparlViewer, pid); err != nil {
		return s.oparlGoneOne(r, access.ObjConsultation, id, err)
	}
	ps, b, err := s.oparlPaperFolders(r.Context(), []int64{pid})
	if err != nil {
		return nil, err
	}
	if c := oparlConsultationIn(ps, id); c != nil {
		return s.oparlConsultationOf(r.Context(), oparlURLs(oparlBase(r)), b, c)
	}
	return s.oparlGoneOne(r, access.ObjConsultation, id, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
}
