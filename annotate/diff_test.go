package annotate_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/annotate"
)

func TestDiff(t *testing.T) {
	older := []string{"Der Rat beschließt den Neubau.", "Die Kosten betragen 12,4 Millionen Euro. Ende."}
	newer := []string{"Deckblatt", "Der Rat beschließt den Neubau.", "Die Kosten betragen 13,1 Millionen Euro. Ende."}
	d := annotate.Diff(older, newer)
	if d.Inserted != 2 || d.Deleted != 1 {
		t.Fatalf("inserted %d, deleted %d", d.Inserted, d.Deleted)
	}
	want := []annotate.PageDiff{
		{Page: 1, Changed: true, Ops: []annotate.Op{{Op: "insert", Text: "Deckblatt"}}},
		{Page: 2, Ops: []annotate.Op{{Op: "equal", Text: "Der Rat beschließt den Neubau."}}},
		{Page: 3, Changed: true, Ops: []annotate.Op{{Op: "equal", Text: "Die Kosten betragen"}, {Op: "delete", Text: "12,4"},
			{Op: "insert", Text: "13,1"}, {Op: "equal", Text: "Millionen Euro. Ende."}}},
	}
	if !reflect.DeepEqual(d.Pages, want) {
		t.Fatalf("got %+v", d.Pages)
	}
	// Reassembling the equal and inserted words gives the newer text,
	// the equal and deleted ones the older, for random-ish edits too.
	a := strings.Fields(strings.Repeat("eins zwei drei vier fünf sechs sieben ", 40))
	b := append([]string{}, a...)
	b = append(b[:30], append([]string{"neu", "neu"}, b[35:]...)...)
	b[100] = "anders"
	d = annotate.Diff([]string{strings.Join(a, " ")}, []string{strings.Join(b[:150], " "), strings.Join(b[150:], " ")})
	var gotOld, gotNew []string
	for _, p := range d.Pages {
		for _, op := range p.Ops {
			if op.Op != "insert" {
				gotOld = append(gotOld, strings.Fields(op.Text)...)
			}
			if op.Op != "delete" {
				gotNew = append(gotNew, strings.Fields(op.Text)...)
			}
		}
	}
	if !reflect.DeepEqual(gotOld, a) || !reflect.DeepEqual(gotNew, b) {
		t.Fatal("diff does not reassemble both versions")
	}
}
