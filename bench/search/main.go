// Command search measures the search index (search/bleve) against a plain
// Bleve index on the same records in the same run: the 4,114 Karlsruhe
// texts cut into pages and replicated to at least -records page records
// (replica 0 public, the others for committee members, under embargo,
// with an excluded person, or for staff only), indexing rate, index size,
// query latency p50/p99 and throughput at concurrency 1, 8 and 32 for the
// relevance queries and more, recall@10 on the relevance set, and the
// recall of compound queries on the judged compound set (compounds.go).
//
// The plain index is what one gets from Bleve's documentation: the German
// analyzer, text stored with term vectors, the default _all field, a
// match query with a public-flag filter, HTML highlighting and one facet.
// Ours answers with everything on: grouping by document, three facets,
// snippets, the viewer's filter. It is measured with its result cache
// off (every query computed; the term cache, which keeps each term's
// frequencies per segment, warms up as the queries repeat), with both
// caches off (every query decodes its terms' postings), and with the
// result cache on (repeated queries answered from the cache, as popular
// queries are).
//
//	go run ./bench/search [-records 100000] [-duration 10s]
//
// To profile the query side without indexing again, build ours once with
// -keep DIR and measure it with -reuse DIR -skip-plain -cpuprofile FILE.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/search/german"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// extraQueries complete the relevance queries to a realistic mix of what
// citizens and members type: single common words, compounds, two words.
var extraQueries = []string{
	"Haushalt 2025", "Kita Gebühren", "Radweg", "Straßenbahn", "Klimaschutz", "Schulsanierung",
	"Bebauungsplan", "Feuerwehr", "Wohnungsbau", "Parkplätze", "Durlach", "Bürgerbeteiligung",
	"Spielplatz", "Stadtwerke", "Baumfällungen", "ÖPNV", "Hallenbad", "Sporthalle Neubau",
	"Lärmschutz", "Sitzung Gemeinderat",
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus/karlsruhe", "the Karlsruhe corpus")
	records := flag.Int("records", 100000, "page records to index, at least")
	duration := flag.Duration("duration", 10*time.Second, "how long each concurrency level runs")
	batch := flag.Int("batch", 5000, "records per Index call")
	skipPlain := flag.Bool("skip-plain", false, "measure only ours")
	reuse := flag.String("reuse", "", "directory of an index of ours built by an earlier run with -keep: skip indexing ours")
	keep := flag.String("keep", "", "build ours in this directory and keep it (for -reuse)")
	concurrency := flag.Int("concurrency", 0, "queries ours computes at once (bleve.Options.Concurrency: 0 = cores, -1 = unbounded)")
	indexProfile := flag.String("indexprofile", "", "write a CPU profile of indexing ours to this file")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the uncached citizen queries to this file")
	sample := flag.Int("sample-compounds", 0, "print this many candidates for the judged compound set (see "+compoundsFile+") and exit")
	wordList := flag.String("wordlist", german.WordListPath, "the word list -sample-compounds takes heads from")
	flag.Parse()

	files, err := searchtest.LoadKarlsruhe(*corpus)
	check(err)
	if *sample > 0 {
		sampleCompounds(files, *wordList, *sample)
		return
	}
	compounds := loadCompounds(compoundsFile)
	pages := 0
	var bytes int64
	for _, f := range files {
		pages += len(f.Pages)
		for _, p := range f.Pages {
			bytes += int64(len(p))
		}
	}
	replicas := (*records + pages - 1) / pages
	now := time.Now()
	var recs []search.Record
	for r := 0; r < replicas; r++ {
		for _, f := range files {
			recs = append(recs, f.Records(int64(r)*1_000_000+f.ID, access(r, now))...)
		}
	}
	var queries []string
	for _, j := range searchtest.Relevance {
		queries = append(queries, j.Query)
	}
	queries = append(queries, extraQueries...)

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("corpus: %d texts, %d pages, %.1f MB; %d replicas = %d page records (%.0f MB of text)\n",
		len(files), pages, float64(bytes)/1e6, replicas, len(recs), float64(bytes)*float64(replicas)/1e6)
	fmt.Printf("machine: %d cores, GOMAXPROCS %d, load average %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), load)
	fmt.Printf("queries: %d (%d with relevance judgments), %v per concurrency level\n\n", len(queries), len(searchtest.Relevance), *duration)

	tmp, err := os.MkdirTemp("", "bench-search-")
	check(err)
	defer os.RemoveAll(tmp)

	var plainIx, plainDoc *plain
	var plainIndex, plainDocIndex indexFigures
	if !*skipPlain {
		plainIx, plainDoc, plainIndex, plainDocIndex = indexPlain(filepath.Join(tmp, "plain"), recs, *batch)
		defer plainIx.idx.Close()
		defer plainDoc.idx.Close()
	}
	oursDir := filepath.Join(tmp, "ours")
	if *keep != "" {
		oursDir = *keep
	}
	var oursIndex indexFigures
	if *reuse != "" {
		oursDir = *reuse
		oursIndex = indexFigures{took: time.Nanosecond, cpu: time.Nanosecond, size: dirSize(oursDir)}
		fmt.Printf("ours reused from %s: indexing figures not measured\n", oursDir)
	} else {
		if *indexProfile != "" {
			f, err := os.Create(*indexProfile)
			check(err)
			check(pprof.StartCPUProfile(f))
			defer f.Close()
		}
		oursIndex = indexOurs(oursDir, recs, *batch)
		if *indexProfile != "" {
			pprof.StopCPUProfile()
		}
	}

	fmt.Printf("%-34s %10s %10s %12s %10s %14s %10s\n", "indexing", "records", "seconds", "records/s", "CPU s", "records/CPU s", "size MB")
	row := func(name string, f indexFigures) {
		fmt.Printf("%-34s %10d %10.1f %12.0f %10.1f %14.0f %10.0f\n", name, len(recs), f.took.Seconds(), float64(len(recs))/f.took.Seconds(),
			f.cpu.Seconds(), float64(len(recs))/f.cpu.Seconds(), float64(f.size)/1e6)
	}
	if plainIx != nil {
		row("plain Bleve as documented", plainDocIndex)
		row("plain Bleve (incl. force merge)", plainIndex)
	}
	row("ours (learn, index, force merge)", oursIndex)
	if plainIx != nil {
		fmt.Printf("ratio ours/plain: %.2f× by the clock, %.2f× by CPU time (goal ≥ 1.5×)\n",
			plainIndex.took.Seconds()/oursIndex.took.Seconds(), plainIndex.cpu.Seconds()/oursIndex.cpu.Seconds())
		fmt.Printf("ratio ours/plain as documented: %.2f× by the clock, %.2f× by CPU time\n",
			plainDocIndex.took.Seconds()/oursIndex.took.Seconds(), plainDocIndex.cpu.Seconds()/oursIndex.cpu.Seconds())
	}
	fmt.Println()

	citizen := search.Viewer{Principals: []string{search.Public}}
	member := search.Viewer{Principals: []string{search.Public, search.Org(2), search.Person(1)}}
	staff := search.Viewer{Principals: []string{search.Staff}}

	cold, err := bleve.Open(oursDir, bleve.Options{CacheEntries: -1, Concurrency: *concurrency})
	check(err)
	type run struct {
		name string
		fn   func(q string) error
	}
	oursFn := func(x *bleve.Index, v search.Viewer) func(string) error {
		return func(q string) error {
			_, err := x.Search(context.Background(), search.Query{Text: q, Viewer: v, Now: now})
			return err
		}
	}
	var runs []run
	if plainIx != nil {
		runs = append(runs, run{"plain as documented, public", plainDoc.search},
			run{"plain Bleve, public filter", plainIx.search}, run{"plain Bleve, no filter", plainIx.searchAll})
	}
	runs = append(runs,
		run{"ours, citizen, no cache", oursFn(cold, citizen)},
		run{"ours, member, no cache", oursFn(cold, member)},
		run{"ours, staff, no cache", oursFn(cold, staff)},
	)
	fmt.Printf("%-30s %5s %8s %9s %9s %9s %9s\n", "queries", "conc.", "queries", "p50 ms", "p99 ms", "q/s", "q/CPU s")
	results := make(map[string]map[int]levelFigures)
	measure := func(r run) {
		results[r.name] = make(map[int]levelFigures)
		for _, c := range []int{1, 8, 32} {
			f := runLevel(r.fn, queries, c, *duration)
			results[r.name][c] = f
			fmt.Printf("%-30s %5d %8d %9.2f %9.2f %9.0f %9.0f\n", r.name, c, f.n, ms(f.p50), ms(f.p99), f.qps, f.perCPU)
		}
	}
	for _, r := range runs {
		if r.name == "ours, citizen, no cache" && *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			check(err)
			check(pprof.StartCPUProfile(f))
			measure(r)
			pprof.StopCPUProfile()
			check(f.Close())
			continue
		}
		measure(r)
	}
	recallCold := recall(func(q string) ([]int64, error) { return oursTop(cold, citizen, now, q) })
	compoundsFound, compoundPairs := compoundRecall(cold, citizen, now, files, compounds)
	check(cold.Close())

	// Without the term cache as well: every query decodes the postings
	// of each of its terms, as the first query after a write to a segment
	// does.
	coldest, err := bleve.Open(oursDir, bleve.Options{CacheEntries: -1, TermCacheBytes: -1, Concurrency: *concurrency})
	check(err)
	measure(run{"ours, citizen, no caches", oursFn(coldest, citizen)})
	check(coldest.Close())

	warm, err := bleve.Open(oursDir, bleve.Options{Concurrency: *concurrency})
	check(err)
	defer warm.Close()
	measure(run{"ours, citizen, cache", oursFn(warm, citizen)})
	measure(run{"ours, member, cache", oursFn(warm, member)})
	fmt.Println()

	if plainIx != nil {
		p, o, w := results["plain Bleve, public filter"], results["ours, citizen, no cache"], results["ours, citizen, cache"]
		fmt.Printf("throughput ours/plain at concurrency 8: %.1f× without cache, %.1f× with cache (goal ≥ 5×); per CPU second %.1f× without cache\n", o[8].qps/p[8].qps, w[8].qps/p[8].qps, o[8].perCPU/p[8].perCPU)
		fmt.Printf("p50 at concurrency 1: ours %.2f ms without cache, %.2f ms with cache (goal ≤ 5 ms); plain %.2f ms\n", ms(o[1].p50), ms(w[1].p50), ms(p[1].p50))
		fmt.Printf("p99 at concurrency 32: ours %.2f ms without cache, %.2f ms with cache (goal ≤ 100 ms); plain %.2f ms\n", ms(o[32].p99), ms(w[32].p99), ms(p[32].p99))
		d := results["plain as documented, public"]
		fmt.Printf("against plain Bleve as documented (segments as its batches leave them, no force merge): throughput at concurrency 8 %.1f× without cache (%.1f× per CPU second), p50 at c1 plain %.2f ms, p99 at c32 plain %.2f ms\n",
			o[8].qps/d[8].qps, o[8].perCPU/d[8].perCPU, ms(d[1].p50), ms(d[32].p99))
		a, s := results["plain Bleve, no filter"], results["ours, staff, no cache"]
		fmt.Printf("everything visible (plain without filter, ours as staff, no cache) at concurrency 8: %.0f vs %.0f q/s (%.1f×)\n\n", s[8].qps, a[8].qps, s[8].qps/a[8].qps)
	}

	fmt.Printf("recall@10 on %d judged queries (citizen): ours %.3f", len(searchtest.Relevance), recallCold)
	if plainIx != nil {
		fmt.Printf(", plain Bleve %.3f", recall(plainIx.top))
	}
	fmt.Println()
	fmt.Printf("compound recall on %d judged compounds (%d query–text pairs, %s; citizen): %.3f (goal ≥ 0.95)\n",
		len(compounds), compoundPairs, compoundsFile, compoundsFound)

	// Suggestions, for the record.
	var sugg []time.Duration
	for _, q := range queries {
		for n := 3; n <= len([]rune(q)) && n <= 8; n++ {
			start := time.Now()
			_, err := warm.Suggest(context.Background(), search.SuggestQuery{Prefix: string([]rune(q)[:n]), Viewer: member, Now: now})
			check(err)
			sugg = append(sugg, time.Since(start))
		}
	}
	slices.Sort(sugg)
	fmt.Printf("suggestions (member, prefixes of 3–8 letters of every query, first asked): %d, p50 %.2f ms, p99 %.2f ms\n",
		len(sugg), ms(sugg[len(sugg)/2]), ms(sugg[len(sugg)*99/100]))
}

// access is the access of replica r: replica 0 is public, the others are
// for members of a committee, public under embargo, for members with an
// excluded person, or for staff only.
func access(r int, now time.Time) search.Access {
	org := search.Org(int64(1 + r%5))
	switch {
	case r == 0:
		return search.Access{Principals: []string{search.Public}}
	case r%4 == 1:
		return search.Access{Principals: []string{org}}
	case r%4 == 2:
		return search.Access{Principals: []string{search.Public}, NotBefore: now.Add(30 * 24 * time.Hour)}
	case r%4 == 3:
		return search.Access{Principals: []string{org}, Denied: []string{search.Person(1)}}
	}
	return search.Access{}
}

type indexFigures struct {
	took, cpu time.Duration
	size      int64
}

// cpu returns the CPU time the process has used: indexing is measured in
// it too, because other work on the machine slows the wall clock.
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func indexOurs(dir string, recs []search.Record, batch int) indexFigures {
	start, c0 := time.Now(), cpu()
	x, err := bleve.Create(dir, bleve.Options{})
	check(err)
	for _, r := range recs {
		if r.Access.NotBefore.IsZero() && slices.Contains(r.Access.Principals, search.Public) {
			x.Learn(r.Text)
		}
	}
	// An Index call replaces a document's pages: a document's records
	// must not be split between two calls.
	for i := 0; i < len(recs); {
		j := min(i+batch, len(recs))
		for j < len(recs) && recs[j].Document == recs[j-1].Document {
			j++
		}
		check(x.Index(context.Background(), recs[i:j]))
		i = j
	}
	check(x.Compact(context.Background()))
	check(x.Close())
	took := time.Since(start)
	return indexFigures{took: took, cpu: cpu() - c0, size: dirSize(dir)}
}

// plain is the plain Bleve index.
type plain struct {
	idx blevesearch.Index
}

type plainDoc struct {
	Doc       int64  `json:"doc"`
	Page      int    `json:"page"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	Committee string `json:"committee"`
	Public    bool   `json:"public"`
}

// indexPlain builds the plain index twice over: as Bleve's documentation
// leaves it (batches indexed, segments as the merger left them at Close;
// a copy of that directory is kept) and force-merged into one segment, as
// ours is after a rebuild.
func indexPlain(dir string, recs []search.Record, batch int) (merged, documented *plain, mergedFig, documentedFig indexFigures) {
	m := blevesearch.NewIndexMapping()
	m.DefaultAnalyzer = "de"
	dm := blevesearch.NewDocumentMapping()
	text := blevesearch.NewTextFieldMapping()
	text.Analyzer = "de"
	text.Store = true
	text.IncludeTermVectors = true
	dm.AddFieldMappingsAt("text", text)
	title := blevesearch.NewTextFieldMapping()
	title.Analyzer = "de"
	dm.AddFieldMappingsAt("title", title)
	kw := blevesearch.NewKeywordFieldMapping()
	dm.AddFieldMappingsAt("committee", kw)
	dm.AddFieldMappingsAt("public", blevesearch.NewBooleanFieldMapping())
	num := blevesearch.NewNumericFieldMapping()
	num.Store = true
	dm.AddFieldMappingsAt("doc", num)
	dm.AddFieldMappingsAt("page", num)
	m.DefaultMapping = dm

	start, c0 := time.Now(), cpu()
	idx, err := blevesearch.New(dir, m)
	check(err)
	for i := 0; i < len(recs); i += batch {
		b := idx.NewBatch()
		for _, r := range recs[i:min(i+batch, len(recs))] {
			pub := slices.Contains(r.Access.Principals, search.Public) && r.Access.NotBefore.IsZero()
			check(b.Index(search.DocID(r.Document, r.Page), plainDoc{
				Doc: r.Document, Page: r.Page, Title: r.Title, Text: r.Text, Committee: r.Committee, Public: pub,
			}))
		}
		check(idx.Batch(b))
	}
	check(idx.Close())
	docTook, docUsed := time.Since(start), cpu()-c0
	docDir := dir + "-as-documented"
	check(os.CopyFS(docDir, os.DirFS(dir)))
	pause, pauseCPU := time.Since(start)-docTook, cpu()-c0-docUsed // the copy is not plain's work
	idx, err = blevesearch.Open(dir)
	check(err)
	adv, err := idx.Advanced()
	check(err)
	check(adv.(*scorch.Scorch).ForceMerge(context.Background(), &mergeplan.SingleSegmentMergePlanOptions))
	check(idx.Close())
	took, used := time.Since(start)-pause, cpu()-c0-pauseCPU
	merged = &plain{idx: must(blevesearch.Open(dir))}
	documented = &plain{idx: must(blevesearch.Open(docDir))}
	return merged, documented, indexFigures{took: took, cpu: used, size: dirSize(dir)},
		indexFigures{took: docTook, cpu: docUsed, size: dirSize(docDir)}
}

func (p *plain) request(q string) *blevesearch.SearchRequest {
	return p.requestFiltered(q, true)
}

// requestFiltered returns the plain request, with the public-flag filter
// or without (everything visible, as for staff).
func (p *plain) requestFiltered(q string, public bool) *blevesearch.SearchRequest {
	mq := blevesearch.NewMatchQuery(q)
	mq.SetField("text")
	var root query.Query = mq
	if public {
		pub := blevesearch.NewBoolFieldQuery(true)
		pub.SetField("public")
		root = blevesearch.NewConjunctionQuery(mq, pub)
	}
	req := blevesearch.NewSearchRequestOptions(root, 10, 0, false)
	req.Highlight = blevesearch.NewHighlightWithStyle("html")
	req.Highlight.AddField("text")
	req.Fields = []string{"doc", "page"}
	req.AddFacet("committee", blevesearch.NewFacetRequest("committee", 10))
	return req
}

func (p *plain) search(q string) error {
	_, err := p.idx.Search(p.request(q))
	return err
}

func (p *plain) searchAll(q string) error {
	_, err := p.idx.Search(p.requestFiltered(q, false))
	return err
}

func (p *plain) top(q string) ([]int64, error) {
	res, err := p.idx.Search(p.request(q))
	if err != nil {
		return nil, err
	}
	var docs []int64
	for _, h := range res.Hits {
		if d, ok := h.Fields["doc"].(float64); ok && !slices.Contains(docs, int64(d)) {
			docs = append(docs, int64(d))
		}
	}
	return docs, nil
}

func oursTop(x *bleve.Index, v search.Viewer, now time.Time, q string) ([]int64, error) {
	r, err := x.Search(context.Background(), search.Query{Text: q, Viewer: v, Now: now, Limit: 10})
	if err != nil {
		return nil, err
	}
	var docs []int64
	for _, h := range r.Hits {
		docs = append(docs, h.Document)
	}
	return docs, nil
}

// recall returns the share of judged files found among the first ten
// documents (file numbers, replica 0).
func recall(top func(q string) ([]int64, error)) float64 {
	found, wanted := 0, 0
	for _, j := range searchtest.Relevance {
		docs, err := top(j.Query)
		check(err)
		for _, w := range j.Want {
			wanted++
			if slices.Contains(docs, w) {
				found++
			}
		}
	}
	return float64(found) / float64(wanted)
}

type levelFigures struct {
	n        int
	p50, p99 time.Duration
	qps      float64
	// perCPU is queries per CPU second of the process: the machine is
	// shared, and other work slows the wall clock.
	perCPU float64
}

// runLevel runs fn over queries with c workers for d and returns latency
// percentiles and throughput.
func runLevel(fn func(string) error, queries []string, c int, d time.Duration) levelFigures {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(d)
	start, c0 := time.Now(), cpu()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				q := queries[int(next.Add(1)-1)%len(queries)]
				t := time.Now()
				check(fn(q))
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took, used := time.Since(start), cpu()-c0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	return levelFigures{n: len(lat), p50: pct(0.5), p99: pct(0.99), qps: float64(len(lat)) / took.Seconds(), perCPU: float64(len(lat)) / used.Seconds()}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func must[T any](v T, err error) T {
	check(err)
	return v
}
