package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
	"github.com/ratsmappe/ratsmappe/sessions/notices"
	"github.com/ratsmappe/ratsmappe/web"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.register(fs, "info")
	addr := fs.String("addr", envString("RATSMAPPE_ADDR", "localhost:8080"), "listen address")
	sweepEvery := fs.Duration("sweep-interval", envDuration("RATSMAPPE_SWEEP_INTERVAL", time.Hour), "how often to remove unreferenced blobs (0: never)")
	oidcIssuer := fs.String("oidc-issuer", envString("RATSMAPPE_OIDC_ISSUER", ""), "OpenID Connect issuer URL for single sign-on (with RATSMAPPE_OIDC_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URL)")
	withDemo := fs.Bool("demo", envBool("RATSMAPPE_DEMO", false), "on first start (empty data directory), load the demo council")
	headerTimeout := fs.Duration("read-header-timeout", envDuration("RATSMAPPE_READ_HEADER_TIMEOUT", 10*time.Second), "time a client has to send its request headers (slowloris)")
	bodyTimeout := fs.Duration("body-timeout", envDuration("RATSMAPPE_BODY_TIMEOUT", 20*time.Second), "time a client has to send a request body (a sign-in at most 5 s; an upload instead must keep a minimum rate)")
	trusted := fs.String("trusted-proxies", envString("RATSMAPPE_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For, X-Real-IP and X-Forwarded-Proto count (default: none)")
	publicURL := fs.String("public-url", envString("RATSMAPPE_PUBLIC_URL", ""), "the URL citizens reach this server at, e.g. https://rat.example.org; every absolute URL (OParl, feeds, calendar, sitemap) is built from it")
	oparlAGS := fs.String("oparl-ags", envString("RATSMAPPE_OPARL_AGS", ""), "the body's Amtlicher Gemeindeschlüssel (8 digits), shown as Body.ags in OParl")
	oparlLicense := fs.String("oparl-license", envString("RATSMAPPE_OPARL_LICENSE", ""), "URL of the license of the published data, shown as license of System and Body in OParl")
	smtpURL := fs.String("smtp-url", envString("RATSMAPPE_SMTP_URL", ""), "mail server for invitations: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host (implicit TLS); empty: no e-mail, invitations go on the postal list")
	mailFrom := fs.String("mail-from", envString("RATSMAPPE_MAIL_FROM", ""), `sender of the e-mails, e.g. "Ratsmappe Lindenau <ratsmappe@lindenau.example>"`)
	pushHTTP := fs.Bool("push-allow-http", envBool("RATSMAPPE_PUSH_ALLOW_HTTP", false), "accept http:// push endpoints: only for a local test push service, never in production")
	pushHosts := fs.String("push-hosts", envString("RATSMAPPE_PUSH_HOSTS", strings.Join(webpush.DefaultHosts, ",")), "comma-separated host names of the Web Push services the server posts to (the browsers' own by default)")
	alertsEvery := fs.Duration("alerts-interval", envDuration("RATSMAPPE_ALERTS_INTERVAL", time.Minute), "how often citizens' e-mail alerts look for what became public")
	grace := fs.Duration("sweep-grace", envDuration("RATSMAPPE_SWEEP_GRACE", 24*time.Hour), "age below which unreferenced blobs are kept")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	proxies, err := web.ParseTrustedProxies(*trusted)
	if err != nil {
		return err
	}
	if *publicURL == "" {
		log.Warn("no --public-url (RATSMAPPE_PUBLIC_URL): absolute URLs in OParl, feeds, calendars and the sitemap follow each request's Host header; set it for anything but local use")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ingests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ratsmappe_ingest_total",
		Help: "PDF uploads by result: accepted, a rejection code, or error.",
	}, []string{"result"})
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ratsmappe_ingest_duration_seconds",
		Help:    "Time to ingest and store one PDF upload, by result.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
	}, []string{"result"})
	reg.MustRegister(ingests, durations)
	observe := func(result string, d time.Duration) {
		ingests.WithLabelValues(result).Inc()
		durations.WithLabelValues(result).Observe(d.Seconds())
	}

	// The first upload after a start should not wait for a worker's
	// start; more workers start as uploads come in at once.
	cfg.prestart = 1
	app, err := openApp(ctx, cfg, log, observe)
	if err != nil {
		return err
	}
	defer app.Close()
	if *withDemo {
		// Several app servers started at once on a new database: one
		// loads the demo, the others start without waiting for it.
		if _, err := sqldb.Exclusive(ctx, app.DB, "demo", func(ctx context.Context) error {
			bodies, err := app.Sessions.FindBodies(ctx)
			if err != nil || len(bodies) > 0 {
				return err
			}
			res, err := loadDemo(ctx, app, "", stderr)
			if err != nil {
				return err
			}
			printDemo(stdout, res)
			// Written once, so the credentials can be found again.
			if b, err := json.MarshalIndent(res.Accounts, "", "  "); err == nil {
				os.WriteFile(filepath.Join(cfg.Data, "demo-accounts.json"), b, 0o600)
				fmt.Fprintf(stdout, "(Die Anmeldungen stehen auch in %s.)\n\n", filepath.Join(cfg.Data, "demo-accounts.json"))
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// The search index follows the database through the changes feed; a
	// missing or damaged index is rebuilt in the background while the
	// rest of the server works.
	// On SQLite a search asks the database whether the index lags only
	// after a commit (of this process or another, the CLI's): the WAL
	// index's header says whether one happened (documents/sqlite.Watch).
	// Without it, every search asks.
	var commits indexer.Commits
	if sqldb.DialectOf(app.DB) == sqldb.SQLite {
		w, err := sqlite.OpenWatch(ctx, filepath.Join(cfg.Data, "ratsmappe.db"))
		if err != nil {
			log.Warn("search: watching the database's commits", "err", err)
		} else {
			defer w.Close()
			commits = w
		}
	}
	searcher := newIndexer(app, cfg, commits)
	searcher.Start()
	defer searcher.Close()
	// Several app servers on one database share their keys through it.
	if err := shareSecrets(ctx, app.DB, cfg.Data); err != nil {
		return err
	}
	key, err := loadKey(cfg.Data)
	if err != nil {
		return err
	}
	// The VAPID key of Web Push stays in the data directory: browsers bind
	// every subscription to it.
	pushKeys, err := webpush.LoadOrCreateKeys(cfg.Data)
	if err != nil {
		return err
	}
	pushStore := webpush.NewStore(app.DB, nil)
	pushPolicy := webpush.Policy{Hosts: splitHosts(*pushHosts), AllowHTTP: *pushHTTP}
	outbox, mailer, err := startOutbox(ctx, app, *smtpURL, *mailFrom, *publicURL,
		webpush.OutboxSender{Store: pushStore, Sender: &webpush.Sender{Keys: pushKeys, Subject: pushSubject(*mailFrom, *publicURL), Policy: pushPolicy}}, log)
	if err != nil {
		return err
	}
	// Citizens' e-mail alerts need a mail server and the public address
	// their links point to.
	var alertStore *alerts.Store
	switch {
	case !mailer:
	case *publicURL == "":
		log.Warn("citizens' e-mail alerts are off: they need --public-url (RATSMAPPE_PUBLIC_URL) for their links")
	default:
		alertStore = alerts.NewStore(app.DB, app.Sessions, outbox, alerts.Options{BaseURL: *publicURL, Key: key, From: *mailFrom, Search: searcher, Log: log})
		go alertStore.Run(ctx, *alertsEvery)
	}
	handler, err := web.NewServer(web.Config{
		Documents: app.Docs,
		Sessions:  app.Sessions,
		Accounts:  app.Accounts,
		DB:        app.DB,
		Logger:    log,
		Registry:  reg,
		Key:       key,
		PacketDir: filepath.Join(cfg.Data, "cache", "packets"),
		TempDir:   filepath.Join(cfg.Data, "tmp"),
		OIDC: web.OIDCConfig{
			Issuer:       *oidcIssuer,
			ClientID:     envString("RATSMAPPE_OIDC_CLIENT_ID", ""),
			ClientSecret: envString("RATSMAPPE_OIDC_CLIENT_SECRET", ""),
			RedirectURL:  envString("RATSMAPPE_OIDC_REDIRECT_URL", ""),
		},
		MaxUpload:      cfg.PDFMaxMB * 1000 * 1000,
		Search:         searcher,
		BodyTimeout:    *bodyTimeout,
		TrustedProxies: proxies,
		PublicURL:      *publicURL,
		OParl:          web.OParlConfig{AGS: *oparlAGS, License: *oparlLicense},
		Outbox:         mailOutbox(outbox, mailer),
		MailFrom:       *mailFrom,
		Push:           pushStore,
		PushKeys:       pushKeys,
		PushPolicy:     pushPolicy,
		Alerts:         alertStore,
		Live:           liveStore(ctx, app, cfg, key, log), // joined to the other app servers on PostgreSQL
		// On PostgreSQL the public cache learns of commits by notification.
		ChangesNotified: sqldb.DialectOf(app.DB) == sqldb.Postgres,
	})
	if err != nil {
		return err
	}
	followChanges(ctx, handler, searcher, cfg, log)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	// A client gets headerTimeout for its headers and the body limits of
	// web (limits.go: short deadlines, uploads by a minimum rate, which
	// overrides ReadTimeout); WriteTimeout bounds a packet download.
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: *headerTimeout,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	// The address line is what scripts and tests wait for.
	fmt.Fprintf(stdout, "ratsmappe listening on http://%s\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "data", cfg.Data)

	if *sweepEvery > 0 {
		go func() {
			t := time.NewTicker(*sweepEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					// One app server sweeps at a time: the others skip this
					// round (sqldb.Exclusive; on SQLite there is one).
					var res documents.SweepResult
					if _, err := sqldb.Exclusive(ctx, app.DB, "sweep blobs", func(ctx context.Context) (err error) {
						res, err = app.Docs.Sweep(ctx, *grace)
						return err
					}); err != nil {
						log.Error("sweep", "err", err)
					} else if res.Deleted > 0 {
						log.Info("sweep", "checked", res.Checked, "deleted", res.Deleted)
					}
					// Sign-ins past their idle or absolute timeout would be
					// refused anyway; without this they piled up forever.
					if n, err := app.Accounts.SweepSignIns(ctx, 0, 0); err != nil {
						log.Error("sweep sign-ins", "err", err)
					} else if n > 0 {
						log.Info("removed expired sign-ins", "removed", n)
					}
					if n := prunePackets(filepath.Join(cfg.Data, "cache", "packets"), 7*24*time.Hour); n > 0 {
						log.Info("pruned session packets", "removed", n)
					}
				}
			}
		}()
	}

	// Members are told what changed in their meetings; the worker also
	// reads the changes feed on, which keeps rows until every consumer
	// has read them.
	go notices.NewWorker(notices.Config{DB: app.DB, Store: app.Sessions, Outbox: outbox, From: *mailFrom, BaseURL: *publicURL, Log: log,
		Prefs: func(ctx context.Context, tx *sql.Tx, account int64) (notices.Pref, error) {
			c, err := invitation.ConsentOfAccount(ctx, tx, account)
			if err != nil {
				return notices.Pref{}, err
			}
			// E-mail only to members who consented to electronic
			// delivery, and only with a mail server; push to the devices
			// they subscribed.
			p := notices.Pref{Push: c.Push, Digest: c.Digest}
			if mailer && c.Electronic {
				p.Email = c.Email
			}
			return p, nil
		}}).Run(ctx)

	// Annotations move to new versions of their documents: the reader
	// re-anchors a document's annotations when it asks for them, this
	// catches up on everything else (and after a crash).
	go annotate.NewReanchorer(annotate.NewStore(app.DB, nil), app.Docs.Store(), log).Run(ctx, 30*time.Second)

	// The first requests after a start do not wait for PostgreSQL to
	// start the pool's processes.
	postgres.Warm(ctx, app.DB)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startOutbox starts the worker that sends the outbox's messages: e-mail
// through the SMTP server at url (none without one: mailer false), Web
// Push to members' devices always.
func startOutbox(ctx context.Context, app *App, url, from, publicURL string, push notify.Sender, log *slog.Logger) (outbox *notify.Outbox, mailer bool, err error) {
	ch := notify.Channels{Push: push}
	if url == "" {
		if from != "" {
			log.Warn("RATSMAPPE_MAIL_FROM is set but RATSMAPPE_SMTP_URL is not: no e-mail is sent")
		}
		log.Info("no mail server configured (RATSMAPPE_SMTP_URL): invitations go on the postal list, no e-mail is sent")
	} else {
		sender, err := smtp.New(smtp.Config{URL: url, From: from})
		if err != nil {
			return nil, false, err
		}
		ch.Email, mailer = sender, true
	}
	domain := notify.Domain(from)
	if domain == "" {
		if u, err := neturl.Parse(publicURL); err == nil {
			domain = u.Hostname()
		}
	}
	outbox = notify.NewOutbox(app.DB, ch, notify.Options{Domain: domain, Log: log})
	go func() {
		if err := outbox.Run(ctx); err != nil {
			log.Error("outbox stopped", "err", err)
		}
	}()
	return outbox, mailer, nil
}

// mailOutbox is the outbox the invitation may e-mail through: none
// without a mail server, so that a server configured later does not send
// stale invitations.
func mailOutbox(o *notify.Outbox, mailer bool) *notify.Outbox {
	if !mailer {
		return nil
	}
	return o
}

// pushSubject is the contact push services may reach the operator at
// (RFC 8292): the sender's address, else the public site.
func pushSubject(from, publicURL string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		return "mailto:" + a.Address
	}
	if strings.HasPrefix(publicURL, "https://") {
		return publicURL
	}
	return "mailto:ratsmappe@localhost"
}

// loadKey returns the server's secret key from DATA/secret.key, creating
// it on first start, so that form tokens survive a restart.
func loadKey(data string) ([]byte, error) {
	p := filepath.Join(data, secretKeyFile)
	b, err := os.ReadFile(p)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", p, err)
	}
	return b, nil
}

func runGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	cfg.register(fs, "warn")
	grace := fs.Duration("grace", 24*time.Hour, "keep unreferenced blobs younger than this")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	res, err := app.Docs.Sweep(ctx, *grace)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d Blobs geprüft, %d nicht referenzierte entfernt\n", res.Checked, res.Deleted)
	return nil
}

// prunePackets removes built session packets older than age: they are
// rebuilt in well under a second when someone asks again, and packets of
// changed inputs are never asked for again.
func prunePackets(dir string, age time.Duration) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	cutoff := time.Now().Add(-age)
	n := 0
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}
