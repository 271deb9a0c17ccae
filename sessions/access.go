package sessions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// graph holds what the policy needs to decide on a set of attachments,
// minutes and papers: their meetings (with the exclusions of all their
// items), agenda items (with exclusions) and papers (with the items they
// are consulted on). It is read in a fixed number of queries, however many
// objects are decided, so that a search page or a feed costs no more than
// a single file download. Every read path of attachments, papers, minutes
// and documents decides through a graph; lists and single reads therefore
// cannot disagree.
type graph struct {
	meetings map[int64]*Meeting
	excluded map[int64][]int64 // meeting → persons excluded from any of its items
	items    map[int64]*AgendaItem
	papers   map[int64]*paperRow
}

type paperRow struct {
	publishedAt sql.NullString
	items       []int64
	excluded    []int64 // persons excluded from any item consulting the paper
	// excludedKnown is set once excluded is filled in from the items
	// (exclusions), so that a paper listed twice is not counted twice.
	excludedKnown bool
}

// idList encodes ids for `IN (SELECT value FROM json_each(?))`: one
// parameter, whatever the number of ids. (On PostgreSQL, json_each of a
// text parameter is the function of this package's migrations.)
func idList(ids []int64) string {
	if ids == nil {
		ids = []int64{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

const inIDs = ` IN (SELECT value FROM json_each(?))`

// idInAny is the condition "id IN (…)" on the rows of table that match
// any of the columns' id lists (each column followed by inIDs, one
// parameter per column, in order): one indexed read per column, united.
// "a IN (…) OR b IN (…)" says the same, but PostgreSQL plans that OR as a
// sequential scan of the whole table with both lists hashed.
func idInAny(table string, cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = `SELECT id FROM ` + table + ` WHERE ` + c + inIDs
	}
	return `id IN (` + strings.Join(parts, ` UNION ALL `) + `)`
}

// loadGraph reads the facts behind the given meetings, agenda items and
// papers.
func (s *Store) loadGraph(ctx context.Context, meetingIDs, itemIDs, paperIDs []int64) (*graph, error) {
	return s.loadGraphWith(ctx, known{}, meetingIDs, itemIDs, paperIDs)
}

// paperRowOf is the policy's row of paper p, whose consultations are on
// the agenda items items (all of them), for a caller that read both
// already (loadGraphWith).
func paperRowOf(p *Paper, items []int64) *paperRow {
	r := &paperRow{items: items}
	if !p.PublishedAt.IsZero() {
		r.publishedAt = sql.NullString{String: ts(p.PublishedAt), Valid: true}
	}
	return r
}

// known are rows a caller of loadGraphWith read already, by id: papers'
// rows with their consultations (paperRowOf), agenda items with their
// exclusions (as Store.items reads them), meetings (as scanMeeting reads
// them). whole are the meetings among them whose every agenda item is
// in items (a folder's meetings).
type known struct {
	papers   map[int64]*paperRow
	items    map[int64]*AgendaItem
	meetings map[int64]*Meeting
	whole    map[int64]bool
}

// loadGraphWith is loadGraph for a caller that read some of the rows
// already (k): those are not read again — a meeting page's folder has its
// meeting and items — but the papers' exclusions and the meetings'
// exclusions are. The graph holds the same rows loadGraph would read.
func (s *Store) loadGraphWith(ctx context.Context, k known, meetingIDs, itemIDs, paperIDs []int64) (*graph, error) {
	g := &graph{meetings: map[int64]*Meeting{}, excluded: map[int64][]int64{}, items: map[int64]*AgendaItem{}, papers: map[int64]*paperRow{}}
	var unknown []int64
	for _, id := range paperIDs {
		if r := k.papers[id]; r != nil {
			if g.papers[id] == nil {
				g.papers[id] = &paperRow{publishedAt: r.publishedAt, items: slices.Clone(r.items)}
				itemIDs = append(itemIDs, r.items...)
			}
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		rows, err := s.db.QueryContext(ctx, `SELECT id, published_at FROM papers WHERE id`+inIDs, idList(unknown))
		if err != nil {
			return nil, fmt.Errorf("policy facts: papers: %w", err)
		}
		for rows.Next() {
			var id int64
			p := &paperRow{}
			if err := rows.Scan(&id, &p.publishedAt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("policy facts: papers: %w", err)
			}
			g.papers[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("policy facts: papers: %w", err)
		}
		rows, err = s.db.QueryContext(ctx, `SELECT paper_id, agenda_item_id FROM consultations WHERE paper_id`+inIDs, idList(unknown))
		if err != nil {
			return nil, fmt.Errorf("policy facts: consultations: %w", err)
		}
		for rows.Next() {
			var paper, item int64
			if err := rows.Scan(&paper, &item); err != nil {
				rows.Close()
				return nil, fmt.Errorf("policy facts: consultations: %w", err)
			}
			if p := g.papers[paper]; p != nil {
				p.items = append(p.items, item)
			}
			itemIDs = append(itemIDs, item)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("policy facts: consultations: %w", err)
		}
	}
	var unknownItems []int64
	for _, id := range itemIDs {
		if it := k.items[id]; it != nil {
			g.items[id] = it
			meetingIDs = append(meetingIDs, it.MeetingID)
		} else {
			unknownItems = append(unknownItems, id)
		}
	}
	if len(unknownItems) > 0 {
		its, err := s.items(ctx, "id"+inIDs, idList(unknownItems))
		if err != nil {
			return nil, err
		}
		for _, it := range its {
			g.items[it.ID] = it
			meetingIDs = append(meetingIDs, it.MeetingID)
		}
	}
	if len(meetingIDs) == 0 {
		return g, s.exclusions(ctx, g, k, paperIDs, nil)
	}
	var unknownMeetings []int64
	for _, id := range meetingIDs {
		if m := k.meetings[id]; m != nil {
			g.meetings[id] = m
		} else {
			unknownMeetings = append(unknownMeetings, id)
		}
	}
	// The meetings and the exclusions need only the ids known by now:
	// one round trip on PostgreSQL (sqldb.Batch).
	var qs []sqldb.Query
	if len(unknownMeetings) > 0 {
		qs = append(qs, sqldb.Query{SQL: `SELECT ` + meetingColumns + ` FROM meetings WHERE id` + inIDs, Args: []any{idList(unknownMeetings)},
			Read: func(rows sqldb.Rows) error {
				for rows.Next() {
					m, err := scanMeeting(rows)
					if err != nil {
						return fmt.Errorf("meetings: %w", err)
					}
					g.meetings[m.ID] = m
				}
				return nil
			}})
	}
	if q, ok := exclusionsQuery(g, k, paperIDs, meetingIDs); ok {
		qs = append(qs, q)
	}
	if err := sqldb.Batch(ctx, s.db, qs...); err != nil {
		return nil, fmt.Errorf("policy facts: %w", err)
	}
	return g, nil
}

// exclusions fills in g's exclusions of the papers and the meetings (see
// exclusionsQuery) from the items g holds where those are all there is:
// a paper's are the exclusions recorded on the items consulting it, and
// g holds every such item with its exclusions (Store.items reads them
// with the item); a meeting's are those of its items, recorded or by
// matter, where g holds every item of the meeting (k.whole). Only the
// rest are read — on a meeting page, whose papers are consulted in that
// meeting only, nothing: a statement fewer.
func (s *Store) exclusions(ctx context.Context, g *graph, k known, paperIDs, meetingIDs []int64) error {
	q, ok := exclusionsQuery(g, k, paperIDs, meetingIDs)
	if !ok {
		return nil
	}
	if err := sqldb.Each(ctx, s.db, q); err != nil {
		return fmt.Errorf("policy facts: %w", err)
	}
	return nil
}

// exclusionsToRead is exclusions without the statement: it fills in what
// the known items say and returns the papers and meetings whose
// exclusions are still to be read.
func exclusionsToRead(g *graph, k known, paperIDs, meetingIDs []int64) (readPapers, readMeetings []int64) {
	for _, id := range paperIDs {
		p := g.papers[id]
		if p == nil || p.excludedKnown {
			continue
		}
		var ex []int64
		whole := true
		for _, it := range p.items {
			item := g.items[it]
			if item == nil {
				whole = false
				break
			}
			ex = append(ex, item.Excluded...)
		}
		if !whole {
			readPapers = append(readPapers, id)
			continue
		}
		p.excluded, p.excludedKnown = sortedSet(ex), true
	}
	var byMeeting map[int64][]int64
	for _, id := range meetingIDs {
		if !k.whole[id] {
			readMeetings = append(readMeetings, id)
			continue
		}
		if byMeeting == nil {
			byMeeting = map[int64][]int64{}
			for _, it := range k.items {
				if k.whole[it.MeetingID] {
					byMeeting[it.MeetingID] = append(append(byMeeting[it.MeetingID], it.Excluded...), it.ExcludedByMatter...)
				}
			}
		}
		if ex := sortedSet(byMeeting[id]); len(ex) > 0 {
			g.excluded[id] = ex
		}
	}
	return readPapers, readMeetings
}

// sortedSet returns the distinct ids of ids in ascending order, as
// exclusionsQuery lists them; nil for none.
func sortedSet(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// exclusionsQuery fills in what exclusionsToRead can of g's exclusions of
// the papers and meetings, and returns the statement that reads the rest,
// if any is left: of the papers (persons excluded from any item
// consulting the paper) and of the meetings (persons excluded from any
// item of the meeting: recorded on the item, or on another item
// consulting a paper the item consults — the matter), in one statement:
// a round trip fewer per page on PostgreSQL. Ordered, so that the lists
// do not depend on a plan.
func exclusionsQuery(g *graph, k known, papers, meetings []int64) (sqldb.Query, bool) {
	paperIDs, meetingIDs := exclusionsToRead(g, k, papers, meetings)
	if len(paperIDs) == 0 && len(meetingIDs) == 0 {
		return sqldb.Query{}, false
	}
	return sqldb.Query{SQL: `SELECT 0, c.paper_id, e.person_id FROM consultations c
		JOIN exclusions e ON e.agenda_item_id = c.agenda_item_id WHERE c.paper_id IN (SELECT value FROM json_each(?1))
		UNION SELECT 1, a.meeting_id, e.person_id FROM exclusions e
		JOIN agenda_items a ON a.id = e.agenda_item_id WHERE a.meeting_id IN (SELECT value FROM json_each(?2))
		UNION SELECT 1, a.meeting_id, e.person_id FROM agenda_items a
		JOIN consultations mine ON mine.agenda_item_id = a.id
		JOIN consultations other ON other.paper_id = mine.paper_id
		JOIN exclusions e ON e.agenda_item_id = other.agenda_item_id
		WHERE a.meeting_id IN (SELECT value FROM json_each(?2))
		ORDER BY 1, 2, 3`, Args: []any{idList(paperIDs), idList(meetingIDs)}, Read: func(rows sqldb.Rows) error {
		for rows.Next() {
			var ofMeeting, id, person int64 // ofMeeting: 1 if id is a meeting's, 0 if a paper's
			if err := rows.Scan(&ofMeeting, &id, &person); err != nil {
				return fmt.Errorf("exclusions: %w", err)
			}
			if ofMeeting == 1 {
				g.excluded[id] = append(g.excluded[id], person)
			} else if p := g.papers[id]; p != nil {
				p.excluded = append(p.excluded, person)
			}
		}
		return nil
	}}, true
}

// sub returns the part of g that loadGraph(meetingIDs, itemIDs,
// paperIDs) reads, for g read for a superset of them: the papers, the
// items given and those consulting the papers, and the meetings given and
// those of the items, with their exclusions. A decision that ranges over
// the whole graph (its publication times, its members) then sees exactly
// what it would have seen had the objects been read alone.
func (g *graph) sub(meetingIDs, itemIDs, paperIDs []int64) *graph {
	out := &graph{meetings: map[int64]*Meeting{}, excluded: map[int64][]int64{}, items: map[int64]*AgendaItem{}, papers: map[int64]*paperRow{}}
	for _, id := range paperIDs {
		if p := g.papers[id]; p != nil {
			out.papers[id] = p
			itemIDs = append(itemIDs, p.items...)
		}
	}
	for _, id := range itemIDs {
		if it := g.items[id]; it != nil {
			out.items[id] = it
			meetingIDs = append(meetingIDs, it.MeetingID)
		}
	}
	for _, id := range meetingIDs {
		if m := g.meetings[id]; m != nil {
			out.meetings[id] = m
		}
		if ps, ok := g.excluded[id]; ok {
			out.excluded[id] = ps
		}
	}
	return out
}

// loadGraphFor reads the facts behind attachments and minutes.
func (s *Store) loadGraphFor(ctx context.Context, as []*Attachment, ms []*Minutes) (*graph, error) {
	meetings, items, papers := linkTargets(as, ms)
	return s.loadGraph(ctx, meetings, items, papers)
}

// linkTargets returns what attachments and minutes hang on: the meetings,
// agenda items and papers whose facts decide them.
func linkTargets(as []*Attachment, ms []*Minutes) (meetings, items, papers []int64) {
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
	return meetings, items, papers
}

func (g *graph) meetingFacts(id int64) (access.MeetingFacts, bool) {
	m := g.meetings[id]
	if m == nil {
		return access.MeetingFacts{}, false
	}
	f := m.Facts()
	f.Excluded = g.excluded[id]
	return f, true
}

func (g *graph) itemFacts(id int64) (access.ItemFacts, bool) {
	it := g.items[id]
	if it == nil {
		return access.ItemFacts{}, false
	}
	m, ok := g.meetingFacts(it.MeetingID)
	if !ok {
		return access.ItemFacts{}, false
	}
	return it.Facts(m), true
}

func (g *graph) paperFacts(id int64) (access.PaperFacts, bool) {
	p := g.papers[id]
	if p == nil {
		return access.PaperFacts{}, false
	}
	f := access.PaperFacts{PublishedAt: parseNull(p.publishedAt), Excluded: p.excluded}
	for _, item := range p.items {
		if it, ok := g.itemFacts(item); ok {
			f.Items = append(f.Items, it)
		}
	}
	return f, true
}

// attachment decides v's access to a. A link whose target is missing from
// the graph is None: deciding on incomplete facts would risk an exposure.
func (g *graph) attachment(v access.Viewer, a *Attachment, now time.Time) access.Access {
	switch {
	case a.AgendaItemID != 0:
		it, ok := g.itemFacts(a.AgendaItemID)
		if !ok {
			return access.None
		}
		return access.ItemAttachmentAccess(v, it, a.Facts(), now)
	case a.PaperID != 0:
		p, ok := g.paperFacts(a.PaperID)
		if !ok {
			return access.None
		}
		return access.PaperAttachmentAccess(v, p, a.Facts(), now)
	default:
		m, ok := g.meetingFacts(a.MeetingID)
		if !ok {
			return access.None
		}
		return access.MeetingAttachmentAccess(v, m, a.Facts(), now)
	}
}

func (g *graph) minutes(v access.Viewer, m *Minutes, now time.Time) access.Access {
	mf, ok := g.meetingFacts(m.MeetingID)
	if !ok {
		return access.None
	}
	return access.MinutesAccess(v, access.MinutesFacts{Meeting: mf, Public: m.Public,
		Approved: m.State == MinutesApproved || m.State == MinutesPublished, Published: m.State == MinutesPublished}, now)
}

// documentAccess decides v's access to each of the documents ids: Full if
// any of its links (attachments, minutes) lets v see it, None otherwise —
// in particular for a document linked nowhere, unless v is staff.
func (s *Store) documentAccess(ctx context.Context, v access.Viewer, ids []int64) (map[int64]access.Access, error) {
	out, err := s.documentAccesses(ctx, []access.Viewer{v}, ids)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// documentAccesses is documentAccess for each of the viewers vs, from one
// reading of the documents' links (none if every viewer is staff).
func (s *Store) documentAccesses(ctx context.Context, vs []access.Viewer, ids []int64) ([]map[int64]access.Access, error) {
	out, read := staffAccesses(vs, ids)
	if !read || len(ids) == 0 {
		return out, nil
	}
	as, ms, err := s.attachmentsAndMinutes(ctx, "document_id"+inIDs, "document_id"+inIDs, idList(ids), idList(ids))
	if err != nil {
		return nil, err
	}
	return s.linkAccesses(ctx, vs, out, as, ms)
}

// staffAccesses is documentAccesses' answer before the links are read:
// Full for every id for staff, empty for everyone else; read says whether
// anyone is not staff, so that the links must be read.
func staffAccesses(vs []access.Viewer, ids []int64) (out []map[int64]access.Access, read bool) {
	out = make([]map[int64]access.Access, len(vs))
	for i, v := range vs {
		out[i] = make(map[int64]access.Access, len(ids))
		if !v.Staff() {
			read = true
			continue
		}
		for _, id := range ids {
			out[i][id] = access.Full
		}
	}
	return out, read
}

// accessesOf is each viewer's access to document docID in maps.
func accessesOf(maps []map[int64]access.Access, docID int64) []access.Access {
	out := make([]access.Access, len(maps))
	for i, m := range maps {
		out[i] = m[docID]
	}
	return out
}

// linkAccesses fills out (documentAccesses' answer, staff's filled
// already) from the documents' links as and ms, all of them.
func (s *Store) linkAccesses(ctx context.Context, vs []access.Viewer, out []map[int64]access.Access, as []*Attachment, ms []*Minutes) ([]map[int64]access.Access, error) {
	g, err := s.loadGraphFor(ctx, as, ms)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i, v := range vs {
		if v.Staff() {
			continue
		}
		for _, a := range as {
			if g.attachment(v, a, now) == access.Full {
				out[i][a.DocumentID] = access.Full
			}
		}
		for _, m := range ms {
			if g.minutes(v, m, now) == access.Full {
				out[i][m.DocumentID] = access.Full
			}
		}
	}
	return out, nil
}

// DocumentAccess decides whether v may see document docID (package
// documents): Full if any of its links — an attachment of an agenda item,
// paper or meeting, or minutes — lets v see it; None otherwise, also for a
// document linked nowhere (staff see every document). Every route that
// serves a document's metadata, text or bytes asks this, or
// FilterDocuments or CanSeeVersion, first; for a single version, combine
// the answer with VersionAccess.
func (s *Store) DocumentAccess(ctx context.Context, v access.Viewer, docID int64) (access.Access, error) {
	acc, err := s.documentAccess(ctx, v, []int64{docID})
	if err != nil {
		return access.None, err
	}
	return acc[docID], nil
}

// DocumentAccesses is DocumentAccess of document docID for each of the
// viewers vs, in their order, from one reading of the document's links:
// a page that serves a signed-in viewer also asks what an anonymous
// citizen may see, to record a non-public read in the audit log.
func (s *Store) DocumentAccesses(ctx context.Context, docID int64, vs ...access.Viewer) ([]access.Access, error) {
	accs, err := s.documentAccesses(ctx, vs, []int64{docID})
	if err != nil {
		return nil, err
	}
	return accessesOf(accs, docID), nil
}

// DocumentCandidateAccesses is DocumentCandidate for v and then, if v
// passes, DocumentAccesses of document docID for v and the viewers more,
// in their order (v first), with the candidate's condition in the
// statement that reads the document's links: a round trip fewer for a
// document page. A document that fails it, like a missing one, finds no
// link in that one indexed statement and is None for every viewer, so
// that refused and missing still cost the same. Staff, who pass for any
// document that exists, linked or not, take the two steps apart.
func (s *Store) DocumentCandidateAccesses(ctx context.Context, v access.Viewer, docID int64, more ...access.Viewer) ([]access.Access, error) {
	vs := append([]access.Viewer{v}, more...)
	none := make([]access.Access, len(vs))
	if v.Staff() {
		ok, err := s.DocumentCandidate(ctx, v, docID)
		if err != nil || !ok {
			return none, err
		}
		return s.DocumentAccesses(ctx, docID, vs...)
	}
	// documentCouldShow's subqueries name the document by ?1 alone, so
	// each part tests it once, not per row.
	cond := `document_id = ?1 AND (` + documentCouldShow("?1") + `)`
	as, ms, err := s.attachmentsAndMinutes(ctx, cond, cond, docID, ts(s.now()), memberOrgs(v))
	if err != nil {
		return none, fmt.Errorf("document candidate %d: %w", docID, err)
	}
	if len(as) == 0 && len(ms) == 0 {
		return none, nil
	}
	maps, _ := staffAccesses(vs, []int64{docID})
	maps, err = s.linkAccesses(ctx, vs, maps, as, ms)
	if err != nil {
		return none, err
	}
	return accessesOf(maps, docID), nil
}

// FilterDocuments returns those of the documents ids that v may see, in the
// order given, by the same rule as DocumentAccess. Search hits, counts,
// facets, feeds and sync lists pass their candidates through it, so that
// they never include a document a single read would refuse. It reads a
// fixed number of queries, however many ids there are.
func (s *Store) FilterDocuments(ctx context.Context, v access.Viewer, ids []int64) ([]int64, error) {
	acc, err := s.documentAccess(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if acc[id] == access.Full {
			out = append(out, id)
		}
	}
	return out, nil
}

// CanSeeVersion reports whether v may see version n of document docID now:
// the document must be visible to v (DocumentAccess) and the version must
// exist and not be withdrawn, unless v is staff (VersionAccess). A
// superseded version follows its document. It reads the version's state
// from package documents' table in the same database.
func (s *Store) CanSeeVersion(ctx context.Context, v access.Viewer, docID int64, n int) (bool, error) {
	var state string
	err := s.db.QueryRowContext(ctx, `SELECT state FROM versions WHERE document_id = ? AND number = ?`, docID, n).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("can see version %d/%d: %w", docID, n, err)
	}
	acc, err := s.DocumentAccess(ctx, v, docID)
	if err != nil {
		return false, err
	}
	return access.VersionAccess(v, acc, state == documents.StateWithdrawn) == access.Full, nil
}
