// Package pushtest runs web-push-testing (npm), a local Web Push service
// that verifies the VAPID signature of every push and decrypts its
// payload, for tests: the faithful stand-in for the browsers' push
// services (Google's FCM, Mozilla's autopush, Apple's, Microsoft's), which
// are not reachable from test machines. Without node or the npm package
// (make deps-node) a test is skipped, and fails under CI=true.
package pushtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/servertest"
)

// Service is a running local push service.
type Service struct {
	// URL is its base, "http://localhost:port"; endpoints are under it.
	URL string
	tb  testing.TB
}

// Subscription is what the service's subscribe answers: the browser's
// PushSubscription.toJSON() and the handle for its received messages.
type Subscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
	ClientHash string `json:"clientHash"`
}

// script is web-push-testing's server in the module's node_modules.
func script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "node_modules", "web-push-testing", "src", "bin", "server.js")
}

// Start starts a push service for the test and stops it when the test
// ends.
func Start(tb testing.TB) *Service {
	tb.Helper()
	node, err := exec.LookPath("node")
	_, serr := os.Stat(script())
	if err != nil || serr != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("push tests need node and web-push-testing under CI (make deps-node): %v %v", err, serr)
		}
		tb.Skip("skipping push test: node or node_modules/web-push-testing missing (make deps-node)")
	}
	addr, err := servertest.FreeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.Command(node, script(), port)
	cmd.Dir = tb.TempDir() // node-persist keeps its files here
	p, err := servertest.Start(cmd, filepath.Join(cmd.Dir, "push.log"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Stop)
	s := &Service{URL: "http://localhost:" + port, tb: tb}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Post(s.URL+"/status", "application/json", nil); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("web-push-testing did not start: %s", p.LogTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Service) post(path string, in, out any) error {
	b, _ := json.Marshal(in)
	resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// Subscribe subscribes a new "browser" to pushes signed with the VAPID
// public key applicationServerKey (base64url).
func (s *Service) Subscribe(applicationServerKey string) Subscription {
	s.tb.Helper()
	var out struct {
		Data Subscription `json:"data"`
	}
	if err := s.post("/subscribe", map[string]any{"userVisibleOnly": "true", "applicationServerKey": applicationServerKey}, &out); err != nil {
		s.tb.Fatal(err)
	}
	return out.Data
}

// Messages returns the decrypted payloads the subscription received.
func (s *Service) Messages(sub Subscription) []string {
	s.tb.Helper()
	var out struct {
		Data struct {
			Messages []string `json:"messages"`
		} `json:"data"`
	}
	if err := s.post("/get-notifications", map[string]string{"clientHash": sub.ClientHash}, &out); err != nil {
		s.tb.Fatal(err)
	}
	return out.Data.Messages
}

// Expire ends the subscription, as a browser does when the member
// revokes the permission: the service answers its pushes with 410.
func (s *Service) Expire(sub Subscription) {
	s.tb.Helper()
	if err := s.post("/expire-subscription/"+sub.ClientHash, map[string]string{}, nil); err != nil {
		s.tb.Fatal(err)
	}
}
