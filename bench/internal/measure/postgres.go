package measure

import (
	"os"

	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

// PostgresDatabase creates a new, empty database on a throwaway
// PostgreSQL cluster (internal/pgtest) for a benchmark that compares with
// SQLite: the cluster keeps fsync on, as SQLite does, unless
// RATSMAPPE_TEST_POSTGRES_DURABLE says otherwise. drop removes the
// database; pgtest.Stop ends the cluster.
func PostgresDatabase() (url string, drop func() error, err error) {
	if os.Getenv("RATSMAPPE_TEST_POSTGRES_DURABLE") == "" {
		os.Setenv("RATSMAPPE_TEST_POSTGRES_DURABLE", "1")
	}
	return pgtest.NewDatabase()
}
