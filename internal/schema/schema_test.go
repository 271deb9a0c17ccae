package schema_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Until every package's tables are ported, a PostgreSQL database is
// refused before anything is created in it, with the packages missing.
func TestMigrateRefusesHalfASchema(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, sqldb.Postgres)
	err := schema.Migrate(ctx, db)
	if err == nil {
		t.Skip("every package runs on PostgreSQL: this test has done its job, remove it")
	}
	named := err.Error()[strings.LastIndex(err.Error(), ":"):]
	for _, s := range schema.Scopes() {
		if ported := s.For(sqldb.Postgres) != nil; ported == strings.Contains(named, s.Name) {
			t.Errorf("err = %v; %s has PostgreSQL migrations: %v", err, s.Name, ported)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tables created by a refused migration", n)
	}
}

// On SQLite the whole list applies, and again without change.
func TestMigrateSQLite(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, sqldb.SQLite)
	for i := 0; i < 2; i++ {
		if err := schema.Migrate(ctx, db); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
}

// MigratePorted applies what is ported, on each database, and again
// without change.
func TestMigratePorted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if err := schema.MigratePorted(ctx, db); err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_outbox`).Scan(&n); err != nil {
			t.Errorf("the indexer's outbox: %v", err)
		}
	})
}
