package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// CSRF protection has two layers. First, net/http's CrossOriginProtection
// refuses state-changing requests that a browser marks as coming from
// another site (Sec-Fetch-Site, Origin). Second, every form carries a
// token that must match the csrf cookie (double submit), signed with the
// server's key so that a cookie planted by a sibling subdomain is useless.
// API requests with a bearer token are not forms and skip the second layer.

const csrfCookie = "csrf"

// csrf issues and checks form tokens.
type csrf struct {
	key    []byte
	secure func(*http.Request) bool
}

func newCSRF(key []byte, secure func(*http.Request) bool) *csrf {
	return &csrf{key: key, secure: secure}
}

func (c *csrf) sign(nonce []byte) string {
	m := hmac.New(sha256.New, c.key)
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(append(append([]byte{}, nonce...), m.Sum(nil)...))
}

func (c *csrf) valid(tok string) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 16+32 {
		return false
	}
	m := hmac.New(sha256.New, c.key)
	m.Write(b[:16])
	return hmac.Equal(b[16:], m.Sum(nil))
}

// Token returns the form token for r, setting the csrf cookie on w if the
// request has none (or an invalid one).
func (c *csrf) Token(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && c.valid(ck.Value) {
		return ck.Value
	}
	nonce := make([]byte, 16)
	rand.Read(nonce)
	tok := c.sign(nonce)
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: c.secure(r), SameSite: http.SameSiteLaxMode,
	})
	// Later calls in the same request see the new cookie.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
	return tok
}

// Check reports whether the form of r carries the token of its cookie.
func (c *csrf) Check(r *http.Request) bool {
	ck, err := r.Cookie(csrfCookie)
	if err != nil || !c.valid(ck.Value) {
		return false
	}
	// The header first: reading the form would consume a multipart body
	// (an upload) that the handler still has to stream.
	form := r.Header.Get("X-CSRF-Token")
	if form == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form = r.PostFormValue("csrf_token")
	}
	return subtle.ConstantTimeCompare([]byte(form), []byte(ck.Value)) == 1
}
