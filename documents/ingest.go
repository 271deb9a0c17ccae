package documents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ratsmappe/ratsmappe"
)

// Rejection codes: the closed set of reasons an uploaded file is refused.
// They are part of the CLI's and the API's output; do not rename them.
const (
	RejectNotPDF        = "not_pdf"        // not a PDF at all (magic bytes)
	RejectEmpty         = "empty"          // zero bytes, or a PDF without pages
	RejectEncrypted     = "encrypted"      // needs a password to open
	RejectTooLarge      = "too_large"      // over the configured input size
	RejectDamaged       = "damaged"        // unreadable even after repair
	RejectTimeout       = "timeout"        // over the per-file deadline
	RejectResourceLimit = "resource_limit" // over the memory cap or a parser limit
	RejectCrashed       = "parser_crashed" // the parser process died on this file
)

// A refused file is a *ratsmappe.Error like every other refusal: its
// Reason is the rejection code above, its Message and MessageEN tell a
// person what happened and what to do (never internals), and its Err, if
// set, is the cause, for logs only. Its Code is ratsmappe.ETOOLARGE for
// RejectTooLarge and ratsmappe.EUNPROCESSABLE for every other reason.
// Use RejectionOf to tell a refused file from other errors.

// Reject returns the refusal of a file for reason code (one of the
// Reject constants), with its standard messages.
func Reject(code string, cause error) *ratsmappe.Error {
	m, ok := rejectionMessages[code]
	if !ok {
		code, m = RejectDamaged, rejectionMessages[RejectDamaged]
	}
	return &ratsmappe.Error{Code: rejectionCode(code), Reason: code, Message: m[0], MessageEN: m[1], Err: cause}
}

func rejectionCode(reason string) string {
	if reason == RejectTooLarge {
		return ratsmappe.ETOOLARGE
	}
	return ratsmappe.EUNPROCESSABLE
}

// RejectionOf returns the refusal of a file in err's chain (made by
// Reject or RejectLimit), or nil if err is no such refusal.
func RejectionOf(err error) *ratsmappe.Error {
	var e *ratsmappe.Error
	if !errors.As(err, &e) {
		return nil
	}
	if _, ok := rejectionMessages[e.Reason]; !ok || e.Code != rejectionCode(e.Reason) {
		return nil
	}
	return e
}

var rejectionMessages = map[string][2]string{
	RejectNotPDF: {
		"Die Datei ist kein PDF. Bitte laden Sie ein PDF-Dokument hoch (z. B. über „Als PDF speichern“ oder „Drucken als PDF“).",
		"The file is not a PDF. Please upload a PDF document (for example via “Save as PDF” or “Print to PDF”).",
	},
	RejectEmpty: {
		"Die Datei ist leer oder enthält keine Seiten. Bitte prüfen Sie die Datei und laden Sie sie erneut hoch.",
		"The file is empty or has no pages. Please check the file and upload it again.",
	},
	RejectEncrypted: {
		"Das PDF ist mit einem Passwort geschützt. Bitte entfernen Sie den Passwortschutz und laden Sie es erneut hoch.",
		"The PDF is password-protected. Please remove the password and upload it again.",
	},
	RejectTooLarge: {
		"Die Datei ist zu groß. Bitte verkleinern Sie das PDF (z. B. Bilder mit geringerer Auflösung) oder teilen Sie es auf.",
		"The file is too large. Please make the PDF smaller (for example with lower-resolution images) or split it.",
	},
	RejectDamaged: {
		"Das PDF ist beschädigt und konnte nicht gelesen werden. Bitte erzeugen Sie es neu aus dem Ursprungsdokument und laden Sie es erneut hoch.",
		"The PDF is damaged and could not be read. Please create it again from the source document and upload it again.",
	},
	RejectTimeout: {
		"Die Verarbeitung des PDFs hat zu lange gedauert. Bitte erzeugen Sie es neu (z. B. „Drucken als PDF“) oder teilen Sie es auf.",
		"Processing the PDF took too long. Please create it again (for example with “Print to PDF”) or split it.",
	},
	RejectResourceLimit: {
		"Das PDF braucht zur Verarbeitung zu viel Speicher. Bitte erzeugen Sie es neu (z. B. „Drucken als PDF“) oder teilen Sie es auf.",
		"The PDF needs too much memory to process. Please create it again (for example with “Print to PDF”) or split it.",
	},
	RejectCrashed: {
		"Das PDF konnte nicht verarbeitet werden, es ist vermutlich beschädigt. Bitte erzeugen Sie es neu aus dem Ursprungsdokument und laden Sie es erneut hoch.",
		"The PDF could not be processed; it is probably damaged. Please create it again from the source document and upload it again.",
	},
}

// CheckHeader refuses the file at path with RejectNotPDF if it does not
// begin like a PDF: "%PDF-" within the first 1024 bytes, as readers
// accept.
func CheckHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	if !strings.Contains(string(head[:n]), "%PDF-") {
		return Reject(RejectNotPDF, nil)
	}
	return nil
}

// Limits that a file can exceed. Each is refused with
// RejectResourceLimit, but with a message that names the limit and what
// to do about it (see RejectLimit).
const (
	LimitPages        = "pages"         // more pages than allowed
	LimitImagePixels  = "image_pixels"  // an image larger than allowed, in pixels
	LimitDecodedBytes = "decoded_bytes" // streams that decompress to more than allowed
)

// RejectLimit returns the RejectResourceLimit rejection of a file over
// limit (one of the Limit constants), whose allowed maximum is max (pages,
// pixels or bytes). An unknown limit gets the standard message of
// RejectResourceLimit.
func RejectLimit(limit string, max int64, cause error) *ratsmappe.Error {
	m, ok := limitMessages[limit]
	if !ok {
		return Reject(RejectResourceLimit, cause)
	}
	n := max
	switch limit {
	case LimitImagePixels:
		n = max / 1_000_000 // megapixels
	case LimitDecodedBytes:
		n = max / 1_000_000 // MB
	}
	return &ratsmappe.Error{Code: ratsmappe.EUNPROCESSABLE, Reason: RejectResourceLimit,
		Message:   fmt.Sprintf(m[0], groupDigits(n, '.')),
		MessageEN: fmt.Sprintf(m[1], groupDigits(n, ',')),
		Err:       cause}
}

// groupDigits writes n with sep between groups of three digits, as
// 10.000 (German) or 10,000 (English).
func groupDigits(n int64, sep byte) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(sep)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var limitMessages = map[string][2]string{
	LimitPages: {
		"Das PDF hat mehr als %s Seiten. Bitte teilen Sie es in mehrere Dateien auf und laden Sie diese einzeln hoch.",
		"The PDF has more than %s pages. Please split it into several files and upload them one by one.",
	},
	LimitImagePixels: {
		"Das PDF enthält ein Bild mit mehr als %s Megapixeln. Bitte verringern Sie die Auflösung der Bilder (z. B. beim Scannen 300 dpi) und laden Sie es erneut hoch.",
		"The PDF contains an image of more than %s megapixels. Please lower the resolution of its images (for example scan at 300 dpi) and upload it again.",
	},
	LimitDecodedBytes: {
		"Die Inhalte des PDFs sind entpackt größer als %s MB. Bitte erzeugen Sie es neu (z. B. „Drucken als PDF“) oder teilen Sie es auf.",
		"Unpacked, the contents of the PDF exceed %s MB. Please create it again (for example with “Print to PDF”) or split it.",
	},
}

// Page is one page of an ingested version.
type Page struct {
	Number int     // 1-based
	Width  float64 // in PDF points (1/72 inch), after rotation
	Height float64
	Text   string // extracted text; "" if none
	OCR    bool   // Text came from optical character recognition
}

// Ingested is what ingestion makes of one accepted PDF.
type Ingested struct {
	// RenditionPath is a temporary file holding the sanitized PDF that
	// readers get. The caller owns it and removes it.
	RenditionPath string
	Pages         []Page
	// Sanitized names what was removed, e.g. "OpenAction",
	// "JavaScript", "Launch", "EmbeddedFile", "XFA"; each at most once.
	Sanitized []string
	// Repaired is true when the file had to be rewritten by pdfium
	// before it could be parsed.
	Repaired bool
}

// Ingester validates, sanitizes and extracts untrusted PDFs.
//
// Ingest reads the file at path (which the caller owns and keeps) and
// returns the result for an accepted file, a refusal for a refused one
// (a *ratsmappe.Error that RejectionOf finds: see Reject),
// or another error if ingestion itself failed (then the file may be tried
// again). Ingest must survive anything the file does: implementations run
// the parsers outside the calling process, under a deadline and a memory
// cap. It is safe for concurrent use.
type Ingester interface {
	Ingest(ctx context.Context, path string) (*Ingested, error)
}

// EarlyIngester is an Ingester that hands over the rendition as soon as it
// is written and checked, before the file's text is read, so that the
// caller can store the rendition meanwhile.
//
// IngestEarly is Ingest, but calls rendition at most once, on the calling
// goroutine and before it returns, with the path of the rendition that
// Ingested.RenditionPath names if the file is accepted. The file is only
// valid during the call: the caller opens it there and must not change
// it. The file may still be refused afterwards (its text could not be
// read).
type EarlyIngester interface {
	Ingester
	IngestEarly(ctx context.Context, path string, rendition func(path string)) (*Ingested, error)
}
