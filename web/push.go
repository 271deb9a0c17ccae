package web

import (
	"net/http"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Web Push for the reader (issue 14, point 3). A signed-in member's
// reader asks for the server's VAPID key, subscribes with the browser's
// push manager and registers the subscription here; notifications then
// reach the tablet even when the reader is closed. What a push may say is
// decided where it is sent (package notify asks the visibility rule);
// these routes only keep the member's devices.

var errPushOff = ratsmappe.Errorf(ratsmappe.EUNAVAILABLE, "Push-Mitteilungen sind auf diesem Server nicht eingerichtet.")

func (s *Server) pushOn(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Push == nil || s.cfg.PushKeys == nil {
		render.Error(w, r, errPushOff)
		return false
	}
	return true
}

// handlePushKey answers GET /api/v1/push/key: the applicationServerKey.
func (s *Server) handlePushKey(w http.ResponseWriter, r *http.Request) {
	if !s.pushOn(w, r) {
		return
	}
	render.JSON(w, http.StatusOK, map[string]string{"public_key": s.cfg.PushKeys.PublicKey()})
}

// pushDevice is a subscription as the member's device list shows it.
type pushDevice struct {
	Endpoint    string     `json:"endpoint"`
	Device      string     `json:"device"`
	Created     time.Time  `json:"created"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
}

// handlePushDevices answers GET /api/v1/push/subscriptions: the member's
// subscribed devices.
func (s *Server) handlePushDevices(w http.ResponseWriter, r *http.Request) {
	if !s.pushOn(w, r) {
		return
	}
	ds, err := s.cfg.Push.Devices(r.Context(), request.Viewer(r.Context()).AccountID)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	out := make([]pushDevice, 0, len(ds))
	for _, d := range ds {
		pd := pushDevice{Endpoint: d.Sub.Endpoint, Device: d.Device, Created: d.Created}
		if !d.LastSuccess.IsZero() {
			pd.LastSuccess = &d.LastSuccess
		}
		out = append(out, pd)
	}
	render.JSON(w, http.StatusOK, map[string]any{"devices": out})
}

// handlePushSubscribe answers POST /api/v1/push/subscriptions with the
// browser's PushSubscription.toJSON() and an optional device label.
func (s *Server) handlePushSubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.pushOn(w, r) {
		return
	}
	var in struct {
		webpush.Subscription
		Device string `json:"device"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := s.cfg.Push.Subscribe(r.Context(), s.cfg.PushPolicy, request.Viewer(r.Context()).AccountID, in.Subscription, in.Device); err != nil {
		render.Error(w, r, err)
		return
	}
	render.JSON(w, http.StatusCreated, map[string]string{"endpoint": in.Endpoint})
}

// handlePushUnsubscribe answers DELETE /api/v1/push/subscriptions
// {"endpoint": …}: the device no longer gets pushes.
func (s *Server) handlePushUnsubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.pushOn(w, r) {
		return
	}
	var in struct {
		Endpoint string `json:"endpoint"`
	}
	if err := request.Decode(r, &in); err != nil {
		render.Error(w, r, err)
		return
	}
	if err := s.cfg.Push.Unsubscribe(r.Context(), request.Viewer(r.Context()).AccountID, in.Endpoint); err != nil {
		render.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
