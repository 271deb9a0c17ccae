package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// A backup of a PostgreSQL installation holds, instead of ratsmappe.db,
// ratsmappe.pgdump: pg_dump's custom format, taken from the snapshot of a
// repeatable-read transaction in which the blob list is read too — so
// the dump and the blobs it names are one moment of the database, while
// the app servers keep writing. The manifest says "format": "postgres".
const (
	formatPostgres = "postgres"
	pgDumpFile     = "ratsmappe.pgdump"
)

func (m manifest) format() string {
	if m.Format == formatPostgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

func backupPostgres(ctx context.Context, cfg Config, dir string, stdout, stderr io.Writer) error {
	pgDump, err := pgTool("pg_dump")
	if err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	m := manifest{Created: time.Now().UTC(), Format: formatPostgres}
	// The snapshot lives as long as the transaction that exported it: the
	// blob list is read in it, and pg_dump runs while it is open.
	tx, err := app.DB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("snapshot database: %w", err)
	}
	defer tx.Rollback()
	var snapshot string
	if err := tx.QueryRowContext(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return fmt.Errorf("snapshot database: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM versions)`).Scan(&m.Documents, &m.Versions); err != nil {
		return err
	}
	keys, err := referencedBlobs(ctx, tx)
	if err != nil {
		return err
	}
	dbFile := filepath.Join(dir, pgDumpFile)
	target, env, err := pgTarget(cfg.Database)
	if err != nil {
		return err
	}
	if err := runPGTool(ctx, pgDump, env, "--format=custom", "--no-owner", "--no-privileges", "--snapshot="+snapshot,
		"--file="+dbFile, "--dbname="+target); err != nil {
		return fmt.Errorf("pg_dump: %w", err)
	}
	if err := tx.Rollback(); err != nil {
		return err
	}
	return finishBackup(ctx, app, cfg, dir, dbFile, keys, &m, stdout, stderr)
}

// restorePostgres loads the dump into the database of cfg, which must be
// empty (no tables): restoring over a live installation would mix two.
func restorePostgres(ctx context.Context, cfg Config, dump string, stderr io.Writer) error {
	pgRestore, err := pgTool("pg_restore")
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	var tables int
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables)
	db.Close()
	if err != nil {
		return err
	}
	if tables > 0 {
		return ratsmappe.Errorf(ratsmappe.ECONFLICT, "the database already holds %d tables; restore only into an empty database (createdb a new one)", tables)
	}
	target, env, err := pgTarget(cfg.Database)
	if err != nil {
		return err
	}
	if err := runPGTool(ctx, pgRestore, env, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
		"--dbname="+target, dump); err != nil {
		return fmt.Errorf("pg_restore: %w", err)
	}
	// A dump holds no planner statistics.
	if db, err = openDatabase(ctx, cfg); err != nil {
		return err
	}
	defer db.Close()
	return analyze(ctx, db)
}

// pgTarget is the database URL for a PostgreSQL tool without its
// password, which goes into the tool's environment (PGPASSWORD) instead:
// a command line shows in the process list.
func pgTarget(dbURL string) (string, []string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", nil, ratsmappe.Errorf(ratsmappe.EINVALID, "--database: the postgres:// URL is not valid")
	}
	env := os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	// pgx's own parameters mean nothing to libpq.
	q := u.Query()
	for k := range q {
		switch k {
		case "pool_max_conns", "pool_min_conns", "pool_max_conn_lifetime", "pool_max_conn_idle_time", "pool_health_check_period":
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), env, nil
}

func runPGTool(ctx context.Context, tool string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// pgTool finds a PostgreSQL client tool: RATSMAPPE_PG_BIN/name, else the
// newest /usr/lib/postgresql/*/bin/name (Debian's layout), else name in
// PATH. Its major version must be at least the server's; the newest
// installed is the best guess.
func pgTool(name string) (string, error) {
	if d := os.Getenv("RATSMAPPE_PG_BIN"); d != "" {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("RATSMAPPE_PG_BIN: %w", err)
		}
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a > b
	})
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", ratsmappe.Errorf(ratsmappe.EUNAVAILABLE,
		"%s is needed to back up or restore a PostgreSQL database: install PostgreSQL's client tools (Debian: postgresql-client) or set RATSMAPPE_PG_BIN", name)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
