// Package searchtest is the conformance suite of search.Index: every
// backend must pass Run. It indexes a small council — public minutes and
// motions, a non-public item, an embargoed agenda, an item a member is
// excluded from, a staff-only draft — and checks what each role finds,
// German analysis, phrases, references, grouping by document, facets,
// filters, paging, suggestions, replacement and removal. The leak tests
// plant a canary word only in documents some roles may not see and
// require that, for those roles, every answer that involves the canary is
// byte for byte the answer to a nonsense word.
package searchtest

import (
	"time"

	"github.com/ratsmappe/ratsmappe/search"
)

// T0 is "now" for the fixture: the embargoed agenda is published a day
// later.
var T0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Embargo is when the embargoed agenda (document 105) becomes public.
var Embargo = T0.Add(24 * time.Hour)

// Canary occurs only in documents that are not public (or not yet);
// Nonsense occurs nowhere. Their prefixes are what a person would have
// typed before suggestions are asked for.
const (
	Canary         = "Kanarienvogel"
	Nonsense       = "Quappenschmelz"
	CanaryPrefix   = "Kanar"
	NonsensePrefix = "Quapp"
)

// Committees of the fixture.
const (
	Council   = "Gemeinderat"
	Buildings = "Bauausschuss"
)

// Roles are the viewers the suite asks as.
var Roles = []struct {
	Name   string
	Viewer search.Viewer
}{
	{"nobody", search.Viewer{}},
	{"citizen", search.Viewer{Principals: []string{search.Public}}},
	{"member of the building committee", search.Viewer{Principals: []string{search.Public, search.Org(5), search.Person(3)}}},
	{"excluded member", search.Viewer{Principals: []string{search.Public, search.Org(5), search.Person(7)}}},
	{"member of another committee", search.Viewer{Principals: []string{search.Public, search.Org(9), search.Person(9)}}},
	{"staff", search.Viewer{Principals: []string{search.Staff}}},
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var public = search.Access{Principals: []string{search.Public}}

// Records returns the fixture: one record per page.
func Records() []search.Record {
	return []search.Record{
		// 101: public minutes, three pages.
		{Document: 101, Version: 1, Page: 1, Title: "Niederschrift der Sitzung des Gemeinderats vom 14. März 2025",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2025, 3, 14), Kind: "minutes", Access: public,
			Text: "Der Oberbürgermeister eröffnet die Sitzung und begrüßt die Räte. Tagesordnungspunkt 1: Haushalt 2025. " +
				"Die Stadträtinnen und Stadträte beraten den Haushaltsplan."},
		{Document: 101, Version: 1, Page: 2, Title: "Niederschrift der Sitzung des Gemeinderats vom 14. März 2025",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2025, 3, 14), Kind: "minutes", Access: public,
			Text: "Tagesordnungspunkt 2: Anliegerkosten. Die Anwohner der Lindenstraße lehnen die Straßenausbaubeiträge ab. " +
				"Die Verwaltung erläutert die Satzung."},
		{Document: 101, Version: 1, Page: 3, Title: "Niederschrift der Sitzung des Gemeinderats vom 14. März 2025",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2025, 3, 14), Kind: "minutes", Access: public,
			Text: "Tagesordnungspunkt 3: Gebühren für die Nutzung der Sporthallen. Der Rat beschließt die neuen Gebühren einstimmig."},

		// 102: public draft resolution with a paper reference.
		{Document: 102, Version: 2, Page: 1, Title: "Radwegebau in der Südstadt", Reference: "2025/0123",
			Committee: Buildings, Meeting: "Bauausschuss, 02.04.2025", Date: day(2025, 4, 2), Kind: "draft_resolution", Access: public,
			Text: "Beschlussvorlage 2025/0123. Der Bauausschuss empfiehlt den Radwegebau entlang der Rheinstraße. " +
				"Die Kosten für den Radwegebau liegen bei 1,2 Millionen Euro."},
		{Document: 102, Version: 2, Page: 2, Title: "Radwegebau in der Südstadt", Reference: "2025/0123",
			Committee: Buildings, Meeting: "Bauausschuss, 02.04.2025", Date: day(2025, 4, 2), Kind: "draft_resolution", Access: public,
			Text: "Der Weg wird auf zwei Meter verbreitert. Der Haushalt sieht die Mittel im Jahr 2026 vor. Siehe auch Vorlage 2024/0815."},

		// 103: public motion, spelled without umlauts and ß.
		{Document: 103, Version: 1, Page: 1, Title: "Antrag zur Sanierung der Strasse am Markt", Reference: "2025/0124",
			Committee: Buildings, Meeting: "Bauausschuss, 05.05.2025", Date: day(2025, 5, 5), Kind: "motion", Access: public,
			Text: "Die Fraktion beantragt, die Strasse am Marktplatz zu sanieren. Die Gebuehren der Anlieger sollen nicht steigen. " +
				"Der öffentliche Personennahverkehr soll während der Bauzeit umgeleitet werden."},

		// 104: non-public item of the building committee.
		{Document: 104, Version: 1, Page: 1, Title: "Grundstücksangelegenheit Lindenstraße",
			Committee: Buildings, Meeting: "Bauausschuss, 20.05.2025", Date: day(2025, 5, 20), Kind: "draft_resolution",
			Access: search.Access{Principals: []string{search.Org(5)}},
			Text:   "Nichtöffentlich. Der Verkauf des Grundstücks an die Kanarienvogel Verwaltungsgesellschaft wird vorbereitet. Haushalt: Erlös zwei Millionen Euro."},

		// 105: public agenda under embargo until Embargo.
		{Document: 105, Version: 1, Page: 1, Title: "Tagesordnung der Sitzung am 10. Juni 2025",
			Committee: Council, Meeting: "Gemeinderat, 10.06.2025", Date: day(2025, 6, 10), Kind: "agenda",
			Access: search.Access{Principals: []string{search.Public}, NotBefore: Embargo},
			Text:   "Punkt 1: Bericht über das Kanarienvogel-Projekt. Punkt 2: Haushalt der Stadtwerke."},

		// 106: non-public item person 7 is excluded from (Befangenheit).
		{Document: 106, Version: 1, Page: 1, Title: "Vergabe Tiefbauarbeiten",
			Committee: Buildings, Meeting: "Bauausschuss, 20.05.2025", Date: day(2025, 5, 20), Kind: "attachment",
			Access: search.Access{Principals: []string{search.Org(5)}, Denied: []string{search.Person(7)}},
			Text:   "Vergabe des Auftrags an die Firma Kanarienvogel GmbH. Der Haushalt trägt die Kosten."},

		// 107: a draft only the office sees.
		{Document: 107, Version: 1, Page: 1, Title: "Entwurf",
			Committee: Council, Date: day(2025, 5, 28), Kind: "other",
			Access: search.Access{},
			Text:   "Entwurf einer Vorlage: Kanarienvogel. Haushalt offen."},

		// 108: public, Haushalt on pages 1, 3 (most) and 4.
		{Document: 108, Version: 1, Page: 1, Title: "Haushaltsrede des Kämmerers",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2024, 12, 10), Kind: "attachment", Access: public,
			Text: "Meine Damen und Herren, der Haushalt ist ausgeglichen, die Schulden sinken, die Steuern bleiben gleich."},
		{Document: 108, Version: 1, Page: 2, Title: "Haushaltsrede des Kämmerers",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2024, 12, 10), Kind: "attachment", Access: public,
			Text: "Die Schulen werden saniert, die Bäder bleiben offen und die Bibliothek erhält neue Bücher für die Kinder."},
		{Document: 108, Version: 1, Page: 3, Title: "Haushaltsrede des Kämmerers",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2024, 12, 10), Kind: "attachment", Access: public,
			Text: "Haushalt, Haushalt, Haushalt: ohne einen soliden Haushalt gibt es keine Investitionen in Schulen."},
		{Document: 108, Version: 1, Page: 4, Title: "Haushaltsrede des Kämmerers",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2024, 12, 10), Kind: "attachment", Access: public,
			Text: "Zum Schluss danke ich der Kämmerei. Der Haushalt wurde in vielen Nachtschichten aufgestellt, und alle haben mitgeholfen."},

		// 109: public, a compound only.
		{Document: 109, Version: 1, Page: 1, Title: "Satzung",
			Committee: Council, Meeting: "Gemeinderat, 14.03.2025", Date: day(2025, 3, 14), Kind: "draft_resolution", Access: public,
			Text: "Die Straßenausbaubeitragssatzung wird aufgehoben. Die Stadt verzichtet künftig auf die Erhebung."},
	}
}

// canaryDocs are the documents that contain the canary.
var canaryDocs = []int64{104, 105, 106, 107}
