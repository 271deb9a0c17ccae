package folder

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// Lists of meetings (JSON API, portal, office) are read a page at a time:
// `limit` (how many; a default and a maximum per surface) and `cursor` (an
// opaque position from the previous page's "next" link). A page reads only
// its own rows (keyset pagination in SQL, sessions.MeetingFilter.After) and
// the organizations of its meetings in one more query, so its cost does not
// grow with the number of meetings.

// ListLimits are the default and the maximum page size of a surface.
type ListLimits struct{ Def, Max int }

var (
	APIMeetingLimits    = ListLimits{Def: 50, Max: 200}
	PortalMeetingLimits = ListLimits{Def: 20, Max: 100}
	OfficeMeetingLimits = ListLimits{Def: 50, Max: 200}
)

// MeetingPage is where a page of meetings starts and how long it is.
type MeetingPage struct {
	Limit int
	// After is the cursor's position; nil on a first page.
	After      *sessions.MeetingCursor
	Descending bool
}

// cursorVersion prefixes every cursor, so that a later format can refuse
// (or read) an old one knowingly.
const cursorVersion = "m1"

// EncodeMeetingCursor makes the opaque cursor that continues a list after the
// position (start, id), in ascending or descending order of start.
func EncodeMeetingCursor(c sessions.MeetingCursor, desc bool) string {
	dir := "a"
	if desc {
		dir = "d"
	}
	raw := cursorVersion + "|" + dir + "|" + c.Start.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(c.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func errBadCursor() error {
	return ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiger Parameter cursor: bitte den Link „next“ einer vorigen Antwort unverändert verwenden. / Invalid cursor: use the next link of a previous answer unchanged.")
}

// decodeMeetingCursor reads a cursor made by EncodeMeetingCursor; EINVALID otherwise.
func decodeMeetingCursor(s string) (sessions.MeetingCursor, bool, error) {
	var c sessions.MeetingCursor
	if len(s) > 100 {
		return c, false, errBadCursor()
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, false, errBadCursor()
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 4 || parts[0] != cursorVersion || (parts[1] != "a" && parts[1] != "d") {
		return c, false, errBadCursor()
	}
	start, err1 := time.Parse(time.RFC3339Nano, parts[2])
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || id < 0 {
		return c, false, errBadCursor()
	}
	c.Start, c.ID = start.UTC(), id
	return c, parts[1] == "d", nil
}

// ParseMeetingPage reads `limit`, `order` and `cursor` of r within lim: a
// missing limit is lim.Def; order is asc (by start, the default) or desc; a
// limit that is not a whole number from 1 to lim.Max, another order, or a
// cursor this server did not make (or made for the other order) is
// EINVALID (400, with a message that says what to send).
func ParseMeetingPage(r *http.Request, lim ListLimits) (MeetingPage, error) {
	q := r.URL.Query()
	p := MeetingPage{Limit: lim.Def}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		p.Descending = true
	default:
		return p, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiger Parameter order: erwartet asc oder desc. / Invalid order: expected asc or desc.")
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > lim.Max {
			return p, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiger Parameter limit: erwartet eine ganze Zahl von 1 bis %d. / Invalid limit: expected a whole number from 1 to %d.", lim.Max, lim.Max)
		}
		p.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		c, desc, err := decodeMeetingCursor(s)
		if err != nil {
			return p, err
		}
		if q.Has("order") && desc != p.Descending {
			return p, errBadCursor()
		}
		p.After, p.Descending = &c, desc
	}
	return p, nil
}

// FindMeetingPage reads one page of the meetings f selects for v, starting
// at p, and returns them with the cursor of the next page ("" on the last
// page). It reads one row more than the page to know whether there is a
// next one.
func (s *Folder) FindMeetingPage(ctx context.Context, v access.Viewer, f sessions.MeetingFilter, p MeetingPage) ([]*sessions.Meeting, string, error) {
	ms, next, err := s.FindMeetingPages(ctx, v, f, p)
	if err != nil {
		return nil, "", err
	}
	return ms[0], next[0], nil
}

// FindMeetingPages is FindMeetingPage for each of ps, read together (in
// one round trip on PostgreSQL): the meetings of each page and the cursor
// of its next page, in the order of ps.
func (s *Folder) FindMeetingPages(ctx context.Context, v access.Viewer, f sessions.MeetingFilter, ps ...MeetingPage) ([][]*sessions.Meeting, []string, error) {
	fs := make([]sessions.MeetingFilter, len(ps))
	for i, p := range ps {
		fs[i] = f
		fs[i].After, fs[i].Descending, fs[i].Limit, fs[i].Offset = p.After, p.Descending, p.Limit+1, 0
	}
	lists, err := s.cfg.Sessions.FindMeetingLists(ctx, v, fs...)
	if err != nil {
		return nil, nil, err
	}
	next := make([]string, len(ps))
	for i, p := range ps {
		if ms := lists[i]; len(ms) > p.Limit {
			lists[i] = ms[:p.Limit]
			last := ms[p.Limit-1]
			next[i] = EncodeMeetingCursor(sessions.MeetingCursor{Start: last.Start, ID: last.ID}, p.Descending)
		}
	}
	return lists, next, nil
}

// Boundary is a page that starts at time t: ascending, the meetings that
// start at or after t; descending, those that start before t. Meeting ids
// are positive, so id 0 sits before every meeting starting at t.
func Boundary(t time.Time, desc bool, limit int) MeetingPage {
	return MeetingPage{Limit: limit, After: &sessions.MeetingCursor{Start: t}, Descending: desc}
}

// WithCursor returns path with r's query, the cursor set to cursor (and
// the language left to the cookie).
func WithCursor(r *http.Request, path, cursor string) string {
	q := url.Values{}
	for k, vs := range r.URL.Query() {
		if k != "cursor" && k != "lang" {
			q[k] = vs
		}
	}
	q.Set("cursor", cursor)
	return path + "?" + q.Encode()
}

// MeetingSummaries describes ms for lists, with their organizations'
// names as the store read them with the meetings (or, for meetings
// without, read in one query for the whole page).
func (s *Folder) MeetingSummaries(ctx context.Context, ms []*sessions.Meeting) ([]MeetingView, error) {
	return s.MeetingSummariesWith(ctx, ms, nil)
}

// MeetingSummariesWith is MeetingSummaries for a caller that has read
// organizations already (the start page lists every committee): names
// are taken from orgs, and only the organizations not among them are
// read, in one query.
func (s *Folder) MeetingSummariesWith(ctx context.Context, ms []*sessions.Meeting, orgs []*sessions.Organization) ([]MeetingView, error) {
	names := make(map[int64]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	// The store reads each meeting's organization's name with it; the
	// rest (a meeting made by hand), each organization once: a month of
	// a large city's calendar has a few committees for a hundred
	// meetings.
	for _, m := range ms {
		if _, known := names[m.OrganizationID]; !known && m.OrganizationName != "" {
			names[m.OrganizationID] = m.OrganizationName
		}
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, m := range ms {
		if _, known := names[m.OrganizationID]; !known && !seen[m.OrganizationID] {
			seen[m.OrganizationID] = true
			ids = append(ids, m.OrganizationID)
		}
	}
	if len(ids) > 0 {
		more, err := s.cfg.Sessions.OrganizationNames(ctx, ids)
		if err != nil {
			return nil, err
		}
		for id, name := range more {
			names[id] = name
		}
	}
	// The views' end and publication times in one array rather than
	// one heap object each (Tptr): two allocations per meeting of a
	// list were a twentieth of a list page's (issue 15, pgapp2).
	out := make([]MeetingView, 0, len(ms))
	times := make([]time.Time, 0, 2*len(ms))
	tptr := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		times = append(times, t)
		return &times[len(times)-1]
	}
	for _, m := range ms {
		out = append(out, summaryWith(m, names[m.OrganizationID], tptr))
	}
	return out, nil
}

// MeetingFilterFrom reads the filters of a meeting list from r's query:
// `organization` (an id), `from` and `to` (dates YYYY-MM-DD, start in
// [from, to)); anything else malformed is EINVALID.
func MeetingFilterFrom(r *http.Request) (sessions.MeetingFilter, error) {
	var f sessions.MeetingFilter
	q := r.URL.Query()
	if o := q.Get("organization"); o != "" {
		id, err := strconv.ParseInt(o, 10, 64)
		if err != nil || id < 1 {
			return f, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiger Parameter organization: erwartet die Nummer eines Gremiums. / Invalid organization: expected an organization id.")
		}
		f.OrganizationID = id
	}
	for key, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(key); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, render.Berlin)
			if err != nil {
				return f, ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültiger Parameter %s: erwartet ein Datum JJJJ-MM-TT. / Invalid %s: expected a date YYYY-MM-DD.", key, key)
			}
			*dst = t
		}
	}
	return f, nil
}
