package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
)

// A backup is a directory: ratsmappe.db (a consistent SQLite snapshot made
// with VACUUM INTO while the server may keep running; for PostgreSQL see
// backup_postgres.go), blobs/ (every blob
// a version refers to, in the directory store's layout, each verified by
// its SHA-256 on the way in) and manifest.json (what is in it, with the
// database's SHA-256), written last — a backup without a manifest is
// incomplete.

type manifest struct {
	Created    time.Time   `json:"created"`
	Format     string      `json:"format,omitempty"` // "" (an SQLite file) or formatPostgres
	Database   string      `json:"database_sha256"`
	Documents  int         `json:"documents"`
	Versions   int         `json:"versions"`
	Blobs      []blobEntry `json:"blobs"`
	BlobsBytes int64       `json:"blobs_bytes"`
}

type blobEntry struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	cfg.register(fs, "warn")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	d, err := databaseDialect(cfg.Database)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: ratsmappe backup [flags] DIR")
		return errUsage
	}
	dir := fs.Arg(0)
	if err := emptyDir(dir); err != nil {
		return err
	}
	if d == sqldb.Postgres {
		return backupPostgres(ctx, cfg, dir, stdout, stderr)
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	dbFile := filepath.Join(dir, "ratsmappe.db")
	if _, err := app.DB.ExecContext(ctx, `VACUUM INTO ?`, dbFile); err != nil {
		return fmt.Errorf("snapshot database: %w", err)
	}
	snap, err := sqlite.Open(ctx, dbFile)
	if err != nil {
		return err
	}
	defer snap.Close()
	m := manifest{Created: time.Now().UTC()}
	if err := snap.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM versions)`).Scan(&m.Documents, &m.Versions); err != nil {
		return err
	}
	keys, err := referencedBlobs(ctx, snap)
	if err != nil {
		return err
	}
	snap.Close()
	return finishBackup(ctx, app, cfg, dir, dbFile, keys, &m, stdout, stderr)
}

// finishBackup copies the blobs of keys and the Web Push key into the
// backup in dir, and writes its manifest m (for the database file
// dbFile) last.
func finishBackup(ctx context.Context, app *App, cfg Config, dir, dbFile string, keys []string, m *manifest, stdout, stderr io.Writer) error {
	out, err := fsblob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		return err
	}
	for i, k := range keys {
		size, err := copyBlob(ctx, app.Docs.Blobs(), out, k)
		if err != nil {
			return fmt.Errorf("blob %s: %w", k, err)
		}
		m.Blobs = append(m.Blobs, blobEntry{k, size})
		m.BlobsBytes += size
		if isTerminal(stderr) {
			fmt.Fprintf(stderr, "\rBlobs: %d/%d", i+1, len(keys))
		}
	}
	if err := copySecret(filepath.Join(cfg.Data, webpush.KeyFile), filepath.Join(dir, webpush.KeyFile)); err != nil {
		return err
	}
	if m.Database, err = fileSHA256(dbFile); err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(dir, "manifest.json"), m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Sicherung in %s: %d Dokumente, %d Versionen, %d Blobs (%.1f MB).\n", dir, m.Documents, m.Versions, len(m.Blobs), float64(m.BlobsBytes)/1e6)
	return nil
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	cfg.register(fs, "warn")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	d, err := databaseDialect(cfg.Database)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: ratsmappe restore [--data EMPTY-DIR] BACKUP-DIR")
		return errUsage
	}
	dir := fs.Arg(0)
	var m manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "%s is not a complete backup (no manifest.json)", dir)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	dbFile := filepath.Join(dir, "ratsmappe.db")
	if m.Format == formatPostgres {
		dbFile = filepath.Join(dir, pgDumpFile)
	}
	if sum, err := fileSHA256(dbFile); err != nil || sum != m.Database {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "the backup's database does not match its manifest; it is damaged")
	}
	if (m.Format == formatPostgres) != (d == sqldb.Postgres) {
		return ratsmappe.Errorf(ratsmappe.EINVALID,
			"this backup is of a %s database; restore it into one (for the other kind, restore it and move it with ratsmappe db copy)", m.format())
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return err
	}
	if d == sqldb.Postgres {
		if err := restorePostgres(ctx, cfg, dbFile, stderr); err != nil {
			return err
		}
	} else {
		if _, err := os.Stat(filepath.Join(cfg.Data, "ratsmappe.db")); err == nil {
			return ratsmappe.Errorf(ratsmappe.ECONFLICT, "%s already holds a database; restore only into an empty data directory", cfg.Data)
		}
		if err := copyFile(dbFile, filepath.Join(cfg.Data, "ratsmappe.db")); err != nil {
			return err
		}
	}
	// The Web Push key: without it every device's subscription breaks.
	if err := copySecret(filepath.Join(dir, webpush.KeyFile), filepath.Join(cfg.Data, webpush.KeyFile)); err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	in, err := fsblob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		return err
	}
	for _, e := range m.Blobs {
		if _, err := copyBlob(ctx, in, app.Docs.Blobs(), e.Key); err != nil {
			return fmt.Errorf("blob %s: %w", e.Key, err)
		}
	}
	// Every version must find both its blobs.
	keys, err := referencedBlobs(ctx, app.DB)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := app.Docs.Blobs().Stat(ctx, k); err != nil {
			return fmt.Errorf("after restore, blob %s is missing: %w", k, err)
		}
	}
	fmt.Fprintf(stdout, "Wiederhergestellt nach %s: %d Dokumente, %d Versionen, %d Blobs.\n", cfg.Data, m.Documents, m.Versions, len(m.Blobs))
	return nil
}

// referencedBlobs returns every blob key a version refers to, sorted.
func referencedBlobs(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT sha256 FROM versions UNION SELECT original_sha256 FROM versions ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

func copyBlob(ctx context.Context, from, to documents.BlobStore, key string) (int64, error) {
	info, err := from.Stat(ctx, key)
	if err != nil {
		return 0, err
	}
	rc, err := from.Get(ctx, key, 0, -1)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	// Put verifies the SHA-256: a damaged blob fails here, not at restore.
	return info.Size, to.Put(ctx, key, rc, info.Size)
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o750)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return ratsmappe.Errorf(ratsmappe.ECONFLICT, "%s is not empty; a backup goes into a new directory", dir)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// copySecret copies the key file from to to, readable by the owner only;
// a missing file is no error (a data directory before its first serve).
func copySecret(from, to string) error {
	b, err := os.ReadFile(from)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
