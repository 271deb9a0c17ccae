package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Surface is how a route answers errors: as a page, as JSON, or as an
// OParl error object. The route table (web/routes.go) marks each group of
// routes with its surface.
type Surface int

const (
	// ByRequest answers a page to a request that accepts HTML, JSON to
	// anything else; routes that are not marked answer so.
	ByRequest Surface = iota
	// Pages answer errors with the error page.
	Pages
	// API answers errors as {"code", "message"} JSON.
	API
	// OParl answers errors as OParl 1.1 error objects (section 2.9).
	OParl
)

type surfaceKey struct{}

// As marks the routes it wraps as answering errors the surface's way.
func As(s Surface) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), surfaceKey{}, s)))
		})
	}
}

func surfaceOf(r *http.Request) Surface {
	if s, ok := r.Context().Value(surfaceKey{}).(Surface); ok && s != ByRequest {
		return s
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		return Pages
	}
	return API
}

// NotFound is the error of everything missing — and everything refused:
// a restricted object answers exactly like one that does not exist.
var NotFound = ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Nicht gefunden.")

var notFoundBody = map[string]string{"code": ratsmappe.ENOTFOUND, "message": "Nicht gefunden. / Not found."}

// Error answers err with the status its code maps to (Status), in the
// form of the request's surface (As). An internal error is logged with
// the request ID and shown as "internal error" with that ID, never its
// text. An error with a reason (a refused upload, a bad annotation,
// cursor or limit) shows it, and its English message where it has one.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code := ratsmappe.ErrorCode(err)
	reqID := ""
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		// The client went away (a closed tab, a load generator's end):
		// nobody reads the answer, and it is no fault of the server's,
		// so it is not logged as an internal error.
		request.Logger(r.Context()).Debug("request canceled by the client", "method", r.Method, "path", r.URL.Path, "request_id", request.ID(r))
		w.WriteHeader(499) // nginx's "client closed request", for access logs
		return
	}
	if code == ratsmappe.EINTERNAL {
		reqID = request.ID(r)
		request.Logger(r.Context()).Error("internal error", "method", r.Method, "path", r.URL.Path, "request_id", reqID, "err", err)
	}
	switch surfaceOf(r) {
	case Pages:
		errorPage(w, r, code, reqID, err)
	case OParl:
		body := oparl.Error{Type: oparl.Schema + "Error"}
		switch code {
		case ratsmappe.ENOTFOUND:
			body.Message = "Nicht gefunden."
		case ratsmappe.EINTERNAL:
			body.Message = "internal error"
			body.Debug = "request " + reqID
		default:
			body.Message = ratsmappe.ErrorMessage(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(Status(code))
		w.Write(buf.Bytes())
	default:
		errorJSON(w, code, reqID, err)
	}
}

func errorJSON(w http.ResponseWriter, code, reqID string, err error) {
	switch {
	case code == ratsmappe.ENOTFOUND:
		// One body for everything not found — and everything refused —
		// so that a response never tells which it was.
		JSON(w, http.StatusNotFound, notFoundBody)
	case code == ratsmappe.EINTERNAL:
		JSON(w, http.StatusInternalServerError, map[string]string{"code": code, "message": "internal error", "request_id": reqID})
	default:
		// code, message, and reason and message_en where the error has
		// them.
		body := map[string]string{"code": code, "message": ratsmappe.ErrorMessage(err)}
		var e *ratsmappe.Error
		if errors.As(err, &e) {
			if e.Reason != "" {
				body["reason"] = e.Reason
				if code == ratsmappe.EUNPROCESSABLE {
					// A refused upload has answered with its reason
					// as its code since API v1 ({"code": "not_pdf"});
					// clients rely on it.
					body["code"] = e.Reason
				}
			}
			if e.MessageEN != "" {
				body["message_en"] = e.MessageEN
			}
		}
		JSON(w, Status(code), body)
	}
}

func errorPage(w http.ResponseWriter, r *http.Request, code, reqID string, err error) {
	lang := Language(r)
	p := NewPage(w, r, T(lang, "error.notfound"))
	switch code {
	case ratsmappe.ENOTFOUND:
	case ratsmappe.EINTERNAL:
		p.RequestID = reqID
		p.Title, p.Error = "Fehler / Error", T(lang, "error.internal")
	default:
		p.Title, p.Error = ratsmappe.ErrorMessage(err), ratsmappe.ErrorMessage(err)
	}
	HTML(w, r, Status(code), "error", p)
}

// Status maps an application error code to an HTTP status.
func Status(code string) int {
	switch code {
	case ratsmappe.EINVALID:
		return http.StatusBadRequest
	case ratsmappe.ENOTFOUND:
		return http.StatusNotFound
	case ratsmappe.ECONFLICT:
		return http.StatusConflict
	case ratsmappe.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case ratsmappe.EFORBIDDEN:
		return http.StatusForbidden
	case ratsmappe.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case ratsmappe.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case ratsmappe.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case ratsmappe.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// Busy answers 429 with Retry-After: JSON to the API and OParl, a line
// of text to everything else.
func Busy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "2")
	w.Header().Set("Cache-Control", "no-store")
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oparl/") {
		JSON(w, http.StatusTooManyRequests, map[string]string{"code": "busy", "message": "Der Server ist gerade ausgelastet. Bitte versuchen Sie es in wenigen Sekunden erneut.",
			"message_en": "The server is busy. Please try again in a few seconds."})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte("Der Server ist gerade ausgelastet. Bitte laden Sie die Seite in wenigen Sekunden neu.\nThe server is busy. Please reload in a few seconds.\n"))
}
