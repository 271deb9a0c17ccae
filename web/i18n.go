package web

import (
	"net/http"
	"strings"
)

// Languages the UI speaks; the first is the default.
var languages = []string{"de", "en"}

// messages is the UI's text, German first. Keys are stable names, not
// English sentences, so that a changed wording does not lose its
// translation.
var messages = map[string][2]string{
	"app.name":             {"Ratsmappe", "Ratsmappe"},
	"app.tagline":          {"Sitzungsunterlagen des Rates", "Council session documents"},
	"nav.skip":             {"Zum Inhalt springen", "Skip to content"},
	"nav.main":             {"Hauptnavigation", "Main navigation"},
	"nav.meetings":         {"Sitzungen", "Meetings"},
	"nav.documents":        {"Dokumente", "Documents"},
	"nav.signin":           {"Anmelden", "Sign in"},
	"nav.signout":          {"Abmelden", "Sign out"},
	"nav.language":         {"Sprache", "Language"},
	"nav.other_language":   {"English", "Deutsch"},
	"login.title":          {"Anmelden", "Sign in"},
	"login.name":           {"Benutzername", "User name"},
	"login.password":       {"Passwort", "Password"},
	"login.submit":         {"Anmelden", "Sign in"},
	"login.sso":            {"Mit dem Konto der Stadtverwaltung anmelden", "Sign in with the city administration's account"},
	"login.failed":         {"Benutzername oder Passwort ist falsch.", "User name or password is wrong."},
	"login.limited":        {"Zu viele Fehlversuche. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut.", "Too many failed attempts. Please wait a few minutes and try again."},
	"error.csrf":           {"Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es noch einmal.", "The form has expired. Please reload the page and submit it again."},
	"error.notfound":       {"Diese Seite gibt es nicht.", "This page does not exist."},
	"error.internal":       {"Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut und nennen Sie bei Rückfragen diese Kennung:", "An internal error occurred. Please try again later and quote this reference if you contact us:"},
	"footer.imprint":       {"Impressum", "Imprint"},
	"footer.accessibility": {"Barrierefreiheit", "Accessibility"},
}

// translator returns the text of key in lang (falling back to German, then
// to the key itself, so a missing text is visible but harmless).
func translate(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" && m[1] != "" {
		return m[1]
	}
	return m[0]
}

// language picks the request's language: ?lang=, then the lang cookie,
// then Accept-Language, then German.
func language(r *http.Request) string {
	for _, cand := range []string{r.URL.Query().Get("lang"), cookieValue(r, "lang")} {
		if supported(cand) {
			return cand
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if i := strings.IndexByte(tag, '-'); i > 0 {
			tag = tag[:i]
		}
		if supported(tag) {
			return tag
		}
	}
	return languages[0]
}

func supported(l string) bool {
	for _, x := range languages {
		if x == l {
			return true
		}
	}
	return false
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// rememberLanguage keeps a language chosen with ?lang= in a cookie, so
// that the choice holds on the next pages.
func rememberLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := r.URL.Query().Get("lang"); supported(l) && cookieValue(r, "lang") != l {
			http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: secure(r)})
		}
		next.ServeHTTP(w, r)
	})
}
