package web

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
)

// Request bodies are limited before any handler reads them, so that no
// route can be made to buffer or wait without bound:
//
//   - a form (sign-in, sign-out) at most maxFormBody, a JSON body at most
//     maxJSONBody, a multipart upload at most Config.MaxUpload plus room
//     for the multipart framing; a declared Content-Length above the limit
//     is refused with 413 before a byte is read, a chunked body when it
//     passes the limit;
//   - every body but an upload must arrive within bodyReadTimeout (a
//     client trickling a form a byte a second — slowloris on the body —
//     is cut off instead of holding an admission slot for the server's
//     whole ReadTimeout). Uploads of big PDFs over weak lines keep the
//     server's ReadTimeout.
//
// Slow request headers are the http.Server's ReadHeaderTimeout
// (cmd/ratsmappe serve).

const (
	maxFormBody     = 64 << 10
	maxJSONBody     = 1 << 20
	bodyReadTimeout = 20 * time.Second
)

func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		limit := int64(maxJSONBody)
		switch mt {
		case "multipart/form-data":
			limit = s.cfg.MaxUpload
			if limit <= 0 {
				limit = 200 * 1000 * 1000
			}
			limit += 1 << 20
		case "application/x-www-form-urlencoded":
			limit = maxFormBody
		}
		if r.ContentLength > limit {
			s.tooLarge(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if mt != "multipart/form-data" {
			timeout := s.cfg.BodyTimeout
			if timeout <= 0 {
				timeout = bodyReadTimeout
			}
			// Not every ResponseWriter can (a test recorder); then the
			// server's ReadTimeout still holds.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		}
		if mt == "application/x-www-form-urlencoded" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Parsed here, where a failure can still be answered
			// properly; PostFormValue in the handlers would drop it.
			if err := r.ParseForm(); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					s.tooLarge(w, r)
					return
				}
				w.Header().Set("Connection", "close")
				s.bodyError(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Das Formular ist unvollständig angekommen. / The form arrived incomplete."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	// The rest of the body is not read; the connection cannot be reused.
	w.Header().Set("Connection", "close")
	s.bodyError(w, r, ratsmappe.Errorf(ratsmappe.ETOOLARGE, "Die Anfrage ist zu groß. / The request is too large."))
}

// bodyError answers with a page for browsers' forms, JSON for the API.
func (s *Server) bodyError(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oparl/") {
		s.Error(w, r, err)
		return
	}
	s.pageError(w, r, err)
}
