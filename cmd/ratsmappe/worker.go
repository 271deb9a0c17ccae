package main

import (
	"context"
	"io"

	"github.com/ratsmappe/ratsmappe/documents/pdfworker"
)

// runPDFWorker is the child process side of the PDF sandbox; the pool of
// the serving or CLI process starts it and speaks to it over stdin/stdout.
func runPDFWorker(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return pdfworker.Serve(ctx, stdin, stdout, pdfworker.ServeConfigFromEnv())
}
