package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// listFixture is a council with meetings of every kind a list must get
// right: published (past and upcoming), embargoed, drafts, several at the
// same start (so that pages must break ties by id), in two committees, and
// viewers of every kind.
type listFixture struct {
	e       *env
	tokens  map[string]string // viewer kind → API token ("" for anonymous)
	visible map[string]map[int64]bool
	all     []int64
}

func newListFixture(t *testing.T) *listFixture {
	t.Helper()
	e := newServer(t)
	ctx := context.Background()
	st := e.sessions
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	body := &sessions.Body{Name: "Stadt Test"}
	must(st.CreateBody(ctx, body))
	var orgs []*sessions.Organization
	for _, n := range []string{"Bauausschuss", "Gemeinderat"} {
		o := &sessions.Organization{BodyID: body.ID, Name: n, Classification: sessions.ClassCommittee}
		must(st.CreateOrganization(ctx, o))
		orgs = append(orgs, o)
	}
	f := &listFixture{e: e, tokens: map[string]string{"anonymous": ""}, visible: map[string]map[int64]bool{}}
	// A simple model of who sees a meeting, independent of package access:
	// the office every meeting, everyone else those published by now.
	published := map[int64]bool{}
	now := time.Now()
	var firstItem int64
	for i := 0; i < 23; i++ {
		// Starts from a year ago to two months ahead, three at a time at
		// the same minute.
		start := now.AddDate(0, 0, -365+(i/3)*60).Truncate(time.Minute)
		m := &sessions.Meeting{OrganizationID: orgs[i%2].ID, Name: fmt.Sprintf("%d. Sitzung", i+1), Start: start}
		must(st.CreateMeeting(ctx, m))
		f.all = append(f.all, m.ID)
		switch i % 4 {
		case 0, 1: // published (some of them in the future)
			must(st.PublishMeeting(ctx, m.ID, now.Add(-time.Hour)))
			published[m.ID] = true
		case 2: // embargoed: published only tomorrow
			must(st.PublishMeeting(ctx, m.ID, now.Add(24*time.Hour)))
		case 3: // draft
		}
		it := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: "Grundstücksangelegenheit"}
		must(st.CreateAgendaItem(ctx, it))
		if firstItem == 0 && published[m.ID] {
			firstItem = it.ID
		}
	}
	person := func(name string) int64 {
		p := &sessions.Person{BodyID: body.ID, GivenName: name, FamilyName: "Test"}
		must(st.CreatePerson(ctx, p))
		must(st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: orgs[0].ID, Role: "Mitglied"}))
		return p.ID
	}
	token := func(name string, role access.Role, personID int64) {
		a := &accounts.Account{Name: name, Role: role, PersonID: personID}
		must(e.accounts.CreateAccount(ctx, a, ""))
		_, tok, err := e.accounts.CreateAPIToken(ctx, a.ID, "test")
		must(err)
		f.tokens[name] = tok
	}
	token("member", access.RoleMember, person("Anna"))
	excluded := person("Clara")
	must(st.AddExclusion(ctx, firstItem, excluded, "Befangenheit"))
	token("excluded", access.RoleMember, excluded)
	token("clerk", access.RoleClerk, 0)
	for who := range f.tokens {
		f.visible[who] = map[int64]bool{}
		for _, id := range f.all {
			if who == "clerk" || published[id] {
				f.visible[who][id] = true
			}
		}
	}
	return f
}

func (f *listFixture) get(t *testing.T, who, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.e.srv.URL+path, nil)
	if tok := f.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// Walking a list page by page yields every meeting the viewer may see
// exactly once — non-public (draft) and embargoed ones for the office —
// and never one a single read refuses, whatever the page size and order.
func TestMeetingListPagination(t *testing.T) {
	f := newListFixture(t)
	for _, who := range []string{"anonymous", "member", "excluded", "clerk"} {
		for _, limit := range []int{1, 2, 7, 50} {
			for _, order := range []string{"asc", "desc"} {
				name := fmt.Sprintf("%s/limit=%d/%s", who, limit, order)
				seen := map[int64]int{}
				var last time.Time
				next := fmt.Sprintf("/api/v1/meetings?limit=%d&order=%s", limit, order)
				for pages := 0; next != ""; pages++ {
					if pages > len(f.all)+1 {
						t.Fatalf("%s: the list does not end", name)
					}
					code, body := f.get(t, who, next)
					if code != 200 {
						t.Fatalf("%s: GET %s: %d %s", name, next, code, body)
					}
					var page struct {
						Data []struct {
							ID    int64
							Start time.Time
						}
						Next *string
					}
					if err := json.Unmarshal([]byte(body), &page); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if len(page.Data) > limit {
						t.Fatalf("%s: %d meetings on a page of %d", name, len(page.Data), limit)
					}
					for _, m := range page.Data {
						seen[m.ID]++
						if !last.IsZero() && ((order == "asc" && m.Start.Before(last)) || (order == "desc" && m.Start.After(last))) {
							t.Errorf("%s: meeting %d out of order", name, m.ID)
						}
						last = m.Start
					}
					next = ""
					if page.Next != nil {
						next = *page.Next
						if len(page.Data) < limit {
							t.Errorf("%s: a short page (%d of %d) with a next link", name, len(page.Data), limit)
						}
					}
				}
				for id, n := range seen {
					if !f.visible[who][id] {
						t.Errorf("%s: meeting %d listed but refused", name, id)
					}
					if n != 1 {
						t.Errorf("%s: meeting %d listed %d times", name, id, n)
					}
				}
				for id := range f.visible[who] {
					if seen[id] == 0 {
						t.Errorf("%s: meeting %d missing from the list", name, id)
					}
				}
			}
		}
		// What a list shows, a single read shows; what it leaves out
		// answers like a missing id.
		for _, id := range f.all {
			code, _ := f.get(t, who, fmt.Sprintf("/api/v1/meetings/%d", id))
			if want := map[bool]int{true: 200, false: 404}[f.visible[who][id]]; code != want {
				t.Errorf("%s: GET meeting %d: %d, want %d", who, id, code, want)
			}
		}
	}
}

var meetingLinkRE = regexp.MustCompile(`href="(/meetings/(\d+)|/meetings\?[^"]*)"`)

// The meetings page shows a bounded window and links on to the rest:
// following "Weitere Sitzungen" and "Frühere Sitzungen" reaches every
// meeting the viewer may see exactly once.
func TestMeetingsPagePaging(t *testing.T) {
	f := newListFixture(t)
	for _, who := range []string{"anonymous", "excluded", "clerk"} {
		seen := map[string]int{}
		queue, visited := []string{"/meetings?limit=3"}, map[string]bool{}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if visited[p] {
				continue
			}
			visited[p] = true
			if len(visited) > 50 {
				t.Fatalf("%s: more than 50 pages", who)
			}
			code, body := f.get(t, who, p)
			if code != 200 {
				t.Fatalf("%s: GET %s: %d", who, p, code)
			}
			if n := strings.Count(body, `<td><a href="/meetings/`); n > 2*3 {
				t.Errorf("%s: %s shows %d meetings, more than its window", who, p, n)
			}
			for _, m := range meetingLinkRE.FindAllStringSubmatch(body, -1) {
				if m[2] != "" {
					seen[m[2]]++
				} else if link := html.UnescapeString(m[1]); link != "/meetings" {
					queue = append(queue, link)
				}
			}
		}
		for _, id := range f.all {
			want := 0
			if f.visible[who][id] {
				want = 1
			}
			if got := seen[fmt.Sprint(id)]; got != want {
				t.Errorf("%s: meeting %d shown %d times, want %d", who, id, got, want)
			}
		}
	}
	if _, body := f.get(t, "clerk", "/meetings?limit=1"); !strings.Contains(body, ">Frühere Sitzungen</a>") || !strings.Contains(body, ">Weitere Sitzungen</a>") {
		t.Errorf("the meetings page has no links to earlier and further meetings")
	}
}

// Page size and cursor are checked: a bad one is a 400 that says what to
// send, in German first — never a 500 or a silently different list.
func TestMeetingListValidation(t *testing.T) {
	f := newListFixture(t)
	_, body := f.get(t, "clerk", "/api/v1/meetings?limit=2&order=desc")
	var page struct{ Next string }
	json.Unmarshal([]byte(body), &page)
	cursor := page.Next[strings.Index(page.Next, "cursor=")+len("cursor="):]
	if i := strings.IndexByte(cursor, '&'); i >= 0 {
		cursor = cursor[:i]
	}
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/meetings?limit=0", "limit"},
		{"/api/v1/meetings?limit=-3", "limit"},
		{"/api/v1/meetings?limit=201", "limit"},
		{"/api/v1/meetings?limit=zehn", "limit"},
		{"/api/v1/meetings?order=sideways", "order"},
		{"/api/v1/meetings?cursor=nonsense", "cursor"},
		{"/api/v1/meetings?cursor=" + strings.Repeat("A", 200), "cursor"},
		{"/api/v1/meetings?cursor=bTF8YXwyMDI2fDE", "cursor"}, // "m1|a|2026|1": not a time
		{"/api/v1/meetings?order=asc&cursor=" + cursor, "cursor"},
		{"/api/v1/meetings?organization=x", "organization"},
		{"/api/v1/meetings?from=morgen", "from"},
		{"/meetings?cursor=nonsense", "cursor"},
		{"/meetings?limit=1000", "limit"},
		{"/office?cursor=nonsense", "cursor"},
	} {
		code, body := f.get(t, "clerk", tc.path)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, "Ungültig") {
			t.Errorf("GET %s: %d %.200s, want 400 naming %s", tc.path, code, body, tc.want)
		}
	}
	if code, _ := f.get(t, "clerk", "/api/v1/meetings?order=desc&cursor="+cursor); code != 200 {
		t.Errorf("a cursor with its own order: %d", code)
	}
}
