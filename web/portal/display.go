package portal

import (
	"net/http"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Display answers GET /meetings/{id}/display: the chamber display, a
// full-screen page that follows the live session as the public sees it.
// It is the public's view whoever opens it — the meeting is looked up as
// an anonymous viewer, and display.js reads the stream without cookies —
// so a display left signed in never shows a non-public item.
func (s *Handler) Display(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	mv, err := s.folder.MeetingDetail(r.Context(), access.Viewer{}, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p := render.NewPage(w, r, mv.Name)
	p.Data = mv
	p.Scripts = []string{"display.js"}
	render.HTML(w, r, http.StatusOK, "display", p)
}
