package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// addDeputy adds Vera, a deputy (Stellvertreterin) with a member account
// ("vera") who is no member of the council, and returns her person.
func (e *liveEnv) addDeputy() int64 {
	e.t.Helper()
	ctx := context.Background()
	p := &sessions.Person{BodyID: 1, GivenName: "Vera", FamilyName: "Vertreterin"}
	must(e.t, e.st.CreatePerson(ctx, p))
	a := &accounts.Account{Name: "vera", DisplayName: "Vera Vertreterin", Role: access.RoleMember, PersonID: p.ID}
	must(e.t, e.acc.CreateAccount(ctx, a, ""))
	_, tok, err := e.acc.CreateAPIToken(ctx, a.ID, "test")
	must(e.t, err)
	e.tokens["vera"], e.person["vera"] = tok, p.ID
	return p.ID
}

// A deputy sitting for a member gets that member's view of the meeting
// for the duration of the session, on every channel, because every
// channel asks the rule: before the start and after the end the
// non-public item's document answers exactly like a missing one; while
// the session runs the deputy reads it, its title is on the meeting's
// API, page and reader manifest and in the live stream — unless the
// deputy is excluded from the item themselves. The exclusion of the
// member they sit for does not reach them.
func TestDeputyGetsTheMembersViewForTheSession(t *testing.T) {
	e := newLiveEnv(t)
	ctx := context.Background()
	vera := e.addDeputy()
	// A document on the non-public item.
	f := filepath.Join(t.TempDir(), "lageplan.pdf")
	must(t, os.WriteFile(f, []byte("%PDF-1.4 Lageplan"), 0o644))
	added, err := e.docs.AddDocument(ctx, documents.Upload{Path: f, FileName: "lageplan.pdf", Title: "Lageplan", Kind: documents.KindAttachment, Uploader: "amt"})
	must(t, err)
	must(t, e.st.Attach(ctx, &sessions.Attachment{AgendaItemID: e.nonPublic, DocumentID: added.Document.ID}))
	file := fmt.Sprintf("/api/v1/documents/%d/versions/1/file", added.Document.ID)
	an := &annEnv{t: t, srv: e.srv, tokens: e.tokens}
	_, missing := an.do("vera", "GET", "/api/v1/documents/999999/versions/1/file", nil)

	sees := func(when string, want bool) {
		t.Helper()
		code, body := an.do("vera", "GET", file, nil)
		if (code == 200) != want || (!want && string(body) != string(missing)) {
			t.Fatalf("%s: the deputy's read of the non-public document answers %d %q, want visible=%v", when, code, body, want)
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/meetings/%d", e.meeting), fmt.Sprintf("/meetings/%d", e.meeting),
			fmt.Sprintf("/api/v1/reader/meetings/%d/manifest", e.meeting)} {
			code, body := an.do("vera", "GET", path, nil)
			if code != 200 {
				t.Fatalf("%s: %s answers %d", when, path, code)
			}
			if got := strings.Contains(string(body), nonPublicTitle); got != want {
				t.Fatalf("%s: %s shows the non-public item's title: %v, want %v", when, path, got, want)
			}
		}
	}
	stream := e.follow("vera")
	stream.until(t, "vera", `"running":false`)

	// Checked in as deputy for anna before the start: no view yet.
	e.want(200, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/attendance/%d", e.meeting, vera), map[string]any{"status": "present", "substitute_for": e.person["anna"]})
	sees("before the start", false)

	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)
	sees("running", true)
	e.want(204, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/current", e.meeting), map[string]any{"item": e.nonPublic})
	stream.until(t, "vera", `"running":true`, nonPublicTitle)

	// Anna's exclusion is hers; Vera's own one counts.
	must(t, e.st.AddExclusion(ctx, e.nonPublic, e.person["anna"], "Befangenheit"))
	sees("anna excluded", true)
	must(t, e.st.AddExclusion(ctx, e.nonPublic, vera, "Befangenheit"))
	sees("vera excluded", false)
	must(t, e.st.RemoveExclusion(ctx, e.nonPublic, vera))
	sees("vera's exclusion lifted", true)

	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/end", e.meeting), nil)
	sees("after the end", false)
	stream.until(t, "vera", `"running":false`, sessions.StubTitle)
	if last := stream.all[len(stream.all)-1]; strings.Contains(last, nonPublicTitle) {
		t.Fatalf("after the end the deputy's stream still shows the non-public item: %s", last)
	}
}

// A check-in from the tablet is a request: the deputy who checks in for
// a member sees nothing more until the office confirms it with the
// attendance; a member cannot check in to a seat that is not theirs.
func TestCheckInNeedsTheOfficesConfirmation(t *testing.T) {
	e := newLiveEnv(t)
	vera := e.addDeputy()
	item := fmt.Sprintf("/meetings/%d", e.meeting) // the agenda, with the non-public item in full or as its stub
	checkin := fmt.Sprintf("/meetings/%d/checkin", e.meeting)
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/start", e.meeting), nil)

	e.want(401, "", "", "POST", checkin, map[string]any{})
	e.want(400, "not_a_seat", "vera", "POST", checkin, map[string]any{}) // no seat of her own
	e.want(400, "not_a_seat", "bert", "POST", checkin, map[string]any{"substitute_for": e.person["bert"]})
	e.want(202, "", "anna", "POST", checkin, map[string]any{})
	e.want(202, "", "vera", "POST", checkin, map[string]any{"substitute_for": e.person["bert"]})

	att := e.want(200, "", "clerk", "GET", fmt.Sprintf("/meetings/%d/attendance", e.meeting), nil)
	if got := fmt.Sprint(att["checkins"]); !strings.Contains(got, "Vera Vertreterin") || len(att["checkins"].([]any)) != 2 {
		t.Fatalf("check-ins: %s", got)
	}
	if q := att["quorum"].(map[string]any); q["present"].(float64) != 0 {
		t.Fatalf("a check-in counted for the quorum: %v", q)
	}
	if out := e.want(200, "", "vera", "GET", item, nil); strings.Contains(fmt.Sprint(out), nonPublicTitle) {
		t.Fatalf("a deputy's check-in alone shows the non-public item: %v", out)
	}

	// The office confirms: the request is answered, the view begins.
	e.want(200, "", "clerk", "PUT", fmt.Sprintf("/meetings/%d/attendance/%d", e.meeting, vera), map[string]any{"status": "present", "substitute_for": e.person["bert"]})
	att = e.want(200, "", "clerk", "GET", fmt.Sprintf("/meetings/%d/attendance", e.meeting), nil)
	if got := att["checkins"].([]any); len(got) != 1 {
		t.Fatalf("check-ins after the confirmation: %v", got)
	}
	if out := e.want(200, "", "vera", "GET", item, nil); !strings.Contains(fmt.Sprint(out), nonPublicTitle) {
		t.Fatalf("the confirmed deputy does not see the non-public item: %v", out)
	}
	e.want(409, "already_present", "vera", "POST", checkin, map[string]any{"substitute_for": e.person["bert"]})
	e.want(200, "", "clerk", "POST", fmt.Sprintf("/meetings/%d/end", e.meeting), nil)
	e.want(409, "ended", "anna", "POST", checkin, map[string]any{})
}
