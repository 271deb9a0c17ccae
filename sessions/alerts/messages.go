package alerts

import (
	"fmt"
	"html"
	"strings"

	"github.com/ratsmappe/ratsmappe/notify"
)

// texts are the messages' words, German and English.
var texts = map[string][2]string{
	"target.search":      {"Suche „%s“", "search “%s”"},
	"confirm.subject":    {"%s: Bitte bestätigen Sie Ihr Abonnement", "%s: please confirm your subscription"},
	"confirm.intro":      {"Jemand – hoffentlich Sie – möchte mit dieser Adresse Benachrichtigungen erhalten über: %s.", "Someone – hopefully you – asked for alerts about %s to this address."},
	"confirm.action":     {"Zum Bestätigen öffnen Sie diesen Link und klicken Sie dort auf „Bestätigen“:", "To confirm, open this link and click “Confirm” there:"},
	"confirm.ignore":     {"Wenn Sie das nicht waren, ignorieren Sie diese Nachricht: Ohne Bestätigung wird Ihre Adresse nach 48 Stunden gelöscht.", "If this was not you, ignore this message: without confirmation your address is deleted after 48 hours."},
	"digest.subject":     {"%s: Neues zu %s", "%s: new for %s"},
	"digest.intro":       {"Neu veröffentlicht zu %s:", "Newly published for %s:"},
	"digest.more":        {"… und %d weitere.", "… and %d more."},
	"footer.unsubscribe": {"Abmelden (Ihre Adresse wird dann gelöscht):", "Unsubscribe (your address is then deleted):"},
	"footer.why":         {"Sie erhalten diese Nachricht, weil Sie sie abonniert haben.", "You receive this message because you subscribed to it."},
	"kind.meeting":       {"Sitzung", "Meeting"},
	"kind.paper":         {"Vorlage", "Paper"},
	"kind.document":      {"Dokument", "Document"},
	"kind.minutes":       {"Niederschrift", "Minutes"},
}

func t(lang, key string) string {
	m, ok := texts[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// confirmation is the double opt-in mail (without Key).
func (s *Store) confirmation(lang, to, token, target string) notify.Message {
	link := s.confirmURL(token)
	text := fmt.Sprintf(t(lang, "confirm.intro"), target) + "\n\n" + t(lang, "confirm.action") + "\n" + link + "\n\n" +
		t(lang, "confirm.ignore") + "\n"
	h := "<p>" + html.EscapeString(fmt.Sprintf(t(lang, "confirm.intro"), target)) + "</p>\n<p>" +
		html.EscapeString(t(lang, "confirm.action")) + "<br><a href=\"" + html.EscapeString(link) + "\">" +
		html.EscapeString(link) + "</a></p>\n<p>" + html.EscapeString(t(lang, "confirm.ignore")) + "</p>\n"
	msg := notify.Message{From: s.opt.From, To: to, Language: lang,
		Subject: fmt.Sprintf(t(lang, "confirm.subject"), s.opt.Site), Text: text, HTML: h}
	// The address is not subscribed yet, but a confirmation can be
	// refused at once: the same link removes it.
	s.unsubscribe(&msg, token)
	return msg
}

// item is one thing that became public, as the anonymous viewer sees it.
type item struct {
	Kind     string // "meeting", "paper", "document", "minutes"
	Title    string
	URL      string  // path on the site
	Orgs     []int64 // committees whose meetings it belongs to
	Document int64   // document id, 0 for a meeting or paper
}

// digest is the alert of one subscription (without Key).
func (s *Store) digest(sub *Subscription, token, target string, items []item) notify.Message {
	lang := sub.Language
	var text, h strings.Builder
	fmt.Fprintf(&text, "%s\n\n", fmt.Sprintf(t(lang, "digest.intro"), target))
	fmt.Fprintf(&h, "<p>%s</p>\n<ul>\n", html.EscapeString(fmt.Sprintf(t(lang, "digest.intro"), target)))
	shown := items
	if len(shown) > MaxItems {
		shown = shown[:MaxItems]
	}
	for _, it := range shown {
		link := s.opt.BaseURL + it.URL
		fmt.Fprintf(&text, "- %s: %s\n  %s\n", t(lang, "kind."+it.Kind), it.Title, link)
		fmt.Fprintf(&h, "<li>%s: <a href=\"%s\">%s</a></li>\n", html.EscapeString(t(lang, "kind."+it.Kind)),
			html.EscapeString(link), html.EscapeString(it.Title))
	}
	h.WriteString("</ul>\n")
	if more := len(items) - len(shown); more > 0 {
		fmt.Fprintf(&text, "%s\n", fmt.Sprintf(t(lang, "digest.more"), more))
		fmt.Fprintf(&h, "<p>%s</p>\n", html.EscapeString(fmt.Sprintf(t(lang, "digest.more"), more)))
	}
	unsub := s.unsubscribeURL(token)
	fmt.Fprintf(&text, "\n-- \n%s\n%s\n%s\n", t(lang, "footer.why"), t(lang, "footer.unsubscribe"), unsub)
	fmt.Fprintf(&h, "<hr>\n<p><small>%s<br>%s <a href=\"%s\">%s</a></small></p>\n", html.EscapeString(t(lang, "footer.why")),
		html.EscapeString(t(lang, "footer.unsubscribe")), html.EscapeString(unsub), html.EscapeString(unsub))
	msg := notify.Message{From: s.opt.From, To: sub.Email, Language: lang,
		Subject: oneLine(fmt.Sprintf(t(lang, "digest.subject"), s.opt.Site, target)), Text: text.String(), HTML: h.String()}
	s.unsubscribe(&msg, token)
	return msg
}

// oneLine keeps a subject on one line and of sensible length.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 150 {
		s = string(r[:149]) + "…"
	}
	return s
}
