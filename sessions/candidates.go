package sessions

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
)

// Candidates: a refused id must cost what a missing one costs, or the
// response time counts hidden objects. A single read therefore first asks
// one indexed query whether the object could be visible to the viewer at
// all — a necessary condition of the rule in package access, written in
// SQL — so that an object that fails it is "no row" exactly like an id
// that does not exist; only candidates go on to the facts and the rule,
// which decides. The conditions must stay supersets of the rule: they may
// let through what the rule then refuses, never hold back what it allows
// (TestCandidatesCoverTheRule compares them for every viewer and object).

// memberOrgs returns what the candidate queries need to know of v's seats
// (seatedIn), as one json_each list: the organizations v is (or was) a
// member of, and v's person as its negative id, whose seats as a deputy
// the queries look up (ids are positive, so the two cannot be confused;
// one list keeps the queries' parameters and their portable spelling).
// The rule checks the dates and whether the session runs.
func memberOrgs(v access.Viewer) string {
	var ids []int64
	if v.Role == access.RoleMember && v.PersonID != 0 {
		for _, p := range v.Memberships {
			ids = append(ids, p.OrganizationID)
		}
		ids = append(ids, -v.PersonID)
	}
	return idList(ids)
}

// The candidate queries bind ?1 to the object's id, ?2 to now and ?3 to
// the viewer's seats (memberOrgs).

// seatedIn is the condition on meeting m under which v could be seated in
// it: of an organization v is a member of, or a meeting whose running
// session seats v as a deputy (meeting_deputies).
const seatedIn = `(m.organization_id IN (SELECT value FROM json_each(?3))
	OR m.id IN (SELECT d.meeting_id FROM meeting_deputies d WHERE d.person_id IN (SELECT -value FROM json_each(?3))))`

// itemCouldShow is the condition on agenda item i of meeting m under which
// v could see i in full: the meeting published by now, the item not
// withdrawn, and public or of a meeting v could be seated in.
const itemCouldShow = `i.withdrawn_at IS NULL AND m.published_at <= ?2
	AND (i.public = 1 OR ` + seatedIn + `)`

// paperCouldShow is the condition on paper p under which v could see it:
// published explicitly by now, or consulted on an item v could see in
// full.
//
// The consultation is asked as "(SELECT 1 … LIMIT 1) IS NOT NULL", not as
// EXISTS: under an OR, PostgreSQL may evaluate an EXISTS as one hashed
// set of every paper that passes it, and does so for a list (the public
// paper list, ORDER BY id LIMIT n), whose LIMIT it does not weigh — each
// page then read every consultation, agenda item and meeting. A scalar
// subquery is asked per paper, through the indexes; it means the same.
const paperCouldShow = `(p.published_at <= ?2 OR (SELECT 1 FROM consultations c
	JOIN agenda_items i ON i.id = c.agenda_item_id JOIN meetings m ON m.id = i.meeting_id
	WHERE c.paper_id = p.id AND ` + itemCouldShow + ` LIMIT 1) IS NOT NULL)`

// attachmentCouldShow is the condition on attachment a under which v
// could see it: not withdrawn, and its item, paper or meeting could show
// it — an item v could see in full whose attachment is public on a public
// item or of a meeting v could be seated in; a paper published explicitly
// or consulted on a public item of a published agenda, if the attachment
// is public, or consulted on an item of a meeting v could be seated in
// (PaperAttachmentAccess: the public may not even learn that a non-public
// attachment of a public paper exists); a published meeting whose
// attachment is public or that v could be seated in.
//
// Its subqueries are spelled as scalar subqueries for PostgreSQL, as in
// paperCouldShow: the file list asked as EXISTS read every attachment's
// item, paper and meeting for each page (9 s at a year of Munich).
const attachmentCouldShow = `a.withdrawn_at IS NULL AND (
	(a.agenda_item_id IS NOT NULL AND (SELECT 1 FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id
		WHERE i.id = a.agenda_item_id AND ` + itemCouldShow + `
		AND ((i.public = 1 AND a.public = 1) OR ` + seatedIn + `) LIMIT 1) IS NOT NULL)
	OR (a.paper_id IS NOT NULL AND (SELECT 1 FROM papers p WHERE p.id = a.paper_id AND (
		(a.public = 1 AND (p.published_at <= ?2 OR (SELECT 1 FROM consultations c
			JOIN agenda_items i ON i.id = c.agenda_item_id JOIN meetings m ON m.id = i.meeting_id
			WHERE c.paper_id = p.id AND i.public = 1 AND i.withdrawn_at IS NULL AND m.published_at <= ?2 LIMIT 1) IS NOT NULL))
		OR (SELECT 1 FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id JOIN meetings m ON m.id = i.meeting_id
			WHERE c.paper_id = p.id AND i.withdrawn_at IS NULL AND m.published_at <= ?2
			AND ` + seatedIn + ` LIMIT 1) IS NOT NULL) LIMIT 1) IS NOT NULL)
	OR (a.meeting_id IS NOT NULL AND (SELECT 1 FROM meetings m WHERE m.id = a.meeting_id AND m.published_at <= ?2
		AND (a.public = 1 OR ` + seatedIn + `) LIMIT 1) IS NOT NULL))`

// minutesCouldShow is the condition on minutes mi under which v could see
// them: the meeting published, and the minutes published and public, or
// approved (or published) and of a meeting v could be seated in.
const minutesCouldShow = `(SELECT 1 FROM meetings m WHERE m.id = mi.meeting_id AND m.published_at <= ?2
	AND ((mi.state = 'published' AND mi.public = 1)
		OR (mi.state IN ('approved', 'published') AND ` + seatedIn + `)) LIMIT 1) IS NOT NULL`

// candidate runs a candidate query (?1 id, ?2 now, ?3 v's seats).
func (s *Store) candidate(ctx context.Context, v access.Viewer, what, q string, id int64) (bool, error) {
	var ok bool
	if err := s.db.QueryRowContext(ctx, q, id, ts(s.now()), memberOrgs(v)).Scan(&ok); err != nil {
		return false, fmt.Errorf("%s candidate %d: %w", what, id, err)
	}
	return ok, nil
}

// staffCandidate binds the arguments of a candidate query for staff,
// who may see whatever exists.
const staffCandidate = "?2 = ?2 AND ?3 = ?3"

// attachmentCandidate reports whether attachment id exists and could be
// visible to v, in one query.
func (s *Store) attachmentCandidate(ctx context.Context, v access.Viewer, id int64) (bool, error) {
	cond := attachmentCouldShow
	if v.Staff() {
		cond = staffCandidate
	}
	return s.candidate(ctx, v, "attachment", `SELECT EXISTS (SELECT 1 FROM attachments a WHERE a.id = ?1 AND `+cond+`)`, id)
}

// itemCandidate reports whether agenda item id exists and v could see it
// at all (in full or as a stub): for everyone but staff its meeting must
// be published and the item not withdrawn — ItemAccess's whole condition
// for None.
func (s *Store) itemCandidate(ctx context.Context, v access.Viewer, id int64) (bool, error) {
	cond := `i.withdrawn_at IS NULL AND m.published_at <= ?2 AND ?3 = ?3`
	if v.Staff() {
		cond = staffCandidate
	}
	return s.candidate(ctx, v, "agenda item", `SELECT EXISTS (SELECT 1 FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id
		WHERE i.id = ?1 AND `+cond+`)`, id)
}

// DocumentCandidate reports whether document docID is linked somewhere
// (an attachment or minutes) in a way that could let v see it — a
// necessary condition of DocumentAccess, read in one indexed query. Routes
// that serve one document ask it first and answer a document that fails it
// exactly as a missing one, without loading any facts, so that refused and
// missing cost the same; for those that pass, DocumentAccess decides.
// Staff: whether the document exists at all.
func (s *Store) DocumentCandidate(ctx context.Context, v access.Viewer, docID int64) (bool, error) {
	if v.Staff() {
		return s.candidate(ctx, v, "document", `SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1 AND `+staffCandidate+`)`, docID)
	}
	return s.candidate(ctx, v, "document", `SELECT `+documentCouldShow("?1"), docID)
}

// documentCouldShow is the condition under which v could see the document
// whose id is the SQL expression doc: an attachment or minutes of it that
// could show (the candidate queries' ?2 and ?3). Its subqueries are
// scalar, as in paperCouldShow: asked as EXISTS under the OR, PostgreSQL
// may hash every minutes row that could show, the archive's, where a
// query asks for a few documents.
func documentCouldShow(doc string) string {
	return `(SELECT 1 FROM attachments a WHERE a.document_id = ` + doc + ` AND ` + attachmentCouldShow + ` LIMIT 1) IS NOT NULL
		OR (SELECT 1 FROM minutes mi WHERE mi.document_id = ` + doc + ` AND ` + minutesCouldShow + ` LIMIT 1) IS NOT NULL`
}

// NewestDocumentsWalked bounds NewestDocumentCandidates' walk: it looks
// at the documents whose ids are within this many of the newest, and no
// further. Each document walked costs about 4 µs of CPU in SQLite (2 ms
// for the 586 of a year of Munich's coming meetings); without a bound, a
// council none of whose documents a viewer may see would have every start
// page read all of them (32,000 at a year of Munich, 120 ms). 2,000 is
// three times Munich's backlog of not yet public documents, at most 8 ms.
const NewestDocumentsWalked = 2000

// NewestDocumentCandidates returns the ids of the documents older than
// before (0: the newest) that pass DocumentCandidate for v, newest first,
// at most limit of them, among the newest NewestDocumentsWalked ids, in
// one query: it walks the documents by id backwards and stops at the
// limit's match, so that a list of the newest few documents v may see
// (the start page's news) reads no further than it needs — past the
// coming meetings' documents, none of them public yet, which at a year of
// Munich are the newest 586. The next batch starts before the last id.
// Candidates are a superset of what v may see: FilterDocuments decides,
// and the first few visible ones among the candidates are the first few
// visible ones of all. Staff: every document, as FilterDocuments answers
// them.
func (s *Store) NewestDocumentCandidates(ctx context.Context, v access.Viewer, before int64, limit int) ([]int64, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	if !v.Staff() && memberOrgs(v) == idList(nil) {
		return s.newestPublicCandidates(ctx, before, limit)
	}
	// ?1 is before: the candidate queries' ?2 and ?3 keep their meaning.
	// The limit is spelled as a literal; a caller asks one size.
	q := `SELECT d.id FROM documents d WHERE d.id < ?1 AND d.id > (SELECT MAX(id) FROM documents) - ` +
		strconv.Itoa(NewestDocumentsWalked) + ` AND (%s) ORDER BY d.id DESC LIMIT %d`
	q, args := walkQuery(v, fmt.Sprintf(q, "%s", limit), documentCouldShow("d.id"), before, ts(s.now()))
	ids, err := queryAll(ctx, s.db, scanID, q, args...)
	if err != nil {
		return nil, fmt.Errorf("newest document candidates: %w", err)
	}
	return ids, nil
}

// newestPublicCandidates is NewestDocumentCandidates for a viewer without
// seats (a citizen). Such a viewer could see a document only by a public
// attachment that is not withdrawn or by published public minutes, so
// instead of every document and its links it walks those links (two
// partial indexes, newest document first, each stopping at the limit's
// match), with the same conditions, attachmentCouldShow and
// minutesCouldShow. The newest documents of the coming meetings, none
// public yet, then cost one index entry and the check of its item, paper
// or meeting each, not a look at every link of every document; non-public
// links are not read at all. A document linked twice comes twice and is
// listed once.
func (s *Store) newestPublicCandidates(ctx context.Context, before int64, limit int) ([]int64, error) {
	bound := `(SELECT MAX(id) FROM documents) - ` + strconv.Itoa(NewestDocumentsWalked)
	lim := strconv.Itoa(limit)
	// The terms before each condition are the partial indexes' WHERE
	// (migration 0014), spelled as they are there so that both planners
	// use them; for a viewer without seats they are implied by the
	// conditions anyway.
	q := `SELECT id FROM (SELECT a.document_id AS id FROM attachments a
			WHERE a.public = 1 AND a.withdrawn_at IS NULL AND a.document_id < ?1 AND a.document_id > ` + bound + `
			AND ` + attachmentCouldShow + ` ORDER BY a.document_id DESC LIMIT ` + lim + `) pa
		UNION ALL SELECT id FROM (SELECT mi.document_id AS id FROM minutes mi
			WHERE mi.state = 'published' AND mi.public = 1 AND mi.document_id < ?1 AND mi.document_id > ` + bound + `
			AND ` + minutesCouldShow + ` ORDER BY mi.document_id DESC LIMIT ` + lim + `) pm
		ORDER BY 1 DESC LIMIT ` + lim
	q = strings.ReplaceAll(q, seatedIn, "(1 = 0)") // no seats, as in walkQuery
	var out []int64
	for {
		ids, err := queryAll(ctx, s.db, scanID, q, before, ts(s.now()))
		if err != nil {
			return nil, fmt.Errorf("newest document candidates: %w", err)
		}
		for _, id := range ids {
			if len(out) == 0 || out[len(out)-1] != id {
				out = append(out, id)
			}
		}
		// Fewer than asked: the walk is at its end. A full answer
		// with a document twice: ask on for the rest, so that fewer
		// than limit still means the end.
		if len(ids) < limit || len(out) >= limit {
			return out[:min(len(out), limit)], nil
		}
		before = out[len(out)-1]
	}
}

// walkQuery puts a candidate condition, cond, into q (its one %s) for v,
// and returns q with its arguments: args bind ?1 and ?2 (now), and v's
// seats are appended as ?3 if cond needs them. Staff's condition is true.
func walkQuery(v access.Viewer, q, cond string, args ...any) (string, []any) {
	switch seats := memberOrgs(v); {
	case v.Staff():
		return fmt.Sprintf(q, "?2 = ?2"), args
	case seats == idList(nil):
		// No seats (a citizen): seatedIn is false. Spelled as a
		// constant, both planners drop the branches only seats open —
		// 2–3× less work per document on SQLite, and PostgreSQL's
		// generic plan had to keep them.
		return strings.ReplaceAll(fmt.Sprintf(q, cond), seatedIn, "(1 = 0)"), args
	default:
		return fmt.Sprintf(q, cond), append(args, seats)
	}
}

// ItemDocumentFilter selects the agenda items whose documents
// NewestItemDocuments walks: those of the meetings that start at or
// after From, of organization OrganizationID if it is not 0.
type ItemDocumentFilter struct {
	From           time.Time
	OrganizationID int64
}

// ItemDocument is a document attached to an agenda item: the attachment's
// meeting, item and document, and when the document's current version
// was created.
type ItemDocument struct {
	MeetingID, AgendaItemID, DocumentID int64
	Created                             time.Time
}

// NewestItemDocuments returns the documents attached to the agenda items
// f selects that could be visible to v (the attachment passes the
// candidate condition, as in DocumentCandidate) and have a current version,
// newest current version first, at most limit of them, in one query — the
// documents' Atom feed, which lists the newest hundred of them. Ties of
// the versions' times are in the order of the meetings' folders: meeting
// start and id, item position and id, attachment position and id. A
// document attached twice is listed twice. Candidates are a superset of
// what v may see: the folders (FindFolders) decide, and the first few
// visible ones among the candidates are the first few visible ones of all.
//
// The walk cannot be NewestDocumentCandidates' by document id: the order
// is that of the current versions, and a new version of an older
// document is newer than the documents after it. Its bound is f: it
// reads the item attachments of the meetings f selects (no index orders
// versions by time) — some 1,800 meetings at a year of Munich — not the
// archive's.
func (s *Store) NewestItemDocuments(ctx context.Context, v access.Viewer, f ItemDocumentFilter, limit int) ([]ItemDocument, error) {
	// The meetings first (CROSS JOIN keeps SQLite's order; PostgreSQL
	// plans it as the inner join it is): SQLite otherwise scanned every
	// attachment of the archive for the few on the window's items.
	q := `SELECT m.id, i.id, a.document_id, cv.created_at FROM meetings m
		CROSS JOIN agenda_items i CROSS JOIN attachments a
		JOIN versions cv ON cv.document_id = a.document_id AND cv.state = 'active'
			AND cv.number = (SELECT MAX(w.number) FROM versions w WHERE w.document_id = a.document_id AND w.state = 'active')
		WHERE m.start >= ?1 AND i.meeting_id = m.id AND a.agenda_item_id = i.id`
	if f.OrganizationID != 0 {
		// Spelled as a literal, like the limit: ?3 is the seats'.
		q += ` AND m.organization_id = ` + strconv.FormatInt(f.OrganizationID, 10)
	}
	q += ` AND (%s) ORDER BY cv.created_at DESC, m.start, m.id, i.position, i.id, a.position, a.id LIMIT ` + strconv.Itoa(limit)
	q, args := walkQuery(v, q, attachmentCouldShow, ts(f.From), ts(s.now()))
	out, err := queryAll(ctx, s.db, func(sc interface{ Scan(...any) error }) (ItemDocument, error) {
		var d ItemDocument
		var created string
		err := sc.Scan(&d.MeetingID, &d.AgendaItemID, &d.DocumentID, &created)
		d.Created = parseTS(created)
		return d, err
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("newest item documents: %w", err)
	}
	return out, nil
}
