package live

import (
	"fmt"
	"net/http"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The speaker list of an agenda item: members ask to speak and withdraw
// for themselves; the office gives and ends the floor, sets the speaking
// time, and may take anyone's request off the list (audited). The list
// is read by whoever may see the item in full.

// Speakers answers GET /api/v1/items/{id}/speakers.
func (h *Handler) Speakers(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	it, err := h.sessions.FindAgendaItemByID(ctx, request.Viewer(ctx), id)
	if err != nil || it.Access != access.Full {
		render.Error(w, r, render.NotFound)
		return
	}
	sp, err := h.live.FindSpeakers(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, sp)
}

// RequestToSpeak answers POST /api/v1/items/{id}/speakers: the signed-in
// member asks to speak.
func (h *Handler) RequestToSpeak(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	if v.AccountID == 0 {
		render.Error(w, r, errorf(ratsmappe.EUNAUTHORIZED, "", "Bitte melden Sie sich an.", "Please sign in."))
		return
	}
	it, err := h.sessions.FindAgendaItemByID(ctx, v, id)
	if err != nil || it.Access != access.Full || v.PersonID == 0 {
		render.Error(w, r, render.NotFound)
		return
	}
	if err := h.live.RequestToSpeak(ctx, id, v.PersonID); err != nil {
		render.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// WithdrawRequest answers DELETE /api/v1/items/{id}/speakers/{person}:
// a member withdraws their own request, the office anyone's.
func (h *Handler) WithdrawRequest(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	person, ok := request.IDParam(r, "person")
	if !ok || v.AccountID == 0 || (!v.Staff() && person != v.PersonID) {
		render.Error(w, r, render.NotFound)
		return
	}
	if !v.Staff() {
		if it, err := h.sessions.FindAgendaItemByID(ctx, v, id); err != nil || it.Access != access.Full {
			render.Error(w, r, render.NotFound)
			return
		}
	}
	if err := h.live.WithdrawRequest(ctx, id, person); err != nil {
		render.Error(w, r, err)
		return
	}
	if v.Staff() {
		h.folder.Audit(ctx, "speaker.withdraw", "agenda_item", id, fmt.Sprint(person))
	}
	w.WriteHeader(http.StatusNoContent)
}

// GiveFloor answers POST /api/v1/items/{id}/speakers/{person}/start
// (office).
func (h *Handler) GiveFloor(w http.ResponseWriter, r *http.Request, id int64) {
	person, ok := request.IDParam(r, "person")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	if err := h.live.GiveFloor(r.Context(), id, person); err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "speaker.start", "agenda_item", id, fmt.Sprint(person))
	w.WriteHeader(http.StatusNoContent)
}

// EndSpeech answers POST /api/v1/meetings/{id}/speech/end (office).
func (h *Handler) EndSpeech(w http.ResponseWriter, r *http.Request, id int64) {
	if err := h.live.EndSpeech(r.Context(), id); err != nil {
		render.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// SetSpeakingLimit answers PUT /api/v1/items/{id}/speaking-limit
// {"seconds": n, "faction_seconds": m} (office): the time per person
// and per faction, each 0 for no limit; a limit left out stays as it is
// (an empty body lifts the limit per person).
func (h *Handler) SetSpeakingLimit(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Seconds        *int `json:"seconds"`
		FactionSeconds *int `json:"faction_seconds"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if in.Seconds == nil && in.FactionSeconds == nil {
		in.Seconds = new(int)
	}
	if in.Seconds != nil {
		if err := h.live.SetSpeakingLimit(r.Context(), id, *in.Seconds); err != nil {
			render.Error(w, r, err)
			return
		}
		h.folder.Audit(r.Context(), "speaker.limit", "agenda_item", id, fmt.Sprint(*in.Seconds))
	}
	if in.FactionSeconds != nil {
		if err := h.live.SetFactionSpeakingLimit(r.Context(), id, *in.FactionSeconds); err != nil {
			render.Error(w, r, err)
			return
		}
		h.folder.Audit(r.Context(), "speaker.limit", "agenda_item", id, fmt.Sprintf("Fraktion %d", *in.FactionSeconds))
	}
	w.WriteHeader(http.StatusNoContent)
}
