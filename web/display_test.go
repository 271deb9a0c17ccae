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

// The chamber display is the public's view whoever opens it: a published
// meeting shows its page (the script then follows the stream without
// credentials), an unpublished one is missing even for the office, and
// the page names no non-public item.
func TestChamberDisplayIsThePublicView(t *testing.T) {
	e := newLiveEnv(t)
	draft := &sessions.Meeting{OrganizationID: 1, Name: "Entwurfssitzung", Start: time.Now().Add(48 * time.Hour)}
	must(t, e.st.CreateMeeting(context.Background(), draft))
	get := func(who string, id int64) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", fmt.Sprintf("%s/meetings/%d/display", e.srv.URL, id), nil)
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
			t.Fatalf("display as %q: %d\n%s", who, status, body)
		}
		if strings.Contains(body, nonPublicTitle) {
			t.Errorf("display as %q names the non-public item", who)
		}
		if status, _ := get(who, draft.ID); status != 404 {
			t.Errorf("display of an unpublished meeting as %q: %d, want 404", who, status)
		}
	}
	if status, _ := get("", 999999); status != 404 {
		t.Errorf("display of a missing meeting: %d, want 404", status)
	}
}
