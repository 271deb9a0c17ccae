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

// Only the document view preloads PDF.js; the meeting list and the
// agenda do not fetch a library they do not use.
func TestShellPreloadsPDFJSOnlyForDocuments(t *testing.T) {
	rf, err := loadReader(readerFS)
	if err != nil {
		t.Fatal(err)
	}
	if !rf.pdfjs {
		t.Skip("PDF.js not copied in (run `make deps-node`)")
	}
	s := &Handler{readerFiles: rf}
	for path, want := range map[string]bool{
		"/reader/":                         false,
		"/reader/meetings/7":               false,
		"/reader/meetings/7/documents/12":  true,
		"/reader/meetings/7/documents/":    false,
		"/reader/meetings/x/documents/12":  false,
		"/reader/meetings/7/documents/12x": false,
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", path, nil)
		r = r.WithContext(request.WithViewer(r.Context(), access.Viewer{AccountID: 1, Name: "Rita"}, false))
		s.Shell(w, r)
		if got := strings.Contains(w.Body.String(), `modulepreload" href="/reader/files/pdfjs/pdf.min.mjs"`); got != want {
			t.Errorf("%s: preloads PDF.js = %v, want %v", path, got, want)
		}
	}
}
