package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// vote opens a vote of kind on item, lets the members cast their
// choices and closes it (with counts by hand if hand is set).
func (e *liveEnv) vote(item int64, kind string, choices map[string]string, hand map[string]any) {
	e.t.Helper()
	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/current", e.meeting), map[string]any{"item": item})
	v := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", item), map[string]any{"kind": kind, "rule": "simple"})
	for who, c := range choices {
		e.want(200, "", who, "PUT", fmt.Sprintf("/votes/%.0f/ballot", v["id"]), map[string]any{"choice": c})
	}
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", v["id"]), hand)
}

// page returns the status, X-Cache and body of a portal page as who.
func (e *liveEnv) page(who, path string) (int, string, string) {
	e.t.Helper()
	status, b := (&annEnv{t: e.t, srv: e.srv, tokens: e.tokens}).do(who, "GET", path, nil)
	res, err := http.Get(e.srv.URL + path)
	must(e.t, err)
	res.Body.Close()
	return status, res.Header.Get("X-Cache"), string(b)
}

// A person's page lists how they voted in named votes on the items the
// viewer sees in full: a citizen sees the public item's roll call and
// never the non-public one (nor its title), a member who may see the
// non-public item sees both, the excluded member neither of them in
// full; open and secret votes name nobody. The meeting page links the
// names of its roll call to the persons' pages.
func TestPersonPageListsNamedVotes(t *testing.T) {
	e := newLiveEnv(t)
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.attend("anna", "bert", "carl", "dora")
	e.vote(e.public, "named", map[string]string{"anna": "yes", "bert": "yes", "carl": "abstain"}, nil)
	e.vote(e.nonPublic, "named", map[string]string{"anna": "no", "bert": "no"}, nil)
	e.vote(e.public, "open", map[string]string{"anna": "abstain"}, nil)
	e.vote(e.public, "secret", map[string]string{"anna": "abstain"}, nil)
	e.vote(e.public, "open", nil, map[string]any{"yes": 1, "no": 0, "abstain": 2})
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/end", e.meeting), nil)

	anna := fmt.Sprintf("/persons/%d", e.person["anna"])
	rows := func(body string) int { return strings.Count(body, "<tr data-item=") }
	status, _, body := e.page("", anna)
	if status != 200 || !strings.Contains(body, "Anna Muster") || !strings.Contains(body, "Gemeinderat") || !strings.Contains(body, "Schule") {
		t.Fatalf("anna's page: %d\n%s", status, body)
	}
	if rows(body) != 1 || !strings.Contains(body, `class="choice yes"`) || !strings.Contains(body, "angenommen") {
		t.Errorf("a citizen sees %d votes of anna's, want the public named vote:\n%s", rows(body), body)
	}
	if strings.Contains(body, nonPublicTitle) || strings.Contains(body, fmt.Sprintf(`data-item="%d"`, e.nonPublic)) {
		t.Errorf("a citizen sees the non-public item's vote on anna's page")
	}
	if _, cache, _ := e.page("", anna); cache != "hit" {
		t.Errorf("anna's page the second time: X-Cache %q, want hit", cache)
	}
	if _, _, body := e.page("", fmt.Sprintf("/persons/%d", e.person["carl"])); rows(body) != 1 || !strings.Contains(body, "Enthaltung") {
		t.Errorf("carl's page: %d votes\n%s", rows(body), body)
	}
	if _, _, body := e.page("", fmt.Sprintf("/persons/%d", e.person["emil"])); rows(body) != 0 || !strings.Contains(body, "Keine namentlichen Abstimmungen") {
		t.Errorf("emil's page lists votes:\n%s", body)
	}
	// Who may see the non-public item in full sees its roll call too.
	if _, _, body := e.page("bert", anna); rows(body) != 2 || !strings.Contains(body, nonPublicTitle) {
		t.Errorf("bert sees %d votes of anna's, want 2", rows(body))
	}
	if _, _, body := e.page("dora", anna); rows(body) != 1 || strings.Contains(body, nonPublicTitle) {
		t.Errorf("dora (excluded) sees %d votes of anna's, want 1", rows(body))
	}
	// English, a missing person, pages beyond the last.
	if _, _, body := e.page("", anna+"?lang=en"); !strings.Contains(body, "Roll-call votes") || !strings.Contains(body, "adopted") {
		t.Errorf("anna's page in English:\n%s", body)
	}
	for _, p := range []string{"/persons/999999", anna + "?page=2", anna + "?page=x", "/persons/abc"} {
		if status, _, _ := e.page("", p); status != 404 {
			t.Errorf("%s: %d, want 404", p, status)
		}
	}
	// The meeting page links the roll call's names.
	if _, _, body := e.page("", fmt.Sprintf("/meetings/%d", e.meeting)); !strings.Contains(body, `<a href="`+anna+`">Anna Muster</a>`) {
		t.Errorf("the meeting page does not link anna's name:\n%s", body)
	}
}

// A faction's speaking time on an item (Redezeitkontingent): the live
// view and the speaker list carry the limit, each speaker's faction and
// the time each faction's finished speeches took.
func TestLiveFactionSpeakingTime(t *testing.T) {
	e := newLiveEnv(t)
	ctx := context.Background()
	spd := &sessions.Organization{BodyID: 1, Name: "Fraktion SPD", ShortName: "SPD", Classification: sessions.ClassFaction}
	must(t, e.st.CreateOrganization(ctx, spd))
	for _, n := range []string{"anna", "bert"} {
		must(t, e.st.CreateMembership(ctx, &sessions.Membership{PersonID: e.person[n], OrganizationID: spd.ID, StartDate: "2024-01-01"}))
	}
	citizen := e.follow("")
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.attend("anna", "bert", "carl")
	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/current", e.meeting), map[string]any{"item": e.public})
	limit := fmt.Sprintf("/items/%d/speaking-limit", e.public)
	e.want(400, "bad_limit", "clerk", "PUT", limit, map[string]any{"faction_seconds": -1})
	e.want(204, "", "clerk", "PUT", limit, map[string]any{"seconds": 120})
	e.want(204, "", "clerk", "PUT", limit, map[string]any{"faction_seconds": 600})
	e.want(204, "", "clerk", "POST", fmt.Sprintf("/items/%d/speakers/%d/start", e.public, e.person["bert"]), nil)
	e.want(204, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/speech/end", e.meeting), nil)
	// Bert spoke for 90 seconds (the test moves the start back).
	var ended string
	must(t, e.db.QueryRow(`SELECT ended_at FROM live_speakers WHERE person_id = ?`, e.person["bert"]).Scan(&ended))
	end, err := time.Parse(time.RFC3339Nano, ended)
	must(t, err)
	_, err = e.db.Exec(`UPDATE live_speakers SET started_at = ? WHERE person_id = ?`,
		end.Add(-90*time.Second).UTC().Format("2006-01-02T15:04:05.000000000Z07:00"), e.person["bert"])
	must(t, err)
	e.want(204, "", "anna", "POST", fmt.Sprintf("/items/%d/speakers", e.public), nil)
	e.want(204, "", "carl", "POST", fmt.Sprintf("/items/%d/speakers", e.public), nil)
	list := e.want(200, "", "", "GET", fmt.Sprintf("/items/%d/speakers", e.public), nil)
	if list["limit_seconds"] != 120.0 || list["faction_limit_seconds"] != 600.0 {
		t.Fatalf("limits: %v", list)
	}
	fs := list["factions"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["name"] != "SPD" || fs[0].(map[string]any)["used_seconds"] != 90.0 {
		t.Fatalf("factions' time: %v", fs)
	}
	w := list["waiting"].([]any)
	if len(w) != 2 || w[0].(map[string]any)["faction"] != float64(spd.ID) || w[1].(map[string]any)["faction"] != nil {
		t.Fatalf("waiting speakers' factions: %v", w)
	}
	citizen.until(t, "citizen", `"faction_limit_seconds":600`, `"name":"SPD","used_seconds":90`)
}
