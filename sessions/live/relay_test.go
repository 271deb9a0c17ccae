package live_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgnotify"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// waitFor bounds a wait for a notification between server processes: it
// fails a test only if nothing comes at all.
const waitFor = 30 * time.Second

// clusterCouncil is a council on a PostgreSQL database whose live store
// is a first app server's (joinServer), and the URL of that database, for
// more servers to join.
func clusterCouncil(t *testing.T) (*council, string) {
	t.Helper()
	url := pgtest.URL(t)
	c := newCouncil(t, openPool(t, url))
	c.live = joinServer(t, url)
	return c, url
}

func openPool(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// joinServer is the live store of one more app server on the database at
// url: a pool of its own, joined to the others through a real listener,
// as cmd/ratsmappe wires it. It returns once the listener listens.
func joinServer(t *testing.T, url string) *live.Store {
	t.Helper()
	return joinServerWithKey(t, url, sharedKey)
}

// sharedKey is the servers' DATA/secret.key.
var sharedKey = []byte("0123456789abcdef0123456789abcdef")

func joinServerWithKey(t *testing.T, url string, key []byte) *live.Store {
	t.Helper()
	db := openPool(t, url)
	s := live.NewStore(db, sessions.NewStore(db, nil), nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Notifications on a pool of their own, as cmd/ratsmappe sends them.
	ndb := openPool(t, url)
	ndb.SetMaxOpenConns(2)
	s.Join(ctx, func(ctx context.Context, channel, payload string) error {
		return pgnotify.Notify(ctx, ndb, channel, payload)
	}, key, nil)
	listening := make(chan struct{}, 1)
	ln, err := pgnotify.Listen(ctx, pgnotify.Config{URL: url, Channels: live.Channels(), Handle: func(n pgnotify.Notification) {
		if n.Missed {
			s.Missed()
			select {
			case listening <- struct{}{}:
			default:
			}
			return
		}
		s.Receive(n.Channel, n.Payload)
	}})
	must(t, err)
	t.Cleanup(ln.Close)
	select {
	case <-listening:
	case <-time.After(waitFor):
		t.Fatal("the listener does not listen")
	}
	return s
}

// secretVote starts c's session with every member present and opens a
// secret vote on the non-public item, all through c.live.
func secretVote(t *testing.T, c *council) *live.Vote {
	t.Helper()
	ctx := context.Background()
	_, err := c.live.Start(ctx, c.meeting)
	must(t, err)
	c.present(t, c.m...)
	v, err := c.live.OpenVote(ctx, c.nonPublic, live.Secret, live.Simple, "")
	must(t, err)
	return v
}

// A secret vote with its ballots cast on two app servers is closed on
// either with exact counts, and still no table links a voter to a choice:
// the choices travel between the servers as notifications, never as rows.
func TestSecretVoteAcrossServers(t *testing.T) {
	ctx := context.Background()
	c, url := clusterCouncil(t)
	a, b := c.live, joinServer(t, url)
	v := secretVote(t, c)
	choices := map[int64]string{c.m[0]: live.Yes, c.m[1]: live.No, c.m[2]: live.Yes, c.m[3]: live.Abstain, c.m[4]: live.Yes}
	on := map[int64]*live.Store{c.m[0]: a, c.m[1]: b, c.m[2]: b, c.m[3]: a, c.m[4]: b}
	for _, p := range []int64{c.m[4], c.m[3], c.m[2], c.m[1], c.m[0]} {
		must(t, on[p].Ballot(ctx, v.ID, p, choices[p]))
	}
	wantReason(t, "second ballot on the other server", a.Ballot(ctx, v.ID, c.m[1], live.Yes), ratsmappe.ECONFLICT, "already_voted")
	closed, err := b.Close(ctx, v.ID, nil) // opened on a
	must(t, err)
	if r := closed.Result; r.Counts != (live.Counts{Yes: 3, No: 1, Abstain: 1}) || !r.Adopted {
		t.Fatalf("result %+v", r)
	}
	wantReason(t, "ballot after the closing", a.Ballot(ctx, v.ID, c.m[0], live.No), ratsmappe.ECONFLICT, "vote_closed")
	noChoiceLinked(t, c.db, slices.Collect(maps.Keys(choices))...)
}

// Members cast on two servers at once, each twice (a double tap that the
// load balancer sends to both), while the office closes on one of them:
// every ballot accepted is counted once, none after the closing.
func TestConcurrentBallotsAcrossServers(t *testing.T) {
	ctx := context.Background()
	c, url := clusterCouncil(t)
	a, b := c.live, joinServer(t, url)
	members := bigCouncil(t, c, 24)
	choices := []string{live.Yes, live.No, live.Abstain}
	for _, closer := range []*live.Store{a, b} {
		opener := a
		if closer == a {
			opener = b
		}
		v, err := opener.OpenVote(ctx, c.nonPublic, live.Secret, live.Simple, "")
		must(t, err)
		var closed *live.Vote
		errs := dbtest.Concurrently(2*len(members)+1, func(i int) error {
			if i == 2*len(members) {
				var err error
				closed, err = closer.Close(ctx, v.ID, nil)
				return err
			}
			p := members[i/2]
			return []*live.Store{a, b}[i%2].Ballot(ctx, v.ID, p, choices[int(p)%3])
		})
		if err := errs[len(errs)-1]; err != nil {
			t.Fatalf("close: %v", err)
		}
		errs = errs[:len(errs)-1]
		var want live.Counts
		for i, p := range members {
			switch ok := accepted(t, "ballot", errs[2*i:2*i+2], "vote_closed", "already_voted"); ok {
			case 0:
			case 1:
				want.Add(choices[int(p)%3])
			default:
				t.Errorf("person %d cast %d secret ballots", p, ok)
			}
		}
		if got := closed.Result.Counts; got != want {
			t.Errorf("counted %+v, the servers accepted %+v", got, want)
		}
	}
}

// A server that joins while a secret vote is open has missed choices:
// closing there refuses (tally_lost) and leaves the vote open, while a
// server that saw every ballot — including the one cast on the newcomer —
// closes it with exact counts.
func TestServerJoiningDuringSecretVote(t *testing.T) {
	defer live.SetTallyWait(300 * time.Millisecond)()
	ctx := context.Background()
	c, url := clusterCouncil(t)
	a := c.live
	v := secretVote(t, c)
	must(t, a.Ballot(ctx, v.ID, c.m[0], live.Yes))
	must(t, a.Ballot(ctx, v.ID, c.m[1], live.No))
	late := joinServer(t, url)
	must(t, late.Ballot(ctx, v.ID, c.m[2], live.Yes)) // not refused: a counts it
	_, err := late.Close(ctx, v.ID, nil)
	wantReason(t, "close on the late server", err, ratsmappe.ECONFLICT, "tally_lost")
	closed, err := a.Close(ctx, v.ID, nil)
	must(t, err)
	if got, want := closed.Result.Counts, (live.Counts{Yes: 2, No: 1}); got != want {
		t.Fatalf("counted %+v, want %+v", got, want)
	}
}

// Whoever watches the database's notifications during a secret vote sees
// that someone voted, not what: every choice travels sealed, all of one
// length. A server with another key than the others counts none of
// their choices, so closing there refuses rather than miscounts.
func TestSealedChoices(t *testing.T) {
	defer live.SetTallyWait(300 * time.Millisecond)()
	ctx := context.Background()
	c, url := clusterCouncil(t)
	a := c.live
	stranger := joinServerWithKey(t, url, []byte("another key, another key, another"))
	var mu sync.Mutex
	var payloads []string
	listening := make(chan struct{})
	ln, err := pgnotify.Listen(ctx, pgnotify.Config{URL: url, Channels: []string{live.ChannelBallot}, Handle: func(n pgnotify.Notification) {
		if n.Missed {
			close(listening) // once: the connection is not ended here
			return
		}
		mu.Lock()
		defer mu.Unlock()
		payloads = append(payloads, n.Payload)
	}})
	must(t, err)
	defer ln.Close()
	woken(t, "the watcher", listening)
	v := secretVote(t, c)
	must(t, a.Ballot(ctx, v.ID, c.m[0], live.Yes))
	must(t, a.Ballot(ctx, v.ID, c.m[2], live.Abstain))
	must(t, stranger.Ballot(ctx, v.ID, c.m[3], live.No))
	_, err = stranger.Close(ctx, v.ID, nil)
	wantReason(t, "close on the server with another key", err, ratsmappe.ECONFLICT, "tally_lost")
	_, err = a.Close(ctx, v.ID, nil)
	wantReason(t, "close without the stranger's choice", err, ratsmappe.ECONFLICT, "tally_lost")
	_, err = a.Close(ctx, v.ID, &live.Counts{Yes: 1, No: 1, Abstain: 1}) // the office counts by hand
	must(t, err)

	// Closing sent "<vote> closed" last; once the listener has it, it
	// has the three choices.
	deadline := time.Now().Add(waitFor)
	for {
		mu.Lock()
		got := slices.Clone(payloads)
		mu.Unlock()
		if len(got) > 0 && strings.HasSuffix(got[len(got)-1], " closed") {
			payloads = got[:len(got)-1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payloads %q", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A sealed choice is random-looking base64, which may hold "no" or
	// "Ja" by chance: what must not be there is a choice as a word.
	choiceWord := regexp.MustCompile(`(?i)(^|\s)(yes|no|abstain|ja|nein|enthaltung)(\s|$)`)
	if len(payloads) != 3 {
		t.Fatalf("%d choices sent, want 3: %q", len(payloads), payloads)
	}
	for _, p := range payloads {
		if len(p) != len(payloads[0]) || choiceWord.MatchString(p) || strings.Contains(p, fmt.Sprint(" ", c.m[0])) {
			t.Errorf("payloads %q: want one length, no choice, no person", payloads)
		}
	}
}

// A change on one server wakes the live view's followers on the other,
// once: neither server wakes its own followers again from its own
// notification, nor sends on what it received. When a server's listener
// loses its connection, it wakes all its followers once it listens again.
func TestLiveViewAcrossServers(t *testing.T) {
	ctx := context.Background()
	c, url := clusterCouncil(t)
	a, b := c.live, joinServer(t, url)
	onB, stop := b.Hub().Subscribe(c.meeting)
	defer stop()
	_, err := a.Start(ctx, c.meeting)
	must(t, err)
	woken(t, "b's follower after a's start", onB)

	// A marker from b: once a has it, a has had everything before it,
	// its own notification of the start included.
	marker := c.meeting + 1000
	onA, stop := a.Hub().Subscribe(marker)
	defer stop()
	b.Hub().Publish(marker)
	woken(t, "a's follower of the marker", onA)
	if got := a.Hub().Version(c.meeting); got != 1 {
		t.Errorf("a published the start once and woke its followers %d times", got)
	}
	if got := b.Hub().Version(c.meeting); got != 1 {
		t.Errorf("b was woken %d times for one start", got)
	}

	// The database ends the listeners' connections.
	var n int
	must(t, c.db.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'ratsmappe listen'`).Scan(&n))
	if n != 2 {
		t.Fatalf("terminated %d listeners, want 2", n)
	}
	woken(t, "b's follower after b's listener reconnected", onB)
}

func woken(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitFor):
		t.Fatalf("%s: not woken", what)
	}
}
