package sessions

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
)

// Public lists: the pages of OParl's body-wide lists, for the anonymous
// viewer, in keyset order (by id, ascending), one page at a time. The
// anonymous viewer's part of the rule is in the query — the candidate
// conditions of candidates.go with no organizations, which for the
// anonymous viewer decide the whole rule but for exclusions, which the
// anonymous viewer never has — so a page reads only its own rows
// wherever it is in the list. The objects of a page are then read
// through the store's finders, which ask the rule again: there is still
// one decider.
//
// Objects that left the public view come from the publication ledger in
// the same order (FindGone's objects), merged in by key, when the caller
// asks for them (OParl: with modified_since).

// FileKeyOffset moves minutes after attachments in the order of the
// file list: a minutes' key is its id plus FileKeyOffset.
const FileKeyOffset = 1 << 40

// PublicListFilter selects one page of a public list. Zero fields do
// not filter.
type PublicListFilter struct {
	BodyID, OrganizationID int64
	// After continues the list after this key (the last key of the page
	// before).
	After int64
	Limit int
	// The times filter as OParl's created_since, created_until,
	// modified_since and modified_until do. The modified filters are
	// applied to a superset here: an object's modified time in OParl is
	// the latest of its own, of what it embeds and of the ledger's
	// transitions of both, and the query keeps every object where any of
	// these passes; the caller applies the exact filter to what it
	// builds.
	CreatedSince, CreatedUntil, ModifiedSince, ModifiedUntil time.Time
	// Gone merges in the objects that left the public view.
	Gone bool
}

// PublicRef is one entry of a public list page: an object the public
// sees (Gone nil), or one that left the public view.
type PublicRef struct {
	Type string // an access.Obj… constant
	ID   int64
	Key  int64 // the list's order: ID, or ID+FileKeyOffset for minutes
	// Parent is a consultation's paper, the meeting of minutes, of an
	// agenda item or of an attachment to a meeting or its items (0 for a
	// paper's): what their objects are read with.
	Parent int64
	// Paper is the paper of a paper's attachment (Parent 0), else 0.
	Paper int64
	Gone  *GoneObject
}

// PublicList names a public list: one or two object types.
type PublicList string

// The public lists.
const (
	ListMeetings      PublicList = access.ObjMeeting
	ListLocations     PublicList = access.ObjLocation
	ListAgendaItems   PublicList = access.ObjAgendaItem
	ListPapers        PublicList = access.ObjPaper
	ListConsultations PublicList = access.ObjConsultation
	ListFiles         PublicList = "file" // attachments, then minutes
)

// publicQuery is the SQL of one object type's public list. Its
// fragments bind ?1 the id to continue after, ?2 now, ?3 the anonymous
// viewer's seats (memberOrgs: none, '[]'), ?4 the body, ?5 the organization, ?6
// created since, ?7 created until (exclusive), ?8 modified since, ?9
// modified until (exclusive), ?10 the limit, ?11 the last id of the
// window read; a time that does not filter
// is ”.
type publicQuery struct {
	typ     string
	table   string // the table whose id key is
	from    string // tables
	key     string // the order: the table's id (the list's key adds keyOffset)
	id      string
	parent  string // PublicRef.Parent
	paper   string // PublicRef.Paper; empty: 0
	body    string
	org     string
	visible string
	created string
	// modified is the object's own modification time, a lower bound of
	// its OParl modified; changed is a condition true if anything its
	// OParl modified counts changed at or after ?8.
	modified, changed string
}

// ledgerSince is true if the ledger has a public transition in effect,
// at or after ?8, that counts for the modified time of the object of
// type typ whose id is col.
func ledgerSince(typ, col string) string {
	return touchedAt(typ, col, "at >= ?8 AND at <= ?2") + ` IS NOT NULL`
}

// versionSince is true if a version of document doc changed at or after
// ?8: created, superseded, withdrawn or current again. A File serves the
// current version, which changes by an upload and also by a withdrawal
// of the current one (the one before it is current again, with no new
// version created); a version's state_changed_at is the last of these
// and never before its created_at. (The times are RFC 3339 with varying
// fraction digits: as strings, this can only err towards true, which a
// superset may.)
func versionSince(doc string) string {
	return `EXISTS (SELECT 1 FROM versions v WHERE v.document_id = ` + doc + ` AND v.state_changed_at >= ?8)`
}

// served is true if document doc has a version the public may be given
// (documents' current version: the newest active one). A scalar
// subquery, asked per row (see paperCouldShow): as EXISTS, PostgreSQL
// joined every version to a page of the file list.
func served(doc string) string {
	return `(SELECT 1 FROM versions v WHERE v.document_id = ` + doc + ` AND v.state = 'active' LIMIT 1) IS NOT NULL`
}

func attachmentsChanged(where string) string {
	return `EXISTS (SELECT 1 FROM attachments a WHERE (` + where + `) AND (a.modified >= ?8 OR ` + versionSince("a.document_id") + `))`
}

var publicQueries = map[string]publicQuery{
	access.ObjMeeting: {typ: access.ObjMeeting, table: `meetings`,
		from: `meetings m JOIN organizations o ON o.id = m.organization_id`, key: `m.id`, id: `m.id`,
		body: `o.body_id`, org: `m.organization_id`, visible: `m.published_at <= ?2 AND ?3 = ?3`,
		created: `m.created`, modified: `m.modified`,
		changed: `m.modified >= ?8
			OR EXISTS (SELECT 1 FROM agenda_items i WHERE i.meeting_id = m.id AND (i.modified >= ?8
				OR EXISTS (SELECT 1 FROM consultations c WHERE c.agenda_item_id = i.id AND c.created >= ?8)))
			OR ` + attachmentsChanged(`a.meeting_id = m.id OR a.agenda_item_id IN (SELECT id FROM agenda_items WHERE meeting_id = m.id)`) + `
			OR EXISTS (SELECT 1 FROM minutes mi WHERE mi.meeting_id = m.id AND (mi.modified >= ?8 OR ` + versionSince("mi.document_id") + `))
			OR ` + ledgerSince(access.ObjMeeting, "m.id")},
	access.ObjLocation: {typ: access.ObjLocation, table: `meetings`,
		from: `meetings m JOIN organizations o ON o.id = m.organization_id`, key: `m.id`, id: `m.id`,
		body: `o.body_id`, org: `m.organization_id`, visible: `m.published_at <= ?2 AND m.location <> '' AND ?3 = ?3`,
		created: `m.created`, modified: `m.modified`,
		changed: `m.modified >= ?8 OR ` + ledgerSince(access.ObjLocation, "m.id")},
	access.ObjAgendaItem: {typ: access.ObjAgendaItem, table: `agenda_items`,
		from: `agenda_items i JOIN meetings m ON m.id = i.meeting_id JOIN organizations o ON o.id = m.organization_id`,
		key:  `i.id`, id: `i.id`, parent: `i.meeting_id`, body: `o.body_id`, org: `m.organization_id`,
		// ItemAccess's whole condition for None (itemCandidate).
		visible: `i.withdrawn_at IS NULL AND m.published_at <= ?2 AND ?3 = ?3`,
		created: `i.created`, modified: `i.modified`,
		changed: `i.modified >= ?8
			OR EXISTS (SELECT 1 FROM consultations c WHERE c.agenda_item_id = i.id AND c.created >= ?8)
			OR ` + attachmentsChanged(`a.agenda_item_id = i.id`) + `
			OR ` + ledgerSince(access.ObjAgendaItem, "i.id")},
	access.ObjPaper: {typ: access.ObjPaper, table: `papers`,
		from: `papers p`, key: `p.id`, id: `p.id`, body: `p.body_id`, org: `0`, visible: paperCouldShow,
		created: `p.created`, modified: `p.modified`,
		changed: `p.modified >= ?8
			OR EXISTS (SELECT 1 FROM consultations c WHERE c.paper_id = p.id AND c.created >= ?8)
			OR ` + attachmentsChanged(`a.paper_id = p.id OR a.agenda_item_id IN (SELECT agenda_item_id FROM consultations WHERE paper_id = p.id)`) + `
			OR ` + ledgerSince(access.ObjPaper, "p.id")},
	access.ObjConsultation: {typ: access.ObjConsultation, table: `consultations`,
		from: `consultations k JOIN papers p ON p.id = k.paper_id`, key: `k.id`, id: `k.id`, parent: `k.paper_id`, body: `p.body_id`, org: `0`,
		// The paper visible and its item seen in full (FindConsultations).
		visible: paperCouldShow + ` AND EXISTS (SELECT 1 FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id
			WHERE i.id = k.agenda_item_id AND ` + itemCouldShow + `)`,
		created: `k.created`, modified: `k.created`,
		changed: `k.created >= ?8 OR ` + ledgerSince(access.ObjConsultation, "k.id")},
	access.ObjAttachment: {typ: access.ObjAttachment, table: `attachments`,
		from: `attachments a LEFT JOIN agenda_items ai ON ai.id = a.agenda_item_id
			LEFT JOIN meetings am ON am.id = COALESCE(a.meeting_id, ai.meeting_id)
			LEFT JOIN organizations ao ON ao.id = am.organization_id
			LEFT JOIN papers ap ON ap.id = a.paper_id`,
		key: `a.id`, id: `a.id`, parent: `COALESCE(am.id, 0)`, paper: `COALESCE(a.paper_id, 0)`, body: `COALESCE(ao.body_id, ap.body_id, 0)`, org: `COALESCE(am.organization_id, 0)`,
		visible: attachmentCouldShow + ` AND ` + served("a.document_id"),
		created: `a.created`, modified: `a.modified`,
		changed: `a.modified >= ?8 OR ` + versionSince("a.document_id") + ` OR ` + ledgerSince(access.ObjAttachment, "a.id")},
	access.ObjMinutes: {typ: access.ObjMinutes, table: `minutes`,
		from: `minutes mi JOIN meetings mm ON mm.id = mi.meeting_id JOIN organizations mo ON mo.id = mm.organization_id`,
		key:  `mi.id`, id: `mi.id`, parent: `mi.meeting_id`, body: `mo.body_id`, org: `mm.organization_id`,
		visible: minutesCouldShow + ` AND ` + served("mi.document_id"),
		created: `mi.created`, modified: `mi.modified`,
		changed: `mi.modified >= ?8 OR ` + versionSince("mi.document_id") + ` OR ` + ledgerSince(access.ObjMinutes, "mi.id")},
}

// listTypes are the object types of a list, in key order.
func listTypes(l PublicList) []string {
	if l == ListFiles {
		return []string{access.ObjAttachment, access.ObjMinutes}
	}
	return []string{string(l)}
}

func keyOffset(typ string) int64 {
	if typ == access.ObjMinutes {
		return FileKeyOffset
	}
	return 0
}

// FindPublicPage returns the next page of list l as the anonymous viewer
// sees it: up to f.Limit entries with keys after f.After, in key order,
// and whether more follow. Its cost is that of one page, wherever it is
// in the list.
func (s *Store) FindPublicPage(ctx context.Context, l PublicList, f PublicListFilter) ([]PublicRef, bool, error) {
	if f.Limit <= 0 {
		return nil, false, fmt.Errorf("find public page: no limit")
	}
	var out []PublicRef
	for _, typ := range listTypes(l) {
		refs, err := s.publicRefs(ctx, typ, f)
		if err != nil {
			return nil, false, err
		}
		out = append(out, refs...)
		if f.Gone {
			gone, err := s.goneRefs(ctx, typ, f)
			if err != nil {
				return nil, false, err
			}
			out = append(out, gone...)
		}
	}
	// The ledger and the rule should never both claim an object; if
	// they do, the public entry (first, the sort is stable) wins.
	slices.SortStableFunc(out, func(a, b PublicRef) int { return cmp.Compare(a.Key, b.Key) })
	out = slices.CompactFunc(out, func(a, b PublicRef) bool { return a.Key == b.Key })
	if len(out) > f.Limit {
		return out[:f.Limit], true, nil
	}
	return out, false, nil
}

// timeArgs binds the filters' times: ” for no filter, an exclusive
// upper bound one second after an "until" (OParl's times have whole
// seconds, and a time compares by its second).
func timeArgs(f PublicListFilter) (cs, cu, ms, mu string) {
	at := func(t time.Time, until bool) string {
		if t.IsZero() {
			return ""
		}
		if until {
			t = t.Truncate(time.Second).Add(time.Second)
		}
		return ts(t)
	}
	return at(f.CreatedSince, false), at(f.CreatedUntil, true), at(f.ModifiedSince, false), at(f.ModifiedUntil, true)
}

// publicRefs reads up to f.Limit+1 objects of type typ the public sees,
// after f.After.
//
// It reads the list in windows of the next keys of the type's table,
// each query bounded by its window's last key. The planner cannot know
// how many rows the visibility conditions pass; PostgreSQL, guessing few,
// filtered every row after the key and sorted them for a page (the file
// list: seconds). Bounded to a window, a query reads its window's rows,
// whatever the plan: a page costs its windows, wherever it is in the list.
func (s *Store) publicRefs(ctx context.Context, typ string, f PublicListFilter) ([]PublicRef, error) {
	q := publicQueries[typ]
	cs, cu, ms, mu := timeArgs(f)
	parent, paper := cmp.Or(q.parent, "0"), cmp.Or(q.paper, "0")
	query := `SELECT ` + q.id + `, ` + parent + `, ` + paper + ` FROM ` + q.from + ` WHERE ` + q.key + ` > ?1 AND ` + q.key + ` <= ?11 AND (` + q.visible + `)
		AND (?4 = 0 OR ` + q.body + ` = ?4) AND (?5 = 0 OR ` + q.org + ` = ?5)
		AND (?6 = '' OR ` + q.created + ` >= ?6) AND (?7 = '' OR ` + q.created + ` < ?7)
		AND (?9 = '' OR ` + q.modified + ` < ?9) AND (?8 = '' OR ` + q.changed + `)
		ORDER BY ` + q.key + ` LIMIT ?10`
	// The query's key is the table's id; the list's key adds off.
	off := keyOffset(typ)
	now := ts(s.now())
	span := max(2*(f.Limit+1), 64)
	var out []PublicRef
	for after := max(f.After-off, 0); len(out) <= f.Limit; {
		// The window: the ids after after up to the table's span-th
		// next row, or to the end of the table.
		last, full, err := s.windowEnd(ctx, q.table, after, span)
		if err != nil {
			return nil, fmt.Errorf("public list %s: %w", typ, err)
		}
		upTo := int64(math.MaxInt64)
		if full {
			upTo = last
		}
		ids, err := queryAll(ctx, s.db, func(sc interface{ Scan(...any) error }) (r [3]int64, err error) {
			err = sc.Scan(&r[0], &r[1], &r[2])
			return r, err
		}, query, after, now, "[]", f.BodyID, f.OrganizationID, cs, cu, ms, mu, f.Limit+1-len(out), upTo)
		if err != nil {
			return nil, fmt.Errorf("public list %s: %w", typ, err)
		}
		for _, id := range ids {
			out = append(out, PublicRef{Type: typ, ID: id[0], Key: id[0] + off, Parent: id[1], Paper: id[2]})
		}
		if !full {
			break
		}
		after = upTo
	}
	return out, nil
}

// windowEnd returns the id of the span-th row of table after id after,
// and false if there are fewer.
func (s *Store) windowEnd(ctx context.Context, table string, after int64, span int) (int64, bool, error) {
	var last int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?`, after, span-1).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return last, true, nil
}

// goneRefs reads up to f.Limit+1 objects of type typ that left the
// public view (the ledger's last transition in effect took them out, and
// one before it made them public), after f.After, in key order.
func (s *Store) goneRefs(ctx context.Context, typ string, f PublicListFilter) ([]PublicRef, error) {
	if err := s.catchUpVersions(ctx); err != nil {
		return nil, err
	}
	_, _, ms, mu := timeArgs(f)
	off := keyOffset(typ)
	now := ts(s.now())
	var out []PublicRef
	after := max(f.After-off, 0)
	for len(out) <= f.Limit {
		// The ledger's last transition of each object, in id order: the
		// index ledger_object walks it without reading other objects.
		ids, err := queryAll(ctx, s.db, scanID, `SELECT l.object_id FROM ledger l
			WHERE l.kind = 'public' AND l.object_type = ?1 AND l.object_id > ?2 AND l.public = 0 AND l.at <= ?3
			AND (?4 = '' OR l.at >= ?4) AND (?5 = '' OR l.at < ?5)
			AND l.seq = (SELECT MAX(e.seq) FROM ledger e WHERE e.kind = 'public' AND e.object_type = ?1
				AND e.object_id = l.object_id AND e.at <= ?3)
			AND EXISTS (SELECT 1 FROM ledger e WHERE e.kind = 'public' AND e.object_type = ?1
				AND e.object_id = l.object_id AND e.public = 1 AND e.at <= ?3)
			ORDER BY l.object_id LIMIT ?6`, typ, after, now, ms, mu, f.Limit+1)
		if err != nil {
			return nil, fmt.Errorf("public list %s: gone: %w", typ, err)
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		gone, err := s.goneObjects(ctx, typ, ids)
		if err != nil {
			return nil, err
		}
		for _, g := range gone {
			if (f.BodyID != 0 && g.BodyID != f.BodyID) || (f.OrganizationID != 0 && g.OrganizationID != f.OrganizationID) ||
				(!f.CreatedSince.IsZero() && g.Created.Truncate(time.Second).Before(f.CreatedSince)) ||
				(!f.CreatedUntil.IsZero() && g.Created.Truncate(time.Second).After(f.CreatedUntil)) {
				continue
			}
			g := g
			parent := g.PaperID
			if typ == access.ObjMinutes {
				parent = g.MeetingID
			}
			out = append(out, PublicRef{Type: typ, ID: g.ID, Key: g.ID + off, Parent: parent, Gone: &g})
		}
		if len(ids) <= f.Limit {
			break
		}
	}
	return out, nil
}
