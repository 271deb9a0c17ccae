package scale

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The vocabulary of the generated city: names and titles are built from
// these lists, page texts from the sentence templates, so that search
// finds real German words (compounds included) in every document.

var committees = []string{
	"Hauptausschuss", "Finanzausschuss", "Bauausschuss", "Planungsausschuss",
	"Mobilitätsausschuss", "Umweltausschuss", "Schulausschuss", "Sozialausschuss",
	"Kulturausschuss", "Sportausschuss", "Kreisverwaltungsausschuss", "Wirtschaftsausschuss",
	"Gesundheitsausschuss", "Rechnungsprüfungsausschuss",
}

var districts = []string{
	"Altstadt-Lehel", "Ludwigsvorstadt", "Maxvorstadt", "Schwabing-West", "Au-Haidhausen",
	"Sendling", "Sendling-Westpark", "Schwanthalerhöhe", "Neuhausen-Nymphenburg", "Moosach",
	"Milbertshofen", "Schwabing-Freimann", "Bogenhausen", "Berg am Laim", "Trudering-Riem",
	"Ramersdorf-Perlach", "Obergiesing", "Untergiesing-Harlaching", "Thalkirchen", "Hadern",
	"Pasing-Obermenzing", "Aubing-Lochhausen", "Allach-Untermenzing", "Feldmoching-Hasenbergl", "Laim",
}

var factions = []string{"CSU", "SPD", "GRÜNE", "FDP", "LINKE", "FREIE WÄHLER"}

var givenNames = []string{
	"Anna", "Maria", "Julia", "Katharina", "Sabine", "Petra", "Claudia", "Monika", "Sophie", "Lena",
	"Thomas", "Michael", "Andreas", "Stefan", "Markus", "Florian", "Tobias", "Johannes", "Jürgen", "Klaus",
	"Özlem", "Dragica", "Ümit", "Jörg", "Bärbel",
}

var familyNames = []string{
	"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer",
	"Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
	"Huber", "Mayer", "Gruber", "Brandl", "Obermaier", "Yılmaz", "Kovačević", "Weiß", "Gößl", "Aßmann",
}

var streets = []string{
	"Lindwurmstraße", "Leopoldstraße", "Rosenheimer Straße", "Landsberger Straße", "Dachauer Straße",
	"Ungererstraße", "Tegernseer Landstraße", "Fürstenrieder Straße", "Wasserburger Landstraße", "Schleißheimer Straße",
	"Isarauen", "Westpark", "Marienplatz", "Sendlinger Tor", "Ostbahnhof",
}

var projects = []string{
	"Neubau einer Grundschule", "Sanierung des Hallenbads", "Ausbau des Radwegs", "Erweiterung der Kindertagesstätte",
	"Umgestaltung des Platzes", "Neubau der Feuerwache", "Sanierung der Stadtbibliothek", "Errichtung einer Photovoltaikanlage",
	"Verkehrsberuhigung", "Neuordnung der Parkraumbewirtschaftung", "Pflanzung von Straßenbäumen", "Ausbau der Fernwärmeversorgung",
	"Einrichtung einer Fahrradstraße", "Sanierung der Sportanlage", "Bau einer Lärmschutzwand", "Förderung des Wohnungsbaus",
}

var paperKinds = []struct{ kind, prefix, originator string }{
	{"Beschlussvorlage", "Beschlussvorlage", "Referat für Stadtplanung und Bauordnung"},
	{"Beschlussvorlage", "Beschlussvorlage", "Kämmerei"},
	{"Beschlussvorlage", "Beschlussvorlage", "Mobilitätsreferat"},
	{"Antrag", "Antrag", "Stadtratsfraktion"},
	{"Anfrage", "Anfrage", "Stadtratsfraktion"},
	{"Mitteilungsvorlage", "Bekanntgabe", "Referat für Klima- und Umweltschutz"},
}

var nonPublicTitles = []string{
	"Grundstücksangelegenheit", "Personalangelegenheit", "Vergabe von Bauleistungen",
	"Vertragsangelegenheit", "Stundung einer Forderung", "Erwerb eines Grundstücks",
}

var sentences = []string{
	"Die Verwaltung schlägt vor, die {project} an der {street} im Jahr {year} zu beginnen.",
	"Die Gesamtkosten der Maßnahme belaufen sich nach der Kostenberechnung auf {euro} Euro.",
	"Im Rahmen der Bürgerbeteiligung gingen {n} Stellungnahmen ein, die in der Anlage zusammengefasst sind.",
	"Der Bezirksausschuss {district} hat sich in seiner Sitzung einstimmig für die Planung ausgesprochen.",
	"Die Maßnahme trägt zu den Zielen des Klimaschutzkonzepts bei und verbessert die Aufenthaltsqualität im Quartier.",
	"Fördermittel des Freistaats in Höhe von bis zu sechzig Prozent der zuwendungsfähigen Kosten wurden beantragt.",
	"Die Leistungen werden nach der Vergabe- und Vertragsordnung öffentlich ausgeschrieben.",
	"Eine Umweltprüfung ergab keine erheblichen Auswirkungen; Ersatzpflanzungen für {n} Bäume sind vorgesehen.",
	"Der Behindertenbeirat und der Seniorenbeirat wurden beteiligt und haben der Vorlage zugestimmt.",
	"Die Folgekosten für Unterhalt und Betrieb betragen jährlich etwa {euro} Euro und sind im Haushaltsplan {year} berücksichtigt.",
	"Alternativen wurden geprüft; sie sind entweder teurer oder lassen sich nicht innerhalb des Zeitplans umsetzen.",
	"Die Verkehrsuntersuchung zeigt an Werktagen durchschnittlich {n} Fahrzeuge in der Spitzenstunde.",
	"Die Stadtwerke haben die Leitungsverlegung mit der Baumaßnahme abgestimmt, damit die Straße nur einmal aufgegraben wird.",
	"Nach Abschluss der Arbeiten wird die Verwaltung dem Ausschuss über die Erfahrungen berichten.",
	"Die Gleichstellungsstelle hat Gelegenheit zur Stellungnahme erhalten und keine Einwände erhoben.",
	"Der Stadtrat wird gebeten, der Vorlage zuzustimmen, damit die Arbeiten wie geplant beginnen können.",
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// millions writes tenths of a million the German way: "12,3 Millionen".
func millions(tenths int) string { return fmt.Sprintf("%d,%d Millionen", tenths/10, tenths%10) }

// sentence fills one template.
func sentence(r *rand.Rand, year int) string {
	s := pick(r, sentences)
	return strings.NewReplacer(
		"{project}", pick(r, projects), "{street}", pick(r, streets), "{district}", pick(r, districts),
		"{year}", fmt.Sprint(year+r.IntN(2)), "{euro}", millions(r.IntN(500)+1), "{n}", fmt.Sprint(r.IntN(900)+12),
	).Replace(s)
}

// pageText is one page of a document: a heading and about a thousand
// characters of sentences.
func pageText(r *rand.Rand, title string, page, year int) string {
	var b strings.Builder
	if page == 1 {
		b.WriteString(title)
	} else {
		fmt.Fprintf(&b, "%s – Seite %d", title, page)
	}
	b.WriteString("\n\n")
	for b.Len() < 1000 {
		b.WriteString(sentence(r, year))
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}
