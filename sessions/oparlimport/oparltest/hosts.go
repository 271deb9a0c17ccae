package oparltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/textpdf"
)

// TwoHosts is a small OParl source whose objects lead to a second host,
// as a source (or an attacker who controls one) can: an organization, a
// file and the second page of the meeting list are on Other, an agenda
// item and a file download redirect there, and one file's downloadUrl is
// there while its accessUrl is on Source. Everything else — the System,
// its body, one meeting and one paper with a file — is on Source, and a
// redirect within Source (the paper list) must still be followed.
//
// Without Other allowed, an import gets the meeting (without its
// organization, agenda item and two of its three files) and the paper
// with its file; with Other allowed, 2 meetings, 1 organization, 1
// agenda item, 1 paper and 4 documents.
type TwoHosts struct {
	Source, Other *httptest.Server
	// OtherHits counts the requests that reached Other.
	OtherHits atomic.Int32
}

// Refusals is how many URLs an import refuses when Other is not allowed:
// the organization, the agenda item (a redirect), the file object on
// Other, the download that redirects there, and the second page of the
// meeting list.
const Refusals = 5

// NewTwoHosts starts both servers: Source on 127.0.0.1 and Other on
// 127.0.0.2 (another loopback address), or on another port of 127.0.0.1
// where that address is not there. Close them with Close.
func NewTwoHosts() (*TwoHosts, error) {
	h := &TwoHosts{}
	pdfs := map[string][]byte{}
	for i, text := range []string{"Anlage eins vom anderen Host", "Anlage zwei vom anderen Host", "Einladung, umgeleitet", "Vorlage der Quelle"} {
		var b bytes.Buffer
		if _, err := textpdf.Write(&b, textpdf.Doc{Title: text, Created: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			Blocks: []string{"# " + text, "Der Gemeinderat nimmt Kenntnis."}}); err != nil {
			return nil, err
		}
		pdfs[fmt.Sprintf("/files/%d.pdf", i+1)] = b.Bytes()
	}
	otherLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		if otherLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
	}
	h.Source = httptest.NewUnstartedServer(nil)
	h.Other = httptest.NewUnstartedServer(nil)
	h.Other.Listener.Close()
	h.Other.Listener = otherLn
	h.Source.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, pdfs, false) })
	h.Other.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.OtherHits.Add(1)
		h.serve(w, r, pdfs, true)
	})
	h.Source.Start()
	h.Other.Start()
	return h, nil
}

// OtherHost is Other's host:port, as --allow-host takes it.
func (h *TwoHosts) OtherHost() string { return strings.TrimPrefix(h.Other.URL, "http://") }

// System is the URL of Source's System object.
func (h *TwoHosts) System() string { return h.Source.URL + "/oparl/system" }

// Close stops both servers.
func (h *TwoHosts) Close() {
	h.Source.Close()
	h.Other.Close()
}

func (h *TwoHosts) serve(w http.ResponseWriter, r *http.Request, pdfs map[string][]byte, other bool) {
	s, o := h.Source.URL, h.Other.URL
	const modified = "2026-11-01T12:00:00+01:00"
	obj := func(typ string, fields map[string]any) map[string]any {
		fields["type"] = schema + typ
		fields["created"], fields["modified"] = modified, modified
		return fields
	}
	list := func(next string, data ...any) map[string]any {
		links := map[string]any{}
		if next != "" {
			links["next"] = next
		}
		return map[string]any{"data": data, "links": links, "pagination": map[string]any{}}
	}
	file := func(id, download, access string) map[string]any {
		f := obj("File", map[string]any{"id": id, "name": "Anlage", "fileName": "anlage.pdf", "mimeType": "application/pdf", "downloadUrl": download})
		if access != "" {
			f["accessUrl"] = access
		}
		return f
	}
	var answer any
	switch p := r.URL.Path; {
	case !other && p == "/oparl/system":
		answer = obj("System", map[string]any{"id": s + p, "oparlVersion": schema, "name": "Testsystem", "body": s + "/oparl/bodies"})
	case !other && p == "/oparl/bodies":
		answer = list("", obj("Body", map[string]any{"id": s + "/oparl/body/1", "system": s + "/oparl/system", "name": "Teststadt",
			"meeting": s + "/oparl/body/1/meetings", "paper": s + "/oparl/body/1/papers"}))
	case !other && p == "/oparl/body/1/meetings":
		answer = list(o+"/oparl/body/1/meetings?page=2", obj("Meeting", map[string]any{
			"id": s + "/oparl/meeting/1", "name": "Sitzung des Gemeinderats", "start": "2026-11-03T17:00:00+01:00",
			"organization":  []any{o + "/oparl/organization/1"},
			"agendaItem":    []any{s + "/oparl/agendaitem/1"},
			"invitation":    []any{file(s+"/oparl/file/3", s+"/files/3.pdf", "")},
			"auxiliaryFile": []any{o + "/oparl/file/1", file(s+"/oparl/file/2", o+"/files/2.pdf", s+"/files/2.pdf")},
		}))
	case other && p == "/oparl/body/1/meetings":
		answer = list("", obj("Meeting", map[string]any{"id": o + "/oparl/meeting/2", "name": "Sitzung des Bauausschusses",
			"start": "2026-11-10T17:00:00+01:00"}))
	case !other && p == "/oparl/agendaitem/1", !other && p == "/files/3.pdf":
		http.Redirect(w, r, o+p, http.StatusFound)
		return
	case !other && p == "/oparl/body/1/papers":
		http.Redirect(w, r, "/oparl/papers", http.StatusMovedPermanently)
		return
	case !other && p == "/oparl/papers":
		answer = list("", obj("Paper", map[string]any{"id": s + "/oparl/paper/1", "name": "Neubau der Grundschule", "reference": "2026/0001",
			"mainFile": []any{file(s+"/oparl/file/4", s+"/files/4.pdf", "")}}))
	case other && p == "/oparl/organization/1":
		answer = obj("Organization", map[string]any{"id": o + p, "name": "Hauptausschuss", "classification": "Ausschuss"})
	case other && p == "/oparl/agendaitem/1":
		answer = obj("AgendaItem", map[string]any{"id": s + p, "meeting": s + "/oparl/meeting/1", "number": "Ö 1", "order": 1,
			"name": "Bericht der Verwaltung", "public": true})
	case other && p == "/oparl/file/1":
		answer = file(o+p, o+"/files/1.pdf", "")
	case other && (p == "/files/1.pdf" || p == "/files/3.pdf"), !other && (p == "/files/2.pdf" || p == "/files/4.pdf"):
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(pdfs[p])
		return
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(answer)
}
