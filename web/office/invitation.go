package office

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
	"github.com/ratsmappe/ratsmappe/sessions/ladung"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Invitations serves the office's part of the Ladung: issuing the
// invitation of a meeting and its Nachträge, the delivery table (JSON,
// CSV, page), the postal list, the consent register and the
// organizations' deadline rules. Staff only, like the rest of the office;
// every change is written to the audit log.
type Invitations struct {
	svc      *invitation.Service
	sessions *sessions.Store
	folder   *folder.Folder
}

// NewInvitations returns the office's invitation handlers over svc.
func NewInvitations(svc *invitation.Service, cfg folder.Config) *Invitations {
	return &Invitations{svc: svc, sessions: cfg.Sessions, folder: folder.New(cfg)}
}

// Issue answers POST /api/v1/meetings/{id}/invitation: the Ladung, or with
// "supplement": true a Nachtrag; "urgency_reason" is required once the
// deadline has passed (EINVALID, reason urgency_required).
func (s *Invitations) Issue(w http.ResponseWriter, r *http.Request, id int64) {
	var req invitation.Request
	if r.ContentLength != 0 {
		if err := request.Decode(r, &req); err != nil {
			render.Error(w, r, err)
			return
		}
	}
	ctx := r.Context()
	req.IssuedBy, req.BaseURL = request.Viewer(ctx).Name, request.BaseURL(r)
	inv, err := s.svc.Issue(ctx, id, req)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	details := fmt.Sprintf("invitation %d: %d e-mails, %d letters", inv.Number, inv.Emails, inv.Letters)
	if inv.Urgency != "" {
		details += "; urgency: " + inv.Urgency
	}
	s.folder.Audit(ctx, "meeting.invite", "meeting", id, details)
	render.JSON(w, http.StatusCreated, inv)
}

// Cancel answers POST /api/v1/meetings/{id}/cancellation: the meeting is
// cancelled, and every member invited by e-mail gets one cancellation
// with the calendar's METHOD:CANCEL. Repeating it tells no one twice.
func (s *Invitations) Cancel(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	n, err := s.svc.Cancel(ctx, id, request.BaseURL(r))
	if err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(ctx, "meeting.cancel", "meeting", id, fmt.Sprintf("%d cancellations queued", n))
	render.JSON(w, http.StatusOK, map[string]any{"id": id, "state": sessions.MeetingCancelled, "messages": n})
}

// deliveryTable is the answer of GET /api/v1/meetings/{id}/deliveries.
type deliveryTable struct {
	MeetingID   int64                    `json:"meeting_id"`
	Mailer      bool                     `json:"mailer"`
	Invitations []*invitation.Invitation `json:"invitations"`
	Deliveries  []invitation.Delivery    `json:"deliveries"`
}

func (s *Invitations) table(r *http.Request, id int64) (*deliveryTable, error) {
	ctx := r.Context()
	ds, err := s.svc.Deliveries(ctx, id)
	if err != nil {
		return nil, err
	}
	invs, err := s.svc.FindInvitations(ctx, id)
	if err != nil {
		return nil, err
	}
	if ds == nil {
		ds = []invitation.Delivery{}
	}
	if invs == nil {
		invs = []*invitation.Invitation{}
	}
	return &deliveryTable{MeetingID: id, Mailer: s.svc.Mailer(), Invitations: invs, Deliveries: ds}, nil
}

// Deliveries answers GET /api/v1/meetings/{id}/deliveries: the proof of
// delivery per invitation and member, as JSON, or with ?format=csv or
// ?format=pdf as a file for the minutes.
func (s *Invitations) Deliveries(w http.ResponseWriter, r *http.Request, id int64) {
	t, err := s.table(r, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var (
		buf  bytes.Buffer
		ctyp string
	)
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		render.JSON(w, http.StatusOK, t)
		return
	case "csv":
		ctyp, err = "text/csv; charset=utf-8", invitation.WriteCSV(&buf, t.Deliveries)
	case "pdf":
		var m *sessions.Meeting
		if m, err = s.sessions.FindMeetingByID(r.Context(), request.Viewer(r.Context()), id); err == nil {
			ctyp, err = "application/pdf", invitation.WritePDF(&buf, m, t.Invitations, t.Deliveries, time.Now())
		}
	default:
		err = ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekanntes Format %q (json, csv oder pdf).", format)
	}
	if err != nil {
		render.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctyp)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="zustellung-sitzung-%d.%s"`, id, r.URL.Query().Get("format")))
	h.Set("Cache-Control", "private, no-store")
	w.Write(buf.Bytes())
}

// RecordBounce answers POST /api/v1/meetings/{id}/deliveries/bounce: the
// office records a bounce the mail administrator reported after the mail
// server had accepted an invitation ({"message_id": "…", "reason": "…"},
// or "invitation" and "person_id" instead of the Message-ID). The member
// then belongs on the postal list.
func (s *Invitations) RecordBounce(w http.ResponseWriter, r *http.Request, id int64) {
	var b invitation.Bounce
	if err := request.Decode(r, &b); err != nil {
		render.Error(w, r, err)
		return
	}
	ctx := r.Context()
	d, err := s.svc.RecordBounce(ctx, id, b, request.Viewer(ctx).Name)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(ctx, "delivery.bounce", "meeting", id, fmt.Sprintf("invitation %d, person %d: %s", d.Invitation, d.PersonID, d.BounceReason))
	render.JSON(w, http.StatusOK, d)
}

// RecordBounceReport answers POST /api/v1/bounces: the body is a bounce
// report (RFC 3464 delivery status notification) as the mail
// administrator received it, or a message that carries it as an
// attachment. The invitation it names by Message-ID is recorded as
// bounced, as RecordBounce does.
func (s *Invitations) RecordBounceReport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.svc.RecordBounceReport(ctx, r.Body, request.Viewer(ctx).Name)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(ctx, "delivery.bounce", "person", d.PersonID, fmt.Sprintf("invitation %d (report): %s", d.Invitation, d.BounceReason))
	render.JSON(w, http.StatusOK, d)
}

// PostalList answers GET /api/v1/meetings/{id}/postal.pdf: the letters to
// print for the members who get the invitation on paper.
func (s *Invitations) PostalList(w http.ResponseWriter, r *http.Request, id int64) {
	var buf bytes.Buffer
	if _, err := s.svc.WritePostalList(r.Context(), &buf, id, request.BaseURL(r)); err != nil {
		render.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="postliste-sitzung-%d.pdf"`, id))
	h.Set("Cache-Control", "private, no-store")
	w.Write(buf.Bytes())
}

// Consent answers GET /api/v1/members/{id}/consent (id: the person).
func (s *Invitations) Consent(w http.ResponseWriter, r *http.Request, id int64) {
	c, err := s.svc.FindConsent(r.Context(), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, c)
}

// SetConsent answers PUT /api/v1/members/{id}/consent: the whole record.
func (s *Invitations) SetConsent(w http.ResponseWriter, r *http.Request, id int64) {
	var c invitation.Consent
	if err := request.Decode(r, &c); err != nil {
		render.Error(w, r, err)
		return
	}
	if c.PersonID != 0 && c.PersonID != id {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Die Person im Pfad und im Inhalt weichen voneinander ab."))
		return
	}
	c.PersonID, c.Modified, c.ModifiedBy = id, time.Time{}, ""
	ctx := r.Context()
	if err := s.svc.SetConsent(ctx, &c, request.Viewer(ctx).Name); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(ctx, "person.consent", "person", id, fmt.Sprintf("electronic=%t push=%t digest=%t", c.Electronic, c.Push, c.Digest))
	render.JSON(w, http.StatusOK, c)
}

// ruleView is an organization's deadline rule with the presets to choose.
type ruleView struct {
	invitation.RuleSetting
	Days    int          `json:"effective_days"`
	Source  string       `json:"source"`
	Presets []presetView `json:"presets"`
}

// presetView is a preset of sessions/ladung as the office chooses it.
type presetView struct {
	Name   string `json:"name"`
	Days   int    `json:"days"`
	Source string `json:"source"`
	Note   string `json:"note"`
}

// Rule answers GET /api/v1/organizations/{id}/invitation-rule.
func (s *Invitations) Rule(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	if _, err := s.sessions.FindOrganizationByID(ctx, id); err != nil {
		render.Error(w, r, err)
		return
	}
	rule, set, err := s.svc.Rule(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	v := ruleView{RuleSetting: set, Days: rule.Days, Source: rule.Source}
	for _, p := range ladung.Presets {
		v.Presets = append(v.Presets, presetView{Name: p.Name, Days: p.Rule.Days, Source: p.Rule.Source, Note: p.Note})
	}
	render.JSON(w, http.StatusOK, v)
}

// SetRule answers PUT /api/v1/organizations/{id}/invitation-rule.
func (s *Invitations) SetRule(w http.ResponseWriter, r *http.Request, id int64) {
	var set invitation.RuleSetting
	if err := request.Decode(r, &set); err != nil {
		render.Error(w, r, err)
		return
	}
	ctx := r.Context()
	if err := s.svc.SetRule(ctx, id, set); err != nil {
		render.Error(w, r, err)
		return
	}
	s.folder.Audit(ctx, "organization.invitation_rule", "organization", id, fmt.Sprintf("%s %d", set.Preset, set.Days))
	s.Rule(w, r, id)
}

// InvitationPage answers GET /office/meetings/{id}/invitation: issue the
// invitation or a Nachtrag, and see who got it how.
func (s *Invitations) InvitationPage(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	ctx := r.Context()
	m, err := s.sessions.FindMeetingByID(ctx, request.Viewer(ctx), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	t, err := s.table(r, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	rule, set, err := s.svc.Rule(ctx, m.OrganizationID)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	y, mo, d := rule.LatestDay(m.Start)
	p := render.NewPage(w, r, "Ladung – "+m.Name)
	p.Data = map[string]any{"Meeting": m, "Table": t, "Rule": rule, "Preset": set.Preset, "Presets": ladung.Presets,
		"LatestDay": fmt.Sprintf("%02d.%02d.%d", d, mo, y), "Late": !time.Now().Before(rule.Deadline(m.Start))}
	p.Scripts = []string{"office.js"}
	render.HTML(w, r, http.StatusOK, "office_invitation", p)
}

type memberRow struct {
	Person  *sessions.Person
	Consent *invitation.Consent
}

// MembersPage answers GET /office/members: the consent register, one
// form per person.
func (s *Invitations) MembersPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ps, err := s.sessions.FindPersons(ctx, sessions.PersonFilter{})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var rows []memberRow
	for _, p := range ps {
		c, err := s.svc.FindConsent(ctx, p.ID)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		rows = append(rows, memberRow{Person: p, Consent: c})
	}
	pg := render.NewPage(w, r, "Einwilligungen")
	pg.Data = map[string]any{"Members": rows, "Mailer": s.svc.Mailer()}
	pg.Scripts = []string{"office.js"}
	render.HTML(w, r, http.StatusOK, "office_members", pg)
}

// RecordOpening wraps a reader route of the meeting named by {id}: a
// member's successful read of it is their opening of the meeting, the
// proof of access (Zugang) of its invitations.
func (s *Invitations) RecordOpening(next http.HandlerFunc) http.HandlerFunc {
	return recordAfter(next, false, s.svc.RecordOpening)
}

// RecordDocumentOpening wraps a route of the document named by {id} (its
// file, its page): a member's successful read of it is their opening of
// the meetings it belongs to. The record is written beside the answer, not
// before it: the file path does not wait for the database (and after the
// first time per member and document there is nothing to write).
func (s *Invitations) RecordDocumentOpening(next http.HandlerFunc) http.HandlerFunc {
	return recordAfter(next, true, s.svc.RecordDocumentOpening)
}

// recordAfter serves next, then, if it answered a signed-in member with
// the object named by {id} (200, or 206 for part of a file), records
// their opening of it; aside runs the record in its own goroutine.
func recordAfter(next http.HandlerFunc, aside bool, record func(ctx context.Context, person, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next(sw, r)
		v := request.Viewer(r.Context())
		if (sw.status != http.StatusOK && sw.status != http.StatusPartialContent) || v.Role != access.RoleMember || v.PersonID == 0 {
			return
		}
		id, ok := request.IDParam(r, "id")
		if !ok {
			return
		}
		log := request.Logger(r.Context())
		// The member has been answered: the record is written even if
		// they close the page at once (it may be the proof that an
		// invitation reached them), so not with the request's context,
		// which ends with the connection.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
		run := func() {
			defer cancel()
			if err := record(ctx, v.PersonID, id); err != nil {
				log.Error("record opening", "id", id, "err", err)
			}
		}
		if !aside {
			run()
			return
		}
		go run()
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
