package web

import (
	"database/sql"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/web/folder"
	liveweb "github.com/ratsmappe/ratsmappe/web/live"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// admission keeps the server answering under a flood — the moment an
// agenda is published and everybody arrives at once. Requests wait in one
// of three lanes, each with its own budget, so that one crowd never
// starves another:
//
//   - citizens' reads (anonymous GET, HEAD, OPTIONS): inFlight at a time,
//     up to queue more wait up to wait;
//   - anonymous writes (sign-in forms and everything else an anonymous
//     client sends a body with): a small budget of their own, so that
//     neither slow writers nor a flood of sign-ins can refuse a citizen's
//     page;
//   - signed-in members and staff (a sign-in verified by authenticate,
//     which runs before admission; a forged cookie verifies as anonymous):
//     their own budget, which waits longer rather than refusing — a
//     member fetching the packet before the session must not lose to the
//     crowd.
//
// The anonymous lanes are also held to the cores: of their admitted
// requests only so many compute at once (a gate per lane, readers one core
// less than there are, at least one; writers half the cores, at least
// one), the others wait parked, so that a member's request always finds
// a core free rather than queueing behind hundreds of citizens' handlers
// in the Go scheduler. The core kept for members is lent to citizens
// while no member's request is in the server (the readers' spare place):
// on two cores the citizens otherwise took turns on one core while the
// other idled, and an uncached page or search waited 32 times its own
// time at 32 clients (issue 15). A member who arrives meanwhile shares
// the cores with at most one citizen more than before, for that
// citizen's one handler, and no citizen takes the spare while members
// are in. A request leaves its gate when it starts its answer: sending a
// big file to a slow client holds a slot of its lane, but no core.
//
// Anything beyond a lane's queue is answered at once with 429 and
// Retry-After, which costs almost nothing. So overload shows as polite
// refusals, never as timeouts, memory exhaustion or 5xx. A request holds
// its slot while its handler works, not while its body arrives: bodies are
// read before admission (limits.go). Health checks skip the line.
type admission struct {
	readers, writers, members *lane
	// memberWrites is the members' lane without its gate, for their
	// writes: an upload waits seconds for its PDF worker, and must not
	// hold a place that members' reads wait for.
	memberWrites *lane
}

// lane is one budget: slots running, queue waiting for up to wait. With
// a gate, at most cap(gate) of the running compute at once (see
// gateWriter).
type lane struct {
	slots chan struct{}
	queue chan struct{}
	wait  time.Duration
	gate  chan struct{}
	// spare is one more place beside gate, taken only while lent says
	// so (the readers': while no member's request is in).
	spare chan struct{}
	lent  func() bool
}

func newLane(inFlight, queue int, wait time.Duration) *lane {
	return &lane{slots: make(chan struct{}, inFlight), queue: make(chan struct{}, queue), wait: wait}
}

// newAdmission sizes the citizens' lane by inFlight, queue and wait and
// the others from it: anonymous writes get a sixteenth of its slots (at
// least 4), signed-in viewers a quarter (at least 16) and a wait of at
// least 10 s. serverDB says that the database is a server of its own
// (PostgreSQL), not SQLite in this process.
func newAdmission(inFlight, queue int, wait time.Duration, serverDB bool) *admission {
	cores := runtime.GOMAXPROCS(0)
	a := &admission{
		readers: newLane(inFlight, queue, wait),
		writers: newLane(max(4, inFlight/16), max(16, queue/16), wait),
		members: newLane(max(16, inFlight/4), max(64, queue/4), max(wait, 10*time.Second)),
	}
	a.readers.gate = make(chan struct{}, max(1, cores-1))
	a.writers.gate = make(chan struct{}, max(1, cores/2))
	if serverDB {
		// A reader on PostgreSQL waits for the database server, on these
		// cores, for about half of its time (the app server's and the
		// database's CPU per citizen page are about equal), and holds
		// the gate meanwhile: twice as many readers as on SQLite keep
		// the same cores busy instead of leaving one reader's round
		// trips to pace them all (issue 15).
		a.readers.gate = make(chan struct{}, 2*max(1, cores-1))
	}
	// On PostgreSQL members' reads compute in a gate of their own, never
	// the citizens', twice as wide as the cores (a read waits for the
	// database about half its time): 32 members' pages then take turns
	// in the order they came instead of all sharing the cores at once.
	// Their p99 was three times their p50 where the gated citizens' was
	// under twice; at ten years, alternated with an ungated server, the
	// member meeting page's p99 fell from 47–56 to 40–47 ms and
	// /meetings' from 53–63 to 33–37 ms, for 3–15 % fewer pages a second
	// (issue 15; twice as wide changed no p99, as wide as the cores cost
	// a quarter of the pages). SQLite's member pages meet their figure
	// without one, and a gate there cost up to a quarter of the pages for
	// a smaller gain: none.
	w := *a.members
	a.memberWrites = &w
	if serverDB {
		a.members.gate = make(chan struct{}, 2*max(1, cores))
	}
	if cores > 1 {
		a.readers.spare = make(chan struct{}, 1)
		a.readers.lent = func() bool { return len(a.members.slots) == 0 }
	}
	return a
}

func (a *admission) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A live stream holds its connection for the whole session: it
		// has its own bound (web/live) instead of a slot.
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" || liveweb.IsStream(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		l := a.readers
		switch {
		case folder.SignedIn(request.Viewer(r.Context())):
			l = a.members
			if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
				l = a.memberWrites
			}
		case r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions:
			l = a.writers
		}
		l.serve(w, r, next)
	})
}

// serve runs next in a slot of l, waiting in l's queue if it must, and
// in l's gate until next starts its answer.
func (l *lane) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if !l.acquire(w, r) {
		return
	}
	defer l.release()
	if l.gate == nil {
		next.ServeHTTP(w, r)
		return
	}
	gate, spare := l.gate, l.spare
	if spare != nil && !l.lent() {
		spare = nil // a nil channel: never chosen
	}
	select {
	case l.gate <- struct{}{}:
	case spare <- struct{}{}:
		gate = spare
	case <-r.Context().Done():
		return
	}
	gw := &gateWriter{ResponseWriter: w, gate: gate}
	defer gw.leave()
	next.ServeHTTP(gw, r)
}

// gateWriter leaves its lane's gate when the handler starts its answer
// (or returns): from then on it is sending, not computing.
type gateWriter struct {
	http.ResponseWriter
	gate chan struct{}
	left bool
}

func (w *gateWriter) leave() {
	if !w.left {
		w.left = true
		<-w.gate
	}
}

func (w *gateWriter) WriteHeader(code int) {
	w.leave()
	w.ResponseWriter.WriteHeader(code)
}

func (w *gateWriter) Write(b []byte) (int, error) {
	w.leave()
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps sendfile for files (http.ServeContent copies with it).
func (w *gateWriter) ReadFrom(r io.Reader) (int64, error) {
	w.leave()
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(w.ResponseWriter, r)
}

func (w *gateWriter) Flush() {
	w.leave()
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *gateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// acquire takes a slot of l, waiting in l's queue if it must; if it
// cannot, it has answered r (429, or nothing to a client that left) and
// returns false.
func (l *lane) acquire(w http.ResponseWriter, r *http.Request) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	select {
	case l.queue <- struct{}{}:
	default:
		render.Busy(w, r)
		return false
	}
	defer func() { <-l.queue }()
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
		render.Busy(w, r)
	case <-r.Context().Done():
	}
	return false
}

func (l *lane) release() { <-l.slots }

// serverDB says whether db is a database server of its own (PostgreSQL),
// which a request waits for, rather than SQLite in this process.
func serverDB(db *sql.DB) bool { return db != nil && sqldb.DialectOf(db) == sqldb.Postgres }
