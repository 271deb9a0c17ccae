package sessions_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// Faction peers are today's members of the viewer's factions — not of
// other organizations, not former members, not staff, not disabled
// accounts.
func TestFactionPeers(t *testing.T) {
	ctx := context.Background()
	st, _, clk := openStore(t)
	body := &sessions.Body{Name: "Stadt"}
	must(t, st.CreateBody(ctx, body))
	org := func(name, class string) int64 {
		o := &sessions.Organization{BodyID: body.ID, Name: name, Classification: class}
		must(t, st.CreateOrganization(ctx, o))
		return o.ID
	}
	gruene, union, rat := org("Grüne", sessions.ClassFaction), org("Union", sessions.ClassFaction), org("Rat", sessions.ClassCouncil)
	ids := map[string]int64{}
	account := func(name string, role access.Role, memberships ...sessions.Membership) *sessions.Account {
		p := &sessions.Person{BodyID: body.ID, GivenName: name, FamilyName: "B"}
		must(t, st.CreatePerson(ctx, p))
		for _, m := range memberships {
			m.PersonID = p.ID
			must(t, st.CreateMembership(ctx, &m))
		}
		a := &sessions.Account{Name: name, Role: role, PersonID: p.ID}
		must(t, st.CreateAccount(ctx, a, ""))
		ids[name] = a.ID
		return a
	}
	anna := account("anna", access.RoleMember, sessions.Membership{OrganizationID: gruene, StartDate: "2024-01-01"}, sessions.Membership{OrganizationID: rat})
	account("bert", access.RoleMember, sessions.Membership{OrganizationID: gruene})
	account("carl", access.RoleMember, sessions.Membership{OrganizationID: union}, sessions.Membership{OrganizationID: rat})
	account("former", access.RoleMember, sessions.Membership{OrganizationID: gruene, StartDate: "2020-01-01", EndDate: "2026-03-09"})
	account("future", access.RoleMember, sessions.Membership{OrganizationID: gruene, StartDate: "2026-04-01"})
	account("clerk", access.RoleClerk, sessions.Membership{OrganizationID: gruene})
	off := account("off", access.RoleMember, sessions.Membership{OrganizationID: gruene})
	must(t, st.DisableAccount(ctx, off.ID))

	v, err := st.ViewerFor(ctx, anna)
	must(t, err)
	peers, err := st.FactionPeers(ctx, v)
	must(t, err)
	if got := keys(peers); !reflect.DeepEqual(got, []int64{ids["bert"]}) {
		t.Fatalf("peers of anna on %s: %v (ids %v)", clk.t, got, ids)
	}
	// anna leaves the faction: no peers any more.
	var left []access.Period
	for _, m := range v.Memberships {
		if m.OrganizationID != gruene {
			left = append(left, m)
		}
	}
	v.Memberships = left
	if peers, _ := st.FactionPeers(ctx, v); len(peers) != 0 {
		t.Fatalf("after leaving: %v", peers)
	}
}

func keys(m map[int64]string) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	return out
}
