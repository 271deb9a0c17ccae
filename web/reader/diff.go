package reader

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/annotate"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// What changed between two versions of a document: a word diff page by
// page, as JSON for the reader and as an accessible HTML page (reached
// from the reader's "geändert" badge). Both versions pass the policy; a
// version the viewer may not see answers like a missing one.

func init() {
	render.Register(map[string][2]string{
		"diff.title":      {"Änderungen", "Changes"},
		"diff.versions":   {"Fassung %d mit Fassung %d verglichen", "Version %d compared with version %d"},
		"diff.summary":    {"%d Wörter eingefügt, %d Wörter entfernt.", "%d words inserted, %d words removed."},
		"diff.from":       {"Ältere Fassung", "Older version"},
		"diff.to":         {"Neuere Fassung", "Newer version"},
		"diff.compare":    {"Vergleichen", "Compare"},
		"diff.legend":     {"Eingefügter Text ist unterstrichen, entfernter Text durchgestrichen.", "Inserted text is underlined, removed text struck through."},
		"diff.ins":        {"Eingefügt", "Inserted"},
		"diff.del":        {"Entfernt", "Removed"},
		"diff.end":        {"Ende", "end"},
		"diff.unchanged":  {"Seiten ohne Änderungen", "Pages without changes"},
		"diff.none":       {"Die beiden Fassungen enthalten denselben Text.", "Both versions contain the same text."},
		"diff.back":       {"Zum Dokument", "Back to the document"},
		"diff.page_label": {"Seite", "Page"},
	})
}

type diffView struct {
	ID       int64
	Title    string
	From, To int
	Versions []int
	annotate.DiffResult
	Unchanged []int
}

// documentDiff computes the diff of document id between the versions the
// query names: to defaults to the current version, from to the version
// the viewer last read, else the one before to.
func (s *Handler) documentDiff(ctx context.Context, r *http.Request, id int64) (*diffView, error) {
	v := request.Viewer(ctx)
	acc, err := s.cfg.Sessions.DocumentAccess(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if acc != access.Full {
		return nil, render.NotFound
	}
	doc, err := s.cfg.Documents.Store().FindDocumentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.cfg.Documents.Store().FindVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	dv := &diffView{ID: id, Title: doc.Title}
	visible := map[int]bool{}
	states := map[int]string{}
	for _, ver := range vs {
		if access.VersionAccess(v, acc, ver.State == documents.StateWithdrawn) == access.Full {
			visible[ver.Number] = true
			states[ver.Number] = ver.State
			dv.Versions = append(dv.Versions, ver.Number)
		}
	}
	num := func(name string, def int) (int, error) {
		q := r.URL.Query().Get(name)
		if q == "" {
			return def, nil
		}
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "%s muss eine Versionsnummer sein.", name)
		}
		return n, nil
	}
	if dv.To, err = num("to", doc.Current); err != nil {
		return nil, err
	}
	def := dv.To - 1
	if v.AccountID != 0 {
		if reads, err := annotate.NewStore(s.cfg.DB, nil).LastRead(ctx, v.AccountID, []int64{id}); err == nil {
			if rd, ok := reads[id]; ok && rd.Version < dv.To {
				def = rd.Version
			}
		}
	}
	if def < 1 {
		def = dv.To
	}
	if dv.From, err = num("from", def); err != nil {
		return nil, err
	}
	if !visible[dv.From] || !visible[dv.To] {
		return nil, render.NotFound
	}
	older, err := s.pageTexts(ctx, id, dv.From)
	if err != nil {
		return nil, err
	}
	newer, err := s.pageTexts(ctx, id, dv.To)
	if err != nil {
		return nil, err
	}
	dv.DiffResult = annotate.Diff(older, newer)
	if folder.SignedIn(v) {
		if pub := s.folder.AnonymousAccess(ctx, id); !folder.PublicVersionState(pub, states[dv.From]) || !folder.PublicVersionState(pub, states[dv.To]) {
			s.folder.Audit(ctx, "document.read_nonpublic", "document", id, fmt.Sprintf("versions %d–%d, diff", dv.From, dv.To))
		}
	}
	for _, p := range dv.Pages {
		if !p.Changed {
			dv.Unchanged = append(dv.Unchanged, p.Page)
		}
	}
	return dv, nil
}

func (s *Handler) pageTexts(ctx context.Context, id int64, n int) ([]string, error) {
	pages, err := s.cfg.Documents.Store().FindPages(ctx, id, n)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(pages))
	for i, p := range pages {
		out[i] = p.Text
	}
	return out, nil
}

// Diff answers GET /api/v1/documents/{id}/diff.
func (a *Annotations) Diff(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	dv, err := a.s.documentDiff(r.Context(), r, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render.JSON(w, http.StatusOK, map[string]any{"document": id, "from": dv.From, "to": dv.To,
		"pages": dv.Pages, "inserted": dv.Inserted, "deleted": dv.Deleted})
}

// DiffPage shows the diff as HTML: changed pages in full (long unchanged
// stretches shortened), insertions in <ins> and deletions in <del>, each
// with a hidden text label, since screen readers do not announce them.
func (s *Handler) DiffPage(w http.ResponseWriter, r *http.Request) {
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	dv, err := s.documentDiff(r.Context(), r, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	for i := range dv.Pages {
		for j, op := range dv.Pages[i].Ops {
			if op.Op == annotate.OpEqual {
				dv.Pages[i].Ops[j].Text = shorten(op.Text, 25)
			}
		}
	}
	p := render.NewPage(w, r, render.T(render.Language(r), "diff.title")+": "+dv.Title)
	p.Data = dv
	w.Header().Set("Cache-Control", "private, no-store")
	render.HTML(w, r, http.StatusOK, "diff", p)
}

// shorten keeps the first and last n words of a long unchanged run.
func shorten(s string, n int) string {
	f := strings.Fields(s)
	if len(f) <= 2*n+5 {
		return s
	}
	return strings.Join(f[:n], " ") + " … " + strings.Join(f[len(f)-n:], " ")
}
