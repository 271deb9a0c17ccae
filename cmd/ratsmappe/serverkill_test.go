package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/textpdf"
)

// The server is killed with SIGKILL at random moments while the office
// uploads, attaches and publishes; after every restart each upload the
// server acknowledged is there, complete, and nothing half-written is.
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
	var token string
	for _, a := range res.Accounts {
		if a.Name == "ratsbuero" {
			token = a.Token
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	acked := map[int64]bool{} // documents whose upload the server confirmed
	ops := 0
	for k := 0; k < kills; k++ {
		base, cmd := startServer(t, c)
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					pdf := makePDF(t, fmt.Sprintf("Kill-Test %d/%d/%d", k, w, i))
					id, ok := uploadPDF(ctx, base, token, pdf)
					if !ok {
						return
					}
					mu.Lock()
					acked[id] = true
					ops++
					mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		cancel()
		wg.Wait()
		checkConsistent(t, c.data)
	}
	// After the last restart every acknowledged upload is served intact.
	base, cmd := startServer(t, c)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	lost := 0
	for id := range acked {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/documents/%d/versions/1/file", base, id), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			lost++
			t.Errorf("acknowledged document %d: %d after the kills", id, resp.StatusCode)
		}
	}
	// The search index, killed as often, caught up with all of them: its
	// writes are on disk before the outbox forgets them.
	office := newCrawler(t, base, token)
	waitForSearch(t, office)
	var found struct{ Total int }
	r := office.get("/api/v1/search?q=%22Kill-Test%22")
	if err := json.Unmarshal([]byte(r.body), &found); err != nil || found.Total < len(acked) {
		t.Errorf("search finds %d of %d acknowledged uploads after the kills: %d %.200s", found.Total, len(acked), r.status, r.body)
	}
	out := c.run("gc", "--grace", "0s")
	checkConsistent(t, c.data)
	t.Logf("%d kills, %d uploads acknowledged, %d lost; %s", kills, ops, lost, strings.TrimSpace(out))
	if ops < kills {
		t.Errorf("only %d uploads in %d rounds: the test hardly tested", ops, kills)
	}
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
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "kill.pdf")
	fw.Write(pdf)
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/documents?title=Kill-Test", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return 0, false
	}
	var a struct{ Document int64 }
	if json.NewDecoder(resp.Body).Decode(&a) != nil || a.Document == 0 {
		return 0, false
	}
	return a.Document, true
}

func makePDF(t *testing.T, text string) []byte {
	var b bytes.Buffer
	if _, err := textpdf.Write(&b, textpdf.Doc{Title: text, Blocks: []string{text + " — Sachverhalt und Beschlussvorschlag."}}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
