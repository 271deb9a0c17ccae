package oparl

import (
	"context"

	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// oparlVotes returns the closed votes on agenda item it for OParl's
// extension property "ratsmappe:votes" (docs/oparl-extension.md): from b
// if it holds the item's meeting, else from the store. The caller shows
// them only on an item the public sees in full.
func (s *Handler) oparlVotes(ctx context.Context, u oparlURLs, b *oparlBatch, it *sessions.AgendaItem) ([]*oparl.Vote, error) {
	if s.cfg.Live == nil {
		return nil, nil
	}
	var vs []*live.Vote
	if b != nil && b.meetings[it.MeetingID] {
		vs = b.votes[it.ID]
	} else {
		var err error
		if vs, err = s.cfg.Live.FindVotes(ctx, it.ID); err != nil {
			return nil, err
		}
	}
	var out []*oparl.Vote
	for _, v := range vs {
		r := v.Result
		if r == nil {
			continue // open: no result yet
		}
		o := &oparl.Vote{Kind: v.Kind, Rule: v.Rule, Yes: r.Yes, No: r.No, Abstain: r.Abstain, Adopted: r.Adopted,
			Version: r.Version, Closed: string(oparl.Time(v.ClosedAt))}
		for _, n := range r.Named {
			nv := oparl.NamedVote{Person: u.of("person", n.Person), Choice: n.Choice}
			if n.Seat != n.Person {
				nv.Seat = u.of("person", n.Seat)
			}
			o.Named = append(o.Named, nv)
		}
		for _, p := range r.Excluded {
			o.Excluded = append(o.Excluded, u.of("person", p))
		}
		out = append(out, o)
	}
	return out, nil
}
