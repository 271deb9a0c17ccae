// Command ingest measures ingestion the way users ingest — validate,
// sanitize, extract, store — against pdftotext (poppler) on the same
// files in the same run:
//
//   - the CLI as a user runs it, `ratsmappe doc add --data DIR CORPUS`, a
//     new process over the whole folder: first with an empty compilation
//     cache (a new installation), then into another fresh data directory
//     with the cache warm (every later run);
//   - the HTTP upload path: `ratsmappe serve` on a free port, one POST
//     /api/v1/documents per file as a clerk with an API token, timed until
//     the answer;
//   - pdftotext over the same files one after another: the anchor.
//
// The binary is built once into a temporary directory. The goals: the
// warm CLI run within 1.2× sequential pdftotext, and each upload within
// 1.5× its file's pdftotext time + 50 ms.
//
// -match REGEXP times only the files whose names match (with the
// corpus's first file uploaded ahead of them, as the upload that starts
// the server's worker); each upload over its goal is listed with the CPU
// time the server and its PDF workers spent on it. The server's CPU time
// while uploads were answered is summed and set against its CPU time over
// the whole run (what it did between uploads: the search index).
//
//	go run ./bench/ingest [-corpus ../shared/corpus/karlsruhe/pdf] [-only http] [-match '^66344'] [-postgres]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/measure"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
)

func main() {
	corpus := flag.String("corpus", "../shared/corpus/karlsruhe/pdf", "directory of PDFs")
	withPG := flag.Bool("postgres", false, "also upload into a server on a throwaway PostgreSQL cluster and compare with SQLite")
	only := flag.String("only", "", `"cli" or "http": time only that path (and pdftotext), to look at one`)
	match := flag.String("match", "", "time only the PDFs whose file names match this regular expression")
	flag.Parse()
	files, _ := filepath.Glob(filepath.Join(*corpus, "*.pdf"))
	if len(files) == 0 {
		fatal(fmt.Errorf("no PDFs in %s", *corpus))
	}
	sort.Strings(files)
	if *match != "" {
		files = matching(files, *match)
	}
	var size int64
	for _, f := range files {
		// Read once, so that every run below finds the files in the
		// page cache.
		b, err := os.ReadFile(f)
		fatal(err)
		size += int64(len(b))
	}
	tmp, err := os.MkdirTemp("", "bench-ingest-")
	fatal(err)
	defer os.RemoveAll(tmp)
	// Run as root, the PDF workers drop to nobody, who must be able to
	// start the binary.
	fatal(os.Chmod(tmp, 0o755))
	bin := filepath.Join(tmp, "ratsmappe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ratsmappe")
	build.Dir = moduleRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	fatal(build.Run())
	fmt.Printf("corpus: %d PDFs, %.1f MB, %d-core machine\n\n", len(files), float64(size)/1e6, nproc())

	anchor, _, anchorRSS, err := pdftotext(files)
	fatal(err)
	// One compilation cache for the CLI runs, empty before the first: the
	// first is a new installation, the second every run after it.
	cache := filepath.Join(tmp, "wasm")
	var cold, warm cliRun
	up := uploadRun{each: make([]time.Duration, len(files)), anchor: make([]time.Duration, len(files)),
		ocr: make([]bool, len(files)), pages: make([]int, len(files))}
	if *only != "http" {
		// The folder, as a clerk names it; the files themselves when
		// only some are timed.
		args := []string{*corpus}
		if *match != "" {
			args = files
		}
		cold, err = cli(bin, filepath.Join(tmp, "cold"), cache, args, len(files))
		fatal(err)
		warm, err = cli(bin, filepath.Join(tmp, "warm"), cache, args, len(files))
		fatal(err)
	}
	if *only != "cli" {
		up, err = uploads(bin, filepath.Join(tmp, "serve"), cache, files)
		fatal(err)
	}
	// The same uploads into a server on PostgreSQL (issue 15: within 1.2×
	// of SQLite), fsync on as SQLite's.
	var pgUp uploadRun
	if *withPG && *only != "cli" {
		url, drop, err := measure.PostgresDatabase()
		fatal(err)
		defer pgtest.Stop()
		defer drop()
		pgUp, err = uploads(bin, filepath.Join(tmp, "serve-pg"), cache, files, "RATSMAPPE_DATABASE_URL="+url)
		fatal(err)
	}

	fmt.Printf("%-52s %9s %9s %10s\n", "run", "wall", "files/s", "peak RSS")
	row := func(name string, d time.Duration, rss int64) {
		fmt.Printf("%-52s %8.2fs %9.1f %7d MB\n", name, d.Seconds(), float64(len(files))/d.Seconds(), rss>>20)
	}
	row("pdftotext, one file after another", anchor, anchorRSS)
	row("ratsmappe doc add DIR, new installation", cold.wall, cold.rss)
	row("ratsmappe doc add DIR, warm cache", warm.wall, warm.rss)
	row("ratsmappe serve, one upload after another", up.total, up.rss)
	fmt.Printf("\ndoc add: %v (warm); pages: %d, of which OCRed (pdftotext does no OCR): %d\n", warm.results, warm.pages, warm.ocrPages)
	fmt.Printf("CLI, warm:       %.2f× sequential pdftotext (goal ≤ 1.2×)\n", warm.wall.Seconds()/anchor.Seconds())
	fmt.Printf("CLI, first run:  %.2f× sequential pdftotext\n", cold.wall.Seconds()/anchor.Seconds())

	// Per upload against its own file's pdftotext time, taken right
	// before the upload, so that both see the same load of a shared
	// machine. The first upload
	// starts the server's first PDF worker; it is shown on its own. Files
	// with OCRed pages are counted apart: pdftotext does no OCR.
	within, ocred, worst, worstFile := 0, 0, 0.0, ""
	var over []time.Duration
	var slow []string
	for i := 1; i < len(files); i++ {
		if up.ocr[i] {
			ocred++
			continue
		}
		goal := up.anchor[i]*3/2 + 50*time.Millisecond
		if up.each[i] <= goal {
			within++
		}
		if up.each[i] > goal || *match != "" {
			st, _ := os.Stat(files[i])
			slow = append(slow, fmt.Sprintf("  %-14s %6d KB %4d pages  upload %6v  pdftotext %6v  %.2f× its goal;  CPU: server %v, workers %v, pdftotext %v",
				filepath.Base(files[i]), st.Size()>>10, up.pages[i], up.each[i].Round(time.Millisecond),
				up.anchor[i].Round(time.Millisecond), up.each[i].Seconds()/goal.Seconds(), up.serverCPU[i], up.workerCPU[i], up.anchorCPU[i]))
		}
		over = append(over, up.each[i]-up.anchor[i])
		if r := up.each[i].Seconds() / goal.Seconds(); r > worst {
			worst, worstFile = r, filepath.Base(files[i])
		}
	}
	slices.Sort(over)
	if len(over) == 0 {
		over = []time.Duration{0}
	}
	fmt.Printf("HTTP, per file:  %d of %d uploads without OCR within 1.5× their pdftotext time + 50 ms (goal: all); "+
		"upload − pdftotext: median %v, 90th percentile %v; worst %.2f× its goal (%s); %d uploads with OCR not compared\n",
		within, len(over), over[len(over)/2].Round(time.Millisecond), over[len(over)*9/10].Round(time.Millisecond), worst, worstFile, ocred)
	if len(slow) > 0 && *match != "" {
		fmt.Printf("each upload:\n%s\n", strings.Join(slow, "\n"))
	} else if len(slow) > 0 {
		fmt.Printf("uploads over their goal (median file: %d KB, %d pages):\n%s\n", medianSize(files)>>10, median(up.pages), strings.Join(slow, "\n"))
	}
	fmt.Printf("HTTP, first upload after start (starts a worker): %v (pdftotext %v)\n",
		up.each[0].Round(time.Millisecond), up.anchor[0].Round(time.Millisecond))
	// Server CPU beside the uploads' PDF workers competes with them on a
	// small machine; the rest ran between uploads.
	var during time.Duration
	for i := 1; i < len(up.serverCPU); i++ {
		during += up.serverCPU[i]
	}
	fmt.Printf("HTTP, server CPU: %v while uploads were answered (after the first), %v in all\n",
		during.Round(10*time.Millisecond), up.serverTotal.Round(10*time.Millisecond))
	if pgUp.total > 0 {
		// Per file, PostgreSQL's upload against SQLite's, each against
		// the pdftotext time taken right before it (the machine's load
		// at that moment): the median ratio of the uploads' overheads
		// and of their totals.
		var ratios []float64
		for i := 1; i < len(files); i++ {
			if up.ocr[i] || pgUp.ocr[i] {
				continue
			}
			ratios = append(ratios, pgUp.each[i].Seconds()/up.each[i].Seconds())
		}
		slices.Sort(ratios)
		// After the first upload, which starts a worker: with -only
		// http, SQLite's run compiles the PDF engine into the empty
		// cache there (20 s on a loaded machine), PostgreSQL's finds it
		// warm.
		pgTotal, sqTotal := pgUp.total-pgUp.each[0], up.total-up.each[0]
		var pgDuring time.Duration
		for i := 1; i < len(pgUp.serverCPU); i++ {
			pgDuring += pgUp.serverCPU[i]
		}
		fmt.Printf("HTTP on PostgreSQL: uploads after the first %.2f s against SQLite's %.2f s (%.2f×); per file median %.2f×, 90th percentile %.2f× (goal: within 1.2× of SQLite); "+
			"server CPU while uploads were answered %v against %v\n",
			pgTotal.Seconds(), sqTotal.Seconds(), pgTotal.Seconds()/sqTotal.Seconds(), ratios[len(ratios)/2], ratios[len(ratios)*9/10],
			pgDuring.Round(10*time.Millisecond), during.Round(10*time.Millisecond))
	}
}

func fatal(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/ingest:", err)
		os.Exit(1)
	}
}

func nproc() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

// moduleRoot returns the directory of the repository's go.mod.
func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	fatal(err)
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		fatal(fmt.Errorf("run from inside the repository"))
	}
	return filepath.Dir(gomod)
}

// maxRSS returns the largest resident size of a finished process and of
// the descendants it waited for (its PDF workers).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}

// took is one run's wall and CPU time.
type took struct{ wall, cpu time.Duration }

// pdftotext runs pdftotext over files one after another and returns the
// wall time, each file's times and the largest peak RSS.
func pdftotext(files []string) (time.Duration, []took, int64, error) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return 0, nil, 0, fmt.Errorf("pdftotext is not installed (apt-get install poppler-utils)")
	}
	each := make([]took, len(files))
	var peak int64
	start := time.Now()
	for i, f := range files {
		t := time.Now()
		cmd := exec.Command(bin, "-q", "-enc", "UTF-8", f, "/dev/null")
		if err := cmd.Run(); err != nil {
			return 0, nil, 0, fmt.Errorf("pdftotext %s: %w", f, err)
		}
		each[i] = took{time.Since(t), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
		peak = max(peak, maxRSS(cmd.ProcessState))
	}
	return time.Since(start), each, peak, nil
}

type cliRun struct {
	wall     time.Duration
	rss      int64
	pages    int
	ocrPages int
	results  map[string]int
}

// cli runs `ratsmappe doc add --json` over args (a folder or files) into
// the fresh data directory data, with the compilation cache at cache.
func cli(bin, data, cache string, args []string, want int) (cliRun, error) {
	var out bytes.Buffer
	cmd := exec.Command(bin, append([]string{"doc", "add", "--data", data, "--wasm-cache", cache, "--json"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	start := time.Now()
	err := cmd.Run()
	r := cliRun{wall: time.Since(start), rss: maxRSS(cmd.ProcessState), results: map[string]int{}}
	if err != nil {
		return r, fmt.Errorf("doc add: %w", err)
	}
	sc := bufio.NewScanner(&out)
	n := 0
	for sc.Scan() {
		var line struct {
			Status, Code string
			Pages        int
			OCRPages     int `json:"ocr_pages"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return r, fmt.Errorf("doc add printed %q: %w", sc.Text(), err)
		}
		n++
		r.pages += line.Pages
		r.ocrPages += line.OCRPages
		if line.Code != "" {
			r.results[line.Code]++
		} else {
			r.results[line.Status]++
		}
	}
	if n != want {
		return r, fmt.Errorf("doc add printed %d results for %d files", n, want)
	}
	return r, nil
}

type uploadRun struct {
	total  time.Duration
	each   []time.Duration
	anchor []time.Duration // pdftotext of the same file, just before
	// anchorCPU is that pdftotext's CPU time.
	anchorCPU []time.Duration
	ocr       []bool // the upload OCRed pages, which pdftotext does not
	pages     []int
	rss       int64
	// CPU time of the server process and of its PDF workers while the
	// upload was answered (10 ms ticks).
	serverCPU, workerCPU []time.Duration
	// serverTotal is the server's CPU time from the first upload to a
	// moment after the last, indexing included.
	serverTotal time.Duration
}

// uploads starts `ratsmappe serve` on a free port with a fresh data
// directory, makes a clerk with an API token, and uploads files one
// after another.
func uploads(bin, data, cache string, files []string, extraEnv ...string) (uploadRun, error) {
	var r uploadRun
	env := append(os.Environ(), "RATSMAPPE_DATA="+data, "RATSMAPPE_WASM_CACHE="+cache, "RATSMAPPE_LOG_LEVEL=warn")
	env = append(env, extraEnv...)
	add := exec.Command(bin, "user", "add", "--role", "clerk", "bench")
	add.Env, add.Stdin, add.Stderr = env, strings.NewReader("ein langes Passwort für den Benchmark\n"), os.Stderr
	if err := add.Run(); err != nil {
		return r, fmt.Errorf("user add: %w", err)
	}
	tok := exec.Command(bin, "user", "token", "bench")
	tok.Env, tok.Stderr = env, os.Stderr
	token, err := tok.Output()
	if err != nil {
		return r, fmt.Errorf("user token: %w", err)
	}
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	srv.Env, srv.Stderr = env, os.Stderr
	stdout, err := srv.StdoutPipe()
	if err != nil {
		return r, err
	}
	if err := srv.Start(); err != nil {
		return r, err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	base := ""
	for sc.Scan() {
		if _, addr, ok := strings.Cut(sc.Text(), "listening on "); ok {
			base = strings.TrimSpace(addr)
			break
		}
	}
	if base == "" {
		return r, fmt.Errorf("serve did not say where it listens")
	}
	go io.Copy(io.Discard, stdout)
	// A clerk's first upload comes a moment after the server is up; the
	// server starts a worker meanwhile.
	time.Sleep(time.Second)
	client := &http.Client{Timeout: 2 * time.Minute}
	r.each = make([]time.Duration, len(files))
	r.anchor = make([]time.Duration, len(files))
	r.ocr = make([]bool, len(files))
	r.pages = make([]int, len(files))
	r.anchorCPU = make([]time.Duration, len(files))
	r.serverCPU = make([]time.Duration, len(files))
	r.workerCPU = make([]time.Duration, len(files))
	pid := srv.Process.Pid
	cpu0, _ := measure.CPU(pid)
	for i, f := range files {
		body, ctype, err := multipartFile(f)
		if err != nil {
			return r, err
		}
		req, err := http.NewRequest(http.MethodPost, base+"/api/v1/documents", bytes.NewReader(body))
		if err != nil {
			return r, err
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		_, anchor, _, err := pdftotext(files[i : i+1])
		if err != nil {
			return r, err
		}
		r.anchor[i], r.anchorCPU[i] = anchor[0].wall, anchor[0].cpu
		srv0, _ := measure.CPU(pid)
		work0 := childrenCPU(pid)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return r, fmt.Errorf("upload %s: %w", f, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.each[i] = time.Since(start)
		srv1, _ := measure.CPU(pid)
		r.serverCPU[i], r.workerCPU[i] = srv1-srv0, childrenCPU(pid)-work0
		r.total += r.each[i]
		// A refused file is an answer too (422); anything else is not.
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusUnprocessableEntity {
			return r, fmt.Errorf("upload %s: %s: %s", f, resp.Status, answer)
		}
		var added struct {
			Pages    int `json:"pages"`
			OCRPages int `json:"ocr_pages"`
		}
		json.Unmarshal(answer, &added)
		r.ocr[i] = added.OCRPages > 0
		r.pages[i] = added.Pages
	}
	r.rss = residentOf(srv.Process.Pid)
	// What the server does after the last answer (the search index takes
	// its pages) counts too.
	time.Sleep(2 * time.Second)
	cpuEnd, _ := measure.CPU(pid)
	r.serverTotal = cpuEnd - cpu0
	return r, nil
}

// multipartFile returns a multipart/form-data body with f as field
// "file", and its content type.
func multipartFile(f string) ([]byte, string, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormFile("file", filepath.Base(f))
	if err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile(f)
	if err != nil {
		return nil, "", err
	}
	w.Write(data)
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), mw.FormDataContentType(), nil
}

// childrenCPU returns the CPU time the running children of process pid
// (a server's PDF workers) have used so far.
func childrenCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	seen := map[string]bool{}
	var sum time.Duration
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, c := range strings.Fields(string(b)) {
			if seen[c] {
				continue
			}
			seen[c] = true
			var child int
			fmt.Sscan(c, &child)
			if d, err := measure.CPU(child); err == nil {
				sum += d
			}
		}
	}
	return sum
}

// matching returns the files whose base names match the regular
// expression expr, after the first of all files: that upload starts the
// server's worker and is not compared.
func matching(files []string, expr string) []string {
	re, err := regexp.Compile(expr)
	fatal(err)
	out := files[:1:1]
	for _, f := range files[1:] {
		if re.MatchString(filepath.Base(f)) {
			out = append(out, f)
		}
	}
	return out
}

// residentOf returns the peak resident size (VmHWM) of a running process.
func residentOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(rest, &kb)
			return kb << 10
		}
	}
	return 0
}

// median returns the median of xs.
func median(xs []int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// medianSize returns the median size of files in bytes.
func medianSize(files []string) int64 {
	sizes := make([]int64, len(files))
	for i, f := range files {
		if st, err := os.Stat(f); err == nil {
			sizes[i] = st.Size()
		}
	}
	slices.Sort(sizes)
	return sizes[len(sizes)/2]
}
