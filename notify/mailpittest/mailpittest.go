// Package mailpittest gives tests a real SMTP server: a Mailpit process
// (the pinned binary `make deps-mailpit` builds) on free loopback ports with
// its own temporary database, and a reader for its HTTP API, so a test can
// send mail and look at exactly what arrived.
//
// Each Start begins a new server that the test's cleanup ends; Mailpit
// starts in well under a second.
package mailpittest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/servertest"
)

// readyTimeout bounds the wait for a started server to answer.
const readyTimeout = 30 * time.Second

// Binary returns the path of the Mailpit binary: the file named by
// RATSMAPPE_TEST_MAILPIT_BIN, else mailpit in PATH, else
// ~/.cache/ratsmappe-ci/bin/mailpit (where `make deps-mailpit` puts it).
func Binary() (string, error) {
	return servertest.Binary("RATSMAPPE_TEST_MAILPIT_BIN", "mailpit",
		"run `make deps-mailpit`, put mailpit in PATH, or set RATSMAPPE_TEST_MAILPIT_BIN")
}

// Options choose how the server talks SMTP.
type Options struct {
	// STARTTLS offers STARTTLS with a certificate made for the test, and
	// requires it; ImplicitTLS speaks TLS from the first byte (smtps).
	STARTTLS, ImplicitTLS bool
	// Auth accepts any user name and password, and requires one.
	Auth bool
	// Chaos enables Mailpit's chaos triggers, which SetChaos sets.
	Chaos bool
	// AllowedRecipients, a regular expression, makes the server refuse
	// every other recipient with a permanent 5xx reply to RCPT TO: a
	// mailbox that does not exist, for tests of bounces.
	AllowedRecipients string
}

// Server is a running Mailpit.
type Server struct {
	// SMTP is the SMTP server's host:port.
	SMTP string
	// API is the base URL of the HTTP API, "http://host:port".
	API string
	// RootCAs trusts the server's certificate when it speaks TLS.
	RootCAs *x509.CertPool

	proc *servertest.Process
	dir  string
	hc   *http.Client
}

// Start starts a Mailpit server for the test and ends it when the test
// ends. Without a binary the test is skipped — but if CI=true it fails
// instead, since CI must test against the real server.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("mail tests need Mailpit under CI: %v", err)
		}
		tb.Skipf("skipping mail test: %v", err)
	}
	s, err := launch(bin, opt)
	if err != nil {
		tb.Fatalf("mailpit: %v", err)
	}
	tb.Cleanup(s.stop)
	return s
}

func launch(bin string, opt Options) (*Server, error) {
	smtpAddr, err := servertest.FreeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := servertest.FreeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ratsmappe-mailpit-")
	if err != nil {
		return nil, err
	}
	s := &Server{SMTP: smtpAddr, API: "http://" + httpAddr, dir: dir,
		hc: &http.Client{Timeout: 30 * time.Second}}
	args := []string{
		"--smtp", smtpAddr, "--listen", httpAddr,
		"--database", filepath.Join(dir, "mailpit.db"),
		"--max", "0", // keep every message: tests count them
		"--disable-version-check", "--smtp-disable-rdns", "--quiet",
	}
	if opt.STARTTLS || opt.ImplicitTLS {
		cert, key, pool, err := selfSigned(dir)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.RootCAs = pool
		args = append(args, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
		if opt.ImplicitTLS {
			args = append(args, "--smtp-require-tls")
		} else {
			args = append(args, "--smtp-require-starttls")
		}
	}
	if opt.Auth {
		args = append(args, "--smtp-auth-accept-any")
		if !opt.STARTTLS && !opt.ImplicitTLS {
			args = append(args, "--smtp-auth-allow-insecure")
		}
	}
	if opt.Chaos {
		args = append(args, "--enable-chaos")
	}
	if opt.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", opt.AllowedRecipients)
	}
	s.proc, err = servertest.Start(exec.Command(bin, args...), filepath.Join(dir, "mailpit.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		tail := s.proc.LogTail()
		s.stop()
		return nil, fmt.Errorf("mailpit on %s: %w; its log ends:\n%s", smtpAddr, err, tail)
	}
	return s, nil
}

// waitReady waits until both the API and the SMTP port answer.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for time.Now().Before(deadline) {
		last = func() error {
			resp, err := s.hc.Get(s.API + "/api/v1/info")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("info: %s", resp.Status)
			}
			c, err := net.DialTimeout("tcp", s.SMTP, 2*time.Second)
			if err != nil {
				return err
			}
			return c.Close()
		}()
		if last == nil {
			return nil
		}
		select {
		case <-s.proc.Done():
			return fmt.Errorf("exited: %v", s.proc.State())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %v: %v", readyTimeout, last)
}

// stop ends the server and removes its data.
func (s *Server) stop() {
	s.proc.Stop()
	os.RemoveAll(s.dir)
}

// Address is a name and address as the API reports them.
type Address struct {
	Name    string
	Address string
}

// Summary is a message as the API lists it.
type Summary struct {
	ID        string // Mailpit's id, which is also the queue id of its 250 reply
	MessageID string // without brackets
	From      Address
	To        []Address
	Subject   string
}

// Messages returns every message that arrived, newest first.
func (s *Server) Messages(tb testing.TB) []Summary {
	tb.Helper()
	var all []Summary
	for start := 0; ; {
		var page struct {
			Total    int
			Messages []Summary
		}
		s.get(tb, fmt.Sprintf("/api/v1/messages?start=%d&limit=500", start), &page)
		all = append(all, page.Messages...)
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.Total {
			return all
		}
	}
}

// Copies counts what arrived as mail clients count it: per recipient's
// address, the copies of each Message-ID, and the copies in all. A
// message to more than one recipient fails the test: Ratsmappe sends one
// message per recipient.
func (s *Server) Copies(tb testing.TB) (map[string]map[string]int, int) {
	tb.Helper()
	got := map[string]map[string]int{}
	n := 0
	for _, m := range s.Messages(tb) {
		n++
		if len(m.To) != 1 {
			tb.Fatalf("message %s to %v", m.MessageID, m.To)
		}
		to := m.To[0].Address
		if got[to] == nil {
			got[to] = map[string]int{}
		}
		got[to][m.MessageID]++
	}
	return got, n
}

// Part is an attachment or non-text part of a message.
type Part struct {
	PartID      string
	FileName    string
	ContentType string
}

// Message is one message's parsed content.
type Message struct {
	ID          string
	MessageID   string
	Subject     string
	Text        string
	HTML        string
	Attachments []Part
	Inline      []Part
}

// Message returns the parsed message of the given Mailpit id.
func (s *Server) Message(tb testing.TB, id string) Message {
	tb.Helper()
	var m Message
	s.get(tb, "/api/v1/message/"+url.PathEscape(id), &m)
	return m
}

// Headers returns the header fields of the message of the given id.
func (s *Server) Headers(tb testing.TB, id string) map[string][]string {
	tb.Helper()
	h := map[string][]string{}
	s.get(tb, "/api/v1/message/"+url.PathEscape(id)+"/headers", &h)
	return h
}

// Raw returns the message of the given id as it arrived.
func (s *Server) Raw(tb testing.TB, id string) []byte {
	tb.Helper()
	return s.fetch(tb, http.MethodGet, "/api/v1/message/"+url.PathEscape(id)+"/raw", nil)
}

// Trigger is a chaos trigger: the SMTP reply code to fail with, and in
// what percentage of cases.
type Trigger struct {
	ErrorCode   int
	Probability int
}

// SetChaos makes the server fail MAIL FROM (sender) and RCPT TO
// (recipient) as given; zero triggers turn chaos off. The server must have
// been started with Options.Chaos.
func (s *Server) SetChaos(tb testing.TB, sender, recipient Trigger) {
	tb.Helper()
	body, _ := json.Marshal(map[string]Trigger{"Sender": sender, "Recipient": recipient})
	s.fetch(tb, http.MethodPut, "/api/v1/chaos", body)
}

func (s *Server) get(tb testing.TB, path string, v any) {
	tb.Helper()
	if err := json.Unmarshal(s.fetch(tb, http.MethodGet, path, nil), v); err != nil {
		tb.Fatalf("mailpit %s: %v", path, err)
	}
}

func (s *Server) fetch(tb testing.TB, method, path string, body []byte) []byte {
	tb.Helper()
	req, err := http.NewRequest(method, s.API+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		tb.Fatalf("mailpit %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("mailpit %s %s: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	return b
}

// selfSigned writes a certificate for 127.0.0.1 and localhost and its key
// into dir, and returns their paths and a pool that trusts it.
func selfSigned(dir string) (certFile, keyFile string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ratsmappe mailpit test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool, nil
}
