// Package pdfcpuconf is the one place where Ratsmappe configures pdfcpu:
// every package that reads or writes PDFs with pdfcpu (the ingestion
// workers, the session packet, the annotation export) takes its
// configuration from New, so that the validation mode and the resource
// limits cannot drift apart between them.
package pdfcpuconf

import (
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

var disableConfigDir sync.Once

// New returns a fresh pdfcpu configuration for one read or write (pdfcpu
// writes into it while it works, so it must not be shared). It is made
// for untrusted input: relaxed validation (real-world files are rarely
// strictly valid), resource limits well below pdfcpu's defaults but above
// what council documents need, no optimisation (it costs more than the
// work itself and rewrites content that should stay as it is), no link
// checks, no network, object and cross-reference streams when writing.
//
// The first call also stops pdfcpu from creating and reading a
// configuration directory (~/.config/pdfcpu): every call passes this
// explicit configuration instead.
func New() *model.Configuration {
	disableConfigDir.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.CheckFileNameExt = false
	conf.Optimize = false
	conf.OptimizeBeforeWriting = false
	conf.OptimizeResourceDicts = false
	conf.OptimizeDuplicateContentStreams = false
	conf.DecodeAllStreams = false
	conf.PostProcessValidate = false
	conf.ValidateLinks = false
	conf.Offline = true
	conf.WriteObjectStream = true
	conf.WriteXRefStream = true
	// Hitting a limit makes pdfcpu fail with an error that names it.
	const mb = 1 << 20
	conf.Limits = model.ResourceLimits{
		MaxStreamBytes:       200 * mb, // no stream is larger than the largest input
		MaxDecodeBytes:       256 * mb, // one stream, decoded
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
