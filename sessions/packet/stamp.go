package packet

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Stamping does not touch a page's content streams: each page's /Contents
// becomes [q-stream, original streams..., stamp-stream], where the shared
// q-stream saves the graphics state and the page's own stamp stream
// starts by restoring it, so whatever the original content left behind
// (a transformation, a colour, a clip) cannot move or hide the stamp. The
// page's resources get a copy with our fonts and graphics states added
// under names the page does not use. Nothing is decoded or re-encoded, so
// stamping costs the same for a scanned page as for a blank one.

// pageInfo is a page with the attributes it inherits.
type pageInfo struct {
	ref  types.IndirectRef
	dict types.Dict
	res  types.Object     // the resources in effect: a dict, a reference, or nil
	box  *types.Rectangle // the visible area: crop box within media box
	rot  int              // 0, 90, 180 or 270
}

// pageList returns the pages of xt in order, walking the page tree once.
// It sets each node's /Type and /Parent, which pdfcpu's writer needs and
// relaxed validation lets pass when they are missing.
func pageList(xt *model.XRefTable) ([]pageInfo, error) {
	root, err := xt.Pages()
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, errors.New("no page tree")
	}
	type inherited struct {
		res         types.Object
		media, crop *types.Rectangle
		rot         int
	}
	var pages []pageInfo
	seen := map[int]bool{}
	var walk func(ref types.IndirectRef, parent *types.IndirectRef, inh inherited, depth int) error
	walk = func(ref types.IndirectRef, parent *types.IndirectRef, inh inherited, depth int) error {
		if depth > 64 {
			return errors.New("page tree too deep")
		}
		if n := ref.ObjectNumber.Value(); seen[n] {
			return fmt.Errorf("page tree: object %d twice", n)
		} else {
			seen[n] = true
		}
		d, err := xt.DereferenceDict(ref)
		if err != nil {
			return fmt.Errorf("page tree node %s: %w", ref, err)
		}
		if d == nil {
			return fmt.Errorf("page tree node %s: missing", ref)
		}
		if parent != nil {
			d["Parent"] = *parent
		}
		// Take what the node passes on to its pages, and drop what is
		// broken: relaxed validation lets some of it through, and pdfcpu
		// would write it out for every reader to trip over.
		if o, ok := d["Resources"]; ok {
			if r, err := xt.DereferenceDict(o); err != nil || r == nil {
				delete(d, "Resources")
			} else {
				inh.res = o
			}
		}
		for _, key := range []string{"MediaBox", "CropBox", "BleedBox", "TrimBox", "ArtBox"} {
			if _, ok := d[key]; !ok {
				continue
			}
			r := rectEntry(xt, d, key)
			switch {
			case r == nil:
				delete(d, key)
			case key == "MediaBox":
				inh.media = r
			case key == "CropBox":
				inh.crop = r
			}
		}
		if o, ok := d["Rotate"]; ok {
			if i, err := xt.DereferenceInteger(o); err == nil && i != nil {
				inh.rot = ((i.Value() % 360) + 360) % 360 / 90 * 90
			} else {
				delete(d, "Rotate")
			}
		}
		kids, hasKids := d["Kids"]
		if t := d.NameEntry("Type"); (t != nil && *t == "Page") || !hasKids {
			box := inh.media
			if box == nil {
				box = types.RectForDim(pageW, pageH)
				d["MediaBox"] = box.Array()
			}
			if c := inh.crop; c != nil {
				llx, lly := math.Max(box.LL.X, c.LL.X), math.Max(box.LL.Y, c.LL.Y)
				urx, ury := math.Min(box.UR.X, c.UR.X), math.Min(box.UR.Y, c.UR.Y)
				if urx > llx && ury > lly {
					box = types.NewRectangle(llx, lly, urx, ury)
				}
			}
			d["Type"] = types.Name("Page")
			pages = append(pages, pageInfo{ref: ref, dict: d, res: inh.res, box: box, rot: inh.rot})
			return nil
		}
		d["Type"] = types.Name("Pages")
		arr, err := xt.DereferenceArray(kids)
		if err != nil {
			return fmt.Errorf("page tree node %s: kids: %w", ref, err)
		}
		for _, k := range arr {
			kr, ok := k.(types.IndirectRef)
			if !ok {
				return fmt.Errorf("page tree node %s: kid is %T", ref, k)
			}
			if err := walk(kr, &ref, inh, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return pages, walk(*root, nil, inherited{}, 0)
}

// rectEntry returns d[key] as a normalized rectangle, nil if absent or
// not a rectangle.
func rectEntry(xt *model.XRefTable, d types.Dict, key string) *types.Rectangle {
	o, ok := d[key]
	if !ok {
		return nil
	}
	a, err := xt.DereferenceArray(o)
	if err != nil || len(a) != 4 {
		return nil
	}
	var v [4]float64
	for i, x := range a {
		if v[i], err = xt.DereferenceNumber(x); err != nil {
			return nil
		}
	}
	r := types.NewRectangle(math.Min(v[0], v[2]), math.Min(v[1], v[3]), math.Max(v[0], v[2]), math.Max(v[1], v[3]))
	if r.Width() <= 0 || r.Height() <= 0 {
		return nil
	}
	return r
}

// stampNames are the resource names a page's stamp uses.
type stampNames struct{ font, bold, gsBox, gsMark string }

type stamper struct {
	xt                        *model.XRefTable
	q                         types.IndirectRef
	font, bold, gsBox, gsMark types.IndirectRef
	shared                    map[int]sharedRes // by object number of the original resources
	zw                        *zlib.Writer
	buf                       bytes.Buffer
}

type sharedRes struct {
	ref   types.IndirectRef
	names stampNames
}

// stamp stamps every document page and watermarks the non-public ones of a
// personal packet.
func (a *assembly) stamp() error {
	s := &stamper{xt: a.xt, shared: map[int]sharedRes{}}
	var err error
	if s.q, err = s.stream([]byte("q\n")); err != nil {
		return err
	}
	for _, o := range []struct {
		ref *types.IndirectRef
		obj types.Object
	}{
		{&s.font, fontDict(fontRegular)},
		{&s.bold, fontDict(fontBold)},
		{&s.gsBox, types.Dict{"Type": types.Name("ExtGState"), "ca": types.Float(0.8)}},
		{&s.gsMark, types.Dict{"Type": types.Name("ExtGState"), "ca": types.Float(0.2)}},
	} {
		ref, err := a.xt.IndRefForNewObject(o.obj)
		if err != nil {
			return err
		}
		*o.ref = *ref
	}
	mark := ""
	if a.p.member != "" {
		mark = winAnsi("Vertraulich – " + a.p.member)
	}
	for i, d := range a.p.docs {
		it := a.p.items[d.item]
		for n := a.first[i]; n < a.first[i]+a.pages[i]; n++ {
			label := it.number + " · Seite " + strconv.Itoa(n) + "/" + strconv.Itoa(a.total)
			wm := ""
			if !it.public {
				label = it.number + " · NICHTÖFFENTLICH · Seite " + strconv.Itoa(n) + "/" + strconv.Itoa(a.total)
				wm = mark
			}
			if err := s.page(a.pgs[n-1], winAnsi(label), !it.public, wm); err != nil {
				return fmt.Errorf("page %d: %w", n, err)
			}
		}
	}
	return nil
}

// page stamps pg with label (WinAnsi) and, unless mark is "", the
// diagonal watermark mark (WinAnsi).
func (s *stamper) page(pg pageInfo, label string, nonPublic bool, mark string) error {
	names, err := s.resources(pg)
	if err != nil {
		return err
	}
	ref, err := s.stream(stampContent(pg, names, label, nonPublic, mark))
	if err != nil {
		return err
	}
	contents := types.Array{s.q}
	add := func(o types.Object) error {
		switch v := o.(type) {
		case types.IndirectRef:
			contents = append(contents, v)
		case types.StreamDict: // a direct stream (not allowed, but seen)
			r, err := s.xt.IndRefForNewObject(v)
			if err != nil {
				return err
			}
			contents = append(contents, *r)
		}
		return nil
	}
	if o, ok := pg.dict["Contents"]; ok && o != nil {
		v := o
		if ir, isRef := o.(types.IndirectRef); isRef {
			if v, err = s.xt.Dereference(ir); err != nil {
				return fmt.Errorf("contents: %w", err)
			}
			if _, isStream := v.(types.StreamDict); isStream {
				v = ir
			}
		}
		if arr, isArr := v.(types.Array); isArr {
			for _, e := range arr {
				if err := add(e); err != nil {
					return err
				}
			}
		} else if err := add(v); err != nil {
			return err
		}
	}
	pg.dict["Contents"] = append(contents, ref)
	return nil
}

// resources gives pg a resource dictionary with the stamp's fonts and
// graphics states added, shared between pages that shared the original.
func (s *stamper) resources(pg pageInfo) (stampNames, error) {
	key := -1
	if ir, ok := pg.res.(types.IndirectRef); ok {
		key = ir.ObjectNumber.Value()
		if sr, ok := s.shared[key]; ok {
			pg.dict["Resources"] = sr.ref
			return sr.names, nil
		}
	}
	res := types.Dict{}
	if pg.res != nil {
		if d, err := s.xt.DereferenceDict(pg.res); err == nil {
			for k, v := range d {
				res[k] = v
			}
		}
	}
	sub := func(key string) types.Dict {
		d := types.Dict{}
		if o, ok := res[key]; ok {
			if orig, err := s.xt.DereferenceDict(o); err == nil {
				for k, v := range orig {
					d[k] = v
				}
			}
		}
		res[key] = d
		return d
	}
	var n stampNames
	fonts := sub("Font")
	n.font = freeName(fonts, "RMStampF")
	fonts[n.font] = s.font
	n.bold = freeName(fonts, "RMStampFB")
	fonts[n.bold] = s.bold
	gs := sub("ExtGState")
	n.gsBox = freeName(gs, "RMStampGS")
	gs[n.gsBox] = s.gsBox
	n.gsMark = freeName(gs, "RMStampWM")
	gs[n.gsMark] = s.gsMark

	if key < 0 {
		pg.dict["Resources"] = res
		return n, nil
	}
	ref, err := s.xt.IndRefForNewObject(res)
	if err != nil {
		return n, err
	}
	s.shared[key] = sharedRes{ref: *ref, names: n}
	pg.dict["Resources"] = *ref
	return n, nil
}

func freeName(d types.Dict, base string) string {
	name := base
	for i := 1; ; i++ {
		if _, taken := d[name]; !taken {
			return name
		}
		name = base + strconv.Itoa(i)
	}
}

// stampContent is the content stream drawing the stamp (and watermark)
// on pg, upright as the page is displayed.
func stampContent(pg pageInfo, n stampNames, label string, nonPublic bool, mark string) []byte {
	w, h, cm := orient(pg.box, pg.rot)
	var b strings.Builder
	// Restore the state saved before the page's content, then draw in
	// upright coordinates with the origin at the visible lower left.
	b.WriteString("Q q " + cm + " cm\n")

	size := 8.0
	if tw := width(label, fontRegular, size); tw+28 > w {
		size = math.Max(2, size*(w-28)/tw)
	}
	tw := width(label, fontRegular, size)
	x, y := w-14-tw, h-4-size*1.25
	b.WriteString("/Artifact <</Type /Pagination /Subtype /Header>> BDC\n")
	b.WriteString("q /" + n.gsBox + " gs 1 1 1 rg " + num(x-4) + " " + num(y-size*0.4) + " " + num(tw+8) + " " + num(size*1.5) + " re f Q\n")
	color := "0.25 g"
	if nonPublic {
		color = "0.65 0.05 0.05 rg"
	}
	b.WriteString("BT /" + n.font + " " + num(size) + " Tf " + color + " 1 0 0 1 " + num(x) + " " + num(y) + " Tm ")
	pdfString(&b, label)
	b.WriteString(" Tj ET\nEMC\n")

	if mark != "" {
		// Along the diagonal, about two thirds of it long, centred.
		diag := math.Hypot(w, h)
		fs := math.Min(0.66*diag/width(mark, fontBold, 1), math.Min(w, h)/4)
		angle := math.Atan2(h, w)
		cos, sin := math.Cos(angle), math.Sin(angle)
		mw := width(mark, fontBold, fs)
		b.WriteString("/Artifact <</Type /Pagination /Subtype /Watermark>> BDC\n")
		b.WriteString("q /" + n.gsMark + " gs " + num4(cos) + " " + num4(sin) + " " + num4(-sin) + " " + num4(cos) + " " + num(w/2) + " " + num(h/2) + " cm\n")
		b.WriteString("BT /" + n.bold + " " + num(fs) + " Tf 0.7 0 0 rg 1 0 0 1 " + num(-mw/2) + " " + num(-0.35*fs) + " Tm ")
		pdfString(&b, mark)
		b.WriteString(" Tj ET Q\nEMC\n")
	}
	b.WriteString("Q\n")
	return []byte(b.String())
}

// orient returns the visible width and height of a page with box and
// rotation rot as displayed, and the matrix that maps those upright
// coordinates into the page's user space.
func orient(box *types.Rectangle, rot int) (w, h float64, cm string) {
	x0, y0, bw, bh := box.LL.X, box.LL.Y, box.Width(), box.Height()
	switch rot {
	case 90:
		return bh, bw, "0 1 -1 0 " + num(x0+bw) + " " + num(y0)
	case 180:
		return bw, bh, "-1 0 0 -1 " + num(x0+bw) + " " + num(y0+bh)
	case 270:
		return bh, bw, "0 -1 1 0 " + num(x0) + " " + num(y0+bh)
	}
	return bw, bh, "1 0 0 1 " + num(x0) + " " + num(y0)
}

func num4(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// stream adds a Flate-compressed content stream, reusing one compressor:
// pdfcpu's own encoder allocates a new one per stream.
func (s *stamper) stream(content []byte) (types.IndirectRef, error) {
	s.buf.Reset()
	if s.zw == nil {
		s.zw = zlib.NewWriter(&s.buf)
	} else {
		s.zw.Reset(&s.buf)
	}
	if _, err := s.zw.Write(content); err != nil {
		return types.IndirectRef{}, err
	}
	if err := s.zw.Close(); err != nil {
		return types.IndirectRef{}, err
	}
	raw := bytes.Clone(s.buf.Bytes())
	n := int64(len(raw))
	sd := types.NewStreamDict(types.Dict{"Filter": types.Name("FlateDecode"), "Length": types.Integer(n)}, 0, &n, nil, []types.PDFFilter{{Name: "FlateDecode"}})
	sd.Content, sd.Raw = content, raw
	ref, err := s.xt.IndRefForNewObject(sd)
	if err != nil {
		return types.IndirectRef{}, err
	}
	return *ref, nil
}
