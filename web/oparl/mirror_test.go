package oparl_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/oparltest"
)

// TestOParlMirror is the importer's view of issue 12: a client that syncs
// with modified_since (oparltest.Mirror) after the office unpublishes a
// meeting, withdraws an agenda item and makes a file non-public — and
// after it republishes and makes the file public again — holds exactly
// what a fresh full crawl holds. Objects that were never public answer
// 404, never a deleted stub.
func TestOParlMirror(t *testing.T) {
	e := newOParlServer(t)
	ctx := context.Background()
	st := e.sessions
	anon, staff := access.Viewer{}, access.Viewer{Role: access.RoleClerk}
	mirror := &oparltest.Mirror{System: e.base + "/system"}
	sync := func(when string) {
		t.Helper()
		oparlMust(t, mirror.Sync(ctx))
		fresh, err := oparltest.Crawl(ctx, nil, e.base+"/system")
		oparlMust(t, err)
		if len(fresh) < 100 {
			t.Fatalf("%s: a fresh crawl holds only %d objects", when, len(fresh))
		}
		if d := oparltest.Diff(mirror.Objects, fresh); len(d) > 0 {
			if len(d) > 10 {
				d = append(d[:10], "…")
			}
			t.Fatalf("%s: the mirror differs from a fresh crawl:\n%s", when, strings.Join(d, "\n"))
		}
	}
	sync("first sync")

	// The meeting to unpublish: public, with a location, minutes and a
	// consultation on its agenda — everything a meeting takes along.
	ms, err := st.FindMeetings(ctx, anon, sessions.MeetingFilter{})
	oparlMust(t, err)
	var meeting *sessions.Meeting
	var other []*sessions.Meeting
	for _, m := range ms {
		mins, err := st.FindMinutes(ctx, anon, m.ID)
		oparlMust(t, err)
		if meeting == nil && m.Location != "" && len(mins) > 0 {
			meeting = m
			continue
		}
		other = append(other, m)
	}
	if meeting == nil || len(other) == 0 {
		t.Fatal("the demo has no public meeting with location and public minutes, or no second one")
	}
	// The item to withdraw and the file to hide, in another meeting.
	var item *sessions.AgendaItem
	var file *sessions.Attachment
	for _, m := range other {
		_, items, err := st.FindAgenda(ctx, anon, m.ID)
		oparlMust(t, err)
		for _, it := range items {
			as, err := st.FindAttachments(ctx, anon, sessions.AttachmentTarget{AgendaItemID: it.ID})
			oparlMust(t, err)
			if len(as) == 0 {
				continue
			}
			if item == nil {
				item = it
			} else if file == nil {
				file = as[0]
			}
		}
	}
	if item == nil || file == nil {
		t.Fatal("the demo has no two public items with public files")
	}

	oparlMust(t, st.UnpublishMeeting(ctx, meeting.ID))
	oparlMust(t, st.WithdrawAgendaItem(ctx, item.ID))
	oparlMust(t, st.SetAttachmentPublic(ctx, file.ID, false))
	sync("after unpublish, withdraw, non-public")
	for _, typ := range []string{"Meeting", "AgendaItem", "Consultation", "File", "Location"} {
		if mirror.Deleted[typ] == 0 {
			t.Errorf("the sync met no deleted %s (met %v)", typ, mirror.Deleted)
		}
	}
	// The stubs at their own URLs.
	for _, u := range []string{e.base + "/meeting/" + id(meeting.ID), e.base + "/location/" + id(meeting.ID),
		e.base + "/agendaItem/" + id(item.ID), e.base + "/file/" + id(file.ID)} {
		o, resp := getJSON(t, u)
		if resp.StatusCode != http.StatusOK || o["deleted"] != true || o["modified"] == nil || o["created"] == nil {
			t.Errorf("GET %s: %d %v, want a deleted stub", u, resp.StatusCode, o)
		}
	}

	oparlMust(t, st.PublishMeeting(ctx, meeting.ID, time.Time{}))
	oparlMust(t, st.SetAttachmentPublic(ctx, file.ID, true))
	sync("after republishing")
	if o, _ := getJSON(t, e.base+"/meeting/"+id(meeting.ID)); o["deleted"] != nil || o["name"] == nil {
		t.Errorf("republished meeting: %v", o)
	}

	// Never public: a draft meeting, its items, and a non-public file of
	// a public item answer 404 like a missing id — no stub says they exist.
	all, err := st.FindMeetings(ctx, staff, sessions.MeetingFilter{})
	oparlMust(t, err)
	var never []string
	for _, m := range all {
		if !m.PublishedAt.IsZero() {
			_, items, err := st.FindAgenda(ctx, staff, m.ID)
			oparlMust(t, err)
			for _, it := range items {
				if !it.Public || it.Withdrawn() {
					continue
				}
				as, err := st.FindAttachments(ctx, staff, sessions.AttachmentTarget{AgendaItemID: it.ID})
				oparlMust(t, err)
				for _, a := range as {
					if !a.Public && !a.Withdrawn() && a.ID != file.ID {
						never = append(never, e.base+"/file/"+id(a.ID))
					}
				}
			}
			continue
		}
		never = append(never, e.base+"/meeting/"+id(m.ID), e.base+"/location/"+id(m.ID))
		_, items, err := st.FindAgenda(ctx, staff, m.ID)
		oparlMust(t, err)
		for _, it := range items {
			never = append(never, e.base+"/agendaItem/"+id(it.ID))
		}
	}
	if len(never) < 3 {
		t.Fatalf("the demo has too few never-public objects: %v", never)
	}
	for _, u := range never {
		resp, body := get(t, u)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "deleted") {
			t.Errorf("never public %s: %d %s", u, resp.StatusCode, body)
		}
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }
