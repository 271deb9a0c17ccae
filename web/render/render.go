// Package render answers requests for every surface of web: pages from the
// embedded templates, the static files at content-hashed URLs, the UI's
// texts in German and English, JSON, and the one error writer, Error,
// which answers an error as a page, as JSON or as an OParl error object,
// as the request's surface wants.
package render

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
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/web/request"
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

// lookup returns the hashed URL of a static file, if there is one.
func (a *assets) lookup(name string) (string, bool) {
	u, ok := a.byName[name]
	return u, ok
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
// layout once, at start-up, and once more for each language with what
// the language decides folded in (fold.go).
type views struct {
	pages  map[string]*template.Template
	byLang map[string]map[string]*template.Template // language → page name → folded template
}

// page returns the template of page name for lang: the folded one, or
// the general one for a language without its own.
func (v *views) page(name, lang string) (*template.Template, bool) {
	if t, ok := v.byLang[lang][name]; ok {
		return t, true
	}
	t, ok := v.pages[name]
	return t, ok
}

func loadViews(a *assets) (*views, error) {
	funcs := template.FuncMap{
		"static": a.URL,
		"date": func(t time.Time, lang string) string {
			if lang == "en" {
				t = t.In(Berlin)
				return t.Format("2 January 2006")
			}
			t = t.In(Berlin)
			return fmt.Sprintf("%d. %s %d", t.Day(), GermanMonths[t.Month()-1], t.Year())
		},
		"list": func(s ...string) []string { return s },
		"stateName": func(s, lang string) string {
			if lang == "en" {
				return s
			}
			return germanStates[s]
		},
		"minutesState": func(s, lang string) string {
			if lang == "en" {
				return s
			}
			return germanMinutesStates[s]
		},
		"weekdays": func(lang string) []string {
			if lang == "en" {
				return []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
			}
			return []string{"Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"}
		},
		"datetime": DateTime,
		"rows":     rows,
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}, byLang: map[string]map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		name := strings.TrimSuffix(base, ".html")
		v.pages[name] = t
		if !foldPages {
			continue
		}
		for _, lang := range languages {
			t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", base, err)
			}
			if err := foldLanguage(t, lang, a.lookup); err != nil {
				return nil, fmt.Errorf("template %s: %w", base, err)
			}
			if v.byLang[lang] == nil {
				v.byLang[lang] = map[string]*template.Template{}
			}
			v.byLang[lang][name] = t
		}
	}
	return v, nil
}

// germanStates and germanMinutesStates name a meeting's and minutes'
// states in German (built once: a list of meetings names a state per row).
var (
	germanStates        = map[string]string{"planned": "geplant", "invited": "eingeladen", "held": "durchgeführt", "cancelled": "abgesagt"}
	germanMinutesStates = map[string]string{"draft": "Entwurf", "approved": "genehmigt", "published": "veröffentlicht"}
)

// GermanMonths are the months' names in German, January first.
var GermanMonths = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}

// Page is what every template gets.
type Page struct {
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
	Alerts    bool     // citizen alerts by e-mail are offered: link to /alerts
}

// T translates key into the page's language.
func (p *Page) T(key string) string { return T(p.Lang, key) }

// OtherLang is the language the switch in the header offers.
func (p *Page) OtherLang() string {
	if p.Lang == "en" {
		return "de"
	}
	return "en"
}

// HTML writes the page template name with status.
func HTML(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	log := request.Logger(r.Context())
	if err := Load(); err != nil {
		log.Error("templates", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.Lang == "" {
		p.Lang = Language(r)
	}
	t, ok := loaded.views.page(name, p.Lang)
	if !ok {
		log.Error("no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.Path = r.URL.Path
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout.html", p); err != nil {
		log.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if checkFolded() {
		if g, ok := loaded.views.pages[name]; ok && g != t {
			var want bytes.Buffer
			if err := g.ExecuteTemplate(&want, "layout.html", p); err != nil || !bytes.Equal(want.Bytes(), buf.Bytes()) {
				log.Error("folded template differs", "template", name, "lang", p.Lang, "err", err, "folded", buf.String(), "general", want.String())
				http.Error(w, "internal error: folded template differs", http.StatusInternalServerError)
				return
			}
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// pageBuffers hold pages while they are rendered (a template writes in
// many small pieces, so a fresh buffer grew, copying, five or six times
// per page). A page is whole before its first byte is sent, so that an
// error in the template still answers with a clean 500.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putPageBuffer returns buf to pageBuffers, unless an unusually large
// page grew it: the pool would keep that memory for every page after.
func putPageBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 256<<10 {
		return
	}
	buf.Reset()
	pageBuffers.Put(buf)
}

// NewPage starts the data of a page for r. Only a signed-in viewer's
// pages carry a form token (for signing out, and the office's script):
// an anonymous page is the same for every citizen and so can be cached —
// pages with a form for anonymous viewers (sign-in) set p.CSRF
// themselves.
func NewPage(w http.ResponseWriter, r *http.Request, title string) *Page {
	v := request.Viewer(r.Context())
	p := &Page{Lang: Language(r), Title: title, User: v.Name, Staff: v.Staff(), Admin: v.Role == access.RoleAdmin,
		Alerts: request.Alerts(r.Context())}
	if v.AccountID != 0 {
		p.CSRF = request.Token(w, r)
	}
	return p
}

// With returns a copy of p with other data, for a sub-template that
// renders part of a page (a table of meetings) and still translates.
func (p *Page) With(data any) *Page {
	c := *p
	c.Data = data
	return &c
}

// loaded holds the embedded templates and static files, parsed once.
var loaded struct {
	once   sync.Once
	assets *assets
	views  *views
	err    error
}

// Load parses the embedded templates and hashes the static files, once;
// it fails if they are broken, which the tests catch. The server calls it
// at start so that a broken build does not start.
func Load() error {
	loaded.once.Do(func() {
		if loaded.assets, loaded.err = loadAssets(); loaded.err != nil {
			loaded.err = fmt.Errorf("web: assets: %w", loaded.err)
			return
		}
		if loaded.views, loaded.err = loadViews(loaded.assets); loaded.err != nil {
			loaded.err = fmt.Errorf("web: templates: %w", loaded.err)
		}
	})
	return loaded.err
}

// Static serves the static files at /static/<hash>/<name>.
func Static() http.Handler {
	if err := Load(); err != nil {
		panic(err)
	}
	return loaded.assets
}

// StaticURL returns the hashed URL of a static file.
func StaticURL(name string) string { return Static().(*assets).URL(name) }

// Berlin is the council's time zone: dates and times are shown, and read
// from forms, in it.
var Berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()
