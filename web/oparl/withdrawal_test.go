package oparl_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/web"
	"github.com/ratsmappe/ratsmappe/web/oparltest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A mirror that syncs with modified_since gets a withdrawn version's
// File back at the version before it, also when the withdrawal falls in a
// later second than everything else the File and its meeting show: the
// File serves the current version, and the withdrawal changes which one
// that is. The reference model failed so (issue 12): minutes published in
// one second, a sync in the next, their current version withdrawn after
// it — the mirror kept the withdrawn version's checksum, size and text,
// in the File and in its meeting's resultsProtocol. The clock is set, so
// the second boundary falls where the model's steps once put it.
func TestOParlMirrorFollowsAWithdrawnVersion(t *testing.T) {
	dbtest.Each(t, testOParlMirrorFollowsAWithdrawnVersion)
}

func testOParlMirrorFollowsAWithdrawnVersion(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	oparlMust(t, schema.Migrate(ctx, db))
	now := time.Date(2026, 3, 10, 12, 0, 0, 500_000_000, time.UTC)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	st := sessions.NewStore(db, clock)
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(),
		Ingester: demotest.CopyIngester{Dir: dir}, Now: clock})
	h, err := web.NewServer(web.Config{Documents: svc, Sessions: st, DB: db, Logger: slog.New(slog.DiscardHandler), TempDir: dir})
	oparlMust(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	body := &sessions.Body{Name: "Stadt Musterstadt"}
	oparlMust(t, st.CreateBody(ctx, body))
	org := &sessions.Organization{BodyID: body.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	oparlMust(t, st.CreateOrganization(ctx, org))
	meeting := &sessions.Meeting{OrganizationID: org.ID, Name: "Sitzung", Start: now.Add(24 * time.Hour)}
	oparlMust(t, st.CreateMeeting(ctx, meeting))
	item := &sessions.AgendaItem{MeetingID: meeting.ID, Number: "Ö 1", Title: "Bericht", Public: true}
	oparlMust(t, st.CreateAgendaItem(ctx, item))
	oparlMust(t, st.PublishMeeting(ctx, meeting.ID, time.Time{}))
	// A document in two versions of different sizes, the second current.
	contents := []string{"%PDF-1.4 Entwurf", "%PDF-1.4 Fassung des Ausschusses"}
	twoVersions := func(name string) int64 {
		t.Helper()
		var id int64
		for i, c := range contents {
			p := filepath.Join(dir, "upload.pdf")
			oparlMust(t, os.WriteFile(p, []byte(c), 0o644))
			u := documents.Upload{Path: p, FileName: name + ".pdf", Title: name, Kind: documents.KindAttachment, Uploader: "amt"}
			if i == 0 {
				a, err := svc.AddDocument(ctx, u)
				oparlMust(t, err)
				id = a.Document.ID
			} else if _, err := svc.AddVersion(ctx, id, u); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	minutesDoc, itemDoc := twoVersions("Niederschrift"), twoVersions("Bericht")
	mi := &sessions.Minutes{MeetingID: meeting.ID, DocumentID: minutesDoc, Public: true}
	oparlMust(t, st.CreateMinutes(ctx, mi))
	oparlMust(t, st.SetMinutesState(ctx, mi.ID, sessions.MinutesApproved))
	oparlMust(t, st.SetMinutesState(ctx, mi.ID, sessions.MinutesPublished))
	att := &sessions.Attachment{DocumentID: itemDoc, AgendaItemID: item.ID}
	oparlMust(t, st.Attach(ctx, att))
	oparlMust(t, st.SetAttachmentPublic(ctx, att.ID, true))

	mirror := &oparltest.Mirror{System: srv.URL + "/oparl/v1/system", Now: clock}
	sync := func(when string) {
		t.Helper()
		oparlMust(t, mirror.Sync(ctx))
		fresh, err := oparltest.Crawl(ctx, nil, mirror.System)
		oparlMust(t, err)
		if d := oparltest.Diff(mirror.Objects, fresh); len(d) > 0 {
			t.Fatalf("%s: the mirror differs from a fresh crawl:\n%s", when, strings.Join(d, "\n"))
		}
	}
	now = now.Add(400 * time.Millisecond) // 12:00:00.9
	sync("first sync")
	now = now.Add(300 * time.Millisecond) // 12:00:01.2: the next sync asks from 12:00:01
	sync("second sync")
	now = now.Add(300 * time.Millisecond) // 12:00:01.5
	oparlMust(t, svc.Withdraw(ctx, minutesDoc, 2))
	oparlMust(t, svc.Withdraw(ctx, itemDoc, 2))
	now = now.Add(300 * time.Millisecond) // 12:00:01.8
	sync("after withdrawing the current versions")
	// The first version again (the copying ingester's one page names the
	// size), not only the same answer as the crawl.
	for _, id := range []string{fmt.Sprintf("%s/oparl/v1/meeting/%d/protocol/%d", srv.URL, meeting.ID, mi.ID), fmt.Sprintf("%s/oparl/v1/file/%d", srv.URL, att.ID)} {
		if got, want := mirror.Objects[id]["size"], float64(len(contents[0])); got != want {
			t.Errorf("the mirror's %s after the withdrawal has size %v, want %v (the first version's)", id, got, want)
		}
	}
}
