package web_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/web"
)

// liveEnv is a council of five members with voting right — anna, bert,
// carl, dora, emil — and a clerk, on a real server with a real SQLite
// file; the server's log goes to log. The published meeting has a public
// item "Ö 1 Schule" and a non-public one "N 1 Grundstück Lindenplatz";
// dora is excluded from both.
type liveEnv struct {
	t         *testing.T
	db        *sql.DB
	st        *sessions.Store
	srv       *httptest.Server
	tokens    map[string]string
	person    map[string]int64
	account   map[string]int64
	meeting   int64
	public    int64
	nonPublic int64
	log       *syncBuffer
	docs      *documents.Service
	acc       *accounts.Store
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

const nonPublicTitle = "Grundstück Lindenplatz"

func newLiveEnv(t *testing.T) *liveEnv { return newLiveEnvWith(t, web.Config{}) }

// newLiveEnvWith builds the env on a server with cfg's limits.
func newLiveEnvWith(t *testing.T, cfg web.Config) *liveEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := dbtest.Open(t, sqldb.SQLite)
	must(t, schema.Migrate(ctx, db))
	st := sessions.NewStore(db, nil)
	acc := accounts.NewStore(db, nil)
	e := &liveEnv{t: t, db: db, tokens: map[string]string{}, person: map[string]int64{}, account: map[string]int64{}, log: &syncBuffer{}}
	body := &sessions.Body{Name: "Stadt Lindenau"}
	must(t, st.CreateBody(ctx, body))
	rat := &sessions.Organization{BodyID: body.ID, Name: "Gemeinderat", Classification: sessions.ClassCouncil}
	must(t, st.CreateOrganization(ctx, rat))
	account := func(name string, role access.Role) {
		var person int64
		if role == access.RoleMember {
			p := &sessions.Person{BodyID: body.ID, GivenName: strings.ToUpper(name[:1]) + name[1:], FamilyName: "Muster"}
			must(t, st.CreatePerson(ctx, p))
			must(t, st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: rat.ID, VotingRight: true, StartDate: "2024-01-01"}))
			person = p.ID
			e.person[name] = p.ID
		}
		a := &accounts.Account{Name: name, DisplayName: name + " Muster", Role: role, PersonID: person}
		must(t, acc.CreateAccount(ctx, a, ""))
		e.account[name] = a.ID
		_, tok, err := acc.CreateAPIToken(ctx, a.ID, "test")
		must(t, err)
		e.tokens[name] = tok
	}
	for _, n := range []string{"anna", "bert", "carl", "dora", "emil"} {
		account(n, access.RoleMember)
	}
	account("clerk", access.RoleClerk)
	m := &sessions.Meeting{OrganizationID: rat.ID, Name: "Ratssitzung", Start: time.Now().Add(time.Hour)}
	must(t, st.CreateMeeting(ctx, m))
	e.meeting = m.ID
	e.st = st
	pub := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Schule", Public: true}
	must(t, st.CreateAgendaItem(ctx, pub))
	np := &sessions.AgendaItem{MeetingID: m.ID, Number: "N 1", Title: nonPublicTitle}
	must(t, st.CreateAgendaItem(ctx, np))
	e.public, e.nonPublic = pub.ID, np.ID
	must(t, st.AddExclusion(ctx, pub.ID, e.person["dora"], "Befangenheit"))
	must(t, st.AddExclusion(ctx, np.ID, e.person["dora"], "Befangenheit"))
	must(t, st.PublishMeeting(ctx, m.ID, time.Now().Add(-time.Minute)))

	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	must(t, err)
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: demotest.CopyIngester{Dir: dir}})
	cfg.Documents, cfg.Sessions, cfg.DB, cfg.Accounts, cfg.PacketDir = svc, st, db, acc, filepath.Join(dir, "packets")
	e.docs, e.acc = svc, acc
	cfg.Logger = slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := web.NewServer(cfg)
	must(t, err)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a JSON request as who ("" is anonymous) by annEnv.do and
// returns status and the decoded body.
func (e *liveEnv) do(who, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	status, b := (&annEnv{t: e.t, srv: e.srv, tokens: e.tokens}).do(who, method, "/api/v1"+path, body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return status, out
}

// want sends a request and fails unless it answers status (and, for a
// refusal, reason).
func (e *liveEnv) want(status int, reason, who, method, path string, body any) map[string]any {
	e.t.Helper()
	got, out := e.do(who, method, path, body)
	if got != status || (reason != "" && out["reason"] != reason) {
		e.t.Fatalf("%s %s as %q: %d %v, want %d %s", method, path, who, got, out, status, reason)
	}
	return out
}

func (e *liveEnv) attend(names ...string) {
	e.t.Helper()
	for _, n := range names {
		e.want(200, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/attendance/%d", e.meeting, e.person[n]), map[string]any{"status": "present"})
	}
}

func TestLiveSessionAPI(t *testing.T) {
	e := newLiveEnv(t)
	votes := fmt.Sprintf("/items/%d/votes", e.public)
	e.want(409, "not_running", "clerk", "POST", votes, map[string]any{"kind": "named", "rule": "simple"})
	e.want(401, "", "", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.want(403, "", "anna", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)

	e.attend("anna", "bert")
	att := e.want(200, "", "", "GET", fmt.Sprintf("/meetings/%d/attendance", e.meeting), nil)
	if q := att["quorum"].(map[string]any); q["reached"] != false || q["required"] != 3.0 {
		t.Fatalf("quorum with two of five: %v", q)
	}
	e.want(409, "no_quorum", "clerk", "POST", votes, map[string]any{"kind": "named", "rule": "simple"})
	e.attend("carl", "dora")
	att = e.want(200, "", "", "GET", fmt.Sprintf("/meetings/%d/attendance", e.meeting), nil)
	if q := att["quorum"].(map[string]any); q["reached"] != true || q["present"] != 4.0 {
		t.Fatalf("quorum with four of five: %v", q)
	}
	v := e.want(201, "", "clerk", "POST", votes, map[string]any{"kind": "named", "rule": "simple"})
	ballot := fmt.Sprintf("/votes/%.0f/ballot", v["id"])
	e.want(200, "", "anna", "PUT", ballot, map[string]any{"choice": "yes"})
	e.want(200, "", "bert", "PUT", ballot, map[string]any{"choice": "no"})
	e.want(200, "", "carl", "PUT", ballot, map[string]any{"choice": "yes"})
	refused := e.want(403, "excluded", "dora", "PUT", ballot, map[string]any{"choice": "yes"})
	if refused["message"] == "" || refused["message_en"] == nil {
		t.Fatalf("the refusal of an excluded member: %v", refused)
	}
	e.want(403, "not_entitled", "emil", "PUT", ballot, map[string]any{"choice": "yes"})
	e.want(401, "", "", "PUT", ballot, map[string]any{"choice": "yes"})
	e.want(400, "unknown_choice", "anna", "PUT", ballot, map[string]any{"choice": "vielleicht"})
	e.want(403, "", "anna", "POST", fmt.Sprintf("/votes/%.0f/close", v["id"]), nil)

	res := e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", v["id"]), nil)
	if res["yes"] != 2.0 || res["no"] != 1.0 || res["abstain"] != 0.0 || res["adopted"] != true {
		t.Fatalf("result %v", res)
	}
	named := res["named"].([]any)
	if len(named) != 3 {
		t.Fatalf("named %v", named)
	}
	if ex := res["excluded"].([]any); len(ex) != 1 || ex[0].(map[string]any)["name"] != "Dora Muster" {
		t.Fatalf("excluded %v", ex)
	}
	// The public item's named vote is public, per member.
	pub := e.want(200, "", "", "GET", fmt.Sprintf("/votes/%.0f", v["id"]), nil)
	if r := pub["result"].(map[string]any); len(r["named"].([]any)) != 3 {
		t.Fatalf("public result %v", pub)
	}
	// A correction is a new version, audited.
	e.want(400, "no_reason", "clerk", "POST", fmt.Sprintf("/votes/%.0f/corrections", v["id"]), map[string]any{"named": named})
	fixed := e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/corrections", v["id"]), map[string]any{
		"named": []any{named[0], named[1]}, "reason": "Frau Muster war nicht im Saal"})
	if fixed["version"] != 2.0 {
		t.Fatalf("correction %v", fixed)
	}

	// A vote on the non-public item is not there for the public or for
	// the excluded member.
	nv := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.nonPublic), map[string]any{"kind": "open", "rule": "two_thirds"})
	e.want(404, "", "", "GET", fmt.Sprintf("/votes/%.0f", nv["id"]), nil)
	e.want(404, "", "", "GET", fmt.Sprintf("/items/%d/votes", e.nonPublic), nil)
	e.want(404, "", "dora", "GET", fmt.Sprintf("/votes/%.0f", nv["id"]), nil)
	e.want(401, "", "", "PUT", fmt.Sprintf("/votes/%.0f/ballot", nv["id"]), map[string]any{"choice": "yes"})
	e.want(404, "", "emil", "PUT", fmt.Sprintf("/votes/%.0f/ballot", 999.0), map[string]any{"choice": "yes"})
	e.want(403, "excluded", "dora", "PUT", fmt.Sprintf("/votes/%.0f/ballot", nv["id"]), map[string]any{"choice": "yes"})
	e.want(200, "", "anna", "GET", fmt.Sprintf("/votes/%.0f", nv["id"]), nil)
	e.want(409, "vote_open", "clerk", "POST", fmt.Sprintf("/meetings/%d/end", e.meeting), nil)
	e.want(400, "too_many", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", nv["id"]), map[string]any{"yes": 4, "no": 1, "abstain": 0})
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", nv["id"]), map[string]any{"yes": 2, "no": 1, "abstain": 0})
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/end", e.meeting), nil)

	// A person's record: the corrected roll call counts.
	rec := e.want(200, "", "", "GET", fmt.Sprintf("/persons/%d/votes", e.person["anna"]), nil)
	if vs := rec["votes"].([]any); len(vs) != 1 || vs[0].(map[string]any)["choice"] != "yes" || vs[0].(map[string]any)["title"] != "Schule" {
		t.Fatalf("anna's record %v", rec)
	}
	if rec := e.want(200, "", "", "GET", fmt.Sprintf("/persons/%d/votes", e.person["carl"]), nil); len(rec["votes"].([]any)) != 0 {
		t.Fatalf("carl's record after the correction %v", rec)
	}
	e.want(404, "", "", "GET", "/persons/999/votes", nil)

	// OParl: the result in words, and the votes in the extension
	// property; nothing of the non-public item's vote.
	oparlItem := func(id int64) map[string]any {
		res, err := http.Get(fmt.Sprintf("%s/oparl/v1/agendaItem/%d", e.srv.URL, id))
		must(t, err)
		defer res.Body.Close()
		var o map[string]any
		must(t, json.NewDecoder(res.Body).Decode(&o))
		return o
	}
	o := oparlItem(e.public)
	ov, _ := o["ratsmappe:votes"].([]any)
	if o["result"] != "abgelehnt (Ja: 1, Nein: 1, Enthaltung: 0)" || len(ov) != 1 {
		t.Fatalf("OParl agenda item: %v", o)
	}
	if v0 := ov[0].(map[string]any); v0["version"] != 2.0 || len(v0["named"].([]any)) != 2 || len(v0["excluded"].([]any)) != 1 {
		t.Fatalf("OParl votes: %v", v0)
	}
	o = oparlItem(e.nonPublic)
	if _, ok := o["ratsmappe:votes"]; ok || o["result"] != nil || strings.Contains(fmt.Sprint(o), nonPublicTitle) {
		t.Fatalf("OParl shows the non-public item's vote: %v", o)
	}

	var audited int
	must(t, e.db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action IN ('session.start', 'vote.open', 'vote.close', 'vote.correct', 'session.end', 'attendance.set')`).Scan(&audited))
	if audited != 11 { // start, four attendances, two votes opened and closed, a correction, end
		t.Errorf("%d audit entries, want 11", audited)
	}
}

// After a secret vote, no table of the database (every column of every
// row), no line of the server's log, no audit entry and no answer of the
// API links a member with a choice.
func TestLiveSecretVoteLeavesNoTrace(t *testing.T) {
	e := newLiveEnv(t)
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.attend("anna", "bert", "carl", "emil")
	v := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.nonPublic), map[string]any{"kind": "secret", "rule": "simple"})
	id := fmt.Sprintf("%.0f", v["id"])
	var auditBefore int64
	must(t, e.db.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM audit_log`).Scan(&auditBefore))
	// In reverse order of the persons' ids, each a different choice.
	choices := map[string]string{"emil": "yes", "carl": "no", "bert": "abstain", "anna": "yes"}
	for _, who := range []string{"emil", "carl", "bert", "anna"} {
		e.want(200, "", who, "PUT", "/votes/"+id+"/ballot", map[string]any{"choice": choices[who]})
	}
	e.want(409, "already_voted", "anna", "PUT", "/votes/"+id+"/ballot", map[string]any{"choice": "no"})
	open := e.want(200, "", "clerk", "GET", "/votes/"+id, nil)
	if open["voted"] != 4.0 || open["result"] != nil {
		t.Fatalf("an open secret vote shows %v", open)
	}
	res := e.want(200, "", "clerk", "POST", "/votes/"+id+"/close", nil)
	if res["yes"] != 2.0 || res["no"] != 1.0 || res["abstain"] != 1.0 || len(res["named"].([]any)) != 0 {
		t.Fatalf("result %v", res)
	}

	// Every identifier of a voter: person id, account id, names, token.
	type voter struct {
		ids   []int64
		texts []string
	}
	voters := map[string]voter{}
	for who := range choices {
		voters[who] = voter{ids: []int64{e.person[who], e.account[who]},
			texts: []string{who, strings.ToUpper(who[:1]) + who[1:] + " Muster", e.tokens[who]}}
	}
	choiceWord := regexp.MustCompile(`(?i)\b(yes|no|abstain|ja|nein|enthaltung)\b`)

	// The database: every row of every table.
	for _, table := range dbtest.Tables(t, e.db) {
		for _, row := range dbtest.Rows(t, e.db, table) {
			text := row.Text()
			if !choiceWord.MatchString(text) {
				continue
			}
			// A row that speaks of a choice must be one of the places
			// that hold a result, which name no voter: the result
			// (counts, no roll call), the office's audit entries of the
			// vote, the item's result in words.
			switch action := row.Get("action"); {
			case table == "live_results" && row.Get("named") == "[]":
			case table == "audit_log" && row.Get("account_id") == e.account["clerk"] && (action == "vote.open" || action == "vote.close"):
			case table == "agenda_items":
			default:
				t.Errorf("table %s holds a choice outside a result: %v", table, row.Vals)
			}
			for who, vo := range voters {
				for _, n := range vo.texts {
					if strings.Contains(text, n) {
						t.Errorf("table %s links %s (%q) with a choice: %v", table, who, n, row.Vals)
					}
				}
				// A voter's person id in a row of the vote's tables.
				if strings.HasPrefix(table, "live_") && row.Ints()[vo.ids[0]] {
					t.Errorf("table %s links person %d with a choice: %v", table, vo.ids[0], row.Vals)
				}
			}
		}
	}
	// Who voted is recorded without order: the rows come in the order
	// of the persons, not of the ballots.
	order := column[int64](t, e.db, `SELECT person_id FROM live_voted WHERE vote_id = ?`, id)
	if want := []int64{e.person["anna"], e.person["bert"], e.person["carl"], e.person["emil"]}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("live_voted in order %v, want the persons' order %v", order, want)
	}
	var ballots int
	must(t, e.db.QueryRow(`SELECT COUNT(*) FROM live_ballots WHERE vote_id = ?`, id).Scan(&ballots))
	if ballots != 0 {
		t.Errorf("%d ballot rows for a secret vote", ballots)
	}

	// The audit log: nothing by a voter since the vote opened.
	var byVoters int
	must(t, e.db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE id > ? AND account_id IN (?, ?, ?, ?)`, auditBefore,
		e.account["anna"], e.account["bert"], e.account["carl"], e.account["emil"]).Scan(&byVoters))
	if byVoters != 0 {
		t.Errorf("%d audit entries by voters during a secret vote", byVoters)
	}
	// The server's log: no voter, no choice.
	for _, line := range strings.Split(e.log.String(), "\n") {
		for who, vo := range voters {
			for _, n := range vo.texts {
				if line != "" && strings.Contains(line, n) {
					t.Errorf("log line names %s: %s", who, line)
				}
			}
		}
		if strings.Contains(line, "/ballot") || strings.Contains(line, "choice") {
			t.Errorf("log line about a ballot: %s", line)
		}
	}
	// The API: the result has counts and no roll call, also for staff.
	got := e.want(200, "", "clerk", "GET", "/votes/"+id, nil)
	b, _ := json.Marshal(got)
	for who := range choices {
		if strings.Contains(string(b), who) || strings.Contains(string(b), fmt.Sprintf(`"person":%d`, e.person[who])) {
			t.Errorf("the API answer names %s: %s", who, b)
		}
	}
}

// column returns the first column of the rows of query.
func column[T any](t *testing.T, db *sql.DB, query string, args ...any) []T {
	t.Helper()
	rows, err := db.Query(query, args...)
	must(t, err)
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		must(t, rows.Scan(&v))
		out = append(out, v)
	}
	must(t, rows.Err())
	return out
}

// follower reads a live stream: every "state" event's data, in order.
type follower struct {
	events chan string
	all    []string
}

func (e *liveEnv) follow(who string) *follower {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/meetings/%d/live", e.srv.URL, e.meeting), nil)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	res, err := http.DefaultClient.Do(req)
	must(e.t, err)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		e.t.Fatalf("live stream as %q: %d %s", who, res.StatusCode, res.Header.Get("Content-Type"))
	}
	f := &follower{events: make(chan string, 1000)}
	go func() {
		defer res.Body.Close()
		defer close(f.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				f.events <- d
			}
		}
	}()
	return f
}

// until reads events until one contains all of want, failing after a
// generous deadline (a hang, not a timing assertion).
func (f *follower) until(t *testing.T, who string, want ...string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case d, ok := <-f.events:
			if !ok {
				t.Fatalf("%s: stream ended before %q", who, want)
			}
			f.all = append(f.all, d)
			found := true
			for _, w := range want {
				found = found && strings.Contains(d, w)
			}
			if found {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no state with %q; got %d events, last %s", who, want, len(f.all), f.all[len(f.all)-1])
		}
	}
}

// A citizen's live stream never carries a non-public item's title or
// vote; a member's does; both follow the public item's vote.
func TestLiveStreamFiltersPerViewer(t *testing.T) {
	e := newLiveEnv(t)
	citizen, anna, dora := e.follow(""), e.follow("anna"), e.follow("dora")
	citizen.until(t, "citizen", `"running":false`)

	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.attend("anna", "bert", "carl")
	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/current", e.meeting), map[string]any{"item": e.nonPublic})
	nv := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.nonPublic), map[string]any{"kind": "named", "rule": "simple"})
	for _, who := range []string{"anna", "bert", "carl"} {
		e.want(200, "", who, "PUT", fmt.Sprintf("/votes/%.0f/ballot", nv["id"]), map[string]any{"choice": "no"})
	}
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", nv["id"]), nil)
	anna.until(t, "anna", nonPublicTitle, `"adopted":false`, `"no":3`)

	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/current", e.meeting), map[string]any{"item": e.public})
	pv := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.public), map[string]any{"kind": "open", "rule": "simple"})
	for _, who := range []string{"anna", "bert"} {
		e.want(200, "", who, "PUT", fmt.Sprintf("/votes/%.0f/ballot", pv["id"]), map[string]any{"choice": "yes"})
	}
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", pv["id"]), nil)
	citizen.until(t, "citizen", `"title":"Schule"`, `"adopted":true`, `"yes":2`)
	anna.until(t, "anna", `"title":"Schule"`, `"adopted":true`)
	dora.until(t, "dora", `"title":"Schule"`, `"adopted":true`)

	for who, f := range map[string]*follower{"citizen": citizen, "dora (excluded)": dora} {
		for _, d := range f.all {
			if strings.Contains(d, nonPublicTitle) || strings.Contains(d, fmt.Sprintf(`"vote":{"id":%.0f,`, nv["id"])) || strings.Contains(d, `"no":3`) {
				t.Errorf("%s's stream carries the non-public item: %s", who, d)
			}
		}
	}
	// The named vote on the non-public item is in anna's record for
	// members only.
	record := fmt.Sprintf("/persons/%d/votes", e.person["anna"])
	if rec := e.want(200, "", "", "GET", record, nil); len(rec["votes"].([]any)) != 0 || strings.Contains(fmt.Sprint(rec), nonPublicTitle) {
		t.Errorf("the public record shows a non-public vote: %v", rec)
	}
	if rec := e.want(200, "", "bert", "GET", record, nil); len(rec["votes"].([]any)) != 1 {
		t.Errorf("a member's view of the record: %v", rec)
	}
	if rec := e.want(200, "", "dora", "GET", record, nil); len(rec["votes"].([]any)) != 0 {
		t.Errorf("the excluded member's view of the record: %v", rec)
	}

	// The citizen saw the non-public item as its stub.
	if !strings.Contains(strings.Join(citizen.all, "\n"), sessions.StubTitle) {
		t.Errorf("the citizen never saw the stub of the non-public item: %v", citizen.all)
	}
}

// Live streams have their own bound instead of the admission lanes: the
// one too many is refused at once, typed; a closed stream frees its
// place. A meeting that stops being visible ends a citizen's stream.
func TestLiveStreamBoundAndGone(t *testing.T) {
	e := newLiveEnvWith(t, web.Config{MaxLiveFollowers: 2, MaxInFlight: 1})
	e.want(404, "", "", "GET", "/meetings/999/live", nil)
	citizen := e.follow("")
	e.follow("anna")
	citizen.until(t, "citizen", `"running":false`)
	res, err := http.Get(fmt.Sprintf("%s/api/v1/meetings/%d/live", e.srv.URL, e.meeting))
	must(t, err)
	var refused map[string]any
	json.NewDecoder(res.Body).Decode(&refused)
	res.Body.Close()
	if res.StatusCode != 503 || refused["reason"] != "too_many_followers" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the third follower: %d %v", res.StatusCode, refused)
	}
	// Two streams hold no admission slot: the API still answers.
	e.want(200, "", "", "GET", fmt.Sprintf("/meetings/%d/attendance", e.meeting), nil)

	must(t, e.st.UnpublishMeeting(context.Background(), e.meeting))
	e.attend("anna") // wakes the followers
	deadline := time.After(20 * time.Second)
	for {
		select {
		case d, ok := <-citizen.events:
			if !ok {
				return // ended after "gone"
			}
			if strings.Contains(d, `"attendance"`) && strings.Contains(d, "Anna") {
				t.Fatalf("an unpublished meeting's state reached the citizen: %s", d)
			}
		case <-deadline:
			t.Fatal("the citizen's stream did not end when the meeting was unpublished")
		}
	}
}

// A stream lives longer than the server's WriteTimeout (cmd sets 10
// minutes, for packet downloads): each write of the stream sets its own
// deadline.
func TestLiveStreamOutlivesWriteTimeout(t *testing.T) {
	e := newLiveEnv(t)
	srv := httptest.NewUnstartedServer(e.srv.Config.Handler)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	e.srv = srv
	citizen := e.follow("")
	citizen.until(t, "citizen", `"running":false`)
	time.Sleep(time.Second) // past the server's write deadline
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	citizen.until(t, "citizen", `"running":true`)
}

// Members ask to speak from the tablet; the office gives the floor. A
// non-public item's speaker list reaches its members, never a citizen.
func TestLiveSpeakerList(t *testing.T) {
	e := newLiveEnv(t)
	citizen, anna := e.follow(""), e.follow("anna")
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.attend("anna", "bert", "carl", "dora")
	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/current", e.meeting), map[string]any{"item": e.nonPublic})
	speakers := fmt.Sprintf("/items/%d/speakers", e.nonPublic)
	e.want(204, "", "bert", "POST", speakers, nil)
	e.want(204, "", "anna", "POST", speakers, nil)
	e.want(409, "already_listed", "anna", "POST", speakers, nil)
	e.want(404, "", "dora", "POST", speakers, nil) // excluded: sees only the stub
	e.want(404, "", "", "GET", speakers, nil)
	e.want(403, "", "anna", "POST", fmt.Sprintf("/items/%d/speakers/%d/start", e.nonPublic, e.person["bert"]), nil)
	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/items/%d/speaking-limit", e.nonPublic), map[string]any{"seconds": 120})
	e.want(204, "", "clerk", "POST", fmt.Sprintf("/items/%d/speakers/%d/start", e.nonPublic, e.person["bert"]), nil)
	anna.until(t, "anna", `"current":{"person":`+fmt.Sprint(e.person["bert"]), `"name":"Bert Muster"`, `"limit_seconds":120`)
	list := e.want(200, "", "anna", "GET", speakers, nil)
	if w := list["waiting"].([]any); len(w) != 1 {
		t.Fatalf("waiting %v", list)
	}
	e.want(404, "", "bert", "DELETE", fmt.Sprintf("/items/%d/speakers/%d", e.nonPublic, e.person["anna"]), nil)
	e.want(204, "", "anna", "DELETE", fmt.Sprintf("/items/%d/speakers/%d", e.nonPublic, e.person["anna"]), nil)
	e.want(204, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/speech/end", e.meeting), nil)

	// The public item: the citizen follows its speakers.
	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/current", e.meeting), map[string]any{"item": e.public})
	e.want(204, "", "carl", "POST", fmt.Sprintf("/items/%d/speakers", e.public), nil)
	e.want(403, "excluded", "dora", "POST", fmt.Sprintf("/items/%d/speakers", e.public), nil)
	citizen.until(t, "citizen", `"title":"Schule"`, `"name":"Carl Muster"`)
	for _, d := range citizen.all {
		stub := strings.Contains(d, `"public":false`)
		if strings.Contains(d, nonPublicTitle) || (stub && !strings.Contains(d, `"speakers":null`)) || strings.Contains(d, `"limit_seconds":120`) {
			t.Errorf("the citizen's stream carries the non-public item's speakers: %s", d)
		}
	}
}
