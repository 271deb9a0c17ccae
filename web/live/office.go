package live

import (
	"fmt"
	"net/http"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The office's API of the live session. web/routes.go lets only staff
// through (office.StaffOnly); every change is written to the audit log —
// except ballots, which are the members' own acts (ballot.go).

type sessionJSON struct {
	Meeting   int64  `json:"meeting"`
	Running   bool   `json:"running"`
	StartedAt string `json:"started_at,omitempty"`
	EndedAt   string `json:"ended_at,omitempty"`
	Current   int64  `json:"current_item,omitempty"`
}

func toSessionJSON(se live.Session) sessionJSON {
	out := sessionJSON{Meeting: se.MeetingID, Running: se.Running(), Current: se.Current}
	if !se.StartedAt.IsZero() {
		out.StartedAt = se.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	if !se.EndedAt.IsZero() {
		out.EndedAt = se.EndedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return out
}

// Start answers POST /api/v1/meetings/{id}/start.
func (h *Handler) Start(w http.ResponseWriter, r *http.Request, id int64) {
	se, err := h.live.Start(r.Context(), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "session.start", "meeting", id, "")
	render.JSON(w, http.StatusOK, toSessionJSON(se))
}

// End answers POST /api/v1/meetings/{id}/end.
func (h *Handler) End(w http.ResponseWriter, r *http.Request, id int64) {
	se, err := h.live.End(r.Context(), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "session.end", "meeting", id, "")
	render.JSON(w, http.StatusOK, toSessionJSON(se))
}

// SetCurrent answers PUT /api/v1/meetings/{id}/current {"item": id|0}.
func (h *Handler) SetCurrent(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Item int64 `json:"item"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := h.live.SetCurrentItem(r.Context(), id, in.Item); err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "session.current_item", "meeting", id, fmt.Sprint(in.Item))
	w.WriteHeader(http.StatusNoContent)
}

// SetAttendance answers PUT /api/v1/meetings/{id}/attendance/{person}.
func (h *Handler) SetAttendance(w http.ResponseWriter, r *http.Request, id int64) {
	person, ok := request.IDParam(r, "person")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	var in struct {
		Status        string `json:"status"`
		SubstituteFor int64  `json:"substitute_for"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	a := live.Attendee{Person: person, Status: in.Status, SubstituteFor: in.SubstituteFor}
	if err := h.live.SetAttendance(r.Context(), id, a); err != nil {
		render.Error(w, r, err)
		return
	}
	details := fmt.Sprintf("person %d: %s", person, in.Status)
	if in.SubstituteFor != 0 {
		details += fmt.Sprintf(" (für %d)", in.SubstituteFor)
	}
	h.folder.Audit(r.Context(), "attendance.set", "meeting", id, details)
	h.Attendance(w, r, id)
}

// SetQuorumRule answers PUT /api/v1/organizations/{id}/quorum.
func (h *Handler) SetQuorumRule(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Kind      string `json:"kind"`
		Number    int    `json:"number"`
		Statutory int    `json:"statutory"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	q := live.QuorumRule{Kind: in.Kind, Number: in.Number, Statutory: in.Statutory}
	if err := h.live.SetQuorumRule(r.Context(), id, q); err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "quorum.set", "organization", id, fmt.Sprintf("%s %d, gesetzlich %d", in.Kind, in.Number, in.Statutory))
	q, _ = h.live.QuorumRuleOf(r.Context(), id)
	render.JSON(w, http.StatusOK, map[string]any{"kind": q.Kind, "number": q.Number, "statutory": q.Statutory})
}

// OpenVote answers POST /api/v1/items/{id}/votes.
func (h *Handler) OpenVote(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Kind   string `json:"kind"`
		Rule   string `json:"rule"`
		Reason string `json:"quorum_reason"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if in.Rule == "" {
		in.Rule = live.Simple
	}
	v, err := h.live.OpenVote(r.Context(), id, in.Kind, in.Rule, in.Reason)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	details := in.Kind + " " + in.Rule
	if v.QuorumReason != "" {
		details += "; ohne Beschlussfähigkeit: " + v.QuorumReason
	}
	h.folder.Audit(r.Context(), "vote.open", "vote", v.ID, details)
	render.JSON(w, http.StatusCreated, v)
}

// Close answers POST /api/v1/votes/{id}/close, with counts entered by
// hand in the body for a show of hands, or none.
func (h *Handler) Close(w http.ResponseWriter, r *http.Request, id int64) {
	var hand *live.Counts
	if r.ContentLength != 0 {
		var in struct {
			Yes     *int `json:"yes"`
			No      *int `json:"no"`
			Abstain *int `json:"abstain"`
		}
		if err := request.Decode(r, &in); err != nil {
			render.Error(w, r, err)
			return
		}
		if in.Yes != nil || in.No != nil || in.Abstain != nil {
			if in.Yes == nil || in.No == nil || in.Abstain == nil {
				render.Error(w, r, errorf(ratsmappe.EINVALID, "counts", "Von Hand gezählt werden Ja, Nein und Enthaltung (yes, no, abstain).",
					"Counts by hand give yes, no and abstain."))
				return
			}
			hand = &live.Counts{Yes: *in.Yes, No: *in.No, Abstain: *in.Abstain}
		}
	}
	v, err := h.live.Close(r.Context(), id, hand)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "vote.close", "vote", id, live.ResultText(v))
	render.JSON(w, http.StatusOK, h.resultJSON(r, v))
}

// Correct answers POST /api/v1/votes/{id}/corrections.
func (h *Handler) Correct(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Yes     *int        `json:"yes"`
		No      *int        `json:"no"`
		Abstain *int        `json:"abstain"`
		Named   []namedJSON `json:"named"` // as the result names them; the name is ignored
		Reason  string      `json:"reason"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	c := live.Correction{Reason: in.Reason}
	for _, n := range in.Named {
		c.Named = append(c.Named, n.NamedChoice)
	}
	if in.Yes != nil || in.No != nil || in.Abstain != nil {
		c.Counts = &live.Counts{Yes: deref(in.Yes), No: deref(in.No), Abstain: deref(in.Abstain)}
	}
	v, err := h.live.Correct(r.Context(), id, c)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "vote.correct", "vote", id, fmt.Sprintf("Fassung %d: %s; Grund: %s", v.Result.Version, live.ResultText(v), v.Result.Reason))
	render.JSON(w, http.StatusOK, h.resultJSON(r, v))
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
