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
	"sync/atomic"
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
	"github.com/tetratelabs/wazero/sys"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/pdfcpuconf"
)

// engine does the work inside a worker process: one PDFium instance,
// created once and reused for every file, recreated only after a failure
// that may have left it in a bad state.
type engine struct {
	cfg    ServeConfig
	mem    *wasmMemory
	pool   pdfium.Pool
	inst   pdfium.Pdfium
	extra  []pdfium.Pdfium // more instances, for reading one file's text in parallel
	ocr    *ocr
	broken bool // PDFium trapped during the current job
	// early, if set, tells the parent that the current job's rendition
	// is written and checked (job.Early).
	early func()
}

func newEngine(cfg ServeConfig) *engine {
	e := &engine{cfg: cfg, mem: &wasmMemory{}}
	if cfg.MemoryLimit > 0 {
		// PDFium's linear memory may use half of the cap; a bigger need
		// fails inside PDFium (a resource_limit for this file) before the
		// parent's watchdog has to kill the process.
		e.mem.limit = uint64(cfg.MemoryLimit / 2)
	}
	if cfg.Tesseract != "" {
		e.ocr = &ocr{bin: cfg.Tesseract, lang: cfg.OCRLanguage}
	}
	return e
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
	// No WithMemoryLimitPages: the limit is enforced by e.mem, which then
	// knows that it was hit.
	pool, err := webassembly.Init(webassembly.Config{
		Context:       experimental.WithMemoryAllocator(context.Background(), e.mem),
		MinIdle:       1,
		MaxIdle:       maxParallel,
		MaxTotal:      maxParallel,
		ReuseWorkers:  true,
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

// reset drops the PDFium instances; the next file gets fresh ones.
func (e *engine) reset() {
	for _, x := range e.extra {
		x.Close()
	}
	e.extra = nil
	if e.inst != nil {
		e.inst.Close()
	}
	if e.pool != nil {
		e.pool.Close()
	}
	e.inst, e.pool = nil, nil
}

func (e *engine) close() { e.reset() }

// readPDFCPU parses and validates b with pdfcpu, turning its panics into
// errors. Validation is needed, not only a check: it completes the model
// (the page tree above all) that pdfcpu's writer relies on.
func readPDFCPU(b []byte) (ctx *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, fmt.Errorf("pdfcpu panic: %v", r)
		}
	}()
	ctx, err = api.ReadContext(bytes.NewReader(b), pdfcpuconf.New())
	if err != nil {
		return nil, err
	}
	if err := api.ValidateContext(ctx); err != nil {
		return nil, err
	}
	return ctx, nil
}

// writePDFCPU writes ctx to path. pdfcpu writes only the objects reachable
// from the catalog, the info dictionary and the trailer, so what the
// sanitizer unlinked is not in the output.
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

// trapped reports whether err comes from the WebAssembly runtime rather
// than from PDFium: a trap (unreachable, out-of-bounds access, PDFium's
// abort on a failed allocation), an exit, or a recovered panic. The
// instance may then be in a bad state.
func trapped(err error) bool {
	if err == nil {
		return false
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return true
	}
	s := err.Error()
	for _, sign := range []string{"wasm error", "wasm stack trace", "recovered by wazero", "panic occurred in", "module closed", "instance is closed"} {
		if strings.Contains(s, sign) {
			return true
		}
	}
	return false
}

// check notes a trap in err and returns err.
func (e *engine) check(err error) error {
	if trapped(err) {
		e.broken = true
	}
	return err
}

// process runs one job. It never panics, and a failure of PDFium or of
// the runtime costs this file, not the next: the instance is recreated.
func (e *engine) process(ctx context.Context, j job) (r reply) {
	start := time.Now()
	size := 0
	e.broken = false
	e.mem.exceeded.Store(false)
	defer func() {
		if p := recover(); p != nil {
			e.broken = true
			r = rejectf(documents.RejectCrashed, "panic: %v\n%s", p, debug.Stack())
		}
		switch {
		case r.Limit != "" && e.mem.exceeded.Load():
			// A limit refused the file (pages, image pixels, decoded
			// streams) while a helper read its text and PDFium's memory
			// ran full: the limit's refusal stands, as it did before
			// helpers started early, but the worker goes.
			r.Retire = true
		case r.Code != "" && e.mem.exceeded.Load():
			// PDFium's memory is at its limit: whatever failed, it
			// failed for lack of memory. The instance keeps the memory,
			// so the worker should go.
			r = rejectf(documents.RejectResourceLimit, "PDFium memory limit of %d MiB: %s", e.mem.limit>>20, r.Detail)
			r.Retire = true
		case e.broken && r.Code != documents.RejectCrashed:
			// PDFium trapped (abort, unreachable, out-of-bounds
			// access): the parser crashed on this file, whatever step
			// noticed it.
			r = rejectf(documents.RejectCrashed, "PDFium trapped: %s", r.Detail)
		}
		if e.broken || e.mem.exceeded.Load() {
			e.reset()
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
		return reply{Error: fmt.Sprintf("read input: %v", err)}
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
		// Not the file's fault: the parent may try again.
		return reply{Error: err.Error(), Retire: true}
	}

	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		switch {
		case errors.Is(err, pdfiumerrors.ErrPassword), errors.Is(err, pdfiumerrors.ErrSecurity):
			return rejectf(documents.RejectEncrypted, "%v", err)
		case trapped(err):
			e.broken = true
			return rejectf(documents.RejectCrashed, "pdfium open: %v", err)
		}
		return rejectf(documents.RejectDamaged, "pdfium open: %v", err)
	}
	defer func() {
		if !e.broken {
			inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
		}
	}()
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if e.check(err) != nil {
		return rejectf(documents.RejectDamaged, "page count: %v", err)
	}
	if pc.PageCount == 0 {
		return rejectf(documents.RejectEmpty, "no pages")
	}
	// The page count comes from the page tree: refusing here costs a
	// file with a million pages no more than opening it.
	if r, over := pagesOver(j, pc.PageCount, "page tree"); over {
		return r
	}
	// It opened without a password; if it is encrypted nevertheless, it
	// has only an owner password (permissions). PDFium decrypts it.
	encrypted := false
	if sec, err := inst.FPDF_GetSecurityHandlerRevision(&requests.FPDF_GetSecurityHandlerRevision{Document: doc.Document}); err == nil && sec.SecurityHandlerRevision != -1 {
		encrypted = true
	}

	// More instances, if the job may use them, start reading the text
	// now, while this goroutine has pdfcpu check, sanitize and write the
	// file (pure Go, no instance): the other core is not idle meanwhile.
	// Until this instance joins them, pdfcpu's verdict comes first: a
	// file refused by it is refused as before, whatever the helpers met
	// (a helper that trapped is dropped; a limit's refusal stands even if
	// a helper filled PDFium's memory).
	rd := e.startReading(j, &data, pc.PageCount)
	defer rd.stop()

	// pdfcpu reads the file as it is; if it cannot (or the file is
	// encrypted, which pdfcpu would write back encrypted), PDFium writes
	// a repaired, decrypted copy and pdfcpu reads that.
	var pctx *model.Context
	repaired := false
	if !encrypted {
		pctx, err = readPDFCPU(data)
		if err != nil && isLimit(err) {
			return rejectf(documents.RejectResourceLimit, "pdfcpu: %v", err)
		}
	}
	if pctx == nil {
		fixed, serr := e.resave(inst, doc.Document)
		if e.check(serr) != nil {
			return rejectf(documents.RejectDamaged, "pdfcpu: %v; pdfium re-save: %v", err, serr)
		}
		repaired = !encrypted
		pctx, err = readPDFCPU(fixed)
		if err != nil {
			if isLimit(err) {
				return rejectf(documents.RejectResourceLimit, "pdfcpu after repair: %v", err)
			}
			// Such files break a rule pdfcpu holds to even when
			// relaxed (a font encoding name, a key too new for the
			// declared version, a page tree without counts). Writing
			// them unvalidated loses their pages.
			return rejectf(documents.RejectDamaged, "pdfcpu after repair: %v", err)
		}
	}
	// pdfcpu counts the pages by walking the tree, which a /Count that
	// lies does not fool.
	if r, over := pagesOver(j, pctx.PageCount, "pdfcpu"); over {
		return r
	}
	removed := sanitize(pctx)
	if r, over := checkLimits(pctx.XRefTable, j); over {
		return r
	}
	if encrypted || pctx.Encrypt != nil {
		// Never written back encrypted: readers get the plain file.
		pctx.Encrypt, pctx.EncKey, pctx.E = nil, nil, nil
		removed = appendSorted(removed, "Encryption")
	}
	if err := writePDFCPU(pctx, j.Output); err != nil {
		if isLimit(err) {
			return rejectf(documents.RejectResourceLimit, "write rendition: %v", err)
		}
		return rejectf(documents.RejectDamaged, "write rendition: %v", err)
	}
	pctx = nil

	// The rendition must open and have every page: nothing is lost
	// silently. Its text is the original's — sanitizing changes no
	// content stream — so it is read from the document already open.
	if n, err := e.pageCount(inst, j.Output); e.check(err) != nil {
		return rejectf(documents.RejectDamaged, "read rendition: %v", err)
	} else if n != pc.PageCount {
		return rejectf(documents.RejectDamaged, "rendition has %d pages, original %d", n, pc.PageCount)
	}
	if e.early != nil {
		e.early()
	}
	pages := rd.join(inst, doc.Document)
	if e.broken {
		return rejectf(documents.RejectCrashed, "PDFium trapped while extracting text")
	}
	ocrd := 0
	if j.OCR && e.ocr != nil {
		deadline := time.Time{}
		if j.BudgetMS > 0 {
			deadline = start.Add(time.Duration(j.BudgetMS) * time.Millisecond)
		}
		ocrd = e.ocrPages(ctx, inst, doc.Document, pages, deadline)
	}
	return reply{Pages: pages, Sanitized: removed, Repaired: repaired, OCRPages: ocrd}
}

func appendSorted(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	ss = append(ss, s)
	for i := len(ss) - 1; i > 0 && ss[i] < ss[i-1]; i-- {
		ss[i], ss[i-1] = ss[i-1], ss[i]
	}
	return ss
}

// resave writes doc through PDFium without encryption: PDFium reads much
// broken input that pdfcpu refuses, and writes it back well-formed. It
// declares PDF 1.7, so that pdfcpu does not refuse features newer than a
// file's (often wrong) header.
func (e *engine) resave(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) ([]byte, error) {
	var buf bytes.Buffer
	_, err := inst.FPDF_SaveWithVersion(&requests.FPDF_SaveWithVersion{
		Document:    doc,
		Flags:       requests.SaveFlagRemoveSecurity,
		FileVersion: 17,
		FileWriter:  &buf,
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

const (
	// maxParallel is the most PDFium instances a worker reads one file's
	// text with.
	maxParallel = 2
	// parallelMinPages is the fewest pages worth a second instance: it
	// opens the file again (parsing its cross-reference table), which a
	// short file does not win back.
	parallelMinPages = 16
	// parallelMaxSize is the largest file read by more than one instance:
	// each holds a copy of the file and its own page caches in its
	// linear memory, and both together must stay well within the
	// worker's memory cap.
	parallelMaxSize = 32 << 20
)

// helper is one more PDFium instance with the file open.
type helper struct {
	inst    pdfium.Pdfium
	doc     references.FPDF_DOCUMENT
	trapped bool
}

// helpers opens the file in the instances beyond the first that job j may
// use (see job.Parallel), starting them on first use. A helper that does
// not start or open the file is simply not used: the first instance reads
// every page then.
func (e *engine) helpers(j job, data *[]byte, pages int) []*helper {
	want := min(j.Parallel, maxParallel) - 1
	if want <= 0 || pages < parallelMinPages || len(*data) > parallelMaxSize {
		return nil
	}
	var hs []*helper
	for i := 0; i < want; i++ {
		if i == len(e.extra) {
			// From the compiled module already in memory: it needs no
			// file and nothing the sandbox denies.
			x, err := e.pool.GetInstance(10 * time.Second)
			if err != nil {
				e.cfg.Log.Debug("no second PDFium instance", "err", err)
				break
			}
			e.extra = append(e.extra, x)
		}
		x := e.extra[i]
		doc, err := x.OpenDocument(&requests.OpenDocument{File: data})
		if err != nil {
			if trapped(err) {
				// Not this file's crash yet: the first instance
				// opened it. Only this helper goes.
				x.Close()
				e.extra = e.extra[:i]
			}
			break
		}
		hs = append(hs, &helper{inst: x, doc: doc.Document})
	}
	return hs
}

// reading is the text of a file's n pages being read by PDFium
// instances, each taking the next page not yet taken: helpers (the file
// open in more instances) from startReading on, the first instance from
// join on.
type reading struct {
	e       *engine
	pages   []documents.Page
	next    atomic.Int64
	halt    atomic.Bool // stop taking pages: a trap, or the file is refused
	wg      sync.WaitGroup
	hs      []*helper // set by the helpers' goroutine before wg is done
	joined  bool      // join ran: the file's fate is the reading's
	stopped bool
}

// startReading starts the helpers job j may use reading the n pages of
// data, in the background. The engine's other instances are the
// reading's until join or stop returns.
func (e *engine) startReading(j job, data *[]byte, n int) *reading {
	rd := &reading{e: e, pages: make([]documents.Page, n)}
	for i := range rd.pages {
		rd.pages[i].Number = i + 1
	}
	if min(j.Parallel, maxParallel) <= 1 || n < parallelMinPages || len(*data) > parallelMaxSize {
		return rd
	}
	rd.wg.Add(1)
	go func() {
		defer rd.wg.Done()
		rd.hs = e.helpers(j, data, n)
		var wg sync.WaitGroup
		for _, h := range rd.hs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.trapped = !rd.read(h.inst, h.doc)
			}()
		}
		wg.Wait()
	}()
	return rd
}

// read takes pages until none is left or the reading halts; it reports
// false if PDFium trapped in inst.
func (rd *reading) read(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) bool {
	for !rd.halt.Load() {
		i := int(rd.next.Add(1) - 1)
		if i >= len(rd.pages) {
			return true
		}
		if !rd.e.extractPage(inst, doc, &rd.pages[i]) {
			rd.halt.Store(true)
			return false
		}
	}
	return true
}

// join reads the remaining pages with inst, where doc is the file open,
// waits for the helpers and returns the pages. A trap in any instance
// costs the file (e.broken).
func (rd *reading) join(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) []documents.Page {
	rd.joined = true
	if !rd.read(inst, doc) {
		rd.e.broken = true
	}
	rd.finish()
	return rd.pages
}

// stop halts the helpers of a reading not joined (the file is refused
// before its text is needed) and waits for them. A helper that trapped
// meanwhile is dropped, but the file's refusal stands. It is a no-op after
// join.
func (rd *reading) stop() {
	if rd.joined || rd.stopped {
		return
	}
	rd.halt.Store(true)
	rd.finish()
}

// finish waits for the helpers, closes their documents and drops the
// instances that trapped.
func (rd *reading) finish() {
	rd.stopped = true
	rd.wg.Wait()
	e := rd.e
	keep := e.extra[:0]
	for i, x := range e.extra {
		var h *helper
		if i < len(rd.hs) {
			h = rd.hs[i]
		}
		switch {
		case h != nil && h.trapped:
			if rd.joined {
				// Reading the file crashed PDFium: the file is refused
				// and every instance is recreated (e.reset).
				e.broken = true
				keep = append(keep, x)
				continue
			}
			x.Close()
			continue
		case h != nil:
			x.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: h.doc})
		}
		keep = append(keep, x)
	}
	e.extra = keep
}

// extractPage reads the size and text of page p of doc into p. It
// reports false if PDFium trapped; it may run in several goroutines at
// once, each with its own instance, so it does not touch e.broken.
func (e *engine) extractPage(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, p *documents.Page) bool {
	page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: p.Number - 1}}
	// Points, after /Rotate: PDFium swaps width and height of a page
	// turned by 90° or 270°.
	sz, err := inst.GetPageSize(&requests.GetPageSize{Page: page})
	if trapped(err) {
		return false
	}
	if err == nil {
		p.Width, p.Height = round2(sz.Width), round2(sz.Height)
	}
	txt, err := pageText(inst, page)
	if trapped(err) {
		return false
	}
	if err != nil {
		// A page whose text cannot be read keeps its place, without
		// text.
		e.cfg.Log.Debug("page text", "page", p.Number, "err", err)
		return true
	}
	p.Text = cleanText(txt)
	return true
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
// NUL and other control characters except \n and \t are dropped.
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
	case "exit-soon":
		// Answer this job, then die while idle: the parent must notice
		// before it hands the worker the next file.
		go func() {
			time.Sleep(200 * time.Millisecond)
			os.Exit(4)
		}()
	}
}
