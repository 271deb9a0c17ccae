package main

import (
	"context"
	"log/slog"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/internal/pgnotify"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web"
)

// notifyConns bounds the live session's pool for notifications.
const notifyConns = 2

// liveStore returns the live session's store for serve. On PostgreSQL,
// where several app servers may share the database, it is joined to the
// others (live.Store.Join): its changes wake their followers and its
// secret ballots reach their tallies, sealed with key (DATA/secret.key,
// which the app servers share), through LISTEN/NOTIFY on a connection of
// its own that lives as long as ctx. On SQLite, which one
// process serves, it is nil, and web builds the store as before.
func liveStore(ctx context.Context, app *App, cfg Config, key []byte, log *slog.Logger) *live.Store {
	if sqldb.DialectOf(app.DB) != sqldb.Postgres {
		return nil
	}
	// Notifications go through a small pool of their own. A secret
	// ballot's choice is sent after its record commits, while a closing
	// holds the write lock and waits for that choice; ballots queued
	// behind the lock hold connections of the app's pool, and when they
	// held all of them the choice could not be sent until the closing
	// gave up ("tally_lost": TestConcurrentBallotsAcrossServers, 2 of 6
	// runs on a loaded machine).
	notifier := app.DB
	if db, err := postgres.Open(ctx, cfg.Database); err != nil {
		log.Error("live session: no connection of its own for notifications; using the app's pool", "err", err)
	} else {
		db.SetMaxOpenConns(notifyConns)
		db.SetMaxIdleConns(notifyConns)
		notifier = db
		go func() { <-ctx.Done(); db.Close() }()
	}
	s := live.NewStore(app.DB, app.Sessions, app.Sessions.Now)
	s.Join(ctx, func(ctx context.Context, channel, payload string) error {
		return pgnotify.Notify(ctx, notifier, channel, payload)
	}, key, log)
	_, err := pgnotify.Listen(ctx, pgnotify.Config{URL: cfg.Database, Channels: live.Channels(), Log: log,
		Handle: func(n pgnotify.Notification) {
			if n.Missed {
				s.Missed()
				return
			}
			s.Receive(n.Channel, n.Payload)
		}})
	if err != nil {
		// Not reached: openDatabase parsed the same URL. Without a
		// listener the store still works; other servers' changes reach
		// its followers by the snapshot's age, and it closes no secret
		// vote with ballots cast elsewhere.
		log.Error("live session: cannot listen to the other app servers", "err", err)
	}
	return s
}

// followChanges tells the web server and the search indexer of every
// commit to the changes feed on PostgreSQL (their ChangesNotified),
// through one listener on changes.Channel: the public cache then answers
// from memory while it is in step, and a search asks whether the index
// has anything to apply only after a notice, instead of both asking the
// database on every request.
func followChanges(ctx context.Context, srv *web.Server, searcher *indexer.Indexer, cfg Config, log *slog.Logger) {
	web, search := srv.FollowsChanges(), searcher.FollowsChanges()
	if !web && !search {
		return
	}
	if _, err := pgnotify.Listen(ctx, pgnotify.Config{URL: cfg.Database, Channels: []string{changes.Channel}, Log: log,
		Handle: func(n pgnotify.Notification) {
			if n.Missed {
				if web {
					srv.FeedMissed()
				}
				if search {
					searcher.FeedMissed()
				}
				return
			}
			if web {
				srv.FeedChanged()
			}
			if search {
				searcher.FeedChanged()
			}
		}}); err != nil {
		// Not reached (openDatabase parsed the URL): without a listener
		// the cache reads the feed, and a search asks the outbox, on
		// every request, as on SQLite.
		log.Error("public cache and search: cannot listen for changes", "err", err)
	}
}
