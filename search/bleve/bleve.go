// Package bleve is the embedded search backend: a search.Index kept by
// Bleve (scorch) in a directory on disk, with German analysis from package
// search/german.
//
// Records are indexed with fields built here rather than through a Bleve
// mapping, so that every text is analysed once by the German analyzer and
// compounds are split by a vocabulary the index learns from the texts it
// indexes (kept beside the index as vocabulary.txt). Queries are planned
// here too (query.go): each word of a query becomes a disjunction of its
// stem in the text, its stem in the title, the conjunction of its
// compound parts and, for words of five letters or more, fuzzy matches;
// words are combined with AND. Queries run on Bleve's segments directly,
// as operations on roaring bitmaps of postings (engine.go): the viewer's
// visible pages are one more set in the intersection, before anything is
// scored, grouped by document or counted in a facet, so that nothing a
// viewer may not see is ever counted. Snippets are computed only for the
// hits returned, from each page's stored analysis (snippet.go).
package bleve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// schema names the layout of the fields and the analysis that fills them
// (4: compounds split by the German word list); an index written with
// another is reported as unavailable, to be rebuilt.
const schema = "ratsmappe-search-4"

// Files and keys inside the directory.
const (
	indexDir       = "index"
	vocabularyFile = "vocabulary.txt"
	// closedFile, inside the index directory, holds the number of
	// records the index had when it was last closed cleanly (see
	// checkClosedCount).
	closedFile = "ratsmappe-closed-count"
	schemaKey  = "ratsmappe.schema"
)

// Options tune an index. The zero Options are the defaults.
type Options struct {
	// CacheEntries bounds the cache of query results, which every write
	// empties. 0 means 4096; negative turns the cache off.
	CacheEntries int
	// BatchSize is how many records go into one Bleve batch. 0 means 2000.
	BatchSize int
	// TermCacheBytes bounds the cache of terms' frequencies by segment
	// (see tfCache). 0 means 128 MiB; negative turns it off.
	TermCacheBytes int
	// Concurrency bounds how many searches and suggestions are computed
	// at once (answers from the cache are not bounded). 0 means
	// GOMAXPROCS; negative means no bound.
	Concurrency int
}

// Index is a search.Index on disk. It is safe for concurrent use.
type Index struct {
	dir  string
	opts Options

	vocab    *german.Vocabulary
	analyzer *german.Analyzer

	// mu guards idx, which Reset replaces; writeMu serializes writes, so
	// that replacing a document's records is not interleaved with another
	// write of the same document.
	mu      sync.RWMutex
	writeMu sync.Mutex
	idx     blevesearch.Index
	closed  bool

	unpersisted atomic.Int64 // batches not yet on disk
	// bulk is set while idx is open with the merge plan of a bulk load
	// (see kvConfig), until Compact; guarded by mu.
	bulk bool
	// bulkDocs are the documents written since a bulk load began (nil
	// otherwise); guarded by writeMu. A document not among them has no
	// pages in the index, so a write need not look its old pages up:
	// that lookup walks every segment's dictionary, and a bulk load keeps
	// up to 64 segments a tier, so that it grew with the index and took a
	// sixth of a rebuild's CPU by 64,000 of ten years' 320,000 documents.
	bulkDocs map[int64]bool

	generation atomic.Uint64 // counts writes, for caches
	cache      *resultCache
	views      *viewCache
	columns    *columnCache
	slots      slotPool
	// exhaustive makes searches group every matching document (tests
	// compare it with the default, which keeps only the best).
	exhaustive bool
	tfs        *tfCache
	fuzzyMu    sync.Mutex
	fuzzyCache map[string][]string // see fuzzy

	// running bounds the queries computed at once (Options.Concurrency);
	// nil means unbounded.
	running chan struct{}
}

var _ search.Index = (*Index)(nil)

// Open opens the index in dir. It returns an error with code
// ratsmappe.EUNAVAILABLE if there is no index in dir or it cannot be read
// (damaged, or written by another version of this package); errors.Is(err,
// fs.ErrNotExist) tells the first case. Either way the caller can Create a
// new index and rebuild it.
func Open(dir string, opts Options) (*Index, error) {
	path := filepath.Join(dir, indexDir)
	if _, err := os.Stat(filepath.Join(path, "index_meta.json")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, search.Unavailable(fmt.Errorf("open search index %s: %w", path, fs.ErrNotExist))
		}
		return nil, search.Unavailable(fmt.Errorf("open search index %s: %w", path, err))
	}
	idx, err := openBleve(path)
	if err != nil {
		return nil, search.Unavailable(fmt.Errorf("open search index %s: %w", path, err))
	}
	x := newIndex(dir, opts, idx)
	if err := x.check(); err != nil {
		idx.Close()
		return nil, search.Unavailable(fmt.Errorf("open search index %s: %w", path, err))
	}
	if err := x.checkClosedCount(); err != nil {
		idx.Close()
		return nil, search.Unavailable(fmt.Errorf("open search index %s: %w", path, err))
	}
	if err := x.loadVocabulary(); err != nil {
		idx.Close()
		return nil, err
	}
	return x, nil
}

// Create makes a new, empty index in dir, removing any index there, and
// opens it. The vocabulary learnt so far is kept.
func Create(dir string, opts Options) (*Index, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create search index: %w", err)
	}
	idx, err := createBleve(filepath.Join(dir, indexDir))
	if err != nil {
		return nil, err
	}
	x := newIndex(dir, opts, idx)
	x.bulk, x.bulkDocs = true, map[int64]bool{}
	if err := x.markSchema(); err != nil {
		idx.Close()
		return nil, err
	}
	if err := x.loadVocabulary(); err != nil {
		idx.Close()
		return nil, err
	}
	return x, nil
}

// OpenOrCreate opens the index in dir, or creates an empty one if there
// is none yet. A damaged index is reported (EUNAVAILABLE), not replaced.
func OpenOrCreate(dir string, opts Options) (*Index, error) {
	x, err := Open(dir, opts)
	if errors.Is(err, fs.ErrNotExist) {
		return Create(dir, opts)
	}
	return x, err
}

func newIndex(dir string, opts Options, idx blevesearch.Index) *Index {
	if opts.CacheEntries == 0 {
		opts.CacheEntries = 4096
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2000
	}
	if opts.TermCacheBytes == 0 {
		opts.TermCacheBytes = 128 << 20
	}
	var running chan struct{}
	switch {
	case opts.Concurrency == 0:
		running = make(chan struct{}, runtime.GOMAXPROCS(0))
	case opts.Concurrency > 0:
		running = make(chan struct{}, opts.Concurrency)
	}
	v := german.NewVocabulary()
	return &Index{
		running:    running,
		dir:        dir,
		opts:       opts,
		vocab:      v,
		analyzer:   german.NewAnalyzer(v),
		idx:        idx,
		cache:      newResultCache(opts.CacheEntries),
		views:      newViewCache(),
		columns:    newColumnCache(),
		tfs:        newTFCache(opts.TermCacheBytes),
		fuzzyCache: make(map[string][]string),
	}
}

// kvConfig is the scorch configuration. A batch returns before it is on
// disk (unsafe_batch), so that the next batch is analysed while the last
// one is written; Close waits until all are. The index is derived data: a
// crash is answered by a rebuild, not by a slower write path.
//
// A new index is filled in bulk (Create, Reset: a rebuild) and then
// compacted into one segment; merging the batches' segments into ever
// larger ones meanwhile only writes every record several times before
// the final merge writes it again. So a new index is opened with a merge
// plan that merges far less often (bulk), and Compact reopens it with the
// plan of an index in use (livePlan) once it has merged everything into
// one segment.
func kvConfig(bulk bool) map[string]interface{} {
	c := map[string]interface{}{
		"unsafe_batch": true,
	}
	if bulk {
		// Merges are put off, not stopped: a rebuild that indexes in
		// small batches must not keep thousands of segment files open.
		c["scorchMergePlanOptions"] = map[string]interface{}{"MaxSegmentsPerTier": 64}
	} else {
		c["scorchMergePlanOptions"] = map[string]interface{}{
			"FloorSegmentSize":     livePlan.FloorSegmentSize,
			"MaxSegmentsPerTier":   livePlan.MaxSegmentsPerTier,
			"SegmentsPerMergeTask": livePlan.SegmentsPerMergeTask,
		}
	}
	return c
}

// livePlan is the merge plan of an index in use, which takes one small
// segment per upload. Bleve's default counts every segment below 2000
// records (pages, here) as 2000 and allows one segment per 2000 records:
// an index under 2000 pages was merged whole after every upload, and one
// under 20,000 nearly so — a new installation's index rewrote itself
// beside each next upload (3.0 s of the server's 10.3 s CPU over
// bench/ingest's 117 uploads). A floor of 100 pages lets small segments
// be small, and six of a size per tier, merged six at a time, keep the
// number of segments a query walks where the default keeps it for a
// large index (19 against 18 allowed at 166,000 pages; TestMergePlan).
var livePlan = func() mergeplan.MergePlanOptions {
	o := mergeplan.DefaultMergePlanOptions
	o.FloorSegmentSize = 100
	o.MaxSegmentsPerTier = 6
	o.SegmentsPerMergeTask = 6
	return o
}()

func createBleve(path string) (blevesearch.Index, error) {
	if err := os.RemoveAll(path); err != nil {
		return nil, fmt.Errorf("create search index: %w", err)
	}
	m := mapping.NewIndexMapping()
	m.DefaultMapping.Dynamic = false
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	idx, err := blevesearch.NewUsing(path, m, "scorch", "scorch", kvConfig(true))
	if err != nil {
		return nil, fmt.Errorf("create search index: %w", err)
	}
	return idx, nil
}

// markSchema records the schema in a new index.
func (x *Index) markSchema() error {
	b := x.idx.NewBatch()
	b.SetInternal([]byte(schemaKey), []byte(schema))
	if err := x.apply(b); err != nil {
		return fmt.Errorf("create search index: %w", err)
	}
	return nil
}

// apply applies a batch. Batches are not synced one by one (see
// kvConfig); apply counts them until scorch reports them persisted, and
// Close waits for that.
func (x *Index) apply(b *blevesearch.Batch) error {
	x.unpersisted.Add(1)
	b.SetPersistedCallback(func(error) { x.unpersisted.Add(-1) })
	if err := x.idx.Batch(b); err != nil {
		// Whether the callback will still be called is unknown; Close
		// waits for it only so long.
		return err
	}
	return nil
}

// persistWait bounds how long Close waits for batches to reach the disk.
const persistWait = time.Minute

func (x *Index) waitPersisted() {
	deadline := time.Now().Add(persistWait)
	for x.unpersisted.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// Flush returns once every write that returned before it is on disk, so
// that a caller may forget what it wrote (the indexer deletes its outbox
// rows only then): Index and Remove return when a write is visible, not
// when it is durable.
func (x *Index) Flush(ctx context.Context) error {
	for x.unpersisted.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

func openBleve(path string) (idx blevesearch.Index, err error) {
	// A damaged index can make Bleve panic rather than fail.
	defer func() {
		if r := recover(); r != nil {
			idx, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return blevesearch.OpenUsing(path, kvConfig(false))
}

// check verifies that the index has this package's schema and that its
// segments can be read.
func (x *Index) check() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	v, err := x.idx.GetInternal([]byte(schemaKey))
	if err != nil {
		return err
	}
	if string(v) != schema {
		return fmt.Errorf("schema %q, want %q", v, schema)
	}
	if _, err := x.idx.DocCount(); err != nil {
		return err
	}
	r, err := x.reader()
	if err != nil {
		return err
	}
	defer r.Close()
	// Reading every document ID touches every segment's dictionary.
	d, err := r.FieldDict("_id")
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		e, err := d.Next()
		if err != nil {
			return err
		}
		if e == nil {
			return nil
		}
	}
}

// checkClosedCount compares the records the index holds with the number
// its last clean Close wrote down, and forgets that number (writes that
// follow change it; a crash then leaves none to compare with). Bleve,
// finding its newest snapshot unreadable, silently opens an older one —
// typically the nearly empty one from the index's first batch. The
// indexer deleted its outbox rows for everything written since, so that
// older state would be served for good, records of documents whose
// visibility changed since included. A difference is damage: the caller
// rebuilds.
func (x *Index) checkClosedCount() error {
	p := filepath.Join(x.dir, indexDir, closedFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	want, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", closedFile, err)
	}
	got, err := x.idx.DocCount()
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("holds %d records, %d when it was last closed: an older state was loaded", got, want)
	}
	return os.Remove(p)
}

// writeClosedCount writes down, at a clean Close, how many records the
// index holds (see checkClosedCount).
func (x *Index) writeClosedCount() error {
	n, err := x.idx.DocCount()
	if err != nil {
		return err
	}
	p := filepath.Join(x.dir, indexDir, closedFile)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(n, 10)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func (x *Index) loadVocabulary() error {
	f, err := os.Open(filepath.Join(x.dir, vocabularyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open search vocabulary: %w", err)
	}
	defer f.Close()
	if _, err := x.vocab.ReadFrom(f); err != nil {
		// The vocabulary only improves splitting; a damaged one is
		// dropped, not fatal.
		x.vocab = german.NewVocabulary()
		x.analyzer = german.NewAnalyzer(x.vocab)
	}
	return nil
}

// saveVocabulary writes the vocabulary atomically.
func (x *Index) saveVocabulary() error {
	tmp, err := os.CreateTemp(x.dir, vocabularyFile+".*")
	if err != nil {
		return fmt.Errorf("save search vocabulary: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := x.vocab.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save search vocabulary: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save search vocabulary: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(x.dir, vocabularyFile)); err != nil {
		return fmt.Errorf("save search vocabulary: %w", err)
	}
	return nil
}

// Vocabulary returns the vocabulary the index splits compounds by.
func (x *Index) Vocabulary() *german.Vocabulary { return x.vocab }

// Learn adds the words of texts to the vocabulary without indexing them.
// A bulk load that learns all its texts first splits the compounds of its
// first records as well as those of its last; Index learns each batch
// before indexing it anyway. Only public texts may be learnt: the
// vocabulary decides how everybody's texts and queries are split.
func (x *Index) Learn(texts ...string) { x.vocab.Learn(texts...) }

// Close saves the vocabulary and closes the index.
func (x *Index) Close() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	verr := x.saveVocabulary()
	x.waitPersisted()
	// Without the count (a broken index, a full disk) only the check at
	// the next Open is lost.
	_ = x.writeClosedCount()
	if err := x.idx.Close(); err != nil {
		return fmt.Errorf("close search index: %w", err)
	}
	return verr
}

// Reset removes every record: the index directory is replaced by an empty
// index. The vocabulary is kept, so that a rebuild splits compounds well
// from its first record on.
func (x *Index) Reset(ctx context.Context) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return errClosed
	}
	x.waitPersisted()
	x.idx.Close()
	x.unpersisted.Store(0)
	idx, err := createBleve(filepath.Join(x.dir, indexDir))
	if err != nil {
		// Nothing to search until a Reset succeeds.
		x.idx = brokenIndex()
		return search.Unavailable(err)
	}
	x.idx = idx
	x.bulk, x.bulkDocs = true, map[int64]bool{}
	x.tfs.clear()
	x.written()
	if err := x.markSchema(); err != nil {
		return search.Unavailable(err)
	}
	return x.saveVocabulary()
}

// brokenIndex stands in for an index that could not be recreated.
func brokenIndex() blevesearch.Index {
	idx, _ := blevesearch.NewMemOnly(mapping.NewIndexMapping())
	idx.Close()
	return idx
}

var errClosed = ratsmappe.Errorf(ratsmappe.EUNAVAILABLE, "Die Suche ist geschlossen.")

// written is called after every write: cached results are stale.
func (x *Index) written() {
	x.generation.Add(1)
	x.cache.clear()
	x.views.clear()
	x.fuzzyMu.Lock()
	clear(x.fuzzyCache)
	x.fuzzyMu.Unlock()
}

// Index implements search.Index.
func (x *Index) Index(ctx context.Context, recs []search.Record) error {
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return err
		}
	}
	if len(recs) == 0 {
		return nil
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return errClosed
	}
	defer x.written()

	// Cut recs into batches at document boundaries: all records of a
	// document, and the removal of its old pages, go into one batch.
	byDoc := make(map[int64][]*search.Record)
	var order []int64
	for i := range recs {
		r := &recs[i]
		if _, ok := byDoc[r.Document]; !ok {
			order = append(order, r.Document)
		}
		byDoc[r.Document] = append(byDoc[r.Document], r)
	}
	var batches [][]int64
	var docs []int64
	n := 0
	for i, d := range order {
		docs = append(docs, d)
		n += len(byDoc[d])
		if n >= x.opts.BatchSize || i == len(order)-1 {
			batches = append(batches, docs)
			docs, n = nil, 0
		}
	}
	// In a bulk load, a document written for the first time has no old
	// pages to look up (see bulkDocs).
	var first map[int64]bool
	if x.bulkDocs != nil {
		first = make(map[int64]bool, len(order))
		for _, d := range order {
			if !x.bulkDocs[d] {
				first[d] = true
				x.bulkDocs[d] = true
			}
		}
	}
	// Two batches at a time: Bleve analyses a batch in parallel but
	// builds its segment on one goroutine, so the next batch is analysed
	// meanwhile. Batches hold distinct documents and may land in any
	// order.
	sem := make(chan struct{}, indexParallelism)
	errs := make(chan error, len(batches))
	var wg sync.WaitGroup
	for _, docs := range batches {
		if err := ctx.Err(); err != nil {
			errs <- err
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(docs []int64) {
			defer func() { <-sem; wg.Done() }()
			if err := x.indexBatch(docs, byDoc, first); err != nil {
				errs <- err
			}
		}(docs)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// indexParallelism is how many batches are indexed at once.
const indexParallelism = 2

// indexBatch writes the records of docs, replacing their pages in the
// index; a document in first is known to have none (see bulkDocs).
func (x *Index) indexBatch(docs []int64, byDoc map[int64][]*search.Record, first map[int64]bool) error {
	// The vocabulary learns from public records only: it decides how
	// every text and query is split, and must not carry words from where
	// a citizen may not look.
	var texts []string
	for _, d := range docs {
		for _, r := range byDoc[d] {
			if learnable(r) {
				texts = append(texts, r.Text, r.Title)
			}
		}
	}
	x.vocab.Learn(texts...)

	b := x.idx.NewBatch()
	for _, d := range docs {
		keep := make(map[string]bool)
		for _, r := range byDoc[d] {
			keep[search.DocID(r.Document, r.Page)] = true
			if err := b.IndexAdvanced(buildDocument(x.analyzer, r)); err != nil {
				return fmt.Errorf("index document %d: %w", d, err)
			}
		}
		if first[d] {
			continue
		}
		old, err := x.pageIDs(d)
		if err != nil {
			return err
		}
		for _, id := range old {
			if !keep[id] {
				b.Delete(id)
			}
		}
	}
	if err := x.apply(b); err != nil {
		return search.Unavailable(fmt.Errorf("index batch: %w", err))
	}
	return nil
}

// learnable reports whether the vocabulary may learn from r: it is public
// and not under embargo.
func learnable(r *search.Record) bool {
	return r.Access.NotBefore.IsZero() && len(r.Access.Denied) == 0 && slices.Contains(r.Access.Principals, search.Public)
}

// pageIDs returns the IDs of the indexed pages of document d.
func (x *Index) pageIDs(d int64) ([]string, error) {
	dict, err := x.idx.FieldDictPrefix("_id", []byte(strconv.FormatInt(d, 10)+"-"))
	if err != nil {
		return nil, search.Unavailable(fmt.Errorf("pages of document %d: %w", d, err))
	}
	defer dict.Close()
	var ids []string
	for {
		e, err := dict.Next()
		if err != nil {
			return nil, search.Unavailable(fmt.Errorf("pages of document %d: %w", d, err))
		}
		if e == nil {
			return ids, nil
		}
		ids = append(ids, e.Term)
	}
}

// Remove implements search.Index.
func (x *Index) Remove(ctx context.Context, documents ...int64) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return errClosed
	}
	defer x.written()
	b := x.idx.NewBatch()
	for _, d := range documents {
		if x.bulkDocs != nil && !x.bulkDocs[d] {
			continue // never written since the bulk load began: nothing to remove
		}
		ids, err := x.pageIDs(d)
		if err != nil {
			return err
		}
		for _, id := range ids {
			b.Delete(id)
		}
	}
	if b.Size() == 0 {
		return nil
	}
	if err := x.apply(b); err != nil {
		return search.Unavailable(fmt.Errorf("remove documents: %w", err))
	}
	return nil
}

// reader opens a reader on the current snapshot of the index. The caller
// holds x.mu.
func (x *Index) reader() (index.IndexReader, error) {
	adv, err := x.idx.Advanced()
	if err != nil {
		return nil, search.Unavailable(err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, search.Unavailable(err)
	}
	return r, nil
}

// acquire waits until a query may be computed: no more run at once than
// the machine has cores. A query is CPU-bound from start to end, so more
// at once only share the cores: every query then takes as long as all of
// them, and an expensive one many times its own time. Queued, each runs
// at full speed, the queue is served in order, and the tail latency under
// load is the queue's length, not the slowest query's time multiplied.
// The returned func releases; it is nil with err when ctx ends first.
func (x *Index) acquire(ctx context.Context) (release func(), err error) {
	if x.running == nil {
		return func() {}, nil
	}
	select {
	case x.running <- struct{}{}:
		return func() { <-x.running }, nil
	default:
	}
	select {
	case x.running <- struct{}{}:
		return func() { <-x.running }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stats describes an index for benchmarks and operators.
type Stats struct {
	Records uint64 // indexed pages
	Bytes   int64  // size of the index directory
	Words   int    // distinct words in the vocabulary
}

// Stats returns the index's size.
func (x *Index) Stats() (Stats, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n, err := x.idx.DocCount()
	if err != nil {
		return Stats{}, search.Unavailable(err)
	}
	var size int64
	filepath.WalkDir(filepath.Join(x.dir, indexDir), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	return Stats{Records: n, Bytes: size, Words: x.vocab.Len()}, nil
}

// Compact merges the index's segments into one, which makes queries
// faster after a bulk load. It blocks until done. After a bulk load
// (Create, Reset) it reopens the index with Bleve's default merging.
func (x *Index) Compact(ctx context.Context) error {
	if err := x.forceMerge(ctx); err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.bulk || x.closed {
		return nil
	}
	x.bulk, x.bulkDocs = false, nil
	x.waitPersisted()
	if err := x.idx.Close(); err != nil {
		x.idx = brokenIndex()
		return search.Unavailable(fmt.Errorf("compact search index: %w", err))
	}
	x.unpersisted.Store(0)
	idx, err := openBleve(filepath.Join(x.dir, indexDir))
	if err != nil {
		x.idx = brokenIndex()
		return search.Unavailable(fmt.Errorf("compact search index: %w", err))
	}
	x.idx = idx
	x.written()
	x.tfs.clear()
	x.columns = newColumnCache()
	return nil
}

func (x *Index) forceMerge(ctx context.Context) error {
	// Only segments on disk are merged: wait for the batches.
	if err := x.Flush(ctx); err != nil {
		return err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	adv, err := x.idx.Advanced()
	if err != nil {
		return search.Unavailable(err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	// One merge of all segments: Bleve's single-segment plan merges ten
	// at a time, and one round of it leaves a bulk load's fifty segments
	// as six.
	opts := mergeplan.SingleSegmentMergePlanOptions
	opts.SegmentsPerMergeTask = 1 << 16
	for round := 0; round < 3; round++ {
		if err := s.ForceMerge(ctx, &opts); err != nil {
			return fmt.Errorf("compact search index: %w", err)
		}
		n, err := segments(s)
		if err != nil {
			return search.Unavailable(err)
		}
		if n <= 1 {
			break
		}
	}
	x.written()
	return nil
}

// segments returns how many segments the index's current snapshot has.
func segments(s *scorch.Scorch) (int, error) {
	r, err := s.Reader()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return 0, nil
	}
	return len(snap.Segments()), nil
}
