package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ratsmappe/ratsmappe/notify/webpush"
)

// Secrets the app servers of one installation share (see sessions'
// migration 0011_server_secrets.sql): each is a file in the data
// directory, and the database holds the installation's value.
const (
	secretKeyFile = "secret.key" // form tokens, alert links
)

// shareSecrets makes the data directory's secret files the ones the
// database holds, so that every app server on one database signs and
// checks with the same keys and sends Web Push with the one VAPID key the
// members' browsers know. The first server (or an installation moved from
// SQLite by db copy, started on its old data directory) records its own
// files; a race between two first starts is won by one insert, and the
// loser takes the winner's value.
func shareSecrets(ctx context.Context, db *sql.DB, data string) error {
	for _, s := range []struct {
		name   string
		create func() error // makes the file if there is none
	}{
		{secretKeyFile, func() error { _, err := loadKey(data); return err }},
		{webpush.KeyFile, func() error { _, err := webpush.LoadOrCreateKeys(data); return err }},
	} {
		if err := shareSecret(ctx, db, data, s.name, s.create); err != nil {
			return fmt.Errorf("shared secret %s: %w", s.name, err)
		}
	}
	return nil
}

func shareSecret(ctx context.Context, db *sql.DB, data, name string, create func() error) error {
	stored, err := storedSecret(ctx, db, name)
	if err != nil {
		return err
	}
	path := filepath.Join(data, name)
	if stored == nil {
		if err := create(); err != nil {
			return err
		}
		local, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO server_secrets (name, value, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, local, time.Now().UnixMilli()); err != nil {
			return err
		}
		if stored, err = storedSecret(ctx, db, name); err != nil {
			return err
		}
		if stored == nil {
			return errors.New("not stored")
		}
	}
	if local, err := os.ReadFile(path); err == nil && bytes.Equal(local, stored) {
		return nil
	}
	// Another server's value: written beside and renamed over, so that a
	// crash leaves the old file or the new one.
	tmp, err := os.CreateTemp(data, "."+name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(stored); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func storedSecret(ctx context.Context, db *sql.DB, name string) ([]byte, error) {
	var b []byte
	err := db.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = ?`, name).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}
