package annotate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Reanchorer moves annotations to the current version of their document.
//
// It needs no signal from the upload: an annotation whose anchoring is for
// another version than its document's current one is stale, and that is a
// fact of the database. A new version (or a withdrawn one, which makes an
// older version current again) therefore makes annotations stale in the
// same transaction that commits it, and a crash at any point only delays
// the re-anchoring until the next run. The server runs it in the
// background and before it answers for a document's annotations.
type Reanchorer struct {
	store *Store
	docs  *documents.Store
	log   *slog.Logger
}

// NewReanchorer returns a Reanchorer of the annotations in store onto the
// versions in docs.
func NewReanchorer(store *Store, docs *documents.Store, log *slog.Logger) *Reanchorer {
	if log == nil {
		log = slog.Default()
	}
	return &Reanchorer{store: store, docs: docs, log: log}
}

// Document re-anchors the stale annotations of document docID and returns
// how many it moved.
func (r *Reanchorer) Document(ctx context.Context, docID int64) (int, error) {
	return r.run(ctx, docID)
}

// All re-anchors every stale annotation.
func (r *Reanchorer) All(ctx context.Context) (int, error) { return r.run(ctx, 0) }

// Run re-anchors every interval until ctx ends. With several app servers
// on one database, one of them does it in each round (sqldb.Exclusive).
func (r *Reanchorer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var n int
		if _, err := sqldb.Exclusive(ctx, r.store.db, "re-anchor", func(ctx context.Context) (err error) {
			n, err = r.All(ctx)
			return err
		}); err != nil && ctx.Err() == nil {
			r.log.Error("re-anchoring", "err", err)
		} else if n > 0 {
			r.log.Info("re-anchored annotations", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

const batch = 500

func (r *Reanchorer) run(ctx context.Context, docID int64) (int, error) {
	total := 0
	texts := map[[2]int64]*Text{}
	text := func(doc int64, n int) (*Text, error) {
		key := [2]int64{doc, int64(n)}
		if t, ok := texts[key]; ok {
			return t, nil
		}
		pages, err := r.docs.FindPages(ctx, doc, n)
		if err != nil {
			return nil, err
		}
		ps := make([]string, len(pages))
		for i, p := range pages {
			ps[i] = p.Text
		}
		t := NewText(ps)
		texts[key] = t
		return t, nil
	}
	for {
		rows, err := r.store.findStale(ctx, docID, batch)
		if err != nil {
			return total, err
		}
		if len(rows) == 0 {
			return total, nil
		}
		results := make([]reanchored, 0, len(rows))
		for _, st := range rows {
			a, err := st.row.annotation()
			if err != nil {
				return total, err
			}
			old, err := text(st.row.docID, st.row.version)
			if err != nil {
				return total, fmt.Errorf("re-anchor %s: %w", st.row.uuid, err)
			}
			cur, err := text(st.row.docID, st.current)
			if err != nil {
				return total, fmt.Errorf("re-anchor %s: %w", st.row.uuid, err)
			}
			res := reanchor(a, old, cur, st.current)
			res.account, res.uuid, res.revision = st.row.account, st.row.uuid, st.row.revision
			results = append(results, res)
		}
		if err := r.store.applyAnchorings(ctx, results); err != nil {
			return total, err
		}
		total += len(results)
		if len(rows) < batch {
			return total, nil
		}
	}
}

// reanchor computes where annotation a, whose target is on the version
// with text old, sits on version n with text cur. Highlights and notes
// with a quote are found by it (Text.Anchor); ink and point notes carry
// the quote of the text nearest to them, computed by the reader, and move
// with it; without one, they and bookmarks move with their page's text
// (Text.PageOf). Coordinates (points, strokes) stay as they were on the
// page; highlight rectangles are kept only where the page did not change.
func reanchor(a *Annotation, old, cur *Text, n int) reanchored {
	res := reanchored{from: a.Version}
	page := a.Page()
	var m Match
	q, hasQuote := a.Quote()
	if a.Version == n {
		m = Match{State: Anchored, Score: 1, Page: page}
		hasQuote = false
	} else if hasQuote {
		start, _, ok := a.Position()
		if !ok {
			start = -1
		}
		pageLen := 0
		if page >= 1 && page <= len(old.pages) {
			pageLen = len(old.pages[page-1].orig)
		}
		m = cur.Anchor(Quote{Exact: q.Exact, Prefix: q.Prefix, Suffix: q.Suffix, Page: page, Start: start, PageLen: pageLen})
	} else {
		m = cur.PageOf(old, page)
	}
	res.anchor = Anchoring{State: m.State, Version: n, Page: m.Page, Score: m.Score}
	res.start, res.end = m.Start, m.End
	if m.State == Orphaned {
		res.anchor.Page = 0
		return res
	}
	samePage := m.Page == page && page >= 1 && page <= len(old.pages) && page <= len(cur.pages) &&
		old.pages[page-1].norm == cur.pages[page-1].norm
	t := *a
	t.Target.Source = Source(a.DocumentID, n)
	t.Version = n
	t.Target.Selector = nil
	for _, s := range a.Target.Selector {
		switch s.Type {
		case FragmentSelector:
			s.Value = fmt.Sprintf("page=%d", m.Page)
		case TextQuoteSelector:
			if hasQuote {
				s.Exact, s.Prefix, s.Suffix = m.Exact, m.Prefix, m.Suffix
			}
		case TextPositionSelector:
			if hasQuote {
				start, end := m.Start, m.End
				s.Start, s.End = &start, &end
			}
		case RectSelector:
			if !samePage {
				continue
			}
		}
		t.Target.Selector = append(t.Target.Selector, s)
	}
	res.target = &t
	return res
}
