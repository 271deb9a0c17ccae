package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// The minutes drafted from the record: attendance, every result, the
// roll call of a named vote, only counts of a secret one; the
// non-public item is in the non-public part only — never in the public
// part's text source or PDF.
func TestLiveMinutesDraft(t *testing.T) {
	e := newLiveEnv(t)
	draft := fmt.Sprintf("/meetings/%d/minutes/draft", e.meeting)
	e.want(403, "", "anna", "POST", draft, nil)
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.attend("anna", "bert", "carl", "dora")
	e.want(200, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/attendance/%d", e.meeting, e.person["emil"]), map[string]any{"status": "excused"})
	e.want(409, "running", "clerk", "POST", draft, nil)

	v := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.public), map[string]any{"kind": "named", "rule": "simple"})
	for who, choice := range map[string]string{"anna": "yes", "bert": "no", "carl": "yes"} {
		e.want(200, "", who, "PUT", fmt.Sprintf("/votes/%.0f/ballot", v["id"]), map[string]any{"choice": choice})
	}
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", v["id"]), nil)
	sv := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.nonPublic), map[string]any{"kind": "secret", "rule": "two_thirds"})
	for _, who := range []string{"anna", "bert", "carl"} {
		e.want(200, "", who, "PUT", fmt.Sprintf("/votes/%.0f/ballot", sv["id"]), map[string]any{"choice": "no"})
	}
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", sv["id"]), nil)
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/end", e.meeting), nil)

	out := e.want(201, "", "clerk", "POST", draft, nil)
	parts := out["parts"].([]any)
	if len(parts) != 2 {
		t.Fatalf("parts %v", out)
	}
	pub, np := parts[0].(map[string]any), parts[1].(map[string]any)
	if pub["public"] != true || np["public"] != false {
		t.Fatalf("parts in order public, non-public: %v", out)
	}
	src := pub["source"].(string)
	for _, want := range []string{"Niederschrift über die öffentliche Sitzung: Ratssitzung",
		"Anwesend: Anna Muster, Bert Muster, Carl Muster, Dora Muster", "Entschuldigt: Emil Muster",
		"# Ö 1 Schule", "Abstimmung (namentlich, einfache Mehrheit): angenommen (Ja: 2, Nein: 1, Enthaltung: 0).",
		"Ja: Anna Muster, Carl Muster", "Nein: Bert Muster", "Wegen Befangenheit nicht beteiligt: Dora Muster",
		"gesonderten Niederschrift"} {
		if !strings.Contains(src, want) {
			t.Errorf("public minutes lack %q:\n%s", want, src)
		}
	}
	nsrc := np["source"].(string)
	if !strings.Contains(nsrc, "# N 1 "+nonPublicTitle) || !strings.Contains(nsrc, "Abstimmung (geheim, Zweidrittelmehrheit): abgelehnt (Ja: 0, Nein: 3, Enthaltung: 0).") {
		t.Errorf("non-public minutes:\n%s", nsrc)
	}
	if strings.Contains(nsrc, "Ja: Anna") || strings.Contains(nsrc, "Nein: Anna") {
		t.Errorf("the secret vote names a voter:\n%s", nsrc)
	}

	file := func(part map[string]any) string {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/documents/%.0f/versions/%.0f/file", e.srv.URL, part["document"], part["version"]), nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["clerk"])
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("minutes PDF: %d %.100q", res.StatusCode, b)
		}
		return string(b) + pdfText(t, b) // the document information, and the text
	}
	// The canary: "Lindenplatz" of the non-public title is found in the
	// non-public PDF (so the search works) and nowhere in the public one.
	if !strings.Contains(file(np), "Lindenplatz") {
		t.Fatal("the canary is not found in the non-public PDF: the search does not work")
	}
	if strings.Contains(src, "Lindenplatz") || strings.Contains(file(pub), "Lindenplatz") {
		t.Fatal("the non-public item's title is in the public minutes")
	}
	if !strings.Contains(file(pub), "Schule") {
		t.Fatal("the public PDF lacks the public item")
	}

	// Drafting again with the record unchanged changes nothing; after a
	// change it adds a version to the same minutes; once approved, the
	// draft refuses to overwrite them.
	same := e.want(201, "", "clerk", "POST", draft, nil)["parts"].([]any)[0].(map[string]any)
	if same["minutes"] != pub["minutes"] || same["version"] != 1.0 {
		t.Fatalf("unchanged draft %v, first %v", same, pub)
	}
	resolution := "Der Rat beschließt den Neubau der Schule."
	must(t, e.st.UpdateAgendaItem(context.Background(), e.public, sessions.AgendaItemUpdate{Resolution: &resolution}))
	again := e.want(201, "", "clerk", "POST", draft, nil)["parts"].([]any)[0].(map[string]any)
	if again["minutes"] != pub["minutes"] || again["version"] != 2.0 || !strings.Contains(again["source"].(string), "Beschlusstext: "+resolution) {
		t.Fatalf("second draft %v, first %v", again, pub)
	}
	// The office edits the text source: it is typeset as the next version.
	source := fmt.Sprintf("/minutes/%.0f/source", pub["minutes"])
	e.want(403, "", "anna", "GET", source, nil)
	e.want(404, "", "clerk", "GET", "/minutes/999/source", nil)
	got := e.want(200, "", "clerk", "GET", source, nil)
	if got["version"] != 2.0 || got["source"] != again["source"] {
		t.Fatalf("stored source %v", got)
	}
	e.want(400, "empty_source", "clerk", "PUT", source, map[string]any{"source": " \n"})
	edited := got["source"].(string) + "\nHerr Muster (Ordnungsamt) berichtete über Zwischenstand Quartier.\n"
	ed := e.want(200, "", "clerk", "PUT", source, map[string]any{"source": edited})
	if ed["version"] != 3.0 || !strings.Contains(file(ed), "Zwischenstand Quartier") {
		t.Fatalf("edited minutes %v", ed)
	}
	if got := e.want(200, "", "clerk", "GET", source, nil); got["source"] != edited || got["version"] != 3.0 {
		t.Fatalf("stored edit %v", got)
	}
	// A new draft from the record would undo the edit: only when asked.
	third := "Der Rat beschließt die Sanierung der Schule."
	must(t, e.st.UpdateAgendaItem(context.Background(), e.public, sessions.AgendaItemUpdate{Resolution: &third}))
	e.want(409, "minutes_edited", "clerk", "POST", draft, nil)
	if r := e.want(201, "", "clerk", "POST", draft+"?replace=true", nil)["parts"].([]any)[0].(map[string]any); r["version"] != 4.0 {
		t.Fatalf("replacing the edit %v", r)
	}
	e.want(204, "", "clerk", "POST", fmt.Sprintf("/minutes/%.0f/state", pub["minutes"]), map[string]any{"state": "approved"})
	e.want(409, "minutes_approved", "clerk", "PUT", source, map[string]any{"source": edited + "x"})
	other := "Der Rat beschließt den Umbau der Schule."
	must(t, e.st.UpdateAgendaItem(context.Background(), e.public, sessions.AgendaItemUpdate{Resolution: &other}))
	e.want(409, "minutes_approved", "clerk", "POST", draft, nil)
	var n int
	must(t, e.db.QueryRow(`SELECT COUNT(*) FROM minutes WHERE meeting_id = ?`, e.meeting).Scan(&n))
	if n != 2 {
		t.Errorf("%d minutes, want 2", n)
	}
	must(t, e.db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'minutes.draft'`).Scan(&n))
	if n != 4 {
		t.Errorf("%d audit entries minutes.draft, want 4", n)
	}
}

// The attendance allowance over the API: the office sets a body's rate
// and exports the period as JSON, CSV for the finance system and PDF.
func TestLiveAllowanceAPI(t *testing.T) {
	e := newLiveEnv(t)
	var org int64
	must(t, e.db.QueryRow(`SELECT organization_id FROM meetings WHERE id = ?`, e.meeting).Scan(&org))
	rate := fmt.Sprintf("/organizations/%d/allowance-rate", org)
	e.want(403, "", "anna", "PUT", rate, map[string]any{"per_meeting_cents": 2500})
	e.want(400, "bad_long_rate", "clerk", "PUT", rate, map[string]any{"per_meeting_cents": 2500, "long_cents": 4000})
	e.want(200, "", "clerk", "PUT", rate, map[string]any{"per_meeting_cents": 2550})
	if got := e.want(200, "", "clerk", "GET", rate, nil); got["set"] != true {
		t.Fatalf("rate %v", got)
	}
	e.attend("anna", "bert")
	day := time.Now().Add(time.Hour).In(berlinZone(t)).Format(time.DateOnly)
	q := "/allowances?from=" + day + "&to=" + day
	e.want(401, "", "", "GET", q, nil)
	e.want(403, "", "anna", "GET", q, nil)
	e.want(400, "bad_period", "clerk", "GET", "/allowances?from=2026-01-01&to=2028-01-01", nil)
	e.want(400, "unknown_format", "clerk", "GET", q+"&format=xls", nil)
	out := e.want(200, "", "clerk", "GET", q, nil)
	if ps := out["persons"].([]any); len(ps) != 2 || out["cents"] != 5100.0 {
		t.Fatalf("allowances %v", out)
	}
	get := func(format string) (string, []byte) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1"+q+"&format="+format, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["clerk"])
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", format, res.StatusCode, b)
		}
		return res.Header.Get("Content-Type"), b
	}
	if ct, b := get("csv"); ct != "text/csv; charset=utf-8" || !strings.HasPrefix(string(b), "\uFEFFPersonennummer;Name;Sitzungen;Betrag (EUR)\r\n") || !strings.Contains(string(b), ";Anna Muster;1;25,50\r\n") {
		t.Fatalf("CSV %s %q", ct, b)
	}
	if ct, b := get("pdf"); ct != "application/pdf" || !strings.Contains(pdfText(t, b), "Anna Muster") {
		t.Fatalf("PDF %s", ct)
	}
}

func berlinZone(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	must(t, err)
	return l
}

// The portal's meeting page shows a public item's result and the roll
// call of its named vote; of the non-public item's vote nothing.
func TestLivePortalResults(t *testing.T) {
	e := newLiveEnv(t)
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	e.attend("anna", "bert", "carl")
	v := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.public), map[string]any{"kind": "named", "rule": "simple"})
	e.want(200, "", "anna", "PUT", fmt.Sprintf("/votes/%.0f/ballot", v["id"]), map[string]any{"choice": "yes"})
	e.want(200, "", "bert", "PUT", fmt.Sprintf("/votes/%.0f/ballot", v["id"]), map[string]any{"choice": "abstain"})
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", v["id"]), nil)
	nv := e.want(201, "", "clerk", "POST", fmt.Sprintf("/items/%d/votes", e.nonPublic), map[string]any{"kind": "named", "rule": "simple"})
	e.want(200, "", "carl", "PUT", fmt.Sprintf("/votes/%.0f/ballot", nv["id"]), map[string]any{"choice": "no"})
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/votes/%.0f/close", nv["id"]), nil)

	res, err := http.Get(fmt.Sprintf("%s/meetings/%d", e.srv.URL, e.meeting))
	must(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(b)
	if res.StatusCode != 200 {
		t.Fatalf("meeting page: %d", res.StatusCode)
	}
	for _, want := range []string{"Ergebnis:</strong> angenommen (Ja: 1, Nein: 0, Enthaltung: 1)", fmt.Sprintf(`<dt>Ja</dt><dd><a href="/persons/%d">Anna Muster</a></dd>`, e.person["anna"]),
		fmt.Sprintf(`<dt>Enthaltung</dt><dd><a href="/persons/%d">Bert Muster</a></dd>`, e.person["bert"]), "<dt>Nein</dt><dd>–</dd>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the meeting page lacks %q", want)
		}
	}
	if strings.Contains(page, "Carl Muster") || strings.Contains(page, "abgelehnt") || strings.Contains(page, nonPublicTitle) {
		t.Error("the meeting page shows the non-public item's vote")
	}
}
