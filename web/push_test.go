package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"github.com/ratsmappe/ratsmappe/notify/webpush/pushtest"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

// A member's reader subscribes its device through the API with the
// server's VAPID key; a push to the stored subscription reaches the
// (local) push service, which verifies and decrypts it. An endpoint
// outside the push services is refused in words; a citizen cannot
// subscribe; a member removes only their own device.
func TestPushSubscriptions(t *testing.T) {
	svc := pushtest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	keys, err := webpush.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	acc := accounts.NewStore(db, nil)
	push := webpush.NewStore(db, nil)
	policy := webpush.Policy{Hosts: []string{"localhost"}, AllowHTTP: true}
	svcDocs := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: refuseAll{}})
	h, err := web.NewServer(web.Config{Documents: svcDocs, Sessions: sessions.NewStore(db, nil), Accounts: acc, DB: db,
		Logger: slog.New(slog.DiscardHandler), Push: push, PushKeys: keys, PushPolicy: policy})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var annaID int64
	token := func(name string) string {
		a := &accounts.Account{Name: name, Role: access.RoleMember}
		if err := acc.CreateAccount(ctx, a, "ein gutes Passwort"); err != nil {
			t.Fatal(err)
		}
		if name == "anna" {
			annaID = a.ID
		}
		_, tok, err := acc.CreateAPIToken(ctx, a.ID, "tablet")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	anna, bernd := token("anna"), token("bernd")
	call := func(tok, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, body := call(anna, "GET", "/api/v1/push/key", "")
	var key struct {
		PublicKey string `json:"public_key"`
	}
	json.Unmarshal([]byte(body), &key)
	if code != 200 || key.PublicKey != keys.PublicKey() {
		t.Fatalf("push key: %d %s", code, body)
	}
	if code, _ := call("", "GET", "/api/v1/push/key", ""); code != http.StatusUnauthorized {
		t.Errorf("a citizen asks for the push key: %d, want 401", code)
	}

	ps := svc.Subscribe(key.PublicKey)
	sub, _ := json.Marshal(map[string]any{"endpoint": ps.Endpoint, "expirationTime": nil,
		"keys": map[string]string{"p256dh": ps.Keys.P256dh, "auth": ps.Keys.Auth}, "device": "Tablet"})
	if code, body := call(anna, "POST", "/api/v1/push/subscriptions", string(sub)); code != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	if code, _ := call("", "POST", "/api/v1/push/subscriptions", string(sub)); code != http.StatusUnauthorized {
		t.Errorf("a citizen subscribes: %d", code)
	}
	evil := strings.Replace(string(sub), ps.Endpoint, "http://169.254.169.254/latest", 1)
	code, body = call(anna, "POST", "/api/v1/push/subscriptions", evil)
	if code != http.StatusBadRequest || !strings.Contains(body, "push_subscription") || !strings.Contains(body, "Push-Dienst") {
		t.Errorf("endpoint outside the push services: %d %s", code, body)
	}

	ds, err := push.Devices(ctx, annaID)
	if err != nil || len(ds) != 1 || ds[0].Device != "Tablet" {
		t.Fatalf("anna's devices: %+v, %v", ds, err)
	}
	s := &webpush.Sender{Keys: keys, Subject: "mailto:amt@lindenau.example", Policy: policy}
	if _, err := s.Send(ctx, ds[0].Sub, webpush.Push{Payload: []byte(`{"title":"Test"}`)}); err != nil {
		t.Fatal(err)
	}
	if got := svc.Messages(ps); len(got) != 1 || got[0] != `{"title":"Test"}` {
		t.Errorf("delivered %q", got)
	}

	del := `{"endpoint":` + string(must1(json.Marshal(ps.Endpoint))) + `}`
	if code, _ := call(bernd, "DELETE", "/api/v1/push/subscriptions", del); code != http.StatusNotFound {
		t.Errorf("bernd removes anna's device: %d, want 404", code)
	}
	if code, _ := call(anna, "DELETE", "/api/v1/push/subscriptions", del); code != http.StatusNoContent {
		t.Errorf("anna removes her device: %d", code)
	}
	if code, body := call(anna, "GET", "/api/v1/push/subscriptions", ""); code != 200 || !strings.Contains(body, `"devices":[]`) {
		t.Errorf("devices after removal: %d %s", code, body)
	}
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
