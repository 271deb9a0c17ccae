package live

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// PersonVote is how a person voted in a named vote.
type PersonVote struct {
	Vote     int64     `json:"vote"`
	Item     int64     `json:"item"`
	Meeting  int64     `json:"meeting"`
	Choice   string    `json:"choice"`
	Seat     int64     `json:"seat"` // the member whose seat they held
	Adopted  bool      `json:"adopted"`
	ClosedAt time.Time `json:"closed_at"`
}

// FindVotesOf returns person's choices in closed named votes (by the
// newest version of each result), newest first. Only named votes name
// anyone: open votes publish counts, secret votes store none. The caller
// filters the items through the visibility rule.
func (s *Store) FindVotesOf(ctx context.Context, person int64) ([]PersonVote, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT v.id, v.agenda_item_id, a.meeting_id, v.closed_at, r.adopted, r.named FROM live_votes v
		JOIN agenda_items a ON a.id = v.agenda_item_id
		JOIN live_results r ON r.vote_id = v.id AND r.version = (SELECT MAX(version) FROM live_results WHERE vote_id = v.id)
		WHERE v.kind = 'named' AND v.state = 'closed' ORDER BY v.closed_at DESC, v.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("votes of person: %w", err)
	}
	defer rows.Close()
	out := []PersonVote{}
	for rows.Next() {
		var pv PersonVote
		var closed, named string
		var adopted int
		if err := rows.Scan(&pv.Vote, &pv.Item, &pv.Meeting, &closed, &adopted, &named); err != nil {
			return nil, fmt.Errorf("votes of person: %w", err)
		}
		var choices []NamedChoice
		if err := json.Unmarshal([]byte(named), &choices); err != nil {
			return nil, fmt.Errorf("votes of person: %w", err)
		}
		for _, c := range choices {
			if c.Person == person {
				pv.Choice, pv.Seat, pv.Adopted = c.Choice, c.Seat, adopted != 0
				pv.ClosedAt, _ = time.Parse(time.RFC3339Nano, closed)
				out = append(out, pv)
			}
		}
	}
	return out, rows.Err()
}
