package bleve

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/blevesearch/bleve/v2/numeric"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/ratsmappe/ratsmappe/search"
)

// resultCache holds answers to queries until the next write. Answers are
// keyed by everything they depend on: the query, the viewer's principals
// and, for viewers who are not staff, which embargoes have ended (see
// epoch), so that the cache answers exactly as the index would.
type resultCache struct {
	max int
	mu  sync.Mutex
	gen uint64
	m   map[string]any
}

func newResultCache(max int) *resultCache {
	return &resultCache{max: max, m: make(map[string]any)}
}

func (c *resultCache) get(key string) (any, bool) {
	if c.max < 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// put stores v, computed from generation before to after, unless a write
// happened meanwhile.
func (c *resultCache) put(before, after uint64, key string, v any) {
	if c.max < 0 || before != after {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != before {
		return
	}
	if len(c.m) >= c.max {
		// Forget an arbitrary half; hot queries come back soon.
		n := 0
		for k := range c.m {
			delete(c.m, k)
			if n++; n >= c.max/2 {
				break
			}
		}
	}
	c.m[key] = v
}

func (c *resultCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// viewCache holds, per generation, the embargo times in the index and the
// sets of records each viewer may find (for suggestions).
type viewCache struct {
	mu       sync.Mutex
	embargo  []int64 // sorted unix seconds; nil: not loaded
	loaded   bool
	visible  map[string]*visibleSet
	maxViews int
}

// visibleSet is the set of pages a viewer may find, by internal document
// number in one snapshot of the index.
type visibleSet struct {
	snapshot index.IndexReader // compared, never used
	bm       *roaring64.Bitmap
	// segs are the same pages by segment of the snapshot, by local
	// document number.
	segs []*roaring.Bitmap
}

func newViewCache() *viewCache {
	return &viewCache{visible: make(map[string]*visibleSet), maxViews: 64}
}

func (v *viewCache) clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.embargo, v.loaded = nil, false
	clear(v.visible)
}

// viewerKey returns the part of a cache key that depends on the viewer:
// "*" for staff, else the sorted principals and the number of embargoes
// ended at now (between two embargo times, every record is either
// embargoed or not for the whole interval).
func (x *Index) viewerKey(v search.Viewer, now time.Time) (string, error) {
	if v.IsStaff() {
		return "*", nil
	}
	times, err := x.embargoTimes()
	if err != nil {
		return "", err
	}
	ended := sort.Search(len(times), func(i int) bool { return times[i] > now.Unix() })
	ps := slices.Clone(v.Principals)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	return strconv.Itoa(ended) + "|" + strings.Join(ps, "\x1f"), nil
}

// embargoTimes returns the distinct NotBefore times of the indexed
// records (and perhaps of removed ones: a superset only costs cache hits).
// The caller holds x.mu.
func (x *Index) embargoTimes() ([]int64, error) {
	x.views.mu.Lock()
	defer x.views.mu.Unlock()
	if x.views.loaded {
		return x.views.embargo, nil
	}
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	d, err := r.FieldDict(fieldNotBefore)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var times []int64
	for {
		e, err := d.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		pc := numeric.PrefixCoded(e.Term)
		if shift, err := pc.Shift(); err != nil || shift != 0 {
			continue
		}
		i, err := pc.Int64()
		if err != nil {
			continue
		}
		times = append(times, int64(numeric.Int64ToFloat64(i)))
	}
	slices.Sort(times)
	x.views.embargo, x.views.loaded = slices.Compact(times), true
	return x.views.embargo, nil
}

// searchKey returns the cache key of a normalized query.
func (x *Index) searchKey(q search.Query) (string, bool) {
	vk, err := x.viewerKey(q.Viewer, q.Now)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	b.WriteString("q\x1e")
	b.WriteString(q.Text)
	b.WriteString("\x1e")
	b.WriteString(vk)
	b.WriteString("\x1e")
	b.WriteString(strings.Join(q.Filter.Committees, "\x1f"))
	b.WriteString("\x1e")
	b.WriteString(strings.Join(q.Filter.Kinds, "\x1f"))
	b.WriteString("\x1e")
	b.WriteString(strings.Join(q.Filter.Meetings, "\x1f"))
	b.WriteString("\x1e")
	for _, t := range []time.Time{q.Filter.From, q.Filter.To} {
		if !t.IsZero() {
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		}
		b.WriteString("\x1f")
	}
	b.WriteString(string(q.Order))
	b.WriteString("\x1f")
	b.WriteString(strconv.Itoa(q.Offset))
	b.WriteString("\x1f")
	b.WriteString(strconv.Itoa(q.Limit))
	return b.String(), true
}
