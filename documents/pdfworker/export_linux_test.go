package pdfworker

// EnforceSandbox lets the sandbox test confine a probe process of its own
// exactly as a worker is confined.
var EnforceSandbox = enforceSandbox
