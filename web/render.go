package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assets serves the embedded static files at content-hashed URLs
// (/static/<hash>/<name>), so that they can be cached forever and a new
// release is fetched at once.
type assets struct {
	byName map[string]string // "app.css" -> "/static/ab12cd34/app.css"
	files  map[string][]byte // "ab12cd34/app.css" -> content
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]string{}, files: map[string][]byte{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		key := hex.EncodeToString(sum[:5]) + "/" + name
		a.byName[name] = "/static/" + key
		a.files[key] = b
		return nil
	})
	return a, err
}

// URL returns the hashed URL of a static file; it panics on a name that
// does not exist, which template tests catch.
func (a *assets) URL(name string) string {
	u, ok := a.byName[name]
	if !ok {
		panic("no static file " + name)
	}
	return u
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/static/")
	b, ok := a.files[key]
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(key) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js", ".mjs":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// views holds the parsed templates: each page is parsed together with the
// layout once, at start-up.
type views struct {
	pages map[string]*template.Template
}

func loadViews(a *assets) (*views, error) {
	funcs := template.FuncMap{
		"static": a.URL,
		"date": func(t time.Time, lang string) string {
			if lang == "en" {
				t = t.In(berlin)
				return t.Format("2 January 2006")
			}
			t = t.In(berlin)
			return fmt.Sprintf("%d. %s %d", t.Day(), germanMonths[t.Month()-1], t.Year())
		},
		"timeOnly": func(s string) string {
			if i := strings.LastIndex(s, ", "); i >= 0 {
				return s[i+2:]
			}
			return s
		},
		"list": func(s ...string) []string { return s },
		"stateName": func(s, lang string) string {
			if lang == "en" {
				return s
			}
			return map[string]string{"planned": "geplant", "invited": "eingeladen", "held": "durchgeführt", "cancelled": "abgesagt"}[s]
		},
		"minutesState": func(s, lang string) string {
			if lang == "en" {
				return s
			}
			return map[string]string{"draft": "Entwurf", "approved": "genehmigt", "published": "veröffentlicht"}[s]
		},
		"weekdays": func(lang string) []string {
			if lang == "en" {
				return []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
			}
			return []string{"Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"}
		},
		"datetime": func(t time.Time) string { return t.In(berlin).Format("02.01.2006, 15:04") },
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		v.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return v, nil
}

var germanMonths = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}

// page is what every template gets.
type page struct {
	Lang      string
	Title     string
	CSRF      string
	User      string // display name of who is signed in, "" for anonymous
	Staff     bool   // the viewer works for the council office
	Admin     bool   // the viewer is an administrator
	Path      string
	Data      any
	Error     string
	RequestID string
	Scripts   []string // static scripts the page needs
	OIDC      bool     // the login page offers single sign-on
}

// T translates key into the page's language.
func (p *page) T(key string) string { return translate(p.Lang, key) }

// OtherLang is the language the switch in the header offers.
func (p *page) OtherLang() string {
	if p.Lang == "en" {
		return "de"
	}
	return "en"
}

// render writes the page template name with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := s.views.pages[name]
	if !ok {
		s.log.Error("no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.Lang == "" {
		p.Lang = language(r)
	}
	p.Path = r.URL.Path
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
