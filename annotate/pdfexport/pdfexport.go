// Package pdfexport writes a member's annotations into a copy of a
// document version's PDF as real PDF annotations, so that any PDF viewer
// shows them: highlights (Highlight with QuadPoints where the reader
// recorded rectangles, else a Text note beside the text), notes (Text),
// drawings (Ink) and bookmarks (Text). It is the only part of package
// annotate that uses pdfcpu.
package pdfexport

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/color"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents/pdfcpuconf"
)

// config returns a fresh pdfcpu configuration (pdfcpu writes into it);
// see pdfcpuconf.
func config() *model.Configuration { return pdfcpuconf.New() }

// Page is the size of a page in PDF points.
type Page struct{ Width, Height float64 }

var (
	yellow = color.SimpleColor{R: 1, G: 0.85, B: 0.2}
	blue   = color.SimpleColor{R: 0.2, G: 0.4, B: 0.9}
	red    = color.SimpleColor{R: 0.8, G: 0, B: 0}
)

// Write copies the PDF in rs to w with anns added on their pages; pages
// gives the page sizes (for placing notes without coordinates). author
// becomes each annotation's title. Annotations on pages the PDF does not
// have are left out.
func Write(ctx context.Context, rs io.ReadSeeker, w io.Writer, anns []*annotate.Annotation, pages []Page, author string) (err error) {
	m := map[int][]model.AnnotationRenderer{}
	for _, a := range anns {
		p := a.Page()
		if p < 1 || p > len(pages) {
			continue
		}
		if r := render(a, pages[p-1], author); r != nil {
			m[p] = append(m[p], r)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdfcpu panic: %v\n%s", r, debug.Stack())
		}
	}()
	if len(m) == 0 {
		_, err := io.Copy(w, rs)
		return err
	}
	if err := api.AddAnnotationsMap(rs, w, m, config()); err != nil {
		return fmt.Errorf("export annotations: %w", err)
	}
	return nil
}

func render(a *annotate.Annotation, page Page, author string) model.AnnotationRenderer {
	id := strings.TrimPrefix(a.ID, "urn:uuid:")
	note := a.Note()
	q, hasQuote := a.Quote()
	switch a.Motivation {
	case annotate.Drawing:
		return ink(a, id, note, author)
	case annotate.Highlighting:
		if quads, rect, ok := quadPoints(a); ok {
			return model.NewHighlightAnnotation(rect, 0, note, id, "", model.AnnPrint, &yellow, 0, 0, 0, author, nil, nil, "", "Hervorhebung", quads)
		}
		contents := "„" + q.Exact + "“"
		if note != "" {
			contents += "\n\n" + note
		}
		return textNote(a, page, contents, id, author, "Comment", &yellow)
	case annotate.Bookmarking:
		contents := "Lesezeichen"
		if note != "" {
			contents += ": " + note
		}
		return textNote(a, page, contents, id, author, "Key", &blue)
	default: // commenting
		contents := note
		if hasQuote {
			contents = "„" + q.Exact + "“\n\n" + note
		}
		if quads, rect, ok := quadPoints(a); ok {
			return model.NewHighlightAnnotation(rect, 0, contents, id, "", model.AnnPrint, &yellow, 0, 0, 0, author, nil, nil, "", "Notiz", quads)
		}
		return textNote(a, page, contents, id, author, "Note", &yellow)
	}
}

// textNote places a Text annotation at the note's point, or in the left
// margin at the height where its text starts, or at the top of the page.
func textNote(a *annotate.Annotation, page Page, contents, id, author, icon string, col *color.SimpleColor) model.AnnotationRenderer {
	x, y := 8.0, page.Height-40
	found := false
	for _, s := range a.Target.Selector {
		if s.Type == annotate.PointSelector && s.X != nil && s.Y != nil {
			x, y, found = *s.X, *s.Y, true
		}
	}
	if !found {
		if start, _, ok := a.Position(); ok && a.Anchoring != nil {
			// No coordinates: a rough height from the position in the
			// page text, so notes keep their order down the page.
			frac := math.Min(1, float64(start)/3000)
			y = page.Height - 60 - frac*(page.Height-120)
		}
	}
	rect := types.NewRectangle(x, y-20, x+20, y)
	return model.NewTextAnnotation(*rect, 0, contents, id, "", model.AnnPrint|model.AnnNoZoom|model.AnnNoRotate, col, author, nil, nil, "", "Notiz", 0, 0, 0, false, icon)
}

func quadPoints(a *annotate.Annotation) (types.QuadPoints, types.Rectangle, bool) {
	var quads types.QuadPoints
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, s := range a.Target.Selector {
		if s.Type != annotate.RectSelector {
			continue
		}
		for _, r := range s.Rects {
			x0, y0, x1, y1 := math.Min(r[0], r[2]), math.Min(r[1], r[3]), math.Max(r[0], r[2]), math.Max(r[1], r[3])
			quads.AddQuadLiteral(*types.NewQuadLiteralForRect(types.NewRectangle(x0, y0, x1, y1)))
			minX, minY, maxX, maxY = math.Min(minX, x0), math.Min(minY, y0), math.Max(maxX, x1), math.Max(maxY, y1)
		}
	}
	if len(quads) == 0 {
		return nil, types.Rectangle{}, false
	}
	return quads, *types.NewRectangle(minX, minY, maxX, maxY), true
}

func ink(a *annotate.Annotation, id, note, author string) model.AnnotationRenderer {
	var paths []model.InkPath
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	width := 1.5
	col := red
	for _, b := range a.Body {
		for _, s := range b.Strokes {
			var p model.InkPath
			for _, pt := range s.Points {
				p = append(p, pt[0], pt[1])
				minX, minY, maxX, maxY = math.Min(minX, pt[0]), math.Min(minY, pt[1]), math.Max(maxX, pt[0]), math.Max(maxY, pt[1])
			}
			if len(p) == 2 { // a dot: a path needs two points
				p = append(p, p[0]+0.1, p[1])
			}
			paths = append(paths, p)
			if s.Width > 0 {
				width = s.Width
			}
			if c, ok := parseColor(s.Color); ok {
				col = c
			}
		}
	}
	if len(paths) == 0 {
		return nil
	}
	rect := types.NewRectangle(minX-width, minY-width, maxX+width, maxY+width)
	return model.NewInkAnnotation(*rect, 0, note, id, "", model.AnnPrint, &col, author, nil, nil, "", "Zeichnung", paths, width, model.BSSolid)
}

func parseColor(s string) (color.SimpleColor, bool) {
	var r, g, b int
	if len(s) != 7 {
		return color.SimpleColor{}, false
	}
	if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return color.SimpleColor{}, false
	}
	return color.SimpleColor{R: float32(r) / 255, G: float32(g) / 255, B: float32(b) / 255}, true
}

// Read returns the annotations of the PDF in rs, page by page, as
// (subtype, contents) pairs: for tests and tools that check an export.
func Read(rs io.ReadSeeker) (map[int][][2]string, error) {
	m, err := api.Annotations(rs, nil, config())
	if err != nil {
		return nil, err
	}
	out := map[int][][2]string{}
	for page, pa := range m {
		for typ, an := range pa {
			for _, r := range an.Map {
				out[page] = append(out[page], [2]string{model.AnnotTypeStrings[typ], r.Content()})
			}
		}
	}
	return out, nil
}
