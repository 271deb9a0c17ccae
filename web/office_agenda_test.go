package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The office's agenda through its API, as office.js uses it: items added
// without a number are numbered, a new order answers the renumbered
// agenda, and a number given twice is warned on the office's page.
func TestOfficeAgendaNumbers(t *testing.T) {
	e := newServer(t)
	ctx := context.Background()
	body := &sessions.Body{Name: "Stadt Test"}
	must(t, e.sessions.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	must(t, e.sessions.CreateOrganization(ctx, org))
	m := &sessions.Meeting{OrganizationID: org.ID, Name: "1. Sitzung", Start: time.Now().Add(48 * time.Hour)}
	must(t, e.sessions.CreateMeeting(ctx, m))
	a := &accounts.Account{Name: "amt", Role: access.RoleClerk}
	must(t, e.accounts.CreateAccount(ctx, a, ""))
	_, tok, err := e.accounts.CreateAPIToken(ctx, a.ID, "test")
	must(t, err)

	call := func(method, path, in string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(in))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v in %s", method, path, err, b)
			}
		}
		return resp.StatusCode
	}
	type item struct {
		ID     int64  `json:"id"`
		Number string `json:"number"`
		Fixed  bool   `json:"number_fixed"`
	}
	var ids []int64
	for _, in := range []string{`{"title": "Eröffnung", "public": true}`, `{"title": "Radweg", "public": true}`, `{"title": "Grundstück"}`} {
		var it item
		if got := call("POST", fmt.Sprintf("/api/v1/meetings/%d/items", m.ID), in, &it); got != http.StatusCreated {
			t.Fatalf("POST item %s: %d", in, got)
		}
		ids = append(ids, it.ID)
	}
	var agenda struct{ Data []item }
	order := fmt.Sprintf(`{"items": [%d, %d, %d]}`, ids[2], ids[1], ids[0])
	if got := call("PUT", fmt.Sprintf("/api/v1/meetings/%d/order", m.ID), order, &agenda); got != http.StatusOK {
		t.Fatalf("PUT order: %d", got)
	}
	var numbers []string
	for _, it := range agenda.Data {
		numbers = append(numbers, it.Number)
	}
	if got, want := strings.Join(numbers, ", "), "N 1, Ö 1, Ö 2"; got != want {
		t.Errorf("after the move: %s, want %s", got, want)
	}

	// A number typed twice: fixed by hand, and warned on the page.
	var it item
	if got := call("PATCH", fmt.Sprintf("/api/v1/items/%d", ids[2]), `{"number": "Ö 1"}`, &it); got != http.StatusOK || !it.Fixed {
		t.Fatalf("PATCH number: %d, %+v", got, it)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/office/meetings/%d", e.srv.URL, m.ID), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := strings.Count(string(page), `<span class="badge dup">Nummer doppelt</span>`); n != 2 {
		t.Errorf("%d items marked as duplicates, want 2", n)
	}
	if strings.Contains(string(page), `class="warning dup-warning" hidden`) {
		t.Error("the duplicate warning is hidden")
	}
}
