package invitation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

// largeCouncil makes a council (one organization) of members with
// consent, mitglied000@lindenau.example and on, and paper more without,
// for the kill test and the benchmark. It returns the organization and
// the persons, those with consent first.
func largeCouncil(tb testing.TB, st *sessions.Store, svc *invitation.Service, members, paper int) (*sessions.Organization, []int64) {
	tb.Helper()
	ctx := context.Background()
	body := &sessions.Body{Name: "Stadt Großlindenau"}
	if err := st.CreateBody(ctx, body); err != nil {
		tb.Fatal(err)
	}
	org := &sessions.Organization{BodyID: body.ID, Name: "Stadtverordnetenversammlung", Classification: sessions.ClassCouncil}
	if err := st.CreateOrganization(ctx, org); err != nil {
		tb.Fatal(err)
	}
	var persons []int64
	for i := range members + paper {
		p := &sessions.Person{BodyID: body.ID, GivenName: "Mitglied", FamilyName: fmt.Sprintf("Nr%03d", i)}
		if err := st.CreatePerson(ctx, p); err != nil {
			tb.Fatal(err)
		}
		if err := st.CreateMembership(ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: org.ID, Role: "Mitglied", StartDate: "2024-01-01"}); err != nil {
			tb.Fatal(err)
		}
		persons = append(persons, p.ID)
		if i < members {
			if err := svc.SetConsent(ctx, &invitation.Consent{PersonID: p.ID, Electronic: true, GivenOn: "2024-01-01",
				How: "schriftlich", Email: memberAddress(i)}, "test"); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return org, persons
}

// memberAddress is the address of largeCouncil's member i.
func memberAddress(i int) string { return fmt.Sprintf("mitglied%03d@lindenau.example", i) }

// publishedMeeting makes a published meeting of org starting at start
// with items agenda items, the last nonPublic of them non-public and the
// last one of all with excluded excluded from it.
func publishedMeeting(tb testing.TB, st *sessions.Store, org *sessions.Organization, name string, start time.Time, items, nonPublic int, excluded int64) int64 {
	tb.Helper()
	ctx := context.Background()
	m := &sessions.Meeting{OrganizationID: org.ID, Name: name, Start: start, Location: "Rathaus"}
	if err := st.CreateMeeting(ctx, m); err != nil {
		tb.Fatal(err)
	}
	public := items - nonPublic
	for i := range items {
		it := &sessions.AgendaItem{MeetingID: m.ID, Number: fmt.Sprintf("Ö %d", i+1), Title: fmt.Sprintf("Punkt %d", i+1), Public: i < public}
		if !it.Public {
			it.Number = fmt.Sprintf("N %d", i-public+1)
		}
		if err := st.CreateAgendaItem(ctx, it); err != nil {
			tb.Fatal(err)
		}
		if i == items-1 {
			if err := st.AddExclusion(ctx, it.ID, excluded, "befangen"); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := st.PublishMeeting(ctx, m.ID, time.Now().Add(-time.Minute)); err != nil {
		tb.Fatal(err)
	}
	return m.ID
}
