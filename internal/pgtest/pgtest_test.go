package pgtest_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// Every test gets a database of its own: a table one test creates is not
// in the other's.
func TestDatabasePerTest(t *testing.T) {
	ctx := context.Background()
	a, b := open(t), open(t)
	if _, err := a.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(ctx, `SELECT * FROM t`); err == nil {
		t.Errorf("the second database sees the first's table")
	}
	var user string
	if err := a.QueryRowContext(ctx, `SELECT current_user`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	if got, want := user, "ratsmappe"; got != want {
		t.Errorf("user = %q, want %q", got, want)
	}
}
