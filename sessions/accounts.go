package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/ratsmappe/ratsmappe"
)

// Account is a way to sign in: a person of the council office, a council
// member, or an administrator.
type Account struct {
	ID          int64
	Name        string // sign-in name, unique regardless of case
	DisplayName string
	Role        Role
	PersonID    int64 // the council member's Person, 0 if none
	Disabled    bool
	Created     time.Time
}

// Argon2id parameters (OWASP's recommendation for argon2id: 19 MiB, 2
// iterations, 1 lane), written into each hash so they can be raised later
// without invalidating old hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the PHC-style argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash, in constant time.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || m > 1<<20 || t > 100 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when an account does not exist, so that the
// answer takes as long as for a wrong password.
var dummyHash, _ = HashPassword("ratsmappe-dummy-password")

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// CreateAccount stores a (sets its ID) with password (empty: sign-in only
// through OpenID Connect).
func (s *Store) CreateAccount(ctx context.Context, a *Account, password string) error {
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" || strings.ContainsAny(a.Name, " \t\n/") {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Der Benutzername darf nicht leer sein und keine Leer- oder Schrägstriche enthalten.")
	}
	if !ValidRole(a.Role) {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Rolle %q: admin, clerk oder member.", a.Role)
	}
	if a.DisplayName == "" {
		a.DisplayName = a.Name
	}
	hash := ""
	if password != "" {
		if len([]rune(password)) < MinPasswordLength {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "Das Passwort muss mindestens %d Zeichen lang sein.", MinPasswordLength)
		}
		var err error
		if hash, err = HashPassword(password); err != nil {
			return err
		}
	}
	var person any
	if a.PersonID != 0 {
		person = a.PersonID
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO accounts (name, display_name, role, person_id, password_hash, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Name, a.DisplayName, string(a.Role), person, hash, ts(now), ts(now))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Den Benutzernamen %q gibt es schon.", a.Name)
		}
		return fmt.Errorf("create account: %w", err)
	}
	a.ID, _ = res.LastInsertId()
	a.Created = now
	return nil
}

const accountColumns = `id, name, display_name, role, COALESCE(person_id, 0), disabled_at IS NOT NULL, created`

func scanAccount(sc interface{ Scan(...any) error }) (*Account, error) {
	var a Account
	var role, c string
	if err := sc.Scan(&a.ID, &a.Name, &a.DisplayName, &role, &a.PersonID, &a.Disabled, &c); err != nil {
		return nil, err
	}
	a.Role, a.Created = Role(role), parseTS(c)
	return &a, nil
}

// FindAccountByID returns account id.
func (s *Store) FindAccountByID(ctx context.Context, id int64) (*Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Konto")
	}
	return a, err
}

// FindAccountByName returns the account called name (any case).
func (s *Store) FindAccountByName(ctx context.Context, name string) (*Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = ?`, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Konto")
	}
	return a, err
}

// FindAccounts returns every account.
func (s *Store) FindAccounts(ctx context.Context) ([]*Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ErrBadCredentials is returned for a wrong name or password, alike.
var ErrBadCredentials = ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Benutzername oder Passwort ist falsch.")

// Authenticate checks name and password. A missing account, a wrong
// password and a disabled account all return ErrBadCredentials after the
// same amount of work, so the answer tells nothing about which it was.
func (s *Store) Authenticate(ctx context.Context, name, password string) (*Account, error) {
	var hash string
	var disabled sql.NullString
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id, password_hash, disabled_at FROM accounts WHERE name = ?`, strings.TrimSpace(name)).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) || hash == "" {
		CheckPassword(dummyHash, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !CheckPassword(hash, password) || disabled.Valid {
		return nil, ErrBadCredentials
	}
	return s.FindAccountByID(ctx, id)
}

// SetPassword replaces account id's password and ends all its sign-ins.
func (s *Store) SetPassword(ctx context.Context, id int64, password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Das Passwort muss mindestens %d Zeichen lang sein.", MinPasswordLength)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET password_hash = ?, modified = ? WHERE id = ?`, hash, ts(s.now()), id); err != nil {
		return err
	}
	return s.EndAllSignIns(ctx, id)
}

// DisableAccount disables account id: its sign-ins end and its API tokens
// stop working at once.
func (s *Store) DisableAccount(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := ts(s.now())
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET disabled_at = COALESCE(disabled_at, ?), modified = ? WHERE id = ?`, now, now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Konto")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sign_ins WHERE account_id = ?`, id); err != nil {
		return err
	}
	return tx.Commit()
}

// EnableAccount enables a disabled account again.
func (s *Store) EnableAccount(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET disabled_at = NULL, modified = ? WHERE id = ?`, ts(s.now()), id)
	return err
}

// ---- sign-ins (the auth cookie) ----

// Lifetimes of a sign-in. A council meeting can last a long evening, and
// members read on their tablets for days before it; both limits are
// configurable by the caller of ResolveSignIn.
const (
	DefaultIdleTimeout     = 12 * time.Hour
	DefaultAbsoluteTimeout = 14 * 24 * time.Hour
)

func newToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// StartSignIn creates a sign-in for account id and returns its secret
// token, for the auth cookie. Only a hash of it is stored.
func (s *Store) StartSignIn(ctx context.Context, accountID int64, userAgent string) (string, error) {
	token, hash := newToken()
	now := ts(s.now())
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sign_ins (token_hash, account_id, created, last_seen, user_agent) VALUES (?, ?, ?, ?, ?)`,
		hash, accountID, now, now, userAgent); err != nil {
		return "", fmt.Errorf("start sign-in: %w", err)
	}
	return token, nil
}

// ErrSignedOut is returned for a token that is unknown, expired or belongs
// to a disabled account.
var ErrSignedOut = ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Bitte melden Sie sich an.")

// ResolveSignIn returns the account of a sign-in token if it is still
// valid — not idle for longer than idle, not older than absolute, account
// not disabled — and records that it was seen. An expired sign-in is
// removed.
func (s *Store) ResolveSignIn(ctx context.Context, token string, idle, absolute time.Duration) (*Account, error) {
	if token == "" {
		return nil, ErrSignedOut
	}
	hash := hashToken(token)
	var id int64
	var created, seen string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT s.account_id, s.created, s.last_seen, a.disabled_at IS NOT NULL
		FROM sign_ins s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?`, hash).Scan(&id, &created, &seen, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, fmt.Errorf("resolve sign-in: %w", err)
	}
	now := s.now()
	if disabled || now.Sub(parseTS(seen)) > idle || now.Sub(parseTS(created)) > absolute {
		s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE token_hash = ?`, hash)
		return nil, ErrSignedOut
	}
	// Writing last_seen on every request would make every page view a
	// write; once a minute is precise enough for the idle timeout.
	if now.Sub(parseTS(seen)) > time.Minute {
		s.db.ExecContext(ctx, `UPDATE sign_ins SET last_seen = ? WHERE token_hash = ?`, ts(now), hash)
	}
	return s.FindAccountByID(ctx, id)
}

// EndSignIn signs out one browser.
func (s *Store) EndSignIn(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE token_hash = ?`, hashToken(token))
	return err
}

// EndAllSignIns signs account id out everywhere.
func (s *Store) EndAllSignIns(ctx context.Context, accountID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE account_id = ?`, accountID)
	return err
}

// ---- API tokens ----

// APIToken describes a token for scripts (the secret itself is shown once,
// when it is made).
type APIToken struct {
	ID        int64
	AccountID int64
	Name      string
	Created   time.Time
	LastUsed  time.Time
	Revoked   bool
}

// CreateAPIToken makes a named token for account id and returns its secret
// (prefixed "rm_", for secret scanners) — shown only now.
func (s *Store) CreateAPIToken(ctx context.Context, accountID int64, name string) (*APIToken, string, error) {
	token, _ := newToken()
	token = "rm_" + token
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (account_id, name, token_hash, created) VALUES (?, ?, ?, ?)`,
		accountID, name, hashToken(token), ts(now))
	if err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	id, _ := res.LastInsertId()
	return &APIToken{ID: id, AccountID: accountID, Name: name, Created: now}, token, nil
}

// ResolveAPIToken returns the account of a bearer token that is not
// revoked and whose account is not disabled.
func (s *Store) ResolveAPIToken(ctx context.Context, token string) (*Account, error) {
	hash := hashToken(token)
	var id, tokenID int64
	err := s.db.QueryRowContext(ctx, `SELECT t.account_id, t.id FROM api_tokens t JOIN accounts a ON a.id = t.account_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND a.disabled_at IS NULL`, hash).Scan(&id, &tokenID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, fmt.Errorf("resolve token: %w", err)
	}
	s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used = ? WHERE id = ?`, ts(s.now()), tokenID)
	return s.FindAccountByID(ctx, id)
}

// RevokeAPIToken revokes token id of account accountID.
func (s *Store) RevokeAPIToken(ctx context.Context, accountID, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND account_id = ?`,
		ts(s.now()), id, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Token")
	}
	return nil
}

// ---- audit log ----

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID         int64
	At         time.Time
	AccountID  int64
	Actor      string // display name, kept even if the account goes
	Action     string // e.g. "meeting.publish", "document.read_nonpublic"
	ObjectType string
	ObjectID   int64
	Details    string
}

// Audit appends e to the audit log (append-only: the schema refuses
// changes and deletions).
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	var acct any
	if e.AccountID != 0 {
		acct = e.AccountID
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, account_id, actor, action, object_type, object_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ts(e.At), acct, e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Details)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// FindAuditEntries returns the newest limit entries, newest first.
func (s *Store) FindAuditEntries(ctx context.Context, limit int) ([]*AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, COALESCE(account_id, 0), actor, action, object_type, object_id, details
		FROM audit_log ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.AccountID, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Details); err != nil {
			return nil, err
		}
		e.At = parseTS(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// FindAccountByOIDC returns the account linked to an OpenID Connect
// subject ("issuer|sub").
func (s *Store) FindAccountByOIDC(ctx context.Context, subject string) (*Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE oidc_subject = ?`, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Konto")
	}
	return a, err
}

// LinkOIDC links account id to an OpenID Connect subject, if the account
// is not linked to another one yet.
func (s *Store) LinkOIDC(ctx context.Context, id int64, subject string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET oidc_subject = ?, modified = ? WHERE id = ? AND (oidc_subject IS NULL OR oidc_subject = ?)`,
		subject, ts(s.now()), id, subject)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Diese Anmeldung ist schon mit einem anderen Konto verbunden.")
		}
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Das Konto ist schon mit einer anderen Anmeldung verbunden.")
	}
	return nil
}
