package sessions

import (
	"context"
	"fmt"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
)

// The sitemap's entries: the meetings and papers the public sees, read by
// ranges of ids. A sitemap file may hold at most 50,000 URLs
// (sitemaps.org), and a city's archive holds hundreds of thousands of
// papers; so the portal serves a sitemap index whose files each cover a
// range of SitemapChunk ids, and a search engine's fetch of one file
// costs one range however large the archive is. The anonymous viewer's
// rule is the public lists' (publicQueries): there is still one decider.

// SitemapChunk is how many ids one sitemap file covers.
const SitemapChunk = 10000

// SitemapEntry is a public object of a sitemap file and when it last
// changed as the public sees it.
type SitemapEntry struct {
	ID       int64
	Modified time.Time
}

// sitemapTypes are the object types with a sitemap of their own.
var sitemapTypes = map[string]bool{access.ObjMeeting: true, access.ObjPaper: true}

// sitemapQuery returns the public list query of typ and its condition
// for the public objects of one chunk: keys from ?1 up to ?4 (exclusive),
// ?2 now and ?3 the anonymous viewer's seats, as publicQueries bind them.
func sitemapQuery(typ string) (publicQuery, string, error) {
	if !sitemapTypes[typ] {
		return publicQuery{}, "", fmt.Errorf("sitemap: unknown object type %q", typ)
	}
	q := publicQueries[typ]
	return q, q.key + ` >= ?1 AND ` + q.key + ` < ?4 AND (` + q.visible + `)`, nil
}

// FindSitemapChunks returns the numbers of the chunks (ids chunk ×
// SitemapChunk up to the next chunk) that hold at least one object of
// type typ (access.ObjMeeting or access.ObjPaper) the public sees now.
func (s *Store) FindSitemapChunks(ctx context.Context, typ string) ([]int64, error) {
	q, inChunk, err := sitemapQuery(typ)
	if err != nil {
		return nil, err
	}
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(`+q.key+`), 0) FROM `+q.from).Scan(&last); err != nil {
		return nil, fmt.Errorf("sitemap %s: %w", typ, err)
	}
	now := ts(s.now())
	var out []int64
	for c := int64(0); c*SitemapChunk <= last; c++ {
		var found bool
		err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+q.from+` WHERE `+inChunk+`)`,
			c*SitemapChunk, now, "[]", (c+1)*SitemapChunk).Scan(&found)
		if err != nil {
			return nil, fmt.Errorf("sitemap %s: %w", typ, err)
		}
		if found {
			out = append(out, c)
		}
	}
	return out, nil
}

// FindSitemapChunk returns the objects of type typ the public sees now
// in chunk c, in id order, each with the later of its own modification
// and its last entry into the public view.
func (s *Store) FindSitemapChunk(ctx context.Context, typ string, c int64) ([]SitemapEntry, error) {
	q, inChunk, err := sitemapQuery(typ)
	if err != nil {
		return nil, err
	}
	type row struct {
		id       int64
		modified string
	}
	rows, err := queryAll(ctx, s.db, func(sc interface{ Scan(...any) error }) (row, error) {
		var r row
		err := sc.Scan(&r.id, &r.modified)
		return r, err
	}, `SELECT `+q.id+`, `+q.modified+` FROM `+q.from+` WHERE `+inChunk+` ORDER BY `+q.key,
		c*SitemapChunk, ts(s.now()), "[]", (c+1)*SitemapChunk)
	if err != nil {
		return nil, fmt.Errorf("sitemap %s: %w", typ, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	touched, err := s.PublicTouchedAll(ctx, typ, ids)
	if err != nil {
		return nil, err
	}
	out := make([]SitemapEntry, len(rows))
	for i, r := range rows {
		m := parseTS(r.modified)
		if t := touched[r.id]; t.After(m) {
			m = t
		}
		out[i] = SitemapEntry{ID: r.id, Modified: m}
	}
	return out, nil
}
