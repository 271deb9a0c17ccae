package web_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// The start page's news are the ten newest documents a citizen may see
// that have a current version, newest first — also when more than 200
// newer documents that citizens may not see hide them (the papers of
// meetings still to come, at a city's scale), and skipping a document whose only
// version was withdrawn.
func TestStartPageNews(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	attach := func(item, doc int64, public bool) {
		t.Helper()
		a := &sessions.Attachment{AgendaItemID: item, DocumentID: doc}
		must(t, e.st.Attach(ctx, a))
		if public {
			must(t, e.st.SetAttachmentPublic(ctx, a.ID, true))
		}
	}
	public := []int64{e.doc}
	for i := range 12 {
		d := e.upload(t, 0, fmt.Sprintf("Öffentlich %d", i))
		attach(e.item, d, true)
		public = append(public, d)
	}
	withdrawn := public[len(public)-2]
	must(t, e.docs.Withdraw(ctx, withdrawn, 1))
	// Newer than all of them, more than the 200 newest documents the
	// page once looked at: a draft meeting's public item with public
	// documents, and non-public documents of the published item.
	draft := &sessions.AgendaItem{MeetingID: e.draft, Number: "Ö 1", Title: "Entwurf", Public: true}
	must(t, e.st.CreateAgendaItem(ctx, draft))
	for i := range 105 {
		attach(draft.ID, e.upload(t, 0, fmt.Sprintf("Entwurf %d", i)), true)
		attach(e.item, e.upload(t, 0, fmt.Sprintf("Intern %d", i)), false)
	}

	var want []string
	for _, d := range slices.Backward(public) {
		if d != withdrawn && len(want) < 10 {
			want = append(want, fmt.Sprint(d))
		}
	}
	_, body := e.fetch(t, "/")
	_, news, _ := strings.Cut(body, `id="h-news"`)
	news, _, _ = strings.Cut(news, "</section>")
	var got []string
	for _, m := range regexp.MustCompile(`href="/documents/(\d+)"`).FindAllStringSubmatch(news, -1) {
		got = append(got, m[1])
	}
	if !slices.Equal(got, want) {
		t.Errorf("news %v, want %v", got, want)
	}
}
