// Package measure holds what the latency benchmarks (bench/refused,
// bench/scale) share: timed requests as a given demo account, medians, and
// the demo's accounts and database.
package measure

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/demoserver"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
)

// Account is a demo sign-in as `serve --demo` writes it to
// demo-accounts.json.
type Account struct {
	Name, Role, Token string
}

// Accounts reads the demo's accounts from its data directory, by name.
func Accounts(data string) (map[string]Account, error) {
	b, err := os.ReadFile(filepath.Join(data, "demo-accounts.json"))
	if err != nil {
		return nil, err
	}
	var as []Account
	if err := json.Unmarshal(b, &as); err != nil {
		return nil, fmt.Errorf("demo-accounts.json: %w", err)
	}
	out := map[string]Account{}
	for _, a := range as {
		out[a.Name] = a
	}
	return out, nil
}

// Demo is a running demo server with its accounts, its database (opened
// beside the server, for reading ids and for growing it) and a client.
type Demo struct {
	*demoserver.Server
	Accounts map[string]Account
	DB       *sql.DB
	Client   *Client
}

// StartDemo starts the demo server (see demoserver.Start) and opens what a
// benchmark needs of it. Stop ends it.
func StartDemo(ctx context.Context) (*Demo, error) {
	srv, err := demoserver.Start(os.Stderr, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	d := &Demo{Server: srv, Client: NewClient(srv.Base)}
	if d.Accounts, err = Accounts(srv.Data); err == nil {
		d.DB, err = sqlite.Open(ctx, filepath.Join(srv.Data, "ratsmappe.db"))
	}
	if err != nil {
		srv.Stop()
		return nil, err
	}
	return d, nil
}

// Stop closes the database and stops the server.
func (d *Demo) Stop() {
	d.DB.Close()
	d.Server.Stop()
}

// Client does timed GETs against one server.
type Client struct {
	Base string
	HTTP *http.Client
}

// NewClient returns a client for base with keep-alive connections, so that
// a measurement is the server's time, not a TCP handshake's.
func NewClient(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
}

// Get requests path with token ("" for anonymous) and returns the status,
// the body and the time to the last byte.
func (c *Client) Get(path, token string) (int, []byte, time.Duration, error) {
	req, err := http.NewRequest("GET", c.Base+path, nil)
	if err != nil {
		return 0, nil, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b, time.Since(start), err
}

// Median returns the median of ds (0 for none); ds is sorted in place.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// Ms formats d in milliseconds with two decimals.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// CPU returns the user and system CPU time process pid has used so far,
// at the kernel's tick (10 ms).
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100, nil // USER_HZ
}
