package sessions_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// The candidate query that lets refused documents answer as fast as
// missing ones is a necessary condition of the rule: for every viewer and
// every document of the council — before and after the embargo passes —
// whatever DocumentAccess shows is a candidate, and papers the rule shows
// are still found. A document nobody may see is no candidate for anyone
// but staff. The walk newest first (NewestDocumentCandidates, the start
// page's) says for each document what the single one says.
func TestCandidatesCoverTheRule(t *testing.T) { dbtest.Each(t, testCandidatesCoverTheRule) }

func testCandidatesCoverTheRule(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	// Documents a citizen may see by more than one link: the walk lists
	// each once, also where its links fill a batch.
	for _, name := range []string{"public doc", "public paper doc"} {
		for _, a := range []*sessions.Attachment{{AgendaItemID: c.itemPublic}, {MeetingID: c.published}} {
			a.DocumentID = c.docs[name]
			must(t, c.store.Attach(ctx, a))
			must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
		}
	}
	for _, step := range []string{"now", "after the embargo"} {
		if step != "now" {
			c.clock.t = c.clock.t.Add(2 * time.Hour)
		}
		for _, role := range roles {
			v := c.viewers[role]
			// The walk (NewestDocumentCandidates, in batches of two,
			// each from the last) answers for each document what the
			// single one does, newest first.
			var listed []int64
			for before := int64(0); ; {
				batch, err := c.store.NewestDocumentCandidates(ctx, v, before, 2)
				if err != nil {
					t.Fatal(err)
				}
				listed = append(listed, batch...)
				if len(batch) < 2 {
					break
				}
				before = batch[len(batch)-1]
			}
			ids := append(slices.Clone(c.allDocs), 999999)
			slices.Reverse(ids)
			var want []int64
			for _, id := range ids {
				acc, err := c.store.DocumentAccess(ctx, v, id)
				if err != nil {
					t.Fatal(err)
				}
				cand, err := c.store.DocumentCandidate(ctx, v, id)
				if err != nil {
					t.Fatal(err)
				}
				if cand {
					want = append(want, id)
				}
				if id != 999999 && acc == access.Full && !cand {
					t.Errorf("%s, %s: document %d is visible but no candidate", step, role, id)
				}
				if id == 999999 && cand {
					t.Errorf("%s, %s: a missing document is a candidate", step, role)
				}
			}
			if !slices.Equal(listed, want) {
				t.Errorf("%s, %s: NewestDocumentCandidates = %v, DocumentCandidate says %v", step, role, listed, want)
			}
		}
	}
	// Candidates narrow: for a citizen, the non-public documents are none.
	anon := c.viewers["anonymous"]
	if cand, _ := c.store.DocumentCandidate(ctx, anon, c.versionedNonPublic); cand {
		t.Errorf("a non-public document is a candidate for a citizen")
	}
}

// The feed's walk (NewestItemDocuments) lists every document the folders
// show a viewer on an agenda item, newest current version first, with
// that version's time; for a citizen it lists exactly those. A window
// that starts after every meeting lists none.
func TestNewestItemDocumentsCoverTheFolders(t *testing.T) {
	dbtest.Each(t, testNewestItemDocumentsCoverTheFolders)
}

func testNewestItemDocumentsCoverTheFolders(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	type shown struct{ item, doc int64 }
	for _, step := range []string{"now", "after the embargo"} {
		if step != "now" {
			c.clock.t = c.clock.t.Add(2 * time.Hour)
		}
		for _, role := range roles {
			v := c.viewers[role]
			walk, err := c.store.NewestItemDocuments(ctx, v, sessions.ItemDocumentFilter{}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			listed := map[shown]time.Time{}
			for i, d := range walk {
				listed[shown{d.AgendaItemID, d.DocumentID}] = d.Created
				if i > 0 && d.Created.After(walk[i-1].Created) {
					t.Errorf("%s, %s: document %d (%v) after an older one", step, role, d.DocumentID, d.Created)
				}
			}
			folders, err := c.store.FindFolders(ctx, v, c.meetingIDs)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range folders {
				for _, fi := range f.Agenda {
					for _, d := range fi.Documents {
						if d.Version == nil {
							continue
						}
						n++
						at, ok := listed[shown{fi.ID, d.Attachment.DocumentID}]
						if !ok {
							t.Errorf("%s, %s: document %d on item %d is shown but not walked", step, role, d.Attachment.DocumentID, fi.ID)
						} else if !at.Equal(d.Version.Created) {
							t.Errorf("%s, %s: document %d walked at %v, its current version is of %v", step, role, d.Attachment.DocumentID, at, d.Version.Created)
						}
					}
				}
			}
			if role == "anonymous" && len(walk) != n {
				t.Errorf("%s: a citizen's walk has %d documents, the folders show %d", step, len(walk), n)
			}
		}
	}
	late, err := c.store.NewestItemDocuments(ctx, access.Viewer{}, sessions.ItemDocumentFilter{From: c.clock.t.AddDate(1, 0, 0)}, 1000)
	if err != nil || len(late) != 0 {
		t.Errorf("a window after every meeting: %v, %v", late, err)
	}
}
