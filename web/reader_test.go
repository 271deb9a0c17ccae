package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/web"
)

type readerEnv struct {
	srv    *httptest.Server
	tokens map[string]string // demo account name → API token
	demo   *demo.Result
}

// newReaderServer serves the demo council (in-memory blobs, the
// accepting ingester of demotest: PDF workers cannot run in a unit test;
// the reader's browser test runs the real binary).
func newReaderServer(t *testing.T) *readerEnv {
	return serveDemo(t, demotest.Open(t), demo.Options{}, web.Config{})
}

// serveDemo loads the demo council into c with opt and serves it with
// cfg, whose stores it fills in from c.
func serveDemo(t *testing.T, c *demotest.Council, opt demo.Options, cfg web.Config) *readerEnv {
	t.Helper()
	res := c.Load(t, opt)
	cfg.Documents, cfg.Sessions, cfg.DB = c.Documents, c.Sessions, c.DB
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h, err := web.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &readerEnv{srv: srv, tokens: map[string]string{}, demo: res}
	for _, a := range res.Accounts {
		e.tokens[a.Name] = a.Token
	}
	return e
}

func (e *readerEnv) do(t *testing.T, method, who, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader: // sent as it is (a bounce report, say)
		rd = b
	default:
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type manifest struct {
	Meeting struct{ ID int64 } `json:"meeting"`
	Agenda  []struct {
		ID     int64 `json:"id"`
		Public bool  `json:"public"`
	} `json:"agenda"`
	Documents []struct {
		ID       int64  `json:"id"`
		Version  int    `json:"version"`
		SHA256   string `json:"sha256"`
		Size     int64  `json:"size"`
		URL      string `json:"url"`
		LastRead *int   `json:"last_read"`
		Item     *struct {
			ID int64 `json:"id"`
		} `json:"item"`
	} `json:"documents"`
}

func (e *readerEnv) manifest(t *testing.T, who string, meeting int64) (int, *manifest) {
	t.Helper()
	resp, b := e.do(t, "GET", who, fmt.Sprintf("/api/v1/reader/meetings/%d/manifest", meeting), nil)
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return 200, &m
}

// The reader's pages need a sign-in; the shell carries a CSP without
// eval or other origins, and its texts.
func TestReaderShell(t *testing.T) {
	e := newServer(t)
	c := browser(t)
	resp, err := c.Get(e.srv.URL + "/reader/meetings/3")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusSeeOther; got != want {
		t.Fatalf("anonymous: status %d, want %d", got, want)
	}
	if got, want := resp.Header.Get("Location"), "/login?next=%2Freader%2Fmeetings%2F3"; got != want {
		t.Errorf("redirect to %q, want %q", got, want)
	}
	ctx := context.Background()
	a := &accounts.Account{Name: "rita", DisplayName: "Rita Rat", Role: access.RoleMember}
	if err := e.accounts.CreateAccount(ctx, a, "ein-langes-passwort"); err != nil {
		t.Fatal(err)
	}
	if resp := postLogin(t, c, e.srv.URL, loginForm(t, c, e.srv.URL), "rita", "ein-langes-passwort"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	for _, p := range []string{"/reader/", "/reader/meetings/3", "/reader/meetings/3/documents/4", "/reader/shell"} {
		resp, err := c.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if !strings.Contains(string(b), "offline verfügbar machen") && !strings.Contains(string(b), "Offline verfügbar machen") {
			t.Errorf("%s: the shell lacks the German texts", p)
		}
	}
	// The app's files are served; the shell's template and the worker
	// only at their own routes.
	for p, want := range map[string]int{"/reader/files/app.js": 200, "/reader/files/viewer.js": 200, "/reader/files/reader.css": 200,
		"/reader/files/shell.html": 404, "/reader/files/../reader.go": 404, "/reader/sw.js": 200} {
		resp, body := get(t, e.srv.URL+p)
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", p, resp.StatusCode, want)
		}
		if p == "/reader/sw.js" && (strings.Contains(body, "__RELEASE__") || strings.Contains(body, "__FONTS__")) {
			t.Errorf("sw.js: release tag or font list not filled in")
		}
	}
	// The reader's API answers only a signed-in account.
	if resp, _ := get(t, e.srv.URL+"/api/v1/reader/me"); resp.StatusCode != 401 {
		t.Errorf("anonymous /reader/me: %d", resp.StatusCode)
	}
	resp, err = c.Get(e.srv.URL + "/api/v1/reader/me")
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Name, CSRF string
		// The committees the reader shows first ("Meine Gremien"): none
		// for an account that is no person of the council.
		Committees []string
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if me.Name != "Rita Rat" || me.CSRF == "" || me.Committees == nil || len(me.Committees) != 0 {
		t.Errorf("/reader/me = %+v", me)
	}
}

// The manifest lists exactly what the member may see, and its files are
// what it says; a new exclusion takes a document off the list.
func TestReaderManifest(t *testing.T) {
	e := newReaderServer(t)
	if code, _ := e.manifest(t, "", e.demo.Meetings[0].ID); code != 401 {
		t.Errorf("anonymous: %d, want 401", code)
	}
	// A meeting where Anna sees a document that Clara (excluded from
	// one item) does not.
	var meeting int64
	var only int64
	for _, m := range e.demo.Meetings {
		ca, ma := e.manifest(t, "anna", m.ID)
		cc, mc := e.manifest(t, "clara", m.ID)
		if ca != 200 || cc != 200 {
			continue
		}
		seen := map[int64]bool{}
		for _, d := range mc.Documents {
			seen[d.ID] = true
		}
		for _, d := range ma.Documents {
			if !seen[d.ID] {
				meeting, only = m.ID, d.ID
			}
		}
		// Every listed file is there, with the listed hash and size.
		for _, d := range mc.Documents {
			resp, b := e.do(t, "GET", "clara", d.URL, nil)
			sum := sha256.Sum256(b)
			if resp.StatusCode != 200 || int64(len(b)) != d.Size || hex.EncodeToString(sum[:]) != d.SHA256 {
				t.Errorf("%s: %d, %d bytes, want %d bytes %s", d.URL, resp.StatusCode, len(b), d.Size, d.SHA256)
			}
		}
	}
	if meeting == 0 {
		t.Fatal("no meeting where Clara's exclusion hides a document from her")
	}
	if resp, _ := e.do(t, "GET", "clara", fmt.Sprintf("/api/v1/documents/%d/versions/1/file", only), nil); resp.StatusCode != 404 {
		t.Errorf("Clara reads the document she is excluded from: %d", resp.StatusCode)
	}

	// A new exclusion of Anna from the non-public item of one of her
	// documents.
	_, ma := e.manifest(t, "anna", meeting)
	public := map[int64]bool{}
	for _, it := range ma.Agenda {
		public[it.ID] = it.Public
	}
	var item, doc int64
	for _, d := range ma.Documents {
		if d.Item != nil && !public[d.Item.ID] {
			item, doc = d.Item.ID, d.ID
			break
		}
	}
	var anna int64
	for _, a := range e.demo.Accounts {
		if a.Name == "anna" {
			anna = a.PersonID
		}
	}
	if resp, b := e.do(t, "POST", "ratsbuero", fmt.Sprintf("/api/v1/items/%d/exclusions", item), map[string]any{"person_id": anna, "reason": "Test"}); resp.StatusCode != 204 {
		t.Fatalf("exclusion: %d %s", resp.StatusCode, b)
	}
	_, ma = e.manifest(t, "anna", meeting)
	for _, d := range ma.Documents {
		if d.ID == doc {
			t.Errorf("document %d still listed for Anna after her exclusion from item %d", doc, item)
		}
	}
	// What Anna read, on any device, comes with the manifest.
	if resp, b := e.do(t, "PUT", "anna", fmt.Sprintf("/api/v1/documents/%d/read", ma.Documents[0].ID), map[string]any{"version": ma.Documents[0].Version}); resp.StatusCode != 204 {
		t.Fatalf("read: %d %s", resp.StatusCode, b)
	}
	_, ma = e.manifest(t, "anna", meeting)
	if got := ma.Documents[0].LastRead; got == nil || *got != ma.Documents[0].Version {
		t.Errorf("last_read = %v, want %d", got, ma.Documents[0].Version)
	}
	if ma.Documents[1].LastRead != nil {
		t.Errorf("an unread document has last_read %d", *ma.Documents[1].LastRead)
	}

	// The files answer byte ranges: the reader opens a long document by
	// the pages it shows, not by the whole file.
	d := ma.Documents[0]
	req, _ := http.NewRequest("GET", e.srv.URL+d.URL, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["anna"])
	req.Header.Set("Range", "bytes=0-9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || len(b) != 10 || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", d.Size) {
		t.Errorf("range request: %d, %d bytes, Content-Range %q", resp.StatusCode, len(b), resp.Header.Get("Content-Range"))
	}
	if resp, _ := e.do(t, "HEAD", "anna", d.URL, nil); resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("Accept-Ranges = %q", resp.Header.Get("Accept-Ranges"))
	}

	// A meeting nobody signed in may see yet answers like a missing one.
	if code, _ := e.manifest(t, "anna", 999999); code != 404 {
		t.Errorf("missing meeting: %d", code)
	}
}

// The reader's scripts travel compressed to browsers that take gzip, and
// as they are to anything else.
func TestReaderFilesGzip(t *testing.T) {
	e := newServer(t)
	for _, gz := range []bool{true, false} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/reader/files/app.js", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip, br")
		} else {
			req.Header.Set("Accept-Encoding", "identity")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != gz {
			t.Errorf("Accept-Encoding gzip=%v: Content-Encoding %q", gz, resp.Header.Get("Content-Encoding"))
		}
		if !gz && !bytes.Contains(b, []byte("import")) {
			t.Errorf("identity: not the script")
		}
	}
}
