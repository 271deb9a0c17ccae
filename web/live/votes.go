package live

import (
	"context"
	"net/http"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Reads of the live session and the members' ballot. Every read asks the
// visibility rule through sessions.Store (FindMeetingByID,
// FindAgendaItemByID): a vote on an item the viewer may not see in full
// answers exactly like a missing one.

type personJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type attendeeJSON struct {
	live.Attendee
	Name string `json:"name"`
}

// Attendance answers GET /api/v1/meetings/{id}/attendance: who attends
// and the quorum, for whoever may see the meeting.
func (h *Handler) Attendance(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	if _, err := h.sessions.FindMeetingByID(ctx, request.Viewer(ctx), id); err != nil {
		render.Error(w, r, err)
		return
	}
	st, err := h.live.Attendance(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	se, err := h.live.FindSession(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	att := make([]attendeeJSON, len(st.Attendees))
	for i, a := range st.Attendees {
		att[i] = attendeeJSON{Attendee: a, Name: h.name(ctx, a.Person)}
	}
	checkins := make([]attendeeJSON, len(st.CheckIns))
	for i, a := range st.CheckIns {
		checkins[i] = attendeeJSON{Attendee: a, Name: h.name(ctx, a.Person)}
	}
	render.JSON(w, http.StatusOK, map[string]any{"meeting": id, "running": se.Running(), "attendees": att, "members": st.Members, "quorum": st.Quorum,
		"checkins": checkins})
}

func (h *Handler) name(ctx context.Context, person int64) string {
	p, err := h.sessions.FindPersonByID(ctx, person)
	if err != nil {
		return ""
	}
	return p.Name()
}

// visibleVote returns vote id if v may see its item in full, else
// ENOTFOUND.
func (h *Handler) visibleVote(ctx context.Context, v access.Viewer, id int64) (*live.Vote, error) {
	vote, err := h.live.FindVoteByID(ctx, id)
	if err != nil {
		return nil, err
	}
	it, err := h.sessions.FindAgendaItemByID(ctx, v, vote.ItemID)
	if err != nil || it.Access != access.Full {
		return nil, render.NotFound
	}
	return vote, nil
}

// Vote answers GET /api/v1/votes/{id}.
func (h *Handler) Vote(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	v, err := h.visibleVote(ctx, request.Viewer(ctx), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, h.voteJSON(r, v))
}

// ItemVotes answers GET /api/v1/items/{id}/votes: the votes on an item
// the viewer may see in full, with their newest results.
func (h *Handler) ItemVotes(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	it, err := h.sessions.FindAgendaItemByID(ctx, request.Viewer(ctx), id)
	if err != nil || it.Access != access.Full {
		render.Error(w, r, render.NotFound)
		return
	}
	vs, err := h.live.FindVotes(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	out := make([]voteJSON, len(vs))
	for i, v := range vs {
		out[i] = h.voteJSON(r, v)
	}
	render.JSON(w, http.StatusOK, map[string]any{"item": id, "votes": out})
}

// Ballot answers PUT /api/v1/votes/{id}/ballot {"choice": …}: the
// signed-in member's own ballot. Nothing about it is logged or audited;
// the answer does not repeat the choice.
func (h *Handler) Ballot(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	if v.AccountID == 0 {
		render.Error(w, r, errorf(ratsmappe.EUNAUTHORIZED, "", "Bitte melden Sie sich an.", "Please sign in."))
		return
	}
	var in struct {
		Choice string `json:"choice"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	vote, err := h.live.FindVoteByID(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	it, err := h.sessions.FindAgendaItemByID(ctx, v, vote.ItemID)
	if err != nil {
		render.Error(w, r, render.NotFound)
		return
	}
	if v.PersonID == 0 {
		render.Error(w, r, errorf(ratsmappe.EFORBIDDEN, "not_entitled", "Nur Mitglieder des Gremiums stimmen ab.", "Only members of the body vote."))
		return
	}
	// Who sees only the stub of a non-public item learns nothing of its
	// votes — but an excluded member is told why they cannot vote.
	if it.Access != access.Full {
		excluded, err := h.live.Excluded(ctx, id, v.PersonID)
		switch {
		case err != nil:
			render.Error(w, r, err)
		case excluded:
			render.Error(w, r, live.ErrExcluded)
		default:
			render.Error(w, r, render.NotFound)
		}
		return
	}
	if err := h.live.Ballot(ctx, id, v.PersonID, in.Choice); err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, map[string]any{"vote": id, "voted": true})
}

type namedJSON struct {
	live.NamedChoice
	Name string `json:"name"`
}

// resultJSON is a closed vote's result as the API answers it.
type resultJSON struct {
	Vote int64  `json:"vote"`
	Item int64  `json:"item"`
	Kind string `json:"kind"`
	Rule string `json:"rule"`
	Text string `json:"text"`
	*live.Result
	Named    []namedJSON  `json:"named"`
	Excluded []personJSON `json:"excluded"`
}

func (h *Handler) resultJSON(r *http.Request, v *live.Vote) *resultJSON {
	if v.Result == nil {
		return nil
	}
	out := &resultJSON{Vote: v.ID, Item: v.ItemID, Kind: v.Kind, Rule: v.Rule, Text: live.ResultText(v), Result: v.Result,
		Named: []namedJSON{}, Excluded: []personJSON{}}
	for _, n := range v.Result.Named {
		out.Named = append(out.Named, namedJSON{NamedChoice: n, Name: h.name(r.Context(), n.Person)})
	}
	for _, p := range v.Result.Excluded {
		out.Excluded = append(out.Excluded, personJSON{ID: p, Name: h.name(r.Context(), p)})
	}
	return out
}

type voteJSON struct {
	*live.Vote
	Result *resultJSON `json:"result,omitempty"`
}

func (h *Handler) voteJSON(r *http.Request, v *live.Vote) voteJSON {
	return voteJSON{Vote: v, Result: h.resultJSON(r, v)}
}

// PersonVotes answers GET /api/v1/persons/{id}/votes: how a person voted
// in named votes, on the items the viewer may see in full, newest first.
func (h *Handler) PersonVotes(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	if _, err := h.sessions.FindPersonByID(ctx, id); err != nil {
		render.Error(w, r, err)
		return
	}
	pvs, err := h.live.FindVotesOf(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	type entry struct {
		live.PersonVote
		Number string `json:"number"`
		Title  string `json:"title"`
	}
	out := []entry{}
	for _, pv := range pvs {
		it, err := h.sessions.FindAgendaItemByID(ctx, request.Viewer(ctx), pv.Item)
		if err != nil || it.Access != access.Full {
			continue
		}
		out = append(out, entry{PersonVote: pv, Number: it.Number, Title: it.Title})
	}
	render.JSON(w, http.StatusOK, map[string]any{"person": id, "votes": out})
}
