// Package demo fills an empty installation with a plausible German council
// — the fictional Stadt Lindenau: council, committees, a district council,
// factions, members, a year of meetings with public and non-public agenda
// items, papers with PDFs whose German text the project writes itself,
// new versions, late items, exclusions and minutes — so that the product
// can be tried, demonstrated and tested against realistic data.
//
// With a canary word, every non-public item title and every document a
// citizen may not see (yet) carries that word, so that leak tests can look
// for it on every channel: the items of draft and embargoed agendas,
// non-public items, papers, attachments and minutes, an attachment the
// office withdrew after publication, a first version withdrawn after a
// clean second one replaced it, and — with ExcludedWord — the items a
// member is excluded from.
package demo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

// Options configures Load.
type Options struct {
	Canary   string       // "" for none
	Now      time.Time    // the demo's "today"; default time.Now()
	Seed     uint64       // for the random choices; 0 is a fixed default
	Workers  int          // parallel uploads; default 2
	Logger   *slog.Logger // progress; default slog.Default()
	TempDir  string       // for the generated PDFs; default os.TempDir()
	Progress func(done, total int)
	// Invitations, if set, receives the members' consent to electronic
	// invitations: addresses under lindenau.example, every member
	// consenting but one (NoConsent), who is on the postal list.
	Invitations *invitation.Service
}

// NoConsent is the index (in the order of creation) of the demo member
// who has not consented to electronic invitations: Hans-Peter Müller,
// a member of the council and the Bauausschuss.
const NoConsent = 7

// Member is a council member the demo created, with their address and
// consent to electronic invitations.
type Member struct {
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Consent  bool   `json:"consent"`
}

// Account is a sign-in the demo created.
type Account struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Password    string `json:"password"`
	Token       string `json:"token"`
	PersonID    int64  `json:"person_id,omitempty"`
	Note        string `json:"note,omitempty"`
	// Email is the account's address; Consent, for a member, whether
	// they consented to electronic invitations.
	Email   string `json:"email"`
	Consent bool   `json:"consent"`
}

// Meeting is a meeting the demo created.
type Meeting struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Organization string    `json:"organization"`
	Start        time.Time `json:"start"`
	State        string    `json:"state"` // draft, embargoed, published
}

// Result says what Load created.
type Result struct {
	Body      string    `json:"body"`
	Accounts  []Account `json:"accounts"`
	Members   []Member  `json:"members"`
	Meetings  []Meeting `json:"meetings"`
	Documents int       `json:"documents"`
	Canary    string    `json:"canary,omitempty"`
}

// Load creates the demo council, with its accounts in acc. It refuses (ECONFLICT) to run on an
// installation that already has a body.
func Load(ctx context.Context, docs *documents.Service, st *sessions.Store, acc *accounts.Store, opt Options) (*Result, error) {
	bodies, err := st.FindBodies(ctx)
	if err != nil {
		return nil, err
	}
	if len(bodies) > 0 {
		return nil, ratsmappe.Errorf(ratsmappe.ECONFLICT, "Die Datenbank enthält schon Daten; die Demo wird nur in ein leeres Datenverzeichnis geladen.")
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Seed == 0 {
		opt.Seed = 2026
	}
	g := &gen{ctx: ctx, docs: docs, st: st, acc: acc, opt: opt, r: mrand.New(mrand.NewPCG(opt.Seed, 7)), orgs: map[string]*sessions.Organization{}}
	if err := g.run(); err != nil {
		return nil, err
	}
	return &g.res, nil
}

type gen struct {
	ctx  context.Context
	docs *documents.Service
	st   *sessions.Store
	acc  *accounts.Store
	opt  Options
	r    *mrand.Rand
	res  Result

	body    *sessions.Body
	orgs    map[string]*sessions.Organization
	persons []*sessions.Person
	paperNo int

	jobs []*docJob // documents to make, in phase 2
	tmp  string

	// the leak cases made once each, on the first published meeting
	withdrawnDone, supersededDone bool
}

// ExcludedWord is the word the demo puts, with a canary, in the items a
// member is excluded from (and in their documents and papers), instead
// of the canary alone: it contains the canary, so that whoever may not
// see non-public items finds it as the canary, and a member of the
// committee who is excluded from the item can be checked for it alone.
func ExcludedWord(canary string) string {
	if canary == "" {
		return ""
	}
	return canary + "BEFANGEN"
}

// docJob is one PDF to generate and ingest, and what to do with it.
type docJob struct {
	title  string
	kind   string
	blocks []string
	header string
	// versions are later versions' blocks (with change notes)
	versions []versionJob
	docID    int64
	// withdrawFirst: the office withdraws version 1 once version 2 is
	// in (it carried what it must not).
	withdrawFirst bool
}

type versionJob struct {
	note   string
	blocks []string
}

func (g *gen) run() error {
	var err error
	g.tmp, err = os.MkdirTemp(g.opt.TempDir, "ratsmappe-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(g.tmp)
	if err := g.people(); err != nil {
		return err
	}
	plans, err := g.meetings()
	if err != nil {
		return err
	}
	if err := g.ingest(); err != nil {
		return err
	}
	for _, p := range plans {
		if err := g.finish(p); err != nil {
			return err
		}
	}
	if err := g.consents(); err != nil {
		return err
	}
	if err := g.accounts(); err != nil {
		return err
	}
	sort.Slice(g.res.Meetings, func(i, j int) bool { return g.res.Meetings[i].Start.Before(g.res.Meetings[j].Start) })
	g.res.Body, g.res.Canary = g.body.Name, g.opt.Canary
	return nil
}

var committees = []struct {
	name, short, class string
	everyWeeks         int
}{
	{"Gemeinderat", "GR", sessions.ClassCouncil, 4},
	{"Hauptausschuss", "HA", sessions.ClassCommittee, 6},
	{"Bauausschuss", "BA", sessions.ClassCommittee, 6},
	{"Planungsausschuss", "PA", sessions.ClassCommittee, 8},
	{"Ausschuss für Umwelt und Gesundheit", "AUG", sessions.ClassCommittee, 8},
	{"Ausschuss für Bildung und Soziales", "ABS", sessions.ClassCommittee, 8},
	{"Ortschaftsrat Durlach", "OR", sessions.ClassDistrictCouncil, 8},
}

var factions = []string{"CDU", "SPD", "GRÜNE", "FDP", "FREIE WÄHLER"}

var names = [][2]string{
	{"Anna", "Beispiel"}, {"Bernd", "Schneider"}, {"Clara", "Hoffmann"}, {"Dieter", "Wagner"}, {"Elif", "Yılmaz"},
	{"Frank", "Becker"}, {"Gisela", "Schulz"}, {"Hans-Peter", "Müller"}, {"Ines", "Koch"}, {"Jürgen", "Richter"},
	{"Katrin", "Wolf"}, {"Lars", "Schröder"}, {"Marta", "Nowak"}, {"Nils", "Neumann"}, {"Olga", "Schwarz"},
	{"Paul", "Zimmermann"}, {"Renate", "Braun"}, {"Stefan", "Krüger"}, {"Tanja", "Hofmann"}, {"Uwe", "Hartmann"},
	{"Vera", "Lange"}, {"Wolfgang", "Schmitt"}, {"Yvonne", "Werner"}, {"Zeynep", "Aydın"},
}

func (g *gen) people() error {
	g.body = &sessions.Body{Name: "Stadt Lindenau", ShortName: "Lindenau", Website: "https://www.lindenau.example"}
	if err := g.st.CreateBody(g.ctx, g.body); err != nil {
		return err
	}
	term := &sessions.LegislativeTerm{BodyID: g.body.ID, Name: "Wahlperiode 2024–2029", StartDate: "2024-07-01", EndDate: "2029-06-30"}
	if err := g.st.CreateLegislativeTerm(g.ctx, term); err != nil {
		return err
	}
	for _, c := range committees {
		o := &sessions.Organization{BodyID: g.body.ID, Name: c.name, ShortName: c.short, Classification: c.class, StartDate: "2024-07-01"}
		if err := g.st.CreateOrganization(g.ctx, o); err != nil {
			return err
		}
		g.orgs[c.name] = o
	}
	var factionOrgs []*sessions.Organization
	for _, f := range factions {
		o := &sessions.Organization{BodyID: g.body.ID, Name: "Fraktion " + f, ShortName: f, Classification: sessions.ClassFaction, StartDate: "2024-07-01"}
		if err := g.st.CreateOrganization(g.ctx, o); err != nil {
			return err
		}
		factionOrgs = append(factionOrgs, o)
	}
	committeeNames := []string{"Hauptausschuss", "Bauausschuss", "Planungsausschuss", "Ausschuss für Umwelt und Gesundheit", "Ausschuss für Bildung und Soziales", "Ortschaftsrat Durlach"}
	for i, n := range names {
		p := &sessions.Person{BodyID: g.body.ID, GivenName: n[0], FamilyName: n[1]}
		if i%7 == 3 {
			p.Title = "Dr."
		}
		if err := g.st.CreatePerson(g.ctx, p); err != nil {
			return err
		}
		g.persons = append(g.persons, p)
		faction := factionOrgs[i%len(factionOrgs)]
		member := func(org *sessions.Organization, role string) error {
			return g.st.CreateMembership(g.ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: org.ID, Role: role,
				VotingRight: true, OnBehalfOf: faction.ID, StartDate: "2024-07-01"})
		}
		role := "Mitglied"
		if i == 0 {
			role = "Fraktionsvorsitzende"
		}
		if err := member(g.orgs["Gemeinderat"], "Stadträtin/Stadtrat"); err != nil {
			return err
		}
		if err := g.st.CreateMembership(g.ctx, &sessions.Membership{PersonID: p.ID, OrganizationID: faction.ID, Role: role, VotingRight: true, StartDate: "2024-07-01"}); err != nil {
			return err
		}
		// Each person sits on two committees; the first three demo
		// members have fixed ones, so the README can say what they see.
		var mine []string
		switch i {
		case 0:
			mine = []string{"Hauptausschuss", "Bauausschuss"}
		case 1:
			mine = []string{"Planungsausschuss", "Ausschuss für Umwelt und Gesundheit"}
		case 2:
			mine = []string{"Bauausschuss", "Ausschuss für Bildung und Soziales"}
		default:
			mine = []string{committeeNames[i%len(committeeNames)], committeeNames[(i+2)%len(committeeNames)]}
		}
		for _, c := range mine {
			if err := member(g.orgs[c], "Mitglied"); err != nil {
				return err
			}
		}
	}
	return nil
}

// meetingPlan is a meeting with what phase 3 does to it.
type meetingPlan struct {
	m         *sessions.Meeting
	org       *sessions.Organization
	items     []itemPlan
	state     string // draft, embargoed, published
	publishAt time.Time
	past      bool
	late      *itemPlan // added after publication
	minutes   []*docJob // public, non-public
}

type itemPlan struct {
	it          *sessions.AgendaItem
	paper       *sessions.Paper
	docs        []*docJob
	public      []bool // per doc: set public?
	withdrawDoc int    // index+1 of a doc to withdraw, 0 none
	exclude     bool   // exclude the third demo member (Clara)
}

func (g *gen) meetings() ([]*meetingPlan, error) {
	now := g.opt.Now
	start := now.AddDate(0, -9, 0)
	end := now.AddDate(0, 3, 0)
	var plans []*meetingPlan
	embargoDone := false
	for ci, c := range committees {
		org := g.orgs[c.name]
		// First meeting day: a weekday in the first weeks, at 17:00.
		d := time.Date(start.Year(), start.Month(), start.Day(), 17, 0, 0, 0, berlin).AddDate(0, 0, ci*3)
		for ; d.Before(end); d = d.AddDate(0, 0, 7*c.everyWeeks) {
			for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				d = d.AddDate(0, 0, 1)
			}
			p := &meetingPlan{org: org, past: d.Before(now)}
			name := fmt.Sprintf("%d. Sitzung des %s", len(plans)%40+1, genitive(c.name))
			p.m = &sessions.Meeting{OrganizationID: org.ID, Name: name, Start: d, End: d.Add(3 * time.Hour), Location: location(c.name)}
			switch {
			case p.past:
				p.state, p.publishAt = "published", d.AddDate(0, 0, -10)
				p.m.State = sessions.MeetingHeld
			case d.Sub(now) < 14*24*time.Hour:
				p.state, p.publishAt = "published", d.AddDate(0, 0, -10)
				if p.publishAt.After(now) {
					p.publishAt = now.Add(-time.Hour)
				}
				p.m.State = sessions.MeetingInvited
			case !embargoDone && d.Sub(now) < 40*24*time.Hour:
				p.state, p.publishAt = "embargoed", now.Add(48*time.Hour)
				p.m.State = sessions.MeetingPlanned
				embargoDone = true
			default:
				p.state = "draft"
				p.m.State = sessions.MeetingPlanned
			}
			if err := g.st.CreateMeeting(g.ctx, p.m); err != nil {
				return nil, err
			}
			if err := g.agenda(p); err != nil {
				return nil, err
			}
			plans = append(plans, p)
		}
	}
	if err := g.secondReading(plans); err != nil {
		return nil, err
	}
	// The next published meeting gets a late item (Nachtrag).
	var next *meetingPlan
	for _, p := range plans {
		if !p.past && p.state == "published" && (next == nil || p.m.Start.Before(next.m.Start)) {
			next = p
		}
	}
	if next != nil {
		t := topics[g.r.IntN(len(topics))]
		next.late = &itemPlan{
			it:   &sessions.AgendaItem{MeetingID: next.m.ID, Number: "Ö " + fmt.Sprint(countPublic(next)+1), Title: "Dringlichkeitsantrag: " + t.Title, Public: true},
			docs: []*docJob{g.paperDoc(t, g.nextRef(), next.org.Name, "")},
		}
		next.late.public = []bool{true}
		g.jobs = append(g.jobs, next.late.docs...)
	}
	return plans, nil
}

// secondReading puts the paper of the first Bauausschuss item Clara is
// excluded from on the next published council agenda as well, as a
// non-public item with an attachment of its own: the committee advises,
// the council decides. Her exclusion follows the matter to the council's
// item and its attachment, so the crawls see the shape of a paper on two
// agendas.
func (g *gen) secondReading(plans []*meetingPlan) error {
	var from *itemPlan
	var after time.Time
	for _, p := range plans {
		if p.org.Name != "Bauausschuss" || p.state != "published" {
			continue
		}
		for i := range p.items {
			if p.items[i].exclude && (from == nil || p.m.Start.Before(after)) {
				from, after = &p.items[i], p.m.Start
			}
		}
	}
	if from == nil {
		return nil
	}
	var to *meetingPlan
	for _, p := range plans {
		if p.org.Name == "Gemeinderat" && p.state == "published" && p.m.Start.After(after) && (to == nil || p.m.Start.Before(to.m.Start)) {
			to = p
		}
	}
	if to == nil {
		return nil
	}
	n := 1
	for _, ip := range to.items {
		if !ip.it.Public {
			n++
		}
	}
	word := ExcludedWord(g.opt.Canary)
	title := from.it.Title
	ip := itemPlan{
		it:    &sessions.AgendaItem{MeetingID: to.m.ID, Number: fmt.Sprintf("N %d", n), Title: title, PublicTitle: from.it.PublicTitle, Public: false},
		paper: from.paper,
		docs: []*docJob{{title: strings.TrimSpace(from.paper.Reference + " Beschlussempfehlung des Bauausschusses " + word), kind: documents.KindDraft, header: "Stadt Lindenau · Gemeinderat",
			blocks: []string{"# Beschlussempfehlung", "Der Bauausschuss hat die Vorlage " + from.paper.Reference + " vorberaten und empfiehlt dem Gemeinderat die Zustimmung. " + word}}},
		public: []bool{false},
	}
	if err := g.st.CreateAgendaItem(g.ctx, ip.it); err != nil {
		return err
	}
	to.items = append(to.items, ip)
	g.jobs = append(g.jobs, ip.docs...)
	return nil
}

func countPublic(p *meetingPlan) int {
	n := 0
	for _, it := range p.items {
		if it.it.Public {
			n++
		}
	}
	return n
}

func (g *gen) nextRef() string {
	g.paperNo++
	return fmt.Sprintf("%d/%04d", g.opt.Now.Year(), g.paperNo)
}

func (g *gen) paperDoc(t topic, ref, committee, canary string) *docJob {
	title := t.Title
	if canary != "" {
		title += " " + canary
	}
	j := &docJob{title: ref + " " + title, kind: documents.KindDraft, header: "Stadt Lindenau · " + committee,
		blocks: write(t, ref, committee, canary, g.r)}
	if t.Kind == "Antrag" {
		j.kind = documents.KindMotion
	}
	return j
}

func (g *gen) agenda(p *meetingPlan) error {
	secret := p.state != "published" // drafts and embargoed agendas are not public yet
	canaryIf := func(b bool) string {
		if b {
			return g.opt.Canary
		}
		return ""
	}
	add := func(ip itemPlan) error {
		if ip.it.Public && secret && g.opt.Canary != "" {
			ip.it.Title += " " + g.opt.Canary
		}
		if err := g.st.CreateAgendaItem(g.ctx, ip.it); err != nil {
			return err
		}
		p.items = append(p.items, ip)
		return nil
	}
	if err := add(itemPlan{it: &sessions.AgendaItem{MeetingID: p.m.ID, Number: "Ö 1", Title: "Eröffnung, Feststellung der Beschlussfähigkeit, Bekanntgaben", Public: true}}); err != nil {
		return err
	}
	// Public items with papers.
	n := 2 + g.r.IntN(3)
	for i := 0; i < n; i++ {
		t := g.topicFor(p.org.Name)
		ref := g.nextRef()
		paper := &sessions.Paper{BodyID: g.body.ID, Reference: ref, Name: t.Title, Type: t.Kind, Date: p.m.Start.AddDate(0, 0, -21).Format("2006-01-02"), Originator: "Bürgermeisteramt"}
		if t.Kind == "Antrag" {
			paper.Originator = "Fraktion " + factions[g.r.IntN(len(factions))]
		}
		if err := g.st.CreatePaper(g.ctx, paper); err != nil {
			return err
		}
		main := g.paperDoc(t, ref, p.org.Name, canaryIf(secret))
		ip := itemPlan{
			it:    &sessions.AgendaItem{MeetingID: p.m.ID, Number: fmt.Sprintf("Ö %d", i+2), Title: t.Title, Public: true},
			paper: paper, docs: []*docJob{main}, public: []bool{true},
		}
		if g.r.IntN(4) == 0 {
			// A revised draft: version 2 with a change note.
			v2 := append([]string{}, main.blocks...)
			v2 = append(v2, "# Ergänzung", "Nach der Vorberatung wurde die Vorlage um die Stellungnahme des Ortschaftsrats ergänzt. Die Kostenschätzung wurde aktualisiert.")
			main.versions = append(main.versions, versionJob{note: "Stellungnahme des Ortschaftsrats ergänzt", blocks: v2})
		}
		if g.r.IntN(3) == 0 {
			att := &docJob{title: ref + " Anlage 1 – Lageplan und Kostenschätzung", kind: documents.KindAttachment, header: "Stadt Lindenau · " + p.org.Name,
				blocks: []string{"# Anlage 1 zur Vorlage " + ref, "Lageplan, Kostenschätzung nach DIN 276 und Zeitplan der Maßnahme " + t.Title + ".",
					fmt.Sprintf("Kostengruppe 300 Bauwerk: %s Euro. Kostengruppe 500 Außenanlagen: %s Euro. Baunebenkosten: %s Euro.", euro(t.Amount/2+10000), euro(t.Amount/4+5000), euro(t.Amount/5+3000))}}
			ip.docs, ip.public = append(ip.docs, att), append(ip.public, true)
		}
		if g.r.IntN(5) == 0 {
			// A confidential attachment to a public item.
			conf := &docJob{title: ref + " Anlage – Vertrauliche Angebotsauswertung " + g.opt.Canary, kind: documents.KindAttachment,
				blocks: []string{"# Vertrauliche Angebotsauswertung", "Diese Anlage ist nichtöffentlich. Sie enthält die Angebotspreise der Bieter. " + g.opt.Canary}}
			ip.docs, ip.public = append(ip.docs, conf), append(ip.public, false)
		}
		if g.opt.Canary != "" && !secret && !g.withdrawnDone {
			// An attachment published and then withdrawn by the office.
			g.withdrawnDone = true
			wd := &docJob{title: ref + " Anlage 2 – Zurückgezogene Fassung " + g.opt.Canary, kind: documents.KindAttachment, header: "Stadt Lindenau · " + p.org.Name,
				blocks: []string{"# Zurückgezogene Anlage", "Diese Anlage wurde veröffentlicht und danach zurückgezogen. " + g.opt.Canary}}
			ip.docs, ip.public = append(ip.docs, wd), append(ip.public, true)
			ip.withdrawDoc = len(ip.docs)
		} else if g.opt.Canary != "" && !secret && !g.supersededDone && len(main.versions) == 0 {
			// Version 1 went out with what it must not carry; version 2
			// replaced it and the office withdrew version 1.
			g.supersededDone = true
			clean := main.blocks
			main.blocks = append(append([]string{}, clean...), "# Angebotspreise (versehentlich beigefügt)", "Vertrauliche Angebotspreise der Bieter. "+g.opt.Canary)
			main.versions = append(main.versions, versionJob{note: "Versehentlich beigefügte Angebotspreise entfernt", blocks: clean})
			main.withdrawFirst = true
		}
		if err := add(ip); err != nil {
			return err
		}
	}
	// Non-public items, except in the district council.
	if p.org.Classification != sessions.ClassDistrictCouncil {
		for i := 0; i < 1+g.r.IntN(2); i++ {
			t := nonPublicTopics[g.r.IntN(len(nonPublicTopics))]
			ref := g.nextRef()
			exclude := i == 0 && p.org.Name == "Bauausschuss"
			word := g.opt.Canary
			if exclude {
				word = ExcludedWord(g.opt.Canary)
			}
			title := t.Title
			if word != "" {
				title += " " + word
			}
			paper := &sessions.Paper{BodyID: g.body.ID, Reference: ref, Name: title, Type: t.Kind, Date: p.m.Start.AddDate(0, 0, -14).Format("2006-01-02"), Originator: "Bürgermeisteramt"}
			if err := g.st.CreatePaper(g.ctx, paper); err != nil {
				return err
			}
			ip := itemPlan{
				it:    &sessions.AgendaItem{MeetingID: p.m.ID, Number: fmt.Sprintf("N %d", i+1), Title: title, PublicTitle: publicTitle(t), Public: false},
				paper: paper, docs: []*docJob{g.paperDoc(t, ref, p.org.Name, word)}, public: []bool{false},
				exclude: exclude,
			}
			if err := add(ip); err != nil {
				return err
			}
		}
	}
	if err := add(itemPlan{it: &sessions.AgendaItem{MeetingID: p.m.ID, Number: fmt.Sprintf("Ö %d", n+2), Title: "Anfragen und Verschiedenes", Public: true}}); err != nil {
		return err
	}
	for _, ip := range p.items {
		g.jobs = append(g.jobs, ip.docs...)
	}
	if p.past {
		pub := &docJob{title: "Niederschrift – " + p.m.Name + " (öffentlicher Teil)", kind: documents.KindMinutes, header: "Stadt Lindenau · " + p.org.Name,
			blocks: g.minutesText(p, false)}
		np := &docJob{title: "Niederschrift – " + p.m.Name + " (nichtöffentlicher Teil) " + g.opt.Canary, kind: documents.KindMinutes, header: "Stadt Lindenau · " + p.org.Name,
			blocks: g.minutesText(p, true)}
		p.minutes = []*docJob{pub, np}
		g.jobs = append(g.jobs, pub, np)
	}
	return nil
}

func publicTitle(t topic) string {
	switch {
	case t.Amount > 0 && t.Title[:7] == "Vergabe":
		return "Vergabeangelegenheit"
	case t.Title[:8] == "Personal":
		return "Personalangelegenheit"
	case t.Title[:6] == "Erwerb":
		return "Grundstücksangelegenheit"
	}
	return ""
}

func (g *gen) topicFor(committee string) topic {
	var fit []topic
	for _, t := range topics {
		if t.Committee == committee {
			fit = append(fit, t)
		}
	}
	if len(fit) == 0 || g.r.IntN(3) == 0 {
		return topics[g.r.IntN(len(topics))]
	}
	return fit[g.r.IntN(len(fit))]
}

func (g *gen) minutesText(p *meetingPlan, nonPublic bool) []string {
	b := []string{fmt.Sprintf("%s am %s, Beginn 17:00 Uhr, Ende 19:40 Uhr, %s.", p.m.Name, p.m.Start.Format("02.01.2006"), p.m.Location),
		"Vorsitz: Oberbürgermeisterin Dr. Sabine Lindner. Schriftführung: Ratsbüro."}
	if nonPublic {
		b = append(b, "Nichtöffentlicher Teil. Die Niederschrift ist vertraulich. "+g.opt.Canary)
	}
	for _, ip := range p.items {
		if ip.it.Public == nonPublic {
			continue
		}
		if ip.exclude {
			// Members excluded from an item read the minutes of the
			// meeting: the item is minuted apart.
			b = append(b, "# "+ip.it.Number+" "+cmp.Or(ip.it.PublicTitle, "Nichtöffentliche Angelegenheit"),
				"Beratung und Beschluss in Abwesenheit eines befangenen Mitglieds; gesonderte Niederschrift.")
			continue
		}
		b = append(b, "# "+ip.it.Number+" "+ip.it.Title)
		switch g.r.IntN(3) {
		case 0:
			b = append(b, "Die Verwaltung erläutert die Vorlage. Nach kurzer Aussprache wird einstimmig beschlossen: wie Beschlussvorschlag.")
		case 1:
			b = append(b, fmt.Sprintf("Nach ausführlicher Aussprache wird mit %d Ja-Stimmen bei %d Gegenstimmen und %d Enthaltungen beschlossen: wie Beschlussvorschlag.", 8+g.r.IntN(10), g.r.IntN(5), g.r.IntN(3)))
		default:
			b = append(b, "Der Tagesordnungspunkt wird vertagt; die Verwaltung wird gebeten, weitere Varianten zu prüfen.")
		}
	}
	return b
}

// ingest generates and uploads every planned document, in parallel.
func (g *gen) ingest() error {
	total := 0
	for _, j := range g.jobs {
		total += 1 + len(j.versions)
	}
	g.res.Documents = len(g.jobs)
	var mu sync.Mutex
	done := 0
	var firstErr error
	next := make(chan *docJob)
	var wg sync.WaitGroup
	for w := 0; w < g.opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				err := g.upload(j, func() {
					mu.Lock()
					done++
					if g.opt.Progress != nil {
						g.opt.Progress(done, total)
					}
					mu.Unlock()
				})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, j := range g.jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return firstErr
}

func (g *gen) upload(j *docJob, tick func()) error {
	write := func(blocks []string) (string, error) {
		var buf bytes.Buffer
		if _, err := textpdf.Write(&buf, textpdf.Doc{Title: j.title, Author: "Stadt Lindenau", Header: j.header, Blocks: blocks, Created: g.opt.Now}); err != nil {
			return "", err
		}
		f, err := os.CreateTemp(g.tmp, "*.pdf")
		if err != nil {
			return "", err
		}
		defer f.Close()
		_, err = f.Write(buf.Bytes())
		return f.Name(), err
	}
	path, err := write(j.blocks)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	a, err := g.docs.AddDocument(g.ctx, documents.Upload{Path: path, FileName: fileName(j.title), Title: j.title, Kind: j.kind, Uploader: "Ratsbüro"})
	if err != nil {
		return fmt.Errorf("demo document %q: %w", j.title, err)
	}
	j.docID = a.Document.ID
	tick()
	for _, v := range j.versions {
		p, err := write(v.blocks)
		if err != nil {
			return err
		}
		_, err = g.docs.AddVersion(g.ctx, j.docID, documents.Upload{Path: p, FileName: fileName(j.title), Uploader: "Ratsbüro", Note: v.note})
		os.Remove(p)
		if err != nil {
			return fmt.Errorf("demo version of %q: %w", j.title, err)
		}
		tick()
	}
	if j.withdrawFirst {
		if err := g.docs.Withdraw(g.ctx, j.docID, 1); err != nil {
			return fmt.Errorf("demo withdraw of %q: %w", j.title, err)
		}
	}
	return nil
}

func fileName(title string) string {
	b := []rune{}
	for _, r := range title {
		switch {
		case r == ' ' || r == '/':
			b = append(b, '_')
		case r == '„' || r == '“' || r == '"' || r == ':' || r == '–':
		default:
			b = append(b, r)
		}
		if len(b) > 80 {
			break
		}
	}
	return filepath.Clean(string(b)) + ".pdf"
}

// finish links the documents, publishes, adds the Nachtrag and minutes.
func (g *gen) finish(p *meetingPlan) error {
	ctx, st := g.ctx, g.st
	clara := g.persons[2].ID
	var withdraw []int64 // attachments withdrawn after publication
	for _, ip := range p.items {
		if ip.paper != nil {
			if err := st.Consult(ctx, &sessions.Consultation{PaperID: ip.paper.ID, AgendaItemID: ip.it.ID, Role: "Entscheidung", Authoritative: true}); err != nil {
				return err
			}
		}
		for i, j := range ip.docs {
			a := &sessions.Attachment{DocumentID: j.docID, AgendaItemID: ip.it.ID, Title: j.title, Position: i}
			if i == 0 && ip.paper != nil {
				a.Role = sessions.RoleMain
			}
			if err := st.Attach(ctx, a); err != nil {
				return err
			}
			if ip.public[i] && ip.it.Public {
				if err := st.SetAttachmentPublic(ctx, a.ID, true); err != nil {
					return err
				}
			}
			if ip.withdrawDoc == i+1 {
				withdraw = append(withdraw, a.ID)
			}
		}
		if ip.exclude {
			if err := st.AddExclusion(ctx, ip.it.ID, clara, "Persönliche Beteiligung (§ 18 GemO)"); err != nil {
				return err
			}
		}
	}
	res := Meeting{ID: p.m.ID, Name: p.m.Name, Organization: p.org.Name, Start: p.m.Start, State: p.state}
	g.res.Meetings = append(g.res.Meetings, res)
	if p.state == "draft" {
		return nil
	}
	if err := st.PublishMeeting(ctx, p.m.ID, p.publishAt); err != nil {
		return err
	}
	for _, id := range withdraw {
		if err := st.WithdrawAttachment(ctx, id); err != nil {
			return err
		}
	}
	if p.late != nil {
		if err := st.CreateAgendaItem(ctx, p.late.it); err != nil {
			return err
		}
		a := &sessions.Attachment{DocumentID: p.late.docs[0].docID, AgendaItemID: p.late.it.ID, Role: sessions.RoleMain, Title: p.late.docs[0].title}
		if err := st.Attach(ctx, a); err != nil {
			return err
		}
		// The office releases the late document explicitly.
		if err := st.SetAttachmentPublic(ctx, a.ID, true); err != nil {
			return err
		}
	}
	if p.past && len(p.minutes) == 2 {
		for i, j := range p.minutes {
			m := &sessions.Minutes{MeetingID: p.m.ID, DocumentID: j.docID, Public: i == 0}
			if err := st.CreateMinutes(ctx, m); err != nil {
				return err
			}
			if err := st.SetMinutesState(ctx, m.ID, sessions.MinutesApproved); err != nil {
				return err
			}
			if i == 0 {
				if err := st.SetMinutesState(ctx, m.ID, sessions.MinutesPublished); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (g *gen) accounts() error {
	add := func(name, display string, role access.Role, person int64, note string) error {
		pw := password()
		a := &accounts.Account{Name: name, DisplayName: display, Role: role, PersonID: person}
		if err := g.acc.CreateAccount(g.ctx, a, pw); err != nil {
			return err
		}
		_, tok, err := g.acc.CreateAPIToken(g.ctx, a.ID, "demo")
		if err != nil {
			return err
		}
		acct := Account{Name: name, DisplayName: display, Role: string(role), Password: pw, Token: tok, PersonID: person, Note: note,
			Email: name + "@lindenau.example"}
		for _, m := range g.res.Members {
			if m.PersonID == person {
				acct.Email, acct.Consent = m.Email, m.Consent
			}
		}
		g.res.Accounts = append(g.res.Accounts, acct)
		return nil
	}
	if err := add("admin", "Administration", access.RoleAdmin, 0, "Betrieb, Audit-Protokoll"); err != nil {
		return err
	}
	if err := add("ratsbuero", "Ratsbüro", access.RoleClerk, 0, "legt Sitzungen an, lädt hoch, veröffentlicht"); err != nil {
		return err
	}
	notes := []string{"Gemeinderat, Hauptausschuss, Bauausschuss", "Gemeinderat, Planungsausschuss, Umweltausschuss", "Gemeinderat, Bauausschuss (befangen bei einem N-Punkt), Bildungsausschuss"}
	for i, n := range []string{"anna", "bernd", "clara"} {
		p := g.persons[i]
		if err := add(n, p.Name(), access.RoleMember, p.ID, notes[i]); err != nil {
			return err
		}
	}
	return nil
}

// consents gives every member an address under lindenau.example and,
// but for NoConsent, consent to electronic invitations, recorded with
// Options.Invitations when set.
func (g *gen) consents() error {
	for i, p := range g.persons {
		m := Member{PersonID: p.ID, Name: p.Name(), Email: mailbox(p.GivenName + "." + p.FamilyName), Consent: i != NoConsent}
		g.res.Members = append(g.res.Members, m)
		if g.opt.Invitations == nil {
			continue
		}
		c := &invitation.Consent{PersonID: p.ID, Email: m.Email, Push: i%3 == 0, Digest: i%4 == 1}
		if m.Consent {
			c.Electronic, c.GivenOn, c.How = true, "2024-07-01", "schriftlich, Formular zur konstituierenden Sitzung"
		}
		if err := g.opt.Invitations.SetConsent(g.ctx, c, "Demo"); err != nil {
			return fmt.Errorf("demo consent: %w", err)
		}
	}
	return nil
}

// mailbox returns name, transliterated to ASCII and lower case, at
// lindenau.example.
func mailbox(name string) string {
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue", "ı", "i", " ", "-")
	var b strings.Builder
	for _, c := range strings.ToLower(r.Replace(name)) {
		if c < 0x80 {
			b.WriteRune(c)
		}
	}
	return b.String() + "@lindenau.example"
}

// password returns a readable random password of four German-ish
// syllable groups.
func password() string {
	const letters = "abcdefghkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	rand.Read(b)
	out := make([]byte, 0, 19)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, letters[int(c)%len(letters)])
	}
	return string(out)
}

func genitive(name string) string {
	switch name {
	case "Gemeinderat":
		return "Gemeinderats"
	case "Ortschaftsrat Durlach":
		return "Ortschaftsrats Durlach"
	case "Hauptausschuss", "Bauausschuss", "Planungsausschuss":
		return name + "es"
	}
	return name
}

func location(org string) string {
	if org == "Ortschaftsrat Durlach" {
		return "Rathaus Durlach, Bürgersaal, Pfinztalstraße 33"
	}
	return "Rathaus Lindenau, Großer Sitzungssaal, Marktplatz 1"
}

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()
