package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// The chamber display and the livestream overlay are the public's view
// whoever opens them: a published meeting shows its page (the script then
// follows the stream without credentials), an unpublished one is missing
// even for the office, and the page names no non-public item.
func TestChamberDisplayIsThePublicView(t *testing.T) {
	e := newLiveEnv(t)
	draft := &sessions.Meeting{OrganizationID: 1, Name: "Entwurfssitzung", Start: time.Now().Add(48 * time.Hour)}
	must(t, e.st.CreateMeeting(context.Background(), draft))
	for _, page := range []string{"display", "overlay"} {
		publicLivePage(t, e, page, draft.ID)
	}
}

func publicLivePage(t *testing.T, e *liveEnv, page string, draft int64) {
	t.Helper()
	get := func(who string, id int64) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", fmt.Sprintf("%s/meetings/%d/%s", e.srv.URL, id, page), nil)
		must(t, err)
		if who != "" {
			req.Header.Set("Authorization", "Bearer "+e.tokens[who])
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, who := range []string{"", "clerk", "anna"} {
		status, body := get(who, e.meeting)
		if status != 200 || !strings.Contains(body, "Ratssitzung") || !strings.Contains(body, "display.js") || !strings.Contains(body, `data-meeting="`) {
			t.Fatalf("%s as %q: %d\n%s", page, who, status, body)
		}
		if strings.Contains(body, nonPublicTitle) {
			t.Errorf("%s as %q names the non-public item", page, who)
		}
		if status, _ := get(who, draft); status != 404 {
			t.Errorf("%s of an unpublished meeting as %q: %d, want 404", page, who, status)
		}
	}
	if status, _ := get("", 999999); status != 404 {
		t.Errorf("%s of a missing meeting: %d, want 404", page, status)
	}
	if status, body := get("", e.meeting); page == "overlay" && (status != 200 || !strings.Contains(body, `data-mode="overlay"`)) {
		t.Errorf("the overlay is not in overlay mode: %d", status)
	}
}
