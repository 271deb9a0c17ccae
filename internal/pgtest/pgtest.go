// Package pgtest gives tests a real PostgreSQL server: the one named by
// RATSMAPPE_TEST_POSTGRES_URL if that is set, else a throwaway cluster it
// creates with the initdb of Debian's postgresql package (or of PATH) in a
// temporary directory, listening on a free loopback port and on a unix
// socket in that directory, and removes afterwards. As root it runs the
// cluster as "nobody", since PostgreSQL refuses to run as root.
//
// RATSMAPPE_TEST_POSTGRES_BIN names the directory of initdb and postgres
// if they are elsewhere; RATSMAPPE_TEST_POSTGRES_DURABLE=1 keeps fsync on,
// for benchmarks that compare with SQLite.
//
// The server is started once per test binary, on the first URL;
// every test gets a database of its own, dropped when the test ends. The
// package's TestMain ends the server, with Stop or as Main does:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/internal/servertest"
)

// readyTimeout bounds the wait for a started server to accept connections.
const readyTimeout = 30 * time.Second

var (
	mu       sync.Mutex
	started  bool
	admin    *sql.DB                  // connected to the server's "postgres" database
	dbURL    func(name string) string // the URL of a database of the server
	startErr error
	srv      *server
)

// URL creates a new, empty database that no other test uses and returns
// its URL, for documents/postgres.Open or for the binary (--database).
// When the test ends, the database is dropped.
//
// Without a server, or the binaries to start one, the test is skipped —
// but if CI=true it fails instead, since CI must test against the real
// database.
func URL(tb testing.TB) string {
	tb.Helper()
	u, drop, err := NewDatabase()
	if errors.Is(err, errNoServer) {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL tests need a PostgreSQL server under CI: %v", err)
		}
		tb.Skipf("skipping PostgreSQL test: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Log(err)
		}
	})
	return u
}

// errNoServer wraps the reason there is no server to test against.
var errNoServer = errors.New("no PostgreSQL server")

// NewDatabase is URL for programs that are not tests (the benchmarks):
// it starts the server if needed, creates a new, empty database and
// returns its URL and a function that drops it. Stop ends the server.
func NewDatabase() (string, func() error, error) {
	mu.Lock()
	if !started {
		started = true
		startErr = start()
	}
	a, urlOf, err := admin, dbURL, startErr
	mu.Unlock()
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", errNoServer, err)
	}
	var r [6]byte
	rand.Read(r[:])
	name := "ratsmappe_test_" + hex.EncodeToString(r[:])
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if _, err := a.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends connections a test left open (a server it started).
		if _, err := a.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop test database %s: %w", name, err)
		}
		return nil
	}
	return urlOf(name), drop, nil
}

// Main runs the tests of m, ends the server, and exits with the tests'
// status: a TestMain for packages that need nothing else.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop ends the server URL began, if any, and removes its directory; a
// later URL begins a new one. It does not touch a server named by
// RATSMAPPE_TEST_POSTGRES_URL.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if admin != nil {
		admin.Close()
		admin = nil
	}
	if srv != nil {
		srv.stop()
		srv = nil
	}
	started, dbURL, startErr = false, nil, nil
}

func start() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if u := os.Getenv("RATSMAPPE_TEST_POSTGRES_URL"); u != "" {
		// A server of the caller's, with a user that may create
		// databases: the test databases are its URL with another name.
		parsed, err := url.Parse(u)
		if err != nil {
			return errors.New("RATSMAPPE_TEST_POSTGRES_URL is not a postgres:// URL")
		}
		db, err := postgres.Open(ctx, u)
		if err != nil {
			return fmt.Errorf("RATSMAPPE_TEST_POSTGRES_URL: %w", err)
		}
		admin = db
		dbURL = func(name string) string {
			c := *parsed
			c.Path = "/" + name
			return c.String()
		}
		return nil
	}
	bin, err := binDir()
	if err != nil {
		return err
	}
	s, err := launch(bin)
	if err != nil {
		return err
	}
	srv = s
	if admin, err = postgres.Open(ctx, s.url("postgres")); err != nil {
		s.stop()
		srv = nil
		return err
	}
	dbURL = s.url
	return nil
}

// binDir returns the directory of the PostgreSQL server binaries: the one
// named by RATSMAPPE_TEST_POSTGRES_BIN, else the newest
// /usr/lib/postgresql/*/bin (Debian's layout, kept out of PATH), else the
// one in PATH that holds initdb.
func binDir() (string, error) {
	if d := os.Getenv("RATSMAPPE_TEST_POSTGRES_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("RATSMAPPE_TEST_POSTGRES_BIN: %w", err)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres): " +
		"run `make deps-debian` (Debian's postgresql package), put initdb in PATH, " +
		"or set RATSMAPPE_TEST_POSTGRES_BIN or RATSMAPPE_TEST_POSTGRES_URL")
}

// version is the major version of a /usr/lib/postgresql/N/bin directory.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// server is a PostgreSQL cluster this package created and started.
type server struct {
	proc *servertest.Process
	dir  string // data directory, socket and logs
	port string
}

// url is the URL of database name on s, through its unix socket.
func (s *server) url(name string) string {
	q := url.Values{"host": {s.dir}, "port": {s.port}, "sslmode": {"disable"}}
	return "postgres://ratsmappe@/" + name + "?" + q.Encode()
}

func launch(bin string) (*server, error) {
	dir, err := os.MkdirTemp("", "ratsmappe-pg-")
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	// A German ICU collation, like a city's database would have, so that
	// the tests notice SQL that relies on byte order of text.
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-U", "ratsmappe", "--auth=trust", "--encoding=UTF8", "--no-sync",
		"--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=de-DE")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	addr, err := servertest.FreeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	s := &server{dir: dir, port: port}
	args := []string{"-D", filepath.Join(dir, "data"), "-h", host, "-p", port, "-k", dir,
		"-c", "max_connections=200", "-c", "log_min_messages=warning"}
	if os.Getenv("RATSMAPPE_TEST_POSTGRES_DURABLE") == "" {
		// Durability is the test's to lose: fsync off makes a fresh
		// database per test cheap. Benchmarks that compare with SQLite's
		// synchronous=FULL set RATSMAPPE_TEST_POSTGRES_DURABLE=1.
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if s.proc, err = servertest.Start(cmd, filepath.Join(dir, "postgres.log")); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		tail := s.proc.LogTail()
		s.stop()
		return nil, fmt.Errorf("postgres on port %s: %w; its log ends:\n%s", port, err, tail)
	}
	return s, nil
}

// credential returns the user the cluster runs as: nobody when the tests
// run as root, else the current user (nil).
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses root: no user nobody to run it as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// waitReady waits until the server accepts connections.
func (s *server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		db, err := postgres.Open(cctx, s.url("postgres"))
		ccancel()
		if err == nil {
			db.Close()
			return nil
		}
		last = err
		select {
		case <-s.proc.Done():
			return fmt.Errorf("exited: %v", s.proc.State())
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %v", readyTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the server and removes its directory.
func (s *server) stop() {
	s.proc.Stop()
	os.RemoveAll(s.dir)
}
