package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The sign-in throttle's records (the policy is web's signInThrottle):
// wrong passwords per key (an account name with a client address) and per
// client address, in the database, so that every app server of an
// installation counts one guesser's attempts together. Keys and
// addresses are stored as SHA-256 digests: the table needs to recognise
// them, not to show who tried which name from where.

// digest is the stored form of a key or address.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// SignInStrikes returns the wrong passwords recorded for key and when the
// last was (n 0 if none).
func (s *Store) SignInStrikes(ctx context.Context, key string) (n int, last time.Time, err error) {
	var ms int64
	err = s.db.QueryRowContext(ctx, `SELECT n, last FROM sign_in_strikes WHERE key = ?`, digest(key)).Scan(&n, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sign-in strikes: %w", err)
	}
	return n, time.UnixMilli(ms), nil
}

// AddSignInStrike records a wrong password for key from address at now:
// the key's count grows by one, or starts afresh at one when its last
// wrong password is forget or longer ago; the address's failures get one
// more.
func (s *Store) AddSignInStrike(ctx context.Context, key, address string, now time.Time, forget time.Duration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sign-in strike: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sign_in_strikes (key, n, last) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET n = CASE WHEN sign_in_strikes.last <= ? THEN 1 ELSE sign_in_strikes.n + 1 END, last = excluded.last`,
		digest(key), now.UnixMilli(), now.Add(-forget).UnixMilli()); err != nil {
		return fmt.Errorf("sign-in strike: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sign_in_failures (address, at) VALUES (?, ?)`, digest(address), now.UnixMilli()); err != nil {
		return fmt.Errorf("sign-in strike: %w", err)
	}
	return tx.Commit()
}

// ClearSignInStrikes forgets key's wrong passwords (after the right one);
// the address's failures stay.
func (s *Store) ClearSignInStrikes(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sign_in_strikes WHERE key = ?`, digest(key)); err != nil {
		return fmt.Errorf("clear sign-in strikes: %w", err)
	}
	return nil
}

// AddressFailures returns how many wrong passwords came from address
// since since, and the time of the oldest of them.
func (s *Store) AddressFailures(ctx context.Context, address string, since time.Time) (n int, oldest time.Time, err error) {
	var first sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(at) FROM sign_in_failures WHERE address = ? AND at > ?`,
		digest(address), since.UnixMilli()).Scan(&n, &first)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sign-in failures: %w", err)
	}
	if first.Valid {
		oldest = time.UnixMilli(first.Int64)
	}
	return n, oldest, nil
}

// sweepThrottle removes throttle records older than a day: the throttle
// forgets a key after an hour and an address's failures after fifteen
// minutes.
func (s *Store) sweepThrottle(ctx context.Context) error {
	cut := s.now().Add(-24 * time.Hour).UnixMilli()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sign_in_strikes WHERE last < ?`, cut); err != nil {
		return fmt.Errorf("sweep sign-in strikes: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE at < ?`, cut); err != nil {
		return fmt.Errorf("sweep sign-in failures: %w", err)
	}
	return nil
}
