package sessions

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"github.com/ratsmappe/ratsmappe/access"
)

// Deputy is a person seated in a meeting's running session for a member
// of its organization with voting right (Vertretung).
type Deputy struct {
	PersonID    int64
	ForPersonID int64 // the member whose seat the deputy takes
}

// SetDeputies records, inside tx, who is seated as deputy in the running
// session of meeting meetingID: want replaces the recorded set (nil: none,
// as before the start and after the end). The visibility rule reads the
// set as access.MeetingFacts.Deputies, so the caller — package
// sessions/live, which decides who sits in a seat — calls it in the
// transaction of the change that alters the set (an attendance recorded,
// the session started or ended), and the change and the view it grants or
// ends commit together. Every deputy whose seat begins or ends is
// recorded in the ledger (access.KindDeputy); the changes feed's triggers
// name the meeting's documents, so the search index follows.
func (s *Store) SetDeputies(ctx context.Context, tx *sql.Tx, meetingID int64, want []Deputy) error {
	have, err := queryAll(ctx, tx, scanPair, `SELECT person_id, for_person_id FROM meeting_deputies WHERE meeting_id = ? ORDER BY person_id`, meetingID)
	if err != nil {
		return fmt.Errorf("set deputies: %w", err)
	}
	var sc ledgerScope
	entry := func(d Deputy, seated bool) {
		sc.entries = append(sc.entries, access.Entry{Kind: access.KindDeputy, Object: access.Object{Type: access.ObjMeeting, ID: meetingID},
			PersonID: d.PersonID, Public: seated, Detail: strconv.FormatInt(d.ForPersonID, 10)})
	}
	for _, h := range have {
		d := Deputy{PersonID: h[0], ForPersonID: h[1]}
		if slices.Contains(want, d) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM meeting_deputies WHERE meeting_id = ? AND person_id = ?`, meetingID, d.PersonID); err != nil {
			return fmt.Errorf("set deputies: %w", err)
		}
		entry(d, false)
	}
	for _, d := range want {
		if slices.Contains(have, [2]int64{d.PersonID, d.ForPersonID}) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meeting_deputies (meeting_id, person_id, for_person_id) VALUES (?, ?, ?)`,
			meetingID, d.PersonID, d.ForPersonID); err != nil {
			return fmt.Errorf("set deputies: %w", err)
		}
		entry(d, true)
	}
	if len(sc.entries) == 0 {
		return nil
	}
	return s.recordLedger(ctx, tx, sc)
}
