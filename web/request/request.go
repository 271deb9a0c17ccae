// Package request holds what the core of web learns about a request and the
// surfaces read back: who the viewer is, whether an API token signed the
// request in, where the client is and which URL it used, the CSRF token of
// a form, the logger, and the numeric IDs of a route.
//
// The core's middleware (web/auth.go, web/proxy.go, web/csrf.go) puts the
// values into the context; the surface packages (web/office, web/reader,
// web/portal) only read them, so that they need not import the core.
package request

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
)

type viewerKey struct{}
type bearerKey struct{}
type clientKey struct{}
type tokenKey struct{}
type loggerKey struct{}
type alertsKey struct{}
type publicViewKey struct{}

// WithViewer returns ctx with the viewer v; bearer says that v signed in
// with an API token (and so the request is not a browser form).
func WithViewer(ctx context.Context, v access.Viewer, bearer bool) context.Context {
	ctx = context.WithValue(ctx, viewerKey{}, v)
	if bearer {
		ctx = context.WithValue(ctx, bearerKey{}, true)
	}
	return ctx
}

// Viewer returns the viewer of the request (anonymous if none).
func Viewer(ctx context.Context) access.Viewer {
	v, _ := ctx.Value(viewerKey{}).(access.Viewer)
	return v
}

// ByBearer reports whether the request authenticated with an API token.
func ByBearer(ctx context.Context) bool {
	b, _ := ctx.Value(bearerKey{}).(bool)
	return b
}

// Client is where a request comes from, as the core resolved it behind
// trusted proxies (web/proxy.go).
type Client struct {
	Addr  netip.Addr
	HTTPS bool
	Base  string // scheme://host[:port], no trailing slash
}

// WithClient returns r's context with c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientOf returns the client of r and whether the core resolved it.
func ClientOf(r *http.Request) (Client, bool) {
	c, ok := r.Context().Value(clientKey{}).(Client)
	return c, ok
}

// TokenFunc hands out the CSRF token of a form, setting its cookie if
// needed.
type TokenFunc func(w http.ResponseWriter, r *http.Request) string

// WithToken returns ctx with the CSRF token source f.
func WithToken(ctx context.Context, f TokenFunc) context.Context {
	return context.WithValue(ctx, tokenKey{}, f)
}

// Token returns the CSRF token for a form of r; "" without a token source.
func Token(w http.ResponseWriter, r *http.Request) string {
	if f, ok := r.Context().Value(tokenKey{}).(TokenFunc); ok {
		return f(w, r)
	}
	return ""
}

// WithAlerts returns ctx marked as served by a server that offers citizen
// alerts by e-mail, so that pages link to their form.
func WithAlerts(ctx context.Context) context.Context {
	return context.WithValue(ctx, alertsKey{}, true)
}

// Alerts reports whether the server offers citizen alerts by e-mail.
func Alerts(ctx context.Context) bool {
	ok, _ := ctx.Value(alertsKey{}).(bool)
	return ok
}

// PublicView names the state of what every anonymous viewer sees that
// a request is answered under: the public cache's generation (the changes
// feed's newest seq, read after the request arrived) and the time until
// which that generation's answers hold (the next end of an embargo, or the
// cache's maximum age, whichever is first). The core's public cache puts
// it into the context of the anonymous requests it builds an answer for
// (a miss); a surface may remember a part of an anonymous answer under
// it, which is then exactly as current as the cache's own entries: a
// publication, depublication or any other change to the feed's tables
// starts a new generation, and the clock passing Until ends the old one.
type PublicView struct {
	Generation int64
	Until      time.Time
}

// WithPublicView returns ctx with the public view pv.
func WithPublicView(ctx context.Context, pv PublicView) context.Context {
	return context.WithValue(ctx, publicViewKey{}, pv)
}

// PublicViewOf returns the public view of an anonymous request the
// public cache answers, and false for every other request.
func PublicViewOf(ctx context.Context) (PublicView, bool) {
	pv, ok := ctx.Value(publicViewKey{}).(PublicView)
	return pv, ok
}

// WithLogger returns ctx with the server's logger.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the server's logger, or slog's default.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// ID is the ID the core's middleware gave r, for logs and error pages.
func ID(r *http.Request) string { return middleware.GetReqID(r.Context()) }

// IDParam reads the positive numeric route parameter name.
func IDParam(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	return id, err == nil && id > 0
}

// BaseURL is scheme://host[:port] as the client sees the server.
func BaseURL(r *http.Request) string {
	if c, ok := ClientOf(r); ok {
		return c.Base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// BaseHost is the host name of BaseURL.
func BaseHost(r *http.Request) string {
	u, err := url.Parse(BaseURL(r))
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// ViaHTTPS reports whether the client reached the server over HTTPS.
func ViaHTTPS(r *http.Request) bool {
	if c, ok := ClientOf(r); ok {
		return c.HTTPS
	}
	return r.TLS != nil
}

// Secure reports whether cookies must be Secure: always, except for plain
// HTTP on localhost, where developers and the demo run.
func Secure(r *http.Request) bool {
	if ViaHTTPS(r) {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// MaxJSONBody is the largest JSON body a request may send.
const MaxJSONBody = 1 << 20

// Decode reads a JSON body of at most 1 MiB into v, refusing unknown
// fields, so that a typo is an error and not a silent no-op. A longer body
// is ETOOLARGE (the core wraps it; the LimitReader is for callers
// without it).
func Decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxJSONBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ratsmappe.Errorf(ratsmappe.ETOOLARGE, "Die Anfrage ist zu groß. / The request is too large.")
		}
		return ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültige Anfrage: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// ETagMatches reports whether the If-None-Match header (RFC 9110,
// 13.1.2) names etag, a strong tag in quotes, by the weak comparison:
// W/"x" matches "x", and * matches everything.
func ETagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}
