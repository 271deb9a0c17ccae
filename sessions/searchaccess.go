package sessions

import (
	"cmp"
	"context"
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
// publication time among the document's meetings and papers; SearchDocuments
// reports that time, and the indexer computes the records again then.

// SearchDocument is what the search index holds of one document: the
// records of the pages of its current version, each with the Access the
// policy gives it now, and the time after which that Access may no
// longer be exact (zero if never; see above).
type SearchDocument struct {
	ID int64
	// Records are none for a document that does not exist or has no
	// active version: the index must forget it.
	Records []search.Record
	Next    time.Time
}

// SearchDocuments returns the SearchDocument of each of the documents
// ids, in that order. It reads a fixed number of queries, however many
// ids there are — the search indexer hands it a batch at a time (a
// rebuild reads a whole index in batches of hundreds), and a query per
// document is a round trip per document to a database server — and it
// answers for each document exactly what it answers for that document
// alone: the facts of the batch are read together and decided per
// document.
func (s *Store) SearchDocuments(ctx context.Context, ids []int64) ([]SearchDocument, error) {
	out := make([]SearchDocument, len(ids))
	for i, id := range ids {
		out[i].ID = id
	}
	if len(ids) == 0 {
		return out, nil
	}
	// The pages of each document's newest active version, with the
	// version they are of: the text and its version come from one
	// statement, so a version activated meanwhile cannot mix with them.
	type page struct {
		version, number int
		text            string
		title, kind     string
	}
	pages := map[int64][]page{}
	rows, err := s.db.QueryContext(ctx, `SELECT p.document_id, p.version, p.number, p.text, d.title, d.kind
		FROM (SELECT document_id, MAX(number) AS number FROM versions
			WHERE state = 'active' AND document_id`+inIDs+` GROUP BY document_id) AS c
		JOIN pages p ON p.document_id = c.document_id AND p.version = c.number
		JOIN documents d ON d.id = c.document_id
		ORDER BY p.document_id, p.number`, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("search records: pages: %w", err)
	}
	for rows.Next() {
		var doc int64
		var p page
		if err := rows.Scan(&doc, &p.version, &p.number, &p.text, &p.title, &p.kind); err != nil {
			rows.Close()
			return nil, fmt.Errorf("search records: pages: %w", err)
		}
		pages[doc] = append(pages[doc], p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search records: pages: %w", err)
	}
	if len(pages) == 0 {
		return out, nil
	}
	var withPages []int64
	for _, id := range ids {
		if pages[id] != nil {
			withPages = append(withPages, id)
		}
	}
	f, err := s.loadSearchFacts(ctx, withPages)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if pages[id] == nil {
			continue
		}
		ac, err := f.decide(id)
		if err != nil {
			return nil, err
		}
		for _, p := range pages[id] {
			title := p.title
			if ac.meta.title != "" {
				title = ac.meta.title
			}
			out[i].Records = append(out[i].Records, search.Record{Document: id, Version: p.version, Page: p.number, Text: p.text,
				Title: title, Kind: p.kind, Reference: ac.meta.reference, Committee: ac.meta.committee, Meeting: ac.meta.meeting,
				Date: ac.meta.date, Access: ac.access})
		}
		out[i].Next = ac.next
	}
	return out, nil
}

// SearchRecords returns the search records of document docID and the
// time after which their Access may no longer be exact: SearchDocuments
// for one document.
func (s *Store) SearchRecords(ctx context.Context, docID int64) ([]search.Record, time.Time, error) {
	docs, err := s.SearchDocuments(ctx, []int64{docID})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("search records of %d: %w", docID, err)
	}
	return docs[0].Records, docs[0].Next, nil
}

// SearchAccess returns the Access the records of document docID get now,
// and the time after which it may change (zero if never). It is what
// SearchDocuments puts into every record; tests compare it with
// DocumentAccess.
func (s *Store) SearchAccess(ctx context.Context, docID int64) (search.Access, time.Time, error) {
	f, err := s.loadSearchFacts(ctx, []int64{docID})
	if err != nil {
		return search.Access{}, time.Time{}, err
	}
	ac, err := f.decide(docID)
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

// searchFacts are the facts behind the search records of a set of
// documents, read together: their links, the policy graph of all their
// meetings, items and papers, the memberships of everyone whose answer
// may differ from the public's, and what a hit shows of organizations
// and papers. decide answers for one document from them.
type searchFacts struct {
	now         time.Time
	g           *graph
	attachments map[int64][]*Attachment // by document, in the order of Store.attachments
	minutes     map[int64][]*Minutes    // by document
	itemPapers  map[int64][]int64       // agenda item → papers consulted on it
	members     map[int64]*access.Viewer
	orgMembers  map[int64][]int64 // organization → persons who are (or were) members
	orgNames    map[int64]string
	papers      map[int64]paperMeta
}

type paperMeta struct {
	id              int64
	reference, date string
}

type orgName struct {
	id   int64
	name string
}

// loadSearchFacts reads the facts behind the documents ids in a fixed
// number of queries.
func (s *Store) loadSearchFacts(ctx context.Context, ids []int64) (*searchFacts, error) {
	f := &searchFacts{now: s.now(), attachments: map[int64][]*Attachment{}, minutes: map[int64][]*Minutes{},
		itemPapers: map[int64][]int64{}, members: map[int64]*access.Viewer{}, orgMembers: map[int64][]int64{},
		orgNames: map[int64]string{}, papers: map[int64]paperMeta{}}
	as, ms, err := s.attachmentsAndMinutes(ctx, "document_id"+inIDs, "document_id"+inIDs, idList(ids), idList(ids))
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		f.attachments[a.DocumentID] = append(f.attachments[a.DocumentID], a)
	}
	for _, m := range ms {
		f.minutes[m.DocumentID] = append(f.minutes[m.DocumentID], m)
	}
	meetings, items, papers := linkTargets(as, ms)
	// The papers consulted on the items, for the reference a hit shows.
	if len(items) > 0 {
		pairs, err := queryAll(ctx, s.db, scanPair, `SELECT agenda_item_id, paper_id FROM consultations WHERE agenda_item_id`+inIDs+` ORDER BY id`, idList(items))
		if err != nil {
			return nil, fmt.Errorf("search access: consultations: %w", err)
		}
		for _, p := range pairs {
			f.itemPapers[p[0]] = append(f.itemPapers[p[0]], p[1])
			papers = append(papers, p[1])
		}
	}
	if f.g, err = s.loadGraph(ctx, meetings, items, papers); err != nil {
		return nil, err
	}
	if err := s.loadSearchMembers(ctx, f); err != nil {
		return nil, err
	}
	var orgs []int64
	for _, m := range f.g.meetings {
		orgs = append(orgs, m.OrganizationID)
	}
	if len(orgs) > 0 {
		names, err := queryAll(ctx, s.db, func(sc interface{ Scan(...any) error }) (orgName, error) {
			var o orgName
			return o, sc.Scan(&o.id, &o.name)
		}, `SELECT id, name FROM organizations WHERE id`+inIDs, idList(orgs))
		if err != nil {
			return nil, fmt.Errorf("search access: organizations: %w", err)
		}
		for _, o := range names {
			f.orgNames[o.id] = o.name
		}
	}
	if len(f.g.papers) > 0 {
		var ids []int64
		for id := range f.g.papers {
			ids = append(ids, id)
		}
		metas, err := queryAll(ctx, s.db, func(sc interface{ Scan(...any) error }) (paperMeta, error) {
			var p paperMeta
			return p, sc.Scan(&p.id, &p.reference, &p.date)
		}, `SELECT id, reference, date FROM papers WHERE id`+inIDs, idList(ids))
		if err != nil {
			return nil, fmt.Errorf("search access: papers: %w", err)
		}
		for _, p := range metas {
			f.papers[p.id] = p
		}
	}
	return f, nil
}

// loadSearchMembers reads, as the policy would see them, the member
// accounts whose answers about f.g's objects can differ from the
// public's: the members of its organizations (at any time), the persons
// excluded from any of its items and the deputies seated in its
// meetings' running sessions — each with all their memberships. One IN
// over a union, not two INs joined by OR, which PostgreSQL plans as a
// scan of the whole table (see idInAny).
func (s *Store) loadSearchMembers(ctx context.Context, f *searchFacts) error {
	orgs, excluded := f.g.candidateKeys()
	if len(orgs) == 0 && len(excluded) == 0 {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, organization_id, start_date, end_date FROM memberships
		WHERE person_id IN (SELECT person_id FROM memberships WHERE organization_id`+inIDs+` UNION ALL SELECT value FROM json_each(?))
		ORDER BY person_id, id`, idList(orgs), idList(excluded))
	if err != nil {
		return fmt.Errorf("search access: memberships: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var person, org int64
		var start, end string
		if err := rows.Scan(&person, &org, &start, &end); err != nil {
			return fmt.Errorf("search access: memberships: %w", err)
		}
		v := f.members[person]
		if v == nil {
			v = &access.Viewer{PersonID: person, Role: access.RoleMember}
			f.members[person] = v
		}
		if !slices.Contains(f.orgMembers[org], person) {
			f.orgMembers[org] = append(f.orgMembers[org], person)
		}
		v.Memberships = append(v.Memberships, access.PeriodOf(org, start, end))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search access: memberships: %w", err)
	}
	return nil
}

// candidateKeys returns the organizations of g's meetings and the persons
// excluded from any of g's items or seated as deputies in its meetings:
// whose members' and persons' answers can differ from the public's.
func (g *graph) candidateKeys() (orgs, excluded []int64) {
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
	return orgs, excluded
}

// candidates returns the member accounts whose answers about g's objects
// can differ from the public's (see loadSearchMembers), by person.
// Excluded persons and deputies without any membership are asked all the
// same.
func (f *searchFacts) candidates(g *graph) []access.Viewer {
	orgs, excluded := g.candidateKeys()
	seen := map[int64]bool{}
	var out []access.Viewer
	add := func(p int64) {
		if seen[p] {
			return
		}
		seen[p] = true
		if v := f.members[p]; v != nil {
			out = append(out, *v)
		} else {
			out = append(out, access.Viewer{PersonID: p, Role: access.RoleMember})
		}
	}
	for _, o := range orgs {
		for _, p := range f.orgMembers[o] {
			add(p)
		}
	}
	for _, p := range excluded {
		add(p)
	}
	slices.SortFunc(out, func(a, b access.Viewer) int { return cmp.Compare(a.PersonID, b.PersonID) })
	return out
}

// decide computes the Access of document docID's records, when it may
// change and what a hit shows, from the facts of its own links only — as
// if it had been read alone.
func (f *searchFacts) decide(docID int64) (*docAccess, error) {
	as, ms := f.attachments[docID], f.minutes[docID]
	meetings, items, papers := linkTargets(as, ms)
	for _, it := range items {
		papers = append(papers, f.itemPapers[it]...)
	}
	g := f.g.sub(meetings, items, papers)
	candidates := f.candidates(g)
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
	now := f.now
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
		meta, err := f.linkMeta(g, *best, candidates, pub, persons, at)
		if err != nil {
			return nil, err
		}
		out.meta = meta
	}
	return out, nil
}

// linkMeta describes the document by link l for a result: its meeting
// and committee, and a paper reference — the paper's only if everyone in
// the audience (the public if pub, else persons) may see that paper at t.
func (f *searchFacts) linkMeta(g *graph, l link, candidates []access.Viewer, pub bool, persons []int64, t time.Time) (recordMeta, error) {
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
		for _, p := range f.itemPapers[l.a.AgendaItemID] {
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
		name, ok := f.orgNames[m.OrganizationID]
		if !ok {
			return meta, fmt.Errorf("search access: organization %d of meeting %d not found", m.OrganizationID, m.ID)
		}
		meta.committee = name
	}
	if paperID != 0 {
		p, ok := f.papers[paperID]
		if !ok {
			return meta, fmt.Errorf("search access: paper %d not found", paperID)
		}
		meta.reference = p.reference
		if meta.date.IsZero() {
			meta.date = access.ParseDate(p.date)
		}
	}
	return meta, nil
}
