package oparl

import (
	"context"

	"github.com/ratsmappe/ratsmappe/oparl"
)

// oparlVotes returns the closed votes on agenda item id for OParl's
// extension property "ratsmappe:votes" (docs/oparl-extension.md). The
// caller shows them only on an item the public sees in full.
func (s *Handler) oparlVotes(ctx context.Context, u oparlURLs, id int64) ([]*oparl.Vote, error) {
	if s.cfg.Live == nil {
		return nil, nil
	}
	vs, err := s.cfg.Live.FindVotes(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []*oparl.Vote
	for _, v := range vs {
		r := v.Result
		if r == nil {
			continue // open: no result yet
		}
		o := &oparl.Vote{Kind: v.Kind, Rule: v.Rule, Yes: r.Yes, No: r.No, Abstain: r.Abstain, Adopted: r.Adopted,
			Version: r.Version, Closed: oparl.Time(v.ClosedAt)}
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
