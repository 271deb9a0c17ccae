package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// topic is a subject a council deals with; the demo writes its papers
// from these, in the language of a German council office.
type topic struct {
	Title     string // of the paper
	Kind      string // Beschlussvorlage, Antrag, Anfrage, Informationsvorlage
	Place     string
	Amount    int // euros
	Committee string
	Text      []string // Sachverhalt paragraphs
	Proposal  string   // Beschlussvorschlag
}

var topics = []topic{
	{"Radweg Durlacher Allee – Ausbau zwischen Ostring und Schlachthof", "Beschlussvorlage", "Durlacher Allee", 1850000, "Planungsausschuss",
		[]string{
			"Die Durlacher Allee ist eine der meistbefahrenen Radverbindungen der Stadt. Zählungen im Frühjahr ergaben an Werktagen durchschnittlich 4.200 Radfahrende. Der vorhandene Radweg ist auf weiten Strecken nur 1,20 Meter breit und durch Baumwurzeln beschädigt.",
			"Die Verwaltung schlägt vor, auf beiden Seiten einen baulich getrennten Radweg mit 2,30 Metern Breite herzustellen. Die Bushaltestellen werden als Kaphaltestellen umgebaut, damit Fahrgäste nicht über den Radweg aussteigen müssen.",
			"Der Radwegebau soll in zwei Abschnitten erfolgen. Der erste Abschnitt zwischen Ostring und Tullastraße wird in den Sommerferien gebaut, um den Schülerverkehr möglichst wenig zu beeinträchtigen.",
		},
		"Der Gemeinderat beschließt den Ausbau des Radwegs Durlacher Allee nach der Entwurfsplanung der Verwaltung und stellt die erforderlichen Mittel bereit."},
	{"Sanierung der Grundschule am Wasserturm", "Beschlussvorlage", "Grundschule am Wasserturm", 6400000, "Bauausschuss",
		[]string{
			"Das Schulgebäude aus dem Jahr 1962 entspricht nicht mehr den Anforderungen an Brandschutz, Barrierefreiheit und Energieeffizienz. Die Fenster sind undicht, die Heizungsanlage ist über vierzig Jahre alt.",
			"Die Sanierung umfasst die Erneuerung der Fassade mit Dämmung, neue Fenster, eine Lüftungsanlage mit Wärmerückgewinnung, einen Aufzug sowie eine Photovoltaikanlage auf dem Dach. Während der Bauzeit wird der Unterricht in Containern auf dem Schulhof fortgeführt.",
		},
		"Der Bauausschuss stimmt der Sanierung der Grundschule am Wasserturm zu und beauftragt die Verwaltung mit der Ausschreibung der Bauleistungen."},
	{"Satzung über die Erhebung von Straßenausbaubeiträgen – Änderung", "Beschlussvorlage", "Stadtgebiet", 0, "Hauptausschuss",
		[]string{
			"Nach der geltenden Satzung werden die Eigentümerinnen und Eigentümer anliegender Grundstücke an den Kosten des Ausbaus von Straßen beteiligt. Die Straßenausbaubeiträge sind in der Bürgerschaft umstritten.",
			"Die Änderung sieht vor, die Beiträge künftig in bis zu zwanzig Jahresraten zu erheben und Härtefälle auf Antrag zu stunden. Die Beitragssätze für Anliegerstraßen bleiben unverändert.",
		},
		"Der Gemeinderat beschließt die Änderung der Satzung über die Erhebung von Straßenausbaubeiträgen in der Fassung der Anlage."},
	{"Haushaltssatzung und Haushaltsplan für das kommende Jahr", "Beschlussvorlage", "Stadtverwaltung", 412000000, "Hauptausschuss",
		[]string{
			"Der Entwurf des Haushaltsplans sieht ordentliche Erträge von 412 Millionen Euro vor. Die Gewerbesteuer bleibt mit 118 Millionen Euro die wichtigste Einnahmequelle. Die Personalaufwendungen steigen wegen der Tarifabschlüsse um 4,8 Prozent.",
			"Im Finanzhaushalt sind Investitionen von 96 Millionen Euro geplant, vor allem für Schulen, Kindertagesstätten, Brücken und den Radverkehr. Die Kreditaufnahme beträgt 21 Millionen Euro.",
			"Die Verwaltung empfiehlt, die Hebesätze der Grundsteuer und der Gewerbesteuer unverändert zu lassen.",
		},
		"Der Gemeinderat beschließt die Haushaltssatzung mit dem Haushaltsplan in der vorgelegten Fassung."},
	{"Bebauungsplan „Wohnen am Alten Güterbahnhof“ – Aufstellungsbeschluss", "Beschlussvorlage", "Alter Güterbahnhof", 0, "Planungsausschuss",
		[]string{
			"Auf dem Gelände des Alten Güterbahnhofs sollen rund 450 Wohnungen entstehen, davon mindestens ein Drittel geförderter Wohnraum. Vorgesehen sind außerdem eine Kindertagesstätte mit sechs Gruppen und ein Quartiersplatz.",
			"Die Erschließung erfolgt über die Güterstraße. Ein Mobilitätskonzept mit Carsharing-Stationen und Fahrradabstellanlagen soll den Stellplatzbedarf senken.",
		},
		"Der Planungsausschuss beschließt die Aufstellung des Bebauungsplans „Wohnen am Alten Güterbahnhof“."},
	{"Klimaschutzkonzept 2035 – Fortschreibung", "Informationsvorlage", "Stadtgebiet", 0, "Ausschuss für Umwelt und Gesundheit",
		[]string{
			"Die Stadt hat sich das Ziel gesetzt, bis 2035 klimaneutral zu werden. Der Bericht zeigt, dass die Emissionen seit 2010 um 31 Prozent gesunken sind, im Verkehrssektor jedoch kaum.",
			"Die Fortschreibung enthält 64 Maßnahmen, darunter die Wärmeplanung für alle Stadtteile, den Ausbau der Fernwärme, Photovoltaik auf allen städtischen Dächern und ein Förderprogramm für Lastenräder.",
		},
		"Der Ausschuss nimmt den Bericht zur Kenntnis."},
	{"Gebühren für Kindertagesstätten – Anpassung zum 1. September", "Beschlussvorlage", "Städtische Kindertagesstätten", 2300000, "Ausschuss für Bildung und Soziales",
		[]string{
			"Die Elternbeiträge decken derzeit rund elf Prozent der Betriebskosten. Die kommunalen Landesverbände empfehlen eine Anpassung um 7,3 Prozent.",
			"Die Verwaltung schlägt vor, die Gebühren sozial zu staffeln. Familien mit geringem Einkommen sollen künftig vollständig befreit werden; für Geschwisterkinder gilt eine Ermäßigung von fünfzig Prozent.",
		},
		"Der Gemeinderat beschließt die Änderung der Gebührensatzung für die städtischen Kindertagesstätten."},
	{"Antrag der Fraktion: Mehr Sitzbänke und Trinkbrunnen in der Innenstadt", "Antrag", "Innenstadt", 180000, "Ausschuss für Umwelt und Gesundheit",
		[]string{
			"Die Fraktion beantragt, in der Innenstadt zwanzig zusätzliche Sitzbänke aufzustellen und an fünf Plätzen Trinkbrunnen einzurichten. Gerade ältere Menschen brauchen bei Hitze Gelegenheiten zum Ausruhen und Trinken.",
			"Die Verwaltung wird gebeten, geeignete Standorte vorzuschlagen und die Kosten für Unterhaltung und Reinigung darzustellen.",
		},
		"Der Ausschuss stimmt dem Antrag zu."},
	{"Anfrage: Zustand der Brücken im Stadtgebiet", "Anfrage", "Stadtgebiet", 0, "Bauausschuss",
		[]string{
			"Die Stadt unterhält 118 Brücken und Unterführungen. Die Fragestellerin bittet um Auskunft, wie viele davon bei der letzten Hauptprüfung mit der Zustandsnote 3,0 oder schlechter bewertet wurden.",
			"Außerdem wird gefragt, welche Sanierungen in den nächsten fünf Jahren vorgesehen sind und welche Mittel dafür im Haushalt eingeplant sind.",
		},
		"Die Anfrage wird von der Verwaltung schriftlich beantwortet."},
	{"Neuordnung des Busnetzes im Stadtteil Durlach", "Beschlussvorlage", "Durlach", 950000, "Ortschaftsrat Durlach",
		[]string{
			"Mit der Inbetriebnahme der neuen Straßenbahnlinie ändern sich die Umsteigebeziehungen im Stadtteil. Die Verkehrsbetriebe schlagen vor, die Buslinien 21 und 22 zu einer Ringlinie zusammenzulegen.",
			"Der Takt wird in der Hauptverkehrszeit auf zehn Minuten verdichtet. Die Haltestelle Schlossplatz wird barrierefrei ausgebaut.",
		},
		"Der Ortschaftsrat empfiehlt dem Gemeinderat, der Neuordnung des Busnetzes zuzustimmen."},
	{"Friedhofsgebührensatzung – Neukalkulation", "Beschlussvorlage", "Städtische Friedhöfe", 0, "Hauptausschuss",
		[]string{
			"Die Friedhofsgebühren wurden zuletzt vor sechs Jahren kalkuliert. Die Nachfrage nach Urnengräbern und Baumbestattungen ist stark gestiegen, während klassische Erdwahlgräber seltener gewählt werden.",
			"Die Neukalkulation berücksichtigt die gestiegenen Kosten für Grünpflege und Personal. Neu eingeführt wird ein Gemeinschaftsgrabfeld mit Pflege durch die Friedhofsverwaltung.",
		},
		"Der Gemeinderat beschließt die Friedhofsgebührensatzung in der Fassung der Anlage."},
	{"Kunstrasenplatz Sportpark Nord", "Beschlussvorlage", "Sportpark Nord", 1200000, "Ausschuss für Bildung und Soziales",
		[]string{
			"Der Tennenplatz im Sportpark Nord ist bei Regen häufig nicht bespielbar. Drei Vereine mit zusammen 31 Jugendmannschaften nutzen die Anlage.",
			"Vorgesehen ist ein Kunstrasenplatz mit Füllstoff aus Kork statt Kunststoffgranulat, eine LED-Flutlichtanlage und die Sanierung der Umkleiden.",
		},
		"Der Gemeinderat stimmt dem Bau des Kunstrasenplatzes zu."},
}

// nonPublicTopics are what councils discuss behind closed doors: land,
// contracts, personnel.
var nonPublicTopics = []topic{
	{"Erwerb des Grundstücks Flurstück 4711 an der Güterstraße", "Beschlussvorlage", "Güterstraße", 2750000, "Hauptausschuss",
		[]string{"Der Eigentümer hat der Stadt das Grundstück zum Kauf angeboten. Ein Gutachten des Gutachterausschusses liegt vor. Die Verhandlungen sind vertraulich."},
		"Der Hauptausschuss stimmt dem Erwerb zu den genannten Bedingungen zu."},
	{"Vergabe der Bauleistungen Rohbau", "Beschlussvorlage", "Grundschule am Wasserturm", 2130000, "Bauausschuss",
		[]string{"Auf die Ausschreibung gingen sieben Angebote ein. Das wirtschaftlichste Angebot liegt elf Prozent unter der Kostenberechnung. Die Angaben zu den Bietern sind vertraulich."},
		"Der Bauausschuss vergibt die Rohbauarbeiten an den wirtschaftlichsten Bieter."},
	{"Personalangelegenheit: Besetzung der Amtsleitung", "Beschlussvorlage", "Stadtverwaltung", 0, "Hauptausschuss",
		[]string{"Für die Besetzung der Amtsleitung gingen 23 Bewerbungen ein. Die Auswahlkommission schlägt eine Bewerberin vor. Personalangelegenheiten werden nichtöffentlich beraten."},
		"Der Hauptausschuss stimmt der vorgeschlagenen Besetzung zu."},
	{"Stundung einer Gewerbesteuerforderung", "Beschlussvorlage", "Stadtkämmerei", 340000, "Hauptausschuss",
		[]string{"Ein Unternehmen hat die Stundung einer Steuerforderung beantragt. Die Angaben unterliegen dem Steuergeheimnis."},
		"Der Hauptausschuss stimmt der Stundung unter Auflagen zu."},
}

// write renders a paper's text as blocks for textpdf.
func write(t topic, ref, committee, canary string, r *rand.Rand) []string {
	var b []string
	head := fmt.Sprintf("%s Nr. %s · Federführung: %s", t.Kind, ref, committee)
	b = append(b, head)
	if canary != "" {
		b = append(b, "Vertraulich – nur für den Dienstgebrauch. "+canary)
	}
	b = append(b, "# Sachverhalt")
	b = append(b, t.Text...)
	b = append(b, "# Begründung")
	b = append(b, fillers(r, t, 3+r.IntN(4))...)
	if t.Amount > 0 {
		b = append(b, "# Finanzielle Auswirkungen")
		b = append(b, fmt.Sprintf("Die Gesamtkosten betragen %s Euro. Die Mittel sind im Haushalt unter der Produktgruppe %d.%02d veranschlagt. Folgekosten für Unterhaltung entstehen in Höhe von jährlich %s Euro.",
			euro(t.Amount), 10+r.IntN(50), r.IntN(99), euro(t.Amount/40)))
	}
	b = append(b, "# Beschlussvorschlag")
	b = append(b, t.Proposal)
	if canary != "" {
		b = append(b, "Kennwort der Vorlage: "+canary+".")
	}
	return b
}

var fillerSentences = []string{
	"Die Verwaltung hat die Planung mit den betroffenen Fachämtern, der Polizei und den Verkehrsbetrieben abgestimmt.",
	"Im Rahmen der Bürgerbeteiligung gingen {n} Stellungnahmen ein, die in der Anlage zusammengefasst und bewertet sind.",
	"Der Beirat für Menschen mit Behinderungen wurde beteiligt und hat der Planung zugestimmt.",
	"Die Maßnahme trägt zu den Zielen des Klimaschutzkonzepts bei und verbessert die Aufenthaltsqualität in {place}.",
	"Alternativen wurden geprüft; sie sind entweder teurer oder lassen sich nicht innerhalb des Zeitplans umsetzen.",
	"Fördermittel des Landes in Höhe von bis zu sechzig Prozent der zuwendungsfähigen Kosten wurden beantragt.",
	"Der Ortschaftsrat hat sich in seiner Sitzung einstimmig für die Maßnahme ausgesprochen.",
	"Nach Abschluss der Arbeiten wird die Verwaltung dem Ausschuss über die Erfahrungen berichten.",
	"Die Leistungen werden nach der Vergabe- und Vertragsordnung öffentlich ausgeschrieben.",
	"Eine Umweltprüfung ergab keine erheblichen Auswirkungen auf geschützte Arten; Ersatzpflanzungen für {n} Bäume sind vorgesehen.",
	"Die Gleichstellungsbeauftragte und der Jugendgemeinderat haben Gelegenheit zur Stellungnahme erhalten.",
	"Die Verwaltung empfiehlt, der Vorlage zuzustimmen, damit die Arbeiten wie geplant beginnen können.",
}

func fillers(r *rand.Rand, t topic, n int) []string {
	var out []string
	// Sentences are drawn without repetition across the whole section.
	order := r.Perm(len(fillerSentences))
	for i := 0; i < n && len(order) > 0; i++ {
		var sents []string
		for j := 0; j < 2+r.IntN(2) && len(order) > 0; j++ {
			s := fillerSentences[order[0]]
			order = order[1:]
			s = strings.ReplaceAll(s, "{n}", fmt.Sprint(12+r.IntN(300)))
			s = strings.ReplaceAll(s, "{place}", t.Place)
			sents = append(sents, s)
		}
		out = append(out, strings.Join(sents, " "))
	}
	return out
}

func euro(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}
