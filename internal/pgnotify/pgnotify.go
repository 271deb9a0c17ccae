// Package pgnotify carries PostgreSQL's LISTEN/NOTIFY between the app
// servers that share one database: Notify sends a payload on a channel,
// Listen holds a connection of its own that receives them.
//
// PostgreSQL delivers a notification to every session listening on its
// channel when the sending transaction commits, in commit order, and not
// at all if it rolls back. It does not keep notifications for a listener
// that is not connected: after every (re)connect the listener therefore
// hands its caller a Notification with Missed set, once it listens again,
// so that the caller reads anew what it may have missed.
//
// Like documents/postgres, this is an adapter: only it and that package
// import the driver (pgx).
package pgnotify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notification is one notification, or the sign that some may have been
// missed.
type Notification struct {
	Channel string
	Payload string
	// Missed is set (Channel and Payload empty) after the listener
	// (re)connected and listens on its channels again: whatever was sent
	// while it was not listening is lost.
	Missed bool
}

// Config is what Listen listens on and to whom it hands notifications.
type Config struct {
	// URL is the database's postgres:// URL (or key=value string).
	URL string
	// Channels are the channel names to LISTEN on.
	Channels []string
	// Handle is called for every notification, one at a time, in the
	// order PostgreSQL delivers them, on the listener's goroutine: it
	// should not block for long.
	Handle func(Notification)
	// Log receives connection failures; slog.Default() if nil.
	Log *slog.Logger
	// IdleCheck is how long the listener waits for a notification before
	// it pings the server (30 s if 0): a connection dropped without a
	// word (a firewall's idle timeout) would otherwise be waited on
	// forever.
	IdleCheck time.Duration
}

// minBackoff and maxBackoff bound the wait between connection attempts,
// doubling from the one to the other.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// applicationName names the listener's connection in pg_stat_activity.
const applicationName = "ratsmappe listen"

// Listener is a running Listen.
type Listener struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Listen starts listening on cfg.Channels with a connection of its own
// and returns at once; the first connection is made in the background like
// every later one, and announced, like them, by a Missed notification.
// It refuses (an error) only a URL that cannot be parsed, without
// repeating it (it may hold a password). The listener runs until ctx ends
// or Close is called.
func Listen(ctx context.Context, cfg Config) (*Listener, error) {
	pc, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, errors.New("pgnotify: the database URL is not valid")
	}
	if pc.RuntimeParams["application_name"] == "" {
		pc.RuntimeParams["application_name"] = applicationName
	}
	if pc.ConnectTimeout == 0 {
		pc.ConnectTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.IdleCheck <= 0 {
		cfg.IdleCheck = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &Listener{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		run(ctx, pc, cfg)
	}()
	return l, nil
}

// Close stops the listener and waits until its connection is closed.
func (l *Listener) Close() {
	l.cancel()
	<-l.done
}

// run connects, listens and receives until ctx ends, reconnecting with
// backoff after every failure.
func run(ctx context.Context, pc *pgx.ConnConfig, cfg Config) {
	backoff := minBackoff
	for ctx.Err() == nil {
		err := session(ctx, pc, cfg, func() { backoff = minBackoff })
		if ctx.Err() != nil {
			return
		}
		cfg.Log.Warn("listening for notifications: connection lost, reconnecting", "err", err, "in", backoff)
		// Jitter, so that the app servers do not reconnect in step after
		// the database restarted.
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session is one connection: it connects, listens, tells the caller that
// notifications may have been missed (after connected was called), and
// receives until the connection fails or ctx ends.
func session(ctx context.Context, pc *pgx.ConnConfig, cfg Config, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	for _, ch := range cfg.Channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	connected()
	cfg.Handle(Notification{Missed: true})
	for {
		wctx, cancel := context.WithTimeout(ctx, cfg.IdleCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			cfg.Handle(Notification{Channel: n.Channel, Payload: n.Payload})
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: is the server still there?
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}

// Notify sends payload on channel to every listener of db's database, this
// process's own included, with SELECT pg_notify: in a transaction of its
// own (db's autocommit), delivered when Notify returns without error.
// PostgreSQL refuses a payload of 8000 bytes or more.
func Notify(ctx context.Context, db *sql.DB, channel, payload string) error {
	if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}
