package sqldb_test

import (
	"database/sql"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// The stores answer a duplicate with ECONFLICT and a missing reference
// with ENOTFOUND on either database: both wordings are recognised, and
// neither is taken for the other.
func TestConstraintErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		for _, q := range []string{
			`CREATE TABLE parents (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)`,
			`CREATE TABLE children (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parents (id))`,
			`INSERT INTO parents (id, name) VALUES (1, 'a')`,
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		_, dup := db.Exec(`INSERT INTO parents (id, name) VALUES (2, 'a')`)
		if !sqldb.IsUnique(dup) || sqldb.IsForeignKey(dup) {
			t.Errorf("duplicate: %v, IsUnique %v, IsForeignKey %v", dup, sqldb.IsUnique(dup), sqldb.IsForeignKey(dup))
		}
		_, missing := db.Exec(`INSERT INTO children (id, parent_id) VALUES (1, 9)`)
		if !sqldb.IsForeignKey(missing) || sqldb.IsUnique(missing) {
			t.Errorf("missing parent: %v, IsForeignKey %v, IsUnique %v", missing, sqldb.IsForeignKey(missing), sqldb.IsUnique(missing))
		}
		if sqldb.IsUnique(nil) || sqldb.IsForeignKey(nil) {
			t.Error("no error taken for a constraint failure")
		}
	})
}
