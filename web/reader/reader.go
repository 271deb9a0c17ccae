// Package reader is the members' surface of web: the tablet app under
// /reader/ (its shell, service worker and files, embedded from this
// directory), its API under /api/v1 (the caller, a meeting's manifest for
// offline use, session packets, annotations, read marks, exports, and the
// diff of two versions, which the portal shows as a page too). Everything
// a member sees here passes the access rule through web/folder.
package reader

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Config is what the reader reads and writes.
type Config struct {
	folder.Config // the stores and the logger
	// DB holds the annotations and what each member last read.
	DB *sql.DB
	// Accounts maps faction peers' persons to their member accounts.
	Accounts *accounts.Store
	// PacketDir caches built session packets.
	PacketDir string
}

// Handler serves the reader's shell, files and API.
type Handler struct {
	cfg         Config
	log         *slog.Logger
	folder      *folder.Folder
	packets     *packets
	readerFiles *readerFiles
	annotations *Annotations
}

// New returns the reader's handlers; it fails if the embedded files are
// broken, which the tests catch.
func New(cfg Config) (*Handler, error) {
	s := &Handler{cfg: cfg, log: cfg.Logger(), folder: folder.New(cfg.Config), packets: newPackets(cfg.PacketDir)}
	var err error
	if s.readerFiles, err = loadReader(readerFS); err != nil {
		return nil, fmt.Errorf("web: reader: %w", err)
	}
	s.annotations = s.annotationsAPI()
	return s, nil
}

// Annotations returns the handlers of the annotation sync API.
func (s *Handler) Annotations() *Annotations { return s.annotations }

// The reader is the members' tablet app under /reader/: one HTML shell
// for every reader path (the script routes by location), its scripts, a
// service worker with scope /reader/ that keeps the shell (the app keeps
// the documents of meetings made available offline itself, per account),
// and PDF.js, copied from the pinned npm package by `make deps-node` into
// reader/pdfjs/ (not committed; without it the shell says how to get it).

//go:embed *.html *.js *.css *.png *.svg *.webmanifest pdfjs
var readerFS embed.FS

// readerCSP allows the reader's own scripts, the PDF.js worker and
// nothing from elsewhere; no eval (PDF.js runs with isEvalSupported:
// false), no inline script. Inline style attributes are not needed:
// PDF.js and the app position elements through the CSSOM, which CSP does
// not restrict.
const readerCSP = "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; " +
	"manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// readerFiles are the reader's static files with their ETags, and the
// release tag of the whole reader (the service worker's cache name).
type readerFiles struct {
	files   map[string][]byte // "app.js" -> content
	gzipped map[string][]byte // the same, gzip-compressed, for text files
	etags   map[string]string
	release string
	pdfjs   bool   // PDF.js was copied in before the build
	fonts   []byte // JSON list of PDF.js's standard font URLs, for the service worker
	shell   *template.Template
}

// loadReader reads the reader's files from fsys (the embedded files of
// this directory).
func loadReader(fsys fs.FS) (*readerFiles, error) {
	rf := &readerFiles{files: map[string][]byte{}, gzipped: map[string][]byte{}, etags: map[string]string{}}
	all := sha256.New()
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, p := range names {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		name := p
		sum := sha256.Sum256(b)
		rf.files[name] = b
		switch path.Ext(name) {
		case ".js", ".mjs", ".css", ".svg", ".webmanifest":
			// PDF.js's worker is 1.3 MB and a third of that compressed:
			// the first open on a slow link is dominated by it.
			var z bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
			rf.gzipped[name] = z.Bytes()
		}
		rf.etags[name] = `"` + hex.EncodeToString(sum[:8]) + `"`
		all.Write([]byte(name))
		all.Write(sum[:])
	}
	rf.release = hex.EncodeToString(all.Sum(nil)[:6])
	fonts := []string{}
	for _, p := range names {
		if strings.HasPrefix(p, "pdfjs/standard_fonts/") && (strings.HasSuffix(p, ".pfb") || strings.HasSuffix(p, ".ttf")) {
			fonts = append(fonts, "/reader/files/"+p)
		}
	}
	rf.fonts, _ = json.Marshal(fonts)
	_, rf.pdfjs = rf.files["pdfjs/pdf.min.mjs"]
	rf.shell, err = template.New("shell.html").ParseFS(fsys, "shell.html")
	return rf, err
}

// ServiceWorker serves the reader's service worker, with the release in it.
func (s *Handler) ServiceWorker(w http.ResponseWriter, r *http.Request) {
	rf := s.readerFiles
	// The release goes into the worker, so that a new release is a new
	// worker with a new cache of the shell.
	b := bytes.ReplaceAll(rf.files["sw.js"], []byte("__RELEASE__"), []byte(rf.release))
	b = bytes.ReplaceAll(b, []byte("__FONTS__"), rf.fonts)
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", readerCSP)
	w.Write(b)
}

// File serves one of the reader's static files (its scripts, styles,
// icons and PDF.js).
func (s *Handler) File(w http.ResponseWriter, r *http.Request) {
	rf := s.readerFiles
	name := strings.TrimPrefix(r.URL.Path, "/reader/files/")
	b, ok := rf.files[name]
	if !ok || name == "shell.html" || name == "sw.js" {
		render.Error(w, r, render.NotFound)
		return
	}
	h := w.Header()
	switch path.Ext(name) {
	case ".css":
		h.Set("Content-Type", "text/css; charset=utf-8")
	case ".js", ".mjs":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		h.Set("Content-Type", "image/svg+xml")
	case ".png":
		h.Set("Content-Type", "image/png")
	case ".webmanifest":
		h.Set("Content-Type", "application/manifest+json")
	case ".bcmap", ".pfb", ".ttf":
		h.Set("Content-Type", "application/octet-stream")
	}
	// Revalidated every time: the files keep their names across
	// releases; the service worker serves them offline.
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", readerCSP)
	etag := rf.etags[name]
	if z, ok := rf.gzipped[name]; ok {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			b, etag = z, strings.TrimSuffix(etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// Shell serves the reader's HTML shell to a signed-in account;
// anyone else is sent to sign in first and comes back here.
func (s *Handler) Shell(w http.ResponseWriter, r *http.Request) {
	rf := s.readerFiles
	v := request.Viewer(r.Context())
	if v.AccountID == 0 {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return
	}
	lang := render.Language(r)
	js, _ := json.Marshal(render.Texts(lang, "reader."))
	var buf bytes.Buffer
	err := rf.shell.Execute(&buf, map[string]any{
		"Lang": lang, "Texts": template.JS(js), "PDFJS": rf.pdfjs, "Release": rf.release, "Document": isDocumentPath(r.URL.Path),
		"Title": render.T(lang, "reader.title"), "Missing": render.T(lang, "reader.missing"),
		"Loading": render.T(lang, "reader.loading"), "Skip": render.T(lang, "nav.skip"),
	})
	if err != nil {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINTERNAL, "reader shell: %v", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Vary", "Cookie, Accept-Language")
	h.Set("Content-Security-Policy", readerCSP)
	w.Write(buf.Bytes())
}

// isDocumentPath reports whether p is a document view of the reader
// (/reader/meetings/{id}/documents/{id}), the only page that needs PDF.js:
// the meeting list and the agenda do not preload its 138 KB.
func isDocumentPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/reader/meetings/")
	if !ok {
		return false
	}
	meeting, doc, ok := strings.Cut(rest, "/documents/")
	return ok && allDigits(meeting) && allDigits(doc)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Me tells the reader who is signed in and gives it the CSRF
// token for its writes. The app asks again after being offline, so a
// queue of Annotations is sent with a token that is valid now.
func (s *Handler) Me(w http.ResponseWriter, r *http.Request) {
	v := request.Viewer(r.Context())
	if v.AccountID == 0 {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Bitte anmelden. / Please sign in."))
		return
	}
	committees, err := s.committees(r, v)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, map[string]any{"account": v.AccountID, "person": v.PersonID, "name": v.Name, "staff": v.Staff(), "csrf": request.Token(w, r),
		"lang": render.Language(r), "committees": committees})
}

// committees returns the names of the organizations v is a member of
// today (as meetings name their organization), so that the reader can show
// "Meine Gremien" first; factions are not committees that meet here.
func (s *Handler) committees(r *http.Request, v access.Viewer) ([]string, error) {
	out := []string{}
	now := time.Now()
	seen := map[int64]bool{}
	for _, p := range v.Memberships {
		if seen[p.OrganizationID] || !v.MemberOf(p.OrganizationID, now) {
			continue
		}
		seen[p.OrganizationID] = true
		o, err := s.cfg.Sessions.FindOrganizationByID(r.Context(), p.OrganizationID)
		if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if o.Classification != sessions.ClassFaction {
			out = append(out, o.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// manifestEntry is one document of a meeting as the reader keeps it on
// the device.
type manifestEntry struct {
	ID      int64         `json:"id"`
	Title   string        `json:"title"`
	Role    string        `json:"role"`
	Version int           `json:"version"`
	Pages   int           `json:"pages"`
	SHA256  string        `json:"sha256"`
	Size    int64         `json:"size"`
	URL     string        `json:"url"`
	Item    *manifestItem `json:"item,omitempty"`
	Late    *time.Time    `json:"late,omitempty"`
	// LastRead is the version the caller last read on any device (absent:
	// never), for the badges "neu" and "geändert seit Ihrem letzten Lesen".
	LastRead *int `json:"last_read,omitempty"`
}

type manifestItem struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
	Title  string `json:"title"`
}

// Manifest lists every document of a meeting the caller may see,
// each at its current version with its SHA-256 and size, so that the
// reader downloads only what changed and deletes from the device what is
// no longer listed (an exclusion, a withdrawal). It is the meeting's
// agenda as the policy shows it to the caller — one read path for the
// reader, the portal and the API.
func (s *Handler) Manifest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	if v.AccountID == 0 {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Bitte anmelden. / Please sign in."))
		return
	}
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	mv, err := s.folder.MeetingDetail(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	docs := []manifestEntry{}
	seen := map[int64]bool{}
	add := func(d folder.DocumentEntry, it *manifestItem) {
		if seen[d.ID] {
			return
		}
		seen[d.ID] = true
		sha, size := d.Blob()
		docs = append(docs, manifestEntry{ID: d.ID, Title: d.Title, Role: d.Role, Version: d.Version, Pages: d.Pages,
			SHA256: sha, Size: size, URL: d.URL, Item: it, Late: d.Late})
	}
	var total int64
	for _, e := range mv.Agenda {
		for _, d := range e.Documents {
			add(d, &manifestItem{ID: e.ID, Number: e.Number, Title: e.Title})
		}
	}
	for _, d := range mv.Documents {
		add(d, nil)
	}
	for _, d := range mv.Minutes {
		add(d, nil)
	}
	ids := make([]int64, len(docs))
	for i, d := range docs {
		total += d.Size
		ids[i] = d.ID
	}
	// The documents listed are those the policy let through above.
	reads, err := s.LastRead(ctx, v.AccountID, ids)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	for i := range docs {
		if rd, ok := reads[docs[i].ID]; ok {
			n := rd.Version
			docs[i].LastRead = &n
		}
	}
	agenda := []map[string]any{}
	for _, e := range mv.Agenda {
		ids := []int64{}
		for _, d := range e.Documents {
			ids = append(ids, d.ID)
		}
		agenda = append(agenda, map[string]any{"id": e.ID, "number": e.Number, "title": e.Title, "public": e.Public, "stub": e.Stub, "documents": ids})
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, map[string]any{
		"meeting":   map[string]any{"id": mv.ID, "name": mv.Name, "organization": mv.Organization, "start": mv.Start, "location": mv.Location, "state": mv.State},
		"agenda":    agenda,
		"documents": docs,
		"size":      total,
	})
}
