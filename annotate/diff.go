package annotate

import "strings"

// Diff operations.
const (
	OpEqual  = "equal"
	OpInsert = "insert"
	OpDelete = "delete"
)

// Op is a run of words that are equal in both versions, inserted in the
// newer or deleted from the older one.
type Op struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// PageDiff is the diff shown on one page of the newer version; deletions
// appear on the page where the deleted words used to continue.
type PageDiff struct {
	Page    int  `json:"page"`
	Changed bool `json:"changed"`
	Ops     []Op `json:"ops"`
}

// DiffResult is a word diff of two versions.
type DiffResult struct {
	Pages    []PageDiff `json:"pages"`
	Inserted int        `json:"inserted"` // words
	Deleted  int        `json:"deleted"`
}

// maxEdits bounds the work of Diff: beyond it, the differing middle of the
// documents is shown as deleted and inserted whole.
const maxEdits = 4000

type token struct {
	word string
	page int
}

func tokens(pages []string) []token {
	var out []token
	for i, p := range pages {
		for _, w := range strings.Fields(p) {
			out = append(out, token{w, i + 1})
		}
	}
	return out
}

// Diff compares the page texts of two versions word by word (Myers'
// O(ND) difference algorithm over the whole document, so that text moving
// across a page break is not a change) and returns the result page by
// page of the newer version.
func Diff(older, newer []string) DiffResult {
	a, b := tokens(older), tokens(newer)
	ops := diffTokens(a, b)
	res := DiffResult{}
	pages := make([]PageDiff, len(newer))
	for i := range pages {
		pages[i].Page = i + 1
	}
	page := 1
	add := func(p int, op, word string) {
		if len(pages) == 0 {
			return
		}
		pd := &pages[p-1]
		if op != OpEqual {
			pd.Changed = true
		}
		if n := len(pd.Ops); n > 0 && pd.Ops[n-1].Op == op {
			pd.Ops[n-1].Text += " " + word
			return
		}
		pd.Ops = append(pd.Ops, Op{Op: op, Text: word})
	}
	for _, e := range ops {
		switch e.op {
		case OpEqual:
			page = b[e.j].page
			add(page, OpEqual, b[e.j].word)
		case OpInsert:
			page = b[e.j].page
			add(page, OpInsert, b[e.j].word)
			res.Inserted++
		case OpDelete:
			add(page, OpDelete, a[e.i].word)
			res.Deleted++
		}
	}
	res.Pages = pages
	return res
}

type edit struct {
	op   string
	i, j int // token indexes in a (delete, equal) and b (insert, equal)
}

func diffTokens(a, b []token) []edit {
	// Common prefix and suffix cost nothing.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre].word == b[pre].word {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf].word == b[len(b)-1-suf].word {
		suf++
	}
	var out []edit
	for k := 0; k < pre; k++ {
		out = append(out, edit{OpEqual, k, k})
	}
	out = append(out, myersDiff(a[pre:len(a)-suf], b[pre:len(b)-suf], pre, pre)...)
	for k := 0; k < suf; k++ {
		out = append(out, edit{OpEqual, len(a) - suf + k, len(b) - suf + k})
	}
	return out
}

// myersDiff is Myers' greedy shortest edit script, keeping the frontier of
// every step for the backtrack; offA and offB shift the indexes.
func myersDiff(a, b []token, offA, offB int) []edit {
	n, m := len(a), len(b)
	whole := func() []edit {
		var out []edit
		for i := range a {
			out = append(out, edit{OpDelete, offA + i, 0})
		}
		for j := range b {
			out = append(out, edit{OpInsert, 0, offB + j})
		}
		return out
	}
	if n == 0 || m == 0 {
		return whole()
	}
	max := n + m
	if max > maxEdits {
		max = maxEdits
	}
	v := make([]int32, 2*max+2)
	var trace [][]int32
	found := -1
	for d := 0; d <= max && found < 0; d++ {
		snap := make([]int32, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[max+k-1] < v[max+k+1]) {
				x = int(v[max+k+1])
			} else {
				x = int(v[max+k-1]) + 1
			}
			y := x - k
			for x < n && y < m && a[x].word == b[y].word {
				x++
				y++
			}
			v[max+k] = int32(x)
			if x >= n && y >= m {
				found = d
			}
		}
		for k := -d; k <= d; k++ {
			snap[k+d] = v[max+k]
		}
		trace = append(trace, snap)
	}
	if found < 0 {
		return whole()
	}
	// Backtrack from (n, m).
	var rev []edit
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d-1]
		at := func(k int) int { return int(prev[k+d-1]) }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, edit{OpEqual, offA + x, offB + y})
		}
		if x == px {
			y--
			rev = append(rev, edit{OpInsert, 0, offB + y})
		} else {
			x--
			rev = append(rev, edit{OpDelete, offA + x, 0})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, edit{OpEqual, offA + x, offB + y})
	}
	out := make([]edit, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return out
}
