package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// Every read of non-public content by a signed-in viewer — member or
// staff — writes exactly one audit entry naming the object; reads of
// public content and refused anonymous requests write none.
func TestAuditNonPublicReads(t *testing.T) {
	e := newAnnEnv(t)
	ctx := context.Background()
	e.upload(e.doc, page1+" Geändert.", page2)
	e.upload(e.public, "Öffentliche Bekanntmachung. Die Sitzung ist öffentlich und beginnt um 18 Uhr.")

	// A second published meeting whose packet holds public pages only.
	pubMeet := &sessions.Meeting{OrganizationID: e.meet.OrganizationID, Name: "Öffentliche Sitzung", Start: time.Now().Add(72 * time.Hour)}
	must(t, e.st.CreateMeeting(ctx, pubMeet))
	open := &sessions.AgendaItem{MeetingID: pubMeet.ID, Number: "Ö 1", Title: "Bekanntmachung", Public: true}
	must(t, e.st.CreateAgendaItem(ctx, open))
	a := &sessions.Attachment{DocumentID: e.public, AgendaItemID: open.ID, Role: sessions.RoleAttachment, Title: "Bekanntmachung"}
	must(t, e.st.Attach(ctx, a))
	must(t, e.st.SetAttachmentPublic(ctx, a.ID, true))
	must(t, e.st.PublishMeeting(ctx, pubMeet.ID, time.Now().Add(-time.Hour)))

	reads := func() []*sessions.AuditEntry {
		es, err := e.st.FindAuditEntriesFor(ctx, sessions.AuditFilter{Limit: 100000})
		must(t, err)
		var out []*sessions.AuditEntry
		for _, x := range es {
			if strings.HasSuffix(x.Action, ".read_nonpublic") {
				out = append(out, x)
			}
		}
		return out
	}
	type route struct {
		name, action, objType string
		path                  func(id int64) string
		secret, public        int64 // objects: non-public and public
		anon                  int   // status of the anonymous request for secret
	}
	doc := func(f string) func(int64) string { return func(id int64) string { return fmt.Sprintf(f, id) } }
	routes := []route{
		{"file", "document.read_nonpublic", "document", doc("/api/v1/documents/%d/versions/2/file"), e.doc, e.public, 404},
		{"document page", "document.read_nonpublic", "document", doc("/documents/%d"), e.doc, e.public, 404},
		{"diff page", "document.read_nonpublic", "document", doc("/documents/%d/diff?from=1&to=2"), e.doc, e.public, 404},
		{"diff API", "document.read_nonpublic", "document", doc("/api/v1/documents/%d/diff?from=1&to=2"), e.doc, e.public, 404},
		{"annotated export", "document.read_nonpublic", "document", doc("/api/v1/documents/%d/versions/1/annotations.pdf"), e.doc, e.public, 401},
		{"packet", "packet.read_nonpublic", "meeting", doc("/api/v1/meetings/%d/packet.pdf"), e.meet.ID, pubMeet.ID, 200},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			before := len(reads())
			if s, _ := e.do("", "GET", rt.path(rt.secret), nil); s != rt.anon {
				t.Fatalf("anonymous: %d, want %d", s, rt.anon)
			}
			if n := len(reads()); n != before {
				t.Fatalf("anonymous request wrote %d entries", n-before)
			}
			for _, who := range []string{"anna", "clerk"} {
				if s, b := e.do(who, "GET", rt.path(rt.public), nil); s != 200 {
					t.Fatalf("%s, public: %d %.200s", who, s, b)
				}
				if n := len(reads()); n != before {
					t.Fatalf("%s: public read wrote %d entries", who, n-before)
				}
				if s, b := e.do(who, "GET", rt.path(rt.secret), nil); s != 200 {
					t.Fatalf("%s, non-public: %d %.200s", who, s, b)
				}
				es := reads()
				if len(es) != before+1 {
					t.Fatalf("%s: non-public read wrote %d entries, want 1", who, len(es)-before)
				}
				x := es[0] // newest first
				if x.Action != rt.action || x.ObjectType != rt.objType || x.ObjectID != rt.secret || x.AccountID == 0 || !strings.HasPrefix(x.Actor, who) || x.Details == "" {
					t.Fatalf("%s: entry %+v", who, x)
				}
				before++
			}
		})
	}
}
