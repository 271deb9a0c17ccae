// Package portal is the public surface of web: the pages citizens and
// members read (home, organizations, meetings, papers, documents, search),
// the feeds and calendars other programs subscribe to (Atom, iCalendar,
// the sitemap), and the JSON API's meetings and search. What it shows
// passes the access rule through web/folder; web/routes.go registers it.
package portal

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Config is what the portal reads.
type Config struct {
	folder.Config // the stores and the logger
	// Search answers /search and /api/v1/search; nil: search unavailable.
	Search Searcher
	// Live has the votes whose roll calls the meeting page shows; nil:
	// none are shown.
	Live *live.Store
}

// Handler serves the portal's pages, feeds and JSON.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	folder *folder.Folder
	// publicHome is the anonymous viewer's start page parts (see
	// homeParts).
	publicHome publicHome
}

// publicHome is the anonymous viewer's start page parts as of a public
// view.
type publicHome struct {
	mu    sync.Mutex
	view  request.PublicView
	parts *homeParts // nil: none remembered
}

// New returns the portal's handlers.
func New(cfg Config) *Handler {
	return &Handler{cfg: cfg, log: cfg.Logger(), folder: folder.New(cfg.Config)}
}

// The portal: what citizens (and everyone else, with what they may see)
// browse — start page, committees, papers, documents with their text.
// Every page works without JavaScript.

type newsItem struct {
	Title, URL, Meeting string
	At                  time.Time
	Late                bool
}

// Home answers GET /.
func (s *Handler) Home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	now := time.Now()
	next, err := s.cfg.Sessions.FindMeetings(ctx, v, sessions.MeetingFilter{From: now.Add(-6 * time.Hour), Limit: 5})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	hp, err := s.homeParts(ctx, v)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	nextViews, err := s.folder.MeetingSummariesWith(ctx, next, hp.all)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p := render.NewPage(w, r, hp.body)
	p.Data = map[string]any{"Next": nextViews, "News": hp.news, "Organizations": committeesOf(hp.all), "Body": hp.body,
		"Calendar": subscribe(r, "calendar-url", "/calendar.ics")}
	p.Scripts = []string{"portal.js"}
	render.HTML(w, r, http.StatusOK, "home", p)
}

// homeParts is what the start page shows besides the coming meetings.
// Shared between requests (publicHome): read only.
type homeParts struct {
	news []newsItem
	all  []*sessions.Organization // every organization: the committees listed, the coming meetings' names
	body string
}

// homeParts returns the start page's parts for v. For the anonymous
// viewer past the public cache it remembers them under the request's
// public view (request.PublicView): what the anonymous viewer may see
// changes only with the changes feed's generation (every table the parts
// are read from has its triggers) or when an embargo ends, both of which
// end the view, so a request under the same view, at a clock before its
// Until, would read the same parts. The news are the start page's
// dearest part (a walk past the coming meetings' documents and the
// policy's reads for ten documents), the organizations the next; every
// uncached anonymous start page still reads the current generation and
// the coming meetings, and the first one after a change reads all anew.
func (s *Handler) homeParts(ctx context.Context, v access.Viewer) (*homeParts, error) {
	pv, ok := request.PublicViewOf(ctx)
	if !ok || v.Role != access.RoleAnonymous || v.AccountID != 0 {
		hp, _, err := s.readHomeParts(ctx, v)
		return hp, err
	}
	m := &s.publicHome
	m.mu.Lock()
	hp, view := m.parts, m.view
	m.mu.Unlock()
	if hp != nil && view.Generation == pv.Generation && s.cfg.Sessions.Now().Before(view.Until) {
		return hp, nil
	}
	hp, keep, err := s.readHomeParts(ctx, v)
	if err != nil || !keep {
		return hp, err
	}
	m.mu.Lock()
	// A request under an older generation, slower than one under a
	// newer, does not overwrite the newer's.
	if m.parts == nil || pv.Generation >= m.view.Generation {
		m.parts, m.view = hp, pv
	}
	m.mu.Unlock()
	return hp, nil
}

// readHomeParts reads the start page's parts for v; keep is false if the
// body's name could not be read (the page then says "Ratsmappe", which
// is not to be remembered).
func (s *Handler) readHomeParts(ctx context.Context, v access.Viewer) (hp *homeParts, keep bool, err error) {
	hp = &homeParts{body: "Ratsmappe"}
	if hp.news, err = s.news(ctx, v); err != nil {
		return nil, false, err
	}
	// Every organization, read once: the committees listed and the
	// coming meetings' names.
	if hp.all, err = s.cfg.Sessions.FindOrganizations(ctx, sessions.OrganizationFilter{}); err != nil {
		return nil, false, err
	}
	bs, err := s.cfg.Sessions.FindBodies(ctx)
	if err != nil || len(bs) == 0 {
		return hp, false, nil
	}
	hp.body = bs[0].Name
	return hp, true, nil
}

// news returns the ten newest documents v may see that have a current
// version, newest first. It walks the documents newest first through the
// candidates (one query per batch, which stops at the batch's last match,
// so the archive behind the news is not read), lets the policy decide on
// each batch and reads only the shown ones in full; batches double (10,
// 20, …) so that a citizen, whose candidates are what the policy allows,
// usually needs one. Past the coming meetings' documents, not yet public,
// it finds the older public ones however many newer ones hide them.
func (s *Handler) news(ctx context.Context, v access.Viewer) ([]newsItem, error) {
	var news []newsItem
	for before, n := int64(0), 10; len(news) < 10; n *= 2 {
		ids, err := s.cfg.Sessions.NewestDocumentCandidates(ctx, v, before, n)
		if err != nil || len(ids) == 0 {
			return news, err
		}
		before = ids[len(ids)-1]
		visible, err := s.cfg.Sessions.FilterDocuments(ctx, v, ids)
		if err != nil {
			return nil, err
		}
		docs, err := s.cfg.Documents.Store().FindDocuments(ctx, documents.DocumentFilter{IDs: visible})
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]*documents.Document, len(docs))
		for _, d := range docs {
			byID[d.ID] = d
		}
		for _, id := range visible {
			if d := byID[id]; d != nil && d.Current != 0 && len(news) < 10 {
				news = append(news, newsItem{Title: d.Title, URL: fmt.Sprintf("/documents/%d", d.ID), At: d.Created})
			}
		}
		if len(ids) < n {
			break
		}
	}
	return news, nil
}

func (s *Handler) committees(r *http.Request) ([]*sessions.Organization, error) {
	all, err := s.cfg.Sessions.FindOrganizations(r.Context(), sessions.OrganizationFilter{})
	if err != nil {
		return nil, err
	}
	return committeesOf(all), nil
}

// committeesOf returns the organizations of all that are not factions,
// in their order.
func committeesOf(all []*sessions.Organization) []*sessions.Organization {
	var out []*sessions.Organization
	for _, o := range all {
		if o.Classification != sessions.ClassFaction {
			out = append(out, o)
		}
	}
	return out
}

// Organizations answers GET /organizations.
func (s *Handler) Organizations(w http.ResponseWriter, r *http.Request) {
	all, err := s.cfg.Sessions.FindOrganizations(r.Context(), sessions.OrganizationFilter{})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p := render.NewPage(w, r, render.T(render.Language(r), "portal.organizations"))
	p.Data = all
	render.HTML(w, r, http.StatusOK, "organizations", p)
}

type memberView struct {
	ID                  int64
	Name, Role, Faction string
}

// Organization answers GET /organizations/{id}.
func (s *Handler) Organization(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	o, err := s.cfg.Sessions.FindOrganizationByID(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	ms, err := s.cfg.Sessions.FindMemberships(ctx, 0, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	today := time.Now().Format("2006-01-02")
	var members []memberView
	for _, m := range ms {
		if m.EndDate != "" && m.EndDate < today {
			continue
		}
		p, err := s.cfg.Sessions.FindPersonByID(ctx, m.PersonID)
		if err != nil {
			continue
		}
		mv := memberView{ID: p.ID, Name: p.Name(), Role: m.Role}
		if m.OnBehalfOf != 0 {
			if f, err := s.cfg.Sessions.FindOrganizationByID(ctx, m.OnBehalfOf); err == nil {
				mv.Faction = f.ShortName
			}
		}
		members = append(members, mv)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	// A bounded window of the committee's meetings; the links continue
	// on /meetings, narrowed to the committee.
	f := sessions.MeetingFilter{OrganizationID: id}
	cut := time.Now().Add(-6 * time.Hour)
	q := url.Values{"organization": {strconv.FormatInt(id, 10)}}
	lists := map[string]meetingList{}
	for key, desc := range map[string]bool{"Upcoming": false, "Past": true} {
		ms, next, err := s.folder.FindMeetingPage(ctx, request.Viewer(ctx), f, folder.Boundary(cut, desc, folder.PortalMeetingLimits.Def))
		if err != nil {
			render.Error(w, r, err)
			return
		}
		l := meetingList{}
		if l.Meetings, err = s.folder.MeetingSummaries(ctx, ms); err != nil {
			render.Error(w, r, err)
			return
		}
		if next != "" {
			q.Set("cursor", next)
			l.Next = "/meetings?" + q.Encode()
		}
		lists[key] = l
	}
	p := render.NewPage(w, r, o.Name)
	p.Data = map[string]any{"Org": o, "Members": members, "Upcoming": lists["Upcoming"], "Past": lists["Past"],
		"Calendar": subscribe(r, "calendar-url", fmt.Sprintf("/organizations/%d/calendar.ics", o.ID))}
	p.Scripts = []string{"portal.js"}
	render.HTML(w, r, http.StatusOK, "organization", p)
}

type consultationView struct {
	Meeting   folder.MeetingView
	Item      string
	ItemTitle string
}

// Paper answers GET /papers/{id}.
func (s *Handler) Paper(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	pv, err := s.folder.PaperDetail(ctx, request.Viewer(ctx), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var history []consultationView
	for _, c := range pv.Consultations {
		history = append(history, consultationView{Meeting: c.Meeting, Item: c.Item.Number, ItemTitle: c.Item.Title})
	}
	sort.Slice(history, func(i, j int) bool { return history[i].Meeting.Start.Before(history[j].Meeting.Start) })
	p := render.NewPage(w, r, pv.Paper.Reference+" "+pv.Paper.Name)
	p.Data = map[string]any{"Paper": pv.Paper, "History": history, "Documents": pv.Documents}
	render.HTML(w, r, http.StatusOK, "paper", p)
}

type versionView struct {
	Number  int
	Created time.Time
	State   string
	Pages   int
	Size    int64
	URL     string
	Note    string
}

// Document shows a document: its versions the viewer may see, the PDF
// inline and for download, and the text of the current version as HTML —
// readable without a PDF viewer, with a screen reader, at any zoom.
func (s *Handler) Document(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	acc, public, err := s.folder.DocumentAccessAndPublic(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if acc != access.Full {
		render.Error(w, r, render.NotFound)
		return
	}
	// Not found (a document without a version too) answers as below
	// when no version is left for v: every ENOTFOUND renders alike.
	d, vs, currentPages, err := s.cfg.Documents.Store().FindDocumentVersions(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var versions []versionView
	for _, ver := range vs {
		if access.VersionAccess(v, acc, ver.State == documents.StateWithdrawn) != access.Full {
			continue
		}
		versions = append(versions, versionView{Number: ver.Number, Created: ver.Created, State: ver.State, Pages: ver.Pages, Size: ver.Size,
			URL: folder.DocumentURL(v, id, ver), Note: ver.Note})
	}
	if len(versions) == 0 {
		render.Error(w, r, render.NotFound)
		return
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].Number > versions[j].Number })
	current := versions[0]
	var pages []documents.Page
	if d.Current == current.Number {
		pages = currentPages
	}
	if folder.SignedIn(v) && !folder.PublicVersionState(public, current.State) {
		s.folder.Audit(ctx, "document.read_nonpublic", "document", id, fmt.Sprintf("version %d, page", current.Number))
	}
	p := render.NewPage(w, r, d.Title)
	p.Data = map[string]any{"Doc": d, "Versions": versions, "Current": current, "Pages": pages}
	render.HTML(w, r, http.StatusOK, "document", p)
}
