// Package invitation issues the invitation to a council meeting (Ladung)
// and proves its delivery: the consent register (who agreed to electronic
// delivery, at which address), each organization's deadline rule (a
// preset of sessions/ladung), the invitation letter as a versioned PDF of
// the meeting, one e-mail per member with consent — written to notify's
// outbox in the same transaction as the invitation — the postal list of
// everyone else, and the delivery table (sent, accepted, opened, paper).
//
// Each member's invitation is built from what the visibility rule lets
// that member see (sessions.Store.FindAgenda with the member's Viewer):
// items the member may not see in full, and items they are excluded from
// (Befangenheit), are left out of their e-mail and their letter. The
// invitation letter of the meeting itself shows the agenda as the public
// sees it, so that it can be published with the meeting.
//
// Nachträge (late items) are invitations with a higher number over the
// items not invited to before; the letter document gets a new version
// showing the whole agenda, each member's message lists the new items.
package invitation

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/ladung"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's forward-only schema migrations, applied
// with scope "invitation" after those of sessions (persons, meetings).
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same migrations for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

// Config is what a Service works with.
type Config struct {
	DB        *sql.DB
	Sessions  *sessions.Store
	Documents *documents.Service
	// Outbox receives the e-mails; nil means no mail server is
	// configured: invitations still make their letter and postal list,
	// and the e-mail recipients are recorded as not sent.
	Outbox *notify.Outbox
	// From is the sender of the e-mails (RATSMAPPE_MAIL_FROM).
	From string
	// BaseURL is where members reach the reader, e.g.
	// "https://rat.lindenau.example"; the personal links start with it.
	BaseURL string
	// TempDir receives the letters before they are stored.
	TempDir string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service issues invitations and keeps the consent register.
type Service struct {
	cfg            Config
	opened         openings // documents opened since the last invitation
	openedMeetings openings // meetings opened since the last invitation
}

// New returns a Service over cfg.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Service{cfg: cfg}
	shared := cfg.DB != nil && sqldb.DialectOf(cfg.DB) != sqldb.SQLite
	s.opened.off, s.openedMeetings.off = shared, shared
	return s
}

// Mailer reports whether a mail server is configured.
func (s *Service) Mailer() bool { return s.cfg.Outbox != nil }

func invalid(reason, de, en string) error {
	return &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: reason, Message: de, MessageEN: en}
}

func conflict(reason, de, en string) error {
	return &ratsmappe.Error{Code: ratsmappe.ECONFLICT, Reason: reason, Message: de, MessageEN: en}
}

// Consent is a member's consent to electronic delivery and their channels.
type Consent struct {
	PersonID int64 `json:"person_id"`
	// Electronic is the consent to receive invitations electronically
	// instead of on paper; GivenOn (YYYY-MM-DD) and How record when and
	// how it was given (e.g. "schriftlich, Formular vom 1. Juli 2024").
	Electronic bool   `json:"electronic"`
	GivenOn    string `json:"given_on"`
	How        string `json:"how"`
	Email      string `json:"email"`
	// Push asks for notifications on the tablet as well; Digest for one
	// daily summary of changes instead of one message each.
	Push       bool      `json:"push"`
	Digest     bool      `json:"digest"`
	Modified   time.Time `json:"modified,omitzero"`
	ModifiedBy string    `json:"modified_by,omitempty"`
}

// Limits on what the consent register accepts.
const (
	MaxHow   = 500
	MaxEmail = 254 // RFC 5321's limit on a path
)

// Validate returns an EINVALID error if c cannot be recorded: electronic
// delivery needs an address, the date and how consent was given.
func (c *Consent) Validate() error {
	c.Email, c.How, c.GivenOn = strings.TrimSpace(c.Email), strings.TrimSpace(c.How), strings.TrimSpace(c.GivenOn)
	if c.Email != "" {
		a, err := mail.ParseAddress(c.Email)
		if err != nil || a.Address != c.Email || len(c.Email) > MaxEmail {
			return invalid("bad_email", fmt.Sprintf("Ungültige E-Mail-Adresse %q.", c.Email), fmt.Sprintf("Invalid e-mail address %q.", c.Email))
		}
	}
	if len(c.How) > MaxHow || strings.ContainsAny(c.How, "\r\n") {
		return invalid("bad_consent", fmt.Sprintf("Die Angabe, wie die Einwilligung erteilt wurde, ist zu lang (höchstens %d Zeichen, eine Zeile).", MaxHow),
			fmt.Sprintf("How consent was given is too long (at most %d bytes, one line).", MaxHow))
	}
	if c.GivenOn != "" {
		if _, err := time.Parse("2006-01-02", c.GivenOn); err != nil {
			return invalid("bad_consent", "Das Datum der Einwilligung muss die Form JJJJ-MM-TT haben.", "The date of consent must be of the form YYYY-MM-DD.")
		}
	}
	if c.Electronic && (c.Email == "" || c.GivenOn == "" || c.How == "") {
		return invalid("consent_incomplete", "Für die elektronische Ladung braucht es die E-Mail-Adresse, das Datum und die Art der Einwilligung.",
			"Electronic delivery needs the e-mail address, the date and how consent was given.")
	}
	return nil
}

// FindConsent returns the consent of person id; a person without a record
// has not consented (Electronic false). ENOTFOUND if there is no such
// person.
func (s *Service) FindConsent(ctx context.Context, personID int64) (*Consent, error) {
	if _, err := s.cfg.Sessions.FindPersonByID(ctx, personID); err != nil {
		return nil, err
	}
	cs, err := s.consents(ctx, []int64{personID})
	if err != nil {
		return nil, err
	}
	if c, ok := cs[personID]; ok {
		return c, nil
	}
	return &Consent{PersonID: personID}, nil
}

// SetConsent records c (replacing the previous record) with the office
// account that recorded it; EINVALID as Validate, ENOTFOUND for a missing
// person.
func (s *Service) SetConsent(ctx context.Context, c *Consent, by string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if _, err := s.cfg.Sessions.FindPersonByID(ctx, c.PersonID); err != nil {
		return err
	}
	now := s.cfg.Now()
	_, err := s.cfg.DB.ExecContext(ctx, `INSERT INTO invitation_consents
		(person_id, electronic, given_on, given_how, email, push, digest, modified_at, modified_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (person_id) DO UPDATE SET electronic = excluded.electronic, given_on = excluded.given_on,
			given_how = excluded.given_how, email = excluded.email, push = excluded.push, digest = excluded.digest,
			modified_at = excluded.modified_at, modified_by = excluded.modified_by`,
		c.PersonID, b2i(c.Electronic), c.GivenOn, c.How, c.Email, b2i(c.Push), b2i(c.Digest), now.UnixMilli(), by)
	if err != nil {
		return fmt.Errorf("set consent: %w", err)
	}
	c.Modified, c.ModifiedBy = time.UnixMilli(now.UnixMilli()).UTC(), by
	return nil
}

// Querier is a database or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ConsentOfAccount returns the consent of the person account is linked
// to, read with q (the caller's transaction, as the change notifications
// read their recipients' choices); an account without a person, or a
// person without a record, has not consented. The channels of change
// notifications (address, push, digest) are the consent register's.
func ConsentOfAccount(ctx context.Context, q Querier, account int64) (*Consent, error) {
	cs, err := readConsents(ctx, q, `person_id = (SELECT person_id FROM accounts WHERE id = ?)`, []any{account})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		return c, nil
	}
	return &Consent{}, nil
}

// consents reads the consent records of the given persons.
func (s *Service) consents(ctx context.Context, ids []int64) (map[int64]*Consent, error) {
	if len(ids) == 0 {
		return map[int64]*Consent{}, nil
	}
	return readConsents(ctx, s.cfg.DB, `person_id IN (`+placeholders(len(ids))+`)`, anys(ids))
}

func readConsents(ctx context.Context, q Querier, where string, args []any) (map[int64]*Consent, error) {
	out := map[int64]*Consent{}
	rows, err := q.QueryContext(ctx, `SELECT person_id, electronic, given_on, given_how, email, push, digest, modified_at, modified_by
		FROM invitation_consents WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("find consents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c             Consent
			el, push, dig int
			modified      int64
		)
		if err := rows.Scan(&c.PersonID, &el, &c.GivenOn, &c.How, &c.Email, &push, &dig, &modified, &c.ModifiedBy); err != nil {
			return nil, fmt.Errorf("find consents: %w", err)
		}
		c.Electronic, c.Push, c.Digest = el != 0, push != 0, dig != 0
		c.Modified = time.UnixMilli(modified).UTC()
		out[c.PersonID] = &c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find consents: %w", err)
	}
	return out, nil
}

// DefaultPreset is the deadline rule of an organization the office has not
// configured: seven full days, what most standing orders ask.
const DefaultPreset = "geschaeftsordnung-7"

// RuleSetting is an organization's deadline rule as the office sets it.
type RuleSetting struct {
	Preset string `json:"preset"`
	// Days overrides the preset's number of days; 0 keeps it.
	Days int `json:"days,omitempty"`
}

// Rule returns the deadline rule of organization orgID: its setting, or
// DefaultPreset.
func (s *Service) Rule(ctx context.Context, orgID int64) (ladung.Rule, RuleSetting, error) {
	set := RuleSetting{Preset: DefaultPreset}
	var days sql.NullInt64
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT preset, days FROM invitation_rules WHERE organization_id = ?`, orgID).Scan(&set.Preset, &days)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ladung.Rule{}, set, fmt.Errorf("find rule: %w", err)
	}
	set.Days = int(days.Int64)
	p, err := ladung.FindPreset(set.Preset)
	if err != nil {
		return ladung.Rule{}, set, err
	}
	r := p.Rule
	if set.Days > 0 {
		r.Days = set.Days
	}
	return r, set, nil
}

// SetRule sets the deadline rule of organization orgID; ENOTFOUND for an
// unknown preset or organization, EINVALID for days out of range.
func (s *Service) SetRule(ctx context.Context, orgID int64, set RuleSetting) error {
	p, err := ladung.FindPreset(set.Preset)
	if err != nil {
		return err
	}
	r := p.Rule
	if set.Days != 0 {
		r.Days = set.Days
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if _, err := s.cfg.Sessions.FindOrganizationByID(ctx, orgID); err != nil {
		return err
	}
	var days any
	if set.Days != 0 {
		days = set.Days
	}
	if _, err := s.cfg.DB.ExecContext(ctx, `INSERT INTO invitation_rules (organization_id, preset, days, modified_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (organization_id) DO UPDATE SET preset = excluded.preset,
		days = excluded.days, modified_at = excluded.modified_at`, orgID, set.Preset, days, s.cfg.Now().UnixMilli()); err != nil {
		return fmt.Errorf("set rule: %w", err)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
