package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// endless runs until its context ends, on both databases.
const endless = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c`

// runEndless runs endless until ctx ends and checks that it ended so.
func runEndless(ctx context.Context, t *testing.T, db *sql.DB) {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(ctx, endless).Scan(&n); ctx.Err() == nil {
		t.Errorf("endless statement: %v before its context's end", err)
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, db *sql.DB, what string, cond func(sql.DBStats) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(db.Stats()); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s: %+v", what, db.Stats())
		}
	}
}

// TestCanceledStatementEndsByItsContext: a statement whose context ends (a
// client that left) fails with the context's error, on both databases, so
// that a client that left is not logged as an internal error; and the
// pool's next statement runs. On PostgreSQL the statement was once
// canceled on the server by a cancel request, which came back as the
// server's "canceling statement due to user request" and could, on a
// loaded machine, cancel the next request's statement on the same
// connection instead (issue 15).
func TestCanceledStatementEndsByItsContext(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		db.SetMaxOpenConns(1)
		ctx := context.Background()
		for range 3 {
			cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			var n int64
			err := db.QueryRowContext(cctx, endless).Scan(&n)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("endless statement past its deadline: %v, want the context's error", err)
			}
			var one int
			if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
				t.Fatalf("the next statement: %v", err)
			}
		}
	})
}

// TestGoneClientsStatementKeepsItsConnection: a statement whose context
// ends but which finishes soon after (a page's statement when its client
// leaves, as 32 do at a load's end) completes, or fails with the context's
// error, and leaves its connection, the same server process, in the pool. pgx closed
// it at once, and the next burst waited for new server processes (issue
// 15). PostgreSQL only: SQLite's connections are not processes.
func TestGoneClientsStatementKeepsItsConnection(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	pid := func() int {
		t.Helper()
		var p int
		if err := db.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := pid()
	for range 3 {
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := db.ExecContext(cctx, `SELECT pg_sleep(0.2)`)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a statement past its deadline: %v, want its result or the context's error", err)
		}
	}
	if after := pid(); after != before {
		t.Errorf("server process %d after the statements, %d before: the connection was closed", after, before)
	}
	if st := db.Stats(); st.MaxIdleTimeClosed+st.MaxLifetimeClosed+st.MaxIdleClosed != 0 {
		t.Errorf("pool closed connections: %+v", st)
	}
}

// TestCanceledStatementsLeaveThePoolUsable is what a load's first and
// last second look like to the pool (issue 15): statements end by their
// contexts while more requests wait for a connection than there are. Every
// waiting request must get a working connection. On PostgreSQL,
// database/sql handed the connections pgx had closed to the waiters, and a
// waiter that drew three of them failed with "driver: bad connection".
func TestCanceledStatementsLeaveThePoolUsable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		const busy, waiters = 6, 24
		db.SetMaxOpenConns(busy)
		ctx := context.Background()
		for round := range 3 {
			var wg sync.WaitGroup
			var cancels []context.CancelFunc
			for range busy {
				bctx, cancel := context.WithCancel(ctx)
				cancels = append(cancels, cancel)
				wg.Add(1)
				go func() {
					defer wg.Done()
					runEndless(bctx, t, db)
				}()
			}
			waitFor(t, db, "the endless statements start", func(s sql.DBStats) bool { return s.InUse == busy })
			queued := db.Stats().WaitCount
			var mu sync.Mutex
			var failed []error
			for range waiters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var one int
					if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
						mu.Lock()
						failed = append(failed, err)
						mu.Unlock()
					}
				}()
			}
			waitFor(t, db, "the requests wait", func(s sql.DBStats) bool { return s.WaitCount >= queued+waiters })
			for _, cancel := range cancels {
				cancel()
				time.Sleep(10 * time.Millisecond)
			}
			wg.Wait()
			if len(failed) > 0 {
				t.Fatalf("round %d: %d of %d requests waiting while statements were canceled failed: %v", round, len(failed), waiters, errors.Join(failed...))
			}
		}
	})
}

// TestWarm: a server's pool on PostgreSQL is open before its first burst
// (but two connections); on SQLite Warm does nothing.
func TestWarm(t *testing.T) {
	dbtest.EachDatabase(t, func(t *testing.T, d dbtest.Database) {
		db := d.Open(t)
		postgres.Warm(context.Background(), db)
		st := db.Stats()
		want := st.MaxOpenConnections - 2
		if d.Dialect == sqldb.SQLite {
			want = 1 // Open's ping
		}
		if st.Idle != want || st.OpenConnections != want {
			t.Errorf("after Warm: %d open, %d idle, want %d of each", st.OpenConnections, st.Idle, want)
		}
	})
}

// TestWarmBesideAWorker: Warm at a server's start, while its workers run,
// one of them holding a connection in a transaction while it asks for
// another: neither waits for the other for good. (Warm first took every
// connection and waited for the last, held by the worker, which waited
// for one of Warm's: the server never answered.)
func TestWarmBesideAWorker(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 3 { // workers, each with a transaction
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
	}
	done := make(chan struct{})
	go func() {
		postgres.Warm(ctx, db)
		close(done)
	}()
	var one int
	for range 3 { // each worker's second connection
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := db.QueryRowContext(qctx, `SELECT 1`).Scan(&one)
		cancel()
		if err != nil {
			t.Fatalf("a worker's second connection beside Warm: %v", err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Warm did not return")
	}
}
