package portal

import (
	"fmt"
	"strconv"

	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// agendaRows are the agenda items of the meeting page (the template
// writes them with {{rows …}}): number, title, badges, result, the roll
// calls of named votes, papers and documents. Written here rather than
// by the template, which spent a dozen reflective calls on an item and
// half a dozen on each of its documents — most of the page's template
// CPU (issue 15, pgapp2); TestAgendaRowsAsTemplate compares them with
// main's template byte for byte.
type agendaRows struct {
	Agenda    []folder.AgendaEntry
	RollCalls map[int64][]live.RollCall
}

// agendaWords are the item's words in German and English.
type agendaWords struct {
	nonPublic, late, result, yes, no, abstain, page, pages, version string
}

var (
	agendaDE = agendaWords{"nichtöffentlich", "nachgereicht", "Ergebnis", "Ja", "Nein", "Enthaltung", "Seite", "Seiten", "Fassung"}
	agendaEN = agendaWords{"non-public", "added late", "Result", "Yes", "No", "Abstain", "page", "pages", "version"}
)

// AppendHTML appends the items in lang; it fails, as the template did,
// on a roll call without its three lists of names or a missing paper.
func (a agendaRows) AppendHTML(dst []byte, lang string) ([]byte, error) {
	w := &agendaDE
	if lang == "en" {
		w = &agendaEN
	}
	for i := range a.Agenda {
		e := &a.Agenda[i]
		dst = append(dst, "\n<li id=\"item-"...)
		dst = strconv.AppendInt(dst, e.ID, 10)
		dst = append(dst, "\">\n  <span class=\"number\">"...)
		dst = render.AppendHTMLText(dst, e.Number)
		dst = append(dst, "</span>\n  <span class=\"title\">"...)
		dst = render.AppendHTMLText(dst, e.Title)
		dst = append(dst, "</span>\n  "...)
		if !e.Public {
			dst = append(dst, `<span class="badge np">`...)
			dst = append(dst, w.nonPublic...)
			dst = append(dst, "</span>"...)
		}
		dst = append(dst, "\n  "...)
		if e.Late != nil {
			dst = append(dst, `<span class="badge late">`...)
			dst = append(dst, w.late...)
			dst = append(dst, "</span>"...)
		}
		dst = append(dst, "\n  "...)
		if e.Result != "" {
			dst = append(dst, `<div class="result"><strong>`...)
			dst = append(dst, w.result...)
			dst = append(dst, ":</strong> "...)
			dst = render.AppendHTMLText(dst, e.Result)
			dst = append(dst, "</div>"...)
		}
		dst = append(dst, "\n  "...)
		for _, rc := range a.RollCalls[e.ID] {
			if len(rc.Choices) < 3 {
				return dst, fmt.Errorf("roll call of vote %d: %d lists of names, not 3", rc.Vote, len(rc.Choices))
			}
			dst = append(dst, "<dl class=\"rollcall facts\">\n    <dt>"...)
			dst = append(dst, w.yes...)
			dst = append(dst, "</dt><dd>"...)
			dst = appendRollNames(dst, rc.Choices[0])
			dst = append(dst, "</dd>\n    <dt>"...)
			dst = append(dst, w.no...)
			dst = append(dst, "</dt><dd>"...)
			dst = appendRollNames(dst, rc.Choices[1])
			dst = append(dst, "</dd>\n    <dt>"...)
			dst = append(dst, w.abstain...)
			dst = append(dst, "</dt><dd>"...)
			dst = appendRollNames(dst, rc.Choices[2])
			dst = append(dst, "</dd>\n  </dl>"...)
		}
		dst = append(dst, "\n  "...)
		for _, p := range e.Papers {
			if p == nil {
				return dst, fmt.Errorf("agenda item %d: a missing paper", e.ID)
			}
			dst = append(dst, `<div class="muted"><a href="/papers/`...)
			dst = strconv.AppendInt(dst, p.ID, 10)
			dst = append(dst, `">`...)
			dst = render.AppendHTMLText(dst, p.Type)
			dst = append(dst, ' ')
			dst = render.AppendHTMLText(dst, p.Reference)
			dst = append(dst, "</a></div>"...)
		}
		dst = append(dst, "\n  "...)
		if len(e.Documents) > 0 {
			dst = append(dst, "<ul class=\"docs\">\n  "...)
			for k := range e.Documents {
				d := &e.Documents[k]
				dst = append(dst, `<li><a href="/documents/`...)
				dst = strconv.AppendInt(dst, d.ID, 10)
				dst = append(dst, `">`...)
				dst = render.AppendHTMLText(dst, d.Title)
				dst = append(dst, `</a> · <a href="`...)
				dst = render.AppendHTMLURL(dst, d.URL)
				dst = append(dst, `">PDF</a> <span class="muted">(`...)
				dst = strconv.AppendInt(dst, int64(d.Pages), 10)
				dst = append(dst, ' ')
				if d.Pages == 1 {
					dst = append(dst, w.page...)
				} else {
					dst = append(dst, w.pages...)
				}
				if d.Version > 1 {
					dst = append(dst, ", "...)
					dst = append(dst, w.version...)
					dst = append(dst, ' ')
					dst = strconv.AppendInt(dst, int64(d.Version), 10)
				}
				dst = append(dst, ")</span>"...)
				if d.Late != nil {
					dst = append(dst, ` <span class="badge late">`...)
					dst = append(dst, w.late...)
					dst = append(dst, "</span>"...)
				}
				dst = append(dst, "</li>"...)
			}
			dst = append(dst, "\n  </ul>"...)
		}
		dst = append(dst, "\n</li>\n"...)
	}
	return dst, nil
}

// appendRollNames appends the persons of one choice of a roll call,
// linked, or a dash for none.
func appendRollNames(dst []byte, ns []live.RollName) []byte {
	if len(ns) == 0 {
		return append(dst, "–"...)
	}
	for i, n := range ns {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, `<a href="/persons/`...)
		dst = strconv.AppendInt(dst, n.Person, 10)
		dst = append(dst, `">`...)
		dst = render.AppendHTMLText(dst, n.Name)
		dst = append(dst, "</a>"...)
	}
	return dst
}
