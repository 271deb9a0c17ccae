package alerts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// ledgerTime is the ledger's time layout (access/ledger.go): text order is
// time order.
const ledgerTime = "2006-01-02T15:04:05.000000000Z07:00"

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// Run processes the ledger every interval (and sweeps expired
// subscriptions) until ctx is done; it logs failures and goes on.
func (s *Store) Run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.opt.Log.Error("alerts: sweep", "err", err)
		}
		if _, err := s.Process(ctx); err != nil && ctx.Err() == nil {
			s.opt.Log.Error("alerts: process", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Process turns the public transitions of the ledger that took effect
// since the last run, up to now minus the lag, into one digest per
// confirmed subscription that has something new, and returns how many
// it enqueued. Committee and saved-search subscriptions have a cursor
// each, so a search index that cannot answer holds back only the latter.
// For each, the digests and the advanced cursor are one transaction: a
// run that fails enqueues nothing, and the next one covers its window.
// The first run starts a cursor at its window's end: a new installation
// does not alert about its whole history.
func (s *Store) Process(ctx context.Context) (int, error) {
	committees, err := s.process(ctx, cursorCommittee)
	searches, serr := s.process(ctx, cursorSearch)
	return committees + searches, errors.Join(err, serr)
}

// The worker's cursors on the ledger.
const (
	cursorCommittee = "committee"
	cursorSearch    = "search"
)

func (s *Store) process(ctx context.Context, cursor string) (int, error) {
	now := s.opt.Now()
	until := now.Add(-s.opt.Lag).UTC()
	var since string
	err := s.db.QueryRowContext(ctx, `SELECT until FROM alert_cursors WHERE name = ?`, cursor).Scan(&since)
	if errors.Is(err, sql.ErrNoRows) {
		_, err := s.db.ExecContext(ctx, `INSERT INTO alert_cursors (name, until) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			cursor, until.Format(ledgerTime))
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("alerts: cursor: %w", err)
	}
	from, err := time.Parse(time.RFC3339Nano, since)
	if err != nil {
		return 0, fmt.Errorf("alerts: cursor %q: %w", since, err)
	}
	if !until.After(from) {
		return 0, nil
	}
	entries, err := access.Entries(ctx, s.db, access.KindPublic, from, until)
	if err != nil {
		return 0, err
	}
	items, err := s.items(ctx, entries, from)
	if err != nil {
		return 0, err
	}
	var subs []*Subscription
	if len(items) > 0 { // else the cursor just moves on
		if subs, err = s.confirmed(ctx, cursor == cursorSearch); err != nil {
			return 0, err
		}
	}
	type digest struct {
		sub   *Subscription
		items []item
	}
	var digests []digest
	found := map[string]map[int64]bool{} // documents each saved search finds
	for _, sub := range subs {
		var mine []item
		if sub.OrganizationID != 0 {
			for _, it := range items {
				if slices.Contains(it.Orgs, sub.OrganizationID) {
					mine = append(mine, it)
				}
			}
		} else if s.opt.Search != nil && hasDocuments(items) {
			docs, ok := found[sub.Query]
			if !ok {
				if docs, err = s.searchDocuments(ctx, sub.Query, now); err != nil {
					return 0, err
				}
				found[sub.Query] = docs
			}
			for _, it := range items {
				if it.Document != 0 && docs[it.Document] {
					mine = append(mine, it)
				}
			}
		}
		if len(mine) > 0 {
			digests = append(digests, digest{sub, mine})
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("alerts: %w", err)
	}
	defer tx.Rollback()
	// The cursor moves only from where this run read: a concurrent run
	// that got there first makes this one enqueue nothing.
	res, err := tx.ExecContext(ctx, `UPDATE alert_cursors SET until = ? WHERE name = ? AND until = ?`, until.Format(ledgerTime), cursor, since)
	if err != nil {
		return 0, fmt.Errorf("alerts: cursor: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, nil
	}
	enqueued := 0
	for _, d := range digests {
		var nonce []byte
		// Unsubscribed meanwhile: no mail.
		err := tx.QueryRowContext(ctx, `SELECT nonce FROM alert_subscriptions WHERE id = ? AND confirmed_at IS NOT NULL`, d.sub.ID).Scan(&nonce)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("alerts: %w", err)
		}
		target, err := s.Describe(ctx, d.sub)
		if err != nil {
			return 0, err
		}
		msg := s.digest(d.sub, s.token(nonce), target, d.items)
		msg.Key = fmt.Sprintf("alert/%d/%s", d.sub.ID, until.Format(ledgerTime))
		added, err := s.outbox.Enqueue(ctx, tx, msg)
		if err != nil {
			return 0, err
		}
		if added {
			enqueued++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("alerts: %w", err)
	}
	if enqueued > 0 {
		s.outbox.Kick()
	}
	return enqueued, nil
}

func hasDocuments(items []item) bool {
	for _, it := range items {
		if it.Document != 0 {
			return true
		}
	}
	return false
}

// confirmed returns the confirmed subscriptions to saved searches
// (searches) or to committees.
func (s *Store) confirmed(ctx context.Context, searches bool) ([]*Subscription, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, email, organization_id, query, language, created_at, confirmed_at
		FROM alert_subscriptions WHERE confirmed_at IS NOT NULL AND (query IS NOT NULL) = ? ORDER BY id`, searches)
	if err != nil {
		return nil, fmt.Errorf("alerts: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []*Subscription
	for rows.Next() {
		var (
			sub                Subscription
			org                sql.NullInt64
			query              sql.NullString
			created, confirmed int64
		)
		if err := rows.Scan(&sub.ID, &sub.Email, &org, &query, &sub.Language, &created, &confirmed); err != nil {
			return nil, fmt.Errorf("alerts: subscriptions: %w", err)
		}
		sub.OrganizationID, sub.Query = org.Int64, query.String
		sub.Created, sub.Confirmed = time.UnixMilli(created).UTC(), time.UnixMilli(confirmed).UTC()
		out = append(out, &sub)
	}
	return out, rows.Err()
}

// items looks up the objects that became public in entries (At after
// from) through the anonymous viewer's reads: an object no longer public
// now, or one the anonymous viewer cannot see, is left out, and titles are
// what a citizen sees. An object's committees are those of the meetings
// it belongs to — for a paper and its attachments, the meetings whose
// public items consult it.
func (s *Store) items(ctx context.Context, entries []access.Entry, from time.Time) ([]item, error) {
	r := reads{s: s, meetings: map[int64]*sessions.Meeting{}}
	seen := map[access.Object]bool{}
	var out []item
	for _, e := range entries {
		if !e.Public || !e.At.After(from) || seen[e.Object] {
			continue
		}
		seen[e.Object] = true
		it, ok, err := r.item(ctx, e.Object)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, it)
		}
	}
	// Meetings first, then papers, then documents, each in the order they
	// became public.
	rank := map[string]int{"meeting": 0, "paper": 1}
	sort.SliceStable(out, func(i, j int) bool {
		ri, ok := rank[out[i].Kind]
		if !ok {
			ri = 2
		}
		rj, ok := rank[out[j].Kind]
		if !ok {
			rj = 2
		}
		return ri < rj
	})
	return out, nil
}

// reads are the anonymous viewer's reads of one run, meetings cached.
type reads struct {
	s        *Store
	meetings map[int64]*sessions.Meeting // nil: not visible
}

var anonymous = access.Viewer{}

func missing(err error) bool { return ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND }

// meeting returns meeting id if the anonymous viewer sees it, else nil.
func (r *reads) meeting(ctx context.Context, id int64) (*sessions.Meeting, error) {
	if m, ok := r.meetings[id]; ok {
		return m, nil
	}
	m, err := r.s.sessions.FindMeetingByID(ctx, anonymous, id)
	if missing(err) {
		m, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.meetings[id] = m
	return m, nil
}

// itemMeeting returns the meeting of agenda item id if the anonymous
// viewer sees both, else nil.
func (r *reads) itemMeeting(ctx context.Context, id int64) (*sessions.Meeting, error) {
	ai, err := r.s.sessions.FindAgendaItemByID(ctx, anonymous, id)
	if missing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.meeting(ctx, ai.MeetingID)
}

// paperOrgs returns the committees whose visible meetings consult paper
// id on an item the anonymous viewer sees in full.
func (r *reads) paperOrgs(ctx context.Context, id int64) ([]int64, error) {
	cs, err := r.s.sessions.FindConsultations(ctx, anonymous, id)
	if missing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var orgs []int64
	for _, c := range cs {
		m, err := r.itemMeeting(ctx, c.AgendaItemID)
		if err != nil {
			return nil, err
		}
		if m != nil && !slices.Contains(orgs, m.OrganizationID) {
			orgs = append(orgs, m.OrganizationID)
		}
	}
	return orgs, nil
}

func meetingTitle(m *sessions.Meeting) string {
	return m.Name + ", " + m.Start.In(berlin).Format("02.01.2006 15:04")
}

// item returns what a citizen sees of o, and false if they see nothing.
func (r *reads) item(ctx context.Context, o access.Object) (item, bool, error) {
	s := r.s
	switch o.Type {
	case access.ObjMeeting:
		m, err := r.meeting(ctx, o.ID)
		if m == nil || err != nil {
			return item{}, false, err
		}
		return item{Kind: "meeting", Orgs: []int64{m.OrganizationID}, URL: fmt.Sprintf("/meetings/%d", m.ID), Title: meetingTitle(m)}, true, nil
	case access.ObjPaper:
		p, err := s.sessions.FindPaperByID(ctx, anonymous, o.ID)
		if missing(err) {
			return item{}, false, nil
		} else if err != nil {
			return item{}, false, err
		}
		orgs, err := r.paperOrgs(ctx, p.ID)
		if err != nil {
			return item{}, false, err
		}
		title := p.Name
		if p.Reference != "" {
			title = p.Reference + " " + p.Name
		}
		return item{Kind: "paper", Orgs: orgs, URL: fmt.Sprintf("/papers/%d", p.ID), Title: title}, true, nil
	case access.ObjAttachment:
		a, err := s.sessions.FindAttachmentByID(ctx, anonymous, o.ID)
		if missing(err) {
			return item{}, false, nil
		} else if err != nil {
			return item{}, false, err
		}
		it := item{Kind: "document", Title: a.Title, Document: a.DocumentID, URL: fmt.Sprintf("/documents/%d", a.DocumentID)}
		var m *sessions.Meeting
		switch {
		case a.AgendaItemID != 0:
			m, err = r.itemMeeting(ctx, a.AgendaItemID)
		case a.MeetingID != 0:
			m, err = r.meeting(ctx, a.MeetingID)
		case a.PaperID != 0:
			it.Orgs, err = r.paperOrgs(ctx, a.PaperID)
		}
		if err != nil {
			return item{}, false, err
		}
		if m != nil {
			it.Orgs = []int64{m.OrganizationID}
		}
		return it, true, nil
	case access.ObjMinutes:
		var meeting int64
		err := s.db.QueryRowContext(ctx, `SELECT meeting_id FROM minutes WHERE id = ?`, o.ID).Scan(&meeting)
		if errors.Is(err, sql.ErrNoRows) {
			return item{}, false, nil
		} else if err != nil {
			return item{}, false, fmt.Errorf("alerts: minutes %d: %w", o.ID, err)
		}
		m, err := r.meeting(ctx, meeting)
		if m == nil || err != nil {
			return item{}, false, err
		}
		all, err := s.sessions.FindMinutes(ctx, anonymous, meeting)
		if err != nil && !missing(err) {
			return item{}, false, err
		}
		for _, mi := range all {
			if mi.ID == o.ID {
				return item{Kind: "minutes", Orgs: []int64{m.OrganizationID}, Document: mi.DocumentID,
					URL: fmt.Sprintf("/documents/%d", mi.DocumentID), Title: meetingTitle(m)}, true, nil
			}
		}
	}
	return item{}, false, nil
}

// searchDocuments returns the documents the anonymous viewer finds for
// query (the first search.MaxOffset+MaxLimit of them).
func (s *Store) searchDocuments(ctx context.Context, query string, now time.Time) (map[int64]bool, error) {
	docs := map[int64]bool{}
	for offset := 0; offset <= search.MaxOffset; offset += search.MaxLimit {
		res, err := s.opt.Search.Search(ctx, search.Query{Text: query, Viewer: access.SearchViewer(access.Viewer{}),
			Now: now, Offset: offset, Limit: search.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("alerts: search %q: %w", query, err)
		}
		for _, h := range res.Hits {
			docs[h.Document] = true
		}
		if len(res.Hits) < search.MaxLimit {
			break
		}
	}
	return docs, nil
}
