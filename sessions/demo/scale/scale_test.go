package scale_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/demo/scale"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// TestGenerate makes a small city (200 meetings) on each database and
// reads it through the store: what the generator wrote must be what the
// store would have written, the publication ledger above all.
func TestGenerate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
		dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
		dbtest.Migrate(t, db, "changes", changes.Migrations(), changes.PostgresMigrations())
		st := sessions.NewStore(db, func() time.Time { return now })
		// A city that exists already, with a member whose account signs in.
		body := &sessions.Body{Name: "Isarstadt"}
		must(t, st.CreateBody(ctx, body))
		member := &sessions.Person{BodyID: body.ID, GivenName: "Anna", FamilyName: "Berger"}
		must(t, st.CreatePerson(ctx, member))
		must(t, st.SeedLedger(ctx)) // as every start of the app does
		blobs, err := fsblob.Open(t.TempDir())
		must(t, err)

		var progress []int
		opt := scale.Options{Years: 1, Seed: 7, Now: now, BodyID: body.ID, Members: []int64{member.ID}, MeetingsPerYear: 200, Batch: 64,
			Blobs: blobs, Progress: func(done, total int) { progress = append(progress, done) }}
		res, err := scale.Generate(ctx, db, opt)
		must(t, err)
		if got, want := progress, []int{64, 128, 192, 200}; !slices.Equal(got, want) {
			t.Errorf("progress %v, want %v", got, want)
		}
		for table, want := range map[string]int{"meetings": res.Meetings, "agenda_items": res.AgendaItems, "papers": res.Papers,
			"consultations": res.Consultations, "documents": res.Documents, "versions": res.Versions, "pages": res.Pages,
			"attachments": res.Attachments, "minutes": res.Minutes, "exclusions": res.Exclusion, "ledger_versions_pending": 0} {
			if got := count(t, db, "SELECT COUNT(*) FROM "+table); got != want {
				t.Errorf("%s: %d rows, result says %d", table, got, want)
			}
		}
		if res.Meetings != 200 || res.Papers < 1000 || res.Versions < 2*res.Papers || res.Exclusion == 0 {
			t.Errorf("not a city's year: %+v", res)
		}
		for _, b := range scale.Blobs() {
			if _, err := blobs.Stat(ctx, b.Key); err != nil {
				t.Errorf("shared PDF of %d pages: %v", b.Pages, err)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM versions WHERE sha256 NOT IN (?, ?, ?, ?)`, keys()...); n != 0 {
			t.Errorf("%d versions name no shared PDF", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM documents d WHERE (SELECT COUNT(*) FROM versions v WHERE v.document_id = d.id AND v.state = 'active') <> 1`); n != 0 {
			t.Errorf("%d documents without exactly one active version", n)
		}

		// The citizen's meeting list is the published meetings; the
		// member's adds nothing (drafts are the office's), the office's
		// all.
		published := count(t, db, `SELECT COUNT(*) FROM meetings WHERE published_at <= ?`, now.Format(time.RFC3339))
		citizen, err := st.FindMeetings(ctx, access.Viewer{}, sessions.MeetingFilter{})
		must(t, err)
		if len(citizen) != published || published == 0 || published == res.Meetings {
			t.Errorf("citizen sees %d meetings, %d of %d published", len(citizen), published, res.Meetings)
		}
		office, err := st.FindMeetings(ctx, access.Viewer{Role: access.RoleClerk}, sessions.MeetingFilter{})
		must(t, err)
		if len(office) != res.Meetings {
			t.Errorf("office sees %d meetings of %d", len(office), res.Meetings)
		}
		// A published meeting with non-public items where the member
		// has a seat: the member reads them, the citizen a stub.
		var meetingID int64
		must(t, db.QueryRowContext(ctx, `SELECT m.id FROM meetings m JOIN memberships s ON s.organization_id = m.organization_id AND s.person_id = ?
			WHERE m.published_at <= ? AND EXISTS (SELECT 1 FROM agenda_items i WHERE i.meeting_id = m.id AND i.public = 0 AND i.withdrawn_at IS NULL)
			ORDER BY m.id LIMIT 1`, member.ID, now.Format(time.RFC3339)).Scan(&meetingID))
		anna, err := st.ViewerFor(ctx, access.Viewer{Role: access.RoleMember, PersonID: member.ID, Name: "anna"})
		must(t, err)
		_, mine, err := st.FindAgenda(ctx, anna, meetingID)
		must(t, err)
		_, theirs, err := st.FindAgenda(ctx, access.Viewer{}, meetingID)
		must(t, err)
		if len(mine) != len(theirs) {
			t.Fatalf("member sees %d items, citizen %d", len(mine), len(theirs))
		}
		var stubs int
		for i := range mine {
			if mine[i].Access != access.Full {
				t.Errorf("member: %s is %v", mine[i].Number, mine[i].Access)
			}
			if theirs[i].Access == access.Stub {
				stubs++
				if theirs[i].Title == mine[i].Title {
					t.Errorf("citizen reads the real title of %s", theirs[i].Number)
				}
			}
		}
		if stubs == 0 {
			t.Error("citizen sees no stub")
		}

		// The ledger: what the store computes from the same rows when
		// it seeds a ledger (SeedLedger) is public now exactly where the
		// generator's rows say, and the embargoes still to come are the
		// same rows.
		types := []string{access.ObjMeeting, access.ObjLocation, access.ObjAgendaItem, access.ObjPaper, access.ObjConsultation, access.ObjAttachment, access.ObjMinutes}
		generated := publicNow(t, st, types)
		pending := future(t, db)
		// The OParl lists of the public read the ledger's candidates and
		// ask the rule: every page deep into the list agrees.
		papers := publicList(t, st, sessions.ListPapers, body.ID)
		if want := slices.Sorted(maps.Keys(generated[access.ObjPaper])); !slices.Equal(papers, want) {
			t.Errorf("OParl paper list has %d papers, the ledger %d public", len(papers), len(want))
		}
		if len(papers) == 0 || len(papers) == res.Papers {
			t.Errorf("%d of %d papers public", len(papers), res.Papers)
		}
		must2(db.ExecContext(ctx, `DELETE FROM ledger WHERE kind IN ('public', 'seed')`))
		must(t, st.SeedLedger(ctx))
		seeded := publicNow(t, st, types)
		for _, typ := range types {
			t.Logf("%s: %d public now", typ, len(generated[typ]))
		}
		t.Logf("%+v; %d embargo rows", *res, len(pending))
		for _, typ := range types {
			g, s := generated[typ], seeded[typ]
			if !maps.Equal(g, s) {
				t.Errorf("%s: generated ledger has %d public, the store's %d", typ, len(g), len(s))
			}
			if len(g) == 0 {
				t.Errorf("%s: none public", typ)
			}
		}
		if got := future(t, db); !slices.Equal(got, pending) || len(pending) == 0 {
			t.Errorf("embargoes: generated %d rows, the store %d", len(pending), len(got))
		}

		// The store creates rows after the generator's without a
		// collision (PostgreSQL: identities advanced), consultations too.
		m := &sessions.Meeting{OrganizationID: office[0].OrganizationID, Name: "Sondersitzung", Start: now.AddDate(0, 0, 3)}
		must(t, st.CreateMeeting(ctx, m))
		it := &sessions.AgendaItem{MeetingID: m.ID, Title: "Haushalt", Public: true}
		must(t, st.CreateAgendaItem(ctx, it))
		p := &sessions.Paper{BodyID: body.ID, Reference: "2026/S1", Name: "Haushaltssatzung"}
		must(t, st.CreatePaper(ctx, p))
		must(t, st.Consult(ctx, &sessions.Consultation{PaperID: p.ID, AgendaItemID: it.ID}))
	})
}

func keys() []any {
	var out []any
	for _, b := range scale.Blobs() {
		out = append(out, b.Key)
	}
	return out
}

func publicNow(t *testing.T, st *sessions.Store, types []string) map[string]map[int64]bool {
	t.Helper()
	out := map[string]map[int64]bool{}
	for _, typ := range types {
		sts, err := st.LedgerStatuses(context.Background(), typ, nil)
		must(t, err)
		out[typ] = map[int64]bool{}
		for id, s := range sts {
			if s.Public {
				out[typ][id] = true
			}
		}
	}
	return out
}

// future lists the public transitions still to come.
func future(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT object_type, object_id, at, public FROM ledger WHERE kind = 'public' AND at > ? ORDER BY object_type, object_id, at`,
		now.Format(time.RFC3339))
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, at string
		var id, pub int64
		must(t, rows.Scan(&typ, &id, &at, &pub))
		out = append(out, fmt.Sprint(typ, id, at, pub))
	}
	must(t, rows.Err())
	return out
}

// publicList reads a public list page by page, 50 a page.
func publicList(t *testing.T, st *sessions.Store, l sessions.PublicList, body int64) []int64 {
	t.Helper()
	var ids []int64
	f := sessions.PublicListFilter{BodyID: body, Limit: 50}
	for {
		page, more, err := st.FindPublicPage(context.Background(), l, f)
		must(t, err)
		for _, r := range page {
			ids = append(ids, r.ID)
			f.After = r.Key
		}
		if !more {
			return ids
		}
	}
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	must(t, db.QueryRow(q, args...).Scan(&n))
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func must2(_ sql.Result, err error) {
	if err != nil {
		panic(err)
	}
}

// TestSameSeedSameCity: the same options on two empty databases give
// the same rows.
func TestSameSeedSameCity(t *testing.T) {
	ctx := context.Background()
	dump := func() string {
		db := dbtest.Open(t, "sqlite")
		dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
		dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
		_, err := scale.Generate(ctx, db, scale.Options{Years: 1, Seed: 3, Now: now, MeetingsPerYear: 30})
		must(t, err)
		var s string
		must(t, db.QueryRow(`SELECT (SELECT group_concat(name || start || COALESCE(published_at, ''), '|') FROM meetings)
			|| (SELECT group_concat(reference || name, '|') FROM papers)
			|| (SELECT group_concat(text, '|') FROM pages)
			|| (SELECT group_concat(at || object_type || object_id || public, '|') FROM ledger)`).Scan(&s))
		return s
	}
	if a, b := dump(), dump(); a != b || len(a) < 10000 {
		t.Errorf("two cities of seed 3 differ (%d and %d bytes)", len(a), len(b))
	}
}
