package sessions

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
)

// The domain's side of the publication ledger (access/ledger.go): every
// mutation that can change what anyone may see calls recordLedger inside
// its transaction with the objects it touched. recordLedger widens them
// to every object whose public state can follow from the change — a
// meeting: its location, agenda items, their attachments, consultations
// and papers, its own attachments and minutes; a paper: its attachments
// and consultations — loads their facts in the same transaction, decides
// the anonymous viewer's access with the rule functions of package
// access at now and at each future publication time involved, and lets
// access.RecordPublic append the transitions.
//
// The facts are read through the transaction (the store's other readers
// use the pool, which would not see the uncommitted change); they are the
// same columns and the same Facts methods the policy's graph uses.

// ledgerScope is what a mutation touched.
type ledgerScope struct {
	meetings, papers, attachments, minutes []int64
	// removedConsultations are consultations deleted by the change: no
	// longer public, whatever they were.
	removedConsultations []int64
	// entries are rows of other kinds (exclusions, memberships,
	// versions), recorded as they are.
	entries []access.Entry
}

// querier is what the ledger's fact loading needs: *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query on q and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

type consultationLink struct{ id, paper, item int64 }

func scanLink(sc interface{ Scan(...any) error }) (consultationLink, error) {
	var c consultationLink
	err := sc.Scan(&c.id, &c.paper, &c.item)
	return c, err
}

type paperPublished struct {
	id  int64
	row *paperRow
}

func scanPaperPublished(sc interface{ Scan(...any) error }) (paperPublished, error) {
	p := paperPublished{row: &paperRow{}}
	err := sc.Scan(&p.id, &p.row.publishedAt)
	return p, err
}

// scanPair scans a row of two ids, such as (paper, person).
func scanPair(sc interface{ Scan(...any) error }) ([2]int64, error) {
	var p [2]int64
	err := sc.Scan(&p[0], &p[1])
	return p, err
}

func scanID(sc interface{ Scan(...any) error }) (int64, error) {
	var id int64
	err := sc.Scan(&id)
	return id, err
}

// recordLedger records the public transitions sc can cause, and sc's
// other entries, inside tx.
func (s *Store) recordLedger(ctx context.Context, tx *sql.Tx, sc ledgerScope) error {
	now := s.now()
	for _, e := range sc.entries {
		if err := access.Record(ctx, tx, now, e); err != nil {
			return err
		}
	}
	states, err := s.publicStates(ctx, tx, sc, now)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return access.RecordPublic(ctx, tx, now, states)
}

// publicStates decides the anonymous viewer's access to every object sc
// can affect, at now and at every later publication time involved.
func (s *Store) publicStates(ctx context.Context, q querier, sc ledgerScope, now time.Time) (map[access.Object][]access.StateAt, error) {
	ms := idList(sc.meetings)
	// The objects in scope.
	items, err := queryAll(ctx, q, scanItem, `SELECT `+itemColumns+` FROM agenda_items WHERE meeting_id`+inIDs, ms)
	if err != nil {
		return nil, err
	}
	itemIDs := make([]int64, 0, len(items))
	for _, it := range items {
		itemIDs = append(itemIDs, it.ID)
	}
	papers := slices.Clone(sc.papers)
	onItems, err := queryAll(ctx, q, scanID, `SELECT DISTINCT paper_id FROM consultations WHERE agenda_item_id`+inIDs, idList(itemIDs))
	if err != nil {
		return nil, err
	}
	papers = append(papers, onItems...)
	atts, err := queryAll(ctx, q, scanAttachment, `SELECT `+attachmentColumns+` FROM attachments WHERE `+
		idInAny("attachments", "id", "meeting_id", "agenda_item_id", "paper_id"),
		idList(sc.attachments), ms, idList(itemIDs), idList(papers))
	if err != nil {
		return nil, err
	}
	mins, err := queryAll(ctx, q, scanMinutes, `SELECT `+minutesColumns+` FROM minutes WHERE `+idInAny("minutes", "id", "meeting_id"),
		idList(sc.minutes), ms)
	if err != nil {
		return nil, err
	}
	// A File is public only while its document has a version that is not
	// withdrawn: once every version is withdrawn, there is nothing to serve.
	var docs []int64
	for _, a := range atts {
		docs = append(docs, a.DocumentID)
	}
	for _, m := range mins {
		docs = append(docs, m.DocumentID)
	}
	allWithdrawn, err := queryAll(ctx, q, scanID, `SELECT document_id FROM versions WHERE document_id`+inIDs+`
		GROUP BY document_id HAVING COUNT(*) FILTER (WHERE state <> 'withdrawn') = 0`, idList(docs))
	if err != nil {
		return nil, err
	}
	served := func(doc int64) bool { return !slices.Contains(allWithdrawn, doc) }
	// The facts behind them: every paper's consultations, every item's
	// meeting.
	for _, a := range atts {
		if a.PaperID != 0 {
			papers = append(papers, a.PaperID)
		}
	}
	links, err := queryAll(ctx, q, scanLink, `SELECT id, paper_id, agenda_item_id FROM consultations WHERE paper_id`+inIDs, idList(papers))
	if err != nil {
		return nil, err
	}
	g := &graph{meetings: map[int64]*Meeting{}, excluded: map[int64][]int64{}, items: map[int64]*AgendaItem{}, papers: map[int64]*paperRow{}}
	rows, err := queryAll(ctx, q, scanPaperPublished, `SELECT id, published_at FROM papers WHERE id`+inIDs, idList(papers))
	if err != nil {
		return nil, err
	}
	for _, p := range rows {
		g.papers[p.id] = p.row
	}
	var more []int64
	for _, c := range links {
		if p := g.papers[c.paper]; p != nil {
			p.items = append(p.items, c.item)
		}
		more = append(more, c.item)
	}
	for _, a := range atts {
		if a.AgendaItemID != 0 {
			more = append(more, a.AgendaItemID)
		}
	}
	extra, err := queryAll(ctx, q, scanItem, `SELECT `+itemColumns+` FROM agenda_items WHERE id`+inIDs, idList(more))
	if err != nil {
		return nil, err
	}
	meetingIDs := slices.Clone(sc.meetings)
	for _, it := range append(items, extra...) {
		g.items[it.ID] = it
		meetingIDs = append(meetingIDs, it.MeetingID)
	}
	for _, a := range atts {
		if a.MeetingID != 0 {
			meetingIDs = append(meetingIDs, a.MeetingID)
		}
	}
	for _, m := range mins {
		meetingIDs = append(meetingIDs, m.MeetingID)
	}
	meetings, err := queryAll(ctx, q, scanMeeting, `SELECT `+meetingColumns+` FROM meetings WHERE id`+inIDs, idList(meetingIDs))
	if err != nil {
		return nil, err
	}
	for _, m := range meetings {
		g.meetings[m.ID] = m
	}
	// The public view changes by itself at the publications still to
	// come.
	instants := append([]time.Time{now}, g.publicationsAfter(now)...)

	anon := access.Viewer{}
	out := map[access.Object][]access.StateAt{}
	add := func(typ string, id int64, public func(t time.Time) bool) {
		o := access.Object{Type: typ, ID: id}
		if _, done := out[o]; done {
			return
		}
		sts := make([]access.StateAt, 0, len(instants))
		for _, t := range instants {
			sts = append(sts, access.StateAt{At: t, Public: public(t)})
		}
		out[o] = sts
	}
	for _, id := range sc.meetings {
		m := g.meetings[id]
		if m == nil {
			continue
		}
		add(access.ObjMeeting, id, func(t time.Time) bool { return access.MeetingAccess(anon, m.Facts(), t) == access.Full })
		add(access.ObjLocation, id, func(t time.Time) bool {
			return m.Location != "" && access.MeetingAccess(anon, m.Facts(), t) == access.Full
		})
	}
	for _, it := range items {
		f, ok := g.itemFacts(it.ID)
		if !ok {
			continue
		}
		// A non-public item's Stub is an OParl AgendaItem too.
		add(access.ObjAgendaItem, it.ID, func(t time.Time) bool { return access.ItemAccess(anon, f, t) != access.None })
	}
	for _, id := range papers {
		f, ok := g.paperFacts(id)
		if !ok {
			continue
		}
		add(access.ObjPaper, id, func(t time.Time) bool { return access.PaperAccess(anon, f, t) == access.Full })
	}
	for _, c := range links {
		p, pok := g.paperFacts(c.paper)
		it, iok := g.itemFacts(c.item)
		if !pok || !iok {
			continue
		}
		add(access.ObjConsultation, c.id, func(t time.Time) bool {
			return access.PaperAccess(anon, p, t) == access.Full && access.ItemAccess(anon, it, t) == access.Full
		})
	}
	for _, id := range sc.removedConsultations {
		add(access.ObjConsultation, id, func(time.Time) bool { return false })
	}
	for _, a := range atts {
		add(access.ObjAttachment, a.ID, func(t time.Time) bool { return served(a.DocumentID) && g.attachment(anon, a, t) == access.Full })
	}
	for _, m := range mins {
		add(access.ObjMinutes, m.ID, func(t time.Time) bool { return served(m.DocumentID) && g.minutes(anon, m, t) == access.Full })
	}
	return out, nil
}

// SeedLedger records the public state of every object once, for a
// database that predates the ledger: objects public now get a row at
// now; what left the public view before the upgrade is not known and
// gets no stub. It does nothing if the ledger was seeded before, so cmd
// runs it at every start after the migrations.
func (s *Store) SeedLedger(ctx context.Context) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("seed ledger: %w", err)
	}
	defer tx.Rollback()
	seeded, err := queryAll(ctx, tx, scanID, `SELECT seq FROM ledger WHERE kind = 'seed' LIMIT 1`)
	if err != nil {
		return fmt.Errorf("seed ledger: %w", err)
	}
	if len(seeded) > 0 {
		return nil
	}
	var sc ledgerScope
	if sc.meetings, err = queryAll(ctx, tx, scanID, `SELECT id FROM meetings`); err != nil {
		return fmt.Errorf("seed ledger: %w", err)
	}
	if sc.papers, err = queryAll(ctx, tx, scanID, `SELECT id FROM papers`); err != nil {
		return fmt.Errorf("seed ledger: %w", err)
	}
	sc.entries = []access.Entry{{Kind: "seed", Object: access.Object{Type: "ledger"}}}
	if err := s.recordLedger(ctx, tx, sc); err != nil {
		return fmt.Errorf("seed ledger: %w", err)
	}
	return tx.Commit()
}

// inTx runs fn in a transaction and, before committing, records in the
// ledger what fn says it touched.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) (ledgerScope, error)) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	sc, err := fn(tx)
	if err != nil {
		return err
	}
	if err := s.recordLedger(ctx, tx, sc); err != nil {
		return err
	}
	return tx.Commit()
}

// catchUpVersions records in the ledger what versions withdrawn or added
// since its last call changed of the public view (their documents'
// attachments and minutes; see migration 0006). Every ledger read calls it
// first, so no reader sees the ledger behind a version change.
func (s *Store) catchUpVersions(ctx context.Context) error {
	pending, err := queryAll(ctx, s.db, scanID, `SELECT id FROM ledger_versions_pending LIMIT 1`)
	if err != nil || len(pending) == 0 {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("ledger: versions: %w", err)
	}
	defer tx.Rollback()
	docs, err := queryAll(ctx, tx, scanID, `SELECT DISTINCT document_id FROM ledger_versions_pending`)
	if err != nil {
		return fmt.Errorf("ledger: versions: %w", err)
	}
	var sc ledgerScope
	if sc.attachments, err = queryAll(ctx, tx, scanID, `SELECT id FROM attachments WHERE document_id`+inIDs, idList(docs)); err != nil {
		return fmt.Errorf("ledger: versions: %w", err)
	}
	if sc.minutes, err = queryAll(ctx, tx, scanID, `SELECT id FROM minutes WHERE document_id`+inIDs, idList(docs)); err != nil {
		return fmt.Errorf("ledger: versions: %w", err)
	}
	if err := s.recordLedger(ctx, tx, sc); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM ledger_versions_pending WHERE document_id`+inIDs, idList(docs)); err != nil {
		return fmt.Errorf("ledger: versions: %w", err)
	}
	return tx.Commit()
}

// LedgerStatuses returns the public status (access.Statuses) of objects
// of type typ — all that were ever public if ids is nil — at now.
func (s *Store) LedgerStatuses(ctx context.Context, typ string, ids []int64) (map[int64]access.Status, error) {
	if err := s.catchUpVersions(ctx); err != nil {
		return nil, err
	}
	return access.Statuses(ctx, s.db, typ, ids, s.now())
}

// LedgerEntries returns the ledger rows of kind (all if empty) in effect
// now whose time is at or after since (access.Entries).
func (s *Store) LedgerEntries(ctx context.Context, kind string, since time.Time) ([]access.Entry, error) {
	if err := s.catchUpVersions(ctx); err != nil {
		return nil, err
	}
	return access.Entries(ctx, s.db, kind, since, s.now())
}

// membershipScope records a membership created or changed: it changes
// what its person may see (access.Viewer.MemberOf), not the public view.
func membershipScope(id int64, m *Membership) ledgerScope {
	return ledgerScope{entries: []access.Entry{{Kind: access.KindMembership, Object: access.Object{Type: access.ObjMembership, ID: id},
		PersonID: m.PersonID, Detail: fmt.Sprintf("organization=%d start=%s end=%s", m.OrganizationID, m.StartDate, m.EndDate)}}}
}

// GoneObject is an object that left the public view: the ledger shows it
// public once and not now. It carries what its OParl stub and the lists
// that show it need.
type GoneObject struct {
	Type           string // an access.Obj… constant
	ID             int64
	Created, Gone  time.Time // Gone: when it left the public view
	BodyID         int64
	OrganizationID int64 // of its meeting, if it belongs to one
	MeetingID      int64 // its meeting, if any (the meeting itself for a meeting or location)
	PaperID        int64 // its paper, if any (the paper itself for a paper)
	Position       int   // an agenda item's order
}

// goneDetails reads, per object type, what GoneObject needs; the ids are
// the query's only parameter.
var goneDetails = map[string]string{
	access.ObjMeeting: `SELECT m.id, m.created, o.body_id, m.organization_id, m.id, 0, 0
		FROM meetings m JOIN organizations o ON o.id = m.organization_id WHERE m.id`,
	access.ObjLocation: `SELECT m.id, m.created, o.body_id, m.organization_id, m.id, 0, 0
		FROM meetings m JOIN organizations o ON o.id = m.organization_id WHERE m.id`,
	access.ObjAgendaItem: `SELECT a.id, a.created, o.body_id, m.organization_id, m.id, 0, a.position
		FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id JOIN organizations o ON o.id = m.organization_id WHERE a.id`,
	access.ObjConsultation: `SELECT c.id, c.created, p.body_id, 0, 0, c.paper_id, 0
		FROM (SELECT id, paper_id, created FROM consultations
			UNION ALL SELECT id, paper_id, created FROM consultation_tombstones) c
		JOIN papers p ON p.id = c.paper_id WHERE c.id`,
	access.ObjPaper: `SELECT id, created, body_id, 0, 0, id, 0 FROM papers WHERE id`,
	access.ObjAttachment: `SELECT a.id, a.created, COALESCE(o.body_id, p.body_id, 0), COALESCE(m.organization_id, 0),
			COALESCE(m.id, 0), COALESCE(a.paper_id, 0), 0
		FROM attachments a LEFT JOIN agenda_items i ON i.id = a.agenda_item_id
		LEFT JOIN meetings m ON m.id = COALESCE(a.meeting_id, i.meeting_id)
		LEFT JOIN organizations o ON o.id = m.organization_id
		LEFT JOIN papers p ON p.id = a.paper_id WHERE a.id`,
	access.ObjMinutes: `SELECT mi.id, mi.created, o.body_id, m.organization_id, m.id, 0, 0
		FROM minutes mi JOIN meetings m ON m.id = mi.meeting_id JOIN organizations o ON o.id = m.organization_id WHERE mi.id`,
}

// FindGone returns the objects of type typ (an access.Obj… constant of a
// public object) that left the public view — object id only, or all if
// id is 0. An object that was never public is never among them.
func (s *Store) FindGone(ctx context.Context, typ string, id int64) ([]GoneObject, error) {
	if err := s.catchUpVersions(ctx); err != nil {
		return nil, err
	}
	if _, ok := goneDetails[typ]; !ok {
		return nil, fmt.Errorf("find gone: unknown object type %q", typ)
	}
	var ids []int64
	if id != 0 {
		ids = []int64{id}
	}
	return s.goneObjects(ctx, typ, ids)
}

// goneObjects returns those of the objects ids of type typ (all if nil)
// that left the public view, by id.
func (s *Store) goneObjects(ctx context.Context, typ string, ids []int64) ([]GoneObject, error) {
	st, err := access.Statuses(ctx, s.db, typ, ids, s.now())
	if err != nil {
		return nil, err
	}
	var gone []int64
	for id, x := range st {
		if x.Gone() {
			gone = append(gone, id)
		}
	}
	out, err := queryAll(ctx, s.db, func(sc interface{ Scan(...any) error }) (GoneObject, error) {
		g := GoneObject{Type: typ}
		var created string
		err := sc.Scan(&g.ID, &created, &g.BodyID, &g.OrganizationID, &g.MeetingID, &g.PaperID, &g.Position)
		g.Created, g.Gone = parseTS(created), st[g.ID].Last
		return g, err
	}, goneDetails[typ]+inIDs, idList(gone))
	if err != nil {
		return nil, fmt.Errorf("find gone %s: %w", typ, err)
	}
	slices.SortFunc(out, func(a, b GoneObject) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// touchTerm is a set of objects whose public transitions count for
// another's modified time: objects of ledger type typ whose ids the SQL
// ids selects (?1: the other object's id).
type touchTerm struct{ typ, ids string }

// touchedTerms say, per type, what counts for an object's modified time
// in OParl: its own transitions and those of everything OParl embeds in
// it (OParl 1.1, 2.8: an object whose embedded object appears or is
// deleted counts as modified). A type not listed counts only its own.
var touchedTerms = map[string][]touchTerm{
	access.ObjMeeting: {{access.ObjMeeting, "?1"}, {access.ObjLocation, "?1"},
		{access.ObjAgendaItem, `SELECT id FROM agenda_items WHERE meeting_id = ?1`},
		{access.ObjAttachment, `SELECT id FROM attachments WHERE meeting_id = ?1
			UNION ALL SELECT t.id FROM attachments t JOIN agenda_items ti ON ti.id = t.agenda_item_id WHERE ti.meeting_id = ?1`},
		{access.ObjConsultation, `SELECT tc.id FROM consultations tc JOIN agenda_items ti ON ti.id = tc.agenda_item_id WHERE ti.meeting_id = ?1
			UNION ALL SELECT tc.id FROM consultation_tombstones tc JOIN agenda_items ti ON ti.id = tc.agenda_item_id WHERE ti.meeting_id = ?1`},
		{access.ObjMinutes, `SELECT id FROM minutes WHERE meeting_id = ?1`}},
	access.ObjAgendaItem: {{access.ObjAgendaItem, "?1"},
		{access.ObjAttachment, `SELECT id FROM attachments WHERE agenda_item_id = ?1`},
		{access.ObjConsultation, `SELECT id FROM consultations WHERE agenda_item_id = ?1
			UNION ALL SELECT id FROM consultation_tombstones WHERE agenda_item_id = ?1`}},
	// A file on an agenda item names the public papers consulted on the
	// item (OParl File.paper): a consultation made or taken back there,
	// or such a paper entering or leaving the public view, changes the
	// file although no row of its own did.
	access.ObjAttachment: {{access.ObjAttachment, "?1"},
		{access.ObjConsultation, `SELECT tc.id FROM attachments ta JOIN consultations tc ON tc.agenda_item_id = ta.agenda_item_id WHERE ta.id = ?1
			UNION ALL SELECT tc.id FROM attachments ta JOIN consultation_tombstones tc ON tc.agenda_item_id = ta.agenda_item_id WHERE ta.id = ?1`},
		{access.ObjPaper, `SELECT tc.paper_id AS id FROM attachments ta JOIN consultations tc ON tc.agenda_item_id = ta.agenda_item_id WHERE ta.id = ?1
			UNION ALL SELECT tc.paper_id FROM attachments ta JOIN consultation_tombstones tc ON tc.agenda_item_id = ta.agenda_item_id WHERE ta.id = ?1`}},
	access.ObjPaper: {{access.ObjPaper, "?1"},
		{access.ObjConsultation, `SELECT id FROM consultations WHERE paper_id = ?1
			UNION ALL SELECT id FROM consultation_tombstones WHERE paper_id = ?1`},
		{access.ObjAttachment, `SELECT id FROM attachments WHERE paper_id = ?1
			UNION ALL SELECT t.id FROM attachments t JOIN consultations tc ON tc.agenda_item_id = t.agenda_item_id WHERE tc.paper_id = ?1`}},
}

// touchedAt is an SQL expression: the latest time of the public
// transitions that count for the modified time of the object of type typ
// whose id is the SQL expression col, among those for which cond (on the
// ledger's columns) holds; NULL if none. Each term is a lookup on the
// index ledger_object, so the expression costs a few index reads, not a
// scan of the ledger.
//
// An embedded set is read as a scalar subquery per embedded id, not as
// `object_id IN (ids)`: PostgreSQL may turn the IN into a semi join
// driven from the ledger's side — every public transition of the type,
// the ids' query run for each — and did so on tables without statistics
// (a freshly loaded database before autovacuum's first ANALYZE: 0.7 s
// for one OParl paper page of the demo). A scalar subquery is never
// turned into a join; it is asked per id through the index.
func touchedAt(typ, col, cond string) string {
	terms, ok := touchedTerms[typ]
	if !ok {
		terms = []touchTerm{{typ, "?1"}}
	}
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		if t.ids == "?1" {
			parts = append(parts, `SELECT at FROM ledger WHERE kind = 'public' AND object_type = '`+t.typ+`' AND object_id = `+col+` AND `+cond)
			continue
		}
		parts = append(parts, `SELECT (SELECT MAX(at) FROM ledger WHERE kind = 'public' AND object_type = '`+t.typ+`' AND object_id = embedded.id AND `+cond+`)
			FROM (`+strings.ReplaceAll(t.ids, "?1", col)+`) AS embedded`)
	}
	return `(SELECT MAX(at) FROM (` + strings.Join(parts, " UNION ALL ") + `) AS touched)`
}

// PublicTouched returns when object id of type typ, or an object embedded
// in it, last entered or left the public view (zero if never). OParl adds
// it to the object's modified, so that a mirror syncing with
// modified_since fetches what an unpublication, a publication or an
// embargo's end changed even though no row of the object itself changed.
func (s *Store) PublicTouched(ctx context.Context, typ string, id int64) (time.Time, error) {
	if err := s.catchUpVersions(ctx); err != nil {
		return time.Time{}, err
	}
	if _, known := goneDetails[typ]; !known {
		return time.Time{}, fmt.Errorf("public touched: unknown object type %q", typ)
	}
	var at sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT `+touchedAt(typ, "?1", "at <= ?2"), id, ts(s.now())).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("public touched %s %d: %w", typ, id, err)
	}
	return parseNull(at), nil
}

// PublicTouchedAll is PublicTouched for each of the objects ids of type
// typ, in one query; objects never touched are absent from the map.
func (s *Store) PublicTouchedAll(ctx context.Context, typ string, ids []int64) (map[int64]time.Time, error) {
	if err := s.catchUpVersions(ctx); err != nil {
		return nil, err
	}
	if _, known := goneDetails[typ]; !known {
		return nil, fmt.Errorf("public touched: unknown object type %q", typ)
	}
	type touch struct {
		id int64
		at sql.NullString
	}
	rows, err := queryAll(ctx, s.db, func(sc interface{ Scan(...any) error }) (touch, error) {
		var t touch
		err := sc.Scan(&t.id, &t.at)
		return t, err
	}, `SELECT j.value, `+touchedAt(typ, "j.value", "at <= ?2")+` FROM json_each(?1) j`, idList(ids), ts(s.now()))
	if err != nil {
		return nil, fmt.Errorf("public touched %s: %w", typ, err)
	}
	out := make(map[int64]time.Time, len(rows))
	for _, t := range rows {
		if t.at.Valid {
			out[t.id] = parseTS(t.at.String)
		}
	}
	return out, nil
}

// publicationsAfter returns the publication times of g's meetings and
// papers after now, in order, each once: the only moments at which the
// rule's answers on g change without a write.
func (g *graph) publicationsAfter(now time.Time) []time.Time {
	var times []time.Time
	for _, m := range g.meetings {
		if m.PublishedAt.After(now) {
			times = append(times, m.PublishedAt)
		}
	}
	for _, p := range g.papers {
		if t := parseNull(p.publishedAt); t.After(now) {
			times = append(times, t)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(times, time.Time.Equal)
}
