package pdfworker

import (
	"bytes"
	"compress/zlib"
	"io"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/ratsmappe/ratsmappe/documents"
)

// overLimit is the reply that refuses a file over one of its limits (a
// documents.Limit… constant, whose allowed value is max).
func overLimit(limit string, max int64, format string, args ...any) reply {
	r := rejectf(documents.RejectResourceLimit, format, args...)
	r.Limit, r.LimitMax = limit, max
	return r
}

// checkLimits refuses a parsed file with an image larger than
// j.MaxImagePixels, or whose compressed streams other than images
// decompress to more than j.MaxDecodedBytes together. It looks at every
// object of the cross-reference table, so it must run after sanitize,
// which decodes the objects in object streams. over is true with the
// refusal in r.
//
// The pixel limit reads the dimensions an image claims, not its data: a
// few bytes can claim 60000×60000 pixels, which PDFium would allocate
// when it renders the page (for OCR). The decoded size is measured by
// inflating Flate streams into nothing, stopping at the budget, so a
// compression bomb costs at most the budget in time and nothing in
// memory; and only as long as the streams not yet inflated could still
// exceed the budget at Flate's largest ratio, so an ordinary file is
// inflated partly or not at all. Inline images in content streams are not
// counted: their data is part of the content stream.
func checkLimits(xt *model.XRefTable, j job) (r reply, over bool) {
	nums := make([]int, 0, len(xt.Table))
	for n := range xt.Table {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	type flateStream struct {
		obj   int
		sd    *types.StreamDict
		bound int64 // the most it can inflate to
	}
	var (
		flates  []flateStream
		decoded int64 // bytes decoded for sure
		bound   int64 // the most that flates can add
	)
	for _, n := range nums {
		e := xt.Table[n]
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		var sd *types.StreamDict
		switch o := e.Object.(type) {
		case types.StreamDict:
			sd = &o
		case *types.StreamDict:
			sd = o
		case types.ObjectStreamDict:
			// pdfcpu decoded it already, within its per-stream limit.
			decoded += int64(len(o.Content))
		case *types.ObjectStreamDict:
			decoded += int64(len(o.Content))
		}
		if sd == nil {
			continue
		}
		if st := sd.Subtype(); st != nil && *st == "Image" {
			if j.MaxImagePixels > 0 {
				w, h := dimension(xt, sd.Dict, "Width"), dimension(xt, sd.Dict, "Height")
				if w > 0 && h > 0 && w > j.MaxImagePixels/h {
					return overLimit(documents.LimitImagePixels, j.MaxImagePixels,
						"image object %d claims %d×%d pixels, limit %d", n, w, h, j.MaxImagePixels), true
				}
			}
			continue
		}
		if len(sd.FilterPipeline) > 0 && sd.FilterPipeline[0].Name == filter.Flate && len(sd.Raw) > 0 {
			b := int64(len(sd.Raw)) * maxFlateRatio
			flates = append(flates, flateStream{n, sd, b})
			bound += b
		}
	}
	budget := j.MaxDecodedBytes
	if budget <= 0 {
		return reply{}, false
	}
	// The biggest first: they shrink the bound the most.
	sort.Slice(flates, func(a, b int) bool { return flates[a].bound > flates[b].bound })
	for _, f := range flates {
		if decoded > budget {
			break
		}
		if decoded+bound <= budget {
			return reply{}, false // the rest cannot exceed it
		}
		decoded += inflatedSize(f.sd, budget-decoded)
		bound -= f.bound
	}
	if decoded > budget {
		return overLimit(documents.LimitDecodedBytes, j.MaxDecodedBytes,
			"streams decompress to more than %d bytes", j.MaxDecodedBytes), true
	}
	return reply{}, false
}

// maxFlateRatio bounds how many times larger than its compressed form
// Flate data can inflate (deflate's limit is 1032:1).
const maxFlateRatio = 1032

// dimension returns the positive integer d[key] (dereferenced), or 0.
func dimension(xt *model.XRefTable, d types.Dict, key string) int64 {
	o, ok := d.Find(key)
	if !ok {
		return 0
	}
	i, err := xt.DereferenceInteger(o)
	if err != nil || i == nil || i.Value() <= 0 {
		return 0
	}
	return int64(i.Value())
}

// inflatedSize returns how many bytes sd's Flate data decompresses to,
// reading at most limit+1 bytes; 0 if it does not inflate. (A stream that
// is not compressed costs what it weighs in the file, which MaxInputSize
// bounds; other filters than Flate are not counted.)
func inflatedSize(sd *types.StreamDict, limit int64) int64 {
	zr, err := zlib.NewReader(bytes.NewReader(sd.Raw))
	if err != nil {
		return 0
	}
	defer zr.Close()
	n, _ := io.CopyN(io.Discard, zr, max(limit, 0)+1)
	return n
}

// pagesOver returns the refusal of a file with more than j.MaxPages
// pages, and whether there is one.
func pagesOver(j job, pages int, where string) (reply, bool) {
	if j.MaxPages <= 0 || pages <= j.MaxPages {
		return reply{}, false
	}
	return overLimit(documents.LimitPages, int64(j.MaxPages),
		"%d pages (%s), limit %d", pages, where, j.MaxPages), true
}
