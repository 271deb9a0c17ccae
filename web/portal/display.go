package portal

import (
	"net/http"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Display answers GET /meetings/{id}/display: the chamber display, a
// full-screen page that follows the live session as the public sees it.
func (s *Handler) Display(w http.ResponseWriter, r *http.Request) { s.publicLive(w, r, "display") }

// Overlay answers GET /meetings/{id}/overlay: the livestream overlay, a
// lower third on a transparent page for a streaming program's browser
// source (OBS): the current public item, the speaker, an open vote or
// its result. It shows nothing while a non-public item is called.
func (s *Handler) Overlay(w http.ResponseWriter, r *http.Request) { s.publicLive(w, r, "overlay") }

// publicLive renders page (display or overlay), which display.js brings
// to life. Both are the public's view whoever opens them — the meeting is
// looked up as an anonymous viewer, and display.js reads the stream
// without cookies — so a screen left signed in never shows a non-public
// item.
func (s *Handler) publicLive(w http.ResponseWriter, r *http.Request, page string) {
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
	render.HTML(w, r, http.StatusOK, page, p)
}
