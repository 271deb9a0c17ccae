// Package web serves Ratsmappe over HTTP: health and metrics endpoints, the
// JSON API under /api/v1/ and, in later stages, the pages of the portal,
// the clerk UI and the reader.
//
// Errors are mapped to HTTP statuses in one place (Error). A person never
// sees an internal error's text, only "internal error" and a request ID.
package web

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions"
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
	// OParl holds what the OParl API says about the body that the
	// database does not know; see OParlConfig.
	OParl OParlConfig
}

// Server is the HTTP handler of Ratsmappe.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router chi.Router
	assets *assets
	views  *views
	csrf   *csrf
	oidc   *oidcLogin

	publicURL string // Config.PublicURL, checked

	signIns *signInThrottle
	known   *knownTokens
	verify  *lane // checking credentials not in known

	pub     *publicCache // nil without a database
	packets *packets
}

// NewServer returns a Server with its routes. cfg.DB must have every
// package's schema (internal/schema.Migrate). It fails if the embedded
// templates or assets are broken, which the tests catch.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Accounts == nil && cfg.DB != nil {
		cfg.Accounts = accounts.NewStore(cfg.DB, nil)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, packets: newPackets(cfg.PacketDir)}
	if s.log == nil {
		s.log = slog.Default()
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	if s.views, err = loadViews(s.assets); err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	if err := cfg.OParl.validate(); err != nil {
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
	s.csrf = newCSRF(key, secure)
	s.signIns = newSignInThrottle(time.Now)
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
	r := chi.NewRouter()
	r.Use(s.resolveClient)
	// Early, so that every answer — a 429 too — carries them.
	r.Use(securityHeaders)
	r.Use(middleware.RequestID)
	r.Use(middleware.Recoverer)
	// A body arrives, and a sign-in is checked, before the request takes
	// an admission slot: slow clients and forged cookies hold none, and
	// the admission knows whom it admits (admission.go, limits.go).
	r.Use(s.limitBodies)
	r.Use(s.authenticate)
	r.Use(newAdmission(inFlight, queue, wait).middleware)
	// HEAD is answered by the GET handler, without the body.
	r.Use(middleware.GetHead)
	r.Use(rememberLanguage)
	r.Use(http.NewCrossOriginProtection().Handler)
	r.Use(s.checkCSRF)
	r.Use(publicCache)

	r.Handle("/static/*", s.assets)
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	if cfg.Registry != nil {
		r.Handle("/metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	}
	if cfg.Sessions != nil {
		s.oparlRoutes(r)
		s.fileRoutes(r)
		r.Get("/login", s.handleLoginPage)
		r.Post("/login", s.handleLogin)
		r.Post("/logout", s.handleLogout)
		if s.oidc != nil {
			r.Get("/login/oidc", s.handleOIDCStart)
			r.Get("/login/oidc/callback", s.handleOIDCCallback)
		}
		r.Get("/", s.pageHome)
		r.Get("/organizations", s.pageOrganizations)
		r.Get("/organizations/{id}", s.pageOrganization)
		r.Get("/papers/{id}", s.pagePaper)
		r.Get("/documents/{id}", s.pageDocument)
		r.Get("/documents/{id}/diff", s.pageDiff)
		r.Get("/meetings", s.pageMeetings)
		r.Get("/meetings/{id}", s.pageMeeting)
		r.Get("/calendar.ics", s.handleCalendar)
		r.Get("/organizations/{id}/calendar.ics", s.handleCalendar)
		r.Get("/feeds/documents.atom", s.handleDocumentsFeed)
		r.Get("/organizations/{id}/documents.atom", s.handleDocumentsFeed)
		r.Get("/sitemap.xml", s.handleSitemap)
		s.searchRoutes(r)
		r.Get("/office", s.staffPage(s.pageOffice))
		r.Get("/office/meetings/{id}", s.staffPage(s.pageOfficeMeeting))
		r.Get("/office/calendar", s.staffPage(s.pageOfficeCalendar))
		r.Get("/office/audit", s.staffPage(s.pageOfficeAudit))
		s.readerRoutes(r)
		r.Route("/api/v1", func(r chi.Router) {
			r.Get("/documents/{id}/versions/{n}/file", s.handleVersionFile)
			r.Get("/meetings", s.apiMeetings)
			r.Get("/meetings/{id}", s.apiMeeting)
			r.Get("/meetings/{id}/packet.pdf", s.apiPacket)
			r.Get("/openapi.json", s.apiOpenAPI)
			s.searchAPIRoutes(r)
			r.Group(s.clerkRoutes)
			s.readerAPI(r)
			s.annotationRoutes(r)
		})
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
	})
	s.router = r
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

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
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, check)
}

// handleVersionFile serves the sanitized PDF of one version, with range
// requests, ETag (the content's SHA-256) and Last-Modified — if the viewer
// may see it; otherwise it answers exactly like a version that does not
// exist.
func (s *Server) handleVersionFile(w http.ResponseWriter, r *http.Request) {
	id, err1 := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	n, err2 := strconv.Atoi(chi.URLParam(r, "n"))
	if err1 != nil || err2 != nil || id <= 0 || n <= 0 {
		s.Error(w, r, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
		return
	}
	ctx := r.Context()
	viewer := viewerFrom(ctx)
	acc, err := s.documentAccess(ctx, viewer, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if acc != access.Full {
		s.Error(w, r, notFoundErr)
		return
	}
	v, err := s.cfg.Documents.Store().FindVersion(ctx, id, n)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if access.VersionAccess(viewer, acc, v.State == documents.StateWithdrawn) != access.Full {
		s.Error(w, r, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden."))
		return
	}
	// Public or not decides caching and the audit: what a citizen may
	// see can be cached (revalidated by ETag every time, so a document
	// that stops being public is never served from a cache); anything
	// else is private, and reading it is recorded.
	public, err := s.cfg.Sessions.DocumentAccess(ctx, access.Viewer{}, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cache := "private, no-store"
	if publicVersionState(public, v.State) {
		cache = "public, no-cache"
	} else {
		// Every request counts, whatever its method or range: a HEAD
		// tells size and date, a range hands out bytes (see audit.go).
		s.audit(ctx, "document.read_nonpublic", "document", id, fmt.Sprintf("version %d", n))
	}
	disposition := "inline"
	if r.URL.Query().Get("download") != "" {
		disposition = "attachment"
	}
	w.Header().Add("Vary", "Cookie, Authorization")
	s.servePDF(w, r, v, disposition, cache)
}

// servePDF serves the sanitized rendition of version v with range
// requests, its SHA-256 as ETag and its upload time as Last-Modified.
func (s *Server) servePDF(w http.ResponseWriter, r *http.Request, v *documents.Version, disposition, cacheControl string) {
	rs := documents.NewBlobReadSeeker(r.Context(), s.cfg.Documents.Blobs(), v.SHA256, v.Size)
	defer rs.Close()
	h := w.Header()
	h.Set("ETag", `"`+v.SHA256+`"`)
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", documents.ContentDisposition(disposition, v.FileName))
	h.Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, "", v.Created, rs)
}

// Error writes err as a JSON error response with the status its code maps
// to: code, message, and reason and message_en where the error has them.
// Internal errors are logged with the request ID and shown as "internal
// error".
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	var rej *documents.Rejection
	if errors.As(err, &rej) {
		status := http.StatusUnprocessableEntity
		if rej.Code == documents.RejectTooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, map[string]string{"code": rej.Code, "message": rej.Message, "message_en": rej.MessageEN})
		return
	}
	code := ratsmappe.ErrorCode(err)
	switch code {
	case ratsmappe.ENOTFOUND:
		// One body for everything not found — and everything refused —
		// so that a response never tells which it was.
		writeJSON(w, http.StatusNotFound, notFoundBody)
		return
	case ratsmappe.EINTERNAL:
		reqID := middleware.GetReqID(r.Context())
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "request_id", reqID, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"code": code, "message": "internal error", "request_id": reqID})
		return
	}
	body := map[string]string{"code": code, "message": ratsmappe.ErrorMessage(err)}
	var e *ratsmappe.Error
	if errors.As(err, &e) {
		if e.Reason != "" {
			body["reason"] = e.Reason
		}
		if e.MessageEN != "" {
			body["message_en"] = e.MessageEN
		}
	}
	writeJSON(w, ErrorStatus(code), body)
}

var notFoundBody = map[string]string{"code": ratsmappe.ENOTFOUND, "message": "Nicht gefunden. / Not found."}

// requestID is the ID middleware.RequestID gave r, for logs and error pages.
func requestID(r *http.Request) string { return middleware.GetReqID(r.Context()) }

// ErrorStatus maps an application error code to an HTTP status.
func ErrorStatus(code string) int {
	switch code {
	case ratsmappe.EINVALID:
		return http.StatusBadRequest
	case ratsmappe.ENOTFOUND:
		return http.StatusNotFound
	case ratsmappe.ECONFLICT:
		return http.StatusConflict
	case ratsmappe.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case ratsmappe.EFORBIDDEN:
		return http.StatusForbidden
	case ratsmappe.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case ratsmappe.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case ratsmappe.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
