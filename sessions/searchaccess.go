package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/search"
)

// This file turns the visibility policy into what the search index
// stores: for a document, the Access of its page records; for a viewer,
// the principals they hold. It decides nothing itself — it asks the
// policy's functions (through the same graph DocumentAccess uses) about
// every viewer whose answer can differ, and writes the answers down as
// principals:
//
//   - Anonymous citizens and every account that is not a member of any
//     organization the document's meetings belong to, and not excluded
//     from any of its items, get the same answers from the policy: they
//     hold search.Public only.
//   - A member account holds search.Person(its person) besides. The
//     persons whose answer may differ from the public's are the members
//     (at any time) of the organizations involved, the persons excluded
//     from an item involved and the deputies seated in a running session
//     of a meeting involved; each of them is asked as a Viewer built
//     exactly as ViewerFor builds it.
//   - Staff hold search.Staff and find everything.
//
// The policy is monotone in time — passing publication times only ever
// adds viewers — so an Access computed now stays exact until the next
// publication time among the document's meetings and papers; SearchRecords
// reports that time, and the indexer computes the records again then.

// SearchRecords returns the search records of document docID — one per
// page of its current version, with the Access the policy gives it now —
// and the time after which that Access may no longer be exact (zero if
// never; see above). It returns no records, and no error, for a document
// that does not exist or has no active version: the index must forget it.
func (s *Store) SearchRecords(ctx context.Context, docID int64) ([]search.Record, time.Time, error) {
	var title, kind string
	var current sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT d.title, d.kind,
		(SELECT MAX(number) FROM versions v WHERE v.document_id = d.id AND v.state = 'active')
		FROM documents d WHERE d.id = ?`, docID).Scan(&title, &kind, &current)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !current.Valid) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("search records of %d: %w", docID, err)
	}
	ac, err := s.searchAccess(ctx, docID)
	if err != nil {
		return nil, time.Time{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT number, text FROM pages WHERE document_id = ? AND version = ? ORDER BY number`, docID, current.Int64)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("search records of %d: pages: %w", docID, err)
	}
	defer rows.Close()
	var recs []search.Record
	for rows.Next() {
		r := search.Record{Document: docID, Version: int(current.Int64), Title: title, Kind: kind,
			Reference: ac.meta.reference, Committee: ac.meta.committee, Meeting: ac.meta.meeting, Date: ac.meta.date,
			Access: ac.access}
		if ac.meta.title != "" {
			r.Title = ac.meta.title
		}
		if err := rows.Scan(&r.Page, &r.Text); err != nil {
			return nil, time.Time{}, fmt.Errorf("search records of %d: pages: %w", docID, err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("search records of %d: pages: %w", docID, err)
	}
	return recs, ac.next, nil
}

// SearchAccess returns the Access the records of document docID get now,
// and the time after which it may change (zero if never). It is what
// SearchRecords puts into every record; tests compare it with
// DocumentAccess.
func (s *Store) SearchAccess(ctx context.Context, docID int64) (search.Access, time.Time, error) {
	ac, err := s.searchAccess(ctx, docID)
	if err != nil {
		return search.Access{}, time.Time{}, err
	}
	return ac.access, ac.next, nil
}

// recordMeta is what a result shows about a document besides its text.
type recordMeta struct {
	title, reference, committee, meeting string
	date                                 time.Time
}

type docAccess struct {
	access search.Access
	next   time.Time
	meta   recordMeta
}

// link is one way of reaching a document: an attachment or minutes.
type link struct {
	a *Attachment
	m *Minutes
}

func (s *Store) searchAccess(ctx context.Context, docID int64) (*docAccess, error) {
	as, err := s.attachments(ctx, "document_id = ?", docID)
	if err != nil {
		return nil, err
	}
	ms, err := s.minutesWhere(ctx, "document_id = ?", docID)
	if err != nil {
		return nil, err
	}
	var meetings, items, papers []int64
	for _, a := range as {
		switch {
		case a.AgendaItemID != 0:
			items = append(items, a.AgendaItemID)
		case a.PaperID != 0:
			papers = append(papers, a.PaperID)
		default:
			meetings = append(meetings, a.MeetingID)
		}
	}
	for _, m := range ms {
		meetings = append(meetings, m.MeetingID)
	}
	// The papers consulted on the items, for the reference a hit shows.
	itemPapers := map[int64][]int64{}
	if len(items) > 0 {
		rows, err := s.db.QueryContext(ctx, `SELECT agenda_item_id, paper_id FROM consultations WHERE agenda_item_id`+inIDs+` ORDER BY id`, idList(items))
		if err != nil {
			return nil, fmt.Errorf("search access: consultations: %w", err)
		}
		for rows.Next() {
			var it, p int64
			if err := rows.Scan(&it, &p); err != nil {
				rows.Close()
				return nil, fmt.Errorf("search access: consultations: %w", err)
			}
			itemPapers[it] = append(itemPapers[it], p)
			papers = append(papers, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("search access: consultations: %w", err)
		}
	}
	g, err := s.loadGraph(ctx, meetings, items, papers)
	if err != nil {
		return nil, err
	}
	candidates, err := s.searchCandidates(ctx, g)
	if err != nil {
		return nil, err
	}
	var links []link
	for _, a := range as {
		links = append(links, link{a: a})
	}
	for _, m := range ms {
		links = append(links, link{m: m})
	}
	sees := func(v access.Viewer, l link, t time.Time) bool {
		if l.a != nil {
			return g.attachment(v, l.a, t) == access.Full
		}
		return g.minutes(v, l.m, t) == access.Full
	}
	// audience returns who sees l at t: the public, and the candidates.
	audience := func(l link, t time.Time) (bool, []int64) {
		pub := sees(access.Viewer{}, l, t)
		var persons []int64
		for _, c := range candidates {
			if sees(c, l, t) {
				persons = append(persons, c.PersonID)
			}
		}
		return pub, persons
	}

	// Publication times still to come are the only moments the answers
	// can change.
	now := s.now()
	times := g.publicationsAfter(now)

	at, notBefore := now, time.Time{}
	var best *link
	var pub bool
	var persons []int64
	for i := -1; i < len(times); i++ {
		if i >= 0 {
			at = times[i]
		}
		pub, persons, best = false, nil, nil
		bestScore := -1
		seen := map[int64]bool{}
		for j := range links {
			lp, lpersons := audience(links[j], at)
			pub = pub || lp
			for _, p := range lpersons {
				if !seen[p] {
					seen[p] = true
					persons = append(persons, p)
				}
			}
			// The link shown is the one with the widest audience, so that
			// a hit never names a meeting or paper its viewer could not
			// reach the document through, if it can be helped.
			score := len(lpersons)
			if lp {
				score = 1 << 30
			}
			if score > bestScore && (lp || len(lpersons) > 0) {
				best, bestScore = &links[j], score
			}
		}
		if pub || len(persons) > 0 {
			if i >= 0 {
				notBefore = at
			}
			break
		}
	}
	out := &docAccess{}
	for _, t := range times {
		if t.After(at) {
			out.next = t
			break
		}
	}
	slices.Sort(persons)
	if pub {
		out.access.Principals = []string{search.Public}
		for _, c := range candidates {
			if !slices.Contains(persons, c.PersonID) {
				out.access.Denied = append(out.access.Denied, search.Person(c.PersonID))
			}
		}
	} else {
		for _, p := range persons {
			out.access.Principals = append(out.access.Principals, search.Person(p))
		}
	}
	if len(out.access.Principals) > 0 {
		out.access.NotBefore = notBefore
	} else {
		out.next = time.Time{} // staff only, and it stays so: no time is left that could change it
	}
	if best == nil && len(links) > 0 {
		best = &links[0] // staff only: show where it belongs
	}
	if best != nil {
		meta, err := s.linkMeta(ctx, g, *best, itemPapers, candidates, pub, persons, at)
		if err != nil {
			return nil, err
		}
		out.meta = meta
	}
	return out, nil
}

// searchCandidates returns, as the policy would see them, the member
// accounts whose answers about g's objects can differ from the public's:
// the members of g's organizations (at any time), the persons excluded
// from any of g's items and the deputies seated in g's meetings' running
// sessions.
func (s *Store) searchCandidates(ctx context.Context, g *graph) ([]access.Viewer, error) {
	var orgs, excluded []int64
	for _, m := range g.meetings {
		orgs = append(orgs, m.OrganizationID)
		excluded = append(excluded, m.Deputies...)
	}
	for _, ps := range g.excluded {
		excluded = append(excluded, ps...)
	}
	for _, it := range g.items {
		excluded = append(excluded, it.Excluded...)
	}
	if len(orgs) == 0 && len(excluded) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, organization_id, start_date, end_date FROM memberships
		WHERE person_id IN (SELECT person_id FROM memberships WHERE organization_id`+inIDs+`) OR person_id`+inIDs+`
		ORDER BY person_id, id`, idList(orgs), idList(excluded))
	if err != nil {
		return nil, fmt.Errorf("search access: memberships: %w", err)
	}
	defer rows.Close()
	byPerson := map[int64]*access.Viewer{}
	var out []access.Viewer
	for rows.Next() {
		var person, org int64
		var start, end string
		if err := rows.Scan(&person, &org, &start, &end); err != nil {
			return nil, fmt.Errorf("search access: memberships: %w", err)
		}
		v := byPerson[person]
		if v == nil {
			v = &access.Viewer{PersonID: person, Role: access.RoleMember}
			byPerson[person] = v
		}
		v.Memberships = append(v.Memberships, period(org, start, end))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search access: memberships: %w", err)
	}
	// Excluded persons and deputies without any membership are asked all
	// the same.
	for _, p := range excluded {
		if byPerson[p] == nil {
			byPerson[p] = &access.Viewer{PersonID: p, Role: access.RoleMember}
		}
	}
	for _, v := range byPerson {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b access.Viewer) int { return int(a.PersonID - b.PersonID) })
	return out, nil
}

// linkMeta describes the document by link l for a result: its meeting
// and committee, and a paper reference — the paper's only if everyone in
// the audience (the public if pub, else persons) may see that paper at t.
func (s *Store) linkMeta(ctx context.Context, g *graph, l link, itemPapers map[int64][]int64, candidates []access.Viewer, pub bool, persons []int64, t time.Time) (recordMeta, error) {
	var meta recordMeta
	var audience []access.Viewer
	if pub {
		audience = []access.Viewer{{}}
	} else {
		for _, c := range candidates {
			if slices.Contains(persons, c.PersonID) {
				audience = append(audience, c)
			}
		}
	}
	paperVisible := func(id int64) bool {
		f, ok := g.paperFacts(id)
		if !ok {
			return false
		}
		for _, v := range audience {
			if access.PaperAccess(v, f, t) != access.Full {
				return false
			}
		}
		return true
	}
	var meetingID, paperID int64
	switch {
	case l.m != nil:
		meetingID = l.m.MeetingID
	case l.a.AgendaItemID != 0:
		if it := g.items[l.a.AgendaItemID]; it != nil {
			meetingID = it.MeetingID
		}
		for _, p := range itemPapers[l.a.AgendaItemID] {
			if paperVisible(p) {
				paperID = p
				break
			}
		}
	case l.a.PaperID != 0:
		if paperVisible(l.a.PaperID) {
			paperID = l.a.PaperID
		}
		// The paper's latest consultation in a meeting the audience sees.
		if p := g.papers[l.a.PaperID]; p != nil {
			var latest time.Time
			for _, item := range p.items {
				it := g.items[item]
				if it == nil || g.meetings[it.MeetingID] == nil {
					continue
				}
				m := g.meetings[it.MeetingID]
				if m.Published(t) && !m.Start.Before(latest) {
					meetingID, latest = m.ID, m.Start
				}
			}
		}
	default:
		meetingID = l.a.MeetingID
	}
	if l.a != nil {
		meta.title = l.a.Title
	}
	if m := g.meetings[meetingID]; m != nil {
		meta.meeting, meta.date = m.Name, m.Start
		if err := s.db.QueryRowContext(ctx, `SELECT name FROM organizations WHERE id = ?`, m.OrganizationID).Scan(&meta.committee); err != nil {
			return meta, fmt.Errorf("search access: organization: %w", err)
		}
	}
	if paperID != 0 {
		var date string
		if err := s.db.QueryRowContext(ctx, `SELECT reference, date FROM papers WHERE id = ?`, paperID).Scan(&meta.reference, &date); err != nil {
			return meta, fmt.Errorf("search access: paper: %w", err)
		}
		if meta.date.IsZero() {
			meta.date = parseDate(date)
		}
	}
	return meta, nil
}
