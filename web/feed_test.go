package web_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// The documents' Atom feed lists the hundred newest documents a citizen
// may see on the agenda items of the last six months' meetings, newest
// version first — also when more than a hundred newer documents citizens
// may not see hide them (a draft meeting's public ones, non-public ones of
// the published meeting), without a document whose only version was
// withdrawn or whose attachment was made non-public again, with a new
// version of the oldest document at the top, and without the documents
// of a meeting that started more than six months ago (the feed's bound).
// An organization's feed lists only its meetings' documents.
func TestDocumentsFeed(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	attach := func(item, doc int64, public bool) int64 {
		t.Helper()
		a := &sessions.Attachment{AgendaItemID: item, DocumentID: doc}
		must(t, e.st.Attach(ctx, a))
		if public {
			must(t, e.st.SetAttachmentPublic(ctx, a.ID, true))
		}
		return a.ID
	}
	// publicItem is a public item of a new meeting of org, published an
	// hour ago, starting at start.
	publicItem := func(org int64, start time.Time) int64 {
		t.Helper()
		m := &sessions.Meeting{OrganizationID: org, Name: "Sitzung", Start: start, Location: "Rathaus"}
		must(t, e.st.CreateMeeting(ctx, m))
		it := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Bericht", Public: true}
		must(t, e.st.CreateAgendaItem(ctx, it))
		must(t, e.st.PublishMeeting(ctx, m.ID, now.Add(-time.Hour)))
		return it.ID
	}

	docs := []int64{e.doc}
	atts := []int64{e.attachment}
	for i := range 110 {
		d := e.upload(t, 0, fmt.Sprintf("Öffentlich %d", i))
		docs = append(docs, d)
		atts = append(atts, attach(e.item, d, true))
	}
	withdrawn, private := docs[100], docs[101]
	must(t, e.docs.Withdraw(ctx, withdrawn, 1))
	must(t, e.st.SetAttachmentPublic(ctx, atts[101], false))
	// Newer than all of them: a draft meeting's public item with public
	// documents, non-public documents of the published item.
	draft := &sessions.AgendaItem{MeetingID: e.draft, Number: "Ö 1", Title: "Entwurf", Public: true}
	must(t, e.st.CreateAgendaItem(ctx, draft))
	for i := range 60 {
		attach(draft.ID, e.upload(t, 0, fmt.Sprintf("Entwurf %d", i)), true)
		attach(e.item, e.upload(t, 0, fmt.Sprintf("Intern %d", i)), false)
	}
	// A meeting seven months ago, and another organization's.
	attach(publicItem(e.org, now.AddDate(0, -7, 0)), e.upload(t, 0, "Alt"), true)
	other := &sessions.Organization{BodyID: 1, Name: "Kulturausschuss", Classification: sessions.ClassCommittee}
	must(t, e.st.CreateOrganization(ctx, other))
	otherDoc := e.upload(t, 0, "Kultur")
	attach(publicItem(other.ID, now.Add(24*time.Hour)), otherDoc, true)
	e.upload(t, docs[0], "Neu gefasst")

	entry := func(doc int64, version int) string { return fmt.Sprintf("document-%d-v%d", doc, version) }
	bauausschuss := []string{entry(docs[0], 2)}
	for _, d := range slices.Backward(docs[1:]) {
		if d != withdrawn && d != private {
			bauausschuss = append(bauausschuss, entry(d, 1))
		}
	}
	council := append([]string{bauausschuss[0], entry(otherDoc, 1)}, bauausschuss[1:99]...)
	for path, want := range map[string][]string{
		"/feeds/documents.atom":                                   council,
		fmt.Sprintf("/organizations/%d/documents.atom", e.org):    bauausschuss[:100],
		fmt.Sprintf("/organizations/%d/documents.atom", other.ID): {entry(otherDoc, 1)},
	} {
		resp, body := e.fetch(t, path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		var got []string
		for _, m := range regexp.MustCompile(`<id>tag:[^,]+,2026:(document-\d+-v\d+)</id>`).FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d entries %v,\nwant %d %v", path, len(got), got, len(want), want)
		}
	}
}
