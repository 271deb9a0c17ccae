// Command portal measures what citizens feel when they arrive at once:
// requests per second and p50/p99 latency of the start page, a meeting
// page, an OParl list page and a file download revalidated by ETag, on the
// demo council — side by side with a bare net/http handler writing the
// same bytes from memory (the ceiling), in the same run, from a load
// generator in this process over loopback.
//
//	go run ./bench/portal [-duration 5s] [-concurrency 32]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long each target is loaded")
	conc := flag.Int("concurrency", 32, "concurrent clients")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "bench-portal-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "ratsmappe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ratsmappe")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())
	addr := freeAddr()
	srv := exec.Command(bin, "serve", "--demo", "--data", filepath.Join(tmp, "data"), "--addr", addr, "--log-level", "error")
	srv.Stdout, srv.Stderr = io.Discard, os.Stderr
	check(srv.Start())
	defer srv.Process.Kill()
	base := "http://" + addr
	waitUp(base)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2}}
	var meetings struct{ Data []struct{ ID int64 } }
	getJSON(client, base+"/api/v1/meetings", &meetings)
	mid := meetings.Data[len(meetings.Data)/2].ID
	var detail struct {
		Agenda []struct{ Documents []struct{ URL string } }
	}
	getJSON(client, fmt.Sprintf("%s/api/v1/meetings/%d", base, mid), &detail)
	file := ""
	for _, it := range detail.Agenda {
		if len(it.Documents) > 0 {
			file = it.Documents[0].URL
			break
		}
	}
	var oparlBody struct{ Organization string }
	getJSON(client, base+"/oparl/v1/body/1", &oparlBody)

	targets := []struct {
		name, path string
		etag       bool
	}{
		{"start page", "/", false},
		{"meeting page", fmt.Sprintf("/meetings/%d", mid), false},
		{"OParl organization list", strings.TrimPrefix(oparlBody.Organization, base), false},
		{"file download, ETag revalidation", file, true},
	}
	fmt.Printf("demo council, %d clients, %v per target, loopback, %d-core machine\n\n", *conc, *duration, nprocs())
	fmt.Printf("%-36s %10s %9s %9s %11s %12s\n", "target", "req/s", "p50", "p99", "errors", "vs bare")
	for _, tg := range targets {
		body, etag := fetch(client, base+tg.path)
		bare := bareServer(body, etag)
		b := load(client, bare+"/x", "", *conc, *duration)
		hdr := ""
		if tg.etag {
			hdr = etag
		}
		r := load(client, base+tg.path, hdr, *conc, *duration)
		fmt.Printf("%-36s %10.0f %9s %9s %11d %11.0f%%\n", tg.name, r.rps, r.p50, r.p99, r.errors, 100*r.rps/b.rps)
		fmt.Printf("%-36s %10.0f %9s %9s %11d\n", "  bare handler, same bytes", b.rps, b.p50, b.p99, b.errors)
	}
	fmt.Println("\ngoal: every public page ≥ 25 % of the bare handler, p99 ≤ 50 ms")
}

type result struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

// load sends GETs from conc clients for d and measures them.
func load(c *http.Client, url, ifNoneMatch string, conc int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				req, _ := http.NewRequest("GET", url, nil)
				if ifNoneMatch != "" {
					req.Header.Set("If-None-Match", ifNoneMatch)
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					bad++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 304 {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{rps: float64(len(lat)) / el.Seconds(), errors: errs}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2].Round(10 * time.Microsecond)
		r.p99 = lat[len(lat)*99/100].Round(10 * time.Microsecond)
	}
	return r
}

// bareServer serves body from memory (304 on a matching ETag), the
// fastest any page could be served here.
func bareServer(body []byte, etag string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if etag != "" && r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}))
	return "http://" + ln.Addr().String()
}

func fetch(c *http.Client, url string) ([]byte, string) {
	resp, err := c.Get(url)
	check(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		check(fmt.Errorf("%s: %d", url, resp.StatusCode))
	}
	return b, resp.Header.Get("ETag")
}

func getJSON(c *http.Client, url string, v any) {
	b, _ := fetch(c, url)
	check(json.Unmarshal(b, v))
}

func waitUp(base string) {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	check(fmt.Errorf("server did not start"))
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

func nprocs() int {
	out, _ := exec.Command("nproc").Output()
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
