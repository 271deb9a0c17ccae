package german

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// Without the word list the vocabulary splits by learnt words, and the
// log says why. (Inside the package: the path is fixed for the binary.)
func TestWordListMissing(t *testing.T) {
	var log bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	defer slog.SetDefault(old)
	path := filepath.Join(t.TempDir(), "ngerman")
	if d := loadWordList(path); d != nil {
		t.Fatalf("loadWordList(%s) = %d words", path, d.Len())
	}
	if !strings.Contains(log.String(), "German word list missing") || !strings.Contains(log.String(), path) {
		t.Errorf("log = %q", log.String())
	}
	v := NewVocabularyWith(nil)
	if got := v.Split("strassenausbaubeitragen"); len(got) != 3 {
		t.Errorf("Split without a word list = %q", got)
	}
}
