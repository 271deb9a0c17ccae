package web

import (
	"net/http"
	"strings"
	"time"
)

// admission keeps the server answering under a flood — the moment an
// agenda is published and everybody arrives at once. At most inFlight
// requests run at a time; up to queue more wait, each for at most wait;
// anything beyond is answered at once with 429 and Retry-After, which
// costs almost nothing. So overload shows as polite refusals, never as
// timeouts, memory exhaustion or 5xx. Health checks skip the line.
type admission struct {
	slots chan struct{}
	queue chan struct{}
	wait  time.Duration
}

func newAdmission(inFlight, queue int, wait time.Duration) *admission {
	return &admission{slots: make(chan struct{}, inFlight), queue: make(chan struct{}, queue), wait: wait}
}

func (a *admission) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case a.slots <- struct{}{}:
		default:
			select {
			case a.queue <- struct{}{}:
			default:
				tooBusy(w, r)
				return
			}
			t := time.NewTimer(a.wait)
			select {
			case a.slots <- struct{}{}:
				t.Stop()
				<-a.queue
			case <-t.C:
				<-a.queue
				tooBusy(w, r)
				return
			case <-r.Context().Done():
				t.Stop()
				<-a.queue
				return
			}
		}
		defer func() { <-a.slots }()
		next.ServeHTTP(w, r)
	})
}

func tooBusy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "2")
	w.Header().Set("Cache-Control", "no-store")
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oparl/") {
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"code": "busy", "message": "Der Server ist gerade ausgelastet. Bitte versuchen Sie es in wenigen Sekunden erneut.",
			"message_en": "The server is busy. Please try again in a few seconds."})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte("Der Server ist gerade ausgelastet. Bitte laden Sie die Seite in wenigen Sekunden neu.\nThe server is busy. Please reload in a few seconds.\n"))
}
