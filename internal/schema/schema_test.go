package schema_test

import (
	"context"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// On PostgreSQL the whole list applies, and again without change.
func TestMigratePostgres(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, sqldb.Postgres)
	for i := 0; i < 2; i++ {
		if err := schema.Migrate(ctx, db); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
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
