package sessions_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// TestFoldersAgreeWithReads reads every meeting's folder for every viewer,
// all meetings at once, and compares each piece with what the single
// finders answer: the batch read model must neither show more nor less.
func TestFoldersAgreeWithReads(t *testing.T) { dbtest.Each(t, testFoldersAgreeWithReads) }

func testFoldersAgreeWithReads(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	same := func(where string, got, want []int64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: folder %v, finders %v", where, got, want)
		}
	}
	for _, shift := range []time.Duration{0, 2 * time.Hour} {
		c.clock.t = c.clock.t.Add(shift)
		for _, role := range roles {
			v := c.viewers[role]
			folders, err := c.store.FindFolders(ctx, v, append(c.meetingIDs, 1<<40))
			must(t, err)
			byID := map[int64]*sessions.Folder{}
			for _, f := range folders {
				byID[f.Meeting.ID] = f
			}
			for _, id := range c.meetingIDs {
				where := fmt.Sprintf("%s at +%v, meeting %d", role, shift, id)
				f := byID[id]
				_, items, err := c.store.FindAgenda(ctx, v, id)
				if (err == nil) != (f != nil) {
					t.Errorf("%s: folder %v, agenda %v", where, f != nil, err)
					continue
				}
				if f == nil {
					continue
				}
				if one, err := c.store.FindFolder(ctx, v, id); err != nil || len(one.Agenda) != len(f.Agenda) {
					t.Errorf("%s: FindFolder %v", where, err)
				}
				if len(items) != len(f.Agenda) {
					t.Fatalf("%s: %d items in the folder, %d on the agenda", where, len(f.Agenda), len(items))
				}
				for i, it := range items {
					fi := f.Agenda[i]
					if fi.ID != it.ID || fi.Access != it.Access || fi.Title != it.Title {
						t.Errorf("%s: item %d: folder %d %v %q, agenda %v %q", where, it.ID, fi.ID, fi.Access, fi.Title, it.Access, it.Title)
					}
					if it.Access != access.Full {
						if len(fi.Documents)+len(fi.Papers)+len(fi.Consultations) > 0 {
							t.Errorf("%s: stub %d has documents or papers", where, it.ID)
						}
						continue
					}
					as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{AgendaItemID: it.ID})
					must(t, err)
					same(where+": item attachments", docIDs(fi.Documents), attIDs(as))
					ps, err := c.store.FindPapersOfItem(ctx, v, it.ID)
					must(t, err)
					same(where+": papers", ids(fi.Papers, func(p *sessions.Paper) int64 { return p.ID }), ids(ps, func(p *sessions.Paper) int64 { return p.ID }))
					var cons []int64
					for _, p := range ps {
						cs, err := c.store.FindConsultations(ctx, v, p.ID)
						must(t, err)
						for _, k := range cs {
							if k.AgendaItemID == it.ID {
								cons = append(cons, k.ID)
							}
						}
					}
					slices.Sort(cons)
					same(where+": consultations", ids(fi.Consultations, func(k *sessions.Consultation) int64 { return k.ID }), cons)
				}
				as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{MeetingID: id})
				must(t, err)
				same(where+": meeting attachments", docIDs(f.Documents), attIDs(as))
				ms, err := c.store.FindMinutes(ctx, v, id)
				must(t, err)
				same(where+": minutes", ids(f.Minutes, func(m *sessions.FolderMinutes) int64 { return m.Minutes.ID }),
					ids(ms, func(m *sessions.Minutes) int64 { return m.ID }))
				for _, d := range f.Documents {
					if d.Version == nil {
						continue
					}
					if ok, err := c.store.CanSeeVersion(ctx, v, d.Attachment.DocumentID, d.Version.Number); err != nil || !ok {
						t.Errorf("%s: document %d version %d in the folder, refused: %v", where, d.Attachment.DocumentID, d.Version.Number, err)
					}
				}
			}
		}
	}
}

// TestPaperFolderAgreesWithReads holds FindPaperFolder, which reads a
// paper's page on facts loaded once, to the single reads it replaces: the
// paper, its consultations, their items and meetings, and the
// attachments of the paper and of those items, for every viewer, paper
// and a missing id, before and after the embargo.
func TestPaperFolderAgreesWithReads(t *testing.T) { dbtest.Each(t, testPaperFolderAgreesWithReads) }

func testPaperFolderAgreesWithReads(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	for _, shift := range []time.Duration{0, 2 * time.Hour} {
		c.clock.t = c.clock.t.Add(shift)
		for _, role := range roles {
			v := c.viewers[role]
			for _, id := range append(slices.Clone(c.paperIDs), 1<<40) {
				where := fmt.Sprintf("%s at +%v, paper %d", role, shift, id)
				pf, err := c.store.FindPaperFolder(ctx, v, id)
				p, perr := c.store.FindPaperByID(ctx, v, id)
				if (err == nil) != (perr == nil) || err != nil && ratsmappe.ErrorCode(err) != ratsmappe.ErrorCode(perr) {
					t.Errorf("%s: folder %v, read %v", where, err, perr)
					continue
				}
				if err != nil {
					continue
				}
				if pf.Paper.ID != p.ID || pf.Paper.Name != p.Name {
					t.Errorf("%s: folder's paper %+v, read %+v", where, pf.Paper, p)
				}
				cs, err := c.store.FindConsultations(ctx, v, id)
				must(t, err)
				if got, want := ids(pf.Consultations, func(k *sessions.PaperConsultation) int64 { return k.ID }),
					ids(cs, func(k *sessions.Consultation) int64 { return k.ID }); !slices.Equal(got, want) {
					t.Errorf("%s: consultations %v, read %v", where, got, want)
				}
				as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{PaperID: id})
				must(t, err)
				if got, want := docIDs(pf.Documents), attIDs(as); !slices.Equal(got, want) {
					t.Errorf("%s: documents %v, read %v", where, got, want)
				}
				for _, k := range pf.Consultations {
					it, err := c.store.FindAgendaItemByID(ctx, v, k.AgendaItemID)
					must(t, err)
					if k.Item.ID != it.ID || k.Item.Title != it.Title || k.Item.Number != it.Number || k.Item.Access != it.Access {
						t.Errorf("%s: item %+v, read %+v", where, k.Item.AgendaItem, it)
					}
					m, err := c.store.FindMeetingByID(ctx, v, it.MeetingID)
					must(t, err)
					if k.Meeting.ID != m.ID || !k.Meeting.Start.Equal(m.Start) {
						t.Errorf("%s: meeting %d, read %d", where, k.Meeting.ID, m.ID)
					}
					as, err := c.store.FindAttachments(ctx, v, sessions.AttachmentTarget{AgendaItemID: it.ID})
					must(t, err)
					if got, want := docIDs(k.Item.Documents), attIDs(as); !slices.Equal(got, want) {
						t.Errorf("%s: item %d's documents %v, read %v", where, it.ID, got, want)
					}
				}
			}
		}
	}
}

func attIDs(as []*sessions.Attachment) []int64 {
	return ids(as, func(a *sessions.Attachment) int64 { return a.ID })
}

func docIDs(ds []*sessions.FolderDocument) []int64 {
	return ids(ds, func(d *sessions.FolderDocument) int64 { return d.Attachment.ID })
}
