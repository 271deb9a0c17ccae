package reader

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/annotate/pdfexport"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// The annotation sync API of the reader: personal W3C Web Annotations,
// last-read tracking, what changed between versions, and the export.
// Every route needs a signed-in account; every answer contains only the
// caller's own Annotations and those their current faction peers share,
// on document versions the caller may see by the one policy.

// Annotations holds what the annotation routes share.
type Annotations struct {
	s     *Handler
	store *annotate.Store
	re    *annotate.Reanchorer
}

func (s *Handler) annotationsAPI() *Annotations {
	a := &Annotations{s: s}
	if s.cfg.DB != nil {
		a.store = annotate.NewStore(s.cfg.DB, nil)
		if s.cfg.Documents != nil {
			a.re = annotate.NewReanchorer(a.store, s.cfg.Documents.Store(), s.log)
		}
	}
	return a
}

// LastRead returns what account last read of each of the documents
// docIDs (missing: never read). The reader's manifest uses it with
// annotate.ReadStatus for its "neu" / "geändert" badges; the caller has
// filtered docIDs through the policy.
func (s *Handler) LastRead(ctx context.Context, account int64, docIDs []int64) (map[int64]annotate.Read, error) {
	return annotate.NewStore(s.cfg.DB, nil).LastRead(ctx, account, docIDs)
}

// SignedIn refuses anonymous callers with 401.
func (s *Handler) SignedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if request.Viewer(r.Context()).AccountID == 0 {
			render.Error(w, r, ratsmappe.Errorf(ratsmappe.EUNAUTHORIZED, "Bitte melden Sie sich an."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// reader returns the caller as a reader of annotations: with their
// current faction peers, the member accounts of the persons who share a
// faction with them today.
func (a *Annotations) reader(ctx context.Context) (annotate.Reader, error) {
	v := request.Viewer(ctx)
	persons, err := a.s.cfg.Sessions.FactionPeers(ctx, v)
	if err != nil {
		return annotate.Reader{}, err
	}
	peers, err := a.s.cfg.Accounts.MemberAccounts(ctx, persons)
	if err != nil {
		return annotate.Reader{}, err
	}
	delete(peers, v.AccountID)
	return annotate.Reader{AccountID: v.AccountID, Peers: peers}, nil
}

// versionStates returns the states of document id's versions.
func (a *Annotations) versionStates(ctx context.Context, id int64) (map[int]string, error) {
	vs, err := a.s.cfg.Documents.Store().FindVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make(map[int]string, len(vs))
	for _, v := range vs {
		out[v.Number] = v.State
	}
	return out, nil
}

// visible reports which of the (document, version) pairs v may see.
type docVersion struct {
	doc int64
	n   int
}

func (a *Annotations) visible(ctx context.Context, pairs map[docVersion]bool) error {
	v := request.Viewer(ctx)
	for p := range pairs {
		ok, err := a.s.cfg.Sessions.CanSeeVersion(ctx, v, p.doc, p.n)
		if err != nil {
			return err
		}
		pairs[p] = ok
	}
	return nil
}

func (a *Annotations) reanchor(ctx context.Context, docID int64) {
	if a.re == nil {
		return
	}
	if _, err := a.re.Document(ctx, docID); err != nil {
		a.s.log.Error("re-anchoring", "document", docID, "err", err)
	}
}

// Put answers PUT /api/v1/annotations/{uuid}.
func (a *Annotations) Put(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	uuid := chi.URLParam(r, "uuid")
	if !annotate.ValidUUID(uuid) {
		render.Error(w, r, render.NotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, annotate.MaxSize+1))
	if err != nil {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Die Anfrage wurde abgebrochen."))
		return
	}
	an, err := annotate.Parse(body)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	ok, err := a.s.cfg.Sessions.CanSeeVersion(ctx, v, an.DocumentID, an.Version)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	out, created, err := a.store.Put(ctx, v.AccountID, uuid, an)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	// A note made on an older version moves to the current one now.
	a.reanchor(ctx, an.DocumentID)
	if fresh, err := a.store.Find(ctx, v.AccountID, uuid); err == nil {
		out = fresh
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, status, out)
}

// Get answers GET /api/v1/annotations/{uuid}.
func (a *Annotations) Get(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	an, err := a.store.Find(ctx, v.AccountID, chi.URLParam(r, "uuid"))
	if err != nil {
		render.Error(w, r, err)
		return
	}
	ok, err := a.s.cfg.Sessions.CanSeeVersion(ctx, v, an.DocumentID, an.Version)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	if an.History, err = a.store.Anchorings(ctx, v.AccountID, chi.URLParam(r, "uuid")); err != nil {
		render.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, an)
}

// Delete answers DELETE /api/v1/annotations/{uuid}.
func (a *Annotations) Delete(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := a.store.Delete(ctx, request.Viewer(ctx).AccountID, chi.URLParam(r, "uuid")); err != nil {
		render.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// List answers GET /annotations?document=ID.
func (a *Annotations) List(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	id, err := strconv.ParseInt(r.URL.Query().Get("document"), 10, 64)
	if err != nil || id <= 0 {
		render.Error(w, r, render.NotFound)
		return
	}
	acc, err := a.s.cfg.Sessions.DocumentAccess(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	if acc != access.Full {
		render.Error(w, r, render.NotFound)
		return
	}
	a.reanchor(ctx, id)
	rd, err := a.reader(ctx)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	all, err := a.store.FindByDocument(ctx, rd, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	states, err := a.versionStates(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	doc, err := a.s.cfg.Documents.Store().FindDocumentByID(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	items := []*annotate.Annotation{}
	for _, an := range all {
		if access.VersionAccess(v, acc, states[an.Version] == documents.StateWithdrawn) == access.Full {
			items = append(items, an)
		}
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, map[string]any{"document": id, "current": doc.Current, "items": items})
}

// Cursors are opaque to clients: "c" and the sequence number in base 36,
// base64url-encoded.
func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + strconv.FormatInt(seq, 36)))
}

func decodeCursor(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'c' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[1:]), 36, 64)
	return n, err == nil && n >= 0
}

type changeJSON struct {
	ID         string               `json:"id"`
	Revision   int64                `json:"revision"`
	Modified   string               `json:"modified"`
	Deleted    bool                 `json:"deleted,omitempty"`
	Withheld   bool                 `json:"withheld,omitempty"`
	Document   int64                `json:"document,omitempty"`
	Annotation *annotate.Annotation `json:"annotation,omitempty"`
}

// Changes answers GET /annotations/changes?since=CURSOR&limit=N.
func (a *Annotations) Changes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	since, ok := decodeCursor(q.Get("since"))
	if !ok {
		render.Error(w, r, ratsmappe.Reasonf(ratsmappe.EINVALID, "bad_cursor", "Ungültiger Cursor."))
		return
	}
	limit := 500
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			render.Error(w, r, ratsmappe.Reasonf(ratsmappe.EINVALID, "bad_limit", "limit muss zwischen 1 und 1000 liegen."))
			return
		}
		limit = n
	}
	rd, err := a.reader(ctx)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	cs, next, more, err := a.store.Changes(ctx, rd, since, limit)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	pairs := map[docVersion]bool{}
	for _, c := range cs {
		if c.Annotation != nil || c.Peer {
			pairs[docVersion{c.DocumentID, c.Version}] = false
		}
	}
	if err := a.visible(ctx, pairs); err != nil {
		render.Error(w, r, err)
		return
	}
	out := make([]changeJSON, 0, len(cs))
	for _, c := range cs {
		if c.Peer && !pairs[docVersion{c.DocumentID, c.Version}] {
			// A peer's annotation, or its tombstone, on a document the
			// caller may not see: nothing of it, not even that it exists.
			// A device that kept it drops it with the document.
			continue
		}
		j := changeJSON{ID: c.ID, Revision: c.Revision, Modified: c.Modified.UTC().Format(time.RFC3339Nano), Deleted: c.Deleted}
		if c.Annotation != nil {
			if pairs[docVersion{c.DocumentID, c.Version}] {
				j.Document, j.Annotation = c.DocumentID, c.Annotation
			} else {
				// The document is no longer visible to the caller: the
				// device drops its copy; nothing of it is shown.
				j.Withheld = true
			}
		}
		out = append(out, j)
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, map[string]any{"changes": out, "next": encodeCursor(next), "more": more})
}

type readJSON struct {
	Document int64      `json:"document"`
	Current  int        `json:"current"`
	LastRead *int       `json:"lastRead"`
	ReadAt   *time.Time `json:"readAt,omitempty"`
	Status   string     `json:"status"` // new, changed, read
}

func readStatus(id int64, current int, r annotate.Read, ok bool) readJSON {
	j := readJSON{Document: id, Current: current, Status: annotate.ReadStatus(current, r, ok)}
	if ok {
		n, at := r.Version, r.At
		j.LastRead, j.ReadAt = &n, &at
	}
	return j
}

// GetRead answers GET /api/v1/documents/{id}/read.
func (a *Annotations) GetRead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	if acc, err := a.s.cfg.Sessions.DocumentAccess(ctx, v, id); err != nil || acc != access.Full {
		render.Error(w, r, orNotFound(err))
		return
	}
	doc, err := a.s.cfg.Documents.Store().FindDocumentByID(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	reads, err := a.store.LastRead(ctx, v.AccountID, []int64{id})
	if err != nil {
		render.Error(w, r, err)
		return
	}
	rd, ok := reads[id]
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, readStatus(id, doc.Current, rd, ok))
}

func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return render.NotFound
}

// PutRead answers PUT /api/v1/documents/{id}/read.
func (a *Annotations) PutRead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	var body struct {
		Version int `json:"version"`
	}
	if err := request.Decode(r, &body); err != nil {
		render.Error(w, r, err)
		return
	}
	if body.Version < 1 {
		render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "version fehlt."))
		return
	}
	if ok, err := a.s.cfg.Sessions.CanSeeVersion(ctx, v, id, body.Version); err != nil || !ok {
		render.Error(w, r, orNotFound(err))
		return
	}
	if err := a.store.SetRead(ctx, v.AccountID, id, body.Version); err != nil {
		render.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Reads answers GET /reads?documents=1,2,3 for the reader's badges; the
// documents the caller may not see are left out.
func (a *Annotations) Reads(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	var ids []int64
	for _, f := range strings.Split(r.URL.Query().Get("documents"), ",") {
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 || len(ids) >= 1000 {
			render.Error(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "documents muss eine Liste von höchstens 1000 Dokumentnummern sein."))
			return
		}
		ids = append(ids, id)
	}
	ids, err := a.s.cfg.Sessions.FilterDocuments(ctx, v, ids)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	reads, err := a.store.LastRead(ctx, v.AccountID, ids)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	out := []readJSON{}
	for _, id := range ids {
		doc, err := a.s.cfg.Documents.Store().FindDocumentByID(ctx, id)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		rd, ok := reads[id]
		out = append(out, readStatus(id, doc.Current, rd, ok))
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, map[string]any{"documents": out})
}

// exportVersion checks that the caller may see version {n} of document
// {id} and returns it with the caller's own Annotations on it (after
// moving any still on older versions).
func (a *Annotations) exportVersion(w http.ResponseWriter, r *http.Request) (*documents.Version, []*annotate.Annotation, bool) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	id, ok1 := request.IDParam(r, "id")
	n, ok2 := request.IDParam(r, "n")
	if !ok1 || !ok2 || n > 1<<30 {
		render.Error(w, r, render.NotFound)
		return nil, nil, false
	}
	if ok, err := a.s.cfg.Sessions.CanSeeVersion(ctx, v, id, int(n)); err != nil || !ok {
		render.Error(w, r, orNotFound(err))
		return nil, nil, false
	}
	ver, err := a.s.cfg.Documents.Store().FindVersion(ctx, id, int(n))
	if err != nil {
		render.Error(w, r, err)
		return nil, nil, false
	}
	a.reanchor(ctx, id)
	anns, err := a.store.OwnByVersion(ctx, v.AccountID, id, int(n))
	if err != nil {
		render.Error(w, r, err)
		return nil, nil, false
	}
	a.s.folder.Audit(ctx, "annotations.export", "document", id, fmt.Sprintf("version %d, %s", n, path.Ext(r.URL.Path)))
	return ver, anns, true
}

// ExportJSON answers the caller's Annotations on a version as a W3C
// AnnotationCollection with one page.
func (a *Annotations) ExportJSON(w http.ResponseWriter, r *http.Request) {
	ver, anns, ok := a.exportVersion(w, r)
	if !ok {
		return
	}
	if anns == nil {
		anns = []*annotate.Annotation{}
	}
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", documents.ContentDisposition("attachment", strings.TrimSuffix(ver.FileName, path.Ext(ver.FileName))+"-notizen.json"))
	src := annotate.Source(ver.DocumentID, ver.Number)
	render.JSON(w, http.StatusOK, map[string]any{
		"@context": annotate.Context,
		"id":       src + "/annotations.json",
		"type":     "AnnotationCollection",
		"label":    fmt.Sprintf("Meine Notizen – %s, Fassung %d", ver.FileName, ver.Number),
		"total":    len(anns),
		"first": map[string]any{
			"type":       "AnnotationPage",
			"startIndex": 0,
			"items":      anns,
		},
	})
}

// ExportPDF answers the version's PDF with the caller's Annotations in it.
func (a *Annotations) ExportPDF(w http.ResponseWriter, r *http.Request) {
	ver, anns, ok := a.exportVersion(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	pages := make([]pdfexport.Page, len(ver.PageSizes))
	for i, p := range ver.PageSizes {
		pages[i] = pdfexport.Page{Width: p.Width, Height: p.Height}
	}
	rs := documents.NewBlobReadSeeker(ctx, a.s.cfg.Documents.Blobs(), ver.SHA256, ver.Size)
	defer rs.Close()
	var buf bytes.Buffer
	if err := pdfexport.Write(ctx, rs, &buf, anns, pages, request.Viewer(ctx).Name); err != nil {
		render.Error(w, r, err)
		return
	}
	// The export hands out the document's bytes as well as the notes: a
	// read like the file route's, besides the export entry.
	if !folder.PublicVersionState(a.s.folder.AnonymousAccess(ctx, ver.DocumentID), ver.State) {
		a.s.folder.Audit(ctx, "document.read_nonpublic", "document", ver.DocumentID, fmt.Sprintf("version %d, annotations.pdf", ver.Number))
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", documents.ContentDisposition("attachment", strings.TrimSuffix(ver.FileName, path.Ext(ver.FileName))+"-notizen.pdf"))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
