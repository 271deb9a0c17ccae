package searchtest

import (
	"os"
	"testing"

	"github.com/ratsmappe/ratsmappe/search/german"
)

// NeedWordList returns the system's German word list (german.WordListPath,
// Debian's wngerman, which make deps installs), skipping the test without
// it — except under CI=true, which must have it.
func NeedWordList(tb testing.TB) *german.Dictionary {
	tb.Helper()
	d := german.SystemDictionary()
	if d == nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("the German word list %s is missing (make deps installs wngerman)", german.WordListPath)
		}
		tb.Skipf("the German word list %s is missing (install wngerman)", german.WordListPath)
	}
	return d
}
