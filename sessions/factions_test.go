package sessions_test

import (
	"context"
	"database/sql"
	"reflect"
	"slices"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// Faction peers are today's members of the viewer's factions — not of
// other organizations, not former or future members. Which of their
// accounts see shared notes (members, not disabled) is accounts'
// business (accounts.Store.MemberAccounts).
func TestFactionPeers(t *testing.T) { dbtest.Each(t, testFactionPeers) }

func testFactionPeers(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	st, _, clk := openStore(t, db)
	body := &sessions.Body{Name: "Stadt"}
	must(t, st.CreateBody(ctx, body))
	org := func(name, class string) int64 {
		o := &sessions.Organization{BodyID: body.ID, Name: name, Classification: class}
		must(t, st.CreateOrganization(ctx, o))
		return o.ID
	}
	gruene, union, rat := org("Grüne", sessions.ClassFaction), org("Union", sessions.ClassFaction), org("Rat", sessions.ClassCouncil)
	ids := map[string]int64{}
	person := func(name string, memberships ...sessions.Membership) int64 {
		p := &sessions.Person{BodyID: body.ID, GivenName: name, FamilyName: "B"}
		must(t, st.CreatePerson(ctx, p))
		for _, m := range memberships {
			m.PersonID = p.ID
			must(t, st.CreateMembership(ctx, &m))
		}
		ids[name] = p.ID
		return p.ID
	}
	anna := person("anna", sessions.Membership{OrganizationID: gruene, StartDate: "2024-01-01"}, sessions.Membership{OrganizationID: rat})
	person("bert", sessions.Membership{OrganizationID: gruene})
	person("carl", sessions.Membership{OrganizationID: union}, sessions.Membership{OrganizationID: rat})
	person("former", sessions.Membership{OrganizationID: gruene, StartDate: "2020-01-01", EndDate: "2026-03-09"})
	person("future", sessions.Membership{OrganizationID: gruene, StartDate: "2026-04-01"})

	v, err := st.ViewerFor(ctx, access.Viewer{AccountID: 1, PersonID: anna, Role: access.RoleMember})
	must(t, err)
	peers, err := st.FactionPeers(ctx, v)
	must(t, err)
	slices.Sort(peers)
	if want := []int64{ids["anna"], ids["bert"]}; !reflect.DeepEqual(peers, want) {
		t.Fatalf("peers of anna on %s: %v, want %v (ids %v)", clk.t, peers, want, ids)
	}
	// Staff have no peers, whatever their person's memberships.
	clerk := v
	clerk.Role = access.RoleClerk
	if peers, _ := st.FactionPeers(ctx, clerk); len(peers) != 0 {
		t.Fatalf("a clerk's peers: %v", peers)
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
