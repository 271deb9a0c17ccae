package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
)

// Watch tells whether any connection of any process committed to an
// SQLite database in WAL mode, without a statement: a few microseconds
// of one read where a statement through database/sql costs tens under
// load (issue 15: the search index's "anything pending?" before every
// search).
//
// It reads the header of the WAL index (the -shm file every connection
// to the database shares; https://www.sqlite.org/walformat.html, "The
// WAL-Index Header"). Every commit publishes a new header there before
// it returns to its caller — its last frame, frame count and checksums
// change, and a WAL restarted from its start gets new salts — and a
// reader starting a transaction takes its snapshot from that header. So
// while the header read is the same, a statement run after the first
// read sees the same database as one run now. The header is written twice
// (second copy first, then the first); like SQLite's own readers, a read
// whose copies differ, or that finds the header not initialised, cannot
// tell.
//
// The Watch holds a connection of its own open for its life: while any
// connection is open, no other one removes or rebuilds the -shm file,
// so the file it reads stays the one every writer publishes to.
type Watch struct {
	db   *sql.DB
	conn *sql.Conn // held open: keeps the WAL index in place
	shm  *os.File
}

// walIndexHeader is the size of one copy of the WAL-index header.
const walIndexHeader = 48

// OpenWatch watches the database file (in WAL mode, as Open makes it).
func OpenWatch(ctx context.Context, file string) (*Watch, error) {
	db, err := Open(ctx, file)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		// A read maps and initialises the WAL index if no connection
		// has yet.
		var n int
		err = conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("watch %s: %w", file, err)
	}
	shm, err := os.Open(file + "-shm")
	if err != nil {
		conn.Close()
		db.Close()
		return nil, fmt.Errorf("watch %s: %w", file, err)
	}
	w := &Watch{db: db, conn: conn, shm: shm}
	if _, ok := w.Mark(); !ok {
		w.Close()
		return nil, fmt.Errorf("watch %s: the WAL index has no valid header", file)
	}
	return w, nil
}

// Mark returns the state of the database's commits now: two marks are
// equal only if no commit happened between the two calls. ok is false
// when it cannot tell (a header being written at this moment, or a read
// error); the caller must then ask the database.
func (w *Watch) Mark() (m [2 * walIndexHeader]byte, ok bool) {
	n, err := w.shm.ReadAt(m[:], 0)
	if err != nil || n != len(m) {
		return m, false
	}
	// isInit is the byte at offset 12 of a header.
	if m[12] == 0 || !bytes.Equal(m[:walIndexHeader], m[walIndexHeader:]) {
		return m, false
	}
	return m, true
}

// Close releases the connection and the file.
func (w *Watch) Close() error {
	err := w.shm.Close()
	w.conn.Close()
	if cerr := w.db.Close(); err == nil {
		err = cerr
	}
	return err
}
