package oparl

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// An OParl File is an attachment (sessions.Attachment): the link of a
// document to an agenda item, paper or meeting, with that link's
// visibility. Its bytes are the current version's sanitized rendition.

// sha512Cache maps a rendition's SHA-256 to its SHA-512: blobs are
// content-addressed and immutable, so an entry never goes stale.
var sha512Cache sync.Map

func (s *Handler) oparlSHA512(ctx context.Context, sha256 string) (string, error) {
	if v, ok := sha512Cache.Load(sha256); ok {
		return v.(string), nil
	}
	rc, err := s.cfg.Documents.Blobs().Get(ctx, sha256, 0, -1)
	if err != nil {
		return "", fmt.Errorf("oparl sha512 %s: %w", sha256, err)
	}
	defer rc.Close()
	h := sha512.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("oparl sha512 %s: %w", sha256, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	sha512Cache.Store(sha256, sum)
	return sum, nil
}

// oparlCurrent returns the version of a's document the public gets, or
// ok=false if there is none (every version withdrawn, or not public).
func (s *Handler) oparlCurrent(ctx context.Context, docID int64) (*documents.Version, bool, error) {
	v, err := s.cfg.Documents.Store().FindVersion(ctx, docID, 0)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	ok, err := s.cfg.Sessions.CanSeeVersion(ctx, oparlViewer, docID, v.Number)
	if err != nil || !ok {
		return nil, false, err
	}
	return v, true, nil
}

// oparlFileOf builds the File of attachment a (which the caller found as
// the anonymous viewer); nil if its document has no version the public
// may read. typ is the ledger's type of a: access.ObjAttachment, or
// access.ObjMinutes for minutes dressed as an attachment.
func (s *Handler) oparlFileOf(ctx context.Context, u oparlURLs, a *sessions.Attachment, typ string) (*oparl.File, time.Time, error) {
	v, ok, err := s.oparlCurrent(ctx, a.DocumentID)
	if err != nil || !ok {
		return nil, time.Time{}, err
	}
	var papers []*sessions.Paper
	if a.AgendaItemID != 0 && (a.Role == sessions.RoleMain || a.Role == sessions.RoleAttachment) {
		if papers, err = s.cfg.Sessions.FindPapers(ctx, oparlViewer, sessions.PaperFilter{AgendaItemID: a.AgendaItemID}); err != nil {
			return nil, time.Time{}, err
		}
	}
	return s.oparlFileObjOf(ctx, u, nil, a, v, typ, papers)
}

// oparlText is File.text of a version with pages pages: their texts,
// separated by form feeds.
func oparlText(pages []documents.Page) string {
	texts := make([]string, 0, len(pages))
	for _, p := range pages {
		texts = append(texts, p.Text)
	}
	return strings.TrimSpace(strings.Join(texts, "\f"))
}

// oparlFileObjOf builds the File of attachment a at version v, which the
// public may read (nil: none, and so no File); papers are those an item's
// main document or attachment names back (oparlPaperOf lists it at the
// papers consulted on the item).
func (s *Handler) oparlFileObjOf(ctx context.Context, u oparlURLs, b *oparlBatch, a *sessions.Attachment, v *documents.Version, typ string, papers []*sessions.Paper) (*oparl.File, time.Time, error) {
	if v == nil {
		return nil, time.Time{}, nil
	}
	sum, err := s.oparlSHA512(ctx, v.SHA256)
	if err != nil {
		return nil, time.Time{}, err
	}
	text, ok := "", false
	if b != nil {
		text, ok = b.texts[documents.VersionKey{Document: a.DocumentID, Number: v.Number}]
	}
	if !ok {
		pages, err := s.cfg.Documents.Store().FindPages(ctx, a.DocumentID, v.Number)
		if err != nil {
			return nil, time.Time{}, err
		}
		text = oparlText(pages)
	}
	id := oparl.Str(u.of("file", a.ID))
	// v.StateChanged is when v became current: at its upload, or at the
	// withdrawal of the version after it, which changes the File as much.
	modified, err := s.oparlTouched(ctx, b, typ, a.ID, latest(a.Modified, v.Created, v.StateChanged))
	if err != nil {
		return nil, time.Time{}, err
	}
	f := &oparl.File{ID: id, Type: oparl.Schema + "File", Name: oparl.Str(a.Title), FileName: oparl.Str(v.FileName), MimeType: "application/pdf",
		Date: oparl.Str(v.Created.In(render.Berlin).Format("2006-01-02")), Size: oparl.Int(v.Size), SHA512Checksum: oparl.Str(sum),
		Text:      oparl.Str(text),
		AccessURL: id + "/access", DownloadURL: id + "/download",
		Created: oparl.Time(a.Created), Modified: oparl.Time(modified)}
	switch {
	case a.AgendaItemID != 0:
		f.AgendaItem = oparl.Refs[oparl.AgendaItem]{ref[oparl.AgendaItem](u, "agendaItem", a.AgendaItemID)}
		for _, p := range papers {
			f.Paper = append(f.Paper, ref[oparl.Paper](u, "paper", p.ID))
		}
	case a.PaperID != 0:
		f.Paper = oparl.Refs[oparl.Paper]{ref[oparl.Paper](u, "paper", a.PaperID)}
	case a.MeetingID != 0:
		f.Meeting = oparl.Refs[oparl.Meeting]{ref[oparl.Meeting](u, "meeting", a.MeetingID)}
	}
	return f, modified, nil
}

func (s *Handler) oparlFile(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := s.cfg.Sessions.FindAttachmentByID(r.Context(), oparlViewer, id)
	if err != nil {
		return s.oparlGoneOne(r, access.ObjAttachment, id, err)
	}
	f, _, err := s.oparlFileOf(r.Context(), oparlURLs(oparlBase(r)), a, access.ObjAttachment)
	if err == nil && f == nil {
		err = ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	return f, err
}

// oparlFileBytes serves a File's PDF with the given disposition: inline
// for accessUrl (OParl forbids attachment there), attachment with the
// file name for downloadUrl. Ranges, ETag (the SHA-256) and
// Last-Modified as on the document file route.
func (s *Handler) oparlFileBytes(w http.ResponseWriter, r *http.Request, disposition string) {
	ctx := r.Context()
	id, err := oparlID(r, "id")
	if err != nil {
		render.Error(w, r, err)
		return
	}
	a, err := s.cfg.Sessions.FindAttachmentByID(ctx, oparlViewer, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	v, ok, err := s.oparlCurrent(ctx, a.DocumentID)
	if err == nil && !ok {
		err = ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.PDF(w, r, s.cfg.Documents.Blobs(), v, disposition, "public, no-cache")
}

// oparlProtocolOf returns the public, published minutes of meeting mid as
// a File — the one with id minutesID, or the first if minutesID is 0 —
// or nil if the public sees none. Minutes are no attachments, so their
// Files live at /oparl/v1/meeting/{mid}/protocol/{id}.
func (s *Handler) oparlProtocolOf(ctx context.Context, u oparlURLs, mid, minutesID int64) (*oparl.File, time.Time, error) {
	ms, err := s.cfg.Sessions.FindMinutes(ctx, oparlViewer, mid)
	if err != nil {
		return nil, time.Time{}, err
	}
	for _, m := range ms {
		if minutesID != 0 && m.ID != minutesID {
			continue
		}
		title := "Niederschrift"
		if d, err := s.cfg.Documents.Store().FindDocumentByID(ctx, m.DocumentID); err == nil {
			title = d.Title
		}
		v, ok, err := s.oparlCurrent(ctx, m.DocumentID)
		if err != nil || !ok {
			return nil, time.Time{}, err
		}
		return s.oparlProtocolFile(ctx, u, nil, m, title, v)
	}
	return nil, time.Time{}, nil
}

// oparlProtocolFile builds the File of minutes m, titled title, at
// version v, which the public may read (nil: no File).
func (s *Handler) oparlProtocolFile(ctx context.Context, u oparlURLs, b *oparlBatch, m *sessions.Minutes, title string, v *documents.Version) (*oparl.File, time.Time, error) {
	if title == "" {
		title = "Niederschrift"
	}
	a := &sessions.Attachment{ID: m.ID, DocumentID: m.DocumentID, MeetingID: m.MeetingID, Title: title, Public: true, Created: m.Created, Modified: m.Modified}
	f, fm, err := s.oparlFileObjOf(ctx, u, b, a, v, access.ObjMinutes, nil)
	if err != nil || f == nil {
		return f, fm, err
	}
	f.ID = oparl.Str(u.of("meeting", m.MeetingID) + "/protocol/" + id64(m.ID))
	f.AccessURL, f.DownloadURL = f.ID+"/access", f.ID+"/download"
	return f, fm, nil
}

func (s *Handler) oparlProtocol(r *http.Request) (any, error) {
	mid, err := oparlID(r, "mid")
	if err != nil {
		return nil, err
	}
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	f, _, err := s.oparlProtocolOf(r.Context(), oparlURLs(oparlBase(r)), mid, id)
	if err == nil && f == nil {
		err = ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	if err != nil {
		return s.oparlGoneOne(r, access.ObjMinutes, id, err)
	}
	return f, nil
}

// oparlProtocolBytes serves the minutes' PDF like oparlFileBytes.
func (s *Handler) oparlProtocolBytes(w http.ResponseWriter, r *http.Request, disposition string) {
	ctx := r.Context()
	f, err := s.oparlProtocol(r)
	if _, file := f.(*oparl.File); err == nil && !file {
		err = ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.") // a deleted stub has no bytes
	}
	if err != nil {
		render.Error(w, r, err)
		return
	}
	ms, _ := s.cfg.Sessions.FindMinutes(ctx, oparlViewer, mustID(r, "mid"))
	var docID int64
	for _, m := range ms {
		if m.ID == mustID(r, "id") {
			docID = m.DocumentID
		}
	}
	v, ok, err := s.oparlCurrent(ctx, docID)
	if err == nil && (!ok || f == nil) {
		err = ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
	}
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.PDF(w, r, s.cfg.Documents.Blobs(), v, disposition, "public, no-cache")
}

func mustID(r *http.Request, name string) int64 {
	id, _ := oparlID(r, name)
	return id
}
