package documents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ratsmappe/ratsmappe"
)

// Service adds, reads and withdraws documents and versions. It ties the
// metadata Store, the BlobStore and the Ingester together and owns the
// order of their writes.
type Service struct {
	store    *Store
	blobs    BlobStore
	ingester Ingester
	now      func() time.Time
	log      *slog.Logger
	observe  func(result string, d time.Duration)
	hook     func(point string)

	busyMu sync.Mutex
	busy   int           // uploads being ingested
	idle   chan struct{} // closed while busy is 0
}

// ServiceConfig configures a Service. Store, Blobs and Ingester are
// required.
type ServiceConfig struct {
	Store    *Store
	Blobs    BlobStore
	Ingester Ingester
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger     // default slog.Default()
	// Observe, if set, is told the result ("accepted" or a rejection
	// code, or "error") and duration of every ingestion, for metrics.
	Observe func(result string, d time.Duration)
	// Hook, if set, is called at named points of an upload
	// ("blobs-written", "committed"); tests use it to crash there.
	Hook func(point string)
}

// NewService returns a Service.
func NewService(c ServiceConfig) *Service {
	s := &Service{store: c.Store, blobs: c.Blobs, ingester: c.Ingester, now: c.Now, log: c.Logger, observe: c.Observe, hook: c.Hook,
		idle: make(chan struct{})}
	close(s.idle)
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Store returns the service's metadata store.
func (s *Service) Store() *Store { return s.store }

// Blobs returns the service's blob store.
func (s *Service) Blobs() BlobStore { return s.blobs }

// Idle returns a channel that is closed once no upload is being added
// (AddDocument, AddVersion); if none is, it is closed already. An upload
// is a person waiting on the PDF worker, which takes the cores; work in
// the background that can wait (the search indexer) waits for this.
func (s *Service) Idle() <-chan struct{} {
	s.busyMu.Lock()
	defer s.busyMu.Unlock()
	return s.idle
}

// working counts an upload in until the returned function is called.
func (s *Service) working() (done func()) {
	s.busyMu.Lock()
	if s.busy == 0 {
		s.idle = make(chan struct{})
	}
	s.busy++
	s.busyMu.Unlock()
	return func() {
		s.busyMu.Lock()
		if s.busy--; s.busy == 0 {
			close(s.idle)
		}
		s.busyMu.Unlock()
	}
}

// Upload describes one file to add.
type Upload struct {
	Path     string // the uploaded file; the caller keeps and removes it
	FileName string // the name the uploader gave it; default base of Path
	Title    string // for a new document; default derived from FileName
	Kind     string // for a new document; default KindOther
	Uploader string
	Note     string // change note for a new version
}

// Added is the outcome of an accepted upload.
type Added struct {
	Document  *Document
	Version   *Version
	Sanitized []string
	OCRPages  int
}

// AddDocument ingests u as version 1 of a new document. A refused file
// returns its refusal (see Reject and RejectionOf); then nothing is stored.
func (s *Service) AddDocument(ctx context.Context, u Upload) (*Added, error) {
	if u.Kind == "" {
		u.Kind = KindOther
	}
	if !ValidKind(u.Kind) {
		return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Dokumentart %q; erlaubt sind: %s.", u.Kind, strings.Join(Kinds, ", "))
	}
	return s.add(ctx, 0, u)
}

// AddVersion ingests u as the next version of document id; the previous
// active version becomes superseded. A file identical to the current
// version is refused with ECONFLICT.
func (s *Service) AddVersion(ctx context.Context, id int64, u Upload) (*Added, error) {
	if _, err := s.store.FindDocumentByID(ctx, id); err != nil {
		return nil, err
	}
	return s.add(ctx, id, u)
}

func (s *Service) add(ctx context.Context, docID int64, u Upload) (added *Added, err error) {
	defer s.working()()
	start := s.now()
	result := "error"
	defer func() {
		if s.observe != nil {
			s.observe(result, time.Since(start))
		}
	}()
	if u.FileName == "" {
		u.FileName = filepath.Base(u.Path)
	}
	u.FileName = cleanFileName(u.FileName)
	origSum, origSize, err := hashFile(u.Path)
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", u.FileName, err)
	}
	if docID != 0 {
		if cur, err := s.store.FindVersion(ctx, docID, 0); err == nil && cur.OriginalSHA256 == origSum {
			return nil, ratsmappe.Errorf(ratsmappe.ECONFLICT, "Die Datei ist identisch mit der aktuellen Version %d; es wurde keine neue Version angelegt.", cur.Number)
		}
	}

	// The original is announced and stored while the file is ingested,
	// and the rendition as soon as the ingester hands it over, before the
	// text is read: their writes (pending rows, blobs, their fsyncs)
	// overlap the parsing instead of following it. If the upload ends
	// without a version, both are removed again unless something else
	// refers to them, so that a refused file leaves nothing stored. A file
	// that is not even a PDF is refused before anything is written.
	upload := newUploadID()
	var sum string // the rendition's key, once known
	var size int64
	committed := false
	defer func() {
		if !committed {
			// Best effort: the sweeper forgets stale rows and
			// unreferenced blobs anyway.
			ctx := context.WithoutCancel(ctx)
			_ = s.store.dropPending(ctx, upload)
			for _, key := range []string{origSum, sum} {
				if key != "" {
					_, _ = s.store.sweepBlob(ctx, key, time.Time{}, func() error { return s.blobs.Delete(ctx, key) })
				}
			}
		}
	}()
	storeCtx, cancelStore := context.WithCancel(ctx)
	var bg sync.WaitGroup
	// Before the clean-up above: a refusal need not wait for the writes
	// (a file over the size limit is refused at once), but they must be
	// over before it.
	defer func() { cancelStore(); bg.Wait() }()
	storeOriginal := func(ctx context.Context) error {
		if err := s.store.addPending(ctx, upload, s.now(), origSum); err != nil {
			return err
		}
		return s.putFile(ctx, origSum, u.Path, origSize)
	}
	var stored, early chan error
	if origSize > 0 && CheckHeader(u.Path) == nil {
		stored = make(chan error, 1)
		bg.Add(1)
		go func() { defer bg.Done(); stored <- storeOriginal(storeCtx) }()
	}
	ingest := s.ingester.Ingest
	if ei, ok := s.ingester.(EarlyIngester); ok && stored != nil {
		ingest = func(ctx context.Context, path string) (*Ingested, error) {
			return ei.IngestEarly(ctx, path, func(rendition string) {
				f, err := os.Open(rendition)
				if err != nil {
					return // stored after the text is read, then
				}
				early = make(chan error, 1)
				bg.Add(1)
				go func() {
					defer bg.Done()
					defer f.Close()
					var err error
					if sum, size, err = hashReader(f); err == nil {
						err = s.storeRendition(storeCtx, upload, sum, f, size)
					}
					early <- err
				}()
			})
		}
	}
	in, err := ingest(ctx, u.Path)
	if err != nil {
		if rej := RejectionOf(err); rej != nil {
			result = rej.Reason
			s.log.Info("upload rejected", "file", u.FileName, "code", rej.Reason, "cause", rej.Err)
		}
		return nil, err
	}
	defer os.Remove(in.RenditionPath)
	if len(in.Pages) == 0 {
		result = RejectEmpty
		return nil, Reject(RejectEmpty, nil)
	}
	var storeErr error
	if stored != nil {
		storeErr = <-stored
	} else {
		storeErr = storeOriginal(ctx)
	}
	if storeErr != nil {
		return nil, fmt.Errorf("add %s: store original: %w", u.FileName, storeErr)
	}
	if early != nil {
		err = <-early
	} else {
		var f *os.File
		if f, err = os.Open(in.RenditionPath); err == nil {
			if sum, size, err = hashReader(f); err == nil {
				err = s.storeRendition(ctx, upload, sum, f, size)
			}
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("add %s: store rendition: %w", u.FileName, err)
	}
	s.at("blobs-written")

	nv := &newVersion{
		upload: upload,
		docID:  docID,
		now:    s.now(),
		pages:  in.Pages,
		version: Version{
			SHA256: sum, Size: size, OriginalSHA256: origSum, OriginalSize: origSize,
			FileName: u.FileName, Note: u.Note, Uploader: u.Uploader,
			Sanitized: in.Sanitized, Repaired: in.Repaired,
		},
	}
	if docID == 0 {
		title := strings.TrimSpace(u.Title)
		if title == "" {
			title = titleFromFileName(u.FileName)
		}
		nv.doc = &Document{Title: title, Kind: u.Kind, FileName: u.FileName, CreatedBy: u.Uploader}
	}
	docID, n, err := s.store.commitVersion(ctx, nv)
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", u.FileName, err)
	}
	committed = true
	result = "accepted"
	s.at("committed")

	v, doc := committedVersion(nv, docID, n), nv.doc
	if doc != nil {
		doc.ID, doc.Created, doc.Current, doc.Pages = docID, v.Created, n, v.Pages
	} else if doc, err = s.store.FindDocumentByID(ctx, docID); err != nil {
		return nil, err
	}
	s.log.Debug("version added", "document", docID, "version", n, "pages", v.Pages, "sha256", sum, "sanitized", in.Sanitized)
	return &Added{Document: doc, Version: v, Sanitized: in.Sanitized, OCRPages: len(v.OCRPages)}, nil
}

// committedVersion returns version n of document docID as commitVersion
// wrote it from nv, as FindVersion would read it back: the answer to an
// upload needs no queries after its commit (they were three round trips
// on PostgreSQL).
func committedVersion(nv *newVersion, docID int64, n int) *Version {
	v := nv.version
	v.DocumentID, v.Number, v.Pages, v.State = docID, n, len(nv.pages), StateActive
	// As stored: the text form keeps the instant, not the location.
	v.Created = parseTime(formatTime(nv.now))
	v.StateChanged = v.Created
	v.Sanitized = nonNil(v.Sanitized)
	v.PageSizes = make([]PageSize, len(nv.pages))
	for i, p := range nv.pages {
		v.PageSizes[i] = PageSize{Width: p.Width, Height: p.Height}
		if p.OCR {
			v.OCRPages = append(v.OCRPages, i+1)
		}
	}
	return &v
}

func (s *Service) at(point string) {
	if s.hook != nil {
		s.hook(point)
	}
}

func (s *Service) putFile(ctx context.Context, key, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.blobs.Put(ctx, key, f, size)
}

// Withdraw marks version n of document id as withdrawn; see
// Store.WithdrawVersion.
func (s *Service) Withdraw(ctx context.Context, id int64, n int) error {
	return s.store.WithdrawVersion(ctx, id, n, s.now())
}

// Open returns the bytes of version n (0: current) of document id: the
// sanitized rendition, or the file as uploaded if original is set (for
// the office only). The caller closes the reader.
func (s *Service) Open(ctx context.Context, id int64, n int, original bool) (*Version, io.ReadCloser, error) {
	v, err := s.store.FindVersion(ctx, id, n)
	if err != nil {
		return nil, nil, err
	}
	key := v.SHA256
	if original {
		key = v.OriginalSHA256
	}
	rc, err := s.blobs.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, nil, fmt.Errorf("open %d/%d: %w", id, v.Number, err)
	}
	return v, rc, nil
}

// SweepResult counts what Sweep did.
type SweepResult struct {
	Checked, Deleted int
}

// Sweep deletes blobs that no version refers to and that are older than
// grace. The grace period protects uploads in flight; it must be longer
// than any upload can take.
func (s *Service) Sweep(ctx context.Context, grace time.Duration) (SweepResult, error) {
	var res SweepResult
	cutoff := s.now().Add(-grace)
	var candidates []string
	err := s.blobs.List(ctx, func(b BlobInfo) error {
		res.Checked++
		if b.Modified.Before(cutoff) {
			candidates = append(candidates, b.Key)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("sweep: %w", err)
	}
	for _, key := range candidates {
		deleted, err := s.store.sweepBlob(ctx, key, cutoff, func() error { return s.blobs.Delete(ctx, key) })
		if err != nil {
			return res, fmt.Errorf("sweep %s: %w", key, err)
		}
		if deleted {
			res.Deleted++
			s.log.Info("swept unreferenced blob", "key", key)
		}
	}
	return res, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return hashReader(f)
}

// hashReader returns the SHA-256 (hex) and size of f's content from its
// start, whatever its offset.
func hashReader(f io.ReaderAt) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// storeRendition announces the blob sum for upload and stores f's size
// bytes under it.
func (s *Service) storeRendition(ctx context.Context, upload, sum string, f io.ReaderAt, size int64) error {
	if err := s.store.addPending(ctx, upload, s.now(), sum); err != nil {
		return err
	}
	return s.blobs.Put(ctx, sum, io.NewSectionReader(f, 0, size), size)
}

func newUploadID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cleanFileName keeps a file name safe to store and to show: no
// directories, no control characters, valid UTF-8, at most 200 bytes.
func cleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			// Bidi overrides make "rechnung\u202Efdp.exe" look like a PDF.
			return -1
		case strings.ContainsRune(`"*:<>?|`, r):
			// Not allowed in Windows file names, and a quote confuses naive
			// parsers of Content-Disposition.
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		name = "dokument.pdf"
	}
	return name
}

func titleFromFileName(name string) string {
	t := strings.TrimSuffix(name, filepath.Ext(name))
	t = strings.NewReplacer("_", " ").Replace(t)
	if t = strings.TrimSpace(t); t == "" {
		return "Dokument"
	}
	return t
}
