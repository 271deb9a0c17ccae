package scale_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/demo/scale"
)

// TestMeasure times the generator at RATSMAPPE_SCALE_YEARS years on each
// database (RATSMAPPE_SCALE_DATABASES: "sqlite", "postgres" or both) and
// prints the time and the database's size, with the changes feed's
// triggers and without them (RATSMAPPE_SCALE_FEED=0), whose cost is the
// difference. A measurement, not a test: it is skipped unless the years
// are set.
//
//	RATSMAPPE_SCALE_YEARS=1 go test -count=1 -run TestMeasure -v -timeout 60m ./sessions/demo/scale
func TestMeasure(t *testing.T) {
	years, _ := strconv.Atoi(os.Getenv("RATSMAPPE_SCALE_YEARS"))
	if years < 1 {
		t.Skip("a measurement: set RATSMAPPE_SCALE_YEARS")
	}
	perYear, _ := strconv.Atoi(os.Getenv("RATSMAPPE_SCALE_MEETINGS")) // a smaller city's year
	which := os.Getenv("RATSMAPPE_SCALE_DATABASES")
	feed := os.Getenv("RATSMAPPE_SCALE_FEED") != "0"
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		if which != "" && which != string(d) {
			continue
		}
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := dbtest.Open(t, d)
			dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
			dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
			if feed {
				dbtest.Migrate(t, db, "changes", changes.Migrations(), changes.PostgresMigrations())
			}
			must(t, sessions.NewStore(db, nil).SeedLedger(ctx))
			last := time.Now()
			res, err := scale.Generate(ctx, db, scale.Options{Years: years, Seed: 1, Now: time.Now(), MeetingsPerYear: perYear, Progress: func(done, total int) {
				t.Logf("%d of %d meetings, the last 200 in %v", done, total, time.Since(last).Round(time.Millisecond))
				last = time.Now()
			}})
			must(t, err)
			t.Logf("%s, %d year(s), changes feed %v: %v; %+v", d, years, feed, res.Elapsed.Round(time.Second), *res)
			t.Logf("database size %d MB; %d rows in the changes feed", size(t, db, d)>>20, feedRows(t, db, feed))
		})
	}
}

func size(t *testing.T, db *sql.DB, d sqldb.Dialect) int64 {
	t.Helper()
	var n int64
	q := `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`
	if d == sqldb.Postgres {
		q = `SELECT pg_database_size(current_database())`
	}
	must(t, db.QueryRow(q).Scan(&n))
	return n
}

func feedRows(t *testing.T, db *sql.DB, feed bool) int {
	if !feed {
		return 0
	}
	return count(t, db, `SELECT COUNT(*) FROM changes`)
}
