package live_test

import (
	"testing"

	"github.com/ratsmappe/ratsmappe/sessions/live"
)

// Publish wakes the followers here and hands the meeting to the relay;
// Wake, for a change relayed from elsewhere, wakes them without relaying
// it on; WakeAll wakes the followers of every followed meeting.
func TestHubRelay(t *testing.T) {
	h := live.NewHub()
	var relayed []int64
	h.SetRelay(func(m int64) { relayed = append(relayed, m) })
	one, stop1 := h.Subscribe(1)
	defer stop1()
	two, stop2 := h.Subscribe(2)
	defer stop2()
	pending := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}

	h.Publish(1)
	if !pending(one) || pending(two) || len(relayed) != 1 || relayed[0] != 1 {
		t.Fatalf("publish: relayed %v", relayed)
	}
	h.Wake(2)
	if pending(one) || !pending(two) || len(relayed) != 1 {
		t.Fatalf("wake: relayed %v", relayed)
	}
	h.WakeAll()
	if !pending(one) || !pending(two) || len(relayed) != 1 {
		t.Fatalf("wake all: relayed %v", relayed)
	}
	if got := h.Version(1); got != 2 {
		t.Errorf("version of 1: %d, want 2 (a publish and a wake-all)", got)
	}
}
