package portal

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// personVotesPerPage is how many votes a person's page lists at a time.
const personVotesPerPage = 25

// personMembership is one of a person's memberships as the page shows it.
type personMembership struct {
	OrgID              int64
	Org, Role, Faction string
	Start, End         time.Time // zero if open
	Current            bool
}

// personVote is one named vote of the person: where, on what, how.
type personVote struct {
	Meeting folder.MeetingView
	Item    int64
	Number  string
	Title   string
	Choice  string // yes, no, abstain
	Seat    string // the member whose seat a deputy held; "" for their own
	Adopted bool
}

// Person answers GET /persons/{id}: a council member's name, their
// memberships, and how they voted in named votes on the items the viewer
// sees in full, newest first, a page at a time (`page`, from 1). Open
// and secret votes name nobody, so they are not listed.
func (s *Handler) Person(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	page := 1
	if q := r.URL.Query().Get("page"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 10000 {
			render.Error(w, r, render.NotFound)
			return
		}
		page = n
	}
	p, err := s.cfg.Sessions.FindPersonByID(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	ms, err := s.memberships(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	votes, more, err := s.personVotes(ctx, request.Viewer(ctx), id, (page-1)*personVotesPerPage, personVotesPerPage)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if page > 1 && len(votes) == 0 {
		render.Error(w, r, render.NotFound)
		return
	}
	data := map[string]any{"Person": p, "Name": p.Name(), "Memberships": ms, "Votes": votes, "Page": page}
	if more {
		data["Next"] = fmt.Sprintf("/persons/%d?page=%d", id, page+1)
	}
	if page > 1 {
		data["Prev"] = fmt.Sprintf("/persons/%d?page=%d", id, page-1)
	}
	pg := render.NewPage(w, r, p.Name())
	pg.Data = data
	render.HTML(w, r, http.StatusOK, "person", pg)
}

// memberships returns person's memberships, current ones first, each
// group by the organization's name.
func (s *Handler) memberships(ctx context.Context, person int64) ([]personMembership, error) {
	ms, err := s.cfg.Sessions.FindMemberships(ctx, person, 0)
	if err != nil {
		return nil, err
	}
	today := time.Now().In(render.Berlin).Format("2006-01-02")
	out := make([]personMembership, 0, len(ms))
	for _, m := range ms {
		pm := personMembership{OrgID: m.OrganizationID, Org: s.folder.OrgName(ctx, m.OrganizationID), Role: m.Role,
			Current: m.EndDate == "" || m.EndDate >= today}
		pm.Start, _ = time.ParseInLocation("2006-01-02", m.StartDate, render.Berlin)
		pm.End, _ = time.ParseInLocation("2006-01-02", m.EndDate, render.Berlin)
		if m.OnBehalfOf != 0 {
			if f, err := s.cfg.Sessions.FindOrganizationByID(ctx, m.OnBehalfOf); err == nil {
				pm.Faction = f.ShortName
				if pm.Faction == "" {
					pm.Faction = f.Name
				}
			}
		}
		out = append(out, pm)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Current != out[j].Current {
			return out[i].Current
		}
		return out[i].Org < out[j].Org
	})
	return out, nil
}

// personVotes returns the limit named votes of person after the first
// skip that v may see in full, and whether there are more. Each vote's
// item and meeting pass the visibility rule; a refused one is skipped as
// if it did not exist. It reads only as far as the page needs.
func (s *Handler) personVotes(ctx context.Context, v access.Viewer, person int64, skip, limit int) ([]personVote, bool, error) {
	if s.cfg.Live == nil {
		return nil, false, nil
	}
	pvs, err := s.cfg.Live.FindVotesOf(ctx, person)
	if err != nil {
		return nil, false, err
	}
	meetings := map[int64]*folder.MeetingView{}
	names := map[int64]string{}
	var out []personVote
	for _, pv := range pvs {
		it, err := s.cfg.Sessions.FindAgendaItemByID(ctx, v, pv.Item)
		if err != nil || it.Access != access.Full {
			continue
		}
		mv, seen := meetings[pv.Meeting]
		if !seen {
			if m, err := s.cfg.Sessions.FindMeetingByID(ctx, v, pv.Meeting); err == nil {
				sum := s.folder.MeetingSummary(ctx, m)
				mv = &sum
			}
			meetings[pv.Meeting] = mv
		}
		if mv == nil {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		e := personVote{Meeting: *mv, Item: it.ID, Number: it.Number, Title: it.Title, Choice: pv.Choice, Adopted: pv.Adopted}
		if pv.Seat != 0 && pv.Seat != person {
			if _, ok := names[pv.Seat]; !ok {
				names[pv.Seat] = ""
				if sp, err := s.cfg.Sessions.FindPersonByID(ctx, pv.Seat); err == nil {
					names[pv.Seat] = sp.Name()
				}
			}
			e.Seat = names[pv.Seat]
		}
		out = append(out, e)
	}
	return out, false, nil
}
