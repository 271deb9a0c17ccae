package annotate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
)

// bookmark is an annotation on page 1 of version 1 of document doc,
// shared with the author's faction if shared.
func bookmark(t *testing.T, doc int64, shared bool) *annotate.Annotation {
	t.Helper()
	share := ""
	if shared {
		share = `"ratsmappe:shared": "faction", `
	}
	return mustParse(t, fmt.Sprintf(`{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", %s
		"motivation": "bookmarking", "target": {"source": "/api/v1/documents/%d/versions/1",
		"selector": {"type": "FragmentSelector", "value": "page=1"}}}`, share, doc))
}

// oneDocument returns an annotation store on d with one document of one
// page.
func oneDocument(t *testing.T, d dbtest.Database) (*annotate.Store, int64) {
	t.Helper()
	db, upload := openDocuments(t, d)
	return annotate.NewStore(db, nil), upload(0, "Seite eins")
}

// A faction peer follows the changes feed: it sees what its peer shares,
// a tombstone when the sharing stops, and never a private annotation;
// the author sees its own. Read marks keep the highest version.
func TestChangesAndReads(t *testing.T) { dbtest.EachDatabase(t, testChangesAndReads) }

func testChangesAndReads(t *testing.T, d dbtest.Database) {
	ctx := context.Background()
	st, doc := oneDocument(t, d)
	const me, peer, stranger = 7, 8, 9
	shared, private := "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
	if _, _, err := st.Put(ctx, me, shared, bookmark(t, doc, true)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Put(ctx, me, private, bookmark(t, doc, false)); err != nil {
		t.Fatal(err)
	}
	asPeer := annotate.Reader{AccountID: peer, Peers: map[int64]string{me: "Anna"}}
	changes, next, more, err := st.Changes(ctx, asPeer, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].ID != annotate.ID(shared) || changes[0].Deleted || more {
		t.Fatalf("peer's changes: %+v (more %v)", changes, more)
	}
	if got, want := changes[0].Annotation.SharedBy.Name, "Anna"; got != want {
		t.Errorf("shared by %q, want %q", got, want)
	}
	// The author stops sharing: the peer gets a tombstone.
	if _, _, err := st.Put(ctx, me, shared, bookmark(t, doc, false)); err != nil {
		t.Fatal(err)
	}
	changes, _, _, err = st.Changes(ctx, asPeer, next, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || !changes[0].Deleted || changes[0].Annotation != nil {
		t.Fatalf("after unsharing, peer's changes: %+v", changes)
	}
	if list, err := st.FindByDocument(ctx, asPeer, doc); err != nil || len(list) != 0 {
		t.Errorf("peer sees %d annotations after unsharing, %v", len(list), err)
	}
	// A stranger sees nothing; the author both, in order.
	if changes, _, _, _ := st.Changes(ctx, annotate.Reader{AccountID: stranger}, 0, 10); len(changes) != 0 {
		t.Errorf("stranger sees %d changes", len(changes))
	}
	changes, _, _, err = st.Changes(ctx, annotate.Reader{AccountID: me}, 0, 1)
	if err != nil || len(changes) != 1 {
		t.Fatalf("author's first page: %d changes, %v", len(changes), err)
	}

	if err := st.SetRead(ctx, me, doc, 2); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRead(ctx, me, doc, 1); err != nil { // an older device
		t.Fatal(err)
	}
	reads, err := st.LastRead(ctx, me, []int64{doc, doc + 1})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := reads[doc]; !ok || r.Version != 2 || len(reads) != 1 {
		t.Errorf("last read = %+v, want version 2 of document %d only", reads, doc)
	}
}

// Devices of one member writing one annotation at the same moment each
// make a revision of their own, and the last write wins: SQLite
// serialises them by its one writer, PostgreSQL by the store's lock.
func TestConcurrentWrites(t *testing.T) { dbtest.EachDatabase(t, testConcurrentWrites) }

func testConcurrentWrites(t *testing.T, d dbtest.Database) {
	ctx := context.Background()
	st, doc := oneDocument(t, d)
	const me, n = 7, 6
	uuid := "00000000-0000-4000-8000-000000000001"
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := st.Put(ctx, me, uuid, bookmark(t, doc, i%2 == 0)); err != nil {
				t.Errorf("put: %v", err)
			}
		}()
	}
	wg.Wait()
	revs, err := st.Revisions(ctx, me, uuid)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(revs), n; got != want {
		t.Errorf("revisions = %d, want %d", got, want)
	}
	a, err := st.Find(ctx, me, uuid)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Revision, int64(n); got != want {
		t.Errorf("revision = %d, want %d", got, want)
	}
}
