package pdfworker

import (
	"bytes"
	"context"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	pdfium "github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"

	"github.com/ratsmappe/ratsmappe/documents"
)

// OCR limits: scanned council documents are a few dozen pages; a file
// with hundreds of image-only pages is OCRed up to maxOCRPages and the
// rest stays without text rather than blowing the file's deadline.
const (
	ocrDPI      = 200
	ocrTimeout  = 30 * time.Second // per page
	maxOCRPages = 40
)

// ocr runs tesseract, if it is installed.
type ocr struct {
	bin  string
	lang string
	log  *slog.Logger
}

func newOCR(log *slog.Logger) *ocr {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		log.Info("OCR is off: tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-deu)")
		return &ocr{log: log}
	}
	lang := "eng"
	if out, err := exec.Command(bin, "--list-langs").CombinedOutput(); err == nil && strings.Contains(string(out), "\ndeu") {
		lang = "deu+eng"
	} else {
		log.Info("OCR without German: tesseract-ocr-deu is not installed")
	}
	return &ocr{bin: bin, lang: lang, log: log}
}

// ocrPages OCRs the pages of doc that have no text but
// have content (a scan is one image object), filling in their text.
func (e *engine) ocrPages(ctx context.Context, inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, pages []documents.Page) {
	if e.ocr.bin == "" {
		return
	}
	var todo []int
	for i, p := range pages {
		if strings.TrimSpace(p.Text) == "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return
	}
	done := 0
	for _, i := range todo {
		if done >= maxOCRPages {
			break
		}
		lp, err := inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: doc, Index: i})
		if err != nil {
			continue
		}
		cnt, err := inst.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: requests.Page{ByReference: &lp.Page}})
		inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: lp.Page})
		if err != nil || cnt.Count == 0 {
			continue // a blank page
		}
		img, err := inst.RenderPageInDPI(&requests.RenderPageInDPI{
			Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: i}},
			DPI:  ocrDPI,
		})
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		err = png.Encode(&buf, img.Result.Image)
		img.Cleanup()
		if err != nil {
			continue
		}
		done++
		text, err := e.ocr.run(ctx, buf.Bytes())
		if err != nil {
			e.cfg.Log.Warn("OCR failed", "page", i+1, "err", err)
			continue
		}
		if text = strings.TrimSpace(cleanText(text)); text != "" {
			pages[i].Text, pages[i].OCR = text, true
		}
	}
}

func (o *ocr) run(ctx context.Context, png []byte) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, ocrTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.bin, "stdin", "stdout", "-l", o.lang, "--psm", "3")
	cmd.Stdin = bytes.NewReader(png)
	// One thread: the pool already runs one worker per core.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", err
	}
	return out.String(), nil
}
