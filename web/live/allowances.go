package live

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// AllowanceRate answers GET /api/v1/organizations/{id}/allowance-rate:
// the body's Sitzungsgeld (all zero if none is set).
func (h *Handler) AllowanceRate(w http.ResponseWriter, r *http.Request, id int64) {
	if _, err := h.sessions.FindOrganizationByID(r.Context(), id); err != nil {
		render.Error(w, r, err)
		return
	}
	rate, set, err := h.live.AllowanceRateOf(r.Context(), id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusOK, map[string]any{"rate": rate, "set": set})
}

// SetAllowanceRate answers PUT /api/v1/organizations/{id}/allowance-rate
// {"per_meeting_cents": n, "long_cents": n, "long_after_minutes": n}.
func (h *Handler) SetAllowanceRate(w http.ResponseWriter, r *http.Request, id int64) {
	var in live.AllowanceRate
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := h.live.SetAllowanceRate(r.Context(), id, in); err != nil {
		render.Error(w, r, err)
		return
	}
	h.folder.Audit(r.Context(), "allowance_rate.set", "organization", id,
		fmt.Sprintf("%s €, %s € über %d Minuten", live.Euro(in.PerMeeting), live.Euro(in.Long), in.LongAfter))
	render.JSON(w, http.StatusOK, map[string]any{"rate": in, "set": true})
}

// Allowances answers GET /api/v1/allowances?from=YYYY-MM-DD&to=YYYY-MM-DD
// &format=json|csv|pdf: per person, the meetings attended in the period
// and the allowance owed — JSON, CSV for the finance system, or a PDF list.
func (h *Handler) Allowances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	as, err := h.live.Allowances(r.Context(), from, to)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	var (
		buf  bytes.Buffer
		ctyp string
	)
	switch format := q.Get("format"); format {
	case "", "json":
		var total int64
		for _, a := range as {
			total += a.Cents
		}
		render.JSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "persons": as, "cents": total})
		return
	case "csv":
		ctyp, err = "text/csv; charset=utf-8", live.WriteAllowancesCSV(&buf, as)
	case "pdf":
		ctyp, err = "application/pdf", live.WriteAllowancesPDF(&buf, as, from, to, time.Now())
	default:
		err = &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: "unknown_format",
			Message: fmt.Sprintf("Unbekanntes Format %q (json, csv oder pdf).", format), MessageEN: fmt.Sprintf("Unknown format %q (json, csv or pdf).", format)}
	}
	if err != nil {
		render.Error(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", ctyp)
	hd.Set("Content-Disposition", documents.ContentDisposition("attachment", fmt.Sprintf("sitzungsgeld-%s-%s.%s", from, to, q.Get("format"))))
	hd.Set("Cache-Control", "private, no-store")
	w.Write(buf.Bytes())
}
