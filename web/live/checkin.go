package live

import (
	"fmt"
	"net/http"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// CheckIn answers POST /api/v1/meetings/{id}/checkin
// {"substitute_for": member?}: the signed-in member (or deputy) asks to
// be recorded present. It is a request the office confirms with PUT
// …/attendance/{person}; until then it counts for nothing, and a deputy
// sees the meeting as a member only from the office's confirmation on.
// Answers 202 with the attendance; a meeting the caller may not see is
// 404.
func (h *Handler) CheckIn(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	if v.AccountID == 0 {
		render.Error(w, r, errorf(ratsmappe.EUNAUTHORIZED, "", "Bitte melden Sie sich an.", "Please sign in."))
		return
	}
	if _, err := h.sessions.FindMeetingByID(ctx, v, id); err != nil || v.PersonID == 0 {
		render.Error(w, r, render.NotFound)
		return
	}
	var in struct {
		SubstituteFor int64 `json:"substitute_for"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := h.live.CheckIn(ctx, id, v.PersonID, in.SubstituteFor); err != nil {
		render.Error(w, r, err)
		return
	}
	details := fmt.Sprintf("person %d", v.PersonID)
	if in.SubstituteFor != 0 {
		details += fmt.Sprintf(" (für %d)", in.SubstituteFor)
	}
	h.folder.Audit(ctx, "attendance.checkin", "meeting", id, details)
	w.WriteHeader(http.StatusAccepted)
}
