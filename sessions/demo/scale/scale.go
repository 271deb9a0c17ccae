// Package scale fills a meetings database with the business of a large
// city — N years of it, about 40 councils and committees, 3,000 meetings,
// 20,000 papers and 60,000 document versions a year — fast enough for
// benchmarks at ten times that: by batched multi-row INSERTs in large
// transactions, not through the store's one-object-at-a-time methods.
//
// It writes the same columns the stores write and keeps what their
// readers rely on: ids past every existing row (consultations past the
// tombstones too; PostgreSQL's identities advanced afterwards, so rows
// the stores create later do not collide), agenda numbers "Ö n"/"N n"
// with gapless positions, one active version per document with its
// pages, and — because every reader of the public view trusts it — the
// publication ledger: each object's public transitions, decided with
// package access's rule functions over the generated facts at every
// instant they change (a publication, a withdrawal, minutes approved),
// as the store would have recorded them had the city worked through it.
// Version content is shared: every version of n pages names one real
// n-page PDF (Blobs), whose text is not the version's pages text.
//
// The same Options (Seed, Years, Now) give the same rows.
package scale

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Per year of business.
const (
	MeetingsPerYear = 3000
	// About 20,000 papers and 60,000 versions a year follow from the
	// agenda sizes and version counts below.
)

// Options say what to generate.
type Options struct {
	Years int    // N: years of business, ending about four weeks after Now
	Seed  uint64 // the same seed gives the same city
	Now   time.Time
	// BodyID is the body the city's organizations belong to; 0 creates
	// one ("Landeshauptstadt Isarstadt").
	BodyID int64
	// Members are existing persons (of demo accounts) who get seats in
	// the council and the first two committees, so that a signed-in
	// member sees non-public items of generated meetings.
	Members []int64
	// Blobs, if set, receives the shared PDFs (Blobs()) before any
	// version names them.
	Blobs documents.BlobStore
	// Progress is called after each transaction with the meetings
	// written so far and their total.
	Progress func(done, total int)
	// MeetingsPerYear overrides the 3,000 meetings of a year (tests
	// make a small city); 0 means MeetingsPerYear.
	MeetingsPerYear int
	// Batch is how many meetings (with everything of theirs) one
	// transaction writes; 0 means 200.
	Batch int
}

// Result counts what was written.
type Result struct {
	BodyID        int64         `json:"body_id"`
	Organizations int           `json:"organizations"`
	Persons       int           `json:"persons"`
	Memberships   int           `json:"memberships"`
	Meetings      int           `json:"meetings"`
	AgendaItems   int           `json:"agenda_items"`
	Papers        int           `json:"papers"`
	Consultations int           `json:"consultations"`
	Exclusion     int           `json:"exclusions"`
	Documents     int           `json:"documents"`
	Versions      int           `json:"versions"`
	Pages         int           `json:"pages"`
	Minutes       int           `json:"minutes"`
	Attachments   int           `json:"attachments"`
	LedgerRows    int           `json:"ledger_rows"`
	Elapsed       time.Duration `json:"elapsed_ns"`
}

const uploader = "ratsbuero"

// Blob is one shared PDF.
type Blob struct {
	Key   string
	Data  []byte
	Pages int
}

var blobs []Blob

// Blobs returns the shared PDFs: one of 1, 2, 3 and 4 pages.
func Blobs() []Blob {
	if blobs != nil {
		return blobs
	}
	for n := 1; n <= 4; n++ {
		var blocks []string
		for p := 1; p <= n; p++ {
			if p > 1 {
				blocks = append(blocks, "\f")
			}
			blocks = append(blocks, fmt.Sprintf("# Generiertes Dokument, Seite %d von %d", p, n),
				"Dieses Dokument gehört zu den generierten Testdaten einer Großstadt. Der Text der Seite steht in der Datenbank.")
		}
		var buf bytes.Buffer
		if _, err := textpdf.Write(&buf, textpdf.Doc{Title: "Generiertes Dokument", Author: "Ratsmappe", Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Blocks: blocks}); err != nil {
			panic(err) // fixed input
		}
		sum := sha256.Sum256(buf.Bytes())
		blobs = append(blobs, Blob{Key: hex.EncodeToString(sum[:]), Data: buf.Bytes(), Pages: n})
	}
	return blobs
}

// The plan: the whole city in memory, without texts (those are made
// while writing), so that every object's ledger rows can be decided from
// all of its facts — a paper's later consultation included — when it is
// written.

type org struct {
	id                   int64
	name, short, class   string
	members              []*person
	location             string
	meetings, itemsShare int
}

type person struct {
	id             int64
	given, family  string
	existing       bool
	faction        *org
	title, address string
}

type membership struct {
	id     int64
	person *person
	org    *org
	role   string
	voting bool
}

type meeting struct {
	id        int64
	org       *org
	n         int // number within the org's year
	start     time.Time
	published time.Time // zero: a draft
	state     string
	items     []*item
	docs      []*doc // invitation
	minutes   *minutes
}

type item struct {
	id         int64
	m          *meeting
	number     string
	position   int
	public     bool
	title      string
	pubTitle   string
	withdrawn  time.Time
	cons       *consultation
	excluded   []*person
	resolution string
}

type paper struct {
	id         int64
	ref, name  string
	kind, orig string
	date       time.Time
	published  time.Time // explicit publication; zero if none
	cons       []*consultation
	docs       []*doc
	written    bool
	toCouncil  bool // recommended to the council by its committee
}

type consultation struct {
	id    int64
	p     *paper
	it    *item
	role  string
	auth  bool
	added time.Time
}

type doc struct {
	id       int64
	attID    int64
	title    string
	kind     string
	role     string
	public   bool
	versions int
	pages    int
	created  time.Time
	position int
}

type minutes struct {
	id      int64
	d       *doc
	state   string // draft, approved, published
	changed time.Time
}

type plan struct {
	r        *rand.Rand
	now      time.Time
	orgs     []*org
	persons  []*person
	members  []*membership
	meetings []*meeting
	papers   int
}

// makePlan lays out the city.
func makePlan(opt Options) *plan {
	p := &plan{r: rand.New(rand.NewPCG(opt.Seed, uint64(opt.Years))), now: opt.Now.UTC()}
	r := p.r
	council := &org{name: "Stadtrat", short: "SR", class: "council", location: "Rathaus, Großer Sitzungssaal"}
	p.orgs = append(p.orgs, council)
	for _, c := range committees {
		p.orgs = append(p.orgs, &org{name: c, short: abbreviate(c), class: "committee", location: "Rathaus, Kleiner Sitzungssaal"})
	}
	for i, d := range districts {
		p.orgs = append(p.orgs, &org{name: fmt.Sprintf("Bezirksausschuss %d %s", i+1, d), short: fmt.Sprintf("BA %d", i+1), class: "district_council",
			location: "Bürgerzentrum " + d})
	}
	var fs []*org
	for _, f := range factions {
		o := &org{name: "Stadtratsfraktion " + f, short: f, class: "faction"}
		p.orgs = append(p.orgs, o)
		fs = append(fs, o)
	}
	newPerson := func() *person {
		pe := &person{given: pick(r, givenNames), family: pick(r, familyNames)}
		if r.IntN(5) == 0 {
			pe.title = "Dr."
		}
		p.persons = append(p.persons, pe)
		return pe
	}
	seat := func(pe *person, o *org, role string) {
		p.members = append(p.members, &membership{person: pe, org: o, role: role, voting: true})
		o.members = append(o.members, pe)
	}
	for i := 0; i < 80; i++ {
		pe := newPerson()
		pe.faction = fs[min(i*len(fs)/80, len(fs)-1)]
		role := "Mitglied"
		if i == 0 {
			role = "Oberbürgermeisterin"
		}
		seat(pe, council, role)
		seat(pe, pe.faction, "Mitglied")
	}
	for i, o := range p.orgs[1 : 1+len(committees)] {
		for j := 0; j < 15; j++ {
			seat(council.members[(i*11+j*5)%80], o, "Mitglied")
		}
	}
	for _, o := range p.orgs[1+len(committees) : 1+len(committees)+len(districts)] {
		for j := 0; j < 20; j++ {
			seat(newPerson(), o, "Mitglied")
		}
	}
	for _, id := range opt.Members {
		pe := &person{id: id, existing: true}
		for _, o := range p.orgs[:3] {
			seat(pe, o, "Mitglied")
		}
	}
	// Meetings: evenly over the span, the council 20 a year, each
	// committee about 40, the districts the rest.
	perYear := cmp.Or(opt.MeetingsPerYear, MeetingsPerYear)
	total := perYear * opt.Years
	end := p.now.AddDate(0, 0, 28)
	begin := end.AddDate(-opt.Years, 0, 0)
	step := end.Sub(begin) / time.Duration(total)
	counts := map[*org]int{}
	for i := 0; i < total; i++ {
		var o *org
		switch x := r.IntN(3000); {
		case x < 20:
			o = council
		case x < 20+40*len(committees):
			o = p.orgs[1+r.IntN(len(committees))]
		default:
			o = p.orgs[1+len(committees)+r.IntN(len(districts))]
		}
		day := begin.Add(time.Duration(i) * step)
		start := time.Date(day.Year(), day.Month(), day.Day(), 9+r.IntN(10), []int{0, 30}[r.IntN(2)], 0, 0, time.UTC)
		counts[o]++
		m := &meeting{org: o, n: counts[o], start: start, state: "held"}
		switch {
		case start.After(p.now) && r.IntN(2) == 0 && start.Sub(p.now) > 10*24*time.Hour:
			m.state = "planned" // draft
		case start.After(p.now):
			m.state, m.published = "invited", start.AddDate(0, 0, -10) // maybe an embargo still
		case r.IntN(100) == 0:
			m.state = "cancelled" // never published
		default:
			m.published = start.AddDate(0, 0, -10).Add(time.Duration(r.IntN(8)) * time.Hour)
		}
		p.meetings = append(p.meetings, m)
	}
	// Agendas; council items take up the committees' papers where
	// they were recommended.
	var forCouncil []*paper
	for _, m := range p.meetings {
		pos := 0
		add := func(public bool, title string) *item {
			pos++
			it := &item{m: m, position: pos, public: public, title: title}
			m.items = append(m.items, it)
			return it
		}
		add(true, "Eröffnung der Sitzung und Feststellung der Beschlussfähigkeit")
		add(true, "Genehmigung der Niederschrift der letzten Sitzung")
		nPublic, nClosed := 3+r.IntN(6), r.IntN(3)
		if m.org == council {
			nPublic = 20 + r.IntN(20) // a plenary agenda
		}
		for i := 0; i < nPublic+nClosed; i++ {
			public := i < nPublic
			var pa *paper
			// Recommendations older than a quarter were dealt with
			// otherwise (the committee decided after all).
			for len(forCouncil) > 0 && m.start.Sub(forCouncil[0].cons[0].it.m.start) > 90*24*time.Hour {
				forCouncil = forCouncil[1:]
			}
			second := m.org == council && len(forCouncil) > 0 && r.IntN(4) > 0
			if second {
				pa, forCouncil = forCouncil[0], forCouncil[1:]
			} else {
				pa = p.newPaper(m)
				if m.org.class == "committee" && r.IntN(3) == 0 {
					pa.toCouncil = true
					forCouncil = append(forCouncil, pa)
				}
			}
			title := pa.name
			it := add(public, title)
			if !public {
				it.pubTitle = pick(r, nonPublicTitles)
				if r.IntN(10) == 0 && len(m.org.members) > 0 {
					it.excluded = []*person{pick(r, m.org.members)}
				}
			}
			if !m.published.IsZero() && m.published.Before(p.now) && r.IntN(100) == 0 {
				if w := m.published.Add(48 * time.Hour); w.Before(p.now) && w.Before(m.start) {
					it.withdrawn = w // abgesetzt after publication
				}
			}
			if m.state == "held" {
				it.resolution = pick(r, []string{"Einstimmig beschlossen.", "Mehrheitlich beschlossen.", "Vertagt.", "Zur Kenntnis genommen."})
			}
			c := &consultation{p: pa, it: it, role: "Vorberatung", added: m.start.AddDate(0, 0, -12)}
			if second || !pa.toCouncil {
				c.role, c.auth = "Entscheidung", true
			}
			if c.added.After(p.now) {
				c.added = p.now
			}
			it.cons = c
			pa.cons = append(pa.cons, c)
		}
		add(true, "Bekanntgaben und Verschiedenes")
		var pub, closed int
		for _, it := range m.items {
			if it.public {
				pub++
				it.number = fmt.Sprintf("Ö %d", pub)
			} else {
				closed++
				it.number = fmt.Sprintf("N %d", closed)
			}
		}
		created := m.start.AddDate(0, 0, -30)
		m.docs = append(m.docs, p.newDoc(fmt.Sprintf("Einladung %s", meetingName(m)), documents.KindAgenda, "invitation", true, created))
		if m.state == "held" {
			d := p.newDoc(fmt.Sprintf("Niederschrift %s", meetingName(m)), documents.KindMinutes, "", true, m.start.AddDate(0, 0, 7))
			mi := &minutes{d: d, state: "draft", changed: d.created}
			if age := p.now.Sub(m.start); age > 60*24*time.Hour {
				mi.state, mi.changed = "published", m.start.AddDate(0, 0, 45)
			} else if age > 30*24*time.Hour {
				mi.state, mi.changed = "approved", m.start.AddDate(0, 0, 30)
			}
			if d.created.After(p.now) {
				d.created = p.now
			}
			m.minutes = mi
		}
	}
	return p
}

func (p *plan) newPaper(m *meeting) *paper {
	r := p.r
	k := pick(r, paperKinds)
	date := m.start.AddDate(0, 0, -21)
	pa := &paper{kind: k.kind, orig: k.originator, date: date,
		name: fmt.Sprintf("%s: %s %s", k.prefix, pick(r, projects), pick(r, []string{"an der " + pick(r, streets), "im Stadtbezirk " + pick(r, districts), "am " + pick(r, streets)}))}
	if k.kind == "Antrag" || k.kind == "Anfrage" {
		pa.orig = "Stadtratsfraktion " + pick(r, factions)
	}
	if r.IntN(5) == 0 && date.Before(p.now) {
		pa.published = date.Add(10 * time.Hour) // published on its own, before any agenda
	}
	kind := documents.KindDraft
	if k.kind == "Antrag" {
		kind = documents.KindMotion
	}
	created := date
	if created.After(p.now) {
		created = p.now
	}
	pa.docs = append(pa.docs, p.newDoc(pa.name, kind, "main", r.IntN(10) > 0, created))
	for i := r.IntN(3); i > 1; i-- {
		pa.docs = append(pa.docs, p.newDoc(fmt.Sprintf("Anlage %d zu %s", len(pa.docs), k.prefix), documents.KindAttachment, "attachment", r.IntN(4) > 0, created))
	}
	p.papers++
	return pa
}

func (p *plan) newDoc(title, kind, role string, public bool, created time.Time) *doc {
	r := p.r
	v := 1
	switch x := r.IntN(20); {
	case x >= 13:
		v = 3
	case x >= 5:
		v = 2
	}
	if created.After(p.now) {
		created = p.now
	}
	return &doc{title: title, kind: kind, role: role, public: public, versions: v, pages: 1 + r.IntN(4), created: created}
}

func meetingName(m *meeting) string {
	return fmt.Sprintf("%d. Sitzung %s %d", m.n, genitive(m.org), m.start.Year())
}

func genitive(o *org) string {
	switch {
	case o.class == "council":
		return "des Stadtrats"
	case strings.HasPrefix(o.name, "Bezirksausschuss"):
		return "des " + strings.Replace(o.name, "Bezirksausschuss", "Bezirksausschusses", 1)
	}
	return "des " + o.name + "es"
}

func abbreviate(s string) string {
	var b strings.Builder
	for i, c := range []rune(s) {
		if i == 0 || c >= 'A' && c <= 'Z' {
			b.WriteRune(c)
		}
	}
	return b.String() + "A"
}

// Facts over time, for the anonymous viewer's rule. What changes in the
// generated history is the meeting's publication (its time may be still
// to come), an item's withdrawal, a paper's explicit publication and the
// minutes' approval and publication.

func (m *meeting) facts() access.MeetingFacts {
	return access.MeetingFacts{OrganizationID: m.org.id, Start: m.start, PublishedAt: m.published}
}

func (it *item) facts(t time.Time) access.ItemFacts {
	return access.ItemFacts{Meeting: it.m.facts(), Public: it.public, Withdrawn: !it.withdrawn.IsZero() && !t.Before(it.withdrawn)}
}

func (pa *paper) facts(t time.Time) access.PaperFacts {
	f := access.PaperFacts{PublishedAt: pa.published}
	for _, c := range pa.cons {
		f.Items = append(f.Items, c.it.facts(t))
	}
	return f
}

func (m *meeting) instants() []time.Time { return []time.Time{m.published} }

func (it *item) instants() []time.Time { return []time.Time{it.m.published, it.withdrawn} }

func (pa *paper) instants() []time.Time {
	ts := []time.Time{pa.published}
	for _, c := range pa.cons {
		ts = append(ts, c.it.instants()...)
	}
	return ts
}

var anon access.Viewer

// transitions are an object's public states from never public on:
// public evaluated at each of the instants (zero ones ignored), a row
// where it differs from the state before.
func transitions(instants []time.Time, public func(t time.Time) bool) []access.StateAt {
	ts := slices.DeleteFunc(slices.Clone(instants), time.Time.IsZero)
	slices.SortFunc(ts, time.Time.Compare)
	ts = slices.Compact(ts)
	var out []access.StateAt
	last := false
	for _, t := range ts {
		if pub := public(t); pub != last {
			out = append(out, access.StateAt{At: t, Public: pub})
			last = pub
		}
	}
	return out
}

// Generate writes the city into db, whose documents, sessions and
// changes scopes are migrated. It commits one transaction per Batch
// meetings; if it fails, what was committed stays (a consistent, smaller
// city).
func Generate(ctx context.Context, db *sql.DB, opt Options) (*Result, error) {
	started := time.Now()
	if opt.Years < 1 {
		return nil, fmt.Errorf("scale: years must be at least 1")
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Batch <= 0 {
		opt.Batch = 200
	}
	if opt.Blobs != nil {
		for _, b := range Blobs() {
			if err := opt.Blobs.Put(ctx, b.Key, bytes.NewReader(b.Data), int64(len(b.Data))); err != nil {
				return nil, fmt.Errorf("scale: store shared PDF: %w", err)
			}
		}
	}
	p := makePlan(opt)
	w := &writer{db: db, dialect: sqldb.DialectOf(db), p: p, opt: opt, res: &Result{BodyID: opt.BodyID}}
	if err := w.tx(ctx, w.people); err != nil {
		return nil, fmt.Errorf("scale: people: %w", err)
	}
	for i := 0; i < len(p.meetings); i += opt.Batch {
		ms := p.meetings[i:min(i+opt.Batch, len(p.meetings))]
		if err := w.tx(ctx, func(ctx context.Context) error { return w.meetings(ctx, ms) }); err != nil {
			return nil, fmt.Errorf("scale: meetings: %w", err)
		}
		if opt.Progress != nil {
			opt.Progress(i+len(ms), len(p.meetings))
		}
	}
	// PostgreSQL plans with the statistics of the tables' last ANALYZE;
	// after a bulk load they describe the empty demo until autovacuum
	// gets to them, and the first pages served meanwhile are planned for
	// a few rows. SQLite keeps no statistics unless asked, and its plans
	// are made without them: nothing to refresh there.
	if w.dialect == sqldb.Postgres {
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			return nil, fmt.Errorf("scale: analyze: %w", err)
		}
	}
	w.res.Elapsed = time.Since(started)
	return w.res, nil
}
