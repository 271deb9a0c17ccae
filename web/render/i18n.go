package render

import (
	"net/http"
	"strings"

	"github.com/ratsmappe/ratsmappe/web/request"
)

// Languages the UI speaks; the first is the default.
var languages = []string{"de", "en"}

// messages is the UI's text, German first. Keys are stable names, not
// English sentences, so that a changed wording does not lose its
// translation.
var messages = map[string][2]string{
	"app.name":                     {"Ratsmappe", "Ratsmappe"},
	"app.tagline":                  {"Sitzungsunterlagen des Rates", "Council session documents"},
	"nav.skip":                     {"Zum Inhalt springen", "Skip to content"},
	"nav.main":                     {"Hauptnavigation", "Main navigation"},
	"nav.meetings":                 {"Sitzungen", "Meetings"},
	"nav.documents":                {"Dokumente", "Documents"},
	"nav.signin":                   {"Anmelden", "Sign in"},
	"nav.signout":                  {"Abmelden", "Sign out"},
	"nav.language":                 {"Sprache", "Language"},
	"nav.other_language":           {"English", "Deutsch"},
	"login.title":                  {"Anmelden", "Sign in"},
	"login.name":                   {"Benutzername", "User name"},
	"login.password":               {"Passwort", "Password"},
	"login.submit":                 {"Anmelden", "Sign in"},
	"login.sso":                    {"Mit dem Konto der Stadtverwaltung anmelden", "Sign in with the city administration's account"},
	"login.failed":                 {"Benutzername oder Passwort ist falsch.", "User name or password is wrong."},
	"login.limited":                {"Zu viele Fehlversuche von hier. Bitte warten Sie etwas und versuchen Sie es dann erneut.", "Too many failed attempts from here. Please wait a little and try again."},
	"error.csrf":                   {"Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es noch einmal.", "The form has expired. Please reload the page and submit it again."},
	"error.notfound":               {"Diese Seite gibt es nicht.", "This page does not exist."},
	"error.internal":               {"Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut und nennen Sie bei Rückfragen diese Kennung:", "An internal error occurred. Please try again later and quote this reference if you contact us:"},
	"office.title":                 {"Ratsbüro", "Council office"},
	"office.calendar":              {"Kalender", "Calendar"},
	"office.audit":                 {"Audit-Protokoll", "Audit log"},
	"office.new_meeting":           {"Neue Sitzung", "New meeting"},
	"office.committee":             {"Gremium", "Committee"},
	"office.meeting_name":          {"Bezeichnung", "Name"},
	"office.meeting_name_hint":     {"z. B. 5. Sitzung des Bauausschusses", "e.g. 5th meeting of the building committee"},
	"office.start":                 {"Beginn", "Start"},
	"office.location":              {"Ort", "Location"},
	"office.location_hint":         {"Rathaus, Großer Sitzungssaal", "Town hall, council chamber"},
	"office.create_meeting":        {"Sitzung anlegen (als Entwurf)", "Create meeting (as a draft)"},
	"office.meetings":              {"Sitzungen", "Meetings"},
	"office.date":                  {"Datum", "Date"},
	"office.meeting":               {"Sitzung", "Meeting"},
	"office.status":                {"Status", "Status"},
	"office.view":                  {"Öffentliche Ansicht", "Public view"},
	"office.packet":                {"Sitzungsmappe", "Session packet"},
	"office.state":                 {"Stand", "State"},
	"office.save":                  {"Speichern", "Save"},
	"office.publish":               {"Veröffentlichen", "Publish"},
	"office.publish_text":          {"Die Tagesordnung wird mit allen öffentlichen Punkten und freigegebenen Unterlagen öffentlich — sofort oder zu einem festen Zeitpunkt.", "The agenda becomes public with all public items and released documents — now or at a set time."},
	"office.publish_at":            {"Zeitpunkt (leer: sofort)", "Time (empty: now)"},
	"office.unpublish":             {"Zurück zum Entwurf", "Back to draft"},
	"office.agenda":                {"Tagesordnung", "Agenda"},
	"office.agenda_hint":           {"Reihenfolge per Ziehen oder mit den Pfeil-Knöpfen ändern; die Nummern folgen der Reihenfolge, außer von Hand festgelegte. Neue Unterlagen sind nichtöffentlich, bis sie freigegeben werden.", "Change the order by dragging or with the arrow buttons; the numbers follow the order, except those fixed by hand. New documents are non-public until released."},
	"office.public":                {"öffentlich", "public"},
	"office.nonpublic":             {"nichtöffentlich", "non-public"},
	"office.late":                  {"nachgereicht", "added late"},
	"office.withdrawn":             {"zurückgezogen", "withdrawn"},
	"office.up":                    {"nach oben", "up"},
	"office.down":                  {"nach unten", "down"},
	"office.edit":                  {"Bearbeiten, Unterlagen, Befangenheit", "Edit, documents, exclusions"},
	"office.number":                {"Nummer", "Number"},
	"office.item_title":            {"Titel", "Title"},
	"office.public_title":          {"Öffentlicher Titel (nur bei nichtöffentlichen Punkten)", "Public title (for non-public items only)"},
	"office.withdraw":              {"Zurückziehen", "Withdraw"},
	"office.withdraw_item_confirm": {"Punkt zurückziehen? Er bleibt gespeichert.", "Withdraw this item? It stays stored."},
	"office.paper":                 {"Vorlage", "Paper"},
	"office.reference":             {"Aktenzeichen", "Reference"},
	"office.subject":               {"Betreff", "Subject"},
	"office.paper_type":            {"Art", "Type"},
	"office.originator":            {"Urheber", "Originator"},
	"office.originator_hint":       {"Bürgermeisteramt, Fraktion …", "Mayor's office, faction …"},
	"office.create_paper":          {"Vorlage anlegen und diesem Punkt zuordnen", "Create the paper and link it to this item"},
	"office.documents":             {"Unterlagen", "Documents"},
	"office.version":               {"Version", "Version"},
	"office.pages_short":           {"S.", "p."},
	"office.make_nonpublic":        {"nichtöffentlich machen", "make non-public"},
	"office.release":               {"freigeben", "release"},
	"office.withdraw_doc_confirm":  {"Unterlage zurückziehen? Sie bleibt gespeichert.", "Withdraw this document? It stays stored."},
	"office.withdraw_lower":        {"zurückziehen", "withdraw"},
	"office.new_version":           {"Neue Version:", "New version:"},
	"office.change_note":           {"Änderungsvermerk", "Change note"},
	"office.no_documents":          {"Keine Unterlagen.", "No documents."},
	"office.add_pdf":               {"PDF hinzufügen (oder hierher ziehen):", "Add a PDF (or drop it here):"},
	"office.exclusion":             {"Befangenheit", "Exclusions"},
	"office.lift":                  {"aufheben", "lift"},
	"office.exclude_from":          {"Von diesem Punkt ausschließen", "Exclude from this item"},
	"office.reason":                {"Grund", "Reason"},
	"office.reason_hint":           {"z. B. persönliche Beteiligung (§ 18 GemO)", "e.g. personal interest (§ 18 GemO)"},
	"office.exclude":               {"Ausschließen", "Exclude"},
	"office.add_item":              {"Tagesordnungspunkt hinzufügen", "Add agenda item"},
	"office.number_hint":           {"Ö 4 oder N 2", "Ö 4 or N 2"},
	"office.public_title_short":    {"Öffentlicher Titel (bei nichtöffentlichen Punkten)", "Public title (for non-public items)"},
	"office.add":                   {"Hinzufügen", "Add"},
	"office.minutes":               {"Niederschrift", "Minutes"},
	"office.document":              {"Dokument", "Document"},
	"office.public_part":           {"öffentlicher Teil", "public part"},
	"office.nonpublic_part":        {"nichtöffentlicher Teil", "non-public part"},
	"office.mark_approved":         {"als genehmigt markieren", "mark as approved"},
	"office.no_minutes":            {"Noch keine Niederschrift.", "No minutes yet."},
	"office.upload_minutes":        {"Niederschrift hochladen (PDF):", "Upload minutes (PDF):"},
	"office.prev_month":            {"← voriger Monat", "← previous month"},
	"office.next_month":            {"nächster Monat →", "next month →"},
	"office.months":                {"Monate", "Months"},
	"office.more":                  {"%d weitere", "%d more"}, // after a "+"
	"office.more_day_one":          {"Sitzung am %s", "meeting on %s"},
	"office.more_day_many":         {"Sitzungen am %s", "meetings on %s"},
	"office.audit_hint":            {"Jede Änderung und jeder Zugriff auf nichtöffentliche Unterlagen, neueste zuerst. Das Protokoll kann nicht geändert werden.", "Every change and every access to non-public documents, newest first. The log cannot be changed."},
	"office.time":                  {"Zeit", "Time"},
	"office.who":                   {"Wer", "Who"},
	"office.what":                  {"Was", "What"},
	"office.object":                {"Objekt", "Object"},
	"office.details":               {"Details", "Details"},
	"nav.signout_everywhere":       {"Überall abmelden", "Sign out everywhere"},
	"office.status_draft":          {"Entwurf", "draft"},
	"office.status_scheduled":      {"Veröffentlichung geplant am", "Publication scheduled for"},
	"office.status_published":      {"veröffentlicht", "published"},
	"portal.next_meetings":         {"Nächste Sitzungen", "Next meetings"},
	"portal.past_meetings":         {"Vergangene Sitzungen", "Past meetings"},
	"portal.none":                  {"Keine.", "None."},
	"meetings.upcoming":            {"Kommende Sitzungen", "Upcoming meetings"},
	"meetings.none_upcoming":       {"Keine kommenden Sitzungen.", "No upcoming meetings."},
	"meetings.more":                {"Weitere Sitzungen", "More meetings"},
	"meetings.earlier":             {"Frühere Sitzungen", "Earlier meetings"},
	"meetings.back":                {"Zur Übersicht der Sitzungen", "Back to the overview of meetings"},
	"meetings.paging":              {"Blättern", "Paging"},
	"portal.all_meetings":          {"Alle Sitzungen", "All meetings"},
	"portal.calendar":              {"Kalender abonnieren (iCal)", "Subscribe to the calendar (iCal)"},
	"portal.calendar_file":         {"einmalig als Datei (.ics) herunterladen", "download once as a file (.ics)"},
	"portal.calendar_url":          {"Adresse für Ihr Kalenderprogramm (bleibt aktuell)", "Address for your calendar program (stays up to date)"},
	"portal.copy":                  {"Adresse kopieren", "Copy address"},
	"portal.copied":                {"Adresse kopiert.", "Address copied."},
	"portal.new_documents":         {"Neue Dokumente", "New documents"},
	"portal.feed":                  {"Neue Dokumente als Feed (Atom)", "New documents as a feed (Atom)"},
	"portal.organizations":         {"Gremien", "Committees"},
	"portal.members":               {"Mitglieder", "Members"},
	"portal.name":                  {"Name", "Name"},
	"portal.role":                  {"Funktion", "Role"},
	"portal.faction":               {"Fraktion", "Faction"},
	"person.memberships":           {"Mitgliedschaften", "Memberships"},
	"person.former":                {"Frühere Mitgliedschaften", "Former memberships"},
	"person.since":                 {"seit", "since"},
	"person.until":                 {"bis", "until"},
	"person.votes":                 {"Namentliche Abstimmungen", "Roll-call votes"},
	"person.votes_hint":            {"Abstimmungen, in denen jede Stimme mit Namen festgehalten wird, neueste zuerst. Offene und geheime Abstimmungen nennen niemanden.", "Votes in which every vote is recorded by name, newest first. Open votes and secret ballots name nobody."},
	"person.no_votes":              {"Keine namentlichen Abstimmungen.", "No roll-call votes."},
	"person.meeting":               {"Sitzung", "Meeting"},
	"person.item":                  {"Tagesordnungspunkt", "Agenda item"},
	"person.choice":                {"Stimme", "Vote"},
	"person.result":                {"Ergebnis", "Result"},
	"person.yes":                   {"Ja", "Yes"},
	"person.no":                    {"Nein", "No"},
	"person.abstain":               {"Enthaltung", "Abstain"},
	"person.adopted":               {"angenommen", "adopted"},
	"person.rejected":              {"abgelehnt", "rejected"},
	"person.for":                   {"in Vertretung für", "as deputy for"},
	"person.newer":                 {"Neuere Abstimmungen", "Newer votes"},
	"person.older":                 {"Ältere Abstimmungen", "Older votes"},
	"person.votes_paging":          {"Weitere Abstimmungen", "More votes"},
	"portal.reference":             {"Aktenzeichen", "Reference"},
	"portal.date":                  {"Datum", "Date"},
	"portal.originator":            {"Urheber", "Originator"},
	"portal.consultations":         {"Beratungsfolge", "Consultations"},
	"portal.page":                  {"Seite", "page"},
	"portal.pages":                 {"Seiten", "pages"},
	"portal.open_pdf":              {"PDF öffnen", "Open PDF"},
	"portal.download":              {"Herunterladen", "Download"},
	"portal.versions":              {"Fassungen", "Versions"},
	"portal.superseded":            {"ersetzt", "superseded"},
	"portal.text":                  {"Text des Dokuments", "Text of the document"},
	"portal.ocr":                   {"per Texterkennung", "by text recognition"},
	"search.title":                 {"Suche", "Search"},
	"search.label":                 {"Suchbegriffe", "Search terms"},
	"search.placeholder":           {"Dokumente durchsuchen", "Search documents"},
	"search.submit":                {"Suchen", "Search"},
	"search.hint":                  {"Wörter, \"Wortgruppen in Anführungszeichen\" oder Aktenzeichen wie 2025/0123.", "Words, \"phrases in quotes\" or references such as 2025/0123."},
	"search.filters":               {"Eingrenzen", "Narrow down"},
	"search.filters_active":        {"%d aktiv", "%d set"},
	"search.sort":                  {"Sortierung:", "Order:"},
	"search.sort_relevance":        {"Relevanz", "Relevance"},
	"search.sort_newest":           {"Neueste zuerst", "Newest first"},
	"search.all":                   {"alle", "all"},
	"search.from":                  {"von (Datum)", "from (date)"},
	"search.to":                    {"bis (Datum)", "to (date)"},
	"search.apply":                 {"Filter anwenden", "Apply filters"},
	"search.in_meeting":            {"Nur Sitzung:", "Only meeting:"},
	"search.all_meetings":          {"alle Sitzungen", "all meetings"},
	"search.only_meeting":          {"Nur in dieser Sitzung suchen", "Search only this meeting"},
	"search.results":               {"Treffer %d bis %d von %d Dokumenten", "Results %d to %d of %d documents"},
	"search.none":                  {"Keine Treffer.", "No results."},
	"search.unavailable":           {"Suche vorübergehend nicht verfügbar. Bitte versuchen Sie es in einigen Minuten erneut.", "Search is temporarily unavailable. Please try again in a few minutes."},
	"search.narrow":                {"Treffer nach", "Results by"},
	"search.facet.committee":       {"Gremium", "Committee"},
	"search.facet.kind":            {"Dokumentart", "Document type"},
	"search.facet.year":            {"Jahr", "Year"},
	"search.open_page":             {"Seite %d öffnen", "Open page %d"},
	"search.text_page":             {"Text von Seite %d", "Text of page %d"},
	"search.more_pages":            {"Weitere Seiten mit Treffern:", "More pages with hits:"},
	"search.paging":                {"Weitere Treffer", "More results"},
	"search.prev":                  {"Vorherige Seite", "Previous page"},
	"search.next":                  {"Nächste Seite", "Next page"},
	"kind.agenda":                  {"Tagesordnung", "Agenda"},
	"kind.motion":                  {"Antrag", "Motion"},
	"kind.draft_resolution":        {"Beschlussvorlage", "Draft resolution"},
	"kind.minutes":                 {"Niederschrift", "Minutes"},
	"kind.attachment":              {"Anlage", "Attachment"},
	"kind.other":                   {"Sonstiges", "Other"},
	"footer.imprint":               {"Impressum", "Imprint"},
	"footer.accessibility":         {"Barrierefreiheit", "Accessibility"},
	// Citizen alerts (web/alerts.go).
	"alerts.title":              {"Benachrichtigung per E-Mail", "E-mail alerts"},
	"alerts.intro":              {"Erhalten Sie eine E-Mail, wenn neue Sitzungen und Dokumente öffentlich werden. Ein Konto brauchen Sie dafür nicht.", "Get an e-mail when new meetings and documents become public. No account needed."},
	"alerts.committee":          {"Gremium", "Committee"},
	"alerts.link":               {"E-Mail-Benachrichtigung zu neuen Sitzungen und Dokumenten", "E-mail alerts about new meetings and documents"},
	"alerts.link_search":        {"E-Mail-Benachrichtigung zu neuen Treffern dieser Suche", "E-mail alerts about new hits of this search"},
	"alerts.about":              {"Benachrichtigung über neue Sitzungen und Dokumente von", "Alerts about new meetings and documents of"},
	"alerts.about_search":       {"Benachrichtigung über neue öffentliche Dokumente zur Suche", "Alerts about new public documents for the search"},
	"alerts.email":              {"Ihre E-Mail-Adresse", "Your e-mail address"},
	"alerts.subscribe":          {"Benachrichtigung bestellen", "Subscribe"},
	"alerts.privacy.title":      {"Datenschutz", "Privacy"},
	"alerts.privacy":            {"Wir speichern Ihre E-Mail-Adresse nur, solange Ihr Abonnement besteht, und nutzen sie nur für diese Benachrichtigungen. Bestätigen Sie das Abonnement nicht, löschen wir die Adresse nach 48 Stunden. Jede Nachricht enthält einen Link zum Abmelden; danach ist die Adresse sofort gelöscht.", "We keep your e-mail address only as long as your subscription lasts and use it only for these alerts. If you do not confirm the subscription, we delete the address after 48 hours. Every message has a link to unsubscribe; the address is then deleted at once."},
	"alerts.limited":            {"Zu viele Anfragen. Bitte versuchen Sie es später erneut.", "Too many requests. Please try again later."},
	"alerts.sent.title":         {"Bitte bestätigen Sie Ihr Abonnement", "Please confirm your subscription"},
	"alerts.sent":               {"Wir haben eine E-Mail mit einem Bestätigungslink an die angegebene Adresse geschickt. Erst nach der Bestätigung erhalten Sie Benachrichtigungen.", "We sent an e-mail with a confirmation link to the address given. You receive alerts only once you confirm."},
	"alerts.sent.hint":          {"Keine E-Mail erhalten? Sehen Sie im Spam-Ordner nach. Ist die Adresse bereits angemeldet, schicken wir keine weitere Nachricht.", "No e-mail? Look in your spam folder. If the address is already subscribed, we send no further message."},
	"alerts.confirm.title":      {"Abonnement bestätigen", "Confirm subscription"},
	"alerts.confirm.text":       {"Benachrichtigungen per E-Mail über:", "E-mail alerts about:"},
	"alerts.confirm.button":     {"Bestätigen", "Confirm"},
	"alerts.confirm.ignore":     {"Wenn Sie das nicht bestellt haben, schließen Sie diese Seite einfach: Die Adresse wird nach 48 Stunden gelöscht.", "If you did not ask for this, just close this page: the address is deleted after 48 hours."},
	"alerts.confirmed.title":    {"Abonnement bestätigt", "Subscription confirmed"},
	"alerts.confirmed.text":     {"Sie erhalten ab jetzt Benachrichtigungen über:", "From now on you receive alerts about:"},
	"alerts.confirmed.hint":     {"Jede Nachricht enthält einen Link zum Abmelden.", "Every message has a link to unsubscribe."},
	"alerts.unsubscribe.title":  {"Abmelden", "Unsubscribe"},
	"alerts.unsubscribe.text":   {"Benachrichtigungen abbestellen über:", "Stop alerts about:"},
	"alerts.unsubscribe.button": {"Abmelden und Adresse löschen", "Unsubscribe and delete the address"},
	"alerts.unsubscribed.title": {"Abgemeldet", "Unsubscribed"},
	"alerts.unsubscribed.text":  {"Sie erhalten keine Benachrichtigungen mehr; Ihre Adresse ist gelöscht.", "You receive no more alerts; your address is deleted."},

	// The office's agenda numbers, choices and confirmations (issue 17).
	"office.number_auto":        {"leer lassen: automatisch (Ö 1, Ö 2, … / N 1, …)", "leave empty: automatic (Ö 1, Ö 2, … / N 1, …)"},
	"office.number_fixed":       {"Nummer von Hand festgelegt (folgt nicht der Reihenfolge)", "Number fixed by hand (does not follow the order)"},
	"office.number_fixed_mark":  {"Nummer von Hand", "number fixed"},
	"office.duplicate":          {"Nummer doppelt", "duplicate number"},
	"office.duplicates":         {"Achtung: Mehrere Tagesordnungspunkte haben dieselbe Nummer (markiert mit „Nummer doppelt“). Ändern Sie die Nummer im Punkt unter „Bearbeiten“, oder wählen Sie dort „Nummer von Hand festgelegt“ ab, damit sie der Reihenfolge folgt.", "Warning: several agenda items have the same number (marked “duplicate number”). Change the number under “Edit” in the item, or untick “Number fixed by hand” there so that it follows the order."},
	"office.order_saved":        {"Reihenfolge gespeichert.", "Order saved."},
	"office.order_undone":       {"Vorherige Reihenfolge wiederhergestellt.", "Previous order restored."},
	"office.undo":               {"Rückgängig", "Undo"},
	"office.close":              {"Schließen", "Close"},
	"office.visibility":         {"Sichtbarkeit", "Visibility"},
	"office.choose_public":      {"öffentlich (Ö)", "public (Ö)"},
	"office.choose_nonpublic":   {"nicht öffentlich (N)", "non-public (N)"},
	"office.visibility_hint":    {"Öffentliche Punkte sieht nach der Veröffentlichung jeder; von nichtöffentlichen nur die Mitglieder des Gremiums, alle anderen nur den öffentlichen Titel. Im Zweifel bleibt ein Punkt nicht öffentlich.", "Once published, everyone sees public items; non-public ones only the committee's members, everyone else only the public title. When in doubt an item stays non-public."},
	"office.minutes_part":       {"Welcher Teil der Niederschrift?", "Which part of the minutes?"},
	"office.cancel":             {"Abbrechen", "Cancel"},
	"office.confirm":            {"Bestätigen", "Confirm"},
	"office.publish_now":        {"Jetzt veröffentlichen", "Publish now"},
	"office.reschedule":         {"Veröffentlichung planen", "Schedule publication"},
	"office.publish_confirm":    {"Sitzung jetzt veröffentlichen? Die Tagesordnung ist dann sofort für alle sichtbar: %s mit den freigegebenen Unterlagen für die Öffentlichkeit, %s für die Mitglieder des Gremiums.", "Publish the meeting now? The agenda then becomes visible at once: %s with the released documents to the public, %s to the committee's members."},
	"office.schedule_confirm":   {"Veröffentlichung für {time} planen? Ab dann ist die Tagesordnung für alle sichtbar: %s mit den freigegebenen Unterlagen für die Öffentlichkeit, %s für die Mitglieder des Gremiums.", "Schedule publication for {time}? From then on the agenda is visible: %s with the released documents to the public, %s to the committee's members."},
	"office.public_items":       {"%d öffentliche Punkte", "%d public items"},
	"office.public_item":        {"%d öffentlicher Punkt", "%d public item"},
	"office.nonpublic_items":    {"%d nichtöffentliche Punkte", "%d non-public items"},
	"office.nonpublic_item":     {"%d nichtöffentlicher Punkt", "%d non-public item"},
	"office.none_public":        {"Achtung: Kein Punkt dieser Tagesordnung ist öffentlich.", "Warning: no item of this agenda is public."},
	"office.unpublish_confirm":  {"Zurück zum Entwurf? Die Sitzung ist dann für die Öffentlichkeit nicht mehr sichtbar, auch nicht für die Ratsmitglieder, bis sie erneut veröffentlicht wird.", "Back to draft? The meeting is then no longer visible to the public, nor to the council's members, until it is published again."},
	"office.unschedule":         {"Geplante Veröffentlichung aufheben", "Cancel scheduled publication"},
	"office.unschedule_confirm": {"Geplante Veröffentlichung aufheben? Die Sitzung bleibt ein Entwurf und wird nicht veröffentlicht.", "Cancel the scheduled publication? The meeting stays a draft and is not published."},
	"office.published_since":    {"Veröffentlicht seit", "Published since"},
	"office.upload_next":        {"Neue Unterlagen sind nichtöffentlich, bis Sie sie hier freigeben.", "New documents are non-public until you release them here."},
}

// T returns the text of key in lang (falling back to German, then
// to the key itself, so a missing text is visible but harmless).
func T(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" && m[1] != "" {
		return m[1]
	}
	return m[0]
}

// Language picks the request's language: ?lang=, then the lang cookie,
// then Accept-Language, then German.
func Language(r *http.Request) string {
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

// RememberLanguage keeps a language chosen with ?lang= in a cookie, so
// that the choice holds on the next pages.
func RememberLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := r.URL.Query().Get("lang"); supported(l) && cookieValue(r, "lang") != l {
			http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: request.Secure(r)})
		}
		next.ServeHTTP(w, r)
	})
}

// Register adds the texts of a surface (keys prefixed with the surface's
// name, such as "reader." or "diff.") to the UI's texts. Call it from an
// init function: the texts are read without a lock.
func Register(texts map[string][2]string) {
	for k, v := range texts {
		messages[k] = v
	}
}

// Texts returns the texts whose keys start with prefix, in lang, keyed
// without the prefix: what a script of a surface gets.
func Texts(lang, prefix string) map[string]string {
	texts := map[string]string{}
	for k := range messages {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			texts[rest] = T(lang, k)
		}
	}
	return texts
}
