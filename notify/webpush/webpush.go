// Package webpush delivers Web Push messages to the reader installed on a
// member's tablet: VAPID keys (RFC 8292) kept in the data directory, the
// payload encrypted for the subscription (RFC 8291, aes128gcm of RFC 8188)
// and posted to the browser's push service (RFC 8030).
//
// The push service's address comes from the browser, and so from a
// signed-in client: a hostile member could name any URL and have the server
// post to it. Endpoints are therefore accepted only over https and only at
// the push services browsers use (Policy), and the client follows no
// redirects and reads at most a few KiB of an answer.
//
// The payload is encrypted end to end: the push service sees neither the
// title of an agenda item nor a link. What a payload may say is still the
// caller's business (package notify asks the visibility rule); this package
// only carries it.
package webpush

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// recordSize is the one record's size (RFC 8188 "rs"): push services
// accept 4096 bytes of body.
const recordSize = 4096

// MaxPayload is the longest plaintext that fits one record: 4096 bytes
// less the header (salt 16, rs 4, idlen 1, key 65), the padding delimiter
// and the AEAD tag.
const MaxPayload = recordSize - (16 + 4 + 1 + 65) - 1 - 16

// ---- keys ----

// Keys are the application server's VAPID key pair.
type Keys struct {
	private *ecdsa.PrivateKey
}

// KeyFile is the name of the VAPID key in the data directory.
const KeyFile = "vapid.pem"

// LoadOrCreateKeys reads the VAPID key from dir/vapid.pem, creating it
// (mode 0600) on first use. The key must never change while subscriptions
// exist: browsers bind a subscription to the public key it was made with.
// Two processes creating it at once agree on the first one written.
func LoadOrCreateKeys(dir string) (*Keys, error) {
	path := filepath.Join(dir, KeyFile)
	if b, err := os.ReadFile(path); err == nil {
		return parseKeys(b, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	k, err := NewKeys()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(k.private)
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".vapid-*.pem")
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		err = pem.Encode(tmp, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("vapid key: %w", err)
		}
	}
	// Link, not rename: it fails if another process won the race, and
	// then its key is the one.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	return parseKeys(b, path)
}

func parseKeys(b []byte, path string) (*Keys, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "EC PRIVATE KEY" {
		return nil, fmt.Errorf("vapid key %s: not a PEM EC private key", path)
	}
	k, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("vapid key %s: %w", path, err)
	}
	if k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("vapid key %s: not a P-256 key", path)
	}
	return &Keys{private: k}, nil
}

// NewKeys makes a fresh key pair (tests; LoadOrCreateKeys keeps one).
func NewKeys() (*Keys, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	return &Keys{private: k}, nil
}

// PublicKey is the uncompressed public key in base64url without padding:
// the applicationServerKey a browser subscribes with.
func (k *Keys) PublicKey() string {
	pub, err := k.private.PublicKey.ECDH()
	if err != nil {
		panic(err) // a P-256 key always converts
	}
	return b64(pub.Bytes())
}

// authorization returns the Authorization header for a push to endpoint's
// origin (RFC 8292): a JWT signed with ES256, valid for 12 hours.
func (k *Keys) authorization(origin, subject string, now time.Time) (string, error) {
	header := b64([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, err := json.Marshal(map[string]any{"aud": origin, "exp": now.Add(12 * time.Hour).Unix(), "sub": subject})
	if err != nil {
		return "", err
	}
	signing := header + "." + b64(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, k.private, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return "vapid t=" + signing + "." + b64(sig) + ", k=" + k.PublicKey(), nil
}

// ---- subscriptions ----

// Subscription is what the browser's PushManager.subscribe returns
// (PushSubscription.toJSON()).
type Subscription struct {
	Endpoint string `json:"endpoint"`
	// ExpirationTime is what browsers send (mostly null); unused.
	ExpirationTime *int64 `json:"expirationTime,omitempty"`
	Keys           struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// maxEndpoint bounds an endpoint URL; real ones are 200–600 bytes.
const maxEndpoint = 2048

// Policy says which push services the server posts to.
type Policy struct {
	// Hosts are host names (or their parent domains) of accepted push
	// services; nil means DefaultHosts.
	Hosts []string
	// AllowHTTP accepts http:// endpoints: only for a local push service
	// in tests.
	AllowHTTP bool
}

// DefaultHosts are the push services of the browsers in use: Chrome and
// Edge's FCM, Firefox's autopush, Windows' WNS, Safari's.
var DefaultHosts = []string{
	"fcm.googleapis.com", "android.googleapis.com",
	"push.services.mozilla.com",
	"notify.windows.com",
	"push.apple.com",
}

func invalid(de, en string) error {
	return &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: "push_subscription", Message: de, MessageEN: en}
}

// Check validates sub under p: an endpoint at an accepted push service and
// keys of the right kind and length.
func (p Policy) Check(sub Subscription) error {
	if len(sub.Endpoint) > maxEndpoint {
		return invalid("Die Push-Adresse ist zu lang.", "The push endpoint is too long.")
	}
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Host == "" || u.User != nil {
		return invalid("Die Push-Adresse ist keine gültige URL.", "The push endpoint is not a valid URL.")
	}
	if u.Scheme != "https" && !(p.AllowHTTP && u.Scheme == "http") {
		return invalid("Push-Adressen müssen mit https:// beginnen.", "Push endpoints must use https://.")
	}
	hosts := p.Hosts
	if hosts == nil {
		hosts = DefaultHosts
	}
	host := strings.ToLower(u.Hostname())
	ok := false
	for _, h := range hosts {
		h = strings.ToLower(h)
		if host == h || strings.HasSuffix(host, "."+h) {
			ok = true
			break
		}
	}
	if !ok {
		return invalid("Dieser Push-Dienst wird nicht unterstützt. Bitte verwenden Sie einen aktuellen Browser.",
			"This push service is not supported. Please use a current browser.")
	}
	if _, err := uaKey(sub); err != nil {
		return err
	}
	return nil
}

func uaKey(sub Subscription) (*ecdh.PublicKey, error) {
	raw, err := unb64(sub.Keys.P256dh)
	if err != nil {
		return nil, invalid("Der Schlüssel des Abonnements ist ungültig.", "The subscription's key is invalid.")
	}
	pub, err := ecdh.P256().NewPublicKey(raw)
	if err != nil {
		return nil, invalid("Der Schlüssel des Abonnements ist ungültig.", "The subscription's key is invalid.")
	}
	if auth, err := unb64(sub.Keys.Auth); err != nil || len(auth) != 16 {
		return nil, invalid("Das Geheimnis des Abonnements ist ungültig.", "The subscription's auth secret is invalid.")
	}
	return pub, nil
}

// ---- encryption (RFC 8291) ----

// Encrypt encrypts payload for sub as one aes128gcm record.
func Encrypt(sub Subscription, payload []byte) ([]byte, error) {
	ua, err := uaKey(sub)
	if err != nil {
		return nil, err
	}
	auth, _ := unb64(sub.Keys.Auth)
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return encrypt(payload, ua, auth, as, salt)
}

// encrypt is Encrypt with the application server's ephemeral key and the
// salt given (RFC 8291, section 3.4).
func encrypt(payload []byte, ua *ecdh.PublicKey, auth []byte, as *ecdh.PrivateKey, salt []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, &ratsmappe.Error{Code: ratsmappe.ETOOLARGE, Reason: "push_payload_too_large",
			Message:   fmt.Sprintf("Die Push-Nachricht ist zu lang (%d Bytes, höchstens %d).", len(payload), MaxPayload),
			MessageEN: fmt.Sprintf("The push message is too long (%d bytes, at most %d).", len(payload), MaxPayload)}
	}
	secret, err := as.ECDH(ua)
	if err != nil {
		return nil, err
	}
	asPub := as.PublicKey().Bytes()
	keyInfo := "WebPush: info\x00" + string(ua.Bytes()) + string(asPub)
	prkKey, err := hkdf.Extract(sha256.New, secret, auth)
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Expand(sha256.New, prkKey, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(salt)
	binary.Write(&out, binary.BigEndian, uint32(recordSize))
	out.WriteByte(byte(len(asPub)))
	out.Write(asPub)
	// One record, the last: the delimiter 0x02 and no further padding.
	plain := append(append([]byte{}, payload...), 0x02)
	return gcm.Seal(out.Bytes(), nonce, plain, nil), nil
}

// ---- delivery (RFC 8030) ----

// Urgency is the Urgency header (RFC 8030, 5.3).
type Urgency string

const (
	UrgencyNormal Urgency = "normal"
	UrgencyHigh   Urgency = "high"
)

// Push is one message to one subscription.
type Push struct {
	Payload []byte
	// TTL is how long the push service keeps the message for an offline
	// device; zero means four weeks.
	TTL     time.Duration
	Urgency Urgency
	// Topic replaces an undelivered message with the same topic (at most
	// 32 base64url characters), such as the meeting a change concerns.
	Topic string
}

// Receipt is the push service's acceptance.
type Receipt struct {
	Status int
	// Location is the push message's resource at the push service: the
	// proof of acceptance kept in the delivery record.
	Location string
}

// Error is a refused push.
type Error struct {
	Status int
	// Gone: the subscription no longer exists (404, 410) and is to be
	// removed; Temporary: try again later (429, 5xx), after RetryAfter if
	// the service said.
	Gone, Temporary bool
	RetryAfter      time.Duration
	Body            string
}

func (e *Error) Error() string {
	return fmt.Sprintf("push service answered %d: %s", e.Status, e.Body)
}

// Sender posts pushes.
type Sender struct {
	Keys *Keys
	// Subject is the contact the push service may reach the operator at:
	// a mailto: or https: URI.
	Subject string
	Policy  Policy
	// Client defaults to one with a 30 s timeout that follows no
	// redirects.
	Client *http.Client
	Now    func() time.Time
}

// Send encrypts p for sub and posts it to sub's push service.
func (s *Sender) Send(ctx context.Context, sub Subscription, p Push) (Receipt, error) {
	if err := s.Policy.Check(sub); err != nil {
		return Receipt{}, err
	}
	body, err := Encrypt(sub, p.Payload)
	if err != nil {
		return Receipt{}, err
	}
	u, _ := url.Parse(sub.Endpoint)
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	auth, err := s.Keys.authorization(u.Scheme+"://"+u.Host, s.Subject, now)
	if err != nil {
		return Receipt{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, err
	}
	ttl := p.TTL
	if ttl <= 0 {
		ttl = 28 * 24 * time.Hour
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("TTL", strconv.FormatInt(int64(ttl/time.Second), 10))
	req.Header.Set("Authorization", auth)
	if p.Urgency != "" {
		req.Header.Set("Urgency", string(p.Urgency))
	}
	if p.Topic != "" {
		req.Header.Set("Topic", p.Topic)
	}
	client := s.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Receipt{}, &Error{Temporary: true, Body: err.Error()}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return Receipt{Status: resp.StatusCode, Location: resp.Header.Get("Location")}, nil
	}
	e := &Error{Status: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		e.Gone = true
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		e.Temporary = true
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	return Receipt{Status: resp.StatusCode}, e
}

var defaultClient = &http.Client{
	Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// unb64 decodes base64url with or without padding (browsers send
// without; some libraries pad).
func unb64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// verifyJWT checks an ES256 JWT against the public key (for tests of the
// Authorization header).
func verifyJWT(tok string, pub *ecdsa.PublicKey) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return false
	}
	sig, err := unb64(tok[i+1:])
	if err != nil || len(sig) != 64 {
		return false
	}
	sum := sha256.Sum256([]byte(tok[:i]))
	return ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}
