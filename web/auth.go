package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// authCookie carries the sign-in token. ("session" means a council
// session in this product; the cookie is called auth.)
const authCookie = "auth"

// authenticate resolves the viewer from a bearer token or the auth cookie.
// A bad bearer token is an error (scripts must notice); a stale cookie
// just means anonymous, and is cleared.
//
// It runs before admission, which gives signed-in viewers a lane of their
// own. So that forged credentials cannot crowd out real ones there,
// checking a credential the server has not seen valid in the last minute
// takes a slot of a small lane of its own (s.verify); a credential seen
// valid recently (s.known) skips that lane — it is still checked in full.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.cfg.Sessions
		if st == nil {
			next.ServeHTTP(w, r)
			return
		}
		tok, bearer := "", false
		if h := r.Header.Get("Authorization"); h != "" {
			t, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				render.Error(w, r, ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Use Authorization: Bearer TOKEN."))
				return
			}
			tok, bearer = strings.TrimSpace(t), true
		} else if c, err := r.Cookie(authCookie); err == nil && c.Value != "" {
			tok = c.Value
		}
		if tok == "" {
			next.ServeHTTP(w, r)
			return
		}
		known := s.known.has(tok)
		if !known && !s.verify.acquire(w, r) {
			return
		}
		ctx, err := s.signedInContext(w, r, tok, bearer)
		if !known {
			s.verify.release()
		}
		if err != nil {
			render.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// signedInContext returns r's context with the viewer whose credential tok
// is (a bearer token or the auth cookie's value). A stale cookie is
// cleared and means anonymous; a bad bearer token is an error.
func (s *Server) signedInContext(w http.ResponseWriter, r *http.Request, tok string, bearer bool) (context.Context, error) {
	ctx, st := r.Context(), s.cfg.Accounts
	var a *accounts.Account
	var err error
	if bearer {
		a, err = st.ResolveAPIToken(ctx, tok)
	} else {
		a, err = st.ResolveSignIn(ctx, tok, s.cfg.idle(), s.cfg.absolute())
	}
	if !bearer && ratsmappe.ErrorCode(err) == ratsmappe.EUNAUTHORIZED {
		s.clearAuth(w, r)
		return ctx, nil
	}
	if err != nil {
		return nil, err
	}
	// The account comes with its person's memberships, read in the
	// same statement: a signed-in request costs one for its viewer.
	s.known.add(tok)
	ctx = request.WithViewer(ctx, a.Viewer(), bearer)
	return ctx, nil
}

func (c Config) idle() time.Duration {
	if c.IdleTimeout > 0 {
		return c.IdleTimeout
	}
	return accounts.DefaultIdleTimeout
}

func (c Config) absolute() time.Duration {
	if c.AbsoluteTimeout > 0 {
		return c.AbsoluteTimeout
	}
	return accounts.DefaultAbsoluteTimeout
}

func (s *Server) clearAuth(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: authCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: request.Secure(r), SameSite: http.SameSiteLaxMode})
}

// checkCSRF refuses state-changing browser requests without a valid form
// token. Requests with an API token are not browser requests.
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if request.ByBearer(r.Context()) {
			next.ServeHTTP(w, r)
			return
		}
		// An API call without any credentials has no ambient authority a
		// forged request could borrow; it goes on to answer 401.
		if strings.HasPrefix(r.URL.Path, "/api/") && request.Viewer(r.Context()).AccountID == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if !s.csrf.Check(r) {
			s.refuseCSRF(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) refuseCSRF(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EFORBIDDEN, "%s", render.T(render.Language(r), "error.csrf")))
		return
	}
	p := &render.Page{Title: render.T(render.Language(r), "error.csrf"), Error: render.T(render.Language(r), "error.csrf"), CSRF: s.csrf.Token(w, r)}
	render.HTML(w, r, http.StatusForbidden, "error", p)
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	p := render.NewPage(w, r, render.T(render.Language(r), "login.title"))
	p.CSRF = s.csrf.Token(w, r)
	p.Data = safeNext(r.URL.Query().Get("next"))
	p.OIDC = s.oidc != nil
	render.HTML(w, r, http.StatusOK, "login", p)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := render.Language(r)
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	fail := func(status int, msg string) {
		p := render.NewPage(w, r, render.T(lang, "login.title"))
		p.CSRF = s.csrf.Token(w, r)
		p.Error, p.Data = msg, next
		render.HTML(w, r, status, "login", p)
	}
	ip := clientIP(r)
	if wait := s.signIns.Wait(ctx, name, ip); wait > 0 {
		w.Header().Set("Retry-After", strconvSeconds(wait))
		fail(http.StatusTooManyRequests, render.T(lang, "login.limited"))
		return
	}
	a, err := s.cfg.Accounts.Authenticate(ctx, name, password)
	if err != nil {
		if ratsmappe.ErrorCode(err) == ratsmappe.EUNAUTHORIZED {
			if err := s.signIns.Fail(ctx, name, ip); err != nil {
				s.log.Error("sign-in throttle", "err", err)
			}
			s.log.Info("sign-in failed", "name", name, "ip", ip)
			fail(http.StatusUnauthorized, render.T(lang, "login.failed"))
			return
		}
		render.Error(w, r, err)
		return
	}
	if err := s.signIns.Succeed(ctx, name, ip); err != nil {
		s.log.Error("sign-in throttle", "err", err)
	}
	s.finishSignIn(w, r, a, next, "password")
}

// finishSignIn starts a sign-in for a, sets the auth cookie and sends the
// browser on to next.
func (s *Server) finishSignIn(w http.ResponseWriter, r *http.Request, a *accounts.Account, next, method string) {
	ctx := r.Context()
	// A new token at every sign-in: a token planted before (session
	// fixation) is never promoted. The old one, if any, ends.
	if c, err := r.Cookie(authCookie); err == nil {
		s.cfg.Accounts.EndSignIn(ctx, c.Value)
	}
	tok, err := s.cfg.Accounts.StartSignIn(ctx, a.ID, r.UserAgent())
	if err != nil {
		render.Error(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: authCookie, Value: tok, Path: "/", HttpOnly: true, Secure: request.Secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.cfg.absolute().Seconds())})
	s.cfg.Sessions.Audit(ctx, sessions.AuditEntry{AccountID: a.ID, Actor: a.DisplayName, Action: "account.sign_in", Details: method + " " + clientIP(r)})
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	if c, err := r.Cookie(authCookie); err == nil {
		s.cfg.Accounts.EndSignIn(ctx, c.Value)
	}
	if r.PostFormValue("everywhere") != "" && v.AccountID != 0 {
		s.cfg.Accounts.EndAllSignIns(ctx, v.AccountID)
		s.cfg.Sessions.Audit(ctx, sessions.AuditEntry{AccountID: v.AccountID, Actor: v.Name, Action: "account.sign_out_everywhere"})
	}
	s.clearAuth(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// safeNext keeps a redirect target on this site: a path, never a URL or a
// protocol-relative "//host".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

func strconvSeconds(d time.Duration) string {
	return strconv.Itoa(int(d.Seconds()) + 1)
}
