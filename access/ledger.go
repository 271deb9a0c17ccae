package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// The publication ledger answers "when was this visible to whom": every
// change that can alter what anyone may see appends rows to it in the
// same transaction as the change, so the rule over time is read from
// recorded facts and never re-derived from the audit log (which stays
// for people to read).
//
// Two kinds of rows:
//
//   - KindPublic: a transition of an object's public state (what the
//     anonymous viewer may see). The domain recomputes, after every
//     change and inside its transaction, the public state of every object
//     the change can affect, with the rule functions of this package, and
//     RecordPublic appends a row only where the state differs from the
//     last one recorded. A transition that a set time will cause (a
//     publication at a future time: an embargo) is recorded at change
//     time with At in the future; readers count it only once At has come.
//     A later change to the same object first removes such pending rows
//     and records the future anew, so an embargo changed or lifted before
//     it ends never shows.
//   - every other kind (exclusions, memberships, deputies' seats,
//     version withdrawals):
//     what changed, for whom, when — for channels that need the history
//     of a member's view (notifications); they change no public state.
//
// The table lives in the meetings' database (package sessions' migration
// 0004_publication_ledger.sql creates it); this file is its only reader
// and writer.

// Object types the ledger records public transitions of. They name
// objects of package sessions; a Location is a meeting's place, with the
// meeting's id.
const (
	ObjMeeting      = "meeting"
	ObjAgendaItem   = "agenda_item"
	ObjConsultation = "consultation"
	ObjPaper        = "paper"
	ObjAttachment   = "attachment"
	ObjMinutes      = "minutes"
	ObjLocation     = "location"
	ObjExclusion    = "exclusion" // object: the agenda item; PersonID: the person
	ObjMembership   = "membership"
	ObjVersion      = "version" // object: the document; Detail: the version number
)

// Kinds of ledger rows.
const (
	KindPublic     = "public"
	KindExclusion  = "exclusion"  // Public: true when added, false when lifted
	KindMembership = "membership" // a membership created or changed
	KindVersion    = "version"    // a version withdrawn
	// KindDeputy: a deputy's seat in a meeting's running session (object:
	// the meeting; PersonID: the deputy; Detail: the member sat for);
	// Public: true when the seat begins, false when it ends.
	KindDeputy = "deputy"
)

// Object names one object of the domain.
type Object struct {
	Type string
	ID   int64
}

// Entry is one ledger row.
type Entry struct {
	Seq      int64     // monotonic, assigned when recorded
	At       time.Time // when it takes effect (may be in the future for KindPublic)
	Recorded time.Time // when it was written
	Kind     string
	Object   Object
	Public   bool  // KindPublic: the new state; KindExclusion: added
	PersonID int64 // KindExclusion, KindMembership
	Detail   string
}

// StateAt is an object's public state from At on.
type StateAt struct {
	At     time.Time
	Public bool
}

// stateAt is a recorded state with its row.
type stateAt struct {
	At     time.Time
	Public bool
	seq    int64
}

// Querier is what the ledger needs of a database or transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ledgerTime is the ledger's time layout: UTC with nanoseconds and a
// fixed width, so that text order is time order.
const ledgerTime = "2006-01-02T15:04:05.000000000Z07:00"

func lt(t time.Time) string { return t.UTC().Format(ledgerTime) }

func parseLT(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func idsJSON(ids []int64) string {
	if ids == nil {
		ids = []int64{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// Record appends e (any kind) inside tx, at e.At (now if zero).
func Record(ctx context.Context, tx Querier, now time.Time, e Entry) error {
	if e.At.IsZero() {
		e.At = now
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger (at, recorded, kind, object_type, object_id, public, person_id, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, lt(e.At), lt(now), e.Kind, e.Object.Type, e.Object.ID, b2i(e.Public), e.PersonID, e.Detail)
	if err != nil {
		return fmt.Errorf("ledger: record %s %s %d: %w", e.Kind, e.Object.Type, e.Object.ID, err)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RecordPublic records, inside tx, the public state of each object in
// states: a list of states from now on, in time order (the first at now;
// later ones at the future times a publication will take effect). It
// first removes the object's pending rows (At after now), then appends a
// row for every state that differs from the one before it, starting from
// the last state in effect at now (not public if none was ever
// recorded).
func RecordPublic(ctx context.Context, tx Querier, now time.Time, states map[Object][]StateAt) error {
	byType := map[string][]int64{}
	for o := range states {
		byType[o.Type] = append(byType[o.Type], o.ID)
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, typ := range types {
		ids := byType[typ]
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		if _, err := tx.ExecContext(ctx, `DELETE FROM ledger WHERE kind = 'public' AND object_type = ? AND at > ?
			AND object_id IN (SELECT value FROM json_each(?))`, typ, lt(now), idsJSON(ids)); err != nil {
			return fmt.Errorf("ledger: drop pending %s: %w", typ, err)
		}
		prev, err := lastStates(ctx, tx, typ, ids, now)
		if err != nil {
			return err
		}
		for _, id := range ids {
			last, ok := prev[id]
			for _, st := range states[Object{typ, id}] {
				if st.Public == last.Public {
					continue
				}
				at := st.At
				if at.Before(now) {
					at = now
				}
				if ok && last.At.Equal(at) {
					// A state that lasted no time was never seen: the
					// row goes, and the one before it counts again.
					if _, err := tx.ExecContext(ctx, `DELETE FROM ledger WHERE seq = ?`, last.seq); err != nil {
						return fmt.Errorf("ledger: undo %s %d: %w", typ, id, err)
					}
					before, err := lastStates(ctx, tx, typ, []int64{id}, now)
					if err != nil {
						return err
					}
					last, ok = before[id]
					if st.Public == last.Public {
						continue
					}
				}
				if err := Record(ctx, tx, now, Entry{At: at, Kind: KindPublic, Object: Object{typ, id}, Public: st.Public}); err != nil {
					return err
				}
				last, ok = stateAt{At: at, Public: st.Public}, true
			}
		}
	}
	return nil
}

// Status is what the ledger knows of one object's public life at a time.
type Status struct {
	Public bool      // public now, by the last transition in effect
	Ever   bool      // public at some time up to now
	Last   time.Time // time of the last transition in effect; zero if none
}

// Gone reports whether the object left the public view: it was public
// once and is not now. Its OParl stub says deleted with Last as modified.
func (s Status) Gone() bool { return s.Ever && !s.Public }

// lastSeq selects the seq of the last transition in effect at ?2 of the
// object of ledger row l: one read of the index ledger_object.
const lastSeq = `SELECT MAX(e.seq) FROM ledger e
	WHERE e.kind = 'public' AND e.object_type = l.object_type AND e.object_id = l.object_id AND e.at <= ?2`

// lastStates returns the last public transition in effect at now of each
// of the objects typ ids that has one.
func lastStates(ctx context.Context, q Querier, typ string, ids []int64, now time.Time) (map[int64]stateAt, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.object_id, l.public, l.at, l.seq FROM ledger l
		WHERE l.kind = 'public' AND l.object_type = ?1 AND l.at <= ?2
		AND l.object_id IN (SELECT value FROM json_each(?3))
		AND l.seq = (`+lastSeq+`)`, typ, lt(now), idsJSON(ids))
	if err != nil {
		return nil, fmt.Errorf("ledger: last %s: %w", typ, err)
	}
	defer rows.Close()
	out := map[int64]stateAt{}
	for rows.Next() {
		var id, seq int64
		var pub int
		var at string
		if err := rows.Scan(&id, &pub, &at, &seq); err != nil {
			return nil, fmt.Errorf("ledger: last %s: %w", typ, err)
		}
		out[id] = stateAt{At: parseLT(at), Public: pub != 0, seq: seq}
	}
	return out, rows.Err()
}

// Statuses returns the public status at now of every object of type typ
// that has a transition in effect (ids nil), or of the objects ids.
// Objects without one were never public and are absent from the map.
func Statuses(ctx context.Context, q Querier, typ string, ids []int64, now time.Time) (map[int64]Status, error) {
	filter, args := ``, []any{typ, lt(now)}
	if ids != nil {
		filter, args = ` AND l.object_id IN (SELECT value FROM json_each(?3))`, append(args, idsJSON(ids))
	}
	rows, err := q.QueryContext(ctx, `SELECT l.object_id, EXISTS (SELECT 1 FROM ledger e WHERE e.kind = 'public'
			AND e.object_type = l.object_type AND e.object_id = l.object_id AND e.public = 1 AND e.at <= ?2),
		l.public, l.at, l.seq
		FROM ledger l WHERE l.kind = 'public' AND l.object_type = ?1 AND l.at <= ?2`+filter+`
		AND l.seq = (`+lastSeq+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: statuses of %s: %w", typ, err)
	}
	defer rows.Close()
	out := map[int64]Status{}
	for rows.Next() {
		var id int64
		var ever bool
		var pub int
		var at string
		var seq int64
		if err := rows.Scan(&id, &ever, &pub, &at, &seq); err != nil {
			return nil, fmt.Errorf("ledger: statuses of %s: %w", typ, err)
		}
		out[id] = Status{Public: pub != 0, Ever: ever, Last: parseLT(at)}
	}
	return out, rows.Err()
}

// NextTransition returns the earliest time after now at which a recorded
// transition of the public view takes effect (an embargo ending), zero if
// none is pending: until then what the anonymous viewer sees changes only
// by a write. It reads the pending rows alone (index ledger_at), however
// long the ledger.
//
// The kind is compared as an expression (the column joined to the empty
// string), which no index covers: with the plain column SQLite, without
// statistics, prefers the equality on ledger_object's first column to the
// range on ledger_at, and read and sorted every public row of the ledger
// — 93,000 at a year of Munich, some 100 ms, under the public cache's
// lock, whenever a generation was new.
func NextTransition(ctx context.Context, q Querier, now time.Time) (time.Time, error) {
	rows, err := q.QueryContext(ctx, `SELECT at FROM ledger WHERE at > ? AND kind || '' = ? ORDER BY at LIMIT 1`, lt(now), KindPublic)
	if err != nil {
		return time.Time{}, fmt.Errorf("ledger: next transition: %w", err)
	}
	defer rows.Close()
	var next time.Time
	if rows.Next() {
		var at string
		if err := rows.Scan(&at); err != nil {
			return time.Time{}, fmt.Errorf("ledger: next transition: %w", err)
		}
		next = parseLT(at)
	}
	return next, rows.Err()
}

// Entries returns the ledger rows of kind (all kinds if empty) in effect
// at now whose At is at or after since, in sequence order: what a channel
// that follows the ledger has to look at again.
func Entries(ctx context.Context, q Querier, kind string, since, now time.Time) ([]Entry, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, at, recorded, kind, object_type, object_id, public, person_id, detail
		FROM ledger WHERE (? = '' OR kind = ?) AND at >= ? AND at <= ? ORDER BY seq`, kind, kind, lt(since), lt(now))
	if err != nil {
		return nil, fmt.Errorf("ledger: entries: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at, rec string
		var pub int
		if err := rows.Scan(&e.Seq, &at, &rec, &e.Kind, &e.Object.Type, &e.Object.ID, &pub, &e.PersonID, &e.Detail); err != nil {
			return nil, fmt.Errorf("ledger: entries: %w", err)
		}
		e.At, e.Recorded, e.Public = parseLT(at), parseLT(rec), pub != 0
		out = append(out, e)
	}
	return out, rows.Err()
}
