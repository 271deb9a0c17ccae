package live

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// heartbeat is how often a quiet stream sends a comment, so that proxies
// keep it open and a dead client is noticed; the state is then checked
// too, so that a change made outside the live session (an exclusion, an
// item made public) reaches the follower.
const heartbeat = 15 * time.Second

// writeWait bounds one write to a follower: a client that does not read
// is dropped rather than held.
const writeWait = 30 * time.Second

// Stream answers GET /api/v1/meetings/{id}/live with Server-Sent Events:
// an event "state" with the live state (sessions/live.View) as the
// viewer may see it, at once and after every change; an event "gone" if
// the meeting stops being visible to them. Each follower's state is
// filtered from a snapshot shared by all followers (Snapshot.For asks the
// visibility rule), and sent only when it differs from the last one sent
// — so a change to a non-public item sends a citizen nothing at all.
func (h *Handler) Stream(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	v := request.Viewer(ctx)
	select {
	case h.followers <- struct{}{}:
		defer func() { <-h.followers }()
	default:
		w.Header().Set("Retry-After", "10")
		render.Error(w, r, errorf(ratsmappe.EUNAVAILABLE, "too_many_followers",
			"Zu viele Zuschauer; bitte versuchen Sie es gleich noch einmal.", "Too many followers; please try again shortly."))
		return
	}
	changed, cancel := h.live.Hub().Subscribe(id)
	defer cancel()
	snap, err := h.live.Snapshot(ctx, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	view, ok := snap.JSONFor(v, h.sessions.Now())
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)

	var last []byte
	n := 0
	send := func(event string, data []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(writeWait))
		n++
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "id: %d\nevent: %s\ndata: %s\n\n", n, event, data)
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	state := func() bool {
		if bytes.Equal(view, last) {
			return true
		}
		last = view
		return send("state", view)
	}
	if _, err := w.Write([]byte("retry: 5000\n\n")); err != nil || !state() {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-tick.C:
			rc.SetWriteDeadline(time.Now().Add(writeWait))
			if _, err := w.Write([]byte(": \n\n")); err != nil || rc.Flush() != nil {
				return
			}
		}
		snap, err := h.live.Snapshot(ctx, id)
		if err != nil {
			if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
				request.Logger(ctx).Error("live stream", "meeting", id, "err", err)
				continue
			}
			send("gone", []byte("{}"))
			return
		}
		if view, ok = snap.JSONFor(v, h.sessions.Now()); !ok {
			send("gone", []byte("{}"))
			return
		}
		if !state() {
			return
		}
	}
}
