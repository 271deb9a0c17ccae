package render

import (
	"net/http"

	"github.com/ratsmappe/ratsmappe/documents"
)

// PDF serves the sanitized rendition of version v from blobs with range
// requests, its SHA-256 as ETag and its upload time as Last-Modified;
// disposition is "inline" or "attachment" (with the version's file name).
func PDF(w http.ResponseWriter, r *http.Request, blobs documents.BlobStore, v *documents.Version, disposition, cacheControl string) {
	rs := documents.NewBlobReadSeeker(r.Context(), blobs, v.SHA256, v.Size)
	defer rs.Close()
	h := w.Header()
	h.Set("ETag", `"`+v.SHA256+`"`)
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", documents.ContentDisposition(disposition, v.FileName))
	h.Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, "", v.Created, rs)
}
