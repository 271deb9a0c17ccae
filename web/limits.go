package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Request bodies are limited, and mostly read, before any handler runs
// and before the request takes an admission slot (admission.go), so that
// no route can be made to buffer or wait without bound, and a client
// trickling its body a byte at a time (slowloris on the body) holds a
// connection but never a slot:
//
//   - sign-in and sign-out (POST /login, /logout) at most signInBody,
//     within signInTimeout, whatever the content type;
//   - an upload (multipart POST to /api/v1/documents or
//     …/documents/{id}/versions) at most Config.MaxUpload plus room for
//     the multipart framing, arriving at uploadRate on average after a
//     start of BodyTimeout — a big PDF over a weak line keeps going, a
//     trickle is cut off; it streams to the handler, which checks the
//     uploader first;
//   - any other form (URL-encoded or multipart) at most maxFormBody, a
//     JSON or other body at most maxJSONBody, within BodyTimeout.
//
// All but uploads are read before the handler, their first preRead bytes
// into memory (memory grows with bytes that have arrived, not with
// declared lengths); a longer JSON body streams on under the same
// deadline. A declared Content-Length above the limit is refused with 413
// before a byte is read, a chunked body when it passes the limit; a body
// that does not arrive in time with 400, and the connection is closed.
//
// Slow request headers are the http.Server's ReadHeaderTimeout
// (cmd/ratsmappe serve).
const (
	signInBody      = 8 << 10
	signInTimeout   = 5 * time.Second
	maxFormBody     = 64 << 10
	maxJSONBody     = request.MaxJSONBody
	preRead         = 64 << 10
	bodyReadTimeout = 20 * time.Second
	uploadRate      = 16 << 10 // bytes per second, on average
)

// bodyRule is how a route takes its body.
type bodyRule struct {
	limit   int64
	timeout time.Duration // to receive the whole body; for uploads the start
	upload  bool          // streams at uploadRate, not read ahead
}

func (s *Server) bodyRule(r *http.Request) bodyRule {
	timeout := s.cfg.BodyTimeout
	if timeout <= 0 {
		timeout = bodyReadTimeout
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && (p == "/login" || p == "/logout"):
		return bodyRule{limit: signInBody, timeout: min(timeout, signInTimeout)}
	case mt == "multipart/form-data" && r.Method == http.MethodPost && isUploadPath(p):
		limit := s.cfg.MaxUpload
		if limit <= 0 {
			limit = 200 * 1000 * 1000
		}
		return bodyRule{limit: limit + 1<<20, timeout: timeout, upload: true}
	case mt == "multipart/form-data" || mt == "application/x-www-form-urlencoded":
		return bodyRule{limit: maxFormBody, timeout: timeout}
	}
	return bodyRule{limit: maxJSONBody, timeout: timeout}
}

// isUploadPath reports whether p takes a PDF upload (clerk.go).
func isUploadPath(p string) bool {
	if p == "/api/v1/documents" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "/api/v1/documents/")
	id, ok2 := strings.CutSuffix(rest, "/versions")
	return ok && ok2 && id != "" && !strings.Contains(id, "/")
}

func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rule := s.bodyRule(r)
		if r.ContentLength > rule.limit {
			s.tooLarge(w, r)
			return
		}
		body := http.MaxBytesReader(w, r.Body, rule.limit)
		// Not every ResponseWriter can set deadlines (a test recorder);
		// then the server's ReadTimeout still holds.
		rc := http.NewResponseController(w)
		start := time.Now()
		_ = rc.SetReadDeadline(start.Add(rule.timeout))
		if rule.upload {
			r.Body = &minRateBody{ReadCloser: body, rc: rc, start: start, grace: rule.timeout}
			next.ServeHTTP(w, r)
			return
		}
		b, err := io.ReadAll(io.LimitReader(body, preRead+1))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.tooLarge(w, r)
				return
			}
			w.Header().Set("Connection", "close")
			s.bodyError(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Die Anfrage ist unvollständig angekommen. / The request arrived incomplete."))
			return
		}
		if len(b) <= preRead {
			r.Body = io.NopCloser(bytes.NewReader(b))
			// The body is in; the deadline must not end the request's
			// context while the handler works or waits for a slot.
			_ = rc.SetReadDeadline(time.Time{})
		} else {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(b), body), body}
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Parsed here, where a failure can still be answered
			// properly; PostFormValue in the handlers would drop it.
			if err := r.ParseForm(); err != nil {
				s.bodyError(w, r, ratsmappe.Errorf(ratsmappe.EINVALID, "Das Formular ist unvollständig angekommen. / The form arrived incomplete."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// minRateBody is an upload's body: its read deadline moves on with every
// byte that arrives, so that the body must come at uploadRate on average
// after a start of grace.
type minRateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	n     int64
	next  int64 // n at which the deadline moves next
}

func (b *minRateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		// All in: the handler may take its time with it.
		_ = b.rc.SetReadDeadline(time.Time{})
	} else if b.n >= b.next {
		// Moved every 64 KiB (4 s at the minimum rate), not every read.
		b.next = b.n + 64<<10
		_ = b.rc.SetReadDeadline(b.start.Add(b.grace + time.Duration(b.n/uploadRate)*time.Second))
	}
	return n, err
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	// The rest of the body is not read; the connection cannot be reused.
	w.Header().Set("Connection", "close")
	s.bodyError(w, r, ratsmappe.Errorf(ratsmappe.ETOOLARGE, "Die Anfrage ist zu groß. / The request is too large."))
}

// bodyError answers with a page for browsers' forms, JSON for the API.
func (s *Server) bodyError(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oparl/") {
		render.Error(w, r, err)
		return
	}
	render.Error(w, r, err)
}
