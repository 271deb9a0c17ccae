package live

import "time"

// SetTallyWait sets how long a closing waits for secret ballots' choices,
// for tests, and returns a function that restores it.
func SetTallyWait(d time.Duration) func() {
	old := tallyWait
	tallyWait = d
	return func() { tallyWait = old }
}
