// Package ingesttest is a stand-in for the PDF worker pool (tested in
// documents/pdfworker) in tests of packages that only need documents with
// versions: a file is a "PDF" if it starts with "%PDF-", has one page, and
// the text after those five bytes is that page's text.
package ingesttest

import (
	"bytes"
	"context"
	"os"

	"github.com/ratsmappe/ratsmappe/documents"
)

// Ingester accepts what starts with "%PDF-" as a one-page file whose text
// is the rest, and refuses anything else as not a PDF.
type Ingester struct{}

// Ingest implements documents.Ingester.
func (Ingester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return nil, documents.Reject(documents.RejectNotPDF, nil)
	}
	out, err := os.CreateTemp("", "rendition-*.pdf")
	if err != nil {
		return nil, err
	}
	defer out.Close()
	if _, err := out.Write(b); err != nil {
		return nil, err
	}
	return &documents.Ingested{RenditionPath: out.Name(), Pages: []documents.Page{{Number: 1, Width: 595, Height: 842, Text: string(b[5:])}}}, nil
}
