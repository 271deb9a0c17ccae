package bleve

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Grouping pages by document and counting facets needs, for every
// matching page, its document, page number and facet values. Reading them
// from Bleve's doc values decompresses chunks on every query; columns keeps
// them decoded in memory instead, per segment, since segments never
// change. A new segment is decoded once, when a query first meets it.

// facetFields are the fields counted as facets, in Result.Facets order.
var facetFields = [3]string{fieldCommittee, fieldKind, fieldYear}

// columns are the decoded doc values of one segment, by local document
// number. Facet values are ordinals of the column cache's dictionary, 0
// for none.
type columns struct {
	rows []colRow
	// ords are the rows' ord again, packed: the grouping reads a
	// matching page's ord, and the rest of its row only for a document's
	// first page (or a tie), so at ten years (1.6 million matching pages)
	// reading 4 bytes a page instead of a 40-byte row is most of its
	// memory traffic saved.
	ords []int32
	// pages are the rows' page, packed, and infos the index of a row's
	// doc, date and facets in docs, where each distinct combination is
	// once (about one per document): a document's first matching page
	// reads them from a table a tenth of rows' size, in the order the
	// pages come, instead of missing the cache on its row.
	pages []int32
	infos []uint32
	docs  []docInfo
	// oc are the rows' ord again, each beside the index in combos of the
	// row's facet values, where each distinct combination is once (a few
	// hundred per segment): counting a matching document in the facets
	// is then one increment in a small table, read from the cache line
	// its ord came in, and the table is added to the facets once per
	// segment.
	oc     []ordCombo
	combos [][3]uint32
	// docCombo is, when every row of each document in the segment has
	// the same facet values, the index in combos of document ordinal
	// minOrd+i's; nil otherwise. A query then only marks each matching
	// page's document (reading its 4-byte ord) and counts the documents
	// newly marked afterwards, once each, instead of counting per page.
	docCombo       []uint32
	minOrd, maxOrd int32
	// byOrd are the rows by document ordinal (then row): the pages of
	// the documents shown are found there rather than by a second pass
	// over every matching page.
	byOrd []ordRow
}

type ordCombo struct {
	ord   int32
	combo uint32
}

type ordRow struct {
	ord   int32
	local uint32
}

// rowsOf returns the rows of document ordinal o in the segment, in order.
func (c *columns) rowsOf(o int32) []ordRow {
	i, _ := slices.BinarySearchFunc(c.byOrd, o, func(r ordRow, o int32) int { return cmp.Compare(r.ord, o) })
	j := i
	for j < len(c.byOrd) && c.byOrd[j].ord == o {
		j++
	}
	return c.byOrd[i:j]
}

// docInfo is what the rows of one document in a segment have in common.
type docInfo struct {
	doc   int64
	date  int64
	facet [3]uint32
}

// colRow is what a query needs of one page: side by side, since a query
// reads all of it for a document's first matching page (ord, the field
// read for every matching page, is also in columns.ords).
type colRow struct {
	doc int64
	// date is Record.Date in unix seconds, noDate if none.
	date int64
	page int32
	// ord is the document's ordinal in the column cache (dense, over all
	// segments), so that a query groups pages by an array index.
	ord   int32
	facet [3]uint32
}

// noDate marks a page without a date.
const noDate = math.MinInt64

// snapColumns are the columns of the segments of one snapshot, with the
// global document number at which each segment starts.
type snapColumns struct {
	offsets []uint64
	cols    []*columns
}

// locate returns the segment of global document number n, starting the
// search at segment from (hits come in document-number order).
func (s *snapColumns) locate(n uint64, from int) int {
	i := from
	for i+1 < len(s.offsets) && s.offsets[i+1] <= n {
		i++
	}
	for i > 0 && s.offsets[i] > n {
		i--
	}
	return i
}

type columnCache struct {
	mu       sync.Mutex
	segs     map[segment.Segment]*columns
	snapshot index.IndexReader // compared, never used
	current  *snapColumns
	ids      map[string]uint32
	names    []string // by ordinal; names[0] = ""
	docOrds  map[int64]int32
}

func newColumnCache() *columnCache {
	return &columnCache{segs: make(map[segment.Segment]*columns), ids: make(map[string]uint32), names: []string{""}, docOrds: make(map[int64]int32)}
}

// documents returns how many document ordinals there are.
func (c *columnCache) documents() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.docOrds)
}

// name returns the facet value of ordinal o.
func (c *columnCache) name(o uint32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.names[o]
}

// forSnapshot returns the columns of snapshot r, or nil if r is not a
// scorch snapshot (the caller then reads doc values).
func (c *columnCache) forSnapshot(r index.IndexReader) (*snapColumns, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snapshot == r && c.current != nil {
		return c.current, nil
	}
	sc := &snapColumns{}
	var running uint64
	live := make(map[segment.Segment]bool)
	for _, ss := range snap.Segments() {
		seg := ss.Segment()
		live[seg] = true
		cols := c.segs[seg]
		if cols == nil {
			var err error
			cols, err = c.decode(seg)
			if err != nil {
				return nil, err
			}
			c.segs[seg] = cols
		}
		sc.offsets = append(sc.offsets, running)
		sc.cols = append(sc.cols, cols)
		running += seg.Count()
	}
	// Segments merged away are forgotten; a query still on an older
	// snapshot decodes them again.
	for seg := range c.segs {
		if !live[seg] {
			delete(c.segs, seg)
		}
	}
	c.snapshot, c.current = r, sc
	return sc, nil
}

// decode reads the doc values of every document of seg. The caller holds
// c.mu.
func (c *columnCache) decode(seg segment.Segment) (*columns, error) {
	n := int(seg.Count())
	cols := &columns{rows: make([]colRow, n), ords: make([]int32, n)}
	dv, _ := seg.(segment.DocValueVisitable)
	fields := []string{fieldCommittee, fieldKind, fieldYear, fieldDay}
	var local int
	visit := func(field string, term []byte) {
		switch field {
		case fieldCommittee:
			cols.rows[local].facet[0] = c.ordinal(term)
		case fieldKind:
			cols.rows[local].facet[1] = c.ordinal(term)
		case fieldYear:
			cols.rows[local].facet[2] = c.ordinal(term)
		case fieldDay:
			if v, err := strconv.ParseInt(string(term), 10, 64); err == nil {
				cols.rows[local].date = v
			}
		}
	}
	var state segment.DocVisitState
	for local = 0; local < n; local++ {
		row := &cols.rows[local]
		row.date = noDate
		// The record's ID is "document-page" (search.DocID).
		id, err := seg.DocID(uint64(local))
		if err != nil {
			return nil, fmt.Errorf("decode document id: %w", err)
		}
		d, p := parseDocPage(id)
		row.doc, row.page = d, int32(p)
		o, ok := c.docOrds[d]
		if !ok {
			o = int32(len(c.docOrds))
			c.docOrds[d] = o
		}
		row.ord, cols.ords[local] = o, o
		if dv == nil {
			continue
		}
		state, err = dv.VisitDocValues(uint64(local), fields, visit, state)
		if err != nil {
			return nil, fmt.Errorf("decode doc values: %w", err)
		}
	}
	cols.pages, cols.infos, cols.oc, cols.byOrd = make([]int32, n), make([]uint32, n), make([]ordCombo, n), make([]ordRow, n)
	seen := make(map[docInfo]uint32)
	combos := make(map[[3]uint32]uint32)
	for local := range cols.rows {
		row := &cols.rows[local]
		d := docInfo{row.doc, row.date, row.facet}
		k, ok := seen[d]
		if !ok {
			k = uint32(len(cols.docs))
			seen[d] = k
			cols.docs = append(cols.docs, d)
		}
		cols.pages[local], cols.infos[local] = row.page, k
		f, ok := combos[row.facet]
		if !ok {
			f = uint32(len(cols.combos))
			combos[row.facet] = f
			cols.combos = append(cols.combos, row.facet)
		}
		cols.oc[local] = ordCombo{row.ord, f}
		cols.byOrd[local] = ordRow{row.ord, uint32(local)}
	}
	cols.docCombos()
	slices.SortFunc(cols.byOrd, func(a, b ordRow) int {
		return cmp.Or(cmp.Compare(a.ord, b.ord), cmp.Compare(a.local, b.local))
	})
	return cols, nil
}

// ordinal returns the ordinal of a facet value, adding it if new. The
// caller holds c.mu.
func (c *columnCache) ordinal(term []byte) uint32 {
	if o, ok := c.ids[string(term)]; ok {
		return o
	}
	o := uint32(len(c.names))
	c.ids[string(term)] = o
	c.names = append(c.names, string(term))
	return o
}

// docCombos sets c.docCombo, minOrd and maxOrd from c.oc.
func (c *columns) docCombos() {
	if len(c.oc) == 0 {
		return
	}
	c.minOrd, c.maxOrd = c.oc[0].ord, c.oc[0].ord
	for _, r := range c.oc {
		c.minOrd, c.maxOrd = min(c.minOrd, r.ord), max(c.maxOrd, r.ord)
	}
	const none = math.MaxUint32
	dc := make([]uint32, c.maxOrd-c.minOrd+1)
	for i := range dc {
		dc[i] = none
	}
	for _, r := range c.oc {
		switch k := &dc[r.ord-c.minOrd]; *k {
		case none:
			*k = r.combo
		case r.combo:
		default:
			return // a document's rows differ (an old and a new version)
		}
	}
	c.docCombo = dc
}
