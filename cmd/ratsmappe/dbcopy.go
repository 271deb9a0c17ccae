package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/dbcopy"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// runDB runs `ratsmappe db copy`, the one db subcommand so far.
func runDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "copy" {
		fmt.Fprintln(stderr, "usage: ratsmappe db copy --from sqlite:DATA|postgres://… --to sqlite:DATA|postgres://… [--scopes a,b]")
		return errUsage
	}
	fs := flag.NewFlagSet("db copy", flag.ContinueOnError)
	from := fs.String("from", "", "source database: sqlite:FILE-or-DATA-DIR or a postgres:// URL (a password better in PGPASSWORD or ~/.pgpass: flags show in the process list)")
	to := fs.String("to", "", "target database, empty or a copy that stopped: sqlite:FILE-or-DATA-DIR or a postgres:// URL")
	scopes := fs.String("scopes", "", "copy only these packages' tables, comma-separated (e.g. documents,annotate); default every package with data")
	batch := fs.Int("batch", 1000, "rows per committed batch")
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: ratsmappe db copy --from sqlite:DATA|postgres://… --to sqlite:DATA|postgres://… [--scopes a,b]")
		return errUsage
	}
	src, srcName, err := openCopyDatabase(ctx, *from, false)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, dstName, err := openCopyDatabase(ctx, *to, true)
	if err != nil {
		return err
	}
	defer dst.Close()
	opt := dbcopy.Options{Source: srcName, BatchRows: *batch, Progress: stderr}
	if *scopes != "" {
		opt.Scopes = strings.Split(*scopes, ",")
	}
	fmt.Fprintf(stderr, "Kopiere %s nach %s …\n", srcName, dstName)
	r, err := dbcopy.Copy(ctx, src, dst, opt)
	if r != nil {
		r.Print(stdout)
	}
	if err != nil {
		return err
	}
	if err := analyze(ctx, dst); err != nil {
		return err
	}
	var rows int64
	for _, t := range r.Tables {
		rows += t.Target.Rows
	}
	resumed := ""
	if r.Resumed {
		resumed = " (fortgesetzt / resumed)"
	}
	fmt.Fprintf(stdout, "Kopie %s%s vollständig und geprüft: %d Tabellen, %d Zeilen. / Copy complete and verified.\n", r.ID, resumed, len(r.Tables), rows)
	if sqldb.DialectOf(dst) == sqldb.SQLite {
		fmt.Fprintln(stdout, "Bauen Sie den Suchindex neu auf (ratsmappe reindex). / Rebuild the search index (ratsmappe reindex).")
	}
	return nil
}

// openCopyDatabase opens a database named as db copy's --from and --to
// take it, and returns it with a name for it that holds no password. A
// source must exist; a target SQLite file is created (in a new data
// directory, unless the name ends in .db).
func openCopyDatabase(ctx context.Context, s string, target bool) (*sql.DB, string, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		name, err := redact(s)
		if err != nil {
			return nil, "", err
		}
		db, err := postgres.Open(ctx, s)
		return db, name, err
	}
	path, ok := strings.CutPrefix(s, "sqlite:")
	if !ok || path == "" {
		return nil, "", &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: "database",
			Message:   "--from/--to: geben Sie sqlite:DATENVERZEICHNIS (oder eine .db-Datei) oder eine postgres://-URL an.",
			MessageEN: "--from/--to: give sqlite:DATA-DIR (or a .db file) or a postgres:// URL."}
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		path = filepath.Join(path, "ratsmappe.db")
	case errors.Is(err, os.ErrNotExist) && target && !strings.HasSuffix(path, ".db"):
		if err := os.MkdirAll(path, 0o750); err != nil {
			return nil, "", err
		}
		path = filepath.Join(path, "ratsmappe.db")
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, "", err
	}
	if _, err := os.Stat(path); err != nil && !target {
		return nil, "", &ratsmappe.Error{Code: ratsmappe.ENOTFOUND, Reason: "database",
			Message:   fmt.Sprintf("Die Quelle %s gibt es nicht.", path),
			MessageEN: fmt.Sprintf("The source %s does not exist.", path)}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	db, err := sqlite.Open(ctx, abs)
	return db, "sqlite:" + abs, err
}

// redact returns the URL without its password (in the user part or the
// query), for output and for the copy's record of its source.
func redact(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", ratsmappe.Errorf(ratsmappe.EINVALID, "--from/--to: the postgres:// URL is not valid")
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
