package reader

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// A build made before `make` copied PDF.js in still builds and serves a
// reader that says what is missing, instead of a blank page.
func TestReaderWithoutPDFJS(t *testing.T) {
	m := fstest.MapFS{}
	err := fs.WalkDir(readerFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "pdfjs/") && !strings.HasSuffix(p, "README.md") {
			return err
		}
		b, err := readerFS.ReadFile(p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := loadReader(m)
	if err != nil {
		t.Fatal(err)
	}
	if rf.pdfjs {
		t.Fatal("PDF.js reported present")
	}
	s := &Handler{readerFiles: rf}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/reader/", nil)
	r = r.WithContext(request.WithViewer(r.Context(), access.Viewer{AccountID: 1, Name: "Rita"}, false))
	s.Shell(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Reader-Komponenten fehlen, bitte `make` ausführen") {
		t.Errorf("status %d, body lacks the hint:\n%s", w.Code, w.Body.String())
	}
}
