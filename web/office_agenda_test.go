package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The office's agenda through its API, as office.js uses it, on the demo
// council: items added without a number are numbered, a new order answers
// the renumbered agenda, and a number given twice is warned on the
// office's page.
func TestOfficeAgendaNumbers(t *testing.T) {
	e := newReaderServer(t)
	var m struct{ ID int64 }
	resp, b := e.do(t, "POST", "ratsbuero", "/api/v1/meetings", map[string]any{"organization_id": 1, "name": "Nummern", "start": "2027-02-10T17:00"})
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &m) != nil {
		t.Fatalf("POST meeting: %d %s", resp.StatusCode, b)
	}
	type item struct {
		ID     int64  `json:"id"`
		Number string `json:"number"`
		Fixed  bool   `json:"number_fixed"`
	}
	var ids []int64
	for _, in := range []map[string]any{{"title": "Eröffnung", "public": true}, {"title": "Radweg", "public": true}, {"title": "Grundstück"}} {
		var it item
		resp, b := e.do(t, "POST", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/items", m.ID), in)
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &it) != nil {
			t.Fatalf("POST item %v: %d %s", in, resp.StatusCode, b)
		}
		ids = append(ids, it.ID)
	}
	var agenda struct{ Data []item }
	resp, b = e.do(t, "PUT", "ratsbuero", fmt.Sprintf("/api/v1/meetings/%d/order", m.ID), map[string]any{"items": []int64{ids[2], ids[1], ids[0]}})
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &agenda) != nil {
		t.Fatalf("PUT order: %d %s", resp.StatusCode, b)
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
	resp, b = e.do(t, "PATCH", "ratsbuero", fmt.Sprintf("/api/v1/items/%d", ids[2]), map[string]any{"number": "Ö 1"})
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &it) != nil || !it.Fixed {
		t.Fatalf("PATCH number: %d %s", resp.StatusCode, b)
	}
	_, page := e.do(t, "GET", "ratsbuero", fmt.Sprintf("/office/meetings/%d", m.ID), nil)
	if n := strings.Count(string(page), `<span class="badge dup">Nummer doppelt</span>`); n != 2 {
		t.Errorf("%d items marked as duplicates, want 2", n)
	}
	if strings.Contains(string(page), `class="warning dup-warning" hidden`) {
		t.Error("the duplicate warning is hidden")
	}
}
