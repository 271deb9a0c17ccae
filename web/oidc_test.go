package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

// fakeProvider is a minimal OpenID Connect provider, standing in for
// Keycloak (which cannot run on this machine): discovery, keys, an
// authorization endpoint that approves at once, and a token endpoint that
// checks PKCE and issues a signed ID token.
type fakeProvider struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	username string // who "signs in" at the provider

	mu        sync.Mutex
	challenge string
	nonce     string
}

func newProvider(t *testing.T) *fakeProvider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProvider{key: key}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	iss := p.srv.URL
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "authorization_endpoint": iss + "/auth", "token_endpoint": iss + "/token",
			"jwks_uri": iss + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" {
			http.Error(w, "PKCE required", 400)
			return
		}
		p.mu.Lock()
		p.challenge, p.nonce = q.Get("code_challenge"), q.Get("nonce")
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=the-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		p.mu.Lock()
		ok := base64.RawURLEncoding.EncodeToString(sum[:]) == p.challenge && r.PostForm.Get("code") == "the-code"
		nonce := p.nonce
		p.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		now := time.Now()
		idt, _ := jwt.Signed(signer).Claims(jwt.Claims{Issuer: iss, Subject: "sub-" + p.username, Audience: jwt.Audience{"ratsmappe"},
			Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now)}).
			Claims(map[string]any{"nonce": nonce, "preferred_username": p.username}).Serialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": idt})
	})
	return p
}

func TestOIDCSignIn(t *testing.T) {
	prov := newProvider(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := sessions.NewStore(db, nil)
	acc := accounts.NewStore(db, nil)
	a := &accounts.Account{Name: "dora", DisplayName: "Dora Keycloak", Role: access.RoleMember}
	if err := acc.CreateAccount(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	h, err := web.NewServer(web.Config{Sessions: st, DB: db, Documents: documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory()}),
		OIDC: web.OIDCConfig{Issuer: prov.srv.URL, ClientID: "ratsmappe", ClientSecret: "secret", RedirectURL: srv.URL + "/login/oidc/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	handler = h

	signIn := func(username string) *http.Response {
		prov.username = username
		c := browser(t)
		resp, err := c.Get(srv.URL + "/login/oidc?next=/meetings")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3 && resp.StatusCode/100 == 3; i++ {
			resp.Body.Close()
			loc, _ := resp.Location()
			if strings.HasSuffix(loc.Path, "/meetings") {
				break
			}
			if resp, err = c.Get(loc.String()); err != nil {
				t.Fatal(err)
			}
		}
		resp.Body.Close()
		return resp
	}
	// The account is linked at the first sign-in, by user name.
	resp := signIn("dora")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/meetings" {
		t.Fatalf("OIDC sign-in: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var auth string
	for _, ck := range resp.Cookies() {
		if ck.Name == "auth" {
			auth = ck.Value
		}
	}
	got, err := acc.ResolveSignIn(ctx, auth, time.Hour, time.Hour)
	if err != nil || got.ID != a.ID {
		t.Fatalf("signed in as %v, %v; want dora", got, err)
	}
	if _, err := acc.FindAccountByOIDC(ctx, prov.srv.URL+"|sub-dora"); err != nil {
		t.Errorf("account not linked: %v", err)
	}
	// Someone the provider knows but Ratsmappe does not gets no account.
	if resp := signIn("mallory"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown user: %d, want 401", resp.StatusCode)
	}
	// A callback without the matching state is refused.
	c := browser(t)
	resp, err = c.Get(srv.URL + "/login/oidc/callback?code=the-code&state=forged")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged state: %d, want 401", resp.StatusCode)
	}
}
