package pdfworker

import "github.com/ratsmappe/ratsmappe/documents"

// The protocol between a Pool and a worker is newline-delimited JSON on
// the worker's stdin and stdout:
//
//	worker → parent  reply{Ready: true}   once the PDF engine runs
//	parent → worker  job                  one file
//	worker → parent  reply{ID: job.ID, Rendition: true}  with job.Early, once the rendition is written
//	worker → parent  reply{ID: job.ID}    its result
//	...                                   one job at a time
//
// The worker exits when its stdin is closed. What the worker needs to
// start (cache directory, memory cap, OCR) is passed in its environment;
// see ServeConfigFromEnv.

// job is one file for a worker.
type job struct {
	ID     uint64 `json:"id"`
	Input  string `json:"input"`  // the untrusted file
	Output string `json:"output"` // an existing file to write the sanitized rendition to
	OCR    bool   `json:"ocr"`
	// BudgetMS is the time left before the parent kills the job; the
	// worker stops OCR early enough to answer within it.
	BudgetMS int64 `json:"budget_ms,omitempty"`
	// The file's limits (Config.MaxPages, MaxImagePixels, MaxDecodedBytes);
	// 0 is no limit.
	MaxPages        int   `json:"max_pages,omitempty"`
	MaxImagePixels  int64 `json:"max_image_pixels,omitempty"`
	MaxDecodedBytes int64 `json:"max_decoded_bytes,omitempty"`
	// Parallel is how many PDFium instances may read the file's text at
	// once: more than one when the pool has nothing else to do, so that
	// a lone upload uses the idle cores. 0 and 1 mean one.
	Parallel int `json:"parallel,omitempty"`
	// Early asks for an interim reply{Rendition: true} once the rendition
	// is written and checked, before the text is read.
	Early bool `json:"early,omitempty"`
}

// reply is the worker's answer to a job (or, with Ready, to its start).
type reply struct {
	ID     uint64 `json:"id"`
	Code   string `json:"code,omitempty"`   // rejection code; "" when accepted
	Detail string `json:"detail,omitempty"` // cause, for logs only
	// Limit names the documents.Limit… a RejectResourceLimit is about,
	// and LimitMax its value, for the message a person gets.
	Limit     string           `json:"limit,omitempty"`
	LimitMax  int64            `json:"limit_max,omitempty"`
	Pages     []documents.Page `json:"pages,omitempty"`
	Sanitized []string         `json:"sanitized,omitempty"`
	Repaired  bool             `json:"repaired,omitempty"`
	OCRPages  int              `json:"ocr_pages,omitempty"` // pages whose text came from OCR
	// Retire asks the parent not to reuse this worker, whose engine may be
	// in a bad state after the job.
	Retire bool `json:"retire,omitempty"`

	// Rendition marks the interim reply to a job with Early: the
	// rendition is written; the final reply follows.
	Rendition bool `json:"rendition,omitempty"`

	Ready bool   `json:"ready,omitempty"` // the start-up message
	Error string `json:"error,omitempty"` // the worker could not start
}
