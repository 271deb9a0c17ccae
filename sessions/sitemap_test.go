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

// The sitemap lists exactly the meetings and papers the public sees now:
// an embargoed meeting appears when its embargo ends and leaves when it is
// unpublished, and a chunk without a public object is not listed.
func TestSitemap(t *testing.T) { dbtest.Each(t, testSitemap) }

func testSitemap(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	anon := c.viewers["anonymous"]
	sitemap := func(typ string) []int64 {
		t.Helper()
		chunks, err := c.store.FindSitemapChunks(ctx, typ)
		must(t, err)
		var ids []int64
		for _, ch := range chunks {
			es, err := c.store.FindSitemapChunk(ctx, typ, ch)
			must(t, err)
			if len(es) == 0 {
				t.Errorf("%s: chunk %d listed but empty", typ, ch)
			}
			for _, e := range es {
				if e.ID < ch*sessions.SitemapChunk || e.ID >= (ch+1)*sessions.SitemapChunk {
					t.Errorf("%s %d in chunk %d", typ, e.ID, ch)
				}
				if e.Modified.IsZero() {
					t.Errorf("%s %d: no modified time", typ, e.ID)
				}
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	check := func(when string) {
		t.Helper()
		ms, err := c.store.FindMeetings(ctx, anon, sessions.MeetingFilter{})
		must(t, err)
		var want []int64
		for _, m := range ms {
			want = append(want, m.ID)
		}
		slices.Sort(want)
		if got := sitemap(access.ObjMeeting); !slices.Equal(got, want) {
			t.Errorf("%s: sitemap meetings %v, the public sees %v", when, got, want)
		}
		refs, _, err := c.store.FindPublicPage(ctx, sessions.ListPapers, sessions.PublicListFilter{Limit: 1000})
		must(t, err)
		want = nil
		for _, r := range refs {
			want = append(want, r.ID)
		}
		if len(want) == 0 {
			t.Fatalf("%s: the council has no public paper to list", when)
		}
		if got := sitemap(access.ObjPaper); !slices.Equal(got, want) {
			t.Errorf("%s: sitemap papers %v, the public list %v", when, got, want)
		}
	}
	check("before the embargo")
	if slices.Contains(sitemap(access.ObjMeeting), c.embargoed) {
		t.Errorf("embargoed meeting in the sitemap")
	}
	c.clock.t = c.clock.t.Add(time.Hour)
	check("after the embargo")
	if !slices.Contains(sitemap(access.ObjMeeting), c.embargoed) {
		t.Errorf("meeting missing from the sitemap after its embargo")
	}
	must(t, c.store.UnpublishMeeting(ctx, c.embargoed))
	check("after unpublishing")
	if slices.Contains(sitemap(access.ObjMeeting), c.embargoed) {
		t.Errorf("unpublished meeting in the sitemap")
	}
	if _, err := c.store.FindSitemapChunks(ctx, "person"); err == nil {
		t.Errorf("a sitemap of persons: no error")
	}
}
