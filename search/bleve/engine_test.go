package bleve

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/searchtest"
)

// The two ways of checking a phrase, on the postings' positions and on
// the pages' stored analysis, must agree, and both must find the page a
// phrase was taken from: phrases of two and three words (with stop words,
// compounds and numbers as they come) cut from real pages.
func TestPhraseChecksAgree(t *testing.T) {
	files, err := searchtest.LoadKarlsruhe(searchtest.KarlsruheDir)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skipf("corpus not found (CI=true makes this a failure): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > 300 {
		files = files[:300]
	}
	x, err := Create(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var recs []search.Record
	for _, f := range files {
		recs = append(recs, f.Records(f.ID, search.Access{Principals: []string{search.Public}})...)
	}
	if err := x.Index(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	r, err := x.reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap := r.(*scorch.IndexSnapshot)

	checked, found := 0, 0
	for i := 0; i < len(recs) && checked < 200; i += 7 {
		words := strings.Fields(recs[i].Text)
		if len(words) < 20 {
			continue
		}
		n := 2 + i%2
		at := 1 + (i*13)%(len(words)-n-1)
		if slices.ContainsFunc(words[at-1:at+n], func(w string) bool { return strings.HasSuffix(w, "-") }) {
			continue // a word broken across lines: Fields cuts it apart
		}
		phrase := strings.Join(words[at:at+n], " ")
		p := plan{marks: make(map[string]bool)}
		cl := x.phraseClause(phrase, &p)
		if len(cl) != 1 || cl[0].kind != altPhrase {
			continue
		}
		a := cl[0]
		checked++
		inSome := false
		for _, ss := range snap.Segments() {
			sq := &segQuery{seg: ss.Segment(), dicts: make(map[string]segment.TermDictionary), terms: make(map[termKey]*termTF)}
			for _, term := range a.terms {
				k := termKey{a.field, term}
				if sq.terms[k], err = x.tfs.get(sq, k); err != nil {
					t.Fatal(err)
				}
			}
			var bms []*roaring.Bitmap
			for _, slot := range a.slots {
				if len(slot) > 0 {
					bms = append(bms, sq.anyOf(a.field, slot))
				}
			}
			cand := roaring.FastAnd(bms...)
			byPostings, err := sq.verifyPhrase(&a, cand)
			if err != nil {
				t.Fatal(err)
			}
			byStored, err := sq.verifyPhraseStored(&a, cand)
			if err != nil {
				t.Fatal(err)
			}
			if !byPostings.Equals(byStored) {
				t.Errorf("phrase %q (slots %q): by postings %v, by stored analysis %v", phrase, a.slots, byPostings, byStored)
			}
			id := []byte(search.DocID(recs[i].Document, recs[i].Page))
			it := byPostings.Iterator()
			for it.HasNext() {
				if got, _ := ss.Segment().DocID(uint64(it.Next())); string(got) == string(id) {
					inSome = true
				}
			}
		}
		if inSome {
			found++
		} else {
			t.Errorf("phrase %q (slots %q) does not find its own page %s", phrase, a.slots, search.DocID(recs[i].Document, recs[i].Page))
		}
	}
	if checked < 100 {
		t.Fatalf("only %d phrases checked", checked)
	}
	t.Logf("%d phrases checked, %d found their page", checked, found)
}
