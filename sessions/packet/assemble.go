package packet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents/pdfcpuconf"
)

// config returns the pdfcpu configuration for one read or write (see
// pdfcpuconf), with this package's own choices on top.
func config() *model.Configuration {
	conf := pdfcpuconf.New()
	// We make our own outline; the documents' own bookmarks are dropped.
	conf.CreateBookmarks = false
	conf.Cmd = model.MERGECREATE
	return conf
}

// guard runs f and turns a panic into an error: pdfcpu panics on some
// malformed input.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdfcpu panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}

func build(ctx context.Context, p *plan, w io.Writer) (Result, error) {
	// Read every document first: the table of contents needs their page
	// counts. The parsed documents take about as much memory as the merged
	// packet does afterwards, since merging moves their objects over.
	srcs := make([]*model.Context, len(p.docs))
	pages := make([]int, len(p.docs))
	for i := range p.docs {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		c, err := readDoc(ctx, p, i)
		if err != nil {
			return Result{}, err
		}
		srcs[i], pages[i] = c, c.PageCount
	}

	nFront := len(layoutFront(p, make([]int, len(p.docs)), 0).pages)
	first := make([]int, len(p.docs))
	next := nFront + 1
	for i, n := range pages {
		first[i] = next
		next += n
	}
	total := next - 1
	f := layoutFront(p, first, total)
	if len(f.pages) != nFront {
		return Result{}, fmt.Errorf("packet: front matter has %d pages, measured %d", len(f.pages), nFront)
	}

	a := &assembly{p: p, f: f, srcs: srcs, first: first, pages: pages, total: total}
	if err := guard(func() error { return a.run(ctx, w) }); err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		return Result{}, fmt.Errorf("packet: assemble: %w", err)
	}

	res := Result{Pages: total, FrontPages: nFront}
	for i, d := range p.docs {
		res.Documents = append(res.Documents, Placed{Item: p.items[d.item].number, Title: d.title, FirstPage: first[i], Pages: pages[i]})
	}
	return res, nil
}

// readDoc opens, parses and validates document i of p.
func readDoc(ctx context.Context, p *plan, i int) (*model.Context, error) {
	d := p.docs[i]
	rc, err := d.open()
	if err != nil {
		// Not the document's fault: keep the cause's code.
		return nil, fmt.Errorf("packet: open document %q of %s: %w", d.title, p.items[d.item].number, err)
	}
	if rc == nil {
		return nil, fmt.Errorf("packet: open document %q of %s: no reader", d.title, p.items[d.item].number)
	}
	defer rc.Close()

	var c *model.Context
	err = guard(func() error {
		var err error
		if c, err = pdfcpu.ReadWithContext(ctx, rc, config()); err != nil {
			return err
		}
		if err := api.ValidateContext(c); err != nil {
			return err
		}
		// Walk the page tree as stamping will, and repair what the writer
		// needs, so that a flaw shows here, blamed on this document.
		pgs, err := pageList(c.XRefTable)
		if err != nil {
			return err
		}
		if len(pgs) != c.PageCount {
			return fmt.Errorf("page tree has %d pages, says %d", len(pgs), c.PageCount)
		}
		return nil
	})
	if err == nil && c.PageCount < 1 {
		err = errors.New("no pages")
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ratsmappe.Error{
			Code:    ratsmappe.EINVALID,
			Message: fmt.Sprintf("Das Dokument „%s“ zu %s lässt sich nicht lesen.", d.title, p.items[d.item].number),
			Err:     err,
		}
	}
	return c, nil
}

// assembly puts the parsed documents and the front matter together into
// one pdfcpu context and writes it.
type assembly struct {
	p     *plan
	f     front
	srcs  []*model.Context
	first []int // per document
	pages []int // per document
	total int

	dest *model.Context
	xt   *model.XRefTable
	pgs  []pageInfo
}

func (a *assembly) run(ctx context.Context, w io.Writer) error {
	var err error
	if a.dest, err = a.frontContext(ctx); err != nil {
		return fmt.Errorf("front matter: %w", err)
	}
	a.xt = a.dest.XRefTable
	for i := range a.srcs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := pdfcpu.MergeXRefTables("", a.srcs[i], a.dest, false, false); err != nil {
			return fmt.Errorf("merge document %d: %w", i+1, err)
		}
		a.srcs[i] = nil // its objects belong to dest now
	}
	if a.pgs, err = pageList(a.xt); err != nil {
		return err
	}
	if len(a.pgs) != a.total || a.dest.PageCount != a.total {
		return fmt.Errorf("page tree has %d pages (count %d), want %d", len(a.pgs), a.dest.PageCount, a.total)
	}
	if err := a.stamp(); err != nil {
		return fmt.Errorf("stamp: %w", err)
	}
	if err := a.links(); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	if err := a.outline(); err != nil {
		return fmt.Errorf("outline: %w", err)
	}
	root, err := a.xt.Catalog()
	if err != nil {
		return err
	}
	root["PageMode"] = types.Name("UseOutlines")
	root["Lang"] = types.StringLiteral("de-DE")
	return api.WriteContext(a.dest, w)
}

// frontContext makes the front matter into a PDF and reads that back: the
// context the documents are merged into must look like one read from a
// file.
func (a *assembly) frontContext(ctx context.Context) (*model.Context, error) {
	xt, err := pdfcpu.CreateXRefTableWithRootDict()
	if err != nil {
		return nil, err
	}
	c := pdfcpu.CreateContext(xt, config())

	fonts := types.Dict{}
	for name, base := range map[string]string{"F1": fontRegular, "F2": fontBold} {
		ref, err := xt.IndRefForNewObject(fontDict(base))
		if err != nil {
			return nil, err
		}
		fonts[name] = *ref
	}
	pagesDict := types.Dict{"Type": types.Name("Pages")}
	pagesRef, err := xt.IndRefForNewObject(pagesDict)
	if err != nil {
		return nil, err
	}
	kids := types.Array{}
	for _, pg := range a.f.pages {
		sd, err := xt.NewStreamDictForBuf([]byte(pg.content.String()))
		if err != nil {
			return nil, err
		}
		if err := sd.Encode(); err != nil {
			return nil, err
		}
		contents, err := xt.IndRefForNewObject(*sd)
		if err != nil {
			return nil, err
		}
		ref, err := xt.IndRefForNewObject(types.Dict{
			"Type":      types.Name("Page"),
			"Parent":    *pagesRef,
			"MediaBox":  types.RectForDim(pageW, pageH).Array(),
			"Resources": types.Dict{"Font": fonts.Clone(), "ProcSet": types.Array{types.Name("PDF"), types.Name("Text")}},
			"Contents":  *contents,
		})
		if err != nil {
			return nil, err
		}
		kids = append(kids, *ref)
	}
	pagesDict["Kids"] = kids
	pagesDict["Count"] = types.Integer(len(kids))
	xt.PageCount = len(kids)
	root, err := xt.Catalog()
	if err != nil {
		return nil, err
	}
	root["Pages"] = *pagesRef

	info := types.Dict{"Creator": types.StringLiteral("Ratsmappe")}
	title := a.p.organization + ", " + a.p.shortDate + " – " + a.p.audience
	if s, err := types.EscapedUTF16String(title); err == nil {
		info["Title"] = types.StringLiteral(*s)
	}
	if xt.Info, err = xt.IndRefForNewObject(info); err != nil {
		return nil, err
	}
	root["ViewerPreferences"] = types.Dict{"DisplayDocTitle": types.Boolean(true)}

	var buf bytes.Buffer
	if err := api.WriteContext(c, &buf); err != nil {
		return nil, err
	}
	dest, err := pdfcpu.ReadWithContext(ctx, bytes.NewReader(buf.Bytes()), config())
	if err != nil {
		return nil, err
	}
	if err := api.ValidateContext(dest); err != nil {
		return nil, err
	}
	dest.EnsureVersionForWriting()
	return dest, nil
}

func fontDict(base string) types.Dict {
	return types.Dict{
		"Type":     types.Name("Font"),
		"Subtype":  types.Name("Type1"),
		"BaseFont": types.Name(base),
		"Encoding": types.Name("WinAnsiEncoding"),
	}
}

// links makes the agenda and table of contents entries clickable.
func (a *assembly) links() error {
	for i, pg := range a.f.pages {
		if len(pg.links) == 0 {
			continue
		}
		page := a.pgs[i]
		var annots types.Array
		for _, l := range pg.links {
			ref, err := a.xt.IndRefForNewObject(types.Dict{
				"Type":    types.Name("Annot"),
				"Subtype": types.Name("Link"),
				"Rect":    types.NewRectangle(l.llx, l.lly, l.urx, l.ury).Array(),
				"Border":  types.Array{types.Integer(0), types.Integer(0), types.Integer(0)},
				"Dest":    a.destTo(l.page),
				"P":       page.ref,
			})
			if err != nil {
				return err
			}
			annots = append(annots, *ref)
		}
		page.dict["Annots"] = annots
	}
	return nil
}

// destTo is an explicit destination showing all of packet page n.
func (a *assembly) destTo(n int) types.Array {
	return types.Array{a.pgs[n-1].ref, types.Name("Fit")}
}

// outline replaces any outline with ours: a table of contents entry, then
// per agenda item an entry (at its first document, or where the table of
// contents lists it if it has none) with one child per document.
func (a *assembly) outline() error {
	type node struct {
		title string
		page  int
		kids  []node
	}
	nodes := []node{{title: "Inhaltsverzeichnis", page: a.f.tocFirst + 1}}
	for i, it := range a.p.items {
		n := node{title: it.number + " " + it.title, page: a.f.itemTOC[i] + 1}
		if it.title == "" {
			n.title = it.number
		}
		for _, d := range it.docs {
			n.kids = append(n.kids, node{title: a.p.docs[d].title, page: a.first[d]})
		}
		if len(n.kids) > 0 {
			n.page = n.kids[0].page
		}
		nodes = append(nodes, n)
	}

	root, err := a.xt.Catalog()
	if err != nil {
		return err
	}
	outlines := types.Dict{"Type": types.Name("Outlines")}
	outlinesRef, err := a.xt.IndRefForNewObject(outlines)
	if err != nil {
		return err
	}
	// add creates the items for ns under parent and returns the first and
	// last item and how many items are visible (all are: items are open).
	var add func(ns []node, parent types.IndirectRef) (first, last types.IndirectRef, count int, err error)
	add = func(ns []node, parent types.IndirectRef) (first, last types.IndirectRef, count int, err error) {
		var prev types.Dict
		for i, n := range ns {
			t, err := types.EscapedUTF16String(n.title)
			if err != nil {
				return first, last, 0, err
			}
			d := types.Dict{"Title": types.StringLiteral(*t), "Parent": parent, "Dest": a.destTo(n.page)}
			ref, err := a.xt.IndRefForNewObject(d)
			if err != nil {
				return first, last, 0, err
			}
			if i == 0 {
				first = *ref
			} else {
				prev["Next"] = *ref
				d["Prev"] = last
			}
			count++
			if len(n.kids) > 0 {
				kf, kl, kc, err := add(n.kids, *ref)
				if err != nil {
					return first, last, 0, err
				}
				d["First"], d["Last"], d["Count"] = kf, kl, types.Integer(kc)
				count += kc
			}
			prev, last = d, *ref
		}
		return first, last, count, nil
	}
	first, last, count, err := add(nodes, *outlinesRef)
	if err != nil {
		return err
	}
	outlines["First"], outlines["Last"], outlines["Count"] = first, last, types.Integer(count)
	root["Outlines"] = *outlinesRef
	return nil
}
