package sessions

import (
	"context"
	"fmt"

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

// memberOrgs returns the organizations v is (or was) a member of, as a
// json_each list for the candidate queries; the rule checks the dates.
func memberOrgs(v access.Viewer) string {
	var ids []int64
	if v.Role == access.RoleMember && v.PersonID != 0 {
		for _, p := range v.Memberships {
			ids = append(ids, p.OrganizationID)
		}
	}
	return idList(ids)
}

// The candidate queries bind ?1 to the object's id, ?2 to now and ?3 to
// the viewer's organizations (memberOrgs).

// itemCouldShow is the condition on agenda item i of meeting m under which
// v could see i in full: the meeting published by now, the item not
// withdrawn, and public or of an organization v is a member of.
const itemCouldShow = `i.withdrawn_at IS NULL AND m.published_at <= ?2
	AND (i.public = 1 OR m.organization_id IN (SELECT value FROM json_each(?3)))`

// paperCouldShow is the condition on paper p under which v could see it:
// published explicitly by now, or consulted on an item v could see in
// full.
const paperCouldShow = `(p.published_at <= ?2 OR EXISTS (SELECT 1 FROM consultations c
	JOIN agenda_items i ON i.id = c.agenda_item_id JOIN meetings m ON m.id = i.meeting_id
	WHERE c.paper_id = p.id AND ` + itemCouldShow + `))`

// paperCandidate reports whether paper id exists and could be visible to v
// (staff: whether it exists), in one query.
func (s *Store) paperCandidate(ctx context.Context, v access.Viewer, id int64) (bool, error) {
	cond := paperCouldShow
	if v.Staff() {
		cond = "?2 = ?2 AND ?3 = ?3" // binds the same arguments
	}
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM papers p WHERE p.id = ?1 AND `+cond+`)`, id, ts(s.now()), memberOrgs(v)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("paper candidate %d: %w", id, err)
	}
	return ok, nil
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
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents WHERE id = ?`, docID).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("document candidate %d: %w", docID, err)
		}
		return n > 0, nil
	}
	now, orgs := ts(s.now()), memberOrgs(v)
	q := `SELECT EXISTS (SELECT 1 FROM attachments a
			JOIN agenda_items i ON i.id = a.agenda_item_id JOIN meetings m ON m.id = i.meeting_id
			WHERE a.document_id = ?1 AND a.withdrawn_at IS NULL AND ` + itemCouldShow + `
			AND ((i.public = 1 AND a.public = 1) OR m.organization_id IN (SELECT value FROM json_each(?3))))
		OR EXISTS (SELECT 1 FROM attachments a JOIN papers p ON p.id = a.paper_id
			WHERE a.document_id = ?1 AND a.withdrawn_at IS NULL AND ` + paperCouldShow + `)
		OR EXISTS (SELECT 1 FROM attachments a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.document_id = ?1 AND a.withdrawn_at IS NULL AND m.published_at <= ?2
			AND (a.public = 1 OR m.organization_id IN (SELECT value FROM json_each(?3))))
		OR EXISTS (SELECT 1 FROM minutes mi JOIN meetings m ON m.id = mi.meeting_id
			WHERE mi.document_id = ?1 AND m.published_at <= ?2
			AND ((mi.state = 'published' AND mi.public = 1)
				OR (mi.state IN ('approved', 'published') AND m.organization_id IN (SELECT value FROM json_each(?3)))))`
	var ok bool
	if err := s.db.QueryRowContext(ctx, q, docID, now, orgs).Scan(&ok); err != nil {
		return false, fmt.Errorf("document candidate %d: %w", docID, err)
	}
	return ok, nil
}
