// Package web serves Ratsmappe over HTTP. It is the core: the server, its
// middleware (proxies, limits, admission, sign-in, CSRF, the public
// cache), sign-in itself, health and metrics, and the one route table
// (routes.go) that registers the handlers of every surface — web/portal,
// web/office, web/reader, web/live, web/oparl.
//
// Errors are mapped to HTTP statuses in one place (render.Error). A person
// never sees an internal error's text, only "internal error" and a
// request ID.
package web

import (
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/folder"
	liveweb "github.com/ratsmappe/ratsmappe/web/live"
	"github.com/ratsmappe/ratsmappe/web/office"
	"github.com/ratsmappe/ratsmappe/web/oparl"
	"github.com/ratsmappe/ratsmappe/web/portal"
	"github.com/ratsmappe/ratsmappe/web/reader"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Config configures a Server.
type Config struct {
	Documents *documents.Service
	Sessions  *sessions.Store
	DB        *sql.DB
	Logger    *slog.Logger
	Registry  *prometheus.Registry // metrics are served from it; may be nil
	// Accounts keeps accounts, sign-ins and API tokens; nil: an
	// accounts.Store on DB (cmd passes its own).
	Accounts *accounts.Store
	// Key signs CSRF tokens; at least 32 random bytes, kept across
	// restarts (cmd keeps it in the data directory).
	Key []byte
	// IdleTimeout and AbsoluteTimeout limit a sign-in; zero means the
	// accounts package's defaults.
	IdleTimeout, AbsoluteTimeout time.Duration
	// PacketDir caches built session packets.
	PacketDir string
	// OIDC, if its Issuer is set, adds sign-in through an OpenID
	// Connect provider at /login/oidc.
	OIDC OIDCConfig
	// MaxInFlight requests are served at a time (default 256); up to
	// MaxQueue more wait up to QueueWait (default 1024, 3 s); the rest
	// get 429 with Retry-After at once.
	MaxInFlight, MaxQueue int
	QueueWait             time.Duration
	// TempDir receives uploads; MaxUpload is the largest accepted.
	TempDir   string
	MaxUpload int64
	// Search answers /search and /api/v1/search; nil: search unavailable.
	Search Searcher

	// BodyTimeout bounds the time to receive a request body other than
	// an upload or a sign-in (default 20 s); see limits.go.
	BodyTimeout time.Duration

	// TrustedProxies are the peers whose X-Forwarded-For, X-Real-IP and
	// X-Forwarded-Proto count (default none); see proxy.go.
	TrustedProxies []netip.Prefix
	// PublicURL, e.g. https://rat.example.org, is what every absolute
	// URL is built from; empty: the request's Host (see proxy.go).
	PublicURL string
	// Push keeps the members' devices subscribed to Web Push, PushKeys is
	// the server's VAPID key and PushPolicy the push services accepted
	// (push.go); nil Push: the reader offers no push notifications.
	Push       *webpush.Store
	PushKeys   *webpush.Keys
	PushPolicy webpush.Policy
	// Alerts keeps citizens' e-mail alerts (alerts.go); nil: the alert
	// pages answer 404.
	Alerts *alerts.Store
	// OParl holds what the OParl API says about the body that the
	// database does not know.
	OParl OParlConfig

	// Outbox sends the invitations' e-mails (cmd runs its worker); nil
	// when no mail server is configured: invitations then make their
	// letter and postal list and record the e-mails as not sent.
	// MailFrom is their sender (RATSMAPPE_MAIL_FROM).
	Outbox   *notify.Outbox
	MailFrom string
	// Live keeps the live session (attendance, votes); nil: a
	// live.Store on DB and Sessions. MaxLiveFollowers bounds the live
	// streams open at a time (default 10000).
	Live             *live.Store
	MaxLiveFollowers int
	// ChangesNotified says that the server is told of every commit to
	// the changes feed (Server.FeedChanged, Server.FeedMissed, from a
	// listener on changes.Channel): the public cache then keeps its
	// generation in memory instead of reading it on every request.
	ChangesNotified bool
}

// OParlConfig is what the OParl API says about the body that the
// database does not hold. Empty fields are left out of the answers.
type OParlConfig struct {
	// AGS is the body's Amtlicher Gemeindeschlüssel (Body.ags): eight
	// digits.
	AGS string
	// License is the URL of the license the data are published under
	// (System.license and Body.license), e.g.
	// https://creativecommons.org/licenses/by/4.0/.
	License string
}

// Searcher answers full-text searches; see portal.Searcher.
type Searcher = portal.Searcher

// Server is the HTTP handler of Ratsmappe.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router chi.Router
	csrf   *csrf
	oidc   *oidcLogin

	publicURL string // Config.PublicURL, checked

	signIns *signInThrottle
	known   *knownTokens
	verify  *lane // checking credentials not in known

	pub    *publicCache // nil without a database
	reader *reader.Handler
	folder *folder.Folder
	office *office.Handler
	portal *portal.Handler
	invite *office.Invitations
	live   *liveweb.Handler
	oparl  *oparl.Handler
}

// NewServer returns a Server with its routes. cfg.DB must have every
// package's schema (internal/schema.Migrate). It fails if the embedded
// templates or assets are broken, which the tests catch.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Accounts == nil && cfg.DB != nil {
		cfg.Accounts = accounts.NewStore(cfg.DB, nil)
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	var err error
	stores := folder.Config{Sessions: cfg.Sessions, Documents: cfg.Documents, Log: s.log}
	s.folder = folder.New(stores)
	if s.reader, err = reader.New(reader.Config{Config: stores, DB: cfg.DB, Accounts: cfg.Accounts, PacketDir: cfg.PacketDir}); err != nil {
		return nil, err
	}
	if cfg.Live == nil && cfg.Sessions != nil {
		cfg.Live = live.NewStore(cfg.DB, cfg.Sessions, cfg.Sessions.Now)
		s.cfg.Live = cfg.Live
	}
	s.portal = portal.New(portal.Config{Config: stores, Search: cfg.Search, Live: cfg.Live})
	s.office = office.New(office.Config{Config: stores, TempDir: cfg.TempDir, MaxUpload: cfg.MaxUpload})
	s.invite = office.NewInvitations(invitation.New(invitation.Config{DB: cfg.DB, Sessions: cfg.Sessions,
		Documents: cfg.Documents, Outbox: cfg.Outbox, From: cfg.MailFrom, BaseURL: cfg.PublicURL, TempDir: cfg.TempDir}), stores)
	s.live = liveweb.New(liveweb.Config{Config: stores, Live: cfg.Live, MaxFollowers: cfg.MaxLiveFollowers, TempDir: cfg.TempDir})
	if err := render.Load(); err != nil {
		return nil, err
	}
	if s.oparl, err = oparl.New(oparl.Config{Sessions: cfg.Sessions, Documents: cfg.Documents, Live: cfg.Live,
		AGS: cfg.OParl.AGS, License: cfg.OParl.License}); err != nil {
		return nil, err
	}
	if cfg.OIDC.Issuer != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.oidc, err = newOIDC(ctx, cfg.OIDC)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	if s.publicURL, err = parsePublicURL(cfg.PublicURL); err != nil {
		return nil, err
	}
	key := cfg.Key
	if len(key) < 32 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	s.csrf = newCSRF(key, request.Secure)
	s.signIns = newSharedSignInThrottle(cfg.Accounts, time.Now)
	s.known = newKnownTokens(time.Now)
	s.verify = newLane(16, 256, 3*time.Second)

	inFlight, queue, wait := cfg.MaxInFlight, cfg.MaxQueue, cfg.QueueWait
	if inFlight <= 0 {
		inFlight = 256
	}
	if queue <= 0 {
		queue = 1024
	}
	if wait <= 0 {
		wait = 3 * time.Second
	}
	publicCache, err := s.newPublicCache()
	if err != nil {
		return nil, err
	}
	s.router = s.routes(publicCache, newAdmission(inFlight, queue, wait, serverDB(cfg.DB)))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// requestValues gives the request what the surfaces read back through
// package request: the logger and the source of CSRF tokens.
func (s *Server) requestValues(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := request.WithToken(request.WithLogger(r.Context(), s.log), s.csrf.Token)
		if s.cfg.Alerts != nil {
			ctx = request.WithAlerts(ctx)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'; object-src 'none'; base-uri 'self'; form-action 'self'")
		if viaHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleReadyz answers 200 when the metadata database and the blob store
// answer, 503 otherwise.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	check := map[string]string{}
	ok := true
	if err := s.cfg.DB.PingContext(ctx); err != nil {
		check["database"], ok = "unavailable", false
		s.log.Error("readyz: database", "err", err)
	} else {
		check["database"] = "ok"
	}
	// A Stat of a key that cannot exist exercises the blob store's
	// connection without touching data.
	const probe = "0000000000000000000000000000000000000000000000000000000000000000"
	if _, err := s.cfg.Documents.Blobs().Stat(ctx, probe); err != nil && ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		check["blobs"], ok = "unavailable", false
		s.log.Error("readyz: blobs", "err", err)
	} else {
		check["blobs"] = "ok"
	}
	// A search index that reports its state (the indexer, with an index
	// of this server's own or a shared one) says whether it answers and
	// how many documents it lags behind the database. It does not make
	// the server unready: everything but search works without it, and
	// search answers "temporarily unavailable" rather than wrongly.
	if st, ok := s.cfg.Search.(searchStatus); ok {
		ready, lag, err := st.Status(ctx)
		switch {
		case err != nil:
			check["search"] = "unavailable"
			s.log.Error("readyz: search", "err", err)
		case !ready:
			check["search"] = "rebuilding"
		default:
			check["search"] = "ok"
		}
		if err == nil {
			check["search_lag"] = strconv.Itoa(lag)
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	render.JSON(w, status, check)
}

// searchStatus is a Searcher that reports its index's state
// (indexer.Indexer).
type searchStatus interface {
	Status(ctx context.Context) (ready bool, lag int, err error)
}

// handleVersionFile serves the sanitized PDF of one version, with range
// requests, ETag (the content's SHA-256) and Last-Modified — if the viewer
// may see it; otherwise it answers exactly like a version that does not
// exist.
func (s *Server) handleVersionFile(w http.ResponseWriter, r *http.Request) {
	id, err1 := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	n, err2 := strconv.Atoi(chi.URLParam(r, "n"))
	if err1 != nil || err2 != nil || id <= 0 || n <= 0 {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
		return
	}
	ctx := r.Context()
	viewer := request.Viewer(ctx)
	acc, err := s.folder.DocumentAccess(ctx, viewer, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if acc != access.Full {
		render.Error(w, r, render.NotFound)
		return
	}
	v, err := s.cfg.Documents.Store().FindVersion(ctx, id, n)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if access.VersionAccess(viewer, acc, v.State == documents.StateWithdrawn) != access.Full {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
		return
	}
	// Public or not decides caching and the audit: what a citizen may
	// see can be cached (revalidated by ETag every time, so a document
	// that stops being public is never served from a cache); anything
	// else is private, and reading it is recorded.
	public, err := s.cfg.Sessions.DocumentAccess(ctx, access.Viewer{}, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	cache := "private, no-store"
	if folder.PublicVersionState(public, v.State) {
		cache = "public, no-cache"
	} else {
		// Every request counts, whatever its method or range: a HEAD
		// tells size and date, a range hands out bytes (see audit.go).
		s.folder.Audit(ctx, "document.read_nonpublic", "document", id, fmt.Sprintf("version %d", n))
	}
	disposition := "inline"
	if r.URL.Query().Get("download") != "" {
		disposition = "attachment"
	}
	w.Header().Add("Vary", "Cookie, Authorization")
	render.PDF(w, r, s.cfg.Documents.Blobs(), v, disposition, cache)
}

//go:embed openapi.json
var openAPI []byte

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPI)
}
