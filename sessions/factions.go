package sessions

import (
	"context"
	"fmt"

	"github.com/ratsmappe/ratsmappe/access"
)

// FactionPeers returns the persons who share a faction with v now: the
// persons who are, today, members of an organization classified as a
// faction of which v's person is a member today too (v's own person
// included). Staff and accounts without a person have none. Annotations
// shared "with the faction" are shown to the enabled member accounts of
// exactly these persons (accounts.Store.MemberAccounts), v's own account
// left out, so that leaving a faction ends the sharing at once, both ways.
func (s *Store) FactionPeers(ctx context.Context, v access.Viewer) ([]int64, error) {
	if v.Role != access.RoleMember || v.PersonID == 0 {
		return nil, nil
	}
	now := s.now()
	var orgs []int64
	for _, p := range v.Memberships {
		if v.MemberOf(p.OrganizationID, now) {
			orgs = append(orgs, p.OrganizationID)
		}
	}
	if len(orgs) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.person_id, m.start_date, m.end_date
		FROM memberships m
		JOIN organizations o ON o.id = m.organization_id AND o.classification = 'faction'
		WHERE m.organization_id`+inIDs, idList(orgs))
	if err != nil {
		return nil, fmt.Errorf("faction peers: %w", err)
	}
	defer rows.Close()
	var persons []int64
	seen := map[int64]bool{}
	for rows.Next() {
		var id int64
		var start, end string
		if err := rows.Scan(&id, &start, &end); err != nil {
			return nil, fmt.Errorf("faction peers: %w", err)
		}
		if p := access.PeriodOf(0, start, end); seen[id] || (!p.Start.IsZero() && now.Before(p.Start)) || (!p.End.IsZero() && !now.Before(p.End)) {
			continue
		}
		seen[id] = true
		persons = append(persons, id)
	}
	return persons, rows.Err()
}
