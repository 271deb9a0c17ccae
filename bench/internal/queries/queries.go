// Package queries holds the search queries of the Munich-scale benchmark
// (bench/munich), which bench/searchcpu asks too: German words of the
// generated text (sessions/demo/scale) and of the demo's, one or two per
// query.
package queries

var (
	words1 = []string{"Grundschule", "Hallenbad", "Radweg", "Kindertagesstätte", "Feuerwache", "Stadtbibliothek", "Photovoltaikanlage",
		"Verkehrsberuhigung", "Parkraumbewirtschaftung", "Straßenbäume", "Fernwärmeversorgung", "Fahrradstraße", "Sportanlage",
		"Lärmschutzwand", "Wohnungsbau", "Haushalt", "Bürgerbeteiligung", "Klimaschutzkonzept", "Fördermittel", "Umweltprüfung"}
	words2 = []string{"", "Sanierung", "Neubau", "Kosten", "Bezirksausschuss", "Vergabe", "Leopoldstraße", "Westpark", "Marienplatz",
		"Ostbahnhof", "Stellungnahmen", "Seniorenbeirat", "Planung", "Ausbau", "Betrieb"}
)

// Count is how many distinct queries there are.
var Count = len(words1) * len(words2)

// Munich is the i-th query: a word, or two; they repeat after Count.
func Munich(i int64) string {
	q := words1[i%int64(len(words1))]
	if w := words2[(i/int64(len(words1)))%int64(len(words2))]; w != "" {
		q += " " + w
	}
	return q
}

// All returns the Count distinct queries in the order Munich asks them.
func All() []string {
	qs := make([]string, Count)
	for i := range qs {
		qs[i] = Munich(int64(i))
	}
	return qs
}
