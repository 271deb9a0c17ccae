package main

import (
	"context"
	"log/slog"

	"github.com/ratsmappe/ratsmappe/internal/pgnotify"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web"
)

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
	s := live.NewStore(app.DB, app.Sessions, app.Sessions.Now)
	s.Join(ctx, func(ctx context.Context, channel, payload string) error {
		return pgnotify.Notify(ctx, app.DB, channel, payload)
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

// followChanges tells the web server of every commit to the changes feed
// on PostgreSQL (Config.ChangesNotified), through a listener on
// changes.Channel: its public cache then answers from memory while it is
// in step, instead of asking the database on every request.
func followChanges(ctx context.Context, srv *web.Server, cfg Config, log *slog.Logger) {
	if !srv.FollowsChanges() {
		return
	}
	if _, err := pgnotify.Listen(ctx, pgnotify.Config{URL: cfg.Database, Channels: []string{changes.Channel}, Log: log,
		Handle: func(n pgnotify.Notification) {
			if n.Missed {
				srv.FeedMissed()
				return
			}
			srv.FeedChanged()
		}}); err != nil {
		// Not reached (openDatabase parsed the URL): without a listener
		// the cache reads the feed on every request, as on SQLite.
		log.Error("public cache: cannot listen for changes", "err", err)
	}
}
