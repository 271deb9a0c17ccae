package webpush

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/notify/webpush/pushtest"
)

// decrypt is the user agent's side of RFC 8291: what the browser does
// with a push it receives.
func decrypt(t *testing.T, body []byte, ua *ecdh.PrivateKey, auth []byte) []byte {
	t.Helper()
	if len(body) < 21 {
		t.Fatalf("body of %d bytes", len(body))
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if rs != recordSize || idlen != 65 {
		t.Fatalf("header: rs %d, idlen %d", rs, idlen)
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		t.Fatal(err)
	}
	secret, err := ua.ECDH(asPub)
	if err != nil {
		t.Fatal(err)
	}
	prkKey, _ := hkdf.Extract(sha256.New, secret, auth)
	ikm, _ := hkdf.Expand(sha256.New, prkKey, "WebPush: info\x00"+string(ua.PublicKey().Bytes())+string(asPub.Bytes()), 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, body[21+idlen:], nil)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 0x02 {
		t.Fatalf("no last-record delimiter")
	}
	return plain[:len(plain)-1]
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unb64(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The example of RFC 8291, Appendix A, byte for byte.
func TestRFC8291Example(t *testing.T) {
	as, err := ecdh.P256().NewPrivateKey(mustB64(t, "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
	if err != nil {
		t.Fatal(err)
	}
	ua, err := ecdh.P256().NewPrivateKey(mustB64(t, "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	if got := b64(ua.PublicKey().Bytes()); got != "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4" {
		t.Fatalf("user agent public key %s", got)
	}
	auth := mustB64(t, "BTBZMqHH6r4Tts7J_aSIgg")
	salt := mustB64(t, "DGv6ra1nlYgDCS1FRnbzlw")
	const plain = "When I grow up, I want to be a watermelon"
	const want = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
	got, err := encrypt([]byte(plain), ua.PublicKey(), auth, as, salt)
	if err != nil {
		t.Fatal(err)
	}
	if b64(got) != want {
		t.Errorf("encrypted:\n got %s\nwant %s", b64(got), want)
	}
	if d := decrypt(t, mustB64(t, want), ua, auth); string(d) != plain {
		t.Errorf("the RFC's message decrypts to %q", d)
	}
}

// subscriber is a browser's side of a subscription.
type subscriber struct {
	key  *ecdh.PrivateKey
	auth []byte
	sub  Subscription
}

func newSubscriber(t *testing.T, endpoint string) *subscriber {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &subscriber{key: k, auth: make([]byte, 16)}
	rand.Read(s.auth)
	s.sub.Endpoint = endpoint
	s.sub.Keys.P256dh = b64(k.PublicKey().Bytes())
	s.sub.Keys.Auth = b64(s.auth)
	return s
}

func TestEncryptRoundTrip(t *testing.T) {
	s := newSubscriber(t, "https://fcm.googleapis.com/fcm/send/x")
	for _, n := range []int{0, 1, 100, MaxPayload} {
		msg := bytes.Repeat([]byte("ä"), n/2)
		body, err := Encrypt(s.sub, msg)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if len(body) > recordSize {
			t.Errorf("%d bytes make a body of %d, over one record", n, len(body))
		}
		if got := decrypt(t, body, s.key, s.auth); !bytes.Equal(got, msg) {
			t.Errorf("%d bytes: round trip differs", n)
		}
	}
	_, err := Encrypt(s.sub, make([]byte, MaxPayload+1))
	if ratsmappe.ErrorReason(err) != "push_payload_too_large" {
		t.Errorf("payload over the limit: %v", err)
	}
}

// The server posts only to the push services browsers use, over https:
// an endpoint is chosen by the (signed-in, but possibly hostile) client.
func TestPolicy(t *testing.T) {
	ok := newSubscriber(t, "").sub
	for _, c := range []struct {
		endpoint string
		policy   Policy
		want     bool
	}{
		{"https://fcm.googleapis.com/fcm/send/abc", Policy{}, true},
		{"https://updates.push.services.mozilla.com/wpush/v2/abc", Policy{}, true},
		{"https://wns2-par02p.notify.windows.com/w/?token=abc", Policy{}, true},
		{"https://web.push.apple.com/abc", Policy{}, true},
		{"http://fcm.googleapis.com/fcm/send/abc", Policy{}, false},
		{"https://169.254.169.254/latest/meta-data", Policy{}, false},
		{"https://localhost:8080/notify/x", Policy{}, false},
		{"https://fcm.googleapis.com.evil.example/x", Policy{}, false},
		{"https://evilfcm.googleapis.com.example/x", Policy{}, false},
		{"https://user:pw@fcm.googleapis.com/x", Policy{}, false},
		{"https://" + strings.Repeat("a", 2100) + ".fcm.googleapis.com/", Policy{}, false},
		{"http://localhost:8090/notify/x", Policy{Hosts: []string{"localhost"}, AllowHTTP: true}, true},
		{"http://localhost:8090/notify/x", Policy{Hosts: []string{"localhost"}}, false},
	} {
		sub := ok
		sub.Endpoint = c.endpoint
		err := c.policy.Check(sub)
		if (err == nil) != c.want {
			t.Errorf("%.60s: %v, want accepted=%v", c.endpoint, err, c.want)
		}
		if err != nil && ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("%.60s: refusal %v is not a typed invalid", c.endpoint, err)
		}
	}
	bad := ok
	bad.Endpoint = "https://fcm.googleapis.com/x"
	bad.Keys.P256dh = b64(make([]byte, 65))
	if err := (Policy{}).Check(bad); err == nil {
		t.Error("a key not on the curve is accepted")
	}
	bad.Keys.P256dh, bad.Keys.Auth = ok.Keys.P256dh, b64(make([]byte, 8))
	if err := (Policy{}).Check(bad); err == nil {
		t.Error("a short auth secret is accepted")
	}
}

func TestKeysKeptInDataDirectory(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.PublicKey() != k2.PublicKey() {
		t.Error("the key changed between starts: every subscription would break")
	}
	if n := len(mustB64(t, k1.PublicKey())); n != 65 {
		t.Errorf("public key of %d bytes, want 65 (uncompressed P-256)", n)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d files, want the key alone", len(entries))
	}
}

// The push service's answers as the outbox needs them: accepted with a
// receipt, gone (remove the subscription), temporary (retry after), and
// no redirect followed.
func TestSendAnswers(t *testing.T) {
	keys, err := NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	var status int
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		switch status {
		case http.StatusCreated:
			w.Header().Set("Location", "/m/42")
		case http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "120")
		case http.StatusFound:
			w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	s := &Sender{Keys: keys, Subject: "mailto:amt@lindenau.example", Policy: Policy{Hosts: []string{"127.0.0.1"}, AllowHTTP: true}}
	sub := newSubscriber(t, srv.URL+"/push/abc").sub
	ctx := context.Background()

	status = http.StatusCreated
	r, err := s.Send(ctx, sub, Push{Payload: []byte("x"), Urgency: UrgencyHigh, Topic: "meeting-7", TTL: time.Hour})
	if err != nil || r.Location != "/m/42" {
		t.Errorf("accepted: %+v, %v", r, err)
	}
	if hdr.Get("Content-Encoding") != "aes128gcm" || hdr.Get("TTL") != "3600" || hdr.Get("Urgency") != "high" || hdr.Get("Topic") != "meeting-7" {
		t.Errorf("headers: %v", hdr)
	}
	auth := hdr.Get("Authorization")
	if !strings.HasPrefix(auth, "vapid t=") || !strings.HasSuffix(auth, ", k="+keys.PublicKey()) {
		t.Fatalf("Authorization %q", auth)
	}
	jwt := strings.TrimSuffix(strings.TrimPrefix(auth, "vapid t="), ", k="+keys.PublicKey())
	if !verifyJWT(jwt, &keys.private.PublicKey) {
		t.Error("the VAPID JWT does not verify with the public key")
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	json.Unmarshal(mustB64(t, strings.Split(jwt, ".")[1]), &claims)
	if claims.Aud != srv.URL || claims.Sub != "mailto:amt@lindenau.example" || claims.Exp < time.Now().Unix() || claims.Exp > time.Now().Add(24*time.Hour).Unix() {
		t.Errorf("claims %+v", claims)
	}

	for _, c := range []struct {
		status          int
		gone, temporary bool
		retry           time.Duration
	}{
		{http.StatusGone, true, false, 0},
		{http.StatusNotFound, true, false, 0},
		{http.StatusTooManyRequests, false, true, 2 * time.Minute},
		{http.StatusBadGateway, false, true, 0},
		{http.StatusRequestEntityTooLarge, false, false, 0},
		{http.StatusFound, false, false, 0},
	} {
		status = c.status
		_, err := s.Send(ctx, sub, Push{Payload: []byte("x")})
		var pe *Error
		if !errors.As(err, &pe) || pe.Gone != c.gone || pe.Temporary != c.temporary || pe.RetryAfter != c.retry {
			t.Errorf("%d: %+v", c.status, err)
		}
	}
}

// A push reaches a local push service, which verifies the VAPID JWT and
// decrypts the payload; an expired subscription answers 410 and is
// reported as gone.
func TestSendToLocalPushService(t *testing.T) {
	svc := pushtest.Start(t)
	keys, err := NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	ps := svc.Subscribe(keys.PublicKey())
	var sub Subscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = ps.Endpoint, ps.Keys.P256dh, ps.Keys.Auth
	s := &Sender{Keys: keys, Subject: "mailto:amt@lindenau.example", Policy: Policy{Hosts: []string{"localhost"}, AllowHTTP: true}}
	payload := `{"title":"Neue Unterlage","url":"/reader/meetings/7"}`
	if _, err := s.Send(context.Background(), sub, Push{Payload: []byte(payload)}); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := svc.Messages(ps); len(got) != 1 || got[0] != payload {
		t.Errorf("the push service decrypted %q, want [%s]", got, payload)
	}

	// A different key than the subscription's: the service refuses.
	other, _ := NewKeys()
	bad := &Sender{Keys: other, Subject: s.Subject, Policy: s.Policy}
	if _, err := bad.Send(context.Background(), sub, Push{Payload: []byte("x")}); err == nil {
		t.Error("a push signed with another VAPID key was accepted")
	}

	svc.Expire(ps)
	_, err = s.Send(context.Background(), sub, Push{Payload: []byte("x")})
	var pe *Error
	if !errors.As(err, &pe) || !pe.Gone {
		t.Errorf("expired subscription: %v, want gone", err)
	}
}
