package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
)

// exclusiveClass is the first key of the PostgreSQL advisory locks of
// Exclusive; the two-key lock space does not overlap the one-key space
// that the stores' transaction locks use.
const exclusiveClass = 0x7261 // "ra"

// local holds Exclusive's locks on SQLite: one process has the file, so a
// lock in the process is a lock for everyone.
var local sync.Map // name → *sync.Mutex

// Exclusive runs f unless another holder runs a job of the same name at
// the moment, and reports whether it ran f. With several app servers on
// one PostgreSQL database, at most one of them runs a named job (the
// sweeper, a scheduler) at a time: the lock is a session-level advisory
// lock on a connection held while f runs, which PostgreSQL releases by
// itself when the holding process dies. On SQLite, which one process
// serves, the lock is in the process.
//
// f must not rely on running on the lock's connection; it uses db as
// usual.
func Exclusive(ctx context.Context, db *sql.DB, name string, f func(context.Context) error) (bool, error) {
	if DialectOf(db) != Postgres {
		mu, _ := local.LoadOrStore(name, new(sync.Mutex))
		if !mu.(*sync.Mutex).TryLock() {
			return false, nil
		}
		defer mu.(*sync.Mutex).Unlock()
		return true, f(ctx)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?, hashtext(?))`, exclusiveClass, name).Scan(&got); err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?, hashtext(?))`, exclusiveClass, name)
		if err != nil {
			// A lock left on a pooled connection would stop the job
			// everywhere: drop the connection, which releases it.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return true, f(ctx)
}
