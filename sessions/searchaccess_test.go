package sessions_test

import (
	"context"
	"database/sql"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The index can never disagree with the policy: for every document state
// of the visibility table and every role, the Access its search records
// carry admits the role's search viewer exactly when DocumentAccess says
// Full — now, and after the embargoes end, both with the Access computed
// again and with the one computed before, as long as it claims to be
// still exact.
func TestSearchAccessAgreesWithPolicy(t *testing.T) { dbtest.Each(t, testSearchAccessAgreesWithPolicy) }

func testSearchAccessAgreesWithPolicy(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	// A former member of the Bauausschuss (left before the meeting) and a
	// future one (joins after it): neither is an insider of its meeting.
	bodies, err := c.store.FindBodies(ctx)
	must(t, err)
	orgs, err := c.store.FindOrganizations(ctx, sessions.OrganizationFilter{})
	must(t, err)
	var bau int64
	for _, o := range orgs {
		if o.Name == "Bauausschuss" {
			bau = o.ID
		}
	}
	member := func(name, start, end string) access.Viewer {
		p := &sessions.Person{BodyID: bodies[0].ID, GivenName: name, FamilyName: "Beispiel"}
		must(t, c.store.CreatePerson(ctx, p))
		must(t, c.store.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: bau, StartDate: start, EndDate: end}))
		return accountViewer(t, c.store, c.db, &accounts.Account{Name: name, Role: access.RoleMember, PersonID: p.ID})
	}
	viewers := map[string]access.Viewer{}
	for k, v := range c.viewers {
		viewers[k] = v
	}
	viewers["former member"] = member("dora", "2020-01-01", "2026-03-11")
	viewers["future member"] = member("emil", "2026-03-13", "")
	viewers["member on the meeting's day"] = member("fritz", "2026-03-12", "2026-03-12")
	viewers["member account without person"] = access.Viewer{AccountID: 99, Role: access.RoleMember}

	start := c.clock.t
	computed := map[string]search.Access{}
	until := map[string]time.Time{}
	for _, shift := range []time.Duration{0, 2 * time.Hour, 72 * time.Hour} {
		c.clock.t = start.Add(shift)
		now := c.clock.t
		for name, id := range c.docs {
			acc, next, err := c.store.SearchAccess(ctx, id)
			must(t, err)
			if !next.IsZero() && !next.After(now) {
				t.Errorf("%s at +%v: next change %v is not in the future", name, shift, next)
			}
			old, hadOld := computed[name]
			stillExact := hadOld && (until[name].IsZero() || until[name].After(now))
			for role, v := range viewers {
				want, err := c.store.DocumentAccess(ctx, v, id)
				must(t, err)
				sv := access.SearchViewer(v)
				if got := acc.Allows(sv, now); got != (want == access.Full) {
					t.Errorf("%s / %s at +%v: index allows %v, policy says %v (access %+v)", name, role, shift, got, want, acc)
				}
				if stillExact {
					if got := old.Allows(sv, now); got != (want == access.Full) {
						t.Errorf("%s / %s at +%v: access computed earlier allows %v, policy says %v (access %+v, exact until %v)", name, role, shift, got, want, old, until[name])
					}
				}
			}
			computed[name], until[name] = acc, next
		}
	}
}

// Records are the pages of the current version only; a document without
// an active version, or without a row, has none.
func TestSearchRecords(t *testing.T) { dbtest.Each(t, testSearchRecords) }

func testSearchRecords(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	recs, _, err := c.store.SearchRecords(ctx, c.versioned)
	must(t, err)
	if len(recs) != 1 || recs[0].Version != 3 || recs[0].Page != 1 {
		t.Fatalf("records of the versioned document: %+v, want page 1 of version 3", recs)
	}
	r := recs[0]
	if r.Committee != "Bauausschuss" || r.Meeting != "Öffentlich" || r.Reference != "2026/0001" || r.Date.IsZero() {
		t.Errorf("record shows committee %q, meeting %q, reference %q, date %v", r.Committee, r.Meeting, r.Reference, r.Date)
	}
	if len(r.Access.Principals) != 1 || r.Access.Principals[0] != search.Public {
		t.Errorf("public document: access %+v", r.Access)
	}
	recs, _, err = c.store.SearchRecords(ctx, c.versionedNonPublic)
	must(t, err)
	if len(recs) != 1 || recs[0].Version != 2 {
		t.Fatalf("records of the non-public document: %+v", recs)
	}
	// Only Anna: Clara is excluded from the item, Bernd is in another
	// committee.
	if got := recs[0].Access.Principals; len(got) != 1 || got[0] != search.Person(c.persons["Anna"]) {
		t.Errorf("non-public document: principals %v, want Anna's", got)
	}
	if got, want := recs[0].Reference, "2026/0002"; got != want {
		t.Errorf("non-public document names paper %q, want %q (Anna sees it)", got, want)
	}
	for _, id := range []int64{c.docs["public doc"], 999999} {
		recs, _, err := c.store.SearchRecords(ctx, id)
		must(t, err)
		if len(recs) != 0 {
			t.Errorf("document %d without an active version has records %+v", id, recs)
		}
	}
}

// The indexer reads search records a batch at a time: every document of
// a batch gets exactly the records, Access and next change it gets when
// read alone — while embargoes run and after they end — and the batch
// costs a fixed number of queries, not a round trip per document.
func TestSearchDocumentsAsAlone(t *testing.T) { dbtest.Each(t, testSearchDocumentsAsAlone) }

func testSearchDocumentsAsAlone(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	// Every document of the visibility table gets a current version with
	// a page, so that each is decided (a document without one has no
	// records, whatever its links).
	hash := strings.Repeat("ab", 32)
	for _, id := range c.allDocs {
		var n int
		must(t, db.QueryRow(`SELECT COUNT(*) FROM versions WHERE document_id = ? AND state = 'active'`, id).Scan(&n))
		if n > 0 {
			continue
		}
		_, err := db.Exec(`INSERT INTO versions (document_id, number, sha256, size, original_sha256, original_size, file_name, pages, state, uploader, created_at, state_changed_at)
			VALUES (?, 1, ?, 1, ?, 1, 'x.pdf', 1, 'active', 'test', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, id, hash, hash)
		must(t, err)
		_, err = db.Exec(`INSERT INTO pages (document_id, version, number, width, height, text) VALUES (?, 1, 1, 595, 842, 'Radweg')`, id)
		must(t, err)
	}
	ids := append(slices.Clone(c.allDocs), 999999) // and one that does not exist
	counted, queries := dbtest.Counting(t, db)
	batchStore := sessions.NewStore(counted, c.clock.now)
	start := c.clock.t
	for _, shift := range []time.Duration{0, 2 * time.Hour, 72 * time.Hour} {
		c.clock.t = start.Add(shift)
		before := queries.Load()
		docs, err := batchStore.SearchDocuments(ctx, ids)
		must(t, err)
		if n := queries.Load() - before; n > maxSearchDocumentsQueries {
			t.Errorf("at +%v: %d documents took %d queries, want at most %d", shift, len(ids), n, maxSearchDocumentsQueries)
		}
		if len(docs) != len(ids) {
			t.Fatalf("at +%v: %d documents for %d ids", shift, len(docs), len(ids))
		}
		decided := 0
		for i, id := range ids {
			recs, next, err := c.store.SearchRecords(ctx, id)
			must(t, err)
			d := docs[i]
			if d.ID != id || !reflect.DeepEqual(d.Records, recs) || !d.Next.Equal(next) {
				t.Errorf("at +%v: document %d in a batch: %d %+v next %v; alone: %+v next %v", shift, id, d.ID, d.Records, d.Next, recs, next)
			}
			if len(recs) > 0 && len(recs[0].Access.Principals) > 0 {
				decided++
			}
		}
		if decided < 5 {
			t.Errorf("at +%v: only %d documents have an audience; the comparison proves little", shift, decided)
		}
	}
}

// maxSearchDocumentsQueries bounds the queries of one SearchDocuments,
// however many documents it reads — the pages with their documents, the
// links, the policy graph, memberships, organizations and papers:
// fifteen when every kind of link occurs, as in the visibility table's
// council.
const maxSearchDocumentsQueries = 15
