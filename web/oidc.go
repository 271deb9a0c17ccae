package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// OIDCConfig turns on sign-in through an OpenID Connect provider such as
// Keycloak. Accounts are not created by signing in: the office creates
// them (with their role), and the first OIDC sign-in whose
// preferred_username (or e-mail) equals an account's name links the two;
// later sign-ins find the account by the provider's subject.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string // e.g. https://rat.example.org/login/oidc/callback
}

type oidcLogin struct {
	cfg      OIDCConfig
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// newOIDC discovers the provider. It is called at start-up; a provider
// that cannot be reached then is an error the operator must see.
func newOIDC(ctx context.Context, c OIDCConfig) (*oidcLogin, error) {
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OpenID Connect provider %s: %w", c.Issuer, err)
	}
	return &oidcLogin{
		cfg: c, provider: p,
		verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID}),
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}},
	}, nil
}

const oidcCookie = "oidc_state"

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// handleOIDCStart sends the browser to the provider, with state, nonce
// and a PKCE verifier kept in a short-lived cookie.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	next := safeNext(r.URL.Query().Get("next"))
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: strings.Join([]string{state, nonce, verifier, base64.RawURLEncoding.EncodeToString([]byte(next))}, "."),
		Path: "/login/oidc", MaxAge: 600, HttpOnly: true, Secure: request.Secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// handleOIDCCallback checks the provider's answer and signs the account
// in.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := render.Language(r)
	fail := func(msg string, err error) {
		s.log.Info("OIDC sign-in failed", "reason", msg, "err", err)
		p := render.NewPage(w, r, render.T(lang, "login.title"))
		p.CSRF = s.csrf.Token(w, r)
		p.Error, p.Data = msg, "/"
		render.HTML(w, r, http.StatusUnauthorized, "login", p)
	}
	c, err := r.Cookie(oidcCookie)
	parts := strings.Split(cookieValueOr(c, err), ".")
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1})
	if len(parts) != 4 || r.URL.Query().Get("state") != parts[0] || parts[0] == "" {
		fail("Die Anmeldung ist abgelaufen. Bitte versuchen Sie es noch einmal.", err)
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		fail("Die Anmeldung wurde abgebrochen.", fmt.Errorf("provider: %s", e))
		return
	}
	ctx2, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth.Exchange(ctx2, r.URL.Query().Get("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		fail("Die Anmeldung konnte nicht bestätigt werden.", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := s.oidc.verifier.Verify(ctx2, raw)
	if err != nil || idt.Nonce != parts[1] {
		fail("Die Anmeldung konnte nicht bestätigt werden.", err)
		return
	}
	var claims struct {
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		EmailVerified     bool   `json:"email_verified"`
	}
	idt.Claims(&claims)
	subject := idt.Issuer + "|" + idt.Subject
	a, err := s.cfg.Accounts.FindAccountByOIDC(ctx, subject)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		a, err = s.linkOIDC(ctx, subject, claims.PreferredUsername, claims.Email, claims.EmailVerified)
	}
	if err != nil || a.Disabled {
		fail("Für diese Anmeldung gibt es kein Konto in Ratsmappe. Bitte wenden Sie sich an das Ratsbüro.", err)
		return
	}
	s.finishSignIn(w, r, a, string(mustDecode(parts[3])), "oidc")
}

// linkOIDC finds the account a first OIDC sign-in belongs to, by user name
// or verified e-mail, and links it.
func (s *Server) linkOIDC(ctx context.Context, subject, username, email string, verified bool) (*accounts.Account, error) {
	for _, name := range []string{username, map[bool]string{true: email}[verified]} {
		if name == "" {
			continue
		}
		a, err := s.cfg.Accounts.FindAccountByName(ctx, name)
		if err != nil {
			continue
		}
		if err := s.cfg.Accounts.LinkOIDC(ctx, a.ID, subject); err != nil {
			return nil, err
		}
		s.cfg.Sessions.Audit(ctx, sessions.AuditEntry{AccountID: a.ID, Actor: a.DisplayName, Action: "account.oidc_link", Details: subject})
		return a, nil
	}
	return nil, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Konto nicht gefunden.")
}

func cookieValueOr(c *http.Cookie, err error) string {
	if err != nil {
		return ""
	}
	return c.Value
}

func mustDecode(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return []byte("/")
	}
	return b
}
