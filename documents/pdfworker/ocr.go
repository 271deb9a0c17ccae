package pdfworker

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math"
	"os/exec"
	"strings"
	"time"

	pdfium "github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"

	"github.com/ratsmappe/ratsmappe/documents"
)

// OCR settings. 200 dpi reads ordinary print as well as 300 dpi does (both
// miss a few words on a typical council page) at less than half the time,
// about 1.2 s per A4 page here.
const (
	ocrDPI       = 200
	ocrMaxPixels = 16 << 20         // a poster-sized page is rendered at a lower resolution
	ocrTimeout   = 30 * time.Second // per page
	// OCR stops this long before the file's deadline, to leave time for
	// stopping the last tesseract, the reply and its transfer: a fifth
	// of the time left when OCR begins, within these bounds. On a loaded
	// machine (a CI run at a load of 10 on two cores) a fixed 1.5 s was
	// sometimes not enough, and the whole file was refused for a timeout.
	ocrReserveMin = 1500 * time.Millisecond
	ocrReserveMax = 5 * time.Second
	// ocrMaxObjects bounds the search for an image on a page.
	ocrMaxObjects = 5000
)

// ocr runs tesseract on rendered pages.
type ocr struct {
	bin  string // absolute path
	lang string // e.g. "deu"
}

// ocrPages OCRs the pages of doc that have no text but show an image (a
// scan), filling in their text and marking it. It stops before deadline
// (if not zero): a long scanned file keeps the pages it got through, the
// rest stays without text, and the file is still accepted in time. It
// returns the number of pages that got text.
func (e *engine) ocrPages(ctx context.Context, inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, pages []documents.Page, deadline time.Time) int {
	done := 0
	reserve := ocrReserveMin
	if !deadline.IsZero() {
		reserve = min(max(time.Until(deadline)/5, ocrReserveMin), ocrReserveMax)
	}
	for i := range pages {
		if strings.TrimSpace(pages[i].Text) != "" {
			continue
		}
		// The time left is measured again after rendering, which takes
		// a while on a loaded machine.
		timeout, ok := ocrTimeLeft(deadline, reserve)
		if !ok {
			e.cfg.Log.Warn("OCR stopped at the file's deadline", "page", i+1, "pages", len(pages))
			break
		}
		if !e.hasImage(inst, doc, i) {
			continue
		}
		pgm, dpi, err := e.renderGray(inst, doc, i, pages[i])
		if err != nil {
			e.cfg.Log.Warn("OCR: render", "page", i+1, "err", err)
			continue
		}
		if timeout, ok = ocrTimeLeft(deadline, reserve); !ok {
			e.cfg.Log.Warn("OCR stopped at the file's deadline", "page", i+1, "pages", len(pages))
			break
		}
		text, err := e.ocr.run(ctx, pgm, dpi, timeout)
		if err != nil {
			e.cfg.Log.Warn("OCR failed", "page", i+1, "err", err)
			continue
		}
		if text = strings.TrimSpace(cleanText(text)); text != "" {
			pages[i].Text, pages[i].OCR = text, true
			done++
		}
	}
	return done
}

// ocrTimeLeft returns the time tesseract may take on a page before
// deadline (zero: no deadline), false if too little is left.
func ocrTimeLeft(deadline time.Time, reserve time.Duration) (time.Duration, bool) {
	if deadline.IsZero() {
		return ocrTimeout, true
	}
	left := time.Until(deadline) - reserve
	return min(ocrTimeout, left), left >= time.Second
}

// hasImage reports whether page i shows an image or a form XObject (which
// may hold one); a page of only vector graphics has no text to recognise.
func (e *engine) hasImage(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, i int) bool {
	lp, err := inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: doc, Index: i})
	if e.check(err) != nil {
		return false
	}
	defer inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: lp.Page})
	page := requests.Page{ByReference: &lp.Page}
	cnt, err := inst.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: page})
	if e.check(err) != nil {
		return false
	}
	for k := 0; k < min(cnt.Count, ocrMaxObjects); k++ {
		obj, err := inst.FPDFPage_GetObject(&requests.FPDFPage_GetObject{Page: page, Index: k})
		if e.check(err) != nil {
			return false
		}
		t, err := inst.FPDFPageObj_GetType(&requests.FPDFPageObj_GetType{PageObject: obj.PageObject})
		if e.check(err) != nil {
			return false
		}
		if t.Type == enums.FPDF_PAGEOBJ_IMAGE || t.Type == enums.FPDF_PAGEOBJ_FORM {
			return true
		}
	}
	return false
}

// renderGray renders page i in grey and returns it as a binary PGM, which
// tesseract reads from stdin without any encoding work, and its resolution.
func (e *engine) renderGray(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, i int, p documents.Page) ([]byte, int, error) {
	dpi := ocrDPI
	if p.Width > 0 && p.Height > 0 {
		if px := p.Width / 72 * p.Height / 72 * float64(dpi*dpi); px > ocrMaxPixels {
			dpi = int(float64(dpi) * math.Sqrt(ocrMaxPixels/px))
		}
	}
	if dpi < 30 {
		return nil, 0, fmt.Errorf("page of %vx%v pt is too large to render", p.Width, p.Height)
	}
	res, err := inst.RenderPageInDPI(&requests.RenderPageInDPI{
		Page:        requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: i}},
		DPI:         dpi,
		ImageFormat: requests.RenderImageFormatGrayscale,
	})
	if e.check(err) != nil {
		return nil, 0, err
	}
	defer res.Cleanup() // the pixels live in PDFium's memory until then
	g, ok := res.Result.RenderedImage.(*image.Gray)
	if !ok {
		return nil, 0, fmt.Errorf("rendered %T, want *image.Gray", res.Result.RenderedImage)
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var buf bytes.Buffer
	buf.Grow(w*h + 32)
	fmt.Fprintf(&buf, "P5\n%d %d\n255\n", w, h)
	for y := 0; y < h; y++ {
		off := g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y)
		buf.Write(g.Pix[off : off+w])
	}
	return buf.Bytes(), dpi, nil
}

// run recognises the text of a PGM image.
func (o *ocr) run(ctx context.Context, pgm []byte, dpi int, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := []string{"stdin", "stdout", "--psm", "3", "--dpi", fmt.Sprint(dpi)}
	if o.lang != "" {
		args = append(args, "-l", o.lang)
	}
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.Stdin = bytes.NewReader(pgm)
	// Its own environment, not the worker's: nothing but its settings.
	cmd.Env = ocrEnv()
	// tesseract stays in the worker's process group, which the parent
	// kills as a whole, and dies with the worker.
	cmd.SysProcAttr = ocrProcAttr()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("tesseract: over %v", timeout)
		}
		return "", fmt.Errorf("tesseract: %v: %.200s", err, errb.String())
	}
	return out.String(), nil
}
