package bleve_test

import (
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"github.com/ratsmappe/ratsmappe/search/bleve"
)

// TestMergePlan holds the merge plan of an index in use to its two
// promises, as the number of segments Bleve lets an index of so many
// pages keep before it merges: a small index is not rewritten whole by
// the next upload's one small segment (Bleve's default allows one
// segment per 2000 pages, so an index under 2000 pages was merged whole
// each time), and a large one keeps about as few segments as the
// default, as every query walks each of them.
func TestMergePlan(t *testing.T) {
	const upload = 30 // pages of a typical upload's segment
	budget := func(o mergeplan.MergePlanOptions, pages int64) int {
		return mergeplan.CalcBudget(pages, o.RaiseToFloorSegmentSize(upload), &o)
	}
	live, dflt := bleve.LivePlan, mergeplan.DefaultMergePlanOptions
	if err := mergeplan.ValidateMergePlannerOptions(&live); err != nil {
		t.Fatal(err)
	}
	for _, pages := range []int64{500, 2000, 4000} {
		if got := budget(live, pages); got < 5 {
			t.Errorf("an index of %d pages may keep %d segments; want at least 5, so that an upload does not merge it whole", pages, got)
		}
	}
	for _, pages := range []int64{166_000, 500_000} {
		if got, want := budget(live, pages), budget(dflt, pages)+2; got > want {
			t.Errorf("an index of %d pages may keep %d segments; want at most %d (Bleve's default + 2), so that queries stay fast", pages, got, want)
		}
	}
}
