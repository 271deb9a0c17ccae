package pdfworker

import "github.com/ratsmappe/ratsmappe/documents"

// job is one file for a worker, sent as a JSON line on its stdin.
type job struct {
	ID     uint64 `json:"id"`
	Input  string `json:"input"`  // the untrusted file
	Output string `json:"output"` // where to write the sanitized rendition
	OCR    bool   `json:"ocr"`
}

// reply is the worker's answer to a job, a JSON line on its stdout.
type reply struct {
	ID        uint64           `json:"id"`
	Code      string           `json:"code,omitempty"`   // rejection code; "" when accepted
	Detail    string           `json:"detail,omitempty"` // cause, for logs only
	Pages     []documents.Page `json:"pages,omitempty"`
	Sanitized []string         `json:"sanitized,omitempty"`
	Repaired  bool             `json:"repaired,omitempty"`
}
