package scale

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// writer writes the plan. Each transaction begins with the writers'
// lock (on PostgreSQL ratsmappe_lock_writers, as sessions.Store.begin;
// SQLite's connections begin IMMEDIATE), reads the highest id of every
// table it fills and numbers its rows from there, so that rows of a
// running server interleave between transactions without colliding.
type writer struct {
	db      *sql.DB
	dialect sqldb.Dialect
	p       *plan
	opt     Options
	res     *Result

	q    *sql.Tx
	next map[string]int64
	rows map[string][][]any
	refs map[string]bool // the body's paper references
	year map[int]int     // last reference number per year
}

// tables in the order their rows are inserted (foreign keys), with their
// columns.
var tables = []struct{ name, cols string }{
	{"bodies", "id, name, short_name, website, created, modified"},
	{"organizations", "id, body_id, name, short_name, classification, start_date, end_date, created, modified"},
	{"persons", "id, body_id, given_name, family_name, title, form_of_address, created, modified"},
	{"memberships", "id, person_id, organization_id, role, voting_right, on_behalf_of, start_date, end_date, created, modified"},
	{"documents", "id, title, kind, file_name, created_at, created_by"},
	{"versions", "document_id, number, sha256, size, original_sha256, original_size, file_name, pages, state, note, uploader, created_at, state_changed_at, sanitized, repaired"},
	{"pages", "document_id, version, number, width, height, text, ocr"},
	{"meetings", `id, organization_id, name, start, "end", location, state, published_at, created, modified`},
	{"agenda_items", "id, meeting_id, number, number_fixed, position, public, title, public_title, result, resolution, late_at, withdrawn_at, created, modified"},
	{"papers", "id, body_id, reference, name, paper_type, date, originator, published_at, created, modified"},
	{"consultations", "id, paper_id, agenda_item_id, role, authoritative, created"},
	{"attachments", "id, document_id, agenda_item_id, paper_id, meeting_id, role, title, public, position, late_at, withdrawn_at, created, modified"},
	{"minutes", "id, meeting_id, document_id, public, state, state_changed_at, created, modified"},
	{"exclusions", "agenda_item_id, person_id, reason, created"},
	{"ledger", "at, recorded, kind, object_type, object_id, public, person_id, detail"},
}

// idTables are the tables whose ids the writer draws.
var idTables = []string{"bodies", "organizations", "persons", "memberships", "documents", "meetings", "agenda_items", "papers", "consultations", "attachments", "minutes"}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tx runs fn in one transaction under the writers' lock, then inserts
// the rows fn queued.
func (w *writer) tx(ctx context.Context, fn func(ctx context.Context) error) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w.q = tx
	if w.dialect == sqldb.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT ratsmappe_lock_writers()`); err != nil {
			return err
		}
	}
	w.next, w.rows = map[string]int64{}, map[string][][]any{}
	for _, t := range idTables {
		q := `SELECT COALESCE(MAX(id), 0) FROM ` + t
		if t == "consultations" {
			// Past the tombstones too (sessions.Store.Consult).
			q = `SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM consultations
				UNION ALL SELECT MAX(id) FROM consultation_tombstones UNION ALL SELECT 0) AS ids`
		}
		var n int64
		if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return err
		}
		w.next[t] = n
	}
	firstDoc := w.next["documents"]
	if err := fn(ctx); err != nil {
		return err
	}
	for _, t := range tables {
		if err := w.flush(ctx, t.name, t.cols); err != nil {
			return err
		}
	}
	// The versions' trigger queued their documents for the ledger's
	// catch-up (sessions' migration 0006), whose work the attachments'
	// and minutes' rows above have done: left queued, the first ledger
	// read would recompute them all in one transaction.
	if _, err := tx.ExecContext(ctx, `DELETE FROM ledger_versions_pending WHERE document_id > ?`, firstDoc); err != nil {
		return fmt.Errorf("ledger catch-up: %w", err)
	}
	if w.dialect == sqldb.Postgres {
		// Explicit ids leave an identity behind: the stores' next
		// INSERT would draw an id taken here.
		for _, t := range idTables {
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), MAX(id)) FROM `+t+` HAVING MAX(id) IS NOT NULL`); err != nil {
				return fmt.Errorf("advance the identity of %s: %w", t, err)
			}
		}
	}
	return tx.Commit()
}

// id draws the next id of table.
func (w *writer) id(table string) int64 {
	w.next[table]++
	return w.next[table]
}

func (w *writer) add(table string, row ...any) { w.rows[table] = append(w.rows[table], row) }

// flush inserts the queued rows of table in multi-row INSERTs of at
// most 30,000 parameters (SQLite allows 32,766, PostgreSQL 65,535).
func (w *writer) flush(ctx context.Context, table, cols string) error {
	rows := w.rows[table]
	if len(rows) == 0 {
		return nil
	}
	n := len(rows[0])
	per := 30000 / n
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	for len(rows) > 0 {
		batch := rows[:min(per, len(rows))]
		rows = rows[len(batch):]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		args := make([]any, 0, len(batch)*n)
		for i, r := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		if _, err := w.q.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	delete(w.rows, table)
	return nil
}

// ledger queues an object's public transitions. A past transition is
// recorded when it happened; one still to come (an embargo) now, as
// the store records it.
func (w *writer) ledger(typ string, id int64, sts []access.StateAt) {
	for _, st := range sts {
		rec := st.At
		if rec.After(w.p.now) {
			rec = w.p.now
		}
		w.add("ledger", ts(st.At), ts(rec), access.KindPublic, typ, id, b2i(st.Public), 0, "")
		w.res.LedgerRows++
	}
}

// people writes the body, organizations, persons and memberships, and
// reads the body's paper references.
func (w *writer) people(ctx context.Context) error {
	p := w.p
	created := p.meetings[0].start.AddDate(0, -1, 0)
	startDate := created.Format("2006-01-02")
	if w.res.BodyID == 0 {
		w.res.BodyID = w.id("bodies")
		w.add("bodies", w.res.BodyID, "Landeshauptstadt Isarstadt", "Isarstadt", "", ts(created), ts(created))
	}
	for _, o := range p.orgs {
		o.id = w.id("organizations")
		w.add("organizations", o.id, w.res.BodyID, o.name, o.short, o.class, startDate, "", ts(created), ts(created))
	}
	for _, pe := range p.persons {
		pe.id = w.id("persons")
		addr := pick(p.r, []string{"Frau", "Herr"})
		w.add("persons", pe.id, w.res.BodyID, pe.given, pe.family, pe.title, addr, ts(created), ts(created))
	}
	for _, m := range p.members {
		m.id = w.id("memberships")
		var behalf any
		if m.person.faction != nil && m.org.class != "faction" {
			behalf = m.person.faction.id
		}
		w.add("memberships", m.id, m.person.id, m.org.id, m.role, b2i(m.voting), behalf, startDate, "", ts(created), ts(created))
		// As sessions' membershipScope records it.
		w.add("ledger", ts(created), ts(created), access.KindMembership, access.ObjMembership, m.id, 0, m.person.id,
			fmt.Sprintf("organization=%d start=%s end=%s", m.org.id, startDate, ""))
		w.res.LedgerRows++
	}
	w.res.Organizations, w.res.Persons, w.res.Memberships = len(p.orgs), len(p.persons), len(p.members)
	w.refs, w.year = map[string]bool{}, map[int]int{}
	rows, err := w.q.QueryContext(ctx, `SELECT reference FROM papers WHERE body_id = ?`, w.res.BodyID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return err
		}
		w.refs[ref] = true
	}
	return rows.Err()
}

// reference gives a paper its number in its year: "2025/01234", past
// every reference the body has.
func (w *writer) reference(year int) string {
	for {
		w.year[year]++
		ref := fmt.Sprintf("%d/%05d", year, w.year[year])
		if !w.refs[ref] {
			w.refs[ref] = true
			return ref
		}
	}
}

// document queues a document with its versions, pages and attachment
// row (parent: one of meeting, item or paper ids, the others nil), and
// the attachment's ledger rows from public (nil for minutes).
func (w *writer) document(d *doc, meetingID, itemID, paperID any, public func(t time.Time) bool, instants []time.Time) {
	d.id = w.id("documents")
	r := rand.New(rand.NewPCG(w.opt.Seed, uint64(d.id)))
	file := fileName(d.title)
	w.add("documents", d.id, d.title, d.kind, file, ts(d.created), uploader)
	blob := Blobs()[d.pages-1]
	at := d.created
	for v := 1; v <= d.versions; v++ {
		state, changed := "active", at
		next := at.Add(time.Duration(1+r.IntN(72)) * time.Hour)
		if next.After(w.p.now) {
			next = w.p.now
		}
		if v < d.versions {
			state, changed = "superseded", next
		}
		note := ""
		if v > 1 {
			note = pick(r, []string{"Korrigierte Fassung", "Ergänzte Anlage", "Redaktionelle Änderungen"})
		}
		w.add("versions", d.id, v, blob.Key, len(blob.Data), blob.Key, len(blob.Data), file, d.pages, state, note, uploader, ts(at), ts(changed), "[]", 0)
		for n := 1; n <= d.pages; n++ {
			w.add("pages", d.id, v, n, 595.28, 841.89, pageText(r, d.title, n, at.Year()), 0)
			w.res.Pages++
		}
		w.res.Versions++
		at = next
	}
	w.res.Documents++
	if d.role == "" {
		return
	}
	d.attID = w.id("attachments")
	w.add("attachments", d.attID, d.id, itemID, paperID, meetingID, d.role, d.title, b2i(d.public), d.position, nil, nil, ts(d.created), ts(d.created))
	w.res.Attachments++
	w.ledger(access.ObjAttachment, d.attID, transitions(instants, public))
}

func fileName(title string) string {
	f := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		case strings.ContainsRune("äöüÄÖÜß", r):
			return r
		}
		return '_'
	}, title)
	if r := []rune(f); len(r) > 80 {
		f = string(r[:80])
	}
	return strings.Trim(f, "_") + ".pdf"
}

// meetings queues ms with their agendas, papers first consulted there,
// consultations, exclusions, documents and ledger rows.
func (w *writer) meetings(ctx context.Context, ms []*meeting) error {
	now := w.p.now
	for _, m := range ms {
		m.id = w.id("meetings")
		created := m.start.AddDate(0, 0, -30)
		modified := created
		if !m.published.IsZero() && m.published.Before(now) {
			modified = m.published
		}
		if m.state == "held" {
			modified = m.start.Add(4 * time.Hour)
		}
		w.add("meetings", m.id, m.org.id, meetingName(m), ts(m.start), ts(m.start.Add(3*time.Hour)), m.org.location, m.state, ts(m.published), ts(created), ts(modified))
		w.res.Meetings++
		meetingPublic := func(t time.Time) bool { return access.MeetingAccess(anon, m.facts(), t) == access.Full }
		w.ledger(access.ObjMeeting, m.id, transitions(m.instants(), meetingPublic))
		w.ledger(access.ObjLocation, m.id, transitions(m.instants(), meetingPublic))
		for _, d := range m.docs {
			w.document(d, m.id, nil, nil, func(t time.Time) bool {
				return access.MeetingAttachmentAccess(anon, m.facts(), access.AttachmentFacts{Public: d.public}, t) == access.Full
			}, m.instants())
		}
		for _, it := range m.items {
			it.id = w.id("agenda_items")
			w.add("agenda_items", it.id, m.id, it.number, 0, it.position, b2i(it.public), it.title, it.pubTitle, "", it.resolution, nil, ts(it.withdrawn), ts(created), ts(modified))
			w.res.AgendaItems++
			w.ledger(access.ObjAgendaItem, it.id, transitions(it.instants(), func(t time.Time) bool { return access.ItemAccess(anon, it.facts(t), t) != access.None }))
			for _, pe := range it.excluded {
				w.add("exclusions", it.id, pe.id, "Persönliche Beteiligung (Art. 49 GO)", ts(created))
				w.add("ledger", ts(created), ts(created), access.KindExclusion, access.ObjAgendaItem, it.id, 1, pe.id, "")
				w.res.Exclusion++
				w.res.LedgerRows++
			}
		}
		for _, it := range m.items {
			c := it.cons
			if c == nil {
				continue
			}
			pa := c.p
			if !pa.written {
				w.paper(pa)
			}
			c.id = w.id("consultations")
			w.add("consultations", c.id, pa.id, it.id, c.role, b2i(c.auth), ts(c.added))
			w.res.Consultations++
			w.ledger(access.ObjConsultation, c.id, transitions(append(pa.instants(), it.instants()...), func(t time.Time) bool {
				return access.PaperAccess(anon, pa.facts(t), t) == access.Full && access.ItemAccess(anon, it.facts(t), t) == access.Full
			}))
		}
		if mi := m.minutes; mi != nil {
			w.document(mi.d, nil, nil, nil, nil, nil)
			mi.id = w.id("minutes")
			w.add("minutes", mi.id, m.id, mi.d.id, 1, mi.state, ts(mi.changed), ts(mi.d.created), ts(mi.changed))
			w.res.Minutes++
			w.ledger(access.ObjMinutes, mi.id, transitions([]time.Time{m.published, mi.changed}, func(t time.Time) bool {
				f := access.MinutesFacts{Meeting: m.facts(), Public: true}
				if !t.Before(mi.changed) {
					f.Approved, f.Published = mi.state != "draft", mi.state == "published"
				}
				return access.MinutesAccess(anon, f, t) == access.Full
			}))
		}
	}
	return nil
}

// paper queues a paper with its documents when its first consultation
// is written.
func (w *writer) paper(pa *paper) {
	pa.written = true
	pa.id = w.id("papers")
	pa.ref = w.reference(pa.date.Year())
	created := pa.docs[0].created
	w.add("papers", pa.id, w.res.BodyID, pa.ref, pa.name, pa.kind, pa.date.Format("2006-01-02"), pa.orig, ts(pa.published), ts(created), ts(created))
	w.res.Papers++
	public := func(t time.Time) bool { return access.PaperAccess(anon, pa.facts(t), t) == access.Full }
	w.ledger(access.ObjPaper, pa.id, transitions(pa.instants(), public))
	for i, d := range pa.docs {
		d.position = i
		d.title = pa.ref + " " + d.title
		w.document(d, nil, nil, pa.id, func(t time.Time) bool {
			return access.PaperAttachmentAccess(anon, pa.facts(t), access.AttachmentFacts{Public: d.public}, t) == access.Full
		}, pa.instants())
	}
}
