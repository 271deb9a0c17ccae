package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/ratsmappe/ratsmappe/web/request"
)

// Who is asking, and under which address this server is known, are
// decided once per request, here, and nowhere else:
//
//   - The client address is the connection's peer. Only a peer in
//     Config.TrustedProxies may say otherwise: its X-Forwarded-For counts
//     (the right-most address that is not itself a trusted proxy — the
//     left part of the list is whatever the client wrote), else its
//     X-Real-IP. Anyone else's headers are ignored, so nobody spreads the
//     sign-in throttle over invented addresses or writes one into the
//     audit log.
//   - HTTPS is the connection's TLS, or a trusted proxy's
//     X-Forwarded-Proto.
//   - Absolute URLs (OParl ids, feeds, sitemap, calendar, redirects) are
//     built from Config.PublicURL whatever Host says; without it, from
//     the scheme above and Host, which suits a server used locally (cmd
//     warns at start).

// client is what resolveClient decided for a request.
type client struct {
	addr  netip.Addr
	https bool
	base  string // scheme://host[:port], no trailing slash
}

// parsePublicURL checks Config.PublicURL: an absolute http or https URL
// without path, query or fragment. It returns it as scheme://host.
func parsePublicURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("web: public URL %q: want http(s)://host[:port] without a path", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// resolveClient puts the request's client (see above) into its context.
func (s *Server) resolveClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := resolve(r, s.cfg.TrustedProxies, s.publicURL)
		rc := request.Client{Addr: c.addr, HTTPS: c.https, Base: c.base}
		next.ServeHTTP(w, r.WithContext(request.WithClient(r.Context(), rc)))
	})
}

// resolve decides r's client given the trusted proxies and the public
// URL ("" for none).
func resolve(r *http.Request, trusted []netip.Prefix, publicURL string) client {
	peer := peerAddr(r)
	c := client{addr: peer, https: r.TLS != nil}
	if inPrefixes(peer, trusted) {
		if a, ok := forwardedFor(r.Header.Values("X-Forwarded-For"), trusted); ok {
			c.addr = a
		} else if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
			c.addr = a.Unmap().WithZone("")
		}
		switch strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto"))) {
		case "https":
			c.https = true
		case "http":
			c.https = false
		}
	}
	c.base = publicURL
	if c.base == "" {
		scheme := "http"
		if c.https {
			scheme = "https"
		}
		c.base = scheme + "://" + r.Host
	} else if strings.HasPrefix(publicURL, "https:") {
		c.https = true
	}
	return c
}

// clientOf returns r's client, resolved without trusting anyone if
// resolveClient did not run (handlers called directly by tests).
func clientOf(r *http.Request) client {
	if c, ok := request.ClientOf(r); ok {
		return client{addr: c.Addr, https: c.HTTPS, base: c.Base}
	}
	return resolve(r, nil, "")
}

// peerAddr is the address of the connection's other end.
func peerAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap().WithZone("")
}

// forwardedFor returns the right-most address of X-Forwarded-For (all its
// header lines, in order) that is not a trusted proxy. A malformed entry
// ends the search: what stands left of it cannot be trusted, so the hop
// right of it counts. If every entry is trusted, the left-most one is the
// client.
func forwardedFor(lines []string, trusted []netip.Prefix) (netip.Addr, bool) {
	var hops []string
	for _, l := range lines {
		hops = append(hops, strings.Split(l, ",")...)
	}
	var last netip.Addr
	found := false
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return last, found
		}
		last, found = a.Unmap().WithZone(""), true
		if !inPrefixes(last, trusted) {
			return last, true
		}
	}
	return last, found
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes or
// single addresses ("10.0.0.0/8, 192.168.1.7, ::1").
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// clientIP is the address the request came from (see above), for logs,
// the audit log and the sign-in throttle.
func clientIP(r *http.Request) string {
	if a := clientOf(r).addr; a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}

// baseURL is the absolute URL of this server, scheme://host, that every
// absolute link is built on.
func baseURL(r *http.Request) string { return clientOf(r).base }

// baseHost is the host name of baseURL, without port.
func baseHost(r *http.Request) string {
	u, err := url.Parse(baseURL(r))
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// viaHTTPS reports whether the client reached this server over HTTPS.
func viaHTTPS(r *http.Request) bool { return clientOf(r).https }
