package web_test

import (
	"context"
	"fmt"
	"net/http"
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
		ranged                bool  // served with ranges and HEAD, which count too
	}
	doc := func(f string) func(int64) string { return func(id int64) string { return fmt.Sprintf(f, id) } }
	routes := []route{
		{"file", "document.read_nonpublic", "document", doc("/api/v1/documents/%d/versions/2/file"), e.doc, e.public, 404, true},
		{"document page", "document.read_nonpublic", "document", doc("/documents/%d"), e.doc, e.public, 404, false},
		{"diff page", "document.read_nonpublic", "document", doc("/documents/%d/diff?from=1&to=2"), e.doc, e.public, 404, false},
		{"diff API", "document.read_nonpublic", "document", doc("/api/v1/documents/%d/diff?from=1&to=2"), e.doc, e.public, 404, false},
		{"annotated export", "document.read_nonpublic", "document", doc("/api/v1/documents/%d/versions/1/annotations.pdf"), e.doc, e.public, 401, false},
		{"packet", "packet.read_nonpublic", "meeting", doc("/api/v1/meetings/%d/packet.pdf"), e.meet.ID, pubMeet.ID, 200, true},
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
				if !rt.ranged {
					continue
				}
				// A HEAD and a range in the middle are reads too: one
				// entry each, as for the whole file; of public ones none.
				for _, c := range []struct{ method, rng string }{{"HEAD", ""}, {"GET", "bytes=5-9"}, {"GET", "bytes=0-3"}} {
					for _, pub := range []bool{true, false} {
						id := rt.secret
						if pub {
							id = rt.public
						}
						req, _ := http.NewRequest(c.method, e.srv.URL+rt.path(id), nil)
						req.Header.Set("Authorization", "Bearer "+e.tokens[who])
						if c.rng != "" {
							req.Header.Set("Range", c.rng)
						}
						resp, err := http.DefaultClient.Do(req)
						must(t, err)
						resp.Body.Close()
						if want := map[string]int{"": 200, "bytes=5-9": 206, "bytes=0-3": 206}[c.rng]; resp.StatusCode != want {
							t.Fatalf("%s %s %s (public %v): %d, want %d", who, c.method, c.rng, pub, resp.StatusCode, want)
						}
						want := before
						if !pub {
							want++
						}
						if es := reads(); len(es) != want {
							t.Fatalf("%s %s %q (public %v): %d entries, want %d", who, c.method, c.rng, pub, len(es)-before, want-before)
						} else if !pub && (es[0].Action != rt.action || es[0].ObjectID != rt.secret) {
							t.Fatalf("%s %s %q: entry %+v", who, c.method, c.rng, es[0])
						}
						before = want
					}
				}
			}
		})
	}
}
