package sessions

import (
	"context"
	"fmt"

	"github.com/ratsmappe/ratsmappe/access"
)

// FactionPeers returns the accounts (id → display name) that share a
// faction with v now: enabled member accounts whose person is, today, a
// member of an organization classified as a faction of which v's person is
// a member today too. v itself is not included. Staff and accounts without
// a person have no peers. Annotations shared "with the faction" are shown
// to exactly these accounts, so that leaving a faction ends the sharing at
// once, both ways.
func (s *Store) FactionPeers(ctx context.Context, v access.Viewer) (map[int64]string, error) {
	peers := map[int64]string{}
	if v.Role != access.RoleMember || v.PersonID == 0 {
		return peers, nil
	}
	now := s.now()
	var orgs []int64
	for _, p := range v.Memberships {
		if v.MemberOf(p.OrganizationID, now) {
			orgs = append(orgs, p.OrganizationID)
		}
	}
	if len(orgs) == 0 {
		return peers, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.display_name, m.start_date, m.end_date
		FROM memberships m
		JOIN organizations o ON o.id = m.organization_id AND o.classification = 'faction'
		JOIN accounts a ON a.person_id = m.person_id
		WHERE m.organization_id`+inIDs+` AND a.role = 'member' AND a.disabled_at IS NULL AND a.id != ?`,
		idList(orgs), v.AccountID)
	if err != nil {
		return nil, fmt.Errorf("faction peers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, start, end string
		if err := rows.Scan(&id, &name, &start, &end); err != nil {
			return nil, fmt.Errorf("faction peers: %w", err)
		}
		from, to := parseDate(start), parseDate(end)
		if !to.IsZero() {
			to = to.AddDate(0, 0, 1)
		}
		if (!from.IsZero() && now.Before(from)) || (!to.IsZero() && !now.Before(to)) {
			continue
		}
		peers[id] = name
	}
	return peers, rows.Err()
}
