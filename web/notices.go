package web

import (
	"net/http"
	"strconv"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/notices"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The reader's list of what changed in the member's meetings (issue 14,
// point 5): the same notices package sessions/notices sends by e-mail and
// push, each built from what the member may see.

// handleNotices answers GET /api/v1/notices?before=ID&limit=N: the
// signed-in member's newest notices.
func (s *Server) handleNotices(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			render.Error(w, r, ratsmappe.Reasonf(ratsmappe.EINVALID, "bad_limit", "limit muss zwischen 1 und 200 liegen."))
			return
		}
		limit = n
	}
	var before int64
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			render.Error(w, r, ratsmappe.Reasonf(ratsmappe.EINVALID, "bad_cursor", "before muss eine Nummer sein."))
			return
		}
		before = n
	}
	ns, err := notices.List(r.Context(), s.cfg.DB, request.Viewer(r.Context()).AccountID, before, limit)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	unread := 0
	for _, n := range ns {
		if !n.Read {
			unread++
		}
	}
	render.JSON(w, http.StatusOK, map[string]any{"notices": ns, "unread": unread})
}

// handleNoticesRead answers POST /api/v1/notices/read {"upto": ID}: the
// member has seen their notices up to ID.
func (s *Server) handleNoticesRead(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Upto int64 `json:"upto"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := notices.MarkRead(r.Context(), s.cfg.DB, request.Viewer(r.Context()).AccountID, in.Upto, s.cfg.Sessions.Now()); err != nil {
		render.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
