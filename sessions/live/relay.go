package live

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Several server processes on one database (PostgreSQL) keep one live
// session: Join connects a Store to the others through the database's
// notifications, whose sender (internal/pgnotify) and listener the
// command wires (cmd/ratsmappe/cluster.go).

// The channels the live stores of the server processes on one database
// notify each other on.
const (
	// ChannelChanged carries "<meeting> <origin>": a Publish of the
	// process origin, which every other process's hub Wakes.
	ChannelChanged = "ratsmappe_live"
	// ChannelBallot carries "<vote> <sealed choice>", the choice of a
	// secret ballot whose record committed, which every process (the
	// sender included) adds to its tally of the vote; and "<vote>
	// closed", after which the tally is dropped. Never a person, and the
	// choice sealed (seal): see the package doc.
	ChannelBallot = "ratsmappe_live_ballot"
)

// Channels returns the channels a listener for Receive listens on.
func Channels() []string { return []string{ChannelChanged, ChannelBallot} }

// Notifier sends payload on channel to the stores of every server process
// on the database, this one's included, in a transaction of its own, and
// returns once it is sent (for pgnotify.Notify: committed). The processes
// receive notifications in the order they were sent.
type Notifier func(ctx context.Context, channel, payload string) error

// tallyWait bounds how long a closing waits for the choices of secret
// ballots already recorded to reach this process's tally.
var tallyWait = 3 * time.Second

// cluster is a Store's link to the other server processes.
type cluster struct {
	notify Notifier
	origin string // this process, so that it ignores its own wake-ups
	log    *slog.Logger
	aead   cipher.AEAD // seals choices (seal)

	mu      sync.Mutex
	pending map[int64]bool // meetings to relay
	kick    chan struct{}
}

// Join makes s one of several server processes on one database: every
// change it publishes is relayed to the others (asynchronously, so that
// no change waits for it), and the choices of secret ballots are counted
// by every process, so that any of them can close the vote. The caller
// hands s every notification on Channels (Receive) and, after its
// listener reconnected, calls Missed. Join is called once, before s is
// used; the relay runs until ctx ends. log receives failures to notify.
// notify must not wait for a connection of the pool the store writes
// through: a closing holds the write lock while it waits for choices
// sent after their ballots committed, and ballots queued behind the lock
// can hold every connection of that pool (cmd/ratsmappe gives it a small
// pool of its own).
//
// key is a secret the app servers share (serve's DATA/secret.key, which
// their CSRF tokens need alike): choices travel sealed with it, so that
// the database, which carries them, never sees one. A server with
// another key counts none of the others' choices, nor they its: closing
// refuses ("tally_lost") and the log says why.
//
// A process that starts (or whose listener reconnects) while a secret
// vote is open has missed choices: closing the vote there refuses with
// "tally_lost" (after tallyWait), as after a restart of a single process,
// while a process that saw every ballot closes it.
func (s *Store) Join(ctx context.Context, notify Notifier, key []byte, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	var b [8]byte
	rand.Read(b[:])
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("ratsmappe live: secret ballots' choices between app servers"))
	block, _ := aes.NewCipher(mac.Sum(nil)) // a 32-byte key: no error
	aead, _ := cipher.NewGCM(block)
	c := &cluster{notify: notify, origin: hex.EncodeToString(b[:]), log: log, aead: aead, pending: map[int64]bool{}, kick: make(chan struct{}, 1)}
	s.cluster = c
	s.hub.SetRelay(c.publish)
	go c.run(ctx)
}

// publish queues meeting for the relay; wake-ups of one meeting coalesce.
func (c *cluster) publish(meeting int64) {
	c.mu.Lock()
	c.pending[meeting] = true
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *cluster) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		c.mu.Lock()
		meetings := c.pending
		c.pending = map[int64]bool{}
		c.mu.Unlock()
		for m := range meetings {
			// A lost wake-up costs the other processes' followers the
			// snapshot's age (snapshotMaxAge), no more.
			c.send(ctx, ChannelChanged, fmt.Sprintf("%d %s", m, c.origin))
		}
	}
}

// send notifies, bounded in time and whatever happens to the request
// that caused it (the record it announces has committed).
func (c *cluster) send(ctx context.Context, channel, payload string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := c.notify(ctx, channel, payload)
	if err != nil {
		// The payload is not logged: it may be a secret ballot's choice.
		c.log.Error("live: notify the other server processes", "channel", channel, "err", err)
	}
	return err
}

// Receive takes a notification on one of Channels from another process or
// this one. Anything it does not understand is ignored.
func (s *Store) Receive(channel, payload string) {
	if s.cluster == nil {
		return
	}
	first, rest, _ := strings.Cut(payload, " ")
	id, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return
	}
	switch channel {
	case ChannelChanged:
		if rest != s.cluster.origin { // this process's followers are awake
			s.hub.Wake(id)
		}
	case ChannelBallot:
		if rest == "closed" {
			s.counting.Lock()
			delete(s.tallies, id)
			s.counting.Unlock()
			return
		}
		choice, err := s.cluster.open(id, rest)
		if err != nil {
			s.cluster.log.Error("live: a secret ballot's choice from another app server cannot be opened; do all share DATA/secret.key?", "vote", id, "err", err)
			return
		}
		s.addChoice(id, choice, true)
	}
}

// Missed tells s that notifications may have been lost (its listener
// reconnected): every followed meeting is read anew. A secret vote's
// tally cannot be read anew; if it lacks a choice, closing notices
// (secretCounts).
func (s *Store) Missed() { s.hub.WakeAll() }

// count counts choice, a secret ballot in vote id whose record has
// committed: in this process's tally, or — joined — in every process's,
// through a notification in a transaction of its own, so that nothing in
// the database ties the record's transaction to it.
func (s *Store) count(ctx context.Context, id int64, choice string) error {
	if s.cluster == nil {
		s.addChoice(id, choice, false)
		return nil
	}
	if err := s.cluster.send(ctx, ChannelBallot, fmt.Sprintf("%d %s", id, s.cluster.seal(id, choice))); err != nil {
		// Recorded, not counted: closing will find the tally short.
		return fmt.Errorf("secret ballot: %w", err)
	}
	return nil
}

// sealedLen is the length a choice is padded to before it is sealed, so
// that every sealed choice has the same length.
const sealedLen = 16

// seal returns choice, a secret ballot's in vote id, encrypted and
// authenticated with the shared key (AES-GCM, bound to the vote), padded
// to one length and base64-encoded: whoever watches the database's
// notifications learns that someone voted, not what.
func (c *cluster) seal(id int64, choice string) string {
	plain := make([]byte, sealedLen)
	copy(plain, choice)
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+sealedLen+c.aead.Overhead())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, []byte(strconv.FormatInt(id, 10))))
}

// open returns the choice sealed in vote id, or an error if it was not
// sealed with this key for this vote, or is no choice.
func (c *cluster) open(id int64, sealed string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < c.aead.NonceSize() {
		return "", errors.New("not a sealed choice")
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, b[:n], b[n:], []byte(strconv.FormatInt(id, 10)))
	if err != nil {
		return "", err
	}
	choice := strings.TrimRight(string(plain), "\x00")
	if err := ValidChoice(choice); err != nil {
		return "", errors.New("not a choice")
	}
	return choice, nil
}

// addChoice adds choice to the tally of vote id, creating it if create
// (a joined process learns of a secret vote by its first ballot), and
// wakes closings waiting for it.
func (s *Store) addChoice(id int64, choice string, create bool) {
	s.counting.Lock()
	defer s.counting.Unlock()
	t := s.tallies[id]
	if t == nil {
		if !create {
			return // closed by hand meanwhile
		}
		t = &Counts{}
		s.tallies[id] = t
	}
	t.Add(choice)
	close(s.tallied)
	s.tallied = make(chan struct{})
}

// hasTally reports whether this process counts secret vote id.
func (s *Store) hasTally(id int64) bool {
	s.counting.Lock()
	defer s.counting.Unlock()
	return s.tallies[id] != nil
}

// awaitTally waits until deadline for the tally of vote id to hold at
// least voted choices and returns it; ok is false if it does not by then,
// or if this process, not joined, has no tally (it restarted).
func (s *Store) awaitTally(ctx context.Context, id int64, voted int, deadline time.Time) (c Counts, ok bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		s.counting.Lock()
		t, changed := s.tallies[id], s.tallied
		if t != nil {
			c = *t
		}
		s.counting.Unlock()
		switch {
		case t != nil && c.Total() >= voted:
			return c, true
		case t == nil && s.cluster != nil && voted == 0:
			return Counts{}, true // no ballot anywhere
		case t == nil && s.cluster == nil:
			return c, false
		}
		select {
		case <-changed:
		case <-timer.C:
			return c, false
		case <-ctx.Done():
			return c, false
		}
	}
}

// settle waits, before a closing takes the write lock, until this
// process's tally of secret vote id holds the choices of the ballots
// recorded so far, or deadline passes: the choices of ballots cast in
// other processes arrive a moment after their records, and the write
// lock, which every writer needs, is not held while they travel.
func (s *Store) settle(ctx context.Context, id int64, deadline time.Time) error {
	if s.cluster == nil {
		return nil
	}
	for {
		voted, err := countVoted(ctx, s.db, id)
		if err != nil {
			return err
		}
		if _, ok := s.awaitTally(ctx, id, voted, deadline); ok || !time.Now().Before(deadline) {
			return nil
		}
	}
}

// secretCounts returns the counts of secret vote id, which the closing
// transaction tx has just closed: the tally, once it holds a choice for
// every person recorded in live_voted. No ballot commits after the
// closing (ballotTx), so the number is final; choices still on their way
// are waited for until deadline, and at least briefly. ECONFLICT
// "tally_lost" if the tally falls short: the process restarted, or — with
// several — started or lost its listener while the vote was open.
func (s *Store) secretCounts(ctx context.Context, tx *sql.Tx, id int64, deadline time.Time) (Counts, error) {
	voted, err := countVoted(ctx, tx, id)
	if err != nil {
		return Counts{}, err
	}
	if least := time.Now().Add(tallyWait / 6); deadline.Before(least) {
		deadline = least
	}
	c, ok := s.awaitTally(ctx, id, voted, deadline)
	if !ok || c.Total() != voted {
		return c, conflict("tally_lost", "Die Zählung dieser geheimen Abstimmung ist verloren (Neustart des Servers). Geben Sie das Ergebnis von Hand ein oder wiederholen Sie die Abstimmung.",
			"The count of this secret vote is lost (the server restarted). Enter the result by hand or repeat the vote.")
	}
	return c, nil
}

func countVoted(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64) (int, error) {
	var voted int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM live_voted WHERE vote_id = ?`, id).Scan(&voted)
	return voted, err
}

// dropTally forgets the tally of vote id, closed now, here and in the
// other processes.
func (s *Store) dropTally(ctx context.Context, id int64) {
	s.counting.Lock()
	delete(s.tallies, id)
	s.counting.Unlock()
	if s.cluster != nil {
		s.cluster.send(ctx, ChannelBallot, fmt.Sprintf("%d closed", id))
	}
}
