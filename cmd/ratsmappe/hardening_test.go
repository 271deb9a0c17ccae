package main_test

import (
	"io"
	"net"
	"net/http"
	"strings"
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
