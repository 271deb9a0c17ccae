package pdfworker_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
)

// manyPagesPDF has n pages that share one content stream and one
// resource dictionary, in a page tree of nodes of 1,000 pages: 100,000
// pages weigh 13 MB.
func manyPagesPDF(n int) []byte {
	const per = 1000
	objs := []string{
		`<< /Type /Catalog /Pages 2 0 R >>`,
		"", // 2: the root node, below
		stream("", "BT /F1 12 Tf 72 720 Td (Eine Seite von vielen) Tj ET"),
		`<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>`,
	}
	var nodes []string
	for start := 0; start < n; start += per {
		count := min(per, n-start)
		node := len(objs) + 1
		kids := make([]string, count)
		for i := range kids {
			kids[i] = strconv.Itoa(node+1+i) + " 0 R"
		}
		objs = append(objs, fmt.Sprintf("<< /Type /Pages /Parent 2 0 R /Count %d /Kids [%s] >>", count, strings.Join(kids, " ")))
		page := fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources 4 0 R >>", node)
		for range count {
			objs = append(objs, page)
		}
		nodes = append(nodes, strconv.Itoa(node)+" 0 R")
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Count %d /Kids [%s] >>", n, strings.Join(nodes, " "))
	return buildPDF(objs)
}

// pageTree returns the root node of a page tree of n pages, objects
// 3 to n+2, each of them page.
func pageTree(n int, page string) []string {
	kids := make([]string, n)
	objs := []string{""}
	for i := range kids {
		kids[i] = strconv.Itoa(3+i) + " 0 R"
		objs = append(objs, page)
	}
	objs[0] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
	return objs
}

// imagePDF has pages that each show one image XObject claiming w×h
// pixels, whose data is a few bytes of Flate.
func imagePDF(w, h, pages int) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1024))
	zw.Close()
	objs := append([]string{`<< /Type /Catalog /Pages 2 0 R >>`}, pageTree(pages,
		fmt.Sprintf(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources << /XObject << /Im1 %d 0 R >> >> >>`, pages+3, pages+4))...)
	return buildPDF(append(objs,
		stream("", "q 500 0 0 700 48 71 cm /Im1 Do Q"),
		stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", w, h), z.String()),
	))
}

// bombPDF has pages that share one content stream of size bytes of
// spaces, compressed to a thousandth of that.
func bombPDF(size, pages int) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write([]byte("BT /F1 12 Tf 72 720 Td (Bombe) Tj ET"))
	zw.Write(bytes.Repeat([]byte(" "), size))
	zw.Close()
	objs := append([]string{`<< /Type /Catalog /Pages 2 0 R >>`}, pageTree(pages,
		fmt.Sprintf(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R
		   /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>`, pages+3))...)
	return buildPDF(append(objs, stream("/Filter /FlateDecode", z.String())))
}

// Files over a limit are refused with resource_limit and a message that
// names the limit; files just within it are accepted. Files of 20 pages
// are refused the same way while a second PDFium instance already reads
// their text (a lone file of 16 pages and more).
func TestLimits(t *testing.T) {
	p := newPool(t, func(c *pdfworker.Config) {
		c.MaxPages = 50
		c.MaxDecodedBytes = 4_000_000
		c.OCR = false // OCR would render the images: slow, and not what is tested
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		data []byte
		want string // "accepted", or the start of the German message
	}{
		{"50-pages.pdf", manyPagesPDF(50), "accepted"},
		{"51-pages.pdf", manyPagesPDF(51), "Das PDF hat mehr als 50 Seiten."},
		{"image-60000x60000.pdf", imagePDF(60000, 60000, 1), "Das PDF enthält ein Bild mit mehr als 200 Megapixeln."},
		{"image-5000x5000.pdf", imagePDF(5000, 5000, 1), "accepted"},
		{"bomb-8MB.pdf", bombPDF(8_000_000, 1), "Die Inhalte des PDFs sind entpackt größer als 4 MB."},
		{"bomb-2MB.pdf", bombPDF(2_000_000, 1), "accepted"},
		{"image-60000x60000-20-pages.pdf", imagePDF(60000, 60000, 20), "Das PDF enthält ein Bild mit mehr als 200 Megapixeln."},
		{"bomb-8MB-20-pages.pdf", bombPDF(8_000_000, 20), "Die Inhalte des PDFs sind entpackt größer als 4 MB."},
		{"bomb-2MB-20-pages.pdf", bombPDF(2_000_000, 20), "accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := p.Ingest(ctx, writeFile(t, tc.name, tc.data))
			if tc.want == "accepted" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				os.Remove(res.RenditionPath)
				return
			}
			rej := documents.RejectionOf(err)
			if rej == nil {
				t.Fatalf("got %v, want a rejection", err)
			}
			if got, want := rej.Reason, documents.RejectResourceLimit; got != want {
				t.Errorf("code %s, want %s (%v)", got, want, err)
			}
			if !strings.HasPrefix(rej.Message, tc.want) || rej.MessageEN == "" {
				t.Errorf("message %q / %q, want %q…", rej.Message, rej.MessageEN, tc.want)
			}
		})
	}
}

// A file of 100,000 pages is refused by the default page limit from its
// page tree, before anything parses its pages, and the pool's parent (the
// server) stays small meanwhile: the review saw a server at 546 MB after
// such a file was accepted.
func TestHundredThousandPages(t *testing.T) {
	path := writeFile(t, "100k.pdf", manyPagesPDF(100_000))
	p := newPool(t, func(c *pdfworker.Config) { c.Workers = 1 })
	ctx := context.Background()
	// A worker that runs, so that its start is not part of the figure.
	if res, err := p.Ingest(ctx, writeFile(t, "small.pdf", manyPagesPDF(1))); err != nil {
		t.Fatal(err)
	} else {
		os.Remove(res.RenditionPath)
	}
	before := residentKB(t, "VmRSS")
	var peak int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, residentKB(t, "VmRSS"))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	_, err := p.Ingest(ctx, path)
	close(done)
	wg.Wait()
	rej := documents.RejectionOf(err)
	if rej == nil || rej.Reason != documents.RejectResourceLimit {
		t.Fatalf("got %v, want resource_limit", err)
	}
	if !strings.Contains(rej.Message, "10.000 Seiten") || !strings.Contains(rej.MessageEN, "10,000 pages") {
		t.Errorf("messages %q / %q do not name the limit", rej.Message, rej.MessageEN)
	}
	t.Logf("parent resident: %d MB before, %d MB at most while the worker had the file", before>>10, peak>>10)
	if peak > 300<<10 {
		t.Errorf("parent resident %d MB while the worker parsed the file, limit 300 MB", peak>>10)
	}
	if peak-before > 64<<10 {
		t.Errorf("parent grew by %d MB while the worker parsed the file", (peak-before)>>10)
	}
}

// residentKB returns a field of /proc/self/status (VmRSS, VmHWM) in kB.
func residentKB(t testing.TB, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
