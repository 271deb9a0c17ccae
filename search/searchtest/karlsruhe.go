package searchtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/search"
)

// KarlsruheDir is where the Karlsruhe corpus lies relative to a package
// directory two levels below the repository root (search/bleve): the
// shared folder beside the repository.
const KarlsruheDir = "../../../shared/corpus/karlsruhe"

// File is one text of the Karlsruhe corpus with what a search result
// shows about it.
type File struct {
	ID        int64 // the file number, used as document number
	Reference string
	Title     string
	Kind      string
	Committee string
	Meeting   string
	Date      time.Time
	Pages     []string
}

// Records returns the records of f's pages with access a, as document
// number doc.
func (f *File) Records(doc int64, a search.Access) []search.Record {
	recs := make([]search.Record, len(f.Pages))
	for i, p := range f.Pages {
		recs[i] = search.Record{
			Document: doc, Version: 1, Page: i + 1, Text: p,
			Title: f.Title, Reference: f.Reference, Committee: f.Committee,
			Meeting: f.Meeting, Date: f.Date, Kind: f.Kind, Access: a,
		}
	}
	return recs
}

// LoadKarlsruhe reads the texts of the Karlsruhe corpus in dir (see
// ../../shared/corpus/README.md) with titles, references, committees and
// meetings from its OParl papers, sorted by file number. It returns an
// error wrapping fs.ErrNotExist if the corpus is not there.
func LoadKarlsruhe(dir string) ([]*File, error) {
	var papers []struct {
		Name          string `json:"name"`
		Reference     string `json:"reference"`
		PaperType     string `json:"paperType"`
		Date          string `json:"date"`
		AuxiliaryFile []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"auxiliaryFile"`
		MainFile *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"mainFile"`
		Consultation []struct {
			Meeting      string   `json:"meeting"`
			Organization []string `json:"organization"`
		} `json:"consultation"`
	}
	var orgs []struct {
		ID, Name string
	}
	var meetings []struct {
		ID, Name, Start string
	}
	for name, v := range map[string]any{"papers.json": &papers, "organizations.json": &orgs, "meetings.json": &meetings} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("karlsruhe corpus: %w", err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("karlsruhe corpus: %s: %w", name, err)
		}
	}
	orgName := make(map[string]string)
	for _, o := range orgs {
		orgName[o.ID] = o.Name
	}
	meetingName := make(map[string]string)
	for _, m := range meetings {
		name, _, _ := strings.Cut(m.Name, " (")
		if t, err := time.Parse(time.RFC3339, m.Start); err == nil {
			name += ", " + t.Format("02.01.2006")
		}
		meetingName[m.ID] = name
	}
	var files []*File
	seen := make(map[int64]bool)
	for _, p := range papers {
		committee, meeting := "", ""
		for _, c := range p.Consultation {
			for _, o := range c.Organization {
				if committee == "" && orgName[o] != "" {
					committee = orgName[o]
				}
			}
			if meeting == "" {
				meeting = meetingName[c.Meeting]
			}
		}
		if committee == "" {
			committee = "Gemeinderat"
		}
		date, _ := time.Parse("2006-01-02", p.Date)
		all := p.AuxiliaryFile
		if p.MainFile != nil {
			all = append(all, *p.MainFile)
		}
		for _, af := range all {
			num := af.ID[strings.LastIndex(af.ID, "/")+1:]
			id, err := strconv.ParseInt(num, 10, 64)
			if err != nil || seen[id] {
				continue
			}
			seen[id] = true
			b, err := os.ReadFile(filepath.Join(dir, "text", num+".txt"))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("karlsruhe corpus: %w", err)
			}
			f := &File{
				ID: id, Reference: p.Reference, Committee: committee, Meeting: meeting, Date: date,
				Title: p.Name, Kind: kind(af.Name, p.PaperType), Pages: SplitPages(string(b)),
			}
			if !isMain(af.Name) && af.Name != p.Name {
				f.Title = af.Name + ": " + p.Name
			}
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("karlsruhe corpus: no texts in %s: %w", dir, fs.ErrNotExist)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].ID < files[j].ID })
	return files, nil
}

func isMain(fileName string) bool {
	for _, p := range []string{"Beschlussvorlage", "Antrag", "Anfrage", "Informationsvorlage", "Änderungs", "Ergänzungs"} {
		if strings.HasPrefix(fileName, p) {
			return true
		}
	}
	return false
}

// kind maps a file to a documents kind.
func kind(fileName, paperType string) string {
	switch {
	case strings.HasPrefix(fileName, "Protokoll"):
		return "minutes"
	case !isMain(fileName):
		return "attachment"
	case paperType == "Beschlussvorlage":
		return "draft_resolution"
	case strings.Contains(paperType, "ntrag") || paperType == "Anfrage":
		return "motion"
	}
	return "other"
}

// PageSize is about the text of a printed page; texts without form feeds
// are cut into pages of about this many bytes.
const PageSize = 3000

// SplitPages cuts a text into pages: at form feeds if it has any, else
// into pieces of about PageSize bytes at line ends.
func SplitPages(text string) []string {
	if strings.Contains(text, "\f") {
		return strings.Split(text, "\f")
	}
	var pages []string
	for len(text) > PageSize {
		cut := strings.LastIndexByte(text[:PageSize], '\n')
		if cut < PageSize/2 {
			cut = strings.LastIndexByte(text[:PageSize], ' ')
		}
		if cut < PageSize/2 {
			cut = PageSize
			for cut < len(text) && text[cut]&0xC0 == 0x80 {
				cut++ // not inside a UTF-8 sequence
			}
		}
		pages = append(pages, text[:cut])
		text = text[cut:]
	}
	return append(pages, text)
}

// Judgment is a query a person would type and the files that must be
// among its first ten documents.
type Judgment struct {
	Query string
	Want  []int64
}

// Relevance is the relevance set for the Karlsruhe corpus: the file of the
// paper that a person typing the query is looking for. The queries vary
// word forms, split compounds, misspell, quote phrases and cite
// references, as people do.
var Relevance = []Judgment{
	{"Toilette für alle", []int64{663565}},
	{"Toilleten für Alle", []int64{663565}}, // typo
	{"Regionalplan Solarenergie", []int64{655990, 656413}},
	{"Grundschule am Wasserturm", []int64{671000}},
	{"Quartiersarbeit Diakonisches Werk", []int64{672631}},
	{"Blackout Strommanagement", []int64{656158}},
	{"Grünflächeninformationssystem Gartenbauamt", []int64{656790}},
	{"Waldweihnacht Friedrichsplatz", []int64{664996}},
	{"freigestellter Schülerverkehr", []int64{672040}},
	{"Energieleitplan", []int64{660931}},
	{"kostenlose Hygieneartikel Schulen", []int64{655883}}, // part of Damenhygieneartikel
	{"Gartenschach", []int64{667042}},
	{"Zündhütle", []int64{667202}},
	{"Fachkräftebedarf frühkindliche Bildung", []int64{661014}},
	{"Stadthalle Audionetzwerk", []int64{657821}},
	{"Zuschuss Geschwisterkinder", []int64{671056}}, // parts of Geschwisterkinderzuschuss
	{"Sammelansatz Klimaanpassung", []int64{656437}},
	{"Bauturbo", []int64{671812}},
	{"Kooperation Schule Sportverein", []int64{658685}},
	{"Brötchentaste", []int64{672423}},
	{"Verkehrskonzept Turmberg", []int64{665978}},
	{"Wirtschaftsplan Gewerbeflächen", []int64{660212}},
	{"ver.di Arbeitsbedingungen", []int64{656129}},
	{"Vorqualifizierungsjahr", []int64{671302}},
	{"Parkleitführung Durlach", []int64{658739}},
	{"Unterbringung obdachloser Frauen", []int64{658864}},
	{"Netzsanierung Abwasser", []int64{663333}},
	{"jüdischer Friedhof", []int64{673878}},
	{"Kinderkochwagen", []int64{672035}},
	{"Kühlgerät", []int64{672526}}, // part of Kühlgerätetausch
	{"Wettbewerb Friedrichsplatz", []int64{657749}},
	{"Bauantrag Friedrichstraße 62", []int64{659631}},
	{`"Werben fürs Sterben"`, []int64{666665}},
	{"2024/0921", []int64{660237}},
	{"Schlossplatztunnel Verkehrsführung", []int64{660237}},
	{"entwicklungspolitische Bildungsarbeit", []int64{671933}},
	{"Gebühren Fachschulen", []int64{672052}},
	{"Aufsichtsräte Stiftungsräte", []int64{669881}},
	{"Plätzekonzept", []int64{656467}},
	{"Regionalplan Mittlerer Oberrhein", []int64{658988, 655990}},
}
