package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// A member's reader lists their own notices and marks them read; another
// member sees none of them.
func TestNoticesAPI(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	db := e.db
	body := &sessions.Body{Name: "Stadt"}
	must(t, e.sessions.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Rat", Classification: sessions.ClassCouncil}
	must(t, e.sessions.CreateOrganization(ctx, org))
	m := &sessions.Meeting{OrganizationID: org.ID, Name: "Rat", Start: time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC)}
	must(t, e.sessions.CreateMeeting(ctx, m))
	tok := map[string]string{}
	ids := map[string]int64{}
	for _, n := range []string{"anna", "bernd"} {
		a := &accounts.Account{Name: n, Role: access.RoleMember}
		must(t, e.accounts.CreateAccount(ctx, a, "ein gutes Passwort"))
		_, tk, err := e.accounts.CreateAPIToken(ctx, a.ID, "tablet")
		must(t, err)
		tok[n], ids[n] = tk, a.ID
	}
	for i, text := range []string{"Nachtrag zur Tagesordnung: Ö 3 Radweg", "Neue Unterlage: Haushalt"} {
		_, err := db.ExecContext(ctx, `INSERT INTO member_notices (account_id, key, meeting_id, kind, text, text_en, url, created_at)
			VALUES (?, ?, ?, 'late_item', ?, ?, '/reader/', ?)`, ids["anna"], "k"+string(rune('0'+i)), m.ID, text, text, 1000+i)
		must(t, err)
	}
	call := func(who, method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok[who])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, out := call("anna", "GET", "/api/v1/notices", "")
	if code != 200 || out["unread"] != float64(2) || len(out["notices"].([]any)) != 2 {
		t.Fatalf("anna's notices: %d %v", code, out)
	}
	newest := out["notices"].([]any)[0].(map[string]any)
	if !strings.Contains(newest["text"].(string), "Haushalt") {
		t.Errorf("not newest first: %v", newest)
	}
	if code, out := call("bernd", "GET", "/api/v1/notices", ""); code != 200 || len(out["notices"].([]any)) != 0 {
		t.Errorf("bernd sees anna's notices: %v", out)
	}
	if code, _ := call("anna", "POST", "/api/v1/notices/read", `{"upto": `+jsonNum(newest["id"])+`}`); code != http.StatusNoContent {
		t.Errorf("mark read: %d", code)
	}
	if _, out := call("anna", "GET", "/api/v1/notices", ""); out["unread"] != float64(0) {
		t.Errorf("after marking read: %v", out["unread"])
	}
	if code, _ := call("anna", "GET", "/api/v1/notices?limit=0", ""); code != http.StatusBadRequest {
		t.Errorf("limit=0: %d", code)
	}
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
