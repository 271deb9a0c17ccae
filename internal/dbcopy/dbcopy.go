// Package dbcopy copies Ratsmappe's database from one database to another
// — an SQLite file to PostgreSQL and back — as `ratsmappe db copy` does:
// it migrates the target, copies every table of the packages (scopes)
// both databases have tables for, in foreign-key order and primary-key
// order, carrying ids, and then verifies the copy by comparing each
// table's row count and a hash of its canonical rows on both sides.
//
// A copy is resumable: each batch of rows commits together with the key
// of its last row in the target's db_copy_progress, so a copy that was
// killed continues where it stopped when run again with the same source.
// A target that holds anything else is refused.
//
// Which tables belong to which scope is read from the scopes' migrations,
// and the tables' columns, keys and foreign keys from each database's
// catalog, so that the copy follows the packages as they are ported to
// PostgreSQL without a list of tables kept here.
package dbcopy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Options configure a copy.
type Options struct {
	// Source names the source database without secrets (the SQLite
	// file's absolute path, or the PostgreSQL URL without its password).
	// It is recorded in the target: a resumed copy must name the same.
	Source string
	// Scopes, if set, copies only these packages' tables (and says which
	// were left). Without it, every scope that has rows in the source
	// must exist on the target's database.
	Scopes []string
	// BatchRows is the number of rows per committed batch (default 1000).
	BatchRows int
	// Progress, if set, receives a line per batch (at most one a second):
	// table n of m, rows copied, rows per second.
	Progress io.Writer
}

// Table is one copied table and its verification.
type Table struct {
	Name   string
	Scope  string
	Source Sum
	Target Sum

	cols     []string // the source's columns, in its order
	key      []string
	refs     []string
	identity []string // the target's identity columns (PostgreSQL)
}

// OK reports whether the copy of the table has the source's rows.
func (t *Table) OK() bool { return t.Source == t.Target }

// Left is a scope that was not copied.
type Left struct {
	Scope string
	Rows  int64 // rows in the source
}

// Report is what a copy did.
type Report struct {
	ID      string // the copy's id, recorded in the target
	Resumed bool   // the copy continued one that had stopped
	Tables  []*Table
	Left    []Left   // scopes not copied (--scopes)
	Unknown []string // source tables no scope's migrations create: not copied
}

// Print writes the verification as a table, one line per table.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Tabelle\tZeilen Quelle\tZeilen Ziel\tPrüfsumme Quelle\tPrüfsumme Ziel\t")
	for _, t := range r.Tables {
		ok := "ok"
		if !t.OK() {
			ok = "ABWEICHUNG / MISMATCH"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", t.Name, t.Source.Rows, t.Target.Rows, t.Source, t.Target, ok)
	}
	tw.Flush()
	for _, l := range r.Left {
		fmt.Fprintf(w, "Nicht kopiert / not copied: %s (%d Zeilen in der Quelle)\n", l.Scope, l.Rows)
	}
	for _, u := range r.Unknown {
		fmt.Fprintf(w, "Nicht kopiert / not copied: Tabelle %s gehört zu keinem Paket / belongs to no package\n", u)
	}
}

// NotPortedError says which scopes have rows in the source but no tables
// on the target's database yet. Copy returns it inside a *ratsmappe.Error.
type NotPortedError struct {
	Dialect sqldb.Dialect
	Scopes  []string
}

func (e *NotPortedError) Error() string {
	return fmt.Sprintf("not ported to %s: %s", e.Dialect, strings.Join(e.Scopes, ", "))
}

func failf(code, reason, de, en string) *ratsmappe.Error {
	return &ratsmappe.Error{Code: code, Reason: reason, Message: de, MessageEN: en}
}

// bookkeeping are tables that are not copied: each database records its
// own migrations, and the copy's own state.
var bookkeeping = map[string]bool{"schema_migrations": true, "db_copy": true, "db_copy_progress": true}

// Copy copies the database src into dst (see the package comment) and
// verifies the copy. It returns the report also when the verification
// fails, with an error (code conflict, reason "mismatch") naming the
// tables that differ.
//
// dst must be empty (no tables) or hold a copy from the same source and
// scopes that stopped or finished (which is then continued, or only
// verified again); anything else is refused (conflict, "target_not_empty").
// Rows the source gains while a copy runs make the verification fail:
// copy from a database no server writes to.
func Copy(ctx context.Context, src, dst *sql.DB, opt Options) (*Report, error) {
	if opt.BatchRows <= 0 {
		opt.BatchRows = 1000
	}
	c := &copier{src: src, dst: dst, opt: opt, sd: sqldb.DialectOf(src), td: sqldb.DialectOf(dst)}
	return c.run(ctx)
}

type copier struct {
	src, dst *sql.DB
	sd, td   sqldb.Dialect
	opt      Options
	report   Report
	counts   map[string]int64 // rows per source table
}

func (c *copier) run(ctx context.Context) (*Report, error) {
	srcTables, err := catalog(ctx, c.src)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if _, ok := srcTables["schema_migrations"]; !ok {
		return nil, failf(ratsmappe.EINVALID, "not_ratsmappe",
			"Die Quelle ist keine Ratsmappe-Datenbank (keine Tabelle schema_migrations).",
			"The source is not a Ratsmappe database (no schema_migrations table).")
	}
	scopes, tables, err := c.choose(ctx, srcTables)
	if err != nil {
		return nil, err
	}
	if err := c.begin(ctx, scopes); err != nil {
		return nil, err
	}
	for _, s := range schema.Scopes() {
		if files := s.For(c.td); files != nil {
			if err := sqldb.Migrate(ctx, c.dst, s.Name, files); err != nil {
				return nil, fmt.Errorf("target: %w", err)
			}
		}
	}
	if err := c.sameMigrations(ctx, scopes); err != nil {
		return nil, err
	}
	if err := c.prepare(ctx, tables); err != nil {
		return nil, err
	}
	if tables, err = order(tables); err != nil {
		var re *refError
		if errors.As(err, &re) {
			return nil, failf(ratsmappe.EINVALID, "missing_reference",
				fmt.Sprintf("Die Tabelle %s verweist auf %s, die nicht mitkopiert wird: nehmen Sie deren Paket in --scopes auf.", re.table, re.ref),
				fmt.Sprintf("Table %s refers to %s, which is not copied: add its package to --scopes.", re.table, re.ref))
		}
		return nil, err
	}
	c.report.Tables = tables
	if err := c.clear(ctx, tables); err != nil {
		return nil, err
	}
	for i, t := range tables {
		if err := c.copyTable(ctx, t, i+1, len(tables)); err != nil {
			return nil, err
		}
	}
	if _, err := c.dst.ExecContext(ctx, `UPDATE db_copy SET finished_at = ? WHERE finished_at IS NULL`, now()); err != nil {
		return nil, err
	}
	return &c.report, c.verify(ctx)
}

type refError struct{ table, ref string }

func (e *refError) Error() string { return e.table + " refers to " + e.ref + ", which is not copied" }

// choose picks the scopes to copy and their tables in the source.
func (c *copier) choose(ctx context.Context, srcTables map[string]*tableInfo) ([]string, []*Table, error) {
	all := schema.Scopes()
	claimed := map[string]bool{}
	byScope := map[string][]*Table{}
	rows := map[string]int64{}
	c.counts = map[string]int64{}
	for _, s := range all {
		names, err := scopeTables(s.Migrations)
		if err != nil {
			return nil, nil, err
		}
		for _, n := range names {
			info, ok := srcTables[n]
			if !ok || claimed[n] {
				continue
			}
			claimed[n] = true
			var k int64
			if err := c.src.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quote(n)).Scan(&k); err != nil {
				return nil, nil, fmt.Errorf("source: count %s: %w", n, err)
			}
			c.counts[n] = k
			rows[s.Name] += k
			byScope[s.Name] = append(byScope[s.Name], &Table{Name: n, Scope: s.Name, cols: info.cols, key: info.key, refs: info.refs})
		}
	}
	for n := range srcTables {
		if !claimed[n] && !bookkeeping[n] {
			c.report.Unknown = append(c.report.Unknown, n)
		}
	}
	sort.Strings(c.report.Unknown)

	ported := func(s schema.Scope) bool { return s.For(c.td) != nil && s.For(c.sd) != nil }
	var chosen, missing []string
	if len(c.opt.Scopes) > 0 {
		for _, name := range c.opt.Scopes {
			if !slices.ContainsFunc(all, func(s schema.Scope) bool { return s.Name == name }) {
				return nil, nil, failf(ratsmappe.EINVALID, "unknown_scope",
					fmt.Sprintf("Unbekanntes Paket %q in --scopes.", name), fmt.Sprintf("Unknown package %q in --scopes.", name))
			}
		}
	}
	for _, s := range all {
		want := len(c.opt.Scopes) == 0 || slices.Contains(c.opt.Scopes, s.Name)
		switch {
		case want && ported(s):
			chosen = append(chosen, s.Name)
		case want && (len(c.opt.Scopes) > 0 || rows[s.Name] > 0):
			missing = append(missing, s.Name)
		case !want && rows[s.Name] > 0:
			c.report.Left = append(c.report.Left, Left{s.Name, rows[s.Name]})
		}
	}
	if len(missing) > 0 {
		de, en := make([]string, len(missing)), make([]string, len(missing))
		for i, m := range missing {
			de[i] = fmt.Sprintf("%s (%d Zeilen)", m, rows[m])
			en[i] = fmt.Sprintf("%s (%d rows)", m, rows[m])
		}
		e := failf(ratsmappe.EUNSUPPORTED, "not_ported",
			fmt.Sprintf("Diese Pakete haben Daten in der Quelle, aber noch keine Tabellen auf %s: %s. Kopieren Sie nur die übrigen mit --scopes %s.",
				c.td, strings.Join(de, ", "), strings.Join(chosen, ",")),
			fmt.Sprintf("These packages have data in the source but no tables on %s yet: %s. Copy only the others with --scopes %s.",
				c.td, strings.Join(en, ", "), strings.Join(chosen, ",")))
		e.Err = &NotPortedError{Dialect: c.td, Scopes: missing}
		return nil, nil, e
	}
	var tables []*Table
	for _, s := range chosen {
		tables = append(tables, byScope[s]...)
	}
	return chosen, tables, nil
}

// begin marks the target as a copy of this source, or checks that it is
// one, before anything else is written to it: a copy killed at any point
// after this is recognised when it is run again.
func (c *copier) begin(ctx context.Context, scopes []string) error {
	dstTables, err := strings1(ctx, c.dst, tablesQuery(c.td))
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	scopeList := strings.Join(scopes, ",")
	if slices.Contains(dstTables, "db_copy") {
		var id, source, recorded string
		err := c.dst.QueryRowContext(ctx, `SELECT id, source, scopes FROM db_copy`).Scan(&id, &source, &recorded)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("target: %w", err)
		}
		if err == nil && source == c.opt.Source && recorded == scopeList {
			c.report.ID, c.report.Resumed = id, true
			return nil
		}
		return failf(ratsmappe.ECONFLICT, "target_not_empty",
			fmt.Sprintf("Das Ziel enthält eine andere Kopie (von %s, Pakete %s); geben Sie eine leere Datenbank an.", source, recorded),
			fmt.Sprintf("The target holds another copy (of %s, packages %s); give an empty database.", source, recorded))
	}
	if len(dstTables) > 0 {
		return failf(ratsmappe.ECONFLICT, "target_not_empty",
			fmt.Sprintf("Das Ziel ist nicht leer (%d Tabellen); db copy schreibt nur in eine leere Datenbank.", len(dstTables)),
			fmt.Sprintf("The target is not empty (%d tables); db copy writes only into an empty database.", len(dstTables)))
	}
	var r [8]byte
	rand.Read(r[:])
	c.report.ID = hex.EncodeToString(r[:])
	tx, err := c.dst.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`CREATE TABLE db_copy (
			id          TEXT PRIMARY KEY,
			source      TEXT NOT NULL,
			scopes      TEXT NOT NULL,
			started_at  TEXT NOT NULL,
			cleared     INTEGER NOT NULL DEFAULT 0,
			finished_at TEXT
		)`,
		`CREATE TABLE db_copy_progress (
			table_name TEXT PRIMARY KEY,
			last_key   TEXT,
			rows       BIGINT NOT NULL,
			done       INTEGER NOT NULL
		)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("target: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO db_copy (id, source, scopes, started_at) VALUES (?, ?, ?, ?)`,
		c.report.ID, c.opt.Source, scopeList, now()); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	return tx.Commit()
}

func tablesQuery(d sqldb.Dialect) string {
	if d == sqldb.Postgres {
		return `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	return `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
}

// sameMigrations checks that source and target have applied the same
// migrations of each copied scope: then their tables have the same
// columns.
func (c *copier) sameMigrations(ctx context.Context, scopes []string) error {
	for _, s := range scopes {
		q := `SELECT name FROM schema_migrations WHERE name LIKE ? ORDER BY name`
		a, err := strings1(ctx, c.src, q, s+"/%")
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		b, err := strings1(ctx, c.dst, q, s+"/%")
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		if !slices.Equal(a, b) {
			return failf(ratsmappe.EUNSUPPORTED, "schema_version",
				fmt.Sprintf("Die Quelle hat andere Migrationen von %s als diese Version von Ratsmappe (%d statt %d): starten Sie Ratsmappe dieser Version einmal mit der Quelle.", s, len(a), len(b)),
				fmt.Sprintf("The source has other migrations of %s than this version of Ratsmappe (%d instead of %d): start this version of Ratsmappe once on the source.", s, len(a), len(b)))
		}
	}
	return nil
}

// prepare checks each table's columns against the migrated target and
// learns the target's identities and foreign keys.
func (c *copier) prepare(ctx context.Context, tables []*Table) error {
	dstTables, err := catalog(ctx, c.dst)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	for _, t := range tables {
		d, ok := dstTables[t.Name]
		a, b := slices.Sorted(slices.Values(t.cols)), []string(nil)
		if ok {
			b = slices.Sorted(slices.Values(d.cols))
		}
		if !slices.Equal(a, b) {
			return failf(ratsmappe.EUNSUPPORTED, "columns_differ",
				fmt.Sprintf("Die Tabelle %s hat in Quelle und Ziel verschiedene Spalten (%s / %s).", t.Name, strings.Join(a, ","), strings.Join(b, ",")),
				fmt.Sprintf("Table %s has different columns in source and target (%s / %s).", t.Name, strings.Join(a, ","), strings.Join(b, ",")))
		}
		t.identity = d.identity
		for _, r := range d.refs {
			if !slices.Contains(t.refs, r) {
				t.refs = append(t.refs, r)
			}
		}
	}
	return nil
}

// clear empties the copied tables of a new copy once, in one transaction:
// the migrations just applied may have seeded rows (annotate's counter
// row) that the source's rows replace.
func (c *copier) clear(ctx context.Context, tables []*Table) error {
	var cleared int
	if err := c.dst.QueryRowContext(ctx, `SELECT cleared FROM db_copy`).Scan(&cleared); err != nil || cleared == 1 {
		return err
	}
	tx, err := c.dst.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := len(tables) - 1; i >= 0; i-- {
		t := tables[i]
		if err := c.withoutTriggers(ctx, tx, t.Name, func() error {
			_, err := tx.ExecContext(ctx, `DELETE FROM `+quote(t.Name))
			return err
		}); err != nil {
			return fmt.Errorf("target: clear %s: %w", t.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE db_copy SET cleared = 1`); err != nil {
		return err
	}
	return tx.Commit()
}

// withoutTriggers runs f in tx with the target table's triggers off: the
// immutability triggers must not refuse clearing seeded rows, and the
// changes-feed and outbox triggers must not add rows for copied ones
// (their tables are copied as they are, or stay empty until a reindex).
//
// On PostgreSQL, ALTER TABLE … DISABLE TRIGGER USER (the table's owner
// may, unlike session_replication_role, which needs a superuser, and it
// keeps the foreign keys checked); on SQLite the table's triggers are
// dropped and created again from their recorded SQL. Both are DDL inside
// tx, so a copy killed in a batch leaves the triggers as they were.
func (c *copier) withoutTriggers(ctx context.Context, tx *sql.Tx, table string, f func() error) error {
	if c.td == sqldb.Postgres {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quote(table)+` DISABLE TRIGGER USER`); err != nil {
			return err
		}
		if err := f(); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `ALTER TABLE `+quote(table)+` ENABLE TRIGGER USER`)
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY name`, table)
	if err != nil {
		return err
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			rows.Close()
			return err
		}
		names, defs = append(names, n), append(defs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+quote(n)); err != nil {
			return err
		}
	}
	if err := f(); err != nil {
		return err
	}
	for _, d := range defs {
		if _, err := tx.ExecContext(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// copyTable copies the rows of t after the key recorded in
// db_copy_progress, a batch per transaction.
func (c *copier) copyTable(ctx context.Context, t *Table, n, of int) error {
	var last sql.NullString
	var copied int64
	var done int
	err := c.dst.QueryRowContext(ctx, `SELECT last_key, rows, done FROM db_copy_progress WHERE table_name = ?`, t.Name).Scan(&last, &copied, &done)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("target: %w", err)
	}
	if done == 1 {
		return nil
	}
	var after []any
	if last.Valid {
		if after, err = decodeKey(last.String); err != nil {
			return err
		}
	}
	keyAt := make([]int, len(t.key))
	for i, k := range t.key {
		keyAt[i] = slices.Index(t.cols, k)
	}
	batch := min(c.opt.BatchRows, 30000/len(t.cols)) // under both databases' limit of parameters
	start, printed, startRows := time.Now(), time.Time{}, copied
	for {
		rows, err := c.readBatch(ctx, t, after, batch)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			last := rows[len(rows)-1]
			after = make([]any, len(keyAt))
			for i, at := range keyAt {
				after[i] = last[at]
			}
		}
		finished := len(rows) < batch
		if err := c.writeBatch(ctx, t, rows, after, copied+int64(len(rows)), finished); err != nil {
			return fmt.Errorf("target: %s: %w", t.Name, err)
		}
		copied += int64(len(rows))
		if c.opt.Progress != nil && (finished || time.Since(printed) >= time.Second) {
			printed = time.Now()
			fmt.Fprintf(c.opt.Progress, "[%d/%d] %s: %d/%d Zeilen, %.0f Zeilen/s\n",
				n, of, t.Name, copied, c.counts[t.Name], rate(copied-startRows, time.Since(start)))
		}
		if finished {
			return nil
		}
	}
}

func (c *copier) readBatch(ctx context.Context, t *Table, after []any, limit int) ([][]any, error) {
	q := `SELECT ` + quoteAll(t.cols) + ` FROM ` + quote(t.Name)
	args := append([]any(nil), after...)
	if after != nil {
		q += ` WHERE (` + quoteAll(t.key) + `) > (` + placeholders(len(after)) + `)`
	}
	q += ` ORDER BY ` + quoteAll(t.key) + ` LIMIT ?`
	args = append(args, limit)
	rows, err := c.src.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("source: %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		row, ptrs := scanTargets(len(t.cols))
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("source: %s: %w", t.Name, err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source: %s: %w", t.Name, err)
	}
	return out, nil
}

// writeBatch inserts rows and records the progress in one transaction;
// with the table's last batch it also moves the PostgreSQL identities
// past the copied ids, so that the next row a store inserts gets a new
// one.
func (c *copier) writeBatch(ctx context.Context, t *Table, rows [][]any, last []any, copied int64, finished bool) error {
	tx, err := c.dst.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if len(rows) > 0 {
		q := `INSERT INTO ` + quote(t.Name) + ` (` + quoteAll(t.cols) + `)`
		if len(t.identity) > 0 {
			q += ` OVERRIDING SYSTEM VALUE` // carry the ids, also of GENERATED ALWAYS
		}
		one := `(` + placeholders(len(t.cols)) + `)`
		q += ` VALUES ` + strings.Repeat(one+`, `, len(rows)-1) + one
		args := make([]any, 0, len(rows)*len(t.cols))
		for _, r := range rows {
			args = append(args, r...)
		}
		if err := c.withoutTriggers(ctx, tx, t.Name, func() error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}); err != nil {
			return err
		}
	}
	var key any
	if last != nil {
		k, err := encodeKey(last)
		if err != nil {
			return err
		}
		key = k
	}
	done := 0
	if finished {
		done = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO db_copy_progress (table_name, last_key, rows, done) VALUES (?, ?, ?, ?)
		ON CONFLICT (table_name) DO UPDATE SET last_key = excluded.last_key, rows = excluded.rows, done = excluded.done`,
		t.Name, key, copied, done); err != nil {
		return err
	}
	if finished {
		for _, col := range t.identity {
			m := `(SELECT MAX(` + quote(col) + `) FROM ` + quote(t.Name) + `)`
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(`+m+`, 1), `+m+` IS NOT NULL)`,
				quote(t.Name), col); err != nil {
				return fmt.Errorf("setval %s: %w", col, err)
			}
		}
	}
	return tx.Commit()
}

// verify sums every copied table on both sides.
func (c *copier) verify(ctx context.Context) error {
	var bad []string
	for _, t := range c.report.Tables {
		var err error
		if t.Source, err = sumTable(ctx, c.src, t.Name, t.cols); err != nil {
			return fmt.Errorf("source: %w", err)
		}
		if t.Target, err = sumTable(ctx, c.dst, t.Name, t.cols); err != nil {
			return fmt.Errorf("target: %w", err)
		}
		if !t.OK() {
			bad = append(bad, t.Name)
		}
	}
	if len(bad) > 0 {
		list := strings.Join(bad, ", ")
		return failf(ratsmappe.ECONFLICT, "mismatch",
			"Die Kopie weicht von der Quelle ab in: "+list+". Wurde in die Quelle während der Kopie geschrieben?",
			"The copy differs from the source in: "+list+". Was the source written to during the copy?")
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
