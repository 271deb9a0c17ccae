package webpush

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// MaxDevices is how many subscriptions an account keeps: a new one beyond
// it replaces the oldest (a member's tablet, phone and desktop fit; a
// script subscribing endlessly does not grow the table).
const MaxDevices = 10

// maxDevice bounds the device label.
const maxDevice = 200

// Device is a subscription as its member sees it.
type Device struct {
	ID          int64
	AccountID   int64
	Sub         Subscription
	Device      string
	Created     time.Time
	LastSuccess time.Time // zero: never delivered yet
	Failures    int
}

// Store keeps the subscriptions in the notify migrations' table.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// NewStore returns the store on db; now defaults to time.Now.
func NewStore(db *sql.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// Subscribe records sub for account under p (a refused endpoint or key
// is EINVALID). Subscribing the same endpoint again updates its keys and
// moves it to account.
func (s *Store) Subscribe(ctx context.Context, p Policy, account int64, sub Subscription, device string) error {
	if err := p.Check(sub); err != nil {
		return err
	}
	if len(device) > maxDevice {
		device = device[:maxDevice]
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("push subscribe: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (account_id, endpoint, p256dh, auth, device, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (endpoint) DO UPDATE SET account_id = excluded.account_id, p256dh = excluded.p256dh,
			auth = excluded.auth, device = excluded.device, failures = 0`,
		account, sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth, device, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("push subscribe: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE account_id = ?1 AND id NOT IN
		(SELECT id FROM push_subscriptions WHERE account_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2)`,
		account, MaxDevices); err != nil {
		return fmt.Errorf("push subscribe: %w", err)
	}
	return tx.Commit()
}

// Unsubscribe removes account's subscription at endpoint; another
// account's, or none, is ENOTFOUND.
func (s *Store) Unsubscribe(ctx context.Context, account int64, endpoint string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE account_id = ? AND endpoint = ?`, account, endpoint)
	if err != nil {
		return fmt.Errorf("push unsubscribe: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Dieses Gerät ist nicht für Mitteilungen angemeldet.")
	}
	return nil
}

// device reads subscription id; sql.ErrNoRows if there is none.
func (s *Store) device(ctx context.Context, id int64) (Device, error) {
	d := Device{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT account_id, endpoint, p256dh, auth FROM push_subscriptions WHERE id = ?`, id).
		Scan(&d.AccountID, &d.Sub.Endpoint, &d.Sub.Keys.P256dh, &d.Sub.Keys.Auth)
	return d, err
}

// Devices returns the subscriptions of the accounts, oldest first.
func (s *Store) Devices(ctx context.Context, accounts ...int64) ([]Device, error) {
	var out []Device
	for _, a := range accounts {
		rows, err := s.db.QueryContext(ctx, `SELECT id, account_id, endpoint, p256dh, auth, device, created_at, last_success, failures
			FROM push_subscriptions WHERE account_id = ? ORDER BY created_at, id`, a)
		if err != nil {
			return nil, fmt.Errorf("push devices: %w", err)
		}
		for rows.Next() {
			var d Device
			var created int64
			var last sql.NullInt64
			if err := rows.Scan(&d.ID, &d.AccountID, &d.Sub.Endpoint, &d.Sub.Keys.P256dh, &d.Sub.Keys.Auth, &d.Device, &created, &last, &d.Failures); err != nil {
				rows.Close()
				return nil, fmt.Errorf("push devices: %w", err)
			}
			d.Created = time.UnixMilli(created).UTC()
			if last.Valid {
				d.LastSuccess = time.UnixMilli(last.Int64).UTC()
			}
			out = append(out, d)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Delivered records the push service's answer for subscription id: an
// acceptance resets its failures, a gone subscription is removed, any
// other refusal counts.
func (s *Store) Delivered(ctx context.Context, id int64, err error) error {
	var q string
	var args []any
	switch pe, _ := err.(*Error); {
	case err == nil:
		q, args = `UPDATE push_subscriptions SET last_success = ?, failures = 0 WHERE id = ?`, []any{s.now().UnixMilli(), id}
	case pe != nil && pe.Gone:
		q, args = `DELETE FROM push_subscriptions WHERE id = ?`, []any{id}
	default:
		q, args = `UPDATE push_subscriptions SET failures = failures + 1 WHERE id = ?`, []any{id}
	}
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("push delivered: %w", err)
	}
	return nil
}
