package main_test

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
)

// The server is killed with SIGKILL at random moments while the office
// uploads documents and new versions of them and publishes and
// unpublishes a meeting, and a member syncs annotations; after every
// restart each upload, version, publication and annotation the server
// acknowledged is there, complete, nothing half-written is served, every
// byte served is a blob a version refers to, and the search index
// catches up through its outbox.
func TestKillServerDuringWork(t *testing.T) {
	kills := 50
	if testing.Short() {
		kills = 10
	}
	c := newCLI(t)
	var res struct {
		Accounts []struct{ Name, Token string }
	}
	if err := json.Unmarshal([]byte(c.run("demo", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	tok := map[string]string{}
	for _, a := range res.Accounts {
		tok[a.Name] = a.Token
	}
	token := tok["ratsbuero"]
	k := &killState{docs: map[int64]int{}, notes: map[string]bool{}}

	// A meeting of the Bauausschuss the loop publishes and unpublishes,
	// and one that stays published, with a document anna annotates.
	base, cmd := startServer(t, c)
	office := api{t, base, token}
	var bau int64
	for _, o := range office.must(200, "GET", "/api/v1/organizations", nil)["data"].([]any) {
		if m := o.(map[string]any); m["name"] == "Bauausschuss" {
			bau = id(m, "id")
		}
	}
	meeting := func(name string) (int64, int64) {
		m := office.must(201, "POST", "/api/v1/meetings", map[string]any{"organization_id": bau, "name": name,
			"start": time.Now().Add(72 * time.Hour).Format(time.RFC3339), "location": "Rathaus"})
		it := office.must(201, "POST", fmt.Sprintf("/api/v1/meetings/%d/items", id(m, "id")), map[string]any{"number": "Ö 1", "title": name, "public": true})
		doc, ok := uploadPDF(context.Background(), base, token, makePDF(t, "Kill-Test "+name))
		if !ok {
			t.Fatal("setup upload refused")
		}
		office.must(201, "POST", fmt.Sprintf("/api/v1/items/%d/attachments", id(it, "id")), map[string]any{"document_id": doc})
		return id(m, "id"), doc
	}
	k.meeting, _ = meeting("Kill-Test Veröffentlichung")
	annotated, noteDoc := meeting("Kill-Test Notizen")
	office.must(200, "POST", fmt.Sprintf("/api/v1/meetings/%d/publish", annotated), map[string]any{})
	k.noteDoc = noteDoc
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	rng := rand.New(rand.NewPCG(7, 7))
	// slack lengthens the server's life while rounds end before any
	// upload is acknowledged: on a loaded machine (CI with other packages'
	// tests beside it) the worker starts and ingests more slowly, and a
	// fixed life tested almost nothing.
	var slack time.Duration
	for round := 0; round < kills; round++ {
		uploadsBefore := k.uploads
		base, cmd := startServer(t, c)
		k.check(t, c, base, token, tok["anna"], round == kills-1 || round%10 == 9)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, work := range []func(context.Context, int) bool{
			func(ctx context.Context, i int) bool {
				return k.upload(ctx, t, base, token, fmt.Sprintf("%d/%d", round, i))
			},
			func(ctx context.Context, i int) bool {
				return k.version(ctx, t, base, token, rand.New(rand.NewPCG(uint64(round), uint64(i))), fmt.Sprintf("%d/%d", round, i))
			},
			func(ctx context.Context, i int) bool { return k.publication(ctx, base, token) },
			func(ctx context.Context, i int) bool { return k.annotate(ctx, base, tok["anna"]) },
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil && work(ctx, i); i++ {
				}
			}()
		}
		// The server lives 0.6–2.4 s: a sandboxed PDF worker needs about a
		// second to start after the server (its directory, descriptors,
		// seccomp and Landlock), more while other tests load the machine,
		// and a shorter life kills nearly every upload before its worker
		// is up.
		time.Sleep(time.Duration(600+rng.IntN(1800))*time.Millisecond + slack)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		cancel()
		wg.Wait()
		if k.uploads == uploadsBefore {
			slack = min(slack+500*time.Millisecond, 5*time.Second)
		} else if slack > 0 {
			slack -= 250 * time.Millisecond
		}
		checkConsistent(t, c.data)
	}
	// After the last restart everything acknowledged is there, and the
	// search index caught up with all of it.
	base, cmd = startServer(t, c)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	k.check(t, c, base, token, tok["anna"], true)
	out := c.run("gc", "--grace", "0s")
	checkConsistent(t, c.data)
	if n := len(orphanBlobs(t, c.data)); n != 0 {
		t.Errorf("%d orphan blobs left after gc", n)
	}
	for _, f := range k.fail {
		t.Errorf("5xx: %.300s", f)
	}
	t.Logf("refused or unanswered: %v", k.statuses)
	t.Logf("%d kills; acknowledged: %d uploads, %d versions, %d publications/unpublications, %d annotations; %d lost; %d orphan blobs seen at most; %s",
		kills, k.uploads, k.versions, k.publications, len(k.notes), k.lost, k.orphans, strings.TrimSpace(out))
	if k.uploads < kills/2 || k.versions < kills/2 || k.publications < kills/2 || len(k.notes) < kills/2 {
		t.Errorf("too few operations in %d rounds: the test hardly tested", kills)
	}
}

// killState is what the server acknowledged, across kills.
type killState struct {
	mu           sync.Mutex
	docs         map[int64]int // document → highest version acknowledged
	uploads      int
	versions     int
	meeting      int64 // published and unpublished in turn
	published    bool  // its last acknowledged state
	inFlight     bool  // a change of it was sent and not acknowledged
	publications int
	noteDoc      int64
	notes        map[string]bool // annotation UUIDs acknowledged
	lost         int
	orphans      int
	statuses     map[int]int // answers other than success (0: no answer)
	fail         []string
}

func (k *killState) refused(status int, body []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.statuses == nil {
		k.statuses = map[int]int{}
	}
	k.statuses[status]++
	if status >= 500 {
		k.fail = append(k.fail, string(body))
	}
}

func (k *killState) upload(ctx context.Context, t *testing.T, base, token, tag string) bool {
	status, body, err := postPDF(ctx, base+"/api/v1/documents?title=Kill-Test", token, makePDF(t, "Kill-Test "+tag))
	var a struct{ Document int64 }
	ok := err == nil && status == http.StatusCreated && json.Unmarshal(body, &a) == nil && a.Document != 0
	id := a.Document
	if !ok {
		k.refused(status, body)
	} else {
		k.mu.Lock()
		k.docs[id] = max(k.docs[id], 1)
		k.uploads++
		k.mu.Unlock()
	}
	return ok
}

// version uploads a new version of a random acknowledged document.
func (k *killState) version(ctx context.Context, t *testing.T, base, token string, rng *rand.Rand, tag string) bool {
	k.mu.Lock()
	var doc int64
	n := rng.IntN(len(k.docs) + 1)
	for d := range k.docs {
		if n--; n <= 0 {
			doc = d
			break
		}
	}
	k.mu.Unlock()
	if doc == 0 {
		time.Sleep(20 * time.Millisecond)
		return true
	}
	status, body, err := postPDF(ctx, fmt.Sprintf("%s/api/v1/documents/%d/versions", base, doc), token, makePDF(t, "Kill-Test Kill-Version "+tag))
	var a struct{ Document, Version int64 }
	if err != nil || status != http.StatusCreated || json.Unmarshal(body, &a) != nil || a.Version < 2 {
		k.refused(status, body)
		return false
	}
	k.mu.Lock()
	k.docs[doc] = max(k.docs[doc], int(a.Version))
	k.versions++
	k.mu.Unlock()
	return true
}

// publication publishes or unpublishes the meeting, whichever it is not.
func (k *killState) publication(ctx context.Context, base, token string) bool {
	k.mu.Lock()
	want := !k.published
	k.inFlight = true
	k.mu.Unlock()
	op := "unpublish"
	if want {
		op = "publish"
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/meetings/%d/%s", base, k.meeting, op), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return false
	}
	k.mu.Lock()
	k.published, k.inFlight = want, false
	k.publications++
	k.mu.Unlock()
	time.Sleep(10 * time.Millisecond)
	return true
}

// annotate has a member sync a new annotation with a UUID of her own.
func (k *killState) annotate(ctx context.Context, base, token string) bool {
	var b [16]byte
	crand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	uuid := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	body, _ := json.Marshal(map[string]any{
		"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "commenting",
		"body":   map[string]any{"type": "TextualBody", "value": "Notiz " + uuid},
		"target": map[string]any{"source": fmt.Sprintf("/api/v1/documents/%d/versions/1", k.noteDoc), "selector": []any{map[string]any{"type": "FragmentSelector", "value": "page=1"}}},
	})
	req, _ := http.NewRequestWithContext(ctx, "PUT", base+"/api/v1/annotations/"+uuid, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return false
	}
	k.mu.Lock()
	k.notes[uuid] = true
	k.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	return true
}

// check looks, after a restart, for everything acknowledged: every
// version of every document up to the last acknowledged one is served
// and is a blob a version refers to (never an orphan), the version after
// it is complete or absent, the meeting is in its acknowledged state (or
// the one in flight at the kill), every annotation is there; with
// search, the index catches up with every upload and version.
func (k *killState) check(t *testing.T, c *cli, base, token, member string, search bool) {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	orphans := orphanBlobs(t, c.data)
	k.orphans = max(k.orphans, len(orphans))
	office := newCrawler(t, base, token)
	for doc, last := range k.docs {
		for n := 1; n <= last+1; n++ {
			r := office.get(fmt.Sprintf("/api/v1/documents/%d/versions/%d/file", doc, n))
			switch {
			case r.status == 200:
				if sum := sha256.Sum256([]byte(r.body)); orphans[hex.EncodeToString(sum[:])] {
					t.Errorf("document %d version %d is served from an orphan blob", doc, n)
				}
				if !strings.HasPrefix(r.body, "%PDF") || !strings.Contains(r.body, "%%EOF") {
					t.Errorf("document %d version %d is served half-written", doc, n)
				}
			case n <= last:
				k.lost++
				t.Errorf("acknowledged document %d version %d: %d after a kill", doc, n, r.status)
			case r.status != 404:
				t.Errorf("document %d version %d after the last acknowledged: %d", doc, n, r.status)
			}
		}
	}
	citizen := newCrawler(t, base, "")
	visible := citizen.get(fmt.Sprintf("/api/v1/meetings/%d", k.meeting)).status == 200
	if visible != k.published && !k.inFlight {
		k.lost++
		t.Errorf("the meeting's acknowledged publication is %v, after the kill %v", k.published, visible)
	}
	k.published, k.inFlight = visible, false
	anna := newCrawler(t, base, member)
	r := anna.get(fmt.Sprintf("/api/v1/annotations?document=%d", k.noteDoc))
	for uuid := range k.notes {
		if !strings.Contains(r.body, uuid) {
			k.lost++
			t.Errorf("acknowledged annotation %s lost after a kill: %d", uuid, r.status)
		}
	}
	if !search {
		return
	}
	// The index, killed as often, catches up through its outbox.
	versioned := 0
	for _, last := range k.docs {
		if last > 1 {
			versioned++
		}
	}
	waitForSearch(t, office)
	deadline := time.Now().Add(time.Minute)
	for {
		var all, vs struct{ Total int }
		a := office.get("/api/v1/search?q=%22Kill-Test%22")
		json.Unmarshal([]byte(a.body), &all)
		v := office.get("/api/v1/search?q=%22Kill-Version%22")
		json.Unmarshal([]byte(v.body), &vs)
		if all.Total >= len(k.docs) && vs.Total >= versioned {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("search finds %d of %d acknowledged uploads, %d of %d documents with new versions: %.200s", all.Total, len(k.docs), vs.Total, versioned, a.body)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// orphanBlobs lists the blobs no version refers to.
func orphanBlobs(t *testing.T, data string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "ratsmappe.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	used := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT sha256 FROM versions UNION SELECT original_sha256 FROM versions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		used[k] = true
	}
	rows.Close()
	blobs, err := fsblob.Open(filepath.Join(data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	orphans := map[string]bool{}
	blobs.List(ctx, func(b documents.BlobInfo) error {
		if !used[b.Key] {
			orphans[b.Key] = true
		}
		return nil
	})
	return orphans
}

// startServer starts `ratsmappe serve` on a free port and waits for it.
func startServer(t *testing.T, c *cli) (string, *exec.Cmd) {
	t.Helper()
	cmd := c.command(context.Background(), "serve", "--addr", "127.0.0.1:0", "--log-level", "error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		if i := strings.Index(sc.Text(), "http://"); i >= 0 {
			go io.Copy(io.Discard, stdout)
			return strings.TrimSpace(sc.Text()[i:]), cmd
		}
	}
	t.Fatal("server did not start")
	return "", nil
}

// uploadPDF uploads pdf as a new document; ok is false if the server did
// not acknowledge it (killed in between).
func uploadPDF(ctx context.Context, base, token string, pdf []byte) (int64, bool) {
	status, body, err := postPDF(ctx, base+"/api/v1/documents?title=Kill-Test", token, pdf)
	var a struct{ Document int64 }
	if err != nil || status != http.StatusCreated || json.Unmarshal(body, &a) != nil || a.Document == 0 {
		return 0, false
	}
	return a.Document, true
}

// postPDF posts pdf as the multipart field "file" to url.
func postPDF(ctx context.Context, url, token string, pdf []byte) (int, []byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "kill.pdf")
	fw.Write(pdf)
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func makePDF(t *testing.T, text string) []byte {
	var b bytes.Buffer
	if _, err := textpdf.Write(&b, textpdf.Doc{Title: text, Blocks: []string{text + " — Sachverhalt und Beschlussvorschlag."}}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
