package sessions

import (
	"context"
	"fmt"
)

// One page of OParl's person and membership lists, read in SQL like the
// public lists (publiclists.go): keyset on the id, the filters in the
// query, the memberships of a page's persons in one more query — so that
// page 1,000 of a city's persons costs what page 1 does. Persons and
// memberships are public data; no visibility rule applies.

// personCols is a person's columns, with its OParl modified time: the
// latest of its own and of the memberships it embeds.
const personCols = `p.id, p.body_id, p.given_name, p.family_name, p.title, p.form_of_address, p.created, p.modified,
	(SELECT MAX(t) FROM (SELECT p.modified AS t UNION ALL SELECT m.modified FROM memberships m WHERE m.person_id = p.id) AS e) AS embedded_modified`

// PersonPage returns up to f.Limit persons of body f.BodyID (all bodies
// if 0) after f.After, by id, whose created and (embedding) modified
// times pass f's filters, with the memberships of each; more reports
// whether the list goes on.
func (s *Store) PersonPage(ctx context.Context, f PublicListFilter) (ps []*Person, ms map[int64][]*Membership, more bool, err error) {
	if f.Limit <= 0 {
		return nil, nil, false, fmt.Errorf("person page: no limit")
	}
	cs, cu, mods, modu := timeArgs(f)
	rows, err := s.db.QueryContext(ctx, `SELECT id, body_id, given_name, family_name, title, form_of_address, created, modified
		FROM (SELECT `+personCols+` FROM persons p WHERE p.id > ?1 AND (?2 = 0 OR p.body_id = ?2)
			AND (?3 = '' OR p.created >= ?3) AND (?4 = '' OR p.created < ?4)) AS page
		WHERE (?5 = '' OR embedded_modified >= ?5) AND (?6 = '' OR embedded_modified < ?6)
		ORDER BY id LIMIT ?7`, f.After, f.BodyID, cs, cu, mods, modu, f.Limit+1)
	if err != nil {
		return nil, nil, false, fmt.Errorf("person page: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var p Person
		var c, m string
		if err := rows.Scan(&p.ID, &p.BodyID, &p.GivenName, &p.FamilyName, &p.Title, &p.FormOfAddress, &c, &m); err != nil {
			return nil, nil, false, fmt.Errorf("person page: %w", err)
		}
		p.Created, p.Modified = parseTS(c), parseTS(m)
		ps = append(ps, &p)
		ids = append(ids, p.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("person page: %w", err)
	}
	if len(ps) > f.Limit {
		ps, ids, more = ps[:f.Limit], ids[:f.Limit], true
	}
	all, err := s.memberships(ctx, `WHERE person_id`+inIDs+` ORDER BY id`, idList(ids))
	if err != nil {
		return nil, nil, false, err
	}
	ms = map[int64][]*Membership{}
	for _, m := range all {
		ms[m.PersonID] = append(ms[m.PersonID], m)
	}
	return ps, ms, more, nil
}

// MembershipPage returns up to f.Limit memberships of persons of body
// f.BodyID (all if 0) after f.After, by id, whose times pass f's
// filters; more reports whether the list goes on.
func (s *Store) MembershipPage(ctx context.Context, f PublicListFilter) ([]*Membership, bool, error) {
	if f.Limit <= 0 {
		return nil, false, fmt.Errorf("membership page: no limit")
	}
	cs, cu, mods, modu := timeArgs(f)
	ms, err := s.memberships(ctx, `WHERE id > ?1 AND (?2 = 0 OR person_id IN (SELECT id FROM persons WHERE body_id = ?2))
		AND (?3 = '' OR created >= ?3) AND (?4 = '' OR created < ?4) AND (?5 = '' OR modified >= ?5) AND (?6 = '' OR modified < ?6)
		ORDER BY id LIMIT ?7`, f.After, f.BodyID, cs, cu, mods, modu, f.Limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(ms) > f.Limit {
		return ms[:f.Limit], true, nil
	}
	return ms, false, nil
}
