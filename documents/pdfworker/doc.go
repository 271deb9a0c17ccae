// Package pdfworker ingests untrusted PDFs in child processes: it is the
// documents.Ingester of the real system.
//
// # Processes
//
// A Pool (the parent side, in the server or CLI process) keeps a few
// long-lived worker processes. A worker is the same binary started as
// `ratsmappe pdf-worker` (Config.Command), which calls Serve with
// ServeConfigFromEnv: the pool passes the cache directory, the memory cap
// and the OCR settings in the environment. Parent and worker speak
// newline-delimited JSON over the worker's stdin and stdout — a ready
// line once PDFium runs, then one job and one reply at a time; the
// worker's stderr (JSON log records, or a panic's raw lines) is forwarded
// to the parent's slog logger. The parser libraries never run in the
// parent. Each file's deadline starts when a worker takes it, so a
// worker's start (which compiles PDFium if the cache is cold) costs no
// file its time.
//
// While a job runs, the parent polls the worker's resident set size
// (/proc/<pid>/statm) every 25 ms. A worker over the memory cap is
// killed (RejectResourceLimit), one over the per-file deadline is killed
// (RejectTimeout), and one that dies on its own — Go panic, stack
// overflow, fatal runtime error, kernel OOM kill, os.Exit — costs only its
// current file (RejectCrashed). A killed or dead worker is replaced lazily
// by the next job. Workers run in their own process group, which is killed
// as a whole, and get SIGKILL when the parent dies.
//
// # Sandbox
//
// A worker gets an environment built from nothing (the pool's settings
// and Config.Env; none of the parent's secrets), a directory of its own
// (descriptor 3, its current directory: the parent copies each file in
// and the rendition out, and empties it before the next file) and the
// compilation cache (descriptor 4). When the pool runs as root, the
// worker runs as Config.User (default nobody) without supplementary
// groups or capabilities, in a network namespace of its own. Once
// PDFium runs, and before the first file, the worker sets no_new_privs,
// lowers its rlimits (no core dumps, 256 open files, with its own user
// 512 processes), confines itself with Landlock where the kernel has it
// (its directory read-write, the cache read-only, with OCR the system's
// programs and libraries read-only) and loads a seccomp filter that
// denies sockets, ptrace, namespaces, mounts, BPF, io_uring and the
// like with EPERM. tesseract inherits all of it. docs/decisions.md says
// what is enforced where.
//
// # Memory cap
//
// The cap is on resident memory, not on address space: the WebAssembly
// runtime reserves gigabytes of virtual memory for a module's linear
// memory (this package maps it with PROT_NONE and commits it page by page
// as the module grows), so RLIMIT_AS cannot be used. Three layers enforce
// the cap: the parent's RSS watchdog (hard, SIGKILL); inside the worker a
// limit on the WebAssembly linear memory, so that PDFium's allocations
// fail and the job ends with RejectResourceLimit instead of a kill; and
// a Go soft memory limit (debug.SetMemoryLimit) at half the cap so that
// the garbage collector works harder before the watchdog must act. A
// worker whose resident size stays high after a job (the WebAssembly
// memory never shrinks) is retired and replaced. tesseract, a separate
// process, is not counted; its images are at most 16 megapixels.
//
// # Engine
//
// Inside the worker, each file goes through: PDFium (WebAssembly build via
// go-pdfium, one instance per worker, compiled once with a compilation
// cache and given an empty filesystem) opens the file; a file that needs
// a user password is refused with RejectEncrypted; pdfcpu reads it with
// relaxed validation and lowered resource limits (hitting one is
// RejectResourceLimit), and if it cannot, the file is repaired by
// re-saving it through PDFium (Ingested.Repaired), or refused with
// RejectDamaged if pdfcpu cannot read the repaired copy either;
// the sanitizer removes active content (see below); pdfcpu writes the
// rendition, which contains only objects reachable from the catalog, so
// removed objects are really gone; PDFium opens the rendition to check
// that every page is there (with IngestEarly the rendition is handed over
// now); and the size (in points, after /Rotate) and text of every page
// are read with PDFium (from the original, whose content streams the
// sanitizer does not touch). A lone file of 16 pages or more is also
// opened in a second instance, which reads pages from the start of the
// pdfcpu steps on; pdfcpu's refusals stand whatever it met meanwhile.
//
// # Limits
//
// Besides the size, the deadline and the memory cap, a file is refused
// with RejectResourceLimit (and a message naming the limit, see
// documents.RejectLimit) if it has more than Config.MaxPages pages —
// checked from the page tree right after PDFium opens it, before pdfcpu
// parses anything, and again with pdfcpu's count — if an image XObject
// claims more than Config.MaxImagePixels pixels, or if its compressed
// streams other than images decompress to more than
// Config.MaxDecodedBytes together (measured by inflating into nothing,
// only as far as the budget could still be passed). pdfcpu's own
// configuration and limits come from package pdfcpuconf.
//
// # Encryption
//
// A file that cannot be opened with the empty password is refused with
// RejectEncrypted ("remove the password and upload again"). A file
// encrypted with an owner password only (it opens with the empty
// password; typical for "no editing" permissions) is accepted: PDFium
// re-saves it without security and pdfcpu parses that decrypted copy, so
// the rendition is not encrypted and Ingested.Sanitized contains
// "Encryption". PDFium is the robust decrypter here; pdfcpu never has to
// deal with the security handler.
//
// # Sanitizing
//
// Every object of the file (reachable or not, so nothing is missed before
// rewriting) is inspected, in two passes. Objects in object streams,
// which pdfcpu decodes only on demand and would otherwise copy into the
// rendition byte for byte, are decoded first. The first pass removes: an
// /OpenAction other than showing a page; every /AA (actions run on
// opening, closing, printing, keystrokes, …); the /JavaScript and
// /EmbeddedFiles name trees; XFA forms; the embedded stream (/EF) of every
// file specification; FileAttachment, Screen, Movie, Sound and RichMedia
// annotations; an /A, /Next or /PA that is (or chains to) an action of a
// dangerous type — JavaScript (or anything with /JS), Launch, SubmitForm,
// ImportData, GoToR, GoToE, Rendition, Movie, Sound, RichMediaExecute —
// while the link, widget, field or outline item that held it stays; and
// a URI that is not a web, mail or relative link. Harmless actions (GoTo,
// URI to the web, Named) stay. The second pass empties, in place, any
// dangerous action still referenced from somewhere unexpected. Then
// pdfcpu writes only what is reachable, so the removed objects are not in
// the rendition at all. Ingested.Sanitized names what was removed, each
// once: the action types above, OpenAction, AdditionalActions,
// JavaScript, EmbeddedFile, XFA, FileAttachment, Screen, Movie, Sound,
// RichMedia, URI, and Encryption (see above).
//
// # OCR
//
// With Config.OCR, a page without extractable text that shows an image
// (or a form XObject) is rendered in grey at 200 dpi and recognised with
// tesseract (German if tesseract-ocr-deu is installed) as a child of the
// worker, in the worker's process group, with a per-page timeout and
// within what is left of the file's deadline: a long scan keeps the text
// of the pages OCR got through and is still accepted in time. The text is
// stored with Page.OCR set. Without tesseract, ingestion works as before
// and New logs once that OCR is off.
package pdfworker
