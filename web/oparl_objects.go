package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// OParl objects. Optional fields are omitted when empty (OParl asks for
// no null, no [] and no "" where there is no data); required fields and
// booleans that carry meaning are always written.

type oparlSystemObj struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	OParlVersion string `json:"oparlVersion"`
	Body         string `json:"body"`
	Name         string `json:"name"`
	Website      string `json:"website,omitempty"`
	Product      string `json:"product"`
	License      string `json:"license,omitempty"`
	Created      string `json:"created"`
	Modified     string `json:"modified"`
	Web          string `json:"web,omitempty"`
}

type oparlBodyObj struct {
	ID                  string                `json:"id"`
	Type                string                `json:"type"`
	System              string                `json:"system"`
	Name                string                `json:"name"`
	ShortName           string                `json:"shortName,omitempty"`
	Website             string                `json:"website,omitempty"`
	AGS                 string                `json:"ags,omitempty"`
	License             string                `json:"license,omitempty"`
	Organization        string                `json:"organization"`
	Person              string                `json:"person"`
	Meeting             string                `json:"meeting"`
	Paper               string                `json:"paper"`
	LegislativeTerm     []oparlLegislativeObj `json:"legislativeTerm"`
	LegislativeTermList string                `json:"legislativeTermList"`
	Membership          string                `json:"membership"`
	LocationList        string                `json:"locationList"`
	AgendaItem          string                `json:"agendaItem"`
	Consultation        string                `json:"consultation"`
	File                string                `json:"file"`
	Created             string                `json:"created"`
	Modified            string                `json:"modified"`
}

type oparlLegislativeObj struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Body      string `json:"body"`
	Name      string `json:"name"`
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
	Created   string `json:"created"`
	Modified  string `json:"modified"`
}

type oparlOrganizationObj struct {
	ID               string   `json:"id"`
	Type             string   `json:"type"`
	Body             string   `json:"body"`
	Name             string   `json:"name"`
	ShortName        string   `json:"shortName,omitempty"`
	Membership       []string `json:"membership,omitempty"`
	Meeting          string   `json:"meeting"`
	OrganizationType string   `json:"organizationType"`
	Classification   string   `json:"classification"`
	StartDate        string   `json:"startDate,omitempty"`
	EndDate          string   `json:"endDate,omitempty"`
	Created          string   `json:"created"`
	Modified         string   `json:"modified"`
}

type oparlPersonObj struct {
	ID            string               `json:"id"`
	Type          string               `json:"type"`
	Body          string               `json:"body"`
	Name          string               `json:"name"`
	FamilyName    string               `json:"familyName"`
	GivenName     string               `json:"givenName,omitempty"`
	FormOfAddress string               `json:"formOfAddress,omitempty"`
	Title         []string             `json:"title,omitempty"`
	Membership    []oparlMembershipObj `json:"membership,omitempty"`
	Created       string               `json:"created"`
	Modified      string               `json:"modified"`
}

type oparlMembershipObj struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Person       string `json:"person"`
	Organization string `json:"organization"`
	Role         string `json:"role,omitempty"`
	VotingRight  bool   `json:"votingRight"`
	StartDate    string `json:"startDate,omitempty"`
	EndDate      string `json:"endDate,omitempty"`
	OnBehalfOf   string `json:"onBehalfOf,omitempty"`
	Created      string `json:"created"`
	Modified     string `json:"modified"`
}

type oparlMeetingObj struct {
	ID            string               `json:"id"`
	Type          string               `json:"type"`
	Name          string               `json:"name,omitempty"`
	MeetingState  string               `json:"meetingState,omitempty"`
	Cancelled     bool                 `json:"cancelled,omitempty"`
	Start         string               `json:"start,omitempty"`
	End           string               `json:"end,omitempty"`
	Location      *oparlLocationObj    `json:"location,omitempty"`
	Organization  []string             `json:"organization,omitempty"`
	Invitation    *oparlFileObj        `json:"invitation,omitempty"`
	AuxiliaryFile []*oparlFileObj      `json:"auxiliaryFile,omitempty"`
	AgendaItem    []oparlAgendaItemObj `json:"agendaItem,omitempty"`
	// ResultsProtocol is the published public minutes.
	ResultsProtocol *oparlFileObj `json:"resultsProtocol,omitempty"`
	Web             string        `json:"web,omitempty"`
	Created         string        `json:"created"`
	Modified        string        `json:"modified"`
	Deleted         bool          `json:"deleted,omitempty"`
}

type oparlAgendaItemObj struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Meeting        string          `json:"meeting"`
	Number         string          `json:"number,omitempty"`
	Order          int             `json:"order"`
	Name           string          `json:"name,omitempty"`
	Public         bool            `json:"public"`
	Result         string          `json:"result,omitempty"`
	ResolutionText string          `json:"resolutionText,omitempty"`
	Consultation   string          `json:"consultation,omitempty"`
	AuxiliaryFile  []*oparlFileObj `json:"auxiliaryFile,omitempty"`
	Created        string          `json:"created"`
	Modified       string          `json:"modified"`
}

type oparlLocationObj struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Meetings    []string `json:"meetings,omitempty"`
	Created     string   `json:"created"`
	Modified    string   `json:"modified"`
}

type oparlPaperObj struct {
	ID            string                 `json:"id"`
	Type          string                 `json:"type"`
	Body          string                 `json:"body"`
	Name          string                 `json:"name,omitempty"`
	Reference     string                 `json:"reference,omitempty"`
	Date          string                 `json:"date,omitempty"`
	PaperType     string                 `json:"paperType,omitempty"`
	MainFile      *oparlFileObj          `json:"mainFile,omitempty"`
	AuxiliaryFile []*oparlFileObj        `json:"auxiliaryFile,omitempty"`
	Consultation  []oparlConsultationObj `json:"consultation,omitempty"`
	Created       string                 `json:"created"`
	Modified      string                 `json:"modified"`
}

type oparlConsultationObj struct {
	ID            string   `json:"id"`
	Type          string   `json:"type"`
	Paper         string   `json:"paper"`
	AgendaItem    string   `json:"agendaItem,omitempty"`
	Meeting       string   `json:"meeting,omitempty"`
	Organization  []string `json:"organization,omitempty"`
	Authoritative bool     `json:"authoritative"`
	Role          string   `json:"role,omitempty"`
	Created       string   `json:"created"`
	Modified      string   `json:"modified"`
}

// oparlTime formats t as OParl's date-time, yyyy-mm-ddThh:mm:ss±hh:mm, in
// the council's time zone.
func oparlTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(render.Berlin).Format("2006-01-02T15:04:05-07:00")
}

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

// ---- system and body ----

func (s *Server) oparlSystem(r *http.Request) (any, error) {
	u := oparlURLs(oparlBase(r))
	bodies, err := s.cfg.Sessions.FindBodies(r.Context())
	if err != nil {
		return nil, err
	}
	sys := oparlSystemObj{ID: string(u) + "/system", Type: oparlSchema + "System", OParlVersion: "https://schema.oparl.org/1.1/",
		Body: string(u) + "/body", Name: "Ratsmappe", Product: "https://github.com/ratsmappe/ratsmappe",
		License: s.cfg.OParl.License}
	var created, modified time.Time
	for i, b := range bodies {
		if i == 0 {
			sys.Name, sys.Website, created = b.Name, b.Website, b.Created
		}
		modified = latest(modified, b.Modified)
	}
	if created.IsZero() {
		created = s.cfg.Sessions.Now()
		modified = created
	}
	sys.Created, sys.Modified = oparlTime(created), oparlTime(modified)
	if len(bodies) > 0 {
		sys.Web = oparlWeb(r)
	}
	return sys, nil
}

// oparlWeb is the public portal's start page, for "web".
func oparlWeb(r *http.Request) string {
	b := oparlBase(r)
	return b[:len(b)-len("/oparl/v1")] + "/meetings"
}

func (s *Server) oparlBodyObj(ctx context.Context, u oparlURLs, b *sessions.Body) (*oparlBodyObj, error) {
	terms, err := s.cfg.Sessions.FindLegislativeTerms(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	base := u.of("body", b.ID)
	o := &oparlBodyObj{ID: base, Type: oparlSchema + "Body", System: string(u) + "/system", Name: b.Name, ShortName: b.ShortName,
		Website: b.Website, AGS: s.cfg.OParl.AGS, License: s.cfg.OParl.License, Organization: base + "/organization", Person: base + "/person", Meeting: base + "/meeting",
		Paper: base + "/paper", LegislativeTerm: []oparlLegislativeObj{}, LegislativeTermList: base + "/legislativeTerm",
		Membership: base + "/membership", LocationList: base + "/location",
		AgendaItem: base + "/agendaItem", Consultation: base + "/consultation", File: base + "/file",
		Created: oparlTime(b.Created)}
	modified := b.Modified
	for _, t := range terms {
		o.LegislativeTerm = append(o.LegislativeTerm, oparlTerm(u, t))
		modified = latest(modified, t.Modified)
	}
	o.Modified = oparlTime(modified)
	return o, nil
}

func (s *Server) oparlBodies(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
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
			o.LegislativeTerm = []oparlLegislativeObj{} // required: stays, empty
		}
		out = append(out, oparlItem{id: b.ID, created: b.Created, modified: mustTime(o.Modified), obj: o})
	}
	return out, nil
}

func mustTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func (s *Server) oparlBody(r *http.Request) (any, error) {
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
func (s *Server) bodyParam(r *http.Request) (int64, error) {
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

func oparlTerm(u oparlURLs, t *sessions.LegislativeTerm) oparlLegislativeObj {
	return oparlLegislativeObj{ID: u.of("legislativeTerm", t.ID), Type: oparlSchema + "LegislativeTerm", Body: u.of("body", t.BodyID),
		Name: t.Name, StartDate: t.StartDate, EndDate: t.EndDate, Created: oparlTime(t.Created), Modified: oparlTime(t.Modified)}
}

func (s *Server) oparlLegislativeTerms(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
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

func (s *Server) oparlLegislativeTerm(r *http.Request) (any, error) {
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

var oparlClassification = map[string][2]string{ // classification → organizationType, classification text
	sessions.ClassCouncil:         {"Gremium", "Parlament"},
	sessions.ClassCommittee:       {"Gremium", "Ausschuss"},
	sessions.ClassDistrictCouncil: {"Gremium", "Bezirksvertretung"},
	sessions.ClassFaction:         {"Fraktion", "Fraktion"},
	sessions.ClassOther:           {"Sonstiges", "Sonstiges"},
}

func oparlOrg(u oparlURLs, o *sessions.Organization, ms []*sessions.Membership) *oparlOrganizationObj {
	c := oparlClassification[o.Classification]
	obj := &oparlOrganizationObj{ID: u.of("organization", o.ID), Type: oparlSchema + "Organization", Body: u.of("body", o.BodyID),
		Name: o.Name, ShortName: o.ShortName, Meeting: u.of("organization", o.ID) + "/meeting", OrganizationType: c[0], Classification: c[1],
		StartDate: o.StartDate, EndDate: o.EndDate, Created: oparlTime(o.Created), Modified: oparlTime(o.Modified)}
	for _, m := range ms {
		if m.OrganizationID == o.ID {
			obj.Membership = append(obj.Membership, u.of("membership", m.ID))
		}
	}
	return obj
}

func (s *Server) oparlOrganizations(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
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

func (s *Server) oparlOrganization(r *http.Request) (any, error) {
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

func oparlMember(u oparlURLs, m *sessions.Membership) oparlMembershipObj {
	o := oparlMembershipObj{ID: u.of("membership", m.ID), Type: oparlSchema + "Membership", Person: u.of("person", m.PersonID),
		Organization: u.of("organization", m.OrganizationID), Role: m.Role, VotingRight: m.VotingRight,
		StartDate: m.StartDate, EndDate: m.EndDate, Created: oparlTime(m.Created), Modified: oparlTime(m.Modified)}
	if m.OnBehalfOf != 0 {
		o.OnBehalfOf = u.of("organization", m.OnBehalfOf)
	}
	return o
}

// oparlPersonObj builds a person with its memberships embedded; its
// modified is the latest of its own and theirs (OParl 1.1: embedding
// objects change with what they embed).
func oparlPersonOf(u oparlURLs, p *sessions.Person, ms []*sessions.Membership, omitInternal bool) (*oparlPersonObj, time.Time) {
	o := &oparlPersonObj{ID: u.of("person", p.ID), Type: oparlSchema + "Person", Body: u.of("body", p.BodyID), Name: p.Name(),
		FamilyName: p.FamilyName, GivenName: p.GivenName, FormOfAddress: p.FormOfAddress, Created: oparlTime(p.Created)}
	if p.Title != "" {
		o.Title = []string{p.Title}
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
	o.Modified = oparlTime(modified)
	return o, modified
}

func (s *Server) oparlPersons(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	ps, err := s.cfg.Sessions.FindPersons(r.Context(), sessions.PersonFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	ms, err := s.cfg.Sessions.FindMemberships(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	var out []oparlItem
	for _, p := range ps {
		o, mod := oparlPersonOf(u, p, ms, q.omitInternal)
		out = append(out, oparlItem{id: p.ID, created: p.Created, modified: mod, obj: o})
	}
	return out, nil
}

func (s *Server) oparlPerson(r *http.Request) (any, error) {
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

func (s *Server) oparlMemberships(r *http.Request, q *oparlQuery) ([]oparlItem, error) {
	bodyID, err := s.bodyParam(r)
	if err != nil {
		return nil, err
	}
	ps, err := s.cfg.Sessions.FindPersons(r.Context(), sessions.PersonFilter{BodyID: bodyID})
	if err != nil {
		return nil, err
	}
	inBody := map[int64]bool{}
	for _, p := range ps {
		inBody[p.ID] = true
	}
	ms, err := s.cfg.Sessions.FindMemberships(r.Context(), 0, 0)
	if err != nil {
		return nil, err
	}
	u := oparlURLs(oparlBase(r))
	var out []oparlItem
	for _, m := range ms {
		if inBody[m.PersonID] {
			out = append(out, oparlItem{id: m.ID, created: m.Created, modified: m.Modified, obj: oparlMember(u, m)})
		}
	}
	return out, nil
}

func (s *Server) oparlMembership(r *http.Request) (any, error) {
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
