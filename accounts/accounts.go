// Package accounts keeps who may sign in to Ratsmappe and how: accounts
// (staff, council members, administrators) with their argon2id password
// hashes and OpenID Connect links, the browsers signed in with the auth
// cookie, and API tokens for scripts. It answers "which account holds this
// credential"; what that account may see is decided by access, from the
// Viewer that Account.Viewer gives: with the linked person's memberships
// when the account was found by its credential (read with it, in one
// statement per request), otherwise completed by
// sessions.Store.ViewerFor. The memberships are sessions' table, read
// here as ViewerFor reads them.
//
// The tables accounts, sign_ins and api_tokens belong to this package. On
// databases made before it existed they were created by sessions'
// migration 0001, which stays as it is so that existing databases keep
// their data; new changes to these tables go into this package.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Store keeps accounts, sign-ins and API tokens in SQL (SQLite or
// PostgreSQL), on the same database as sessions.Store: an account may
// name a council person (persons, from sessions' migrations), so the
// database must be migrated with documents' and sessions' Migrations
// first.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// NewStore returns a Store on db. now is the clock, time.Now if nil;
// tests inject their own to check sign-in lifetimes.
func NewStore(db *sql.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// Account is a way to sign in: a person of the council office, a council
// member, or an administrator.
type Account struct {
	ID          int64
	Name        string // sign-in name, unique regardless of case
	DisplayName string
	Role        access.Role
	PersonID    int64 // the council member's Person, 0 if none
	Disabled    bool
	Created     time.Time
	// Memberships are the linked person's memberships, as
	// sessions.Store.ViewerFor reads them, when the account was found by
	// its credential (ResolveSignIn, ResolveAPIToken) — read in the same
	// statement, so that a signed-in request costs one; nil otherwise.
	Memberships []access.Period
}

// Viewer returns the Viewer the account signs in as: id, name, role and
// person, and the person's memberships if the account was found by its
// credential (see Memberships) — complete then, as
// sessions.Store.ViewerFor would make it; otherwise ViewerFor adds them.
func (a *Account) Viewer() access.Viewer {
	return access.Viewer{AccountID: a.ID, PersonID: a.PersonID, Name: a.DisplayName, Role: a.Role, Memberships: a.Memberships}
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

// HashPassword returns the argon2id hash of password with a random 16-byte
// salt, in the PHC string format that CheckPassword reads:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (unpadded standard base64).
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash, a string made by
// HashPassword (with these or other parameters). The keys are compared in
// constant time. A malformed hash, or one whose parameters are out of
// bounds (memory over 256 MiB, more than 20 passes, salt under 8 bytes),
// matches nothing; it never panics.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m, t, p uint64
	var rest string
	if n, _ := fmt.Sscanf(parts[3]+"$", "m=%d,t=%d,p=%d%s", &m, &t, &p, &rest); n != 4 || rest != "$" {
		return false
	}
	if t < 1 || t > 20 || p < 1 || p > 255 || m < 8*p || m > 256*1024 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when an account does not exist, so that the
// answer takes as long as for a wrong password.
var dummyHash, _ = HashPassword("ratsmappe-dummy-password")

// Password lengths accepted, in characters. The upper bound keeps a
// request from making the server hash megabytes.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 512
)

func validPassword(password string) error {
	n := len([]rune(password))
	if n < MinPasswordLength {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Das Passwort muss mindestens %d Zeichen lang sein.", MinPasswordLength)
	}
	if n > MaxPasswordLength {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Das Passwort darf höchstens %d Zeichen lang sein.", MaxPasswordLength)
	}
	return nil
}

// CreateAccount stores a and sets its ID. An empty password makes an
// account that cannot sign in with a password (for API tokens or a later
// single sign-on). It returns EINVALID for a bad name, role or password,
// ECONFLICT for a name taken in any case, and ENOTFOUND for a missing
// person.
func (s *Store) CreateAccount(ctx context.Context, a *Account, password string) error {
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" || strings.ContainsAny(a.Name, " \t\n/") {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Der Benutzername darf nicht leer sein und keine Leer- oder Schrägstriche enthalten.")
	}
	if !access.ValidRole(a.Role) {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Rolle %q: admin, clerk oder member.", a.Role)
	}
	if a.DisplayName == "" {
		a.DisplayName = a.Name
	}
	hash := ""
	if password != "" {
		if err := validPassword(password); err != nil {
			return err
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
	err := s.db.QueryRowContext(ctx, `INSERT INTO accounts (name, display_name, role, person_id, password_hash, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.Name, a.DisplayName, string(a.Role), person, hash, ts(now), ts(now)).Scan(&a.ID)
	if err != nil {
		if sqldb.IsUnique(err) {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Den Benutzernamen %q gibt es schon.", a.Name)
		}
		if sqldb.IsForeignKey(err) {
			return notFound("Person")
		}
		return fmt.Errorf("create account: %w", err)
	}
	a.Disabled = false
	a.Created = now
	return nil
}

// accountColumns are what scanAccount reads, named with their table so
// that a join (a credential's, see resolve) may select them too.
const accountColumns = `accounts.id, accounts.name, accounts.display_name, accounts.role,
	COALESCE(accounts.person_id, 0), accounts.disabled_at IS NOT NULL, accounts.created`

// scanAccount reads accountColumns, and then the columns extra point to.
func scanAccount(sc interface{ Scan(...any) error }, extra ...any) (*Account, error) {
	var a Account
	var role, c string
	if err := sc.Scan(append([]any{&a.ID, &a.Name, &a.DisplayName, &role, &a.PersonID, &a.Disabled, &c}, extra...)...); err != nil {
		return nil, err
	}
	a.Role, a.Created = access.Role(role), parseTS(c)
	return &a, nil
}

// FindAccountByID returns account id, disabled or not, or ENOTFOUND.
func (s *Store) FindAccountByID(ctx context.Context, id int64) (*Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Konto")
	}
	if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	return a, nil
}

// FindAccountByName returns the account called name (any case), or
// ENOTFOUND.
func (s *Store) FindAccountByName(ctx context.Context, name string) (*Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = ?`, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Konto")
	}
	if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	return a, nil
}

// FindAccounts returns every account, by name.
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

// MemberAccounts returns the enabled member accounts (id → display name)
// linked to any of persons — for example the accounts of a viewer's
// faction peers (sessions.Store.FactionPeers), who see the notes shared
// with the faction.
func (s *Store) MemberAccounts(ctx context.Context, persons []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(persons) == 0 {
		return out, nil
	}
	ids, _ := json.Marshal(persons)
	rows, err := s.db.QueryContext(ctx, `SELECT id, display_name FROM accounts
		WHERE person_id IN (SELECT value FROM json_each(?)) AND role = 'member' AND disabled_at IS NULL`, string(ids))
	if err != nil {
		return nil, fmt.Errorf("member accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("member accounts: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}

// FindAccountByOIDC returns the account linked to an OpenID Connect
// subject (by convention "<issuer>|<sub>"), disabled or not, or ENOTFOUND.
func (s *Store) FindAccountByOIDC(ctx context.Context, subject string) (*Account, error) {
	if subject == "" {
		return nil, notFound("Konto")
	}
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE oidc_subject = ?`, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Konto")
	}
	if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	return a, nil
}

// LinkOIDC links account accountID to an OpenID Connect subject, so that
// FindAccountByOIDC finds it from then on. Linking the same pair again is
// not an error. It returns ENOTFOUND for a missing account and ECONFLICT if
// the subject belongs to another account or the account is linked to
// another subject already — a link is never silently moved, since that
// would hand the account to someone else.
func (s *Store) LinkOIDC(ctx context.Context, accountID int64, subject string) error {
	if strings.TrimSpace(subject) == "" {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Leere OpenID-Connect-Kennung.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("link oidc: %w", err)
	}
	defer tx.Rollback()
	var cur sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT oidc_subject FROM accounts WHERE id = ?`, accountID).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Konto")
	}
	if err != nil {
		return fmt.Errorf("link oidc: %w", err)
	}
	if cur.Valid && cur.String == subject {
		return nil
	}
	if cur.Valid {
		return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Das Konto ist schon mit einer anderen Anmeldung verknüpft.")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET oidc_subject = ?, modified = ? WHERE id = ?`, subject, ts(s.now()), accountID); err != nil {
		if sqldb.IsUnique(err) {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "Diese Anmeldung gehört schon zu einem anderen Konto.")
		}
		return fmt.Errorf("link oidc: %w", err)
	}
	return tx.Commit()
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
	if len(password) > 4*MaxPasswordLength {
		return nil, ErrBadCredentials
	}
	err := s.db.QueryRowContext(ctx, `SELECT id, password_hash, disabled_at FROM accounts WHERE name = ?`, strings.TrimSpace(name)).Scan(&id, &hash, &disabled)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if err != nil || hash == "" {
		CheckPassword(dummyHash, password)
		return nil, ErrBadCredentials
	}
	if !CheckPassword(hash, password) || disabled.Valid {
		return nil, ErrBadCredentials
	}
	return s.FindAccountByID(ctx, id)
}

// SetPassword replaces account id's password and ends all its sign-ins,
// in one transaction: whoever knew the old password is signed out. It
// returns EINVALID for a bad password and ENOTFOUND for a missing account.
func (s *Store) SetPassword(ctx context.Context, id int64, password string) error {
	if err := validPassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = ?, modified = ? WHERE id = ?`, hash, ts(s.now()), id)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Konto")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sign_ins WHERE account_id = ?`, id); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return tx.Commit()
}

// DisableAccount disables account id: it cannot sign in, its sign-ins end
// and its API tokens stop working at once (they stay stored, and work
// again if the account is enabled). ENOTFOUND for a missing account.
func (s *Store) DisableAccount(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := ts(s.now())
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET disabled_at = COALESCE(disabled_at, ?), modified = ? WHERE id = ?`, now, now, id)
	if err != nil {
		return fmt.Errorf("disable account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Konto")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sign_ins WHERE account_id = ?`, id); err != nil {
		return fmt.Errorf("disable account: %w", err)
	}
	return tx.Commit()
}

// EnableAccount enables a disabled account again; its old sign-ins stay
// ended. ENOTFOUND for a missing account.
func (s *Store) EnableAccount(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET disabled_at = NULL, modified = ? WHERE id = ?`, ts(s.now()), id)
	if err != nil {
		return fmt.Errorf("enable account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Konto")
	}
	return nil
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

// SignIn is one signed-in browser of an account (the auth cookie), as the
// account's "where am I signed in" list shows it. Its secret token is
// never stored; ID is the token's SHA-256, which identifies the sign-in
// but cannot be used as a cookie.
type SignIn struct {
	ID        string
	AccountID int64
	Created   time.Time
	LastSeen  time.Time
	UserAgent string
}

// StartSignIn creates a sign-in for account accountID and returns its
// secret token (32 random bytes, base64url) for the auth cookie. Only a
// SHA-256 of the token is stored. A disabled or missing account gets
// ErrBadCredentials.
func (s *Store) StartSignIn(ctx context.Context, accountID int64, userAgent string) (string, error) {
	token, hash := newToken()
	now := ts(s.now())
	if len(userAgent) > 200 {
		userAgent = strings.ToValidUTF8(userAgent[:200], "")
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO sign_ins (token_hash, account_id, created, last_seen, user_agent)
		SELECT ?, id, ?, ?, ? FROM accounts WHERE id = ? AND disabled_at IS NULL`,
		hash, now, now, userAgent, accountID)
	if err != nil {
		return "", fmt.Errorf("start sign-in: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", ErrBadCredentials
	}
	return token, nil
}

// FindSignIns returns the sign-ins of account accountID, most recently
// seen first (expired ones that were not swept yet included).
func (s *Store) FindSignIns(ctx context.Context, accountID int64) ([]*SignIn, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT token_hash, account_id, created, last_seen, user_agent
		FROM sign_ins WHERE account_id = ? ORDER BY last_seen DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("find sign-ins: %w", err)
	}
	defer rows.Close()
	var out []*SignIn
	for rows.Next() {
		var si SignIn
		var c, seen string
		if err := rows.Scan(&si.ID, &si.AccountID, &c, &seen, &si.UserAgent); err != nil {
			return nil, fmt.Errorf("find sign-ins: %w", err)
		}
		si.Created, si.LastSeen = parseTS(c), parseTS(seen)
		out = append(out, &si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find sign-ins: %w", err)
	}
	return out, nil
}

// EndSignInByID signs out one sign-in of account accountID chosen from
// FindSignIns (another device of the same person). ENOTFOUND if the
// account has no such sign-in.
func (s *Store) EndSignInByID(ctx context.Context, accountID int64, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE token_hash = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return fmt.Errorf("end sign-in: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Anmeldung")
	}
	return nil
}

// ErrSignedOut is returned for a token that is unknown, expired or belongs
// to a disabled account.
var ErrSignedOut = ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Bitte melden Sie sich an.")

// ResolveSignIn returns the account of a sign-in token, with its
// person's Memberships, if it is still valid — not idle for longer than
// idle, not older than absolute, account not disabled — and records that
// it was seen, in one statement (and a write at most once a minute); zero
// durations mean
// DefaultIdleTimeout and DefaultAbsoluteTimeout. Otherwise it returns
// ErrSignedOut, and an expired sign-in is removed. last_seen is written at
// most once a minute, so the idle limit is exact to a minute.
func (s *Store) ResolveSignIn(ctx context.Context, token string, idle, absolute time.Duration) (*Account, error) {
	if token == "" {
		return nil, ErrSignedOut
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if absolute <= 0 {
		absolute = DefaultAbsoluteTimeout
	}
	hash := hashToken(token)
	var created, seen string
	a, err := s.resolve(ctx, `FROM sign_ins s JOIN accounts ON accounts.id = s.account_id`+membershipsJoin+`
		WHERE s.token_hash = ?`, hash, []string{"s.created", "s.last_seen"}, &created, &seen)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if a.Disabled || now.Sub(parseTS(seen)) > idle || now.Sub(parseTS(created)) > absolute {
		// Best effort: an expired row is refused whether or not it goes.
		_, _ = s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE token_hash = ?`, hash)
		return nil, ErrSignedOut
	}
	// Writing last_seen on every request would make every page view a
	// write; once a minute is precise enough for the idle timeout.
	if now.Sub(parseTS(seen)) > time.Minute {
		s.touch(ctx, "sign_ins", "token_hash", "last_seen = ?", "token_hash = ?", ts(now), hash)
	}
	return a, nil
}

// membershipsJoin joins to a credential's account the memberships of its
// person (none without one), which resolve reads.
const membershipsJoin = `
	LEFT JOIN memberships m ON m.person_id = accounts.person_id`

// resolve finds the account a credential (its hash) names in one
// statement: SELECT accountColumns, the columns cols into extra, and the
// membership of membershipsJoin, from the tail (FROM … WHERE, one
// placeholder for hash). A member has a row for each of their memberships,
// in sessions.Store.FindMemberships' order; they become the account's
// Memberships. ErrSignedOut if there is no row.
func (s *Store) resolve(ctx context.Context, tail, hash string, cols []string, extra ...any) (*Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountColumns+`, `+strings.Join(cols, ", ")+`,
		m.organization_id, m.start_date, m.end_date `+tail+` ORDER BY m.id`, hash)
	if err != nil {
		return nil, fmt.Errorf("resolve credential: %w", err)
	}
	defer rows.Close()
	var a *Account
	for rows.Next() {
		var org sql.NullInt64
		var start, end sql.NullString
		row, err := scanAccount(rows, append(extra, &org, &start, &end)...)
		if err != nil {
			return nil, fmt.Errorf("resolve credential: %w", err)
		}
		if a == nil {
			a = row
		}
		if org.Valid {
			a.Memberships = append(a.Memberships, access.PeriodOf(org.Int64, start.String, end.String))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("resolve credential: %w", err)
	}
	if a == nil {
		return nil, ErrSignedOut
	}
	return a, nil
}

// touchWait is how long a request waits on SQLite for the database's
// write lock to record that a sign-in or a token was used.
const touchWait = 50 * time.Millisecond

// touch runs for a request the bookkeeping write that records that a
// sign-in or a token was used: UPDATE table SET set WHERE where, whose
// rows keyColumn identifies; args are set's and then where's. It ignores
// failure, and never waits for work that is not the request's: behind a
// long writer (a background worker catching up, a large import) a request
// that waited to record its own use would make a member's page wait, and
// hold one of the pool's few connections meanwhile. A skipped touch is
// written by the next request a minute later; the idle limit stays exact
// to a minute or two.
//
// SQLite has one writer, so there the write waits at most touchWait for
// its lock. PostgreSQL locks rows, so there a row another transaction
// holds is skipped (SKIP LOCKED) rather than waited for, without a
// deadline: a deadline that ended a statement on PostgreSQL either closed
// the connection or, when it was canceled on the server instead, could
// cancel the next request's statement on the same connection (issue 15).
func (s *Store) touch(ctx context.Context, table, keyColumn, set, where string, args ...any) {
	if sqldb.DialectOf(s.db) == sqldb.Postgres {
		_, _ = s.db.ExecContext(ctx, `UPDATE `+table+` SET `+set+`
			WHERE `+keyColumn+` IN (SELECT `+keyColumn+` FROM `+table+` WHERE `+where+` FOR UPDATE SKIP LOCKED)`, args...)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, touchWait)
	defer cancel()
	_, _ = s.db.ExecContext(ctx, `UPDATE `+table+` SET `+set+` WHERE `+where, args...)
}

// EndSignIn signs out the browser holding token; an unknown token is not
// an error.
func (s *Store) EndSignIn(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE token_hash = ?`, hashToken(token)); err != nil {
		return fmt.Errorf("end sign-in: %w", err)
	}
	return nil
}

// EndAllSignIns signs account accountID out everywhere ("sign out
// everywhere"). API tokens are not affected; RevokeAPIToken revokes those.
func (s *Store) EndAllSignIns(ctx context.Context, accountID int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE account_id = ?`, accountID); err != nil {
		return fmt.Errorf("end sign-ins: %w", err)
	}
	return nil
}

// SweepSignIns removes sign-ins that ResolveSignIn would refuse anyway —
// idle for longer than idle or older than absolute (zero: the defaults) —
// and returns how many, and the sign-in throttle's records older than a
// day. A server calls it now and then, so that sign-ins never used again
// do not pile up.
func (s *Store) SweepSignIns(ctx context.Context, idle, absolute time.Duration) (int64, error) {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if absolute <= 0 {
		absolute = DefaultAbsoluteTimeout
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx, `DELETE FROM sign_ins WHERE last_seen < ? OR created < ?`,
		ts(now.Add(-idle)), ts(now.Add(-absolute)))
	if err != nil {
		return 0, fmt.Errorf("sweep sign-ins: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, s.sweepThrottle(ctx)
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

// CreateAPIToken makes a token called name for account accountID and
// returns it with its secret — 32 random bytes, base64url, prefixed "rm_"
// so that secret scanners recognise it. Only a SHA-256 of the secret is
// stored; it is shown only now. It returns EINVALID for an empty name and
// ENOTFOUND for a missing account.
func (s *Store) CreateAPIToken(ctx context.Context, accountID int64, name string) (*APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", ratsmappe.Errorf(ratsmappe.EINVALID, "Ein API-Token braucht eine Bezeichnung.")
	}
	token, _ := newToken()
	token = "rm_" + token
	now := s.now()
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO api_tokens (account_id, name, token_hash, created) VALUES (?, ?, ?, ?) RETURNING id`,
		accountID, name, hashToken(token), ts(now)).Scan(&id)
	if sqldb.IsForeignKey(err) {
		return nil, "", notFound("Konto")
	}
	if err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	return &APIToken{ID: id, AccountID: accountID, Name: name, Created: now}, token, nil
}

// ResolveAPIToken returns the account of a bearer token that is not
// revoked and whose account is not disabled, with its person's
// Memberships, in one statement, and records its use (at most once a
// minute); otherwise ErrSignedOut.
func (s *Store) ResolveAPIToken(ctx context.Context, token string) (*Account, error) {
	if token == "" {
		return nil, ErrSignedOut
	}
	var tokenID int64
	var used sql.NullString
	a, err := s.resolve(ctx, `FROM api_tokens t JOIN accounts ON accounts.id = t.account_id`+membershipsJoin+`
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND accounts.disabled_at IS NULL`, hashToken(token), []string{"t.id", "t.last_used"}, &tokenID, &used)
	if err != nil {
		return nil, err
	}
	// Best effort: last_used is informational. Like a sign-in's
	// last_seen it is written at most once a minute, so that a script or
	// a member's devices syncing with a token do not make every request a
	// write (SQLite has one writer): an UPDATE takes the write lock even
	// when its WHERE matches no row, so a fresh last_used is not updated
	// at all.
	if now := s.now(); now.Sub(parseNull(used)) >= time.Minute {
		s.touch(ctx, "api_tokens", "id", "last_used = ?",
			"id = ? AND (last_used IS NULL OR last_used < ?)", ts(now), tokenID, ts(now.Add(-time.Minute)))
	}
	return a, nil
}

// FindAPITokens returns the tokens of account accountID, revoked ones
// included, oldest first — never their secrets.
func (s *Store) FindAPITokens(ctx context.Context, accountID int64) ([]*APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, account_id, name, created, last_used, revoked_at IS NOT NULL
		FROM api_tokens WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	defer rows.Close()
	var out []*APIToken
	for rows.Next() {
		var t APIToken
		var c string
		var used sql.NullString
		if err := rows.Scan(&t.ID, &t.AccountID, &t.Name, &c, &used, &t.Revoked); err != nil {
			return nil, fmt.Errorf("find tokens: %w", err)
		}
		t.Created, t.LastUsed = parseTS(c), parseNull(used)
		out = append(out, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken revokes token id of account accountID at once; it stays
// listed as revoked. ENOTFOUND if the account has no such token.
func (s *Store) RevokeAPIToken(ctx context.Context, accountID, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND account_id = ?`,
		ts(s.now()), id, accountID)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Token")
	}
	return nil
}

// timeLayout is sessions' layout: UTC, a fixed number of fraction digits,
// so that text order is time order (SweepSignIns compares in SQL).
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

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
