package web_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web"
)

// newLimitServer is a server with cfg's limits and a clerk's API token.
func newLimitServer(t *testing.T, cfg web.Config) (*httptest.Server, string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	must(t, schema.Migrate(ctx, db))
	st := sessions.NewStore(db, nil)
	a := &accounts.Account{Name: "amt", Role: access.RoleClerk}
	acc := accounts.NewStore(db, nil)
	must(t, acc.CreateAccount(ctx, a, ""))
	_, tok, err := acc.CreateAPIToken(ctx, a.ID, "test")
	must(t, err)
	cfg.Documents = documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobtest.NewMemory(), Ingester: refuseAll{}})
	cfg.Sessions, cfg.DB, cfg.Logger, cfg.TempDir = st, db, slog.New(slog.DiscardHandler), t.TempDir()
	h, err := web.NewServer(cfg)
	must(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, tok
}

// chunked hides a reader's length, so the body goes chunked.
type chunked struct{ io.Reader }

// Every route that reads a body refuses an oversized one with 413 — by its
// declared length before reading, or when a chunked body passes the limit.
func TestBodyLimits(t *testing.T) {
	srv, tok := newLimitServer(t, web.Config{MaxUpload: 10_000})
	form := "name=" + strings.Repeat("a", 100<<10)
	json := `{"name": "` + strings.Repeat("a", 2<<20) + `"}`
	multipart := "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF" + strings.Repeat("a", 2<<20) + "\r\n--x--\r\n"
	for _, c := range []struct {
		name, method, path, ctype, body string
		bearer, chunk                   bool
	}{
		{"sign-in form", "POST", "/login", "application/x-www-form-urlencoded", form, false, false},
		{"sign-in form, chunked", "POST", "/login", "application/x-www-form-urlencoded", form, false, true},
		{"sign-out form", "POST", "/logout", "application/x-www-form-urlencoded", form, false, false},
		{"API JSON", "POST", "/api/v1/meetings", "application/json", json, true, false},
		{"API JSON, chunked", "POST", "/api/v1/meetings", "application/json", json, true, true},
		{"API JSON, no type", "PATCH", "/api/v1/items/1", "", json, true, false},
		{"upload", "POST", "/api/v1/documents", "multipart/form-data; boundary=x", multipart, true, false},
		{"upload, chunked", "POST", "/api/v1/documents", "multipart/form-data; boundary=x", multipart, true, true},
	} {
		var body io.Reader = strings.NewReader(c.body)
		if c.chunk {
			body = chunked{body}
		}
		req, _ := http.NewRequest(c.method, srv.URL+c.path, body)
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		if c.bearer {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			// The server may close while the client still sends; what
			// matters is that it did not take the body.
			t.Logf("%s: %v", c.name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: %d %.200s, want 413", c.name, resp.StatusCode, b)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: the 413 has no security headers", c.name)
		}
	}
	// A small form still works (the limit is not zero).
	resp, err := http.PostForm(srv.URL+"/login", map[string][]string{"name": {"x"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		t.Errorf("a small form is refused as too large")
	}
}

// A client that trickles a body (slowloris on the body) is cut off
// instead of holding its connection: a sign-in form after its timeout, an
// upload once it falls below the minimum rate after its start.
func TestSlowBodyCutOff(t *testing.T) {
	srv, tok := newLimitServer(t, web.Config{BodyTimeout: 300 * time.Millisecond, MaxUpload: 10 << 20})
	for _, c := range []struct{ name, head string }{
		{"sign-in form", "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname="},
		{"upload", "POST /api/v1/documents HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok +
			"\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n" + uploadPart},
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		must(t, err)
		defer conn.Close()
		_, err = io.WriteString(conn, c.head)
		must(t, err)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 100; i++ { // 10 s at one byte per 100 ms
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		conn.SetReadDeadline(time.Now().Add(8 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer while the body trickled: %v", c.name, err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !resp.Close {
			t.Errorf("%s: %d (close %v), want 400 and the connection closed", c.name, resp.StatusCode, resp.Close)
		}
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("%s: connection still open after the answer", c.name)
		}
		select {
		case <-done:
			t.Errorf("%s: the server waited for the whole trickled body", c.name)
		default:
		}
	}
	// The server still answers others.
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz after the slow client: %v", err)
	}
}

const uploadPart = "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF"

// An upload that streams at full speed is taken however short its start
// (here 300 ms) was: only the average rate counts.
func TestUploadMinimumRate(t *testing.T) {
	srv, tok := newLimitServer(t, web.Config{BodyTimeout: 300 * time.Millisecond, MaxUpload: 10 << 20})
	// 3 MB at loopback speed: far above the minimum rate.
	body := uploadPart + strings.Repeat("a", 3<<20) + "\r\n--x--\r\n"
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/documents", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Authorization", "Bearer "+tok)
	r2, err := http.DefaultClient.Do(req)
	must(t, err)
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	// The test's ingester refuses every file: the upload arrived whole.
	if r2.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "not_pdf") {
		t.Errorf("fast upload: %d %.200s, want the ingester's refusal", r2.StatusCode, b)
	}
}
