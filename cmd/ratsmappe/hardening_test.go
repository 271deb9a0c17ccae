package main_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A client that sends its request headers a line at a time, slower than
// the header timeout (slowloris), is cut off; the server goes on serving
// everyone else.
func TestSlowlorisCutOff(t *testing.T) {
	c := newCLI(t)
	base, _ := c.serve(t, "--read-header-timeout", "1s")
	addr := strings.TrimPrefix(base, "http://")
	var conns []net.Conn
	for i := 0; i < 20; i++ {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	// One more header line every 300 ms for up to 10 s, on every
	// connection; the server must end them long before.
	for _, conn := range conns {
		go func() {
			for j := 0; j < 33; j++ {
				if _, err := io.WriteString(conn, "X-Slow: a\r\n"); err != nil {
					break
				}
				time.Sleep(300 * time.Millisecond)
			}
		}()
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz during the attack: %v", err)
	}
	resp.Body.Close()
	for i := range conns {
		conn := conns[i]
		conn.SetReadDeadline(time.Now().Add(8 * time.Second))
		// A closed connection reads EOF (or a reset); a timeout means the
		// server kept it.
		buf := make([]byte, 512)
		for {
			_, err := conn.Read(buf)
			if err == nil {
				continue // a 408 the server may send first
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("connection %d still open after 8 s of trickled headers", i)
			}
			break
		}
	}
}

// Hundreds of clients trickling request bodies — sign-in forms
// (URL-encoded and multipart) and uploads, a byte a second — neither
// refuse nor slow down citizens: a body is read before its request takes
// an admission slot, and a sign-in body that has not arrived after 5 s is
// cut off. Loopback only; every loop is bounded, the test stops by itself.
func TestSlowBodiesDoNotRefuseCitizens(t *testing.T) {
	raiseOpenFiles(t, 4096)
	c := newCLI(t)
	base, _ := c.serve(t)
	addr := strings.TrimPrefix(base, "http://")
	// More sign-ins than the citizens' lane has slots (256).
	counts := []int{140, 140, 40}
	// With a valid form token, so that the sign-in handler itself reads
	// the trickled body.
	resp, err := http.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var tok string
	for _, ck := range resp.Cookies() {
		if ck.Name == "csrf" {
			tok = ck.Value
		}
	}
	if tok == "" {
		t.Fatal("no csrf cookie from /login")
	}
	csrf := "Cookie: csrf=" + tok + "\r\nX-CSRF-Token: " + tok + "\r\n"
	heads := []string{
		"POST /login HTTP/1.1\r\nHost: x\r\n" + csrf + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nname=",
		"POST /login HTTP/1.1\r\nHost: x\r\n" + csrf + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 2000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n",
		"POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF",
	}
	type slow struct {
		conn   net.Conn
		signIn bool
	}
	var conns []slow
	for k, h := range heads {
		for i := 0; i < counts[k]; i++ {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("connection %d: %v", len(conns), err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, h); err != nil {
				t.Fatal(err)
			}
			conns = append(conns, slow{conn, k < 2})
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 15; j++ { // a byte a second, 15 s at most
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
				if _, err := s.conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()

	// Citizens meanwhile: every page answers 200, none waits for a slot.
	client := &http.Client{Timeout: 2 * time.Second}
	for i := 0; i < 20; i++ {
		for _, p := range []string{"/", "/meetings", "/login"} {
			resp, err := client.Get(base + p)
			if err != nil {
				t.Fatalf("GET %s during the attack: %v", p, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s during the attack: %d", p, resp.StatusCode)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The sign-in bodies are cut off after their 5 s: each connection
	// gets its 400 and is closed, long before the trickle would end.
	deadline := time.Now().Add(6 * time.Second)
	for i, s := range conns {
		if !s.signIn {
			continue
		}
		s.conn.SetReadDeadline(deadline)
		b, err := io.ReadAll(s.conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("sign-in connection %d still open after 10 s of trickled body (not cut off after 5 s)", i)
		}
		if !strings.HasPrefix(string(b), "HTTP/1.1 400") {
			t.Errorf("sign-in connection %d: %.60q", i, b)
		}
	}
}

// raiseOpenFiles lifts the test process's soft limit of open files to n
// (within the hard limit) for tests that hold many connections.
func raiseOpenFiles(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur >= n {
		return
	}
	lim.Cur = min(n, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < n {
		t.Skipf("cannot open %d files (limit %d): %v", n, lim.Cur, err)
	}
}

// serve --public-url fixes the absolute URLs whatever Host a request
// names; --trusted-proxies is checked at start.
func TestServePublicURL(t *testing.T) {
	c := newCLI(t)
	base, _ := c.serve(t, "--public-url", "https://rat.example.org", "--trusted-proxies", "127.0.0.1,::1")
	req, _ := http.NewRequest("GET", base+"/oparl/v1/system", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"id":"https://rat.example.org/oparl/v1/system"`) || strings.Contains(string(b), "evil.example") {
		t.Errorf("system with a forged Host: %d %.300s", resp.StatusCode, b)
	}
	var stderr strings.Builder
	cmd := c.command(context.Background(), "serve", "--addr", "127.0.0.1:0", "--trusted-proxies", "proxy.example")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "proxy.example") {
		t.Errorf("a bad --trusted-proxies: %v %s", err, stderr.String())
	}
}
