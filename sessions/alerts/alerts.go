// Package alerts lets anyone subscribe by e-mail, without an account, to a
// committee's new meetings and documents or to a saved search over public
// documents, and sends the subscribers what became public.
//
// Subscribing is double opt-in: Subscribe stores an unconfirmed
// subscription and writes the confirmation mail to the notify outbox in
// the same transaction; only Confirm, reached through the link in that
// mail, makes it receive alerts. Every message carries an unsubscribe link
// and List-Unsubscribe headers (with RFC 8058 one-click where the site is
// served over https). An address is stored only as long as its
// subscription lives: Unsubscribe deletes the row, Sweep deletes
// unconfirmed ones after UnconfirmedTTL.
//
// The worker (Run, Process) follows the publication ledger (access/ledger.go):
// the public transitions that took effect since its cursor are looked up
// again through the anonymous viewer's reads, so an alert names only what
// a citizen may see at that moment, and one digest per subscription is
// enqueued in the transaction that advances the cursor: nothing is
// alerted twice, nothing skipped.
package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/sessions"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's schema, applied with scope "alerts"
// after the scopes of sessions (whose organizations and ledger it refers
// to) and notify.
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same schema for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

// Limits and times of the subscriptions.
const (
	// UnconfirmedTTL is how long an unconfirmed subscription (and so its
	// address) is kept.
	UnconfirmedTTL = 48 * time.Hour
	// MaxRequestsPerAddress confirmation mails go to one address per
	// RequestWindow at most, so the form cannot be used to flood a mailbox.
	MaxRequestsPerAddress = 3
	RequestWindow         = 24 * time.Hour
	// MaxQuery bounds a saved search's text.
	MaxQuery = 200
	// MaxAddress bounds an address (RFC 5321's path limit).
	MaxAddress = 254
	// DefaultLag is how far behind now the worker reads the ledger: a
	// transaction that records a transition at time t commits a little
	// after t, and must be visible when the worker reads up to t.
	DefaultLag = 30 * time.Second
	// MaxItems bounds the entries of one digest; the rest are counted.
	MaxItems = 50
)

// Searcher answers full-text searches (package sessions/indexer).
type Searcher interface {
	Search(ctx context.Context, q search.Query) (*search.Result, error)
}

// Options configure a Store.
type Options struct {
	// BaseURL is the site's public address, e.g. https://rat.example.org,
	// from which every link in a message is built.
	BaseURL string
	// Key derives the links' tokens; at least 32 bytes, kept across
	// restarts (the CSRF key does), or earlier messages' links stop working.
	Key []byte
	// From is the messages' sender; empty: the Sender's default.
	From string
	// Site names the portal in subjects, e.g. "Ratsinformation Lindenau";
	// default "Ratsmappe".
	Site string
	// Search answers saved searches; nil: they get no alerts.
	Search Searcher
	// Lag: see DefaultLag. Now is the clock (time.Now if nil).
	Lag time.Duration
	Now func() time.Time
	Log *slog.Logger
}

// Store keeps the subscriptions and turns publications into alerts.
type Store struct {
	db       *sql.DB
	dialect  sqldb.Dialect
	sessions *sessions.Store
	outbox   *notify.Outbox
	opt      Options
}

// addressLockClass is the first key of the PostgreSQL advisory locks
// Subscribe takes per address ("al"): two keys, so that they cannot meet
// the stores' one-key locks.
const addressLockClass = 0x616c

// NewStore returns a Store over db (migrated by internal/schema), reading
// the council's data through st and writing messages to outbox.
func NewStore(db *sql.DB, st *sessions.Store, outbox *notify.Outbox, opt Options) *Store {
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	if opt.Site == "" {
		opt.Site = "Ratsmappe"
	}
	if opt.Lag <= 0 {
		opt.Lag = DefaultLag
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if len(opt.Key) < 32 {
		panic("alerts: key shorter than 32 bytes")
	}
	return &Store{db: db, dialect: sqldb.DialectOf(db), sessions: st, outbox: outbox, opt: opt}
}

// Request is a subscription asked for: exactly one of OrganizationID and
// Query.
type Request struct {
	Email          string
	OrganizationID int64
	Query          string
	Language       string // "de" (default) or "en"
}

// Subscription is a stored subscription.
type Subscription struct {
	ID             int64
	Email          string
	OrganizationID int64
	Query          string
	Language       string
	Created        time.Time
	Confirmed      time.Time // zero while unconfirmed
}

func invalid(reason, de, en string) error {
	return &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: reason, Message: de, MessageEN: en}
}

var errNotFound = &ratsmappe.Error{Code: ratsmappe.ENOTFOUND, Message: "Dieses Abonnement gibt es nicht (mehr).",
	MessageEN: "This subscription does not exist (any more)."}

// normalize checks req and returns it cleaned: the address trimmed and in
// lower case (so one mailbox has one subscription per target), the query
// trimmed.
func (s *Store) normalize(ctx context.Context, req Request) (Request, error) {
	req.Email = strings.ToLower(strings.TrimSpace(req.Email))
	if a, err := mail.ParseAddress(req.Email); err != nil || a.Address != req.Email ||
		len(req.Email) > MaxAddress || !strings.Contains(notify.Domain(req.Email), ".") {
		return req, invalid("bad_address", "Bitte geben Sie eine gültige E-Mail-Adresse an.", "Please enter a valid e-mail address.")
	}
	if req.Language != "en" {
		req.Language = "de"
	}
	req.Query = strings.TrimSpace(req.Query)
	switch {
	case req.OrganizationID != 0 && req.Query != "", req.OrganizationID == 0 && req.Query == "":
		return req, invalid("bad_target", "Bitte wählen Sie ein Gremium oder eine Suche.", "Please choose a committee or a search.")
	case req.OrganizationID != 0:
		if _, err := s.sessions.FindOrganizationByID(ctx, req.OrganizationID); err != nil {
			return req, err
		}
	case utf8.RuneCountInString(req.Query) > MaxQuery || !utf8.ValidString(req.Query) || strings.ContainsAny(req.Query, "\r\n\x00"):
		return req, invalid("bad_query", fmt.Sprintf("Die Suche ist zu lang (höchstens %d Zeichen).", MaxQuery),
			fmt.Sprintf("The search is too long (at most %d characters).", MaxQuery))
	case s.opt.Search == nil:
		return req, &ratsmappe.Error{Code: ratsmappe.EUNAVAILABLE, Message: "Benachrichtigungen zu Suchen sind nicht verfügbar.",
			MessageEN: "Alerts for searches are not available."}
	}
	return req, nil
}

// Subscribe asks for a subscription: it stores it unconfirmed and
// enqueues the confirmation mail in the same transaction. It answers nil
// whether the address was new, unconfirmed (the confirmation is sent
// again, with the same link) or already confirmed (nothing is sent), and
// when the address has had MaxRequestsPerAddress confirmation mails in
// the last RequestWindow (nothing is sent): whoever fills in the form
// learns nothing about the address. An invalid address, target or query
// is an EINVALID error, a missing committee ENOTFOUND.
func (s *Store) Subscribe(ctx context.Context, req Request) error {
	req, err := s.normalize(ctx, req)
	if err != nil {
		return err
	}
	now := s.opt.Now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	defer tx.Rollback()
	addr := s.addressHash(req.Email)
	// The requests for one address one after the other, as SQLite's one
	// writer has them: on PostgreSQL, requests sent at once through
	// several app servers (or connections) would each count the same
	// earlier ones and pass the limit together.
	if s.dialect == sqldb.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(encode(?, 'hex')))`, addressLockClass, addr); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_requests WHERE address_hash = ? AND at > ?`,
		addr, now.Add(-RequestWindow).UnixMilli()).Scan(&n); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if n >= MaxRequestsPerAddress {
		s.opt.Log.Info("alerts: confirmation limit reached for an address")
		return nil
	}
	var (
		id        int64
		nonce     []byte
		confirmed sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, `SELECT id, nonce, confirmed_at FROM alert_subscriptions
		WHERE email = ? AND coalesce(organization_id, 0) = ? AND coalesce(query, '') = ?`,
		req.Email, req.OrganizationID, req.Query).Scan(&id, &nonce, &confirmed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		nonce = make([]byte, 32)
		rand.Read(nonce)
		if err := tx.QueryRowContext(ctx, `INSERT INTO alert_subscriptions
			(email, organization_id, query, language, nonce, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			req.Email, nullID(req.OrganizationID), nullText(req.Query), req.Language, nonce, tokenHash(s.token(nonce)), now.UnixMilli()).Scan(&id); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	case err != nil:
		return fmt.Errorf("subscribe: %w", err)
	case confirmed.Valid:
		return nil
	default:
		// Asked again before confirming: the row's age counts from now.
		if _, err := tx.ExecContext(ctx, `UPDATE alert_subscriptions SET created_at = ?, language = ? WHERE id = ?`,
			now.UnixMilli(), req.Language, id); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_requests (address_hash, at) VALUES (?, ?)`, addr, now.UnixMilli()); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	target, err := s.describe(ctx, req.Language, req.OrganizationID, req.Query)
	if err != nil {
		return err
	}
	msg := s.confirmation(req.Language, req.Email, s.token(nonce), target)
	msg.Key = fmt.Sprintf("alert-confirm/%d/%d/%d", id, now.UnixMilli(), n)
	if _, err := s.outbox.Enqueue(ctx, tx, msg); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	s.outbox.Kick()
	return nil
}

// Find returns the subscription whose links carry token, or ENOTFOUND
// (also for an unconfirmed one past UnconfirmedTTL).
func (s *Store) Find(ctx context.Context, token string) (*Subscription, error) {
	var (
		sub       Subscription
		org       sql.NullInt64
		query     sql.NullString
		created   int64
		confirmed sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT id, email, organization_id, query, language, created_at, confirmed_at
		FROM alert_subscriptions WHERE token_hash = ?`, tokenHash(token)).Scan(&sub.ID, &sub.Email, &org, &query,
		&sub.Language, &created, &confirmed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find subscription: %w", err)
	}
	sub.OrganizationID, sub.Query = org.Int64, query.String
	sub.Created = time.UnixMilli(created).UTC()
	if confirmed.Valid {
		sub.Confirmed = time.UnixMilli(confirmed.Int64).UTC()
	} else if s.opt.Now().Sub(sub.Created) > UnconfirmedTTL {
		return nil, errNotFound
	}
	return &sub, nil
}

// Describe names what sub is about, in its language: the committee's
// name, or the search in quotes.
func (s *Store) Describe(ctx context.Context, sub *Subscription) (string, error) {
	return s.describe(ctx, sub.Language, sub.OrganizationID, sub.Query)
}

func (s *Store) describe(ctx context.Context, lang string, org int64, query string) (string, error) {
	if org == 0 {
		return fmt.Sprintf(t(lang, "target.search"), query), nil
	}
	o, err := s.sessions.FindOrganizationByID(ctx, org)
	if err != nil {
		return "", err
	}
	return o.Name, nil
}

// Confirm confirms the subscription whose links carry token; confirming
// twice is no error. ENOTFOUND if there is none (or it expired).
func (s *Store) Confirm(ctx context.Context, token string) (*Subscription, error) {
	sub, err := s.Find(ctx, token)
	if err != nil {
		return nil, err
	}
	if !sub.Confirmed.IsZero() {
		return sub, nil
	}
	now := s.opt.Now()
	if _, err := s.db.ExecContext(ctx, `UPDATE alert_subscriptions SET confirmed_at = ?
		WHERE id = ? AND confirmed_at IS NULL`, now.UnixMilli(), sub.ID); err != nil {
		return nil, fmt.Errorf("confirm subscription: %w", err)
	}
	sub.Confirmed = now.UTC()
	return sub, nil
}

// Unsubscribe deletes the subscription whose links carry token, and with
// it the address. It reports whether there was one; a second call, or a
// token of none, is no error.
func (s *Store) Unsubscribe(ctx context.Context, token string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM alert_subscriptions WHERE token_hash = ?`, tokenHash(token))
	if err != nil {
		return false, fmt.Errorf("unsubscribe: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Sweep deletes unconfirmed subscriptions older than UnconfirmedTTL and
// the request log older than RequestWindow; it returns how many
// subscriptions it deleted. Run calls it.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	now := s.opt.Now()
	res, err := s.db.ExecContext(ctx, `DELETE FROM alert_subscriptions WHERE confirmed_at IS NULL AND created_at < ?`,
		now.Add(-UnconfirmedTTL).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("sweep subscriptions: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM alert_requests WHERE at <= ?`, now.Add(-RequestWindow).UnixMilli()); err != nil {
		return n, fmt.Errorf("sweep subscriptions: %w", err)
	}
	return n, nil
}

// token is the secret a subscription's links carry: an HMAC of its nonce,
// so a copy of the database without the key yields no working link.
func (s *Store) token(nonce []byte) string {
	m := hmac.New(sha256.New, s.opt.Key)
	m.Write([]byte("alert-token\x00"))
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// addressHash is the pseudonym of an address in the request log.
func (s *Store) addressHash(addr string) []byte {
	m := hmac.New(sha256.New, s.opt.Key)
	m.Write([]byte("alert-address\x00"))
	m.Write([]byte(addr))
	return m.Sum(nil)
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Links of a subscription's token.
func (s *Store) confirmURL(token string) string { return s.opt.BaseURL + "/alerts/confirm/" + token }
func (s *Store) unsubscribeURL(token string) string {
	return s.opt.BaseURL + "/alerts/unsubscribe/" + token
}

// OneClickPath is where RFC 8058 one-click unsubscribes are posted, the
// token appended.
const OneClickPath = "/api/v1/alerts/unsubscribe/"

// unsubscribe sets msg's List-Unsubscribe: the one-click URI where the site
// is served over https (RFC 8058 requires it), else the page.
func (s *Store) unsubscribe(msg *notify.Message, token string) {
	if strings.HasPrefix(s.opt.BaseURL, "https://") {
		msg.Unsubscribe, msg.OneClick = []string{s.opt.BaseURL + OneClickPath + token}, true
		return
	}
	msg.Unsubscribe = []string{s.unsubscribeURL(token)}
}
