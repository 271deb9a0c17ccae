package oparltest

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns the directory rel (for example "corpus/karlsruhe" or
// "oparl/schema") of the shared folder beside the repository, which holds
// the corpus and the OParl schemas and is never copied into it. Where it
// is missing (a clone on its own) the test is skipped with a message
// saying so — except under CI=true, where it must be there and the test
// fails.
func SharedDir(tb testing.TB, rel string) string {
	tb.Helper()
	dir := filepath.Join("..", "shared", rel)
	if wd, err := os.Getwd(); err == nil {
		// The repository root is the nearest directory with go.mod.
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", rel)
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("../shared/%s is missing beside the repository (CI needs it): %v", rel, err)
		}
		tb.Skipf("../shared/%s is missing beside the repository; skipped (set CI=true to make this a failure)", rel)
	}
	return dir
}
