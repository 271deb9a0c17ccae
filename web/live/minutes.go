package live

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/textpdf"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

type minutesPartJSON struct {
	Minutes  int64  `json:"minutes"`
	Document int64  `json:"document"`
	Version  int    `json:"version"`
	Public   bool   `json:"public"`
	Title    string `json:"title"`
	Source   string `json:"source"`
}

// DraftMinutes answers POST /api/v1/meetings/{id}/minutes/draft: it
// drafts the minutes from the record, typesets each part (public, and
// non-public if the meeting has non-public items) as a PDF and stores it
// as minutes in draft state — a new version of the part drafted before,
// if any, else new minutes — with its text source. A part whose record
// did not change since it was drafted is left as it is. A part drafted before
// that is approved or published is not overwritten (ECONFLICT
// "minutes_approved"): the minutes are then corrected by hand; nor is a
// part the office edited, unless ?replace=true (ECONFLICT
// "minutes_edited").
func (h *Handler) DraftMinutes(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	d, err := h.live.DraftMinutes(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	before, err := h.drafted(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	replace := r.URL.Query().Get("replace") == "true"
	for _, p := range d.Parts {
		m := before[p.Public]
		if m == nil || m.source.Source == p.Source {
			continue
		}
		if m.State != sessions.MinutesDraft {
			render.Error(w, r, approvedMinutes())
			return
		}
		if m.source.Edited && !replace {
			render.Error(w, r, &ratsmappe.Error{Code: ratsmappe.ECONFLICT, Reason: "minutes_edited",
				Message:   "Der Entwurf wurde bearbeitet; ein neuer Entwurf aus dem Sitzungsprotokoll ersetzt die Bearbeitung nur mit replace=true.",
				MessageEN: "The draft was edited; a new draft from the record replaces the edits only with replace=true."})
			return
		}
	}
	by := request.Viewer(ctx).Name
	out := []minutesPartJSON{}
	for _, p := range d.Parts {
		b := before[p.Public]
		if b != nil && b.source.Source == p.Source {
			out = append(out, minutesPartJSON{Minutes: b.ID, Document: b.DocumentID, Version: b.source.Version, Public: p.Public, Title: p.Title, Source: p.Source})
			continue
		}
		part, err := h.storeMinutes(ctx, d, p, b, by, false)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		h.folder.Audit(ctx, "minutes.draft", "minutes", part.Minutes, fmt.Sprintf("document %d version %d", part.Document, part.Version))
		out = append(out, part)
	}
	render.JSON(w, http.StatusCreated, map[string]any{"meeting": id, "parts": out})
}

// draftedMinutes is minutes drafted from the record before, with the
// source it was typeset from.
type draftedMinutes struct {
	*sessions.Minutes
	source live.MinutesSource
}

// drafted returns the minutes drafted from the record before, by part
// (true: the public part).
func (h *Handler) drafted(ctx context.Context, id int64) (map[bool]*draftedMinutes, error) {
	srcs, err := h.live.FindMinutesSources(ctx, id)
	if err != nil {
		return nil, err
	}
	ms, err := h.sessions.FindMinutes(ctx, access.Viewer{Role: access.RoleClerk}, id)
	if err != nil {
		return nil, err
	}
	out := map[bool]*draftedMinutes{}
	for _, src := range srcs {
		for _, m := range ms {
			if m.ID == src.MinutesID && out[src.Public] == nil {
				out[src.Public] = &draftedMinutes{Minutes: m, source: src}
			}
		}
	}
	return out, nil
}

// storeMinutes typesets part p and stores it as the next version of
// before's document, or as new minutes if before is nil; edited says the
// office wrote the source.
func (h *Handler) storeMinutes(ctx context.Context, d *live.MinutesDraft, p live.MinutesPart, before *draftedMinutes, by string, edited bool) (minutesPartJSON, error) {
	out := minutesPartJSON{Public: p.Public, Title: p.Title, Source: p.Source}
	if by == "" {
		by = "Sitzungsbüro"
	}
	f, err := os.CreateTemp(h.cfg.TempDir, "niederschrift-*.pdf")
	if err != nil {
		return out, fmt.Errorf("minutes draft: %w", err)
	}
	defer os.Remove(f.Name())
	doc := textpdf.Doc{Title: p.Title, Author: d.Body, Subject: "Niederschrift (Entwurf)", Created: time.Now(),
		Header: d.Body, Blocks: textpdf.FromText(p.Source)}
	_, err = textpdf.Write(f, doc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return out, fmt.Errorf("minutes draft: %w", err)
	}
	file := fmt.Sprintf("niederschrift-sitzung-%d.pdf", d.Meeting.ID)
	if !p.Public {
		file = fmt.Sprintf("niederschrift-sitzung-%d-nichtoeffentlich.pdf", d.Meeting.ID)
	}
	if before != nil {
		added, err := h.cfg.Documents.AddVersion(ctx, before.DocumentID, documents.Upload{Path: f.Name(), FileName: file, Uploader: by, Note: "Neuer Entwurf aus dem Sitzungsprotokoll"})
		if err != nil {
			return out, err
		}
		out.Minutes, out.Document, out.Version = before.ID, before.DocumentID, added.Version.Number
	} else {
		added, err := h.cfg.Documents.AddDocument(ctx, documents.Upload{Path: f.Name(), FileName: file, Title: p.Title, Kind: documents.KindMinutes, Uploader: by})
		if err != nil {
			return out, err
		}
		m := &sessions.Minutes{MeetingID: d.Meeting.ID, DocumentID: added.Document.ID, Public: p.Public}
		if err := h.sessions.CreateMinutes(ctx, m); err != nil {
			return out, err
		}
		out.Minutes, out.Document, out.Version = m.ID, added.Document.ID, added.Version.Number
	}
	return out, h.live.SaveMinutesSource(ctx, d.Meeting.ID, live.MinutesSource{MinutesID: out.Minutes, Public: p.Public, Source: p.Source, Version: out.Version, Edited: edited})
}

// MinutesSource answers GET /api/v1/minutes/{id}/source: the text source
// of minutes drafted from the record, and the version typeset from it.
func (h *Handler) MinutesSource(w http.ResponseWriter, r *http.Request, id int64) {
	meeting, src, err := h.live.FindMinutesSource(r.Context(), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, map[string]any{"minutes": id, "meeting": meeting, "public": src.Public, "version": src.Version, "source": src.Source})
}

// SetMinutesSource answers PUT /api/v1/minutes/{id}/source {"source":
// text}: the office's edit of minutes drafted from the record, typeset
// and stored as their document's next version while they are a draft
// (ECONFLICT "minutes_approved" after).
func (h *Handler) SetMinutesSource(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	var in struct {
		Source string `json:"source"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	d, old, err := h.live.EditMinutes(ctx, id, in.Source)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	before, err := h.drafted(ctx, d.Meeting.ID)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	b := before[old.Public]
	if b == nil || b.ID != id {
		render.Error(w, r, render.NotFound)
		return
	}
	p := d.Parts[0]
	if b.State != sessions.MinutesDraft {
		render.Error(w, r, approvedMinutes())
		return
	}
	part := minutesPartJSON{Minutes: id, Document: b.DocumentID, Version: old.Version, Public: p.Public, Title: p.Title, Source: p.Source}
	if old.Source != p.Source {
		by := request.Viewer(ctx).Name
		if part, err = h.storeMinutes(ctx, d, p, b, by, true); err != nil {
			render.Error(w, r, err)
			return
		}
		h.folder.Audit(ctx, "minutes.edit", "minutes", id, fmt.Sprintf("document %d version %d", part.Document, part.Version))
	}
	render.JSON(w, http.StatusOK, part)
}

func approvedMinutes() error {
	return &ratsmappe.Error{Code: ratsmappe.ECONFLICT, Reason: "minutes_approved",
		Message:   "Die Niederschrift ist bereits genehmigt oder veröffentlicht; ein neuer Entwurf würde sie überschreiben.",
		MessageEN: "The minutes are already approved or published; a new draft would overwrite them."}
}
