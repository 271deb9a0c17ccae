// Command packet measures building a session packet against qpdf merging
// the same files.
//
//	go run ./bench/packet [-corpus dir] [-items 30] [-nonpublic 5] [-runs 3]
//
// All PDFs in the corpus directory become one meeting's documents, spread
// over the agenda items in file name order, the last -nonpublic items
// non-public, built as a member's personal packet (cover, table of
// contents, outline, a stamp on every page, a watermark on non-public
// pages). The same files are merged with `qpdf --empty --pages … --`.
//
// Both run as child processes, so that wall time and peak RSS (the
// child's Maxrss from getrusage) are measured the same way; the packet
// build runs in this binary re-executed with -child. The table shows the
// median of -runs runs each and the ratios; the goals are a build time of
// at most 1.5× qpdf's and a peak RSS of at most 1 GiB.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions/packet"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/packet:", err)
		os.Exit(1)
	}
}

type options struct {
	corpus    string
	items     int
	nonPublic int
	member    string
	runs      int
	keep      string
	child     bool
	out       string
}

func run() error {
	var o options
	flag.StringVar(&o.corpus, "corpus", "", "directory of PDFs (default: ../shared/corpus/karlsruhe/pdf from the repository root)")
	flag.IntVar(&o.items, "items", 30, "agenda items")
	flag.IntVar(&o.nonPublic, "nonpublic", 5, "how many of the last items are non-public")
	flag.StringVar(&o.member, "member", "Anna Beispiel", "member of the personal packet (empty: public packet)")
	flag.IntVar(&o.runs, "runs", 3, "runs of each")
	flag.StringVar(&o.keep, "keep", "", "directory to keep the outputs in (default: a temporary one, removed)")
	flag.BoolVar(&o.child, "child", false, "internal: build one packet to -out and report as JSON")
	flag.StringVar(&o.out, "out", "", "internal: output file of -child")
	flag.Parse()

	if o.corpus == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		o.corpus = filepath.Join(root, "..", "shared", "corpus", "karlsruhe", "pdf")
	}
	files, err := filepath.Glob(filepath.Join(o.corpus, "*.pdf"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no PDFs in %s (set -corpus)", o.corpus)
	}
	slices.Sort(files)
	if o.child {
		return child(o, files)
	}
	return parent(o, files)
}

// repoRoot is the nearest directory upwards with this module's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/ratsmappe/ratsmappe\n") {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("repository root not found; run from inside the repository or set -corpus")
		}
		dir = up
	}
}

// childReport is what the -child process prints.
type childReport struct {
	BuildSeconds float64 `json:"build_seconds"`
	Pages        int     `json:"pages"`
	FrontPages   int     `json:"front_pages"`
}

func child(o options, files []string) error {
	in := input(o, files)
	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := packet.Build(context.Background(), in, f)
	if err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childReport{time.Since(start).Seconds(), res.Pages, res.FrontPages})
}

// input is the benchmark meeting: files spread over o.items agenda items
// in order, titled from the corpus metadata where it has them.
func input(o options, files []string) packet.Input {
	titles := corpusTitles(filepath.Dir(o.corpus))
	items := min(o.items, len(files))
	in := packet.Input{
		Body:         "Stadt Karlsruhe",
		Organization: "Gemeinderat",
		Location:     "Rathaus am Marktplatz, Bürgersaal",
		Start:        time.Date(2025, 10, 14, 15, 30, 0, 0, time.FixedZone("MESZ", 2*3600)),
		Member:       o.member,
	}
	for i := range items {
		public := i < items-o.nonPublic
		num := fmt.Sprintf("Ö %d", i+1)
		if !public {
			num = fmt.Sprintf("N %d", i+1-(items-o.nonPublic))
		}
		it := packet.Item{Number: num, Public: public, PublicTitle: "Grundstücksangelegenheit"}
		for _, f := range files[i*len(files)/items : (i+1)*len(files)/items] {
			id := strings.TrimSuffix(filepath.Base(f), ".pdf")
			t := titles[id]
			if it.Title == "" {
				it.Title = t.paper
			}
			title := t.file
			if title == "" {
				title = filepath.Base(f)
			}
			path := f
			it.Documents = append(it.Documents, packet.Doc{
				Title: title,
				Open:  func() (io.ReadSeekCloser, error) { return os.Open(path) },
			})
		}
		if it.Title == "" {
			it.Title = fmt.Sprintf("Tagesordnungspunkt %d", i+1)
		}
		in.Items = append(in.Items, it)
	}
	return in
}

type corpusTitle struct{ paper, file string }

// corpusTitles reads paper and file names by file id from the corpus's
// OParl papers.json, if there is one.
func corpusTitles(dir string) map[string]corpusTitle {
	m := map[string]corpusTitle{}
	b, err := os.ReadFile(filepath.Join(dir, "papers.json"))
	if err != nil {
		return m
	}
	type file struct{ ID, Name string }
	var papers []struct {
		Name          string
		MainFile      *file
		AuxiliaryFile []file
	}
	if json.Unmarshal(b, &papers) != nil {
		return m
	}
	for _, p := range papers {
		fs := p.AuxiliaryFile
		if p.MainFile != nil {
			fs = append([]file{*p.MainFile}, fs...)
		}
		for _, f := range fs {
			m[f.ID[strings.LastIndex(f.ID, "/")+1:]] = corpusTitle{paper: p.Name, file: f.Name}
		}
	}
	return m
}

// measurement is one child process run.
type measurement struct {
	wall  time.Duration
	rss   int64 // bytes
	build time.Duration
	pages int
	front int
	size  int64
}

func measure(cmd *exec.Cmd, out string) (measurement, []byte, error) {
	var stdout strings.Builder
	cmd.Stdout = &stdout
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	m := measurement{wall: time.Since(start)}
	if err != nil {
		return m, nil, fmt.Errorf("%s: %v\n%s", cmd.Path, err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if fi, err := os.Stat(out); err == nil {
		m.size = fi.Size()
	}
	return m, []byte(stdout.String()), nil
}

func parent(o options, files []string) error {
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		return fmt.Errorf("qpdf not found: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir := o.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bench-packet-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var total int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			total += fi.Size()
		}
	}
	packetOut, qpdfOut := filepath.Join(dir, "packet.pdf"), filepath.Join(dir, "qpdf.pdf")

	var ps, qs []measurement
	for r := 0; r < o.runs; r++ {
		args := []string{"-child", "-corpus", o.corpus, "-out", packetOut, "-items", strconv.Itoa(o.items), "-nonpublic", strconv.Itoa(o.nonPublic), "-member", o.member}
		m, stdout, err := measure(exec.Command(self, args...), packetOut)
		if err != nil {
			return err
		}
		var rep childReport
		if err := json.Unmarshal(stdout, &rep); err != nil {
			return fmt.Errorf("child report %q: %w", stdout, err)
		}
		m.build, m.pages, m.front = time.Duration(rep.BuildSeconds*float64(time.Second)), rep.Pages, rep.FrontPages
		ps = append(ps, m)

		qargs := append([]string{"--empty", "--pages"}, files...)
		qargs = append(qargs, "--", qpdfOut)
		m, _, err = measure(exec.Command(qpdf, qargs...), qpdfOut)
		if err != nil {
			return err
		}
		if n, err := exec.Command(qpdf, "--show-npages", qpdfOut).Output(); err == nil {
			m.pages, _ = strconv.Atoi(strings.TrimSpace(string(n)))
		}
		qs = append(qs, m)
	}
	p, q := median(ps), median(qs)

	nonPublic := min(o.nonPublic, min(o.items, len(files)))
	who := "personal packet of " + o.member
	if o.member == "" {
		who = "public packet"
	}
	fmt.Printf("Session packet: %d PDFs (%.1f MB) as %d agenda items (%d non-public), %s; median of %d runs\n\n",
		len(files), float64(total)/1e6, min(o.items, len(files)), nonPublic, who, o.runs)
	const row = "%-42s %8.2fs %8.0f MiB %7d %7.1f MB\n"
	fmt.Printf("%-42s %9s %12s %7s %10s\n", "", "time", "peak RSS", "pages", "output")
	fmt.Printf(row, "packet (merge, cover, TOC, outline, stamps)", p.wall.Seconds(), mib(p.rss), p.pages, float64(p.size)/1e6)
	fmt.Printf("%-42s %8.2fs\n", "  of which in packet.Build", p.build.Seconds())
	fmt.Printf(row, "qpdf --empty --pages ... --", q.wall.Seconds(), mib(q.rss), q.pages, float64(q.size)/1e6)
	fmt.Printf("%-42s %8.2f× %11.2f×\n\n", "ratio packet / qpdf", p.wall.Seconds()/q.wall.Seconds(), float64(p.rss)/float64(q.rss))

	ok := func(b bool) string {
		if b {
			return "met"
		}
		return "MISSED"
	}
	fmt.Printf("goal time ≤ 1.5× qpdf: %s;  goal peak RSS ≤ 1 GiB: %s\n", ok(p.wall <= q.wall*3/2), ok(p.rss <= 1<<30))
	if o.member != "" && q.pages > 0 && p.pages != q.pages+p.front { // the public packet leaves non-public documents out
		return fmt.Errorf("packet has %d pages, want %d from qpdf + %d front pages", p.pages, q.pages, p.front)
	}
	return nil
}

func median(ms []measurement) measurement {
	slices.SortFunc(ms, func(a, b measurement) int { return cmp.Compare(a.wall, b.wall) })
	return ms[len(ms)/2]
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
