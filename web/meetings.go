package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/packet"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// agendaEntry is an agenda item with what the viewer may see of it.
type agendaEntry struct {
	Item      *sessions.AgendaItem `json:"-"`
	ID        int64                `json:"id"`
	Number    string               `json:"number"`
	Title     string               `json:"title"`
	Public    bool                 `json:"public"`
	Stub      bool                 `json:"stub,omitempty"`
	Late      *time.Time           `json:"late,omitempty"`
	Result    string               `json:"result,omitempty"`
	Documents []documentEntry      `json:"documents"`
	Papers    []*paperEntry        `json:"papers,omitempty"`
}

type paperEntry struct {
	ID        int64  `json:"id"`
	Reference string `json:"reference"`
	Name      string `json:"name"`
	Type      string `json:"type"`
}

type documentEntry struct {
	ID      int64      `json:"id"`
	Title   string     `json:"title"`
	Role    string     `json:"role"`
	Public  bool       `json:"public"`
	Late    *time.Time `json:"late,omitempty"`
	Version int        `json:"version"`
	Pages   int        `json:"pages"`
	URL     string     `json:"url"`
	sha256  string
	size    int64
}

type meetingView struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Organization string          `json:"organization"`
	Start        time.Time       `json:"start"`
	End          *time.Time      `json:"end,omitempty"`
	Location     string          `json:"location"`
	State        string          `json:"state"`
	Published    *time.Time      `json:"published,omitempty"`
	Agenda       []agendaEntry   `json:"agenda,omitempty"`
	Documents    []documentEntry `json:"documents,omitempty"`
	Minutes      []documentEntry `json:"minutes,omitempty"`
	PacketURL    string          `json:"packet_url,omitempty"`
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) orgName(ctx context.Context, id int64) string {
	if o, err := s.cfg.Sessions.FindOrganizationByID(ctx, id); err == nil {
		return o.Name
	}
	return ""
}

// meetingSummary describes one meeting; lists use meetingSummaries, which
// reads the organizations of a whole page at once.
func (s *Server) meetingSummary(ctx context.Context, m *sessions.Meeting) meetingView {
	return summary(m, s.orgName(ctx, m.OrganizationID))
}

func summary(m *sessions.Meeting, org string) meetingView {
	return meetingView{ID: m.ID, Name: m.Name, Organization: org, Start: m.Start, End: tptr(m.End),
		Location: m.Location, State: m.State, Published: tptr(m.PublishedAt)}
}

// document describes one attached document at its current version, if the
// viewer may see it.
func (s *Server) document(ctx context.Context, v access.Viewer, a *sessions.Attachment) (documentEntry, bool) {
	ver, err := s.cfg.Documents.Store().FindVersion(ctx, a.DocumentID, 0)
	if err != nil {
		return documentEntry{}, false
	}
	title := a.Title
	if title == "" {
		if d, err := s.cfg.Documents.Store().FindDocumentByID(ctx, a.DocumentID); err == nil {
			title = d.Title
		}
	}
	return documentEntry{ID: a.DocumentID, Title: title, Role: a.Role, Public: a.Public, Late: tptr(a.LateAt), Version: ver.Number,
		Pages: ver.Pages, URL: documentURL(v, a.DocumentID, ver), sha256: ver.SHA256, size: ver.Size}, true
}

// documentsOf returns the documents attached to target that v may see,
// each at its current version.
func (s *Server) documentsOf(ctx context.Context, v access.Viewer, target sessions.AttachmentTarget) ([]documentEntry, error) {
	as, err := s.cfg.Sessions.FindAttachments(ctx, v, target)
	if err != nil {
		return nil, err
	}
	out := []documentEntry{}
	for _, a := range as {
		if d, ok := s.document(ctx, v, a); ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// meetingDetail gathers a meeting as v may see it: agenda, documents,
// minutes — every piece through the policy.
func (s *Server) meetingDetail(ctx context.Context, v access.Viewer, id int64) (*meetingView, error) {
	st := s.cfg.Sessions
	m, items, err := st.FindAgenda(ctx, v, id)
	if err != nil {
		return nil, err
	}
	mv := s.meetingSummary(ctx, m)
	mv.PacketURL = fmt.Sprintf("/api/v1/meetings/%d/packet.pdf", m.ID)
	for _, it := range items {
		e := agendaEntry{Item: it, ID: it.ID, Number: it.Number, Title: it.Title, Public: it.Public, Stub: it.Access == access.Stub,
			Late: tptr(it.LateAt), Documents: []documentEntry{}}
		if it.Access == access.Full {
			e.Result = it.Result
			if e.Documents, err = s.documentsOf(ctx, v, sessions.AttachmentTarget{AgendaItemID: it.ID}); err != nil {
				return nil, err
			}
			ps, err := st.FindPapersOfItem(ctx, v, it.ID)
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				e.Papers = append(e.Papers, &paperEntry{ID: p.ID, Reference: p.Reference, Name: p.Name, Type: p.Type})
			}
		}
		mv.Agenda = append(mv.Agenda, e)
	}
	if mv.Documents, err = s.documentsOf(ctx, v, sessions.AttachmentTarget{MeetingID: id}); err != nil {
		return nil, err
	}
	ms, err := st.FindMinutes(ctx, v, id)
	if err != nil {
		return nil, err
	}
	for _, mi := range ms {
		if d, ok := s.document(ctx, v, &sessions.Attachment{DocumentID: mi.DocumentID, Role: "minutes", Public: mi.Public}); ok {
			mv.Minutes = append(mv.Minutes, d)
		}
	}
	return &mv, nil
}

// apiMeetings lists the meetings the caller may see, by start, a page at a
// time: `limit` (default 50, at most 200) and `cursor` from the previous
// answer's `next` link, which is null on the last page.
func (s *Server) apiMeetings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := meetingFilterFrom(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p, err := parseMeetingPage(r, apiMeetingLimits)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	ms, next, err := s.findMeetingPage(ctx, request.Viewer(ctx), f, p)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	out, err := s.meetingSummaries(ctx, ms)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	body := map[string]any{"data": out, "next": nil}
	if next != "" {
		body["next"] = withCursor(r, "/api/v1/meetings", next)
	}
	render.JSON(w, http.StatusOK, body)
}

func (s *Server) apiMeeting(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	mv, err := s.meetingDetail(r.Context(), request.Viewer(r.Context()), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, mv)
}

// apiPacket serves the session packet of a meeting for whoever asks: the
// public packet for citizens, a personal one for members (without the
// items they are excluded from, watermarked with their name on
// non-public pages), everything for the office.
func (s *Server) apiPacket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	v := request.Viewer(ctx)
	mv, err := s.meetingDetail(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	bodies, _ := s.cfg.Sessions.FindBodies(ctx)
	in := packet.Input{Organization: mv.Organization, Location: mv.Location, Start: mv.Start.In(render.Berlin)}
	if len(bodies) > 0 {
		in.Body = bodies[0].Name
	}
	if v.AccountID != 0 {
		in.Member = v.Name
	}
	blobs := s.cfg.Documents.Blobs()
	var nonPublic []string // the documents in the packet a citizen's packet lacks
	unpublished := mv.Published == nil || mv.Published.After(time.Now())
	for _, e := range mv.Agenda {
		it := packet.Item{Number: e.Number, Title: e.Title, Public: e.Public}
		if e.Stub {
			// What a Stub shows is the public title; nothing else goes in.
			it.Public, it.PublicTitle = false, e.Title
		}
		for _, d := range e.Documents {
			d := d
			if unpublished || !it.Public || !d.Public {
				nonPublic = append(nonPublic, fmt.Sprintf("document %d version %d", d.ID, d.Version))
			}
			it.Documents = append(it.Documents, packet.Doc{Title: d.Title, SHA256: d.sha256, Open: func() (io.ReadSeekCloser, error) {
				return openBlob(ctx, blobs, d.sha256)
			}})
		}
		in.Items = append(in.Items, it)
	}
	f, err := s.packets.open(ctx, in)
	if errors.Is(err, errPacketBusy) {
		tooBusy(w, r)
		return
	}
	if err != nil {
		render.Error(w, r, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		render.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", documents.ContentDisposition("inline", fmt.Sprintf("Sitzungsmappe-%s-%s.pdf", mv.Start.In(render.Berlin).Format("2006-01-02"), mv.Organization)))
	if len(nonPublic) > 0 && signedIn(v) {
		// As for files: every request, whatever its method or range.
		s.audit(ctx, "packet.read_nonpublic", "meeting", id, strings.Join(nonPublic, ", "))
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
}

func openBlob(ctx context.Context, bs documents.BlobStore, key string) (io.ReadSeekCloser, error) {
	rc, err := bs.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	if rsc, ok := rc.(io.ReadSeekCloser); ok {
		return rsc, nil
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	return nopSeekCloser{bytes.NewReader(b)}, nil
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }

// ---- pages ----

// meetingList is one bounded list of meetings on a page, with the link to
// its continuation ("" on its last page).
type meetingList struct {
	Meetings []meetingView
	Next     string
}

// pageMeetingList reads one page of the meetings f selects for v from p,
// with the link that continues it on path.
func (s *Server) pageMeetingList(r *http.Request, path string, f sessions.MeetingFilter, p meetingPage) (meetingList, error) {
	ctx := r.Context()
	ms, next, err := s.findMeetingPage(ctx, request.Viewer(ctx), f, p)
	if err != nil {
		return meetingList{}, err
	}
	l := meetingList{}
	if l.Meetings, err = s.meetingSummaries(ctx, ms); err != nil {
		return l, err
	}
	if next != "" {
		l.Next = withCursor(r, path, next)
	}
	return l, nil
}

// pageMeetings shows a bounded window: the next upcoming meetings and the
// most recent past ones, each with a link to more ("Weitere Sitzungen",
// "Frühere Sitzungen"). With a cursor it shows the continuation of one of
// the two lists. `organization` narrows to one committee, `limit` sets the
// window (default 20, at most 100).
func (s *Server) pageMeetings(w http.ResponseWriter, r *http.Request) {
	f, err := meetingFilterFrom(r)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p, err := parseMeetingPage(r, portalMeetingLimits)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	data := map[string]any{"Staff": request.Viewer(r.Context()).Staff()}
	if p.After != nil {
		l, err := s.pageMeetingList(r, "/meetings", f, p)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		data["More"], data["Earlier"] = l, p.Descending
	} else {
		cut := time.Now().Add(-12 * time.Hour)
		up, err := s.pageMeetingList(r, "/meetings", f, boundary(cut, false, p.Limit))
		if err != nil {
			render.Error(w, r, err)
			return
		}
		past, err := s.pageMeetingList(r, "/meetings", f, boundary(cut, true, p.Limit))
		if err != nil {
			render.Error(w, r, err)
			return
		}
		data["Upcoming"], data["Past"] = up, past
	}
	pg := render.NewPage(w, r, render.T(render.Language(r), "nav.meetings"))
	pg.Data = data
	render.HTML(w, r, http.StatusOK, "meetings", pg)
}

func (s *Server) pageMeeting(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	mv, err := s.meetingDetail(r.Context(), request.Viewer(r.Context()), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p := render.NewPage(w, r, mv.Name)
	p.Data = mv
	render.HTML(w, r, http.StatusOK, "meeting", p)
}

// pageError renders an error as a page, with the status the code maps to;
// not-found and refused look the same.
