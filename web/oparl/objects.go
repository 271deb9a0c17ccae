package oparl

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
)

func latest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

func id64(id int64) string { return strconv.FormatInt(id, 10) }

// oparlURLs builds canonical object URLs from the request's base.
type oparlURLs string

func (u oparlURLs) of(kind string, id int64) string { return string(u) + "/" + kind + "/" + id64(id) }

// ref is the reference to object id of kind by its URL.
func ref[T any](u oparlURLs, kind string, id int64) oparl.Ref[T] {
	return oparl.Ref[T]{ID: u.of(kind, id)}
}

// ---- system and body ----

func (s *Handler) oparlSystem(r *http.Request) (any, error) {
	u := oparlURLs(oparlBase(r))
	bodies, err := s.cfg.Sessions.FindBodies(r.Context())
	if err != nil {
		return nil, err
	}
	sys := oparl.System{ID: oparl.Str(u) + "/system", Type: oparl.Schema + "System", OParlVersion: oparl.Schema,
		Body: oparl.Str(u) + "/body", Name: "Ratsmappe", Product: "https://github.com/ratsmappe/ratsmappe",
		License: oparl.Str(s.cfg.License)}
	var created, modified time.Time
	for i, b := range bodies {
		if i == 0 {
			sys.Name, sys.Website, created = oparl.Str(b.Name), oparl.Str(b.Website), b.Created
		}
		modified = latest(modified, b.Modified)
	}
	if created.IsZero() {
		created = s.cfg.Sessions.Now()
		modified = created
	}
	sys.Created, sys.Modified = oparl.Time(created), oparl.Time(modified)
	if len(bodies) > 0 {
		sys.Web = oparl.Str(oparlWeb(r))
	}
	return sys, nil
}

// oparlWeb is the public portal's start page, for "web".
func oparlWeb(r *http.Request) string {
	b := oparlBase(r)
	return b[:len(b)-len("/oparl/v1")] + "/meetings"
}

func (s *Handler) oparlBodyObj(ctx context.Context, u oparlURLs, b *sessions.Body) (*oparl.Body, error) {
	terms, err := s.cfg.Sessions.FindLegislativeTerms(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	base := oparl.Str(u.of("body", b.ID))
	o := &oparl.Body{ID: base, Type: oparl.Schema + "Body", System: oparl.Ref[oparl.System]{ID: string(u) + "/system"}, Name: oparl.Str(b.Name), ShortName: oparl.Str(b.ShortName),
		Website: oparl.Str(b.Website), AGS: oparl.Str(s.cfg.AGS), License: oparl.Str(s.cfg.License), Organization: base + "/organization", Person: base + "/person", Meeting: base + "/meeting",
		Paper: base + "/paper", LegislativeTerm: oparl.Objects[oparl.LegislativeTerm]{}, LegislativeTermList: base + "/legislativeTerm",
		Membership: base + "/membership", LocationList: base + "/location",
		AgendaItem: base + "/agendaItem", Consultation: base + "/consultation", File: base + "/file",
		Created: oparl.Time(b.Created)}
	modified := b.Modified
	for _, t := range terms {
		o.LegislativeTerm = append(o.LegislativeTerm, oparlTerm(u, t))
		modified = latest(modified, t.Modified)
	}
	o.Modified = oparl.Time(modified)
	return o, nil
}

func (s *Handler) oparlBodies(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	u := oparlURLs(oparlBase(r))
	bodies, err := s.cfg.Sessions.FindBodies(r.Context())
	if err != nil {
		return nil, err
	}
	var out []oparlItem
	for _, b := range bodies {
		o, err := s.oparlBodyObj(r.Context(), u, b)
		if err != nil {
			return nil, err
		}
		if q.omitInternal {
			o.LegislativeTerm = oparl.Objects[oparl.LegislativeTerm]{} // required: stays, empty
		}
		out = append(out, oparlItem{id: b.ID, created: b.Created, modified: mustTime(o.Modified), obj: o})
	}
	return out, nil
}

func mustTime(s oparl.Str) time.Time {
	t, _ := time.Parse(time.RFC3339, string(s))
	return t
}

func (s *Handler) oparlBody(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	b, err := s.cfg.Sessions.FindBodyByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return s.oparlBodyObj(r.Context(), oparlURLs(oparlBase(r)), b)
}

// bodyParam is the body of a body-scoped list; ENOTFOUND if there is none.
func (s *Handler) bodyParam(r *http.Request) (int64, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return 0, err
	}
	if _, err := s.cfg.Sessions.FindBodyByID(r.Context(), id); err != nil {
		return 0, err
	}
	return id, nil
}

// ---- legislative terms ----

func oparlTerm(u oparlURLs, t *sessions.LegislativeTerm) *oparl.LegislativeTerm {
	return &oparl.LegislativeTerm{ID: oparl.Str(u.of("legislativeTerm", t.ID)), Type: oparl.Schema + "LegislativeTerm", Body: ref[oparl.Body](u, "body", t.BodyID),
		Name: oparl.Str(t.Name), StartDate: oparl.Str(t.StartDate), EndDate: oparl.Str(t.EndDate), Created: oparl.Time(t.Created), Modified: oparl.Time(t.Modified)}
}

func (s *Handler) oparlLegislativeTerms(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	terms, err := s.cfg.Sessions.FindLegislativeTerms(r.Context(), bodyID)
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	var out []oparlItem
	for _, t := range terms {
		out = append(out, oparlItem{id: t.ID, created: t.Created, modified: t.Modified, obj: oparlTerm(u, t)})
	}
	return out, nil
}

func (s *Handler) oparlLegislativeTerm(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	terms, err := s.cfg.Sessions.FindLegislativeTerms(r.Context(), 0)
	if err != nil {
		return nil, err
	}
	for _, t := range terms {
		if t.ID == id {
			return oparlTerm(oparlURLs(oparlBase(r)), t), nil
		}
	}
	return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
}

// ---- organizations, persons, memberships ----

var oparlClassification = map[string][2]oparl.Str{ // classification → organizationType, classification text
	sessions.ClassCouncil:         {"Gremium", "Parlament"},
	sessions.ClassCommittee:       {"Gremium", "Ausschuss"},
	sessions.ClassDistrictCouncil: {"Gremium", "Bezirksvertretung"},
	sessions.ClassFaction:         {"Fraktion", "Fraktion"},
	sessions.ClassOther:           {"Sonstiges", "Sonstiges"},
}

func oparlOrg(u oparlURLs, o *sessions.Organization, ms []*sessions.Membership) *oparl.Organization {
	c := oparlClassification[o.Classification]
	obj := &oparl.Organization{ID: oparl.Str(u.of("organization", o.ID)), Type: oparl.Schema + "Organization", Body: ref[oparl.Body](u, "body", o.BodyID),
		Name: oparl.Str(o.Name), ShortName: oparl.Str(o.ShortName), Meeting: oparl.Str(u.of("organization", o.ID)) + "/meeting", OrganizationType: c[0], Classification: c[1],
		StartDate: oparl.Str(o.StartDate), EndDate: oparl.Str(o.EndDate), Created: oparl.Time(o.Created), Modified: oparl.Time(o.Modified)}
	for _, m := range ms {
		if m.OrganizationID == o.ID {
			obj.Membership = append(obj.Membership, ref[oparl.Membership](u, "membership", m.ID))
		}
	}
	return obj
}

func (s *Handler) oparlOrganizations(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	orgs, err := s.cfg.Sessions.FindOrganizations(r.Context(), sessions.OrganizationFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	ms, err := s.cfg.Sessions.FindMemberships(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	var out []oparlItem
	for _, o := range orgs {
		out = append(out, oparlItem{id: o.ID, created: o.Created, modified: o.Modified, obj: oparlOrg(u, o, ms)})
	}
	return out, nil
}

func (s *Handler) oparlOrganization(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	o, err := s.cfg.Sessions.FindOrganizationByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	ms, err := s.cfg.Sessions.FindMemberships(r.Context(), 0, id)
	if err != nil {
		return nil, err
	}
	return oparlOrg(oparlURLs(oparlBase(r)), o, ms), nil
}

func oparlMember(u oparlURLs, m *sessions.Membership) *oparl.Membership {
	o := &oparl.Membership{ID: oparl.Str(u.of("membership", m.ID)), Type: oparl.Schema + "Membership", Person: ref[oparl.Person](u, "person", m.PersonID),
		Organization: ref[oparl.Organization](u, "organization", m.OrganizationID), Role: oparl.Str(m.Role), VotingRight: oparl.Bool(m.VotingRight),
		StartDate: oparl.Str(m.StartDate), EndDate: oparl.Str(m.EndDate), Created: oparl.Time(m.Created), Modified: oparl.Time(m.Modified)}
	if m.OnBehalfOf != 0 {
		o.OnBehalfOf = ref[oparl.Organization](u, "organization", m.OnBehalfOf)
	}
	return o
}

// oparlPersonOf builds a person with its memberships embedded; its
// modified is the latest of its own and theirs (OParl 1.1: embedding
// objects change with what they embed).
func oparlPersonOf(u oparlURLs, p *sessions.Person, ms []*sessions.Membership, omitInternal bool) (*oparl.Person, time.Time) {
	o := &oparl.Person{ID: oparl.Str(u.of("person", p.ID)), Type: oparl.Schema + "Person", Body: ref[oparl.Body](u, "body", p.BodyID), Name: oparl.Str(p.Name()),
		FamilyName: oparl.Str(p.FamilyName), GivenName: oparl.Str(p.GivenName), FormOfAddress: oparl.Str(p.FormOfAddress), Created: oparl.Time(p.Created)}
	if p.Title != "" {
		o.Title = oparl.Strs{p.Title}
	}
	modified := p.Modified
	for _, m := range ms {
		if m.PersonID != p.ID {
			continue
		}
		modified = latest(modified, m.Modified)
		if !omitInternal {
			o.Membership = append(o.Membership, oparlMember(u, m))
		}
	}
	o.Modified = oparl.Time(modified)
	return o, modified
}

// oparlPersons is the list of a body's persons, one page read in SQL.
func (s *Handler) oparlPersons(r *http.Request, q *oparlQuery) ([]oparlItem, int64, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, 0, err
	}
	ps, ms, more, err := s.cfg.Sessions.PersonPage(r.Context(), q.pageFilter(bodyID))
	if err != nil {
		return nil, 0, err
	}
	u := oparlURLs(oparlBase(r))
	out := make([]oparlItem, 0, len(ps))
	for _, p := range ps {
		o, mod := oparlPersonOf(u, p, ms[p.ID], q.omitInternal)
		out = append(out, oparlItem{id: p.ID, created: p.Created, modified: mod, obj: o})
	}
	return out, nextKey(out, more), nil
}

func (s *Handler) oparlPerson(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Sessions.FindPersonByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	ms, err := s.cfg.Sessions.FindMemberships(r.Context(), id, 0)
	if err != nil {
		return nil, err
	}
	o, _ := oparlPersonOf(oparlURLs(oparlBase(r)), p, ms, false)
	return o, nil
}

// oparlMemberships is the list of the memberships of a body's persons,
// one page read in SQL.
func (s *Handler) oparlMemberships(r *http.Request, q *oparlQuery) ([]oparlItem, int64, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, 0, err
	}
	ms, more, err := s.cfg.Sessions.MembershipPage(r.Context(), q.pageFilter(bodyID))
	if err != nil {
		return nil, 0, err
	}
	u := oparlURLs(oparlBase(r))
	out := make([]oparlItem, 0, len(ms))
	for _, m := range ms {
		out = append(out, oparlItem{id: m.ID, created: m.Created, modified: m.Modified, obj: oparlMember(u, m)})
	}
	return out, nextKey(out, more), nil
}

func (s *Handler) oparlMembership(r *http.Request) (any, error) {
	id, err := oparlID(r, "id")
	if err != nil {
		return nil, err
	}
	ms, err := s.cfg.Sessions.FindMemberships(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.ID == id {
			return oparlMember(oparlURLs(oparlBase(r)), m), nil
		}
	}
	return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")
}
