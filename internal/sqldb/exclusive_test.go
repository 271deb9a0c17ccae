package sqldb_test

import (
	"context"
	"testing"

	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Of two app servers on one database, one runs a named job at a time; the
// other is told so and runs it once the first is done. Other jobs are not
// held up.
func TestExclusive(t *testing.T) {
	dbtest.EachDatabase(t, func(t *testing.T, d dbtest.Database) {
		ctx := context.Background()
		one, two := d.Open(t), d.Open(t) // two servers' pools
		running, release := make(chan struct{}), make(chan struct{})
		done := make(chan error)
		go func() {
			ran, err := sqldb.Exclusive(ctx, one, "sweeper", func(context.Context) error {
				close(running)
				<-release
				return nil
			})
			if err == nil && !ran {
				t.Error("the first server did not run the job")
			}
			done <- err
		}()
		<-running
		ran, err := sqldb.Exclusive(ctx, two, "sweeper", func(context.Context) error { return nil })
		if err != nil || ran {
			t.Errorf("second server while the first runs: ran %v, %v; want refused", ran, err)
		}
		ran, err = sqldb.Exclusive(ctx, two, "scheduler", func(context.Context) error { return nil })
		if err != nil || !ran {
			t.Errorf("another job: ran %v, %v; want run", ran, err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		ran, err = sqldb.Exclusive(ctx, two, "sweeper", func(context.Context) error { return nil })
		if err != nil || !ran {
			t.Errorf("second server after the first: ran %v, %v; want run", ran, err)
		}
	})
}

// A server that dies while it runs a job (kill -9, a lost network) holds
// the job no longer: PostgreSQL ends the lock with the session.
func TestExclusiveHolderDies(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t, sqldb.Postgres)
	one, two := d.Open(t), d.Open(t)
	running, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sqldb.Exclusive(ctx, one, "sweeper", func(context.Context) error {
			close(running)
			<-release
			return nil
		})
	}()
	<-running
	// The first server's session ends as its process's would (waiting
	// until it has ended, so the next step does not race it).
	if _, err := two.ExecContext(ctx, `SELECT pg_terminate_backend(pid, 10000) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND pid != pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	ran, err := sqldb.Exclusive(ctx, two, "sweeper", func(context.Context) error { return nil })
	if err != nil || !ran {
		t.Errorf("after the holder died: ran %v, %v; want run", ran, err)
	}
	close(release)
	<-done
	// The dead connection left the first server's pool: it runs the job
	// again without a stale lock in the way.
	ran, err = sqldb.Exclusive(ctx, one, "sweeper", func(context.Context) error { return nil })
	if err != nil || !ran {
		t.Errorf("first server afterwards: ran %v, %v; want run", ran, err)
	}
}
