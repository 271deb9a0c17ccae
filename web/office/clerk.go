package office

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The council office's API: everything the clerk UI does. Every route
// needs a clerk or admin; every change is written to the audit log.

// StaffOnly refuses anonymous viewers (401) and members (403).
func (s *Handler) StaffOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := request.Viewer(r.Context())
		switch {
		case v.AccountID == 0:
			render.Error(w, r, ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Bitte melden Sie sich an."))
		case !v.Staff():
			render.Error(w, r, ratsmappe.Errorf(ratsmappe.EFORBIDDEN, "Das darf nur das Ratsbüro."))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// apiTime parses an RFC 3339 time, or a local "2006-01-02T15:04" in
// Europe/Berlin as the UI's datetime-local fields send it.
func apiTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, render.Berlin); err == nil {
		return t, nil
	}
	return time.Time{}, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültige Zeitangabe %q (erwartet z. B. 2026-03-12T17:00 oder RFC 3339).", s)
}

type meetingInput struct {
	OrganizationID int64   `json:"organization_id"`
	Name           *string `json:"name"`
	Start          *string `json:"start"`
	End            *string `json:"end"`
	Location       *string `json:"location"`
	State          *string `json:"state"`
}

// CreateMeeting answers POST /api/v1/meetings.
func (s *Handler) CreateMeeting(w http.ResponseWriter, r *http.Request) {
	var in meetingInput
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	m := &sessions.Meeting{OrganizationID: in.OrganizationID}
	if in.Name != nil {
		m.Name = *in.Name
	}
	if in.Location != nil {
		m.Location = *in.Location
	}
	if in.State != nil {
		m.State = *in.State
	}
	var err error
	if in.Start != nil {
		if m.Start, err = apiTime(*in.Start); err != nil {
			render.Error(w, r, err)
			return
		}
	}
	if in.End != nil && *in.End != "" {
		if m.End, err = apiTime(*in.End); err != nil {
			render.Error(w, r, err)
			return
		}
	}
	if _, err := s.cfg.Sessions.FindOrganizationByID(r.Context(), m.OrganizationID); err != nil {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekanntes Gremium %d.", m.OrganizationID))
		return
	}
	if err := s.cfg.Sessions.CreateMeeting(r.Context(), m); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "meeting.create", "meeting", m.ID, m.Name)
	render.JSON(w, http.StatusCreated, s.folder.MeetingSummary(r.Context(), m))
}

// UpdateMeeting answers PATCH /api/v1/meetings/{id}.
func (s *Handler) UpdateMeeting(w http.ResponseWriter, r *http.Request, id int64) {
	var in meetingInput
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	u := sessions.MeetingUpdate{Name: in.Name, Location: in.Location, State: in.State}
	for _, f := range []struct {
		src *string
		dst **time.Time
	}{{in.Start, &u.Start}, {in.End, &u.End}} {
		if f.src != nil {
			t, err := apiTime(*f.src)
			if err != nil {
				render.Error(w, r, err)
				return
			}
			*f.dst = &t
		}
	}
	m, err := s.cfg.Sessions.UpdateMeeting(r.Context(), id, u)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "meeting.update", "meeting", id, "")
	render.JSON(w, http.StatusOK, s.folder.MeetingSummary(r.Context(), m))
}

// Publish answers POST /api/v1/meetings/{id}/publish.
func (s *Handler) Publish(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		At string `json:"at"`
	}
	if r.ContentLength != 0 {
		if err := request.Decode(r, &in); err != nil {
			render.Error(w, r, err)
			return
		}
	}
	at := time.Now()
	if in.At != "" {
		var err error
		if at, err = apiTime(in.At); err != nil {
			render.Error(w, r, err)
			return
		}
	}
	if err := s.cfg.Sessions.PublishMeeting(r.Context(), id, at); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "meeting.publish", "meeting", id, at.UTC().Format(time.RFC3339))
	render.JSON(w, http.StatusOK, map[string]any{"id": id, "published": at.UTC()})
}

// Unpublish answers POST /api/v1/meetings/{id}/unpublish.
func (s *Handler) Unpublish(w http.ResponseWriter, r *http.Request, id int64) {
	if err := s.cfg.Sessions.UnpublishMeeting(r.Context(), id); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "meeting.unpublish", "meeting", id, "")
	w.WriteHeader(http.StatusNoContent)
}

type itemInput struct {
	Number      *string `json:"number"`
	NumberFixed *bool   `json:"number_fixed"`
	Title       *string `json:"title"`
	PublicTitle *string `json:"public_title"`
	Public      *bool   `json:"public"`
	Result      *string `json:"result"`
	Resolution  *string `json:"resolution"`
}

// CreateItem answers POST /api/v1/meetings/{id}/items.
func (s *Handler) CreateItem(w http.ResponseWriter, r *http.Request, id int64) {
	var in itemInput
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	it := &sessions.AgendaItem{MeetingID: id}
	for src, dst := range map[*string]*string{in.Number: &it.Number, in.Title: &it.Title, in.PublicTitle: &it.PublicTitle, in.Result: &it.Result, in.Resolution: &it.Resolution} {
		if src != nil {
			*dst = *src
		}
	}
	// New items are non-public unless the request says otherwise.
	if in.Public != nil {
		it.Public = *in.Public
	}
	// Without a number the item is numbered automatically (sessions).
	if in.NumberFixed != nil {
		it.NumberFixed = *in.NumberFixed
	}
	if err := s.cfg.Sessions.CreateAgendaItem(r.Context(), it); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "item.create", "agenda_item", it.ID, it.Number)
	if it.Public { // recorded, so that the history of the flag is complete (OParl soft deletes)
		s.folder.Audit(r.Context(), "item.update", "agenda_item", it.ID, "public=true")
	}
	render.JSON(w, http.StatusCreated, itemJSON(it))
}

func itemJSON(it *sessions.AgendaItem) map[string]any {
	return map[string]any{"id": it.ID, "meeting_id": it.MeetingID, "number": it.Number, "number_fixed": it.NumberFixed, "position": it.Position, "title": it.Title,
		"public_title": it.PublicTitle, "public": it.Public, "late": folder.Tptr(it.LateAt), "withdrawn": folder.Tptr(it.WithdrawnAt)}
}

// UpdateItem answers PATCH /api/v1/items/{id}.
func (s *Handler) UpdateItem(w http.ResponseWriter, r *http.Request, id int64) {
	var in itemInput
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := s.cfg.Sessions.UpdateAgendaItem(r.Context(), id, sessions.AgendaItemUpdate{Number: in.Number, NumberFixed: in.NumberFixed, Title: in.Title,
		PublicTitle: in.PublicTitle, Public: in.Public, Result: in.Result, Resolution: in.Resolution}); err != nil {
		render.Error(w, r, err)
		return
	}
	details := ""
	if in.Public != nil {
		details = fmt.Sprintf("public=%v", *in.Public)
	}
	s.folder.Audit(r.Context(), "item.update", "agenda_item", id, details)
	it, err := s.cfg.Sessions.FindAgendaItemByID(r.Context(), request.Viewer(r.Context()), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, itemJSON(it))
}

// WithdrawItem answers POST /api/v1/items/{id}/withdraw.
func (s *Handler) WithdrawItem(w http.ResponseWriter, r *http.Request) {
	s.simple(w, r, "item.withdraw", "agenda_item", s.cfg.Sessions.WithdrawAgendaItem)
}

// WithdrawAttachment answers POST /api/v1/attachments/{id}/withdraw.
func (s *Handler) WithdrawAttachment(w http.ResponseWriter, r *http.Request) {
	s.simple(w, r, "attachment.withdraw", "attachment", s.cfg.Sessions.WithdrawAttachment)
}

// simple runs a change on the object named by the id parameter.
func (s *Handler) simple(w http.ResponseWriter, r *http.Request, action, objType string, f func(context.Context, int64) error) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	if err := f(r.Context(), id); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), action, objType, id, "")
	w.WriteHeader(http.StatusNoContent)
}

// Reorder answers PUT /api/v1/meetings/{id}/order with the renumbered
// agenda ({"data": [{id, number, number_fixed, position, …}]}), so that
// the office shows the new numbers without reading the page again.
func (s *Handler) Reorder(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Items []int64 `json:"items"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := s.cfg.Sessions.ReorderAgenda(r.Context(), id, in.Items); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "meeting.reorder", "meeting", id, "")
	_, items, err := s.cfg.Sessions.FindAgenda(r.Context(), request.Viewer(r.Context()), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = itemJSON(it)
	}
	render.JSON(w, http.StatusOK, map[string]any{"data": out})
}

type attachInput struct {
	DocumentID int64  `json:"document_id"`
	Title      string `json:"title"`
	Role       string `json:"role"`
	Public     *bool  `json:"public"`
}

func (s *Handler) attach(w http.ResponseWriter, r *http.Request, a *sessions.Attachment) {
	var in attachInput
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if _, err := s.cfg.Documents.Store().FindDocumentByID(r.Context(), in.DocumentID); err != nil {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekanntes Dokument %d.", in.DocumentID))
		return
	}
	a.DocumentID, a.Title, a.Role = in.DocumentID, in.Title, in.Role
	if err := s.cfg.Sessions.Attach(r.Context(), a); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "attachment.create", "attachment", a.ID, fmt.Sprintf("document %d", a.DocumentID))
	// Public only on explicit request, as a second step — and recorded.
	if in.Public != nil && *in.Public {
		if err := s.cfg.Sessions.SetAttachmentPublic(r.Context(), a.ID, true); err != nil {
			render.Error(w, r, err)
			return
		}
		a.Public = true
		s.folder.Audit(r.Context(), "attachment.public", "attachment", a.ID, "public=true")
	}
	render.JSON(w, http.StatusCreated, map[string]any{"id": a.ID, "document_id": a.DocumentID, "public": a.Public, "late": folder.Tptr(a.LateAt), "role": a.Role})
}

// AttachToItem answers POST /api/v1/items/{id}/attachments.
func (s *Handler) AttachToItem(w http.ResponseWriter, r *http.Request, id int64) {
	s.attach(w, r, &sessions.Attachment{AgendaItemID: id})
}

// AttachToMeeting answers POST /api/v1/meetings/{id}/attachments.
func (s *Handler) AttachToMeeting(w http.ResponseWriter, r *http.Request, id int64) {
	s.attach(w, r, &sessions.Attachment{MeetingID: id})
}

// AttachToPaper answers POST /api/v1/papers/{id}/attachments.
func (s *Handler) AttachToPaper(w http.ResponseWriter, r *http.Request, id int64) {
	s.attach(w, r, &sessions.Attachment{PaperID: id})
}

// UpdateAttachment answers PATCH /api/v1/attachments/{id}.
func (s *Handler) UpdateAttachment(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Public *bool `json:"public"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if in.Public == nil {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Nichts zu ändern: erwartet {\"public\": true|false}."))
		return
	}
	if err := s.cfg.Sessions.SetAttachmentPublic(r.Context(), id, *in.Public); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "attachment.public", "attachment", id, fmt.Sprintf("public=%v", *in.Public))
	w.WriteHeader(http.StatusNoContent)
}

// AddExclusion answers POST /api/v1/items/{id}/exclusions.
func (s *Handler) AddExclusion(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		PersonID int64  `json:"person_id"`
		Reason   string `json:"reason"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if _, err := s.cfg.Sessions.FindPersonByID(r.Context(), in.PersonID); err != nil {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Person %d.", in.PersonID))
		return
	}
	if err := s.cfg.Sessions.AddExclusion(r.Context(), id, in.PersonID, in.Reason); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "item.exclude", "agenda_item", id, fmt.Sprintf("person %d", in.PersonID))
	w.WriteHeader(http.StatusNoContent)
}

// RemoveExclusion answers DELETE /api/v1/items/{id}/exclusions/{person}.
func (s *Handler) RemoveExclusion(w http.ResponseWriter, r *http.Request) {
	id, ok1 := request.IDParam(r, "id")
	person, ok2 := request.IDParam(r, "person")
	if !ok1 || !ok2 {
		render.Error(w, r, render.NotFound)
		return
	}
	if err := s.cfg.Sessions.RemoveExclusion(r.Context(), id, person); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "item.unexclude", "agenda_item", id, fmt.Sprintf("person %d", person))
	w.WriteHeader(http.StatusNoContent)
}

// CreateMinutes answers POST /api/v1/meetings/{id}/minutes.
func (s *Handler) CreateMinutes(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		DocumentID int64 `json:"document_id"`
		Public     bool  `json:"public"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	m := &sessions.Minutes{MeetingID: id, DocumentID: in.DocumentID, Public: in.Public}
	if err := s.cfg.Sessions.CreateMinutes(r.Context(), m); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "minutes.create", "minutes", m.ID, "")
	render.JSON(w, http.StatusCreated, map[string]any{"id": m.ID, "state": m.State, "public": m.Public})
}

// MinutesState answers POST /api/v1/minutes/{id}/state.
func (s *Handler) MinutesState(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		State string `json:"state"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := s.cfg.Sessions.SetMinutesState(r.Context(), id, in.State); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "minutes."+in.State, "minutes", id, "")
	w.WriteHeader(http.StatusNoContent)
}

// CreatePaper answers POST /api/v1/papers.
func (s *Handler) CreatePaper(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reference  string `json:"reference"`
		Name       string `json:"name"`
		Type       string `json:"type"`
		Date       string `json:"date"`
		Originator string `json:"originator"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	bodies, err := s.cfg.Sessions.FindBodies(r.Context())
	if err != nil || len(bodies) == 0 {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.ECONFLICT, "Es ist noch keine Körperschaft angelegt."))
		return
	}
	p := &sessions.Paper{BodyID: bodies[0].ID, Reference: in.Reference, Name: in.Name, Type: in.Type, Date: in.Date, Originator: in.Originator}
	if err := s.cfg.Sessions.CreatePaper(r.Context(), p); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "paper.create", "paper", p.ID, p.Reference)
	render.JSON(w, http.StatusCreated, folder.PaperEntry{ID: p.ID, Reference: p.Reference, Name: p.Name, Type: p.Type})
}

// Consult answers POST /api/v1/papers/{id}/consultations.
func (s *Handler) Consult(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		AgendaItemID  int64  `json:"agenda_item_id"`
		Role          string `json:"role"`
		Authoritative bool   `json:"authoritative"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	c := &sessions.Consultation{PaperID: id, AgendaItemID: in.AgendaItemID, Role: in.Role, Authoritative: in.Authoritative}
	if err := s.cfg.Sessions.Consult(r.Context(), c); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "paper.consult", "paper", id, fmt.Sprintf("item %d", in.AgendaItemID))
	render.JSON(w, http.StatusCreated, map[string]any{"id": c.ID})
}

// RemoveConsultation answers DELETE
// /api/v1/papers/{id}/consultations/{consultation}: the paper is no
// longer discussed under that agenda item.
func (s *Handler) RemoveConsultation(w http.ResponseWriter, r *http.Request) {
	id, ok1 := request.IDParam(r, "id")
	c, ok2 := request.IDParam(r, "consultation")
	if !ok1 || !ok2 {
		render.Error(w, r, render.NotFound)
		return
	}
	if err := s.cfg.Sessions.RemoveConsultation(r.Context(), id, c); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "paper.unconsult", "paper", id, fmt.Sprintf("consultation %d", c))
	w.WriteHeader(http.StatusNoContent)
}

// receiveUpload stores the "file" part of a multipart upload in a
// temporary file; the caller removes it.
func (s *Handler) receiveUpload(w http.ResponseWriter, r *http.Request) (path, name string, err error) {
	limit := s.cfg.MaxUpload
	if limit <= 0 {
		limit = 200 * 1000 * 1000
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", "", ratsmappe.Errorf(ratsmappe.EINVALID, "Erwartet wird ein Formular-Upload (multipart/form-data) mit dem Feld „file“.")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return "", "", ratsmappe.Errorf(ratsmappe.EINVALID, "Das Feld „file“ fehlt.")
		}
		if err != nil {
			return "", "", uploadErr(err)
		}
		if part.FormName() != "file" {
			// Other fields come as query parameters; skip.
			continue
		}
		f, err := os.CreateTemp(s.cfg.TempDir, "upload-*.pdf")
		if err != nil {
			return "", "", err
		}
		if _, err := io.Copy(f, part); err != nil {
			f.Close()
			os.Remove(f.Name())
			return "", "", uploadErr(err)
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return "", "", err
		}
		return f.Name(), part.FileName(), nil
	}
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return documents.Reject(documents.RejectTooLarge, err)
	}
	return ratsmappe.Errorf(ratsmappe.EINVALID, "Der Upload ist abgebrochen. Bitte versuchen Sie es erneut.")
}

type addedJSON struct {
	Document  int64    `json:"document"`
	Version   int      `json:"version"`
	Pages     int      `json:"pages"`
	SHA256    string   `json:"sha256"`
	Sanitized []string `json:"sanitized"`
	OCRPages  int      `json:"ocr_pages"`
	URL       string   `json:"url"`
}

func addedOut(a *documents.Added) addedJSON {
	san := a.Sanitized
	if san == nil {
		san = []string{}
	}
	return addedJSON{Document: a.Document.ID, Version: a.Version.Number, Pages: a.Version.Pages, SHA256: a.Version.SHA256, Sanitized: san,
		OCRPages: a.OCRPages, URL: fmt.Sprintf("/api/v1/documents/%d/versions/%d/file", a.Document.ID, a.Version.Number)}
}

// Upload ingests a new document: POST /api/v1/documents?title=&kind=
// with multipart field "file". A refused file answers 422 with the typed
// reason in German and English (413 for too_large).
func (s *Handler) Upload(w http.ResponseWriter, r *http.Request) {
	path, name, err := s.receiveUpload(w, r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	defer os.Remove(path)
	v := request.Viewer(r.Context())
	q := r.URL.Query()
	a, err := s.cfg.Documents.AddDocument(r.Context(), documents.Upload{Path: path, FileName: name, Title: q.Get("title"), Kind: q.Get("kind"), Uploader: v.Name})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "document.upload", "document", a.Document.ID, a.Version.SHA256)
	render.JSON(w, http.StatusCreated, addedOut(a))
}

// UploadVersion ingests a new version: POST
// /api/v1/documents/{id}/versions?note= with multipart field "file".
func (s *Handler) UploadVersion(w http.ResponseWriter, r *http.Request, id int64) {
	path, name, err := s.receiveUpload(w, r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	defer os.Remove(path)
	v := request.Viewer(r.Context())
	a, err := s.cfg.Documents.AddVersion(r.Context(), id, documents.Upload{Path: path, FileName: name, Uploader: v.Name, Note: r.URL.Query().Get("note")})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "document.version", "document", id, fmt.Sprintf("version %d", a.Version.Number))
	render.JSON(w, http.StatusCreated, addedOut(a))
}

// WithdrawVersion answers POST /api/v1/documents/{id}/versions/{n}/withdraw.
func (s *Handler) WithdrawVersion(w http.ResponseWriter, r *http.Request) {
	id, ok1 := request.IDParam(r, "id")
	n, ok2 := request.IDParam(r, "n")
	if !ok1 || !ok2 {
		render.Error(w, r, render.NotFound)
		return
	}
	if err := s.cfg.Documents.Withdraw(r.Context(), id, int(n)); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(r.Context(), "document.withdraw_version", "document", id, fmt.Sprintf("version %d", n))
	w.WriteHeader(http.StatusNoContent)
}

// Organizations answers GET /api/v1/organizations.
func (s *Handler) Organizations(w http.ResponseWriter, r *http.Request) {
	os, err := s.cfg.Sessions.FindOrganizations(r.Context(), sessions.OrganizationFilter{})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, o := range os {
		out = append(out, map[string]any{"id": o.ID, "name": o.Name, "short_name": o.ShortName, "classification": o.Classification})
	}
	render.JSON(w, http.StatusOK, map[string]any{"data": out})
}

// Audit shows the audit log to admins.
func (s *Handler) Audit(w http.ResponseWriter, r *http.Request) {
	if request.Viewer(r.Context()).Role != access.RoleAdmin {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EFORBIDDEN, "Das Audit-Protokoll sieht nur die Administration."))
		return
	}
	es, err := s.cfg.Sessions.FindAuditEntries(r.Context(), 500)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, map[string]any{"data": es})
}
