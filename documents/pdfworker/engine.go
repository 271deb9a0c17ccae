package pdfworker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	pdfium "github.com/klippa-app/go-pdfium"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/ratsmappe/ratsmappe/documents"
)

var disableConfigDir sync.Once

// engine does the work inside a worker process: one PDFium instance,
// created on first use and reused for every file.
type engine struct {
	cfg  ServeConfig
	pool pdfium.Pool
	inst pdfium.Pdfium
	ocr  *ocr
}

func newEngine(cfg ServeConfig) *engine {
	disableConfigDir.Do(api.DisableConfigDir)
	return &engine{cfg: cfg, ocr: newOCR(cfg.Log)}
}

func (e *engine) instance() (pdfium.Pdfium, error) {
	if e.inst != nil {
		return e.inst, nil
	}
	rc := wazero.NewRuntimeConfig().
		WithCoreFeatures(wapi.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling)
	if e.cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(e.cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	if e.cfg.MemoryLimit > 0 {
		// PDFium's linear memory may use half of the cap; a bigger need
		// fails inside PDFium (an error for this file) before the
		// watchdog has to kill the process.
		pages := e.cfg.MemoryLimit / 2 / 65536
		if pages > 65536 {
			pages = 65536
		}
		rc = rc.WithMemoryLimitPages(uint32(pages))
	}
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle:       1,
		MaxIdle:       1,
		MaxTotal:      1,
		FSConfig:      wazero.NewFSConfig(), // nothing of the host is mounted
		RuntimeConfig: rc,
		Stdout:        os.Stderr, // stdout is the reply channel
		Stderr:        os.Stderr,
	})
	if err != nil {
		return nil, fmt.Errorf("start pdfium: %w", err)
	}
	inst, err := pool.GetInstance(time.Minute)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("start pdfium: %w", err)
	}
	e.pool, e.inst = pool, inst
	return inst, nil
}

// reset drops the PDFium instance after a failure that may have left it in
// a bad state; the next file gets a fresh one.
func (e *engine) reset() {
	if e.inst != nil {
		e.inst.Close()
	}
	if e.pool != nil {
		e.pool.Close()
	}
	e.inst, e.pool = nil, nil
}

func (e *engine) close() { e.reset() }

// pdfcpuConfig is the explicit pdfcpu configuration for untrusted input:
// relaxed validation (real-world files are rarely strictly valid), limits
// well below pdfcpu's defaults but above what council documents need, no
// optimisation (it rewrites content we want to keep as it is).
func pdfcpuConfig() *model.Configuration {
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Optimize = false
	conf.OptimizeBeforeWriting = false
	conf.OptimizeResourceDicts = false
	conf.OptimizeDuplicateContentStreams = false
	conf.DecodeAllStreams = false
	conf.PostProcessValidate = false
	conf.ValidateLinks = false
	conf.WriteObjectStream = true
	conf.WriteXRefStream = true
	conf.Offline = true
	const mb = 1 << 20
	conf.Limits = model.ResourceLimits{
		MaxStreamBytes:       200 * mb,
		MaxDecodeBytes:       256 * mb,
		MaxImagePixels:       64 * mb,
		MaxImageBytes:        256 * mb,
		MaxObjectCount:       2_000_000,
		MaxObjectStreamCount: 200_000,
		MaxObjectStreamFirst: 4 * mb,
		MaxXRefEntries:       2_000_000,
		MaxRecursionDepth:    64,
	}
	return conf
}

// readPDFCPU parses and validates b with pdfcpu, turning its panics into
// errors.
func readPDFCPU(b []byte) (ctx *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, fmt.Errorf("pdfcpu panic: %v", r)
		}
	}()
	ctx, err = api.ReadContext(bytes.NewReader(b), pdfcpuConfig())
	if err != nil {
		return nil, err
	}
	if err := api.ValidateContext(ctx); err != nil {
		return nil, err
	}
	return ctx, nil
}

func writePDFCPU(ctx *model.Context, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdfcpu panic while writing: %v", r)
		}
	}()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := api.WriteContext(ctx, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// isLimit reports whether err is pdfcpu refusing a resource limit.
func isLimit(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "limit exceeded") || strings.Contains(s, "exceeds limit") ||
		strings.Contains(s, "too large") || strings.Contains(s, "recursion")
}

// process runs one job. It never panics: a Go panic anywhere becomes a
// "damaged" rejection and a fresh PDFium instance for the next file.
func (e *engine) process(ctx context.Context, j job) (r reply) {
	size := 0
	defer func() {
		if p := recover(); p != nil {
			e.reset()
			r = rejectf(documents.RejectDamaged, "panic: %v", p)
		}
		// Give memory back after a big file: a long-lived worker should
		// not keep the peak of its biggest file. (Not after every file:
		// a forced collection costs more than a small file's work.)
		if size > 16<<20 {
			debug.FreeOSMemory()
		}
	}()
	data, err := os.ReadFile(j.Input)
	size = len(data)
	if err != nil {
		return rejectf(documents.RejectDamaged, "read input: %v", err)
	}
	if e.cfg.TestHooks && bytes.HasPrefix(data, []byte("%TESTHOOK:")) {
		hook, _, _ := strings.Cut(string(data[len("%TESTHOOK:"):]), "\n")
		testHook(strings.TrimSpace(hook))
	}
	if i := bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-")); i < 0 {
		return rejectf(documents.RejectNotPDF, "no %%PDF- header")
	}
	inst, err := e.instance()
	if err != nil {
		// Not the file's fault, but without PDFium nothing can be
		// checked: refuse rather than pass it through unchecked.
		e.reset()
		return rejectf(documents.RejectCrashed, "%v", err)
	}

	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		switch {
		case errors.Is(err, pdfiumerrors.ErrPassword), errors.Is(err, pdfiumerrors.ErrSecurity):
			return rejectf(documents.RejectEncrypted, "%v", err)
		case isOOM(err):
			e.reset()
			return rejectf(documents.RejectResourceLimit, "%v", err)
		}
		return rejectf(documents.RejectDamaged, "pdfium open: %v", err)
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return rejectf(documents.RejectDamaged, "page count: %v", err)
	}
	if pc.PageCount == 0 {
		return rejectf(documents.RejectEmpty, "no pages")
	}
	encrypted := false
	if sec, err := inst.FPDF_GetSecurityHandlerRevision(&requests.FPDF_GetSecurityHandlerRevision{Document: doc.Document}); err == nil && sec.SecurityHandlerRevision != -1 {
		encrypted = true
	}

	// pdfcpu reads the file as it is; if it cannot (or the file is
	// encrypted, which pdfcpu would write back encrypted), PDFium writes
	// a repaired, decrypted copy and pdfcpu reads that.
	var pctx *model.Context
	repaired := false
	if !encrypted {
		pctx, err = readPDFCPU(data)
	}
	if pctx == nil {
		if err != nil && isLimit(err) {
			return rejectf(documents.RejectResourceLimit, "pdfcpu: %v", err)
		}
		fixed, serr := e.resave(inst, doc.Document)
		if serr != nil {
			return rejectf(documents.RejectDamaged, "pdfcpu: %v; pdfium re-save: %v", err, serr)
		}
		repaired = !encrypted
		pctx, err = readPDFCPU(fixed)
		if err != nil {
			if isLimit(err) {
				return rejectf(documents.RejectResourceLimit, "pdfcpu after repair: %v", err)
			}
			return rejectf(documents.RejectDamaged, "pdfcpu after repair: %v", err)
		}
	}
	removed := sanitize(pctx)
	if err := writePDFCPU(pctx, j.Output); err != nil {
		return rejectf(documents.RejectDamaged, "write rendition: %v", err)
	}
	pctx = nil

	// The rendition must open and have every page: nothing is lost
	// silently. Its text is the original's — sanitizing changes no
	// content stream — so it is read from the document already open.
	if n, err := e.pageCount(inst, j.Output); err != nil {
		return rejectf(documents.RejectDamaged, "read rendition: %v", err)
	} else if n != pc.PageCount {
		return rejectf(documents.RejectDamaged, "rendition has %d pages, original %d", n, pc.PageCount)
	}
	pages := e.extract(inst, doc.Document, pc.PageCount)
	if j.OCR {
		e.ocrPages(ctx, inst, doc.Document, pages)
	}
	return reply{Pages: pages, Sanitized: removed, Repaired: repaired}
}

func isOOM(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "out of memory") || strings.Contains(s, "memory limit")
}

// resave writes doc through PDFium without encryption: PDFium reads much
// broken input that pdfcpu refuses, and writes it back well-formed.
func (e *engine) resave(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) ([]byte, error) {
	var buf bytes.Buffer
	_, err := inst.FPDF_SaveAsCopy(&requests.FPDF_SaveAsCopy{
		Document:   doc,
		Flags:      requests.SaveFlagRemoveSecurity,
		FileWriter: &buf,
	})
	if err != nil {
		return nil, err
	}
	if buf.Len() == 0 {
		return nil, errors.New("empty copy")
	}
	return buf.Bytes(), nil
}

// pageCount opens the PDF at path and returns its number of pages.
func (e *engine) pageCount(inst pdfium.Pdfium, path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &b})
	if err != nil {
		return 0, err
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return 0, err
	}
	return pc.PageCount, nil
}

// extract reads the sizes and texts of the n pages of doc.
func (e *engine) extract(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, n int) []documents.Page {
	pages := make([]documents.Page, n)
	for i := range pages {
		page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: i}}
		pages[i].Number = i + 1
		if sz, err := inst.GetPageSize(&requests.GetPageSize{Page: page}); err == nil {
			pages[i].Width, pages[i].Height = round2(sz.Width), round2(sz.Height)
		}
		txt, err := pageText(inst, page)
		if err != nil {
			// A page whose text cannot be read keeps its place,
			// without text.
			e.cfg.Log.Debug("page text", "page", i+1, "err", err)
			continue
		}
		pages[i].Text = cleanText(txt)
	}
	return pages
}

// pageText returns the text of page in one call into PDFium (go-pdfium's
// GetPageText makes one call per character, several times slower).
func pageText(inst pdfium.Pdfium, page requests.Page) (string, error) {
	tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: page})
	if err != nil {
		return "", err
	}
	defer inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	n, err := inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil || n.Count <= 0 {
		return "", err
	}
	t, err := inst.FPDFText_GetText(&requests.FPDFText_GetText{TextPage: tp.TextPage, StartIndex: 0, Count: n.Count})
	if err != nil {
		return "", err
	}
	return t.Text, nil
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// cleanText normalises PDFium's page text: \r\n line ends become \n, and
// NUL and other control characters except \n, \t and \f are dropped.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff:
			return -1
		}
		return r
	}, s)
}

// testHook misbehaves on purpose, for the pool's tests.
func testHook(what string) {
	switch what {
	case "panic-goroutine":
		done := make(chan struct{})
		go func() { panic("test hook: panic in another goroutine") }()
		<-done
	case "hang":
		select {}
	case "spin":
		for {
		}
	case "alloc":
		var keep [][]byte
		for {
			b := make([]byte, 16<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	case "exit":
		os.Exit(3)
	case "recurse":
		var f func(int) int
		f = func(n int) int { return f(n+1) + 1 }
		f(0)
	}
}
