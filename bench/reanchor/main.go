// Command reanchor measures how long the server takes to carry 1,000
// annotations over to a new version of a 300-page document, and how many
// it places, beside a naive anchor: looking each quote up with
// strings.Index in the new text (what a system without approximate
// matching does).
//
// The document is the Karlsruhe corpus texts concatenated and cut into
// pages of about 3,000 characters; the new version has realistic edits
// (sentences inserted, deleted, reworded, figures changed, a few
// paragraphs moved, lines broken differently), so text shifts across page
// breaks. Annotations quote random spans of 3 to 30 words with 32
// characters of context, as the reader records them.
//
// It measures the whole path: annotations stored in SQLite, the new
// version committed by documents.Service, then annotate.Reanchorer run
// until every annotation is on the new version.
//
//	go run ./bench/reanchor [-annotations 1000] [-pages 300]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/schema"
)

const pageChars = 3000

func main() {
	corpus := flag.String("corpus", "../shared/corpus/karlsruhe", "the Karlsruhe corpus")
	nAnn := flag.Int("annotations", 1000, "annotations to carry over")
	nPages := flag.Int("pages", 300, "pages of the document")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	rng := rand.New(rand.NewPCG(*seed, 42))
	ctx := context.Background()

	sentences, spare := readCorpus(filepath.Join(*corpus, "text"), *nPages*pageChars)
	oldText := strings.Join(sentences, " ")
	newText := strings.Join(edit(rng, sentences, spare), " ")
	oldPages, newPages := paginate(oldText, *nPages), paginate(newText, 1<<30)
	fmt.Printf("document: %d pages (%d characters) → new version %d pages (%d characters)\n",
		len(oldPages), len([]rune(oldText)), len(newPages), len([]rune(newText)))

	dir, err := os.MkdirTemp("", "bench-reanchor-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "b.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	must(schema.Migrate(ctx, db))
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	must(err)
	svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: textIngester{dir}})
	upload := func(id int64, pages []string) int64 {
		p := filepath.Join(dir, "upload.txt")
		must(os.WriteFile(p, []byte(strings.Join(pages, "\f")), 0o644))
		u := documents.Upload{Path: p, FileName: "vorlage.pdf", Uploader: "bench"}
		if id == 0 {
			a, err := svc.AddDocument(ctx, u)
			must(err)
			return a.Document.ID
		}
		_, err := svc.AddVersion(ctx, id, u)
		must(err)
		return id
	}
	doc := upload(0, oldPages)

	store := annotate.NewStore(db, nil)
	quotes := make([]annotate.Quote, *nAnn)
	for i := range quotes {
		q := pick(rng, oldPages)
		quotes[i] = q
		a := map[string]any{
			"@context": annotate.Context, "type": "Annotation", "motivation": "highlighting",
			"target": map[string]any{
				"source": annotate.Source(doc, 1),
				"selector": []any{
					map[string]any{"type": "FragmentSelector", "value": fmt.Sprintf("page=%d", q.Page)},
					map[string]any{"type": "TextQuoteSelector", "exact": q.Exact, "prefix": q.Prefix, "suffix": q.Suffix},
					map[string]any{"type": "TextPositionSelector", "start": q.Start, "end": q.Start + len([]rune(q.Exact))},
				},
			},
		}
		b, _ := json.Marshal(a)
		an, err := annotate.Parse(b)
		must(err)
		_, _, err = store.Put(ctx, 1, fmt.Sprintf("00000000-0000-4000-8000-%012d", i), an)
		must(err)
	}
	upload(doc, newPages)

	re := annotate.NewReanchorer(store, documents.NewStore(db), nil)
	start := time.Now()
	n, err := re.Document(ctx, doc)
	must(err)
	ours := time.Since(start)

	list, err := store.FindByDocument(ctx, annotate.Reader{AccountID: 1}, doc)
	must(err)
	states := map[string]int{}
	unchangedFound := 0
	for i, a := range list {
		states[a.Anchoring.State]++
		if q, ok := a.Quote(); ok && a.Anchoring.State == annotate.Anchored && q.Exact == quotes[i].Exact {
			unchangedFound++
		}
	}

	// The naive anchor: the exact quote in the new text, first
	// occurrence, page by page.
	start = time.Now()
	naive := 0
	for _, q := range quotes {
		for _, p := range newPages {
			if strings.Index(p, q.Exact) >= 0 {
				naive++
				break
			}
		}
	}
	naiveTime := time.Since(start)

	// In memory only (no SQLite): the algorithm's own share.
	start = time.Now()
	text := annotate.NewText(newPages)
	for _, q := range quotes {
		text.Anchor(q)
	}
	algo := time.Since(start)

	fmt.Printf("\n%-44s %10s %10s %10s %10s\n", "", "time", "anchored", "review", "orphaned")
	fmt.Printf("%-44s %10s %10d %10d %10d\n", fmt.Sprintf("ours (%d re-anchored, SQLite, end to end)", n),
		ours.Round(time.Millisecond), states[annotate.Anchored], states[annotate.Review], states[annotate.Orphaned])
	fmt.Printf("%-44s %10s\n", "ours, matching only (in memory)", algo.Round(time.Millisecond))
	fmt.Printf("%-44s %10s %10d %10s %10d\n", "naive strings.Index (exact quote, first hit)",
		naiveTime.Round(time.Millisecond), naive, "-", *nAnn-naive)
	fmt.Printf("\nours placed %d of the %d quotes that are unchanged; the naive anchor loses every quote that was edited, reflowed or re-spaced.\n",
		unchangedFound, naive)
	fmt.Printf("goal: ≤ 2 s for 1,000 annotations on 300 pages\n")
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// readCorpus returns the corpus's sentences, in file order, until they
// make up chars characters, and the next ones as material for insertions.
func readCorpus(dir string, chars int) (sentences, spare []string) {
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".txt") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		log.Fatalf("no texts in %s", dir)
	}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(err)
		for _, s := range strings.SplitAfter(strings.Join(strings.Fields(string(b)), " "), ". ") {
			s = strings.TrimSpace(s)
			if len([]rune(s)) < 20 {
				continue
			}
			if total < chars {
				sentences = append(sentences, s)
				total += len([]rune(s)) + 1
			} else if len(spare) < 5000 {
				spare = append(spare, s)
			} else {
				return sentences, spare
			}
		}
	}
	return sentences, spare
}

// edit makes the new version: 3 % of sentences get a new sentence after
// them, 2 % are deleted, 5 % reworded (a word replaced or a figure
// changed), 1 % moved elsewhere, and 10 % end with a line break.
func edit(rng *rand.Rand, sentences, spare []string) []string {
	var out, moved []string
	for _, s := range sentences {
		r := rng.Float64()
		switch {
		case r < 0.02:
			continue
		case r < 0.07:
			s = reword(rng, s)
		case r < 0.08:
			moved = append(moved, s)
			continue
		}
		if rng.Float64() < 0.10 {
			s += "\n"
		}
		out = append(out, s)
		if rng.Float64() < 0.03 {
			out = append(out, spare[rng.IntN(len(spare))])
		}
	}
	for _, s := range moved {
		i := rng.IntN(len(out) + 1)
		out = append(out[:i], append([]string{s}, out[i:]...)...)
	}
	return out
}

func reword(rng *rand.Rand, s string) string {
	w := strings.Fields(s)
	i := rng.IntN(len(w))
	if strings.ContainsAny(w[i], "0123456789") {
		w[i] = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '0' + (r-'0'+1)%10
			}
			return r
		}, w[i])
	} else {
		w[i] = []string{"geändert", "ergänzt", "neu", "gestrichen", "vorläufig"}[rng.IntN(5)]
	}
	return strings.Join(w, " ")
}

// paginate cuts text into pages of about pageChars characters at spaces,
// at most max pages (the rest is dropped).
func paginate(text string, max int) []string {
	r := []rune(text)
	var pages []string
	for len(r) > 0 && len(pages) < max {
		n := min(pageChars, len(r))
		if n < len(r) {
			for n > pageChars-200 && r[n] != ' ' && r[n] != '\n' {
				n--
			}
		}
		pages = append(pages, strings.TrimSpace(string(r[:n])))
		r = r[n:]
	}
	return pages
}

// pick returns a random quote of 3 to 30 words with 32 characters of
// context, as the reader records a selection.
func pick(rng *rand.Rand, pages []string) annotate.Quote {
	for {
		pi := rng.IntN(len(pages))
		page := []rune(pages[pi])
		var starts []int
		for i := 1; i < len(page); i++ {
			if page[i-1] == ' ' && page[i] != ' ' {
				starts = append(starts, i)
			}
		}
		if len(starts) < 40 {
			continue
		}
		k := rng.IntN(len(starts) - 31)
		words := 3 + rng.IntN(28)
		s, e := starts[k], starts[k+words]-1
		return annotate.Quote{
			Exact:  string(page[s:e]),
			Prefix: string(page[max(0, s-32):s]),
			Suffix: string(page[e:min(len(page), e+32)]),
			Page:   pi + 1, Start: s, PageLen: len(page),
		}
	}
}

// textIngester stands in for the PDF workers (measured in bench/ingest):
// an upload is text with pages separated by form feeds.
type textIngester struct{ dir string }

func (i textIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(i.dir, "r-*")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	f.Write(b)
	var pages []documents.Page
	for n, t := range strings.Split(string(b), "\f") {
		pages = append(pages, documents.Page{Number: n + 1, Width: 595, Height: 842, Text: t})
	}
	return &documents.Ingested{RenditionPath: f.Name(), Pages: pages}, nil
}
