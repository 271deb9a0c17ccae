package pgnotify

import "time"

// SetIdleCheck sets how long a listener waits quietly before it pings,
// for tests, and returns a function that restores it.
func SetIdleCheck(d time.Duration) func() {
	old := idleCheck
	idleCheck = d
	return func() { idleCheck = old }
}
