package live

import "sync"

// Hub tells the followers of a meeting that its live state changed. It
// carries no state itself, only a wake-up: a follower reads the state
// anew (Store.Snapshot, shared by all followers of one version). A
// follower that is slow misses no change, because wake-ups coalesce: it
// reads the newest state when it gets round to it.
//
// A Hub wakes the followers in its own process. With several server
// processes on one database, Store.Join gives it a relay that carries
// every Publish to the other processes, whose hubs Wake.
type Hub struct {
	mu      sync.Mutex
	subs    map[int64]map[chan struct{}]struct{}
	version map[int64]uint64
	relay   func(meeting int64)
}

// NewHub returns an empty Hub.
func NewHub() *Hub {
	return &Hub{subs: map[int64]map[chan struct{}]struct{}{}, version: map[int64]uint64{}}
}

// Subscribe returns a channel that receives a value whenever meeting's
// state changes (at most one pending), and a function that ends the
// subscription.
func (h *Hub) Subscribe(meeting int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[meeting] == nil {
		h.subs[meeting] = map[chan struct{}]struct{}{}
	}
	h.subs[meeting][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[meeting], ch)
		if len(h.subs[meeting]) == 0 {
			delete(h.subs, meeting)
		}
		h.mu.Unlock()
	}
}

// Publish wakes every follower of meeting, and with a relay (SetRelay)
// those of the other server processes.
func (h *Hub) Publish(meeting int64) {
	h.Wake(meeting)
	h.mu.Lock()
	relay := h.relay
	h.mu.Unlock()
	if relay != nil {
		relay(meeting)
	}
}

// SetRelay makes Publish pass every meeting to relay as well, which must
// not block.
func (h *Hub) SetRelay(relay func(meeting int64)) {
	h.mu.Lock()
	h.relay = relay
	h.mu.Unlock()
}

// WakeAll wakes the followers of every meeting followed here: after a
// relay's connection was lost, changes published elsewhere may have been
// missed.
func (h *Hub) WakeAll() {
	h.mu.Lock()
	meetings := make([]int64, 0, len(h.subs))
	for m := range h.subs {
		meetings = append(meetings, m)
	}
	h.mu.Unlock()
	for _, m := range meetings {
		h.Wake(m)
	}
}

// Wake wakes every follower of meeting in this process only: for a
// change another process published.
func (h *Hub) Wake(meeting int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.version[meeting]++
	for ch := range h.subs[meeting] {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// Version counts the changes of meeting published so far.
func (h *Hub) Version(meeting int64) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.version[meeting]
}

// Followers returns the number of subscriptions to meeting.
func (h *Hub) Followers(meeting int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[meeting])
}
