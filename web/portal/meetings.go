package portal

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// APIMeetings lists the meetings the caller may see, by start, a page at a
// time: `limit` (default 50, at most 200) and `cursor` from the previous
// answer's `next` link, which is null on the last page.
func (s *Handler) APIMeetings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := folder.MeetingFilterFrom(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p, err := folder.ParseMeetingPage(r, folder.APIMeetingLimits)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	ms, next, err := s.folder.FindMeetingPage(ctx, request.Viewer(ctx), f, p)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	out, err := s.folder.MeetingSummaries(ctx, ms)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var link *string
	if next != "" {
		l := folder.WithCursor(r, "/api/v1/meetings", next)
		link = &l
	}
	if writeMeetingsJSON(w, out, link) {
		return
	}
	render.JSON(w, http.StatusOK, meetingsAnswer(out, link))
}

// meetingsAnswer is what the API's list of meetings encodes as JSON.
func meetingsAnswer(ms []folder.MeetingView, next *string) map[string]any {
	body := map[string]any{"data": ms, "next": nil}
	if next != nil {
		body["next"] = *next
	}
	return body
}

// APIMeeting answers GET /api/v1/meetings/{id}.
func (s *Handler) APIMeeting(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	mv, err := s.folder.MeetingDetail(r.Context(), request.Viewer(r.Context()), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, mv)
}

// ---- pages ----

// meetingList is one bounded list of meetings on a page, with the link to
// its continuation ("" on its last page).
type meetingList struct {
	Meetings meetingRows
	Next     string
}

// meetingRows are the rows of a table of meetings (the template
// "meetingrows" writes them with {{rows .}}): date and time, the name
// linked, a draft's badge, the committee. Written here rather than by
// the template, whose seven reflective calls per row were a third of
// /meetings' CPU (issue 15, pgapp2); TestMeetingRowsAsTemplate compares
// them with the template's rows byte for byte.
type meetingRows []folder.MeetingView

// AppendHTML appends the rows in lang.
func (ms meetingRows) AppendHTML(dst []byte, lang string) ([]byte, error) {
	draft := render.AppendHTMLText(nil, render.T(lang, "office.status_draft"))
	for i := range ms {
		m := &ms[i]
		dst = append(dst, "<tr>\n<td>"...)
		dst = render.AppendDateTime(dst, m.Start) // nothing the escaper changes
		dst = append(dst, "</td>\n<td><a href=\"/meetings/"...)
		dst = strconv.AppendInt(dst, m.ID, 10)
		dst = append(dst, "\">"...)
		dst = render.AppendHTMLText(dst, m.Name)
		dst = append(dst, "</a>"...)
		if m.Published == nil {
			dst = append(dst, ` <span class="badge late">`...)
			dst = append(dst, draft...)
			dst = append(dst, "</span>"...)
		}
		dst = append(dst, "</td>\n<td>"...)
		dst = render.AppendHTMLText(dst, m.Organization)
		dst = append(dst, "</td>\n</tr>"...)
	}
	return dst, nil
}

// meetingLists reads the pages ps of the meetings f selects for v
// together, each with the link that continues it on path, and describes
// their meetings with one read of the organizations for all of them.
func (s *Handler) meetingLists(r *http.Request, path string, f sessions.MeetingFilter, ps ...folder.MeetingPage) ([]meetingList, error) {
	ctx := r.Context()
	lists := make([]meetingList, len(ps))
	pages, nexts, err := s.folder.FindMeetingPages(ctx, request.Viewer(ctx), f, ps...)
	if err != nil {
		return nil, err
	}
	var all []*sessions.Meeting
	for i, ms := range pages {
		if nexts[i] != "" {
			lists[i].Next = folder.WithCursor(r, path, nexts[i])
		}
		lists[i].Meetings = make([]folder.MeetingView, len(ms))
		all = append(all, ms...)
	}
	views, err := s.folder.MeetingSummaries(ctx, all)
	if err != nil {
		return nil, err
	}
	for i, n := 0, 0; i < len(lists); i++ {
		n += copy(lists[i].Meetings, views[n:])
	}
	return lists, nil
}

// Meetings shows a bounded window: the next upcoming meetings and the
// most recent past ones, each with a link to more ("Weitere Sitzungen",
// "Frühere Sitzungen"). With a cursor it shows the continuation of one of
// the two lists. `organization` narrows to one committee, `limit` sets the
// window (default 20, at most 100).
func (s *Handler) Meetings(w http.ResponseWriter, r *http.Request) {
	f, err := folder.MeetingFilterFrom(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p, err := folder.ParseMeetingPage(r, folder.PortalMeetingLimits)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	data := map[string]any{"Staff": request.Viewer(r.Context()).Staff()}
	if p.After != nil {
		ls, err := s.meetingLists(r, "/meetings", f, p)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		data["More"], data["Earlier"] = ls[0], p.Descending
	} else {
		cut := time.Now().Add(-12 * time.Hour)
		ls, err := s.meetingLists(r, "/meetings", f, folder.Boundary(cut, false, p.Limit), folder.Boundary(cut, true, p.Limit))
		if err != nil {
			render.Error(w, r, err)
			return
		}
		data["Upcoming"], data["Past"] = ls[0], ls[1]
	}
	pg := render.NewPage(w, r, render.T(render.Language(r), "nav.meetings"))
	pg.Data = data
	render.HTML(w, r, http.StatusOK, "meetings", pg)
}

// meetingPage is what the meeting page shows: the meeting and the roll
// calls of named votes by agenda item.
type meetingPage struct {
	*folder.MeetingView
	RollCalls map[int64][]live.RollCall
	// Items writes the agenda (the template's {{rows}}).
	Items agendaRows
}

// Meeting answers GET /meetings/{id}.
func (s *Handler) Meeting(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	mv, err := s.folder.MeetingDetail(r.Context(), request.Viewer(r.Context()), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	data := meetingPage{MeetingView: mv, RollCalls: map[int64][]live.RollCall{}}
	if s.cfg.Live != nil {
		// The roll calls of named votes on the items the viewer sees in
		// full (the result in words is the item's result), read for all
		// of them at once.
		var full []int64
		for _, e := range mv.Agenda {
			if !e.Stub && e.Item != nil && e.Item.Access == access.Full {
				full = append(full, e.ID)
			}
		}
		rcs, err := s.cfg.Live.RollCalls(r.Context(), full)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		for id, rc := range rcs {
			if len(rc) > 0 {
				data.RollCalls[id] = rc
			}
		}
	}
	data.Items = agendaRows{Agenda: mv.Agenda, RollCalls: data.RollCalls}
	p := render.NewPage(w, r, mv.Name)
	p.Data = data
	render.HTML(w, r, http.StatusOK, "meeting", p)
}

// pageError renders an error as a page, with the status the code maps to;
// not-found and refused look the same.
