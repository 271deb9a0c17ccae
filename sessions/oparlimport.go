package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// What package sessions/oparlimport needs of the store: the map from
// OParl ids to local objects, the state of import runs, and replacing the
// fields of public master data (bodies, organizations, persons,
// memberships, legislative terms) when the source changes them.

// OParlObject records which local object an imported OParl object became.
type OParlObject struct {
	Kind       string // "organization", "meeting", "attachment", …
	ExternalID string // the OParl id; see migration 0003
	LocalID    int64
	Modified   string // the source's modified, as given
	Deleted    bool   // the source marked it deleted
}

// FindOParlObject returns the record of (kind, externalID), or ENOTFOUND.
func (s *Store) FindOParlObject(ctx context.Context, kind, externalID string) (*OParlObject, error) {
	o := OParlObject{Kind: kind, ExternalID: externalID}
	var del int
	err := s.db.QueryRowContext(ctx, `SELECT local_id, modified, deleted FROM oparl_objects WHERE kind = ? AND external_id = ?`,
		kind, externalID).Scan(&o.LocalID, &o.Modified, &del)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("OParl-Objekt")
	}
	if err != nil {
		return nil, fmt.Errorf("find oparl object: %w", err)
	}
	o.Deleted = del != 0
	return &o, nil
}

// SaveOParlObject creates or replaces the record of (o.Kind, o.ExternalID).
func (s *Store) SaveOParlObject(ctx context.Context, o *OParlObject) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO oparl_objects (kind, external_id, local_id, modified, deleted, imported) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, external_id) DO UPDATE SET local_id = excluded.local_id, modified = excluded.modified,
		deleted = excluded.deleted, imported = excluded.imported`, o.Kind, o.ExternalID, o.LocalID, o.Modified, b2i(o.Deleted), ts(s.now()))
	if err != nil {
		return fmt.Errorf("save oparl object: %w", err)
	}
	return nil
}

// OParlMapped reports whether local object localID of kind is recorded
// as imported.
func (s *Store) OParlMapped(ctx context.Context, kind string, localID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM oparl_objects WHERE kind = ? AND local_id = ?`, kind, localID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("oparl mapped: %w", err)
	}
	return n > 0, nil
}

// CountOParlObjects returns how many imported objects of each kind are
// recorded.
func (s *Store) CountOParlObjects(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, COUNT(*) FROM oparl_objects GROUP BY kind`)
	if err != nil {
		return nil, fmt.Errorf("count oparl objects: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// OParlImport is one run of the importer against one OParl system.
type OParlImport struct {
	ID       int64
	System   string
	Since    time.Time // modified_since asked for; zero for a full import
	Started  time.Time
	Finished time.Time // zero while running or broken off
}

func scanImport(sc interface{ Scan(...any) error }) (*OParlImport, error) {
	var im OParlImport
	var since, started string
	var fin sql.NullString
	if err := sc.Scan(&im.ID, &im.System, &since, &started, &fin); err != nil {
		return nil, err
	}
	if since != "" {
		im.Since = parseTS(since)
	}
	im.Started, im.Finished = parseTS(started), parseNull(fin)
	return &im, nil
}

// StartOParlImport records a new run against system.
func (s *Store) StartOParlImport(ctx context.Context, system string, since time.Time) (*OParlImport, error) {
	im := &OParlImport{System: system, Since: since, Started: s.now()}
	sinceText := ""
	if !since.IsZero() {
		sinceText = ts(since)
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO oparl_imports (system, since, started) VALUES (?, ?, ?) RETURNING id`, system, sinceText, ts(im.Started)).Scan(&im.ID)
	if err != nil {
		return nil, fmt.Errorf("start oparl import: %w", err)
	}
	return im, nil
}

// FindLastOParlImport returns the newest run against system: the newest
// finished one if finished is set, else the newest of all. ENOTFOUND if
// there is none.
func (s *Store) FindLastOParlImport(ctx context.Context, system string, finished bool) (*OParlImport, error) {
	q := `SELECT id, system, since, started, finished FROM oparl_imports WHERE system = ?`
	if finished {
		q += ` AND finished IS NOT NULL`
	}
	im, err := scanImport(s.db.QueryRowContext(ctx, q+` ORDER BY id DESC LIMIT 1`, system))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Import")
	}
	if err != nil {
		return nil, fmt.Errorf("find oparl import: %w", err)
	}
	return im, nil
}

// FinishOParlImport marks run id as completed successfully.
func (s *Store) FinishOParlImport(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE oparl_imports SET finished = ? WHERE id = ?`, ts(s.now()), id); err != nil {
		return fmt.Errorf("finish oparl import: %w", err)
	}
	return nil
}

// OParlListState is how far run importID got through one list: Next is
// the page still to fetch; Done once the list is through.
type OParlListState struct {
	Next string
	Done bool
}

// SetOParlList records the progress of list in run importID.
func (s *Store) SetOParlList(ctx context.Context, importID int64, list string, st OParlListState) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO oparl_import_lists (import_id, list, next, done) VALUES (?, ?, ?, ?)
		ON CONFLICT (import_id, list) DO UPDATE SET next = excluded.next, done = excluded.done`, importID, list, st.Next, b2i(st.Done))
	if err != nil {
		return fmt.Errorf("set oparl list: %w", err)
	}
	return nil
}

// FindOParlList returns the progress of list in run importID, or
// ENOTFOUND if the run has not begun it.
func (s *Store) FindOParlList(ctx context.Context, importID int64, list string) (*OParlListState, error) {
	var st OParlListState
	var done int
	err := s.db.QueryRowContext(ctx, `SELECT next, done FROM oparl_import_lists WHERE import_id = ? AND list = ?`, importID, list).Scan(&st.Next, &done)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Liste")
	}
	if err != nil {
		return nil, fmt.Errorf("find oparl list: %w", err)
	}
	st.Done = done != 0
	return &st, nil
}

// OParlRejection is a File the ingestion refused.
type OParlRejection struct {
	ExternalID string
	Modified   string
	Code       string // a documents.Reject… code
	Message    string
	ImportID   int64
	At         time.Time
}

// SaveOParlRejection records r, replacing an earlier one for the file.
func (s *Store) SaveOParlRejection(ctx context.Context, r *OParlRejection) error {
	r.At = s.now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO oparl_rejections (external_id, modified, code, message, import_id, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (external_id) DO UPDATE SET modified = excluded.modified, code = excluded.code, message = excluded.message,
		import_id = excluded.import_id, at = excluded.at`, r.ExternalID, r.Modified, r.Code, r.Message, r.ImportID, ts(r.At))
	if err != nil {
		return fmt.Errorf("save oparl rejection: %w", err)
	}
	return nil
}

// FindOParlRejection returns the rejection of file externalID, or
// ENOTFOUND.
func (s *Store) FindOParlRejection(ctx context.Context, externalID string) (*OParlRejection, error) {
	r := OParlRejection{ExternalID: externalID}
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT modified, code, message, import_id, at FROM oparl_rejections WHERE external_id = ?`, externalID).
		Scan(&r.Modified, &r.Code, &r.Message, &r.ImportID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Ablehnung")
	}
	if err != nil {
		return nil, fmt.Errorf("find oparl rejection: %w", err)
	}
	r.At = parseTS(at)
	return &r, nil
}

// ---- replacing public master data ----

// UpdateBody replaces name, short name and website of body b.ID.
func (s *Store) UpdateBody(ctx context.Context, b *Body) error {
	if strings.TrimSpace(b.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Körperschaft braucht einen Namen.")
	}
	b.Modified = s.now()
	return s.updateRow(ctx, "Körperschaft", `UPDATE bodies SET name = ?, short_name = ?, website = ?, modified = ? WHERE id = ?`,
		b.Name, b.ShortName, b.Website, ts(b.Modified), b.ID)
}

// UpdateOrganization replaces the fields of organization o.ID (not its
// body); EINVALID and ENOTFOUND as for CreateOrganization.
func (s *Store) UpdateOrganization(ctx context.Context, o *Organization) error {
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
	o.Modified = s.now()
	return s.updateRow(ctx, "Gremium", `UPDATE organizations SET name = ?, short_name = ?, classification = ?, start_date = ?, end_date = ?, modified = ? WHERE id = ?`,
		o.Name, o.ShortName, o.Classification, o.StartDate, o.EndDate, ts(o.Modified), o.ID)
}

// UpdatePerson replaces the fields of person p.ID (not its body).
func (s *Store) UpdatePerson(ctx context.Context, p *Person) error {
	if strings.TrimSpace(p.FamilyName) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Person braucht einen Nachnamen.")
	}
	p.Modified = s.now()
	return s.updateRow(ctx, "Person", `UPDATE persons SET given_name = ?, family_name = ?, title = ?, form_of_address = ?, modified = ? WHERE id = ?`,
		p.GivenName, p.FamilyName, p.Title, p.FormOfAddress, ts(p.Modified), p.ID)
}

// UpdateMembership replaces the fields of membership m.ID.
func (s *Store) UpdateMembership(ctx context.Context, m *Membership) error {
	if err := validPeriod(m.StartDate, m.EndDate); err != nil {
		return err
	}
	m.Modified = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) (ledgerScope, error) {
		// The organization and person it leaves, and (below) those it joins.
		if err := touchMembershipOwners(ctx, tx, m.ID, m.Modified); err != nil {
			return ledgerScope{}, err
		}
		res, err := tx.ExecContext(ctx, `UPDATE memberships SET person_id = ?, organization_id = ?, role = ?, voting_right = ?, on_behalf_of = ?,
		start_date = ?, end_date = ?, modified = ? WHERE id = ?`, m.PersonID, m.OrganizationID, m.Role, b2i(m.VotingRight), nullID(m.OnBehalfOf),
			m.StartDate, m.EndDate, ts(m.Modified), m.ID)
		if err != nil {
			return ledgerScope{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ledgerScope{}, notFound("Mitgliedschaft")
		}
		if err := touchMembershipOwners(ctx, tx, m.ID, m.Modified); err != nil {
			return ledgerScope{}, err
		}
		return membershipScope(m.ID, m), nil
	})
	if sqldb.IsForeignKey(err) {
		return notFound("Person oder Gremium")
	}
	return err
}

// UpdateLegislativeTerm replaces the fields of term t.ID.
func (s *Store) UpdateLegislativeTerm(ctx context.Context, t *LegislativeTerm) error {
	if strings.TrimSpace(t.Name) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Die Wahlperiode braucht einen Namen.")
	}
	if err := validPeriod(t.StartDate, t.EndDate); err != nil {
		return err
	}
	t.Modified = s.now()
	return s.updateRow(ctx, "Wahlperiode", `UPDATE legislative_terms SET name = ?, start_date = ?, end_date = ?, modified = ? WHERE id = ?`,
		t.Name, t.StartDate, t.EndDate, ts(t.Modified), t.ID)
}

func (s *Store) updateRow(ctx context.Context, what, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		if sqldb.IsForeignKey(err) {
			return err
		}
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(what)
	}
	return nil
}

// FindUnlinkedDocument returns the document whose first version was
// uploaded by uploader as a file with SHA-256 originalSHA256 and that
// nothing links to (no attachment, no minutes, no OParl record): what an
// import leaves when it stops between ingesting a file and linking it.
// ENOTFOUND if there is none.
func (s *Store) FindUnlinkedDocument(ctx context.Context, uploader, originalSHA256 string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT v.document_id FROM versions v WHERE v.number = 1 AND v.original_sha256 = ? AND v.uploader = ?
		AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.document_id = v.document_id)
		AND NOT EXISTS (SELECT 1 FROM minutes m WHERE m.document_id = v.document_id)
		AND NOT EXISTS (SELECT 1 FROM oparl_objects o WHERE o.kind = 'document' AND o.local_id = v.document_id)
		ORDER BY v.document_id LIMIT 1`, originalSHA256, uploader).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("Dokument")
	}
	if err != nil {
		return 0, fmt.Errorf("find unlinked document: %w", err)
	}
	return id, nil
}
