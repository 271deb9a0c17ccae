package web_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

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

// The anonymous start page's news, organizations and body's name are
// remembered between uncached requests (portal's homeParts), under the
// public cache's view: every publication, depublication, new document and
// change of a title or a name shows in the very next uncached start page,
// and so does the end of an embargo, which is no write at all.
func TestStartPageFollowsChanges(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	n := 0
	news := func() string {
		t.Helper()
		n++
		r, body := e.fetch(t, fmt.Sprintf("/?nocache=%d", n))
		if r.StatusCode != 200 || r.Header.Get("X-Cache") != "miss" {
			t.Fatalf("start page: %d, X-Cache %q", r.StatusCode, r.Header.Get("X-Cache"))
		}
		_, s, _ := strings.Cut(body, `id="h-news"`)
		s, _, _ = strings.Cut(s, "</section>")
		return s
	}
	page := func() string {
		t.Helper()
		n++
		r, body := e.fetch(t, fmt.Sprintf("/?nocache=%d", n))
		if r.StatusCode != 200 || r.Header.Get("X-Cache") != "miss" {
			t.Fatalf("start page: %d, X-Cache %q", r.StatusCode, r.Header.Get("X-Cache"))
		}
		return body
	}
	shows := func(when, title string, want bool) {
		t.Helper()
		for range 2 { // the walk, then what is remembered
			if got := strings.Contains(news(), title); got != want {
				t.Fatalf("%s: news show %q: %v, want %v", when, title, got, want)
			}
		}
	}

	shows("published", "Vorlage Radweg", true)
	must(t, e.st.SetAttachmentPublic(ctx, e.attachment, false))
	shows("attachment made non-public", "Vorlage Radweg", false)
	must(t, e.st.SetAttachmentPublic(ctx, e.attachment, true))
	shows("attachment made public", "Vorlage Radweg", true)
	must(t, e.st.UnpublishMeeting(ctx, e.published))
	shows("meeting unpublished", "Vorlage Radweg", false)
	must(t, e.st.PublishMeeting(ctx, e.published, e.clock.Now().Add(-time.Minute)))
	shows("meeting published", "Vorlage Radweg", true)
	must(t, e.st.WithdrawAgendaItem(ctx, e.item))
	shows("item withdrawn", "Vorlage Radweg", false)

	// A new public document of the embargoed meeting: not before the
	// embargo ends, then at once, without a write.
	it := &sessions.AgendaItem{MeetingID: e.embargoed, Number: "Ö 1", Title: "Spielplatz Süd", Public: true}
	must(t, e.st.CreateAgendaItem(ctx, it))
	a := &sessions.Attachment{AgendaItemID: it.ID, DocumentID: e.upload(t, 0, "Vorlage Spielplatz")}
	must(t, e.st.Attach(ctx, a))
	must(t, e.st.SetAttachmentPublic(ctx, a.ID, true))
	shows("embargoed", "Vorlage Spielplatz", false)
	e.clock.Add(e.embargoEnd.Sub(e.clock.Now()) - time.Second)
	shows("a second before the embargo's end", "Vorlage Spielplatz", false)
	e.clock.Add(time.Second)
	shows("embargo ended", "Vorlage Spielplatz", true)

	// A title changed beside the stores (another process, an import).
	_, err := e.db.ExecContext(ctx, `UPDATE documents SET title = 'Vorlage Bolzplatz' WHERE id = ?`, a.DocumentID)
	must(t, err)
	shows("title changed", "Vorlage Bolzplatz", true)

	// The committees listed and the body's name.
	page()
	_, err = e.db.ExecContext(ctx, `UPDATE organizations SET name = 'Verkehrsausschuss' WHERE id = ?`, e.org)
	must(t, err)
	_, err = e.db.ExecContext(ctx, `UPDATE bodies SET name = 'Stadt Neuhausen'`)
	must(t, err)
	for range 2 {
		if b := page(); !strings.Contains(b, "Verkehrsausschuss") || strings.Contains(b, "Bauausschuss") || !strings.Contains(b, "Stadt Neuhausen") {
			t.Fatalf("organization and body renamed: not shown")
		}
	}
}
