package oparl

import (
	"context"
	"net/http"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// Deleted objects (OParl 1.1, 2.8). An object the public saw and sees no
// more — a meeting unpublished, an item withdrawn or made non-public, a
// file made non-public, minutes taken back, a paper no longer on any
// public agenda — answers at its URL with a stub {id, type, created,
// modified, deleted: true}, modified the time it left, and appears so in
// its lists when the client asks with modified_since. The store's
// publication ledger (access/ledger.go) says what the public saw and
// when: it is recorded with every change, in its transaction, so an
// object that was never public never gets a stub (it answers 404 like
// any missing id), and one that becomes public again is served in full.

// oparlGoneURL is the URL of a gone object, as it had while public.
func oparlGoneURL(u oparlURLs, g sessions.GoneObject) (url, typ string) {
	switch g.Type {
	case access.ObjMeeting:
		return u.of("meeting", g.ID), "Meeting"
	case access.ObjLocation:
		return u.of("location", g.ID), "Location"
	case access.ObjAgendaItem:
		return u.of("agendaItem", g.ID), "AgendaItem"
	case access.ObjConsultation:
		return u.of("paper", g.PaperID) + "/consultation/" + id64(g.ID), "Consultation"
	case access.ObjPaper:
		return u.of("paper", g.ID), "Paper"
	case access.ObjMinutes:
		return u.of("meeting", g.MeetingID) + "/protocol/" + id64(g.ID), "File"
	}
	return u.of("file", g.ID), "File"
}

// oparlStub is the deleted stub of g.
func oparlStub(u oparlURLs, g sessions.GoneObject) *oparl.Deleted {
	id, typ := oparlGoneURL(u, g)
	o := &oparl.Deleted{ID: oparl.Str(id), Type: oparl.Schema + oparl.Str(typ), Created: oparl.Time(g.Created), Modified: oparl.Time(g.Gone), Deleted: true}
	switch typ {
	case "AgendaItem":
		order := g.Position
		o.Order = &order
	case "File":
		o.AccessURL = o.ID + "/access"
	}
	return o
}

// oparlGoneOne answers a direct request for an object the public may not
// see (err, ENOTFOUND, from the anonymous read): the deleted stub if the
// public saw it at url once, else err. url is the path the client asked
// for, so that a consultation or minutes under another parent stay
// missing.
func (s *Handler) oparlGoneOne(r *http.Request, typ string, id int64, err error) (any, error) {
	if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return nil, err
	}
	gone, gerr := s.cfg.Sessions.FindGone(r.Context(), typ, id)
	if gerr != nil {
		return nil, gerr
	}
	u := oparlURLs(oparlBase(r))
	for _, g := range gone {
		if url, _ := oparlGoneURL(u, g); url == string(u)+r.URL.Path[len("/oparl/v1"):] {
			return oparlStub(u, g), nil
		}
	}
	return nil, err
}

// oparlBatch is what the objects of one answer share, read at once:
// the ledger's last public transitions of the objects they embed, the
// text of their Files' versions, and the votes on the agenda items of its
// meetings (votes.go).
type oparlBatch struct {
	touched map[string]map[int64]time.Time
	// texts are File.text of the versions of the folders' documents and
	// minutes.
	texts map[documents.VersionKey]string
	// votes are the votes by agenda item of the meetings in meetings.
	votes    map[int64][]*live.Vote
	meetings map[int64]bool
}

// oparlBatchOf reads the batch of the objects of the meeting folders fs
// and the paper folders ps: a query per object type, whatever their
// number.
func (s *Handler) oparlBatchOf(ctx context.Context, fs []*sessions.Folder, ps []*sessions.PaperFolder) (*oparlBatch, error) {
	ids := map[string][]int64{}
	var versions []documents.VersionKey
	version := func(doc int64, v *documents.Version) {
		if v != nil {
			versions = append(versions, documents.VersionKey{Document: doc, Number: v.Number})
		}
	}
	attachments := func(ds []*sessions.FolderDocument) {
		for _, d := range ds {
			ids[access.ObjAttachment] = append(ids[access.ObjAttachment], d.Attachment.ID)
			version(d.Attachment.DocumentID, d.Version)
		}
	}
	for _, pf := range ps {
		ids[access.ObjPaper] = append(ids[access.ObjPaper], pf.Paper.ID)
		attachments(pf.Documents)
		for _, c := range pf.Consultations {
			ids[access.ObjConsultation] = append(ids[access.ObjConsultation], c.ID)
			attachments(c.Item.Documents)
		}
	}
	for _, f := range fs {
		ids[access.ObjMeeting] = append(ids[access.ObjMeeting], f.Meeting.ID)
		ids[access.ObjLocation] = append(ids[access.ObjLocation], f.Meeting.ID)
		attachments(f.Documents)
		for _, mi := range f.Minutes {
			ids[access.ObjMinutes] = append(ids[access.ObjMinutes], mi.Minutes.ID)
			version(mi.Minutes.DocumentID, mi.Version)
		}
		for _, fi := range f.Agenda {
			ids[access.ObjAgendaItem] = append(ids[access.ObjAgendaItem], fi.ID)
			attachments(fi.Documents)
		}
	}
	b := &oparlBatch{touched: map[string]map[int64]time.Time{}, meetings: map[int64]bool{}}
	if len(versions) > 0 {
		pages, err := s.cfg.Documents.Store().FindPagesOf(ctx, versions)
		if err != nil {
			return nil, err
		}
		b.texts = make(map[documents.VersionKey]string, len(versions))
		for _, k := range versions {
			b.texts[k] = oparlText(pages[k])
		}
	}
	if s.cfg.Live != nil && len(fs) > 0 {
		var err error
		if b.votes, err = s.cfg.Live.FindVotesOfMeetings(ctx, ids[access.ObjMeeting]); err != nil {
			return nil, err
		}
		for _, id := range ids[access.ObjMeeting] {
			b.meetings[id] = true
		}
	}
	for typ, list := range ids {
		t, err := s.cfg.Sessions.PublicTouchedAll(ctx, typ, list)
		if err != nil {
			return nil, err
		}
		b.touched[typ] = t
	}
	return b, nil
}

// oparlTouched returns modified raised to the last time object id of
// type typ, or anything embedded in it, entered or left the public view:
// from b if it holds the object's type, else from the store.
func (s *Handler) oparlTouched(ctx context.Context, b *oparlBatch, typ string, id int64, modified time.Time) (time.Time, error) {
	if b != nil {
		if t, ok := b.touched[typ]; ok {
			return latest(modified, t[id]), nil
		}
	}
	t, err := s.cfg.Sessions.PublicTouched(ctx, typ, id)
	if err != nil {
		return time.Time{}, err
	}
	return latest(modified, t), nil
}
