// Command searchcpu measures the CPU the search index (search/bleve)
// spends per query on a copy of a served data directory's index: it opens
// DIR/search with the result cache off and asks bench/munich's 300 queries
// (one or two common words) as an anonymous citizen, rounds times, and
// prints the process CPU (getrusage) per query of each round and their
// median. With -sum it prints instead a hash of the answers (JSON of the
// results, as citizen and as the member -member names), to check that a
// change answers the same; with -cpuprofile it writes a CPU profile of the
// rounds.
//
//	go run ./bench/searchcpu -data DIR [-rounds 5] [-sum] [-member 'public,member,person:1'] [-cpuprofile FILE] [-memprofile FILE]
//
// The index is opened read-write, as the server does: use a copy.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ratsmappe/ratsmappe/bench/internal/queries"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	data := flag.String("data", "", "data directory whose search/ index is asked (a copy)")
	rounds := flag.Int("rounds", 5, "rounds of the 300 queries")
	sum := flag.Bool("sum", false, "print a hash of the answers instead of timing")
	member := flag.String("member", "public,member,person:1", "principals of the member viewer for -sum")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the rounds to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile (every allocation of the rounds) to this file")
	flag.Parse()
	x, err := bleve.Open(filepath.Join(*data, "search"), bleve.Options{CacheEntries: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	now := time.Now()
	citizen := search.Viewer{Principals: []string{search.Public}}
	qs := queries.All()
	ask := func(text string, v search.Viewer, f search.Filter, order search.Order, offset, limit int) *search.Result {
		r, err := x.Search(ctx, search.Query{Text: text, Viewer: v, Now: now, Filter: f, Order: order, Offset: offset, Limit: limit})
		if err != nil {
			log.Fatalf("%q: %v", text, err)
		}
		return r
	}
	if *sum {
		h := sha256.New()
		viewers := []search.Viewer{citizen, {Principals: strings.Split(*member, ",")}}
		extra := []string{"Haushalt", "Haushalt 2025/0123", "\"Sanierung der Grundschule\"", "Grundshcule", "Kosten", "Bebauungsplan", "der"}
		for _, v := range viewers {
			for _, q := range append(slices.Clone(qs), extra...) {
				json.NewEncoder(h).Encode(ask(q, v, search.Filter{}, "", 0, 0))
			}
			for _, q := range extra {
				json.NewEncoder(h).Encode(ask(q, v, search.Filter{}, search.OrderNewest, 0, 0))
				json.NewEncoder(h).Encode(ask(q, v, search.Filter{}, "", 990, 100))
			}
		}
		fmt.Printf("%x\n", h.Sum(nil))
		return
	}
	for _, q := range qs { // warm the caches
		ask(q, citizen, search.Filter{}, "", 0, 0)
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 1
		defer func() {
			f, err := os.Create(*memprofile)
			if err != nil {
				log.Fatal(err)
			}
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}()
	}
	var per []float64
	var ms0, ms1 runtime.MemStats
	for range *rounds {
		runtime.ReadMemStats(&ms0)
		c0 := cpu()
		for _, q := range qs {
			ask(q, citizen, search.Filter{}, "", 0, 0)
		}
		ms := float64(cpu()-c0) / float64(time.Millisecond) / float64(len(qs))
		runtime.ReadMemStats(&ms1)
		per = append(per, ms)
		// The garbage a query makes is what the server's collector has
		// to keep up with (issue 15, search p99 at 32 clients).
		fmt.Printf("round: %.3f ms CPU a query, %.1f kB and %d allocations\n", ms,
			float64(ms1.TotalAlloc-ms0.TotalAlloc)/1e3/float64(len(qs)), (ms1.Mallocs-ms0.Mallocs)/uint64(len(qs)))
	}
	slices.Sort(per)
	fmt.Printf("median of %d rounds: %.3f ms CPU a query [%.3f-%.3f]\n", len(per), per[len(per)/2], per[0], per[len(per)-1])
}
