package bleve

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// countNew counts a segment's newly matching documents either by marking
// them and counting the marked ones by their document's combination
// (docCombo) or page by page (countOrds, for a segment where a
// document's rows differ): both must give the same total, facets and
// marks, whatever was marked by earlier segments.
func TestCountNewByDocumentAgreesByPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 10))
	for round := range 200 {
		docs := 1 + rng.IntN(300)
		base := int32(rng.IntN(200))
		combos := [][3]uint32{}
		for range 1 + rng.IntN(20) {
			combos = append(combos, [3]uint32{uint32(rng.IntN(5)), uint32(rng.IntN(4)), uint32(rng.IntN(6))})
		}
		comboOf := make([]uint32, docs)
		for i := range comboOf {
			comboOf[i] = uint32(rng.IntN(len(combos)))
		}
		col := &columns{combos: combos}
		for range 1 + rng.IntN(2000) {
			d := rng.IntN(docs)
			o := base + int32(d)
			col.oc = append(col.oc, ordCombo{o, comboOf[d]})
			col.ords = append(col.ords, o)
		}
		col.docCombos()
		if col.docCombo == nil {
			t.Fatalf("round %d: a segment whose documents' rows agree has no docCombo", round)
		}
		m := roaring.New()
		for local := range col.oc {
			if rng.IntN(3) == 0 {
				m.Add(uint32(local))
			}
		}
		seen := make([]uint64, 16)
		for range rng.IntN(100) {
			o := rng.IntN(len(seen) * 64)
			seen[o>>6] |= 1 << (o & 63)
		}
		byDoc := &collected{seen: slices.Clone(seen)}
		byPage := &collected{seen: slices.Clone(seen)}
		pages := &collected{seen: slices.Clone(seen)}
		byDoc.countNew(col, m)
		pages.countPages(col, m.ToArray())
		dc := col.docCombo
		col.docCombo = nil
		byPage.countNew(col, m)
		col.docCombo = dc
		for _, c := range []*collected{byDoc, pages} {
			if c.total != byPage.total || !slices.Equal(c.seen, byPage.seen) {
				t.Fatalf("round %d: total %d, want %d (marks equal: %v)", round, c.total, byPage.total, slices.Equal(c.seen, byPage.seen))
			}
			for f := range c.facets {
				if !slices.Equal(trim(c.facets[f]), trim(byPage.facets[f])) {
					t.Fatalf("round %d: facet %d %v, want %v", round, f, c.facets[f], byPage.facets[f])
				}
			}
		}
	}
	// A document whose rows differ (an old and a new version in one
	// segment) leaves the segment to the page-by-page count.
	col := &columns{oc: []ordCombo{{3, 0}, {4, 1}, {3, 1}}, combos: [][3]uint32{{1, 1, 1}, {2, 2, 2}}}
	col.docCombos()
	if col.docCombo != nil {
		t.Fatal("a segment whose document's rows differ has a docCombo")
	}
}

// trim drops trailing zero counts: a facet's counts grow only as far as
// a value counted.
func trim(v []int) []int {
	for len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	return v
}
