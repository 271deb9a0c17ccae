package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Store keeps the council's data in SQL (SQLite or PostgreSQL); all SQL
// of this package is in its methods. Every Find… method for restricted objects — meetings,
// agenda items, papers, consultations, attachments, minutes — takes the
// Viewer it answers for and applies the visibility policy: an object the
// viewer may not see is reported exactly like a missing one (ENOTFOUND),
// and lists leave it out. Bodies, organizations, persons, memberships and
// legislative terms are public data. Write methods do not check roles;
// the web layer lets only staff call them.
type Store struct {
	db      *sql.DB
	dialect sqldb.Dialect
	now     func() time.Time

	audit auditWriter
}

// NewStore returns a Store on db (migrated with documents' and this
// package's Migrations). now is the clock, time.Now if nil; tests inject
// their own to check publication at a set time.
func NewStore(db *sql.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, dialect: sqldb.DialectOf(db), now: now}
}

// begin starts a write transaction that holds the database's write lock
// from its start to its end, as every SQLite transaction of this store
// does (documents/sqlite begins them IMMEDIATE): on PostgreSQL it takes
// the write lock of this package's migrations first, so that what the
// transaction reads before it writes is not changed by a concurrent
// writer meanwhile. Every write
// transaction of this package begins here.
func (s *Store) begin(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil || s.dialect != sqldb.Postgres {
		return tx, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT ratsmappe_lock_writers()`); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// BeginWrite is begin for the stores that keep their tables beside this
// one's and read the council's records through it (sessions/live,
// sessions/invitation): a write transaction that holds the database's
// write lock from its start, on PostgreSQL as on SQLite.
func (s *Store) BeginWrite(ctx context.Context) (*sql.Tx, error) { return s.begin(ctx) }

// Now returns the store's current time.
func (s *Store) Now() time.Time { return s.now() }

// timeLayout writes times in UTC with a fixed number of fraction digits,
// so that text order is time order and SQL can compare and sort them.
// (RFC3339Nano drops trailing zeros: "…:00.5Z" would sort before "…:00Z".)
// parseTS reads any RFC 3339 time.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTS stores a zero time as NULL.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func parseNull(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	return parseTS(s.String)
}

func notFound(what string) error {
	return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "%s nicht gefunden.", what)
}

// nullID stores a zero id as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// validDate checks an OParl date field: "" or YYYY-MM-DD.
func validDate(field, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "%s %q ist kein Datum der Form JJJJ-MM-TT.", field, v)
	}
	return nil
}

func validPeriod(start, end string) error {
	if err := validDate("Beginn", start); err != nil {
		return err
	}
	if err := validDate("Ende", end); err != nil {
		return err
	}
	if start != "" && end != "" && end < start {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Das Ende liegt vor dem Beginn.")
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- bodies, organizations, persons, memberships, terms ----

// CreateBody stores b and sets its ID; EINVALID without a name.
func (s *Store) CreateBody(ctx context.Context, b *Body) error {
	if strings.TrimSpace(b.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Körperschaft braucht einen Namen.")
	}
	now := s.now()
	err := s.db.QueryRowContext(ctx, `INSERT INTO bodies (name, short_name, website, created, modified) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		b.Name, b.ShortName, b.Website, ts(now), ts(now)).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("create body: %w", err)
	}
	b.Created, b.Modified = now, now
	return nil
}

// FindBodyByID returns body id (public data), or ENOTFOUND.
func (s *Store) FindBodyByID(ctx context.Context, id int64) (*Body, error) {
	var b Body
	var c, m string
	err := s.db.QueryRowContext(ctx, `SELECT id, name, short_name, website, created, modified FROM bodies WHERE id = ?`, id).
		Scan(&b.ID, &b.Name, &b.ShortName, &b.Website, &c, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Körperschaft")
	}
	if err != nil {
		return nil, fmt.Errorf("find body: %w", err)
	}
	b.Created, b.Modified = parseTS(c), parseTS(m)
	return &b, nil
}

// FindBodies returns all bodies (public data), oldest first.
func (s *Store) FindBodies(ctx context.Context) ([]*Body, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, short_name, website, created, modified FROM bodies ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("find bodies: %w", err)
	}
	defer rows.Close()
	var out []*Body
	for rows.Next() {
		var b Body
		var c, m string
		if err := rows.Scan(&b.ID, &b.Name, &b.ShortName, &b.Website, &c, &m); err != nil {
			return nil, err
		}
		b.Created, b.Modified = parseTS(c), parseTS(m)
		out = append(out, &b)
	}
	return out, rows.Err()
}

// CreateOrganization stores o and sets its ID. It returns EINVALID for an
// unknown classification, a missing name or bad dates, and ENOTFOUND for a
// missing body.
func (s *Store) CreateOrganization(ctx context.Context, o *Organization) error {
	switch o.Classification {
	case ClassCouncil, ClassCommittee, ClassDistrictCouncil, ClassFaction, ClassOther:
	default:
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Art von Gremium %q.", o.Classification)
	}
	if strings.TrimSpace(o.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Das Gremium braucht einen Namen.")
	}
	if err := validPeriod(o.StartDate, o.EndDate); err != nil {
		return err
	}
	now := s.now()
	err := s.db.QueryRowContext(ctx, `INSERT INTO organizations (body_id, name, short_name, classification, start_date, end_date, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, o.BodyID, o.Name, o.ShortName, o.Classification, o.StartDate, o.EndDate, ts(now), ts(now)).Scan(&o.ID)
	if sqldb.IsForeignKey(err) {
		return notFound("Körperschaft")
	}
	if err != nil {
		return fmt.Errorf("create organization: %w", err)
	}
	o.Created, o.Modified = now, now
	return nil
}

// OrganizationFilter selects organizations; zero fields do not filter.
type OrganizationFilter struct {
	BodyID         int64
	Classification string
	IDs            []int64 // nil: any; else only these (a page's meetings' organizations, in one query)
}

// FindOrganizations returns the organizations matching f in name order
// (public data).
func (s *Store) FindOrganizations(ctx context.Context, f OrganizationFilter) ([]*Organization, error) {
	q := `SELECT id, body_id, name, short_name, classification, start_date, end_date, created, modified FROM organizations WHERE 1=1`
	var args []any
	if f.BodyID != 0 {
		q += ` AND body_id = ?`
		args = append(args, f.BodyID)
	}
	if f.Classification != "" {
		q += ` AND classification = ?`
		args = append(args, f.Classification)
	}
	if f.IDs != nil {
		q += ` AND id` + inIDs
		args = append(args, idList(f.IDs))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find organizations: %w", err)
	}
	defer rows.Close()
	var out []*Organization
	for rows.Next() {
		var o Organization
		var c, m string
		if err := rows.Scan(&o.ID, &o.BodyID, &o.Name, &o.ShortName, &o.Classification, &o.StartDate, &o.EndDate, &c, &m); err != nil {
			return nil, err
		}
		o.Created, o.Modified = parseTS(c), parseTS(m)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// OrganizationNames returns the names of the organizations ids by id
// (public data); an id that names no organization is left out. A list of
// meetings names each meeting's committee with it: FindOrganizations
// would also sort the rows and parse their dates, a sixth of the
// citizen's /meetings.
func (s *Store) OrganizationNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM organizations WHERE id`+inIDs, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("organization names: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]string, len(ids))
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("organization names: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}

// FindOrganizationByID returns organization id (public data), or
// ENOTFOUND.
func (s *Store) FindOrganizationByID(ctx context.Context, id int64) (*Organization, error) {
	var o Organization
	var c, m string
	err := s.db.QueryRowContext(ctx, `SELECT id, body_id, name, short_name, classification, start_date, end_date, created, modified
		FROM organizations WHERE id = ?`, id).Scan(&o.ID, &o.BodyID, &o.Name, &o.ShortName, &o.Classification, &o.StartDate, &o.EndDate, &c, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Gremium")
	}
	if err != nil {
		return nil, fmt.Errorf("find organization: %w", err)
	}
	o.Created, o.Modified = parseTS(c), parseTS(m)
	return &o, nil
}

// CreatePerson stores p and sets its ID; EINVALID without a family name,
// ENOTFOUND for a missing body.
func (s *Store) CreatePerson(ctx context.Context, p *Person) error {
	if strings.TrimSpace(p.FamilyName) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Person braucht einen Nachnamen.")
	}
	now := s.now()
	err := s.db.QueryRowContext(ctx, `INSERT INTO persons (body_id, given_name, family_name, title, form_of_address, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.BodyID, p.GivenName, p.FamilyName, p.Title, p.FormOfAddress, ts(now), ts(now)).Scan(&p.ID)
	if sqldb.IsForeignKey(err) {
		return notFound("Körperschaft")
	}
	if err != nil {
		return fmt.Errorf("create person: %w", err)
	}
	p.Created, p.Modified = now, now
	return nil
}

// FindPersonByID returns person id (public data: council members are
// public persons), or ENOTFOUND.
func (s *Store) FindPersonByID(ctx context.Context, id int64) (*Person, error) {
	var p Person
	var c, m string
	err := s.db.QueryRowContext(ctx, `SELECT id, body_id, given_name, family_name, title, form_of_address, created, modified
		FROM persons WHERE id = ?`, id).Scan(&p.ID, &p.BodyID, &p.GivenName, &p.FamilyName, &p.Title, &p.FormOfAddress, &c, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Person")
	}
	if err != nil {
		return nil, fmt.Errorf("find person: %w", err)
	}
	p.Created, p.Modified = parseTS(c), parseTS(m)
	return &p, nil
}

// CreateMembership stores m and sets its ID. StartDate and EndDate are
// days (YYYY-MM-DD or "" for open); EndDate is the last day of the
// membership. It returns EINVALID for bad dates and ENOTFOUND for a
// missing person or organization.
func (s *Store) CreateMembership(ctx context.Context, m *Membership) error {
	if err := validPeriod(m.StartDate, m.EndDate); err != nil {
		return err
	}
	now := s.now()
	var onBehalf any
	if m.OnBehalfOf != 0 {
		onBehalf = m.OnBehalfOf
	}
	err := s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		err := tx.QueryRowContext(ctx, `INSERT INTO memberships (person_id, organization_id, role, voting_right, on_behalf_of, start_date, end_date, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, m.PersonID, m.OrganizationID, m.Role, b2i(m.VotingRight), onBehalf, m.StartDate, m.EndDate, ts(now), ts(now)).Scan(&m.ID)
		if err != nil {
			return ledgerScope{}, err
		}
		if err := touchMembershipOwners(ctx, tx, m.ID, now); err != nil {
			return ledgerScope{}, err
		}
		return membershipScope(m.ID, m), nil
	})
	if sqldb.IsForeignKey(err) {
		return notFound("Person oder Gremium")
	}
	if err != nil {
		return fmt.Errorf("create membership: %w", err)
	}
	m.Created, m.Modified = now, now
	return nil
}

// touchMembershipOwners marks the organization and the person of
// membership id as modified at now: both list their memberships (OParl
// Organization.membership, Person.membership), so a client that syncs
// with modified_since must fetch them again.
func touchMembershipOwners(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE organizations SET modified = ? WHERE id = (SELECT organization_id FROM memberships WHERE id = ?)`, ts(now), id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE persons SET modified = ? WHERE id = (SELECT person_id FROM memberships WHERE id = ?)`, ts(now), id)
	return err
}

// FindMemberships returns the memberships of a person (personID != 0),
// of an organization (orgID != 0) or both, oldest first (public data).
func (s *Store) FindMemberships(ctx context.Context, personID, orgID int64) ([]*Membership, error) {
	return s.memberships(ctx, `WHERE (?1 = 0 OR person_id = ?1) AND (?2 = 0 OR organization_id = ?2) ORDER BY id`, personID, orgID)
}

// memberships reads the memberships the SQL tail where (a WHERE clause
// and its order) selects.
func (s *Store) memberships(ctx context.Context, where string, args ...any) ([]*Membership, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, person_id, organization_id, role, voting_right, COALESCE(on_behalf_of, 0), start_date, end_date, created, modified
		FROM memberships `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("find memberships: %w", err)
	}
	defer rows.Close()
	var out []*Membership
	for rows.Next() {
		var m Membership
		var vr int
		var c, mod string
		if err := rows.Scan(&m.ID, &m.PersonID, &m.OrganizationID, &m.Role, &vr, &m.OnBehalfOf, &m.StartDate, &m.EndDate, &c, &mod); err != nil {
			return nil, err
		}
		m.VotingRight = vr != 0
		m.Created, m.Modified = parseTS(c), parseTS(mod)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// CreateLegislativeTerm stores t and sets its ID. It returns EINVALID for
// a missing name or bad dates and ENOTFOUND for a missing body.
func (s *Store) CreateLegislativeTerm(ctx context.Context, t *LegislativeTerm) error {
	if strings.TrimSpace(t.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Wahlperiode braucht einen Namen.")
	}
	if err := validPeriod(t.StartDate, t.EndDate); err != nil {
		return err
	}
	now := s.now()
	err := s.db.QueryRowContext(ctx, `INSERT INTO legislative_terms (body_id, name, start_date, end_date, created, modified) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		t.BodyID, t.Name, t.StartDate, t.EndDate, ts(now), ts(now)).Scan(&t.ID)
	if sqldb.IsForeignKey(err) {
		return notFound("Körperschaft")
	}
	if err != nil {
		return fmt.Errorf("create legislative term: %w", err)
	}
	t.Created, t.Modified = now, now
	return nil
}

// FindLegislativeTerms returns the legislative terms of body bodyID (all
// bodies if 0) by start date (public data).
func (s *Store) FindLegislativeTerms(ctx context.Context, bodyID int64) ([]*LegislativeTerm, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, body_id, name, start_date, end_date, created, modified
		FROM legislative_terms WHERE (? = 0 OR body_id = ?) ORDER BY start_date, id`, bodyID, bodyID)
	if err != nil {
		return nil, fmt.Errorf("find legislative terms: %w", err)
	}
	defer rows.Close()
	var out []*LegislativeTerm
	for rows.Next() {
		var t LegislativeTerm
		var c, m string
		if err := rows.Scan(&t.ID, &t.BodyID, &t.Name, &t.StartDate, &t.EndDate, &c, &m); err != nil {
			return nil, fmt.Errorf("find legislative terms: %w", err)
		}
		t.Created, t.Modified = parseTS(c), parseTS(m)
		out = append(out, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find legislative terms: %w", err)
	}
	return out, nil
}

// PersonFilter selects persons for FindPersons; zero fields do not filter.
type PersonFilter struct {
	BodyID         int64
	OrganizationID int64   // persons with any membership in it, past or present
	IDs            []int64 // these persons (nil: any)
}

// FindPersons returns the persons matching f by family and given name
// (public data).
func (s *Store) FindPersons(ctx context.Context, f PersonFilter) ([]*Person, error) {
	q := `SELECT id, body_id, given_name, family_name, title, form_of_address, created, modified FROM persons WHERE 1=1`
	var args []any
	if f.BodyID != 0 {
		q += ` AND body_id = ?`
		args = append(args, f.BodyID)
	}
	if f.OrganizationID != 0 {
		q += ` AND id IN (SELECT person_id FROM memberships WHERE organization_id = ?)`
		args = append(args, f.OrganizationID)
	}
	if f.IDs != nil {
		q += ` AND id` + inIDs
		args = append(args, idList(f.IDs))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY family_name, given_name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find persons: %w", err)
	}
	defer rows.Close()
	var out []*Person
	for rows.Next() {
		var p Person
		var c, m string
		if err := rows.Scan(&p.ID, &p.BodyID, &p.GivenName, &p.FamilyName, &p.Title, &p.FormOfAddress, &c, &m); err != nil {
			return nil, fmt.Errorf("find persons: %w", err)
		}
		p.Created, p.Modified = parseTS(c), parseTS(m)
		out = append(out, &p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find persons: %w", err)
	}
	return out, nil
}

// ViewerFor completes the Viewer of a signed-in account with what the
// council's records know: v carries the account (AccountID, Name, Role and
// PersonID, as accounts.Account.Viewer gives it); for an account linked to
// a person, ViewerFor adds the person's memberships as periods (the end
// date is the last day, so the period ends at the following midnight in
// Europe/Berlin). Callers build it anew for every request, so that a new
// membership or exclusion counts at once. A signed-in request's viewer
// comes from accounts.Store.ResolveSignIn or ResolveAPIToken instead,
// which read the same memberships with the credential in one statement:
// a change here must be made there too (accounts' test
// TestCredentialViewerAgreesWithViewerFor compares them).
func (s *Store) ViewerFor(ctx context.Context, v access.Viewer) (access.Viewer, error) {
	v.Memberships = nil
	if v.PersonID == 0 {
		return v, nil
	}
	ms, err := s.FindMemberships(ctx, v.PersonID, 0)
	if err != nil {
		return access.Viewer{}, err
	}
	for _, m := range ms {
		v.Memberships = append(v.Memberships, access.PeriodOf(m.OrganizationID, m.StartDate, m.EndDate))
	}
	return v, nil
}
