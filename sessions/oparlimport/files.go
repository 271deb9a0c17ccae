package oparlimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// A File becomes one document (downloaded and ingested once, however
// many objects name it; a changed file a new version) and, for each
// object that names it, an attachment — or minutes for a meeting's
// resultsProtocol and verbatimProtocol.

const roleMinutes = "minutes"

// parent is the object a file hangs on.
type parent struct {
	ext    string // its OParl id
	target sessions.AttachmentTarget
	public bool // the file is public there (the parent is public)
	// seen collects the attachments the source still lists; complete is
	// cleared when a listed file could not be read (then nothing is
	// taken as dropped).
	seen     map[int64]bool
	complete *bool
}

func newParent(ext string, target sessions.AttachmentTarget, public bool) parent {
	complete := true
	return parent{ext: ext, target: target, public: public, seen: map[int64]bool{}, complete: &complete}
}

// withdrawDropped withdraws the imported attachments of p that the
// source no longer lists, if all it lists was read.
func (im *importer) withdrawDroppedFiles(ctx context.Context, p parent) error {
	if !*p.complete {
		return nil
	}
	as, err := im.st.FindAttachments(ctx, staff, p.target)
	if err != nil {
		return err
	}
	for _, a := range as {
		if p.seen[a.ID] || a.Withdrawn() {
			continue
		}
		mapped, err := im.st.OParlMapped(ctx, "attachment", a.ID)
		if err != nil {
			return err
		}
		if !mapped {
			continue // the office's own attachment
		}
		if err := im.st.WithdrawAttachment(ctx, a.ID); err != nil {
			return err
		}
		if err := im.audit(ctx, "attachment.withdraw", "attachment", a.ID, "nicht mehr bei "+p.ext); err != nil {
			return err
		}
		im.count(im.res.Deleted, "attachment")
	}
	return nil
}

// files returns the files of a field where OParl has one: f, and the
// entries after it of a list a server sent there; none if the field is
// absent.
func files(f *oparl.File) []*oparl.File {
	if f == nil || f.Read.IsZero() {
		return nil
	}
	out := []*oparl.File{f}
	for _, r := range f.Read.All()[1:] {
		o := &oparl.File{ID: oparl.Str(r.ID), Read: r}
		if r.Raw != nil {
			json.Unmarshal(r.Raw, o) // any JSON object decodes into a File
		}
		out = append(out, o)
	}
	return out
}

// file imports file f of parent p: as it came embedded, or fetched from
// its URL.
func (im *importer) file(ctx context.Context, f *oparl.File, p parent, role string, position int) error {
	r := f.Read
	if r.Raw == nil {
		raw, ok, err := object(ctx, im, r)
		if err != nil {
			return err
		}
		if !ok {
			*p.complete = false
			if _, refused := im.refused.Load(r.ID); refused {
				im.skip("Datei %s nicht abgerufen: anderer Host", r.ID)
			} else {
				im.skip("Datei %s gibt es an der Quelle nicht", r.ID)
			}
			return nil
		}
		f = new(oparl.File)
		if err := decodeObj(raw, f); err != nil {
			*p.complete = false
			im.skip("Datei %s: %v", r.ID, err)
			return nil
		}
	}
	if f.ID == "" {
		f.ID = oparl.Str(r.ID)
	}
	if f.ID == "" {
		*p.complete = false
		im.skip("Datei ohne id an %s", p.ext)
		return nil
	}
	kind := "attachment"
	if role == roleMinutes {
		kind = "minutes"
	}
	key := string(f.ID) + " " + p.ext
	if f.Deleted {
		defer im.lock(kind + " " + key)()
		rec, err := im.known(ctx, kind, key)
		if err != nil || rec == nil || rec.Deleted {
			if rec != nil {
				p.seen[rec.LocalID] = true
			}
			return err
		}
		p.seen[rec.LocalID] = true
		if kind == "attachment" {
			if err := im.st.WithdrawAttachment(ctx, rec.LocalID); err != nil {
				return err
			}
			if err := im.audit(ctx, "attachment.withdraw", "attachment", rec.LocalID, key); err != nil {
				return err
			}
		} else if err := im.st.SetMinutesState(ctx, rec.LocalID, sessions.MinutesApproved); err != nil {
			return err
		}
		im.count(im.res.Deleted, kind)
		return im.save(ctx, kind, key, rec.LocalID, f.Modified, true)
	}
	docID, err := im.document(ctx, f, role)
	if err != nil || docID == 0 {
		return err
	}
	defer im.lock(kind + " " + key)()
	rec, err := im.known(ctx, kind, key)
	if err != nil {
		return err
	}
	if rec != nil && !rec.Deleted {
		p.seen[rec.LocalID] = true
		im.count(im.res.Unchanged, kind)
		return nil
	}
	var local int64
	if id, err := im.linked(ctx, kind, p, docID); err != nil {
		return err
	} else if id != 0 {
		// Linked by a run that stopped before recording it.
		p.seen[id] = true
		im.count(im.res.Unchanged, kind)
		return im.save(ctx, kind, key, id, f.Modified, false)
	}
	if kind == "minutes" {
		m := &sessions.Minutes{MeetingID: p.target.MeetingID, DocumentID: docID, Public: true}
		if err := im.st.CreateMinutes(ctx, m); err != nil {
			return err
		}
		for _, s := range []string{sessions.MinutesApproved, sessions.MinutesPublished} {
			if err := im.st.SetMinutesState(ctx, m.ID, s); err != nil {
				return err
			}
		}
		local = m.ID
	} else {
		a := &sessions.Attachment{DocumentID: docID, AgendaItemID: p.target.AgendaItemID, PaperID: p.target.PaperID, MeetingID: p.target.MeetingID,
			Role: role, Title: first(f.Name, f.FileName), Position: position}
		if err := im.st.Attach(ctx, a); err != nil {
			return err
		}
		if p.public {
			if err := im.st.SetAttachmentPublic(ctx, a.ID, true); err != nil {
				return err
			}
		}
		local = a.ID
	}
	p.seen[local] = true
	im.count(im.res.Created, kind)
	return im.save(ctx, kind, key, local, f.Modified, false)
}

// document returns the local document of file f, downloading and
// ingesting it if it is new or changed. 0 if there is none: the file was
// refused (recorded and reported) or cannot be downloaded.
func (im *importer) document(ctx context.Context, f *oparl.File, role string) (int64, error) {
	ext := string(f.ID)
	defer im.lock("document " + ext)()
	rec, err := im.known(ctx, "document", ext)
	if err != nil {
		return 0, err
	}
	if unchanged(rec, f.Modified) || (rec != nil && f.Modified == "") {
		im.count(im.res.Unchanged, "document")
		return rec.LocalID, nil
	}
	if rej, err := im.st.FindOParlRejection(ctx, ext); err == nil && rej.Modified == string(f.Modified) {
		return 0, nil // refused before, unchanged since: reported then
	}
	u := first(f.DownloadURL, f.AccessURL)
	if pu, err := url.Parse(u); err == nil && f.AccessURL != "" && !im.f.hosts.allows(pu) {
		// Many systems name a download host of their own; the access
		// URL may still be on the source's.
		if pa, err := url.Parse(string(f.AccessURL)); err == nil && im.f.hosts.allows(pa) {
			u = string(f.AccessURL)
		}
	}
	if u == "" {
		im.skip("Datei %s hat weder downloadUrl noch accessUrl", ext)
		if rec != nil {
			return rec.LocalID, nil
		}
		return 0, nil
	}
	path, err := im.f.download(ctx, u, im.cfg.TempDir, im.cfg.MaxFileSize)
	im.fetched(ctx, err)
	switch {
	case errors.Is(err, errTooLarge):
		return im.reject(ctx, f, documents.Reject(documents.RejectTooLarge, nil), rec)
	case isNotFound(err) || objectProblem(err):
		im.skip("Datei %s: %s", ext, userMessage(err))
		if rec != nil {
			return rec.LocalID, nil
		}
		return 0, nil
	case err != nil:
		return 0, err
	}
	defer os.Remove(path)
	if rec == nil {
		// A run that stopped between ingesting this file and recording
		// it left an unlinked document with these bytes: take it.
		sum, err := sha256File(path)
		if err != nil {
			return 0, err
		}
		// Two files of the source may have the same bytes (two scans of
		// one letter, two empty forms). Until the one ingested first is
		// recorded, it looks like such a leftover to the other: hold the
		// bytes' lock from the lookup to the record, so that each file
		// gets a document of its own.
		defer im.lock("bytes " + sum)()
		if id, err := im.st.FindUnlinkedDocument(ctx, uploader, sum); err == nil {
			im.count(im.res.Unchanged, "document")
			return id, im.save(ctx, "document", ext, id, f.Modified, false)
		} else if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
			return 0, err
		}
	}
	up := documents.Upload{Path: path, FileName: first(f.FileName, oparl.Str(lastSegment(u))), Title: first(f.Name, f.FileName),
		Kind: documentKind(role), Uploader: uploader}
	var added *documents.Added
	if rec == nil {
		added, err = im.cfg.Documents.AddDocument(ctx, up)
	} else {
		added, err = im.cfg.Documents.AddVersion(ctx, rec.LocalID, up)
	}
	switch rej := documents.RejectionOf(err); {
	case rej != nil:
		return im.reject(ctx, f, rej, rec)
	case rec != nil && ratsmappe.ErrorCode(err) == ratsmappe.ECONFLICT:
		// Same bytes as the current version: only the metadata changed.
		im.count(im.res.Unchanged, "document")
		return rec.LocalID, im.save(ctx, "document", ext, rec.LocalID, f.Modified, false)
	case err != nil:
		return 0, err
	}
	if rec == nil {
		im.count(im.res.Created, "document")
	} else {
		im.count(im.res.Updated, "document")
	}
	return added.Document.ID, im.save(ctx, "document", ext, added.Document.ID, f.Modified, false)
}

// reject records and reports a refused file. A file refused in a new
// version keeps its old, accepted version.
func (im *importer) reject(ctx context.Context, f *oparl.File, rej *ratsmappe.Error, rec *sessions.OParlObject) (int64, error) {
	ext := string(f.ID)
	if err := im.st.SaveOParlRejection(ctx, &sessions.OParlRejection{ExternalID: ext, Modified: string(f.Modified), Code: rej.Reason,
		Message: rej.Message, ImportID: im.run.ID}); err != nil {
		return 0, err
	}
	im.mu.Lock()
	im.res.Rejected = append(im.res.Rejected, Rejected{File: ext, Code: rej.Reason, Message: rej.Message})
	im.mu.Unlock()
	im.progressf("Datei %s abgelehnt (%s): %s", ext, rej.Reason, rej.Message)
	if rec != nil {
		return rec.LocalID, nil
	}
	return 0, nil
}

// uploader names the importer as the uploader of every version it adds.
const uploader = "OParl-Import"

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// linked returns the attachment (or minutes, for kind "minutes") that
// already links document docID to p, or 0.
func (im *importer) linked(ctx context.Context, kind string, p parent, docID int64) (int64, error) {
	if kind == "minutes" {
		ms, err := im.st.FindMinutes(ctx, staff, p.target.MeetingID)
		if err != nil {
			return 0, err
		}
		for _, m := range ms {
			if m.DocumentID == docID {
				return m.ID, nil
			}
		}
		return 0, nil
	}
	as, err := im.st.FindAttachments(ctx, staff, p.target)
	if err != nil {
		return 0, err
	}
	for _, a := range as {
		if a.DocumentID == docID && !a.Withdrawn() {
			return a.ID, nil
		}
	}
	return 0, nil
}

func documentKind(role string) string {
	switch role {
	case sessions.RoleInvitation, sessions.RoleAgenda:
		return documents.KindAgenda
	case roleMinutes:
		return documents.KindMinutes
	case sessions.RoleMain:
		return documents.KindDraft
	}
	return documents.KindAttachment
}
