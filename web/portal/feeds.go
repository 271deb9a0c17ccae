package portal

import (
	"context"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/ical"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Feeds for citizens: iCalendar (RFC 5545) of meetings, Atom (RFC 4287)
// of new and changed public documents, and a sitemap. All of them are
// built for the anonymous viewer, through the same policy as the pages.

func (s *Handler) bodyName(ctx context.Context) string {
	if bs, err := s.cfg.Sessions.FindBodies(ctx); err == nil && len(bs) > 0 {
		return bs[0].Name
	}
	return "Ratsmappe"
}

// icalEscape escapes a TEXT value (RFC 5545, 3.3.11).
func icalEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// icalFold writes one content line, folded so that no physical line has
// more than 75 octets (a continuation's leading space counts), without
// splitting a UTF-8 sequence, ended by CRLF.
func icalFold(b *strings.Builder, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && line[cut]&0xC0 == 0x80 {
			cut--
		}
		if cut == 0 {
			// Only continuation bytes (not UTF-8): cut anywhere rather
			// than loop for ever.
			cut = limit
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

const icalTime = "20060102T150405Z"

// subscription is how a calendar is offered: Webcal (webcal://, which
// calendar programs subscribe to and keep up to date) and URL (the same
// address in https, to paste into a program that asks for one; opened in
// a browser it downloads the file).
type subscription struct {
	ID  string // the page's id of the address box
	URL string
	// Webcal is marked safe: html/template lets only http(s) and mailto
	// through, and this one is built from the server's own address.
	Webcal template.URL
}

// subscribe returns the subscription of the calendar at path.
func subscribe(r *http.Request, id, path string) subscription {
	u := request.BaseURL(r) + path
	_, rest, _ := strings.Cut(u, "://")
	return subscription{ID: id, Webcal: template.URL("webcal://" + rest), URL: u}
}

// Calendar serves the public meetings — of one organization with
// ?organization=ID or at /organizations/{id}/calendar.ics — as iCalendar.
// UIDs are stable; SEQUENCE and LAST-MODIFIED change with every change of
// a meeting, so calendar programs update their copy.
func (s *Handler) Calendar(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := sessions.MeetingFilter{From: time.Now().AddDate(-1, 0, 0)}
	name := s.bodyName(ctx)
	if id, ok := request.IDParam(r, "id"); ok {
		o, err := s.cfg.Sessions.FindOrganizationByID(ctx, id)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		f.OrganizationID, name = id, name+" – "+o.Name
	}
	ms, err := s.cfg.Sessions.FindMeetings(ctx, access.Viewer{}, f)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	// The organizations' names in one query, not one per meeting.
	sums, err := s.folder.MeetingSummaries(ctx, ms)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	base := request.BaseURL(r)
	var b strings.Builder
	for _, l := range []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ratsmappe//Sitzungskalender//DE", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
		"X-WR-CALNAME:" + ical.Escape(name), "X-WR-TIMEZONE:Europe/Berlin"} {
		ical.Fold(&b, l)
	}
	for i, m := range ms {
		end := m.End
		if end.IsZero() {
			end = m.Start.Add(3 * time.Hour)
		}
		status := "CONFIRMED"
		if m.State == sessions.MeetingCancelled {
			status = "CANCELLED"
		}
		org := sums[i].Organization
		for _, l := range []string{
			"BEGIN:VEVENT",
			fmt.Sprintf("UID:meeting-%d@%s", m.ID, request.BaseHost(r)),
			"DTSTAMP:" + m.Modified.UTC().Format(ical.Time),
			"LAST-MODIFIED:" + m.Modified.UTC().Format(ical.Time),
			fmt.Sprintf("SEQUENCE:%d", m.Modified.Unix()-m.Created.Unix()),
			"DTSTART:" + m.Start.UTC().Format(ical.Time),
			"DTEND:" + end.UTC().Format(ical.Time),
			"SUMMARY:" + ical.Escape(m.Name),
			"LOCATION:" + ical.Escape(m.Location),
			"DESCRIPTION:" + ical.Escape(org+"\n"+base+fmt.Sprintf("/meetings/%d", m.ID)),
			fmt.Sprintf("URL:%s/meetings/%d", base, m.ID),
			"STATUS:" + status,
			"END:VEVENT",
		} {
			ical.Fold(&b, l)
		}
	}
	ical.Fold(&b, "END:VCALENDAR")
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "public, no-cache")
	w.Write([]byte(b.String()))
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title   string     `xml:"title"`
	ID      string     `xml:"id"`
	Updated string     `xml:"updated"`
	Links   []atomLink `xml:"link"`
	Summary string     `xml:"summary"`
}

// DocumentsFeed serves an Atom feed of the public documents of the
// last months' meetings — of one organization at
// /organizations/{id}/documents.atom — newest first, late ones marked.
func (s *Handler) DocumentsFeed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := sessions.ItemDocumentFilter{From: time.Now().AddDate(0, -6, 0)}
	title := s.bodyName(ctx) + " – Neue Dokumente"
	self := "/feeds/documents.atom"
	if id, ok := request.IDParam(r, "id"); ok {
		o, err := s.cfg.Sessions.FindOrganizationByID(ctx, id)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		f.OrganizationID, title = id, title+" – "+o.Name
		self = fmt.Sprintf("/organizations/%d/documents.atom", id)
	}
	entries, err := s.feedEntries(ctx, r, f)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	base := request.BaseURL(r)
	feed := atomFeed{Title: title, ID: base + self, Author: atomAuthor{s.bodyName(ctx)},
		Links: []atomLink{{Href: base + self, Rel: "self", Type: "application/atom+xml"}, {Href: base + "/meetings", Rel: "alternate", Type: "text/html"}}}
	feed.Updated = time.Unix(0, 0).UTC().Format(time.RFC3339)
	if len(entries) > 0 {
		feed.Updated = entries[0].Updated
	}
	feed.Entries = entries
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, no-cache")
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	enc.Encode(feed)
}

// feedSize is how many entries the documents' feed lists.
const feedSize = 100

// feedEntries returns the documents feed's entries: the feedSize newest
// documents (by their current versions) a citizen may see on the agenda
// items of the meetings f selects, newest first. The candidates are
// walked in SQL (sessions.NewestItemDocuments), and only their meetings'
// folders are read, which decide: a citizen's candidates are what the
// rule allows, so one walk usually suffices; if the folders refuse some,
// the walk is asked again for twice as many.
func (s *Handler) feedEntries(ctx context.Context, r *http.Request, f sessions.ItemDocumentFilter) ([]atomEntry, error) {
	anon := access.Viewer{}
	base := request.BaseURL(r)
	type shown struct{ item, doc int64 }
	var entries []atomEntry
	for n := feedSize; ; n *= 2 {
		cands, err := s.cfg.Sessions.NewestItemDocuments(ctx, anon, f, n)
		if err != nil {
			return nil, err
		}
		var mids []int64
		seen := map[int64]bool{}
		for _, c := range cands {
			if !seen[c.MeetingID] {
				seen[c.MeetingID] = true
				mids = append(mids, c.MeetingID)
			}
		}
		mvs, err := s.folder.MeetingDetails(ctx, anon, mids)
		if err != nil {
			return nil, err
		}
		// The folders' entries by item and document, in the folders'
		// order (a document attached twice to an item is there twice).
		folder := map[shown][]atomEntry{}
		for _, mv := range mvs {
			for _, it := range mv.Agenda {
				ref := ""
				if len(it.Papers) > 0 {
					ref = it.Papers[0].Reference + " "
				}
				for _, d := range it.Documents {
					t := ref + d.Title
					if strings.HasPrefix(d.Title, ref) {
						t = d.Title
					}
					if d.Late != nil {
						t += " (Nachtrag)"
					}
					if d.Version > 1 {
						t += fmt.Sprintf(" – Version %d", d.Version)
					}
					summary := fmt.Sprintf("%s, %s: %s %s", mv.Organization, mv.Start.In(render.Berlin).Format("02.01.2006"), it.Number, it.Title)
					k := shown{it.ID, d.ID}
					folder[k] = append(folder[k], atomEntry{
						Title: t,
						ID:    fmt.Sprintf("tag:%s,2026:document-%d-v%d", request.BaseHost(r), d.ID, d.Version),
						Links: []atomLink{{Href: base + d.URL, Type: "application/pdf"},
							{Href: fmt.Sprintf("%s/meetings/%d", base, mv.ID), Rel: "related", Type: "text/html"}},
						Summary: summary,
					})
				}
			}
		}
		entries = entries[:0]
		for _, c := range cands {
			k := shown{c.AgendaItemID, c.DocumentID}
			if es := folder[k]; len(es) > 0 && len(entries) < feedSize {
				e := es[0]
				e.Updated = c.Created.UTC().Format(time.RFC3339)
				entries = append(entries, e)
				folder[k] = es[1:]
			}
		}
		if len(entries) == feedSize || len(cands) < n {
			return entries, nil
		}
	}
}

// The sitemap for search engines (sitemaps.org): /sitemap.xml is an
// index of sitemap files, one of the portal's lists and organizations and
// one per range of sessions.SitemapChunk ids of meetings and of papers,
// so that no file nears the protocol's 50,000 URLs and one file costs one
// range, however many years the archive holds. Only ranges with a public
// object are listed.

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

// sitemapKinds are the sitemap files per object type: the name in the
// URL, the object type, the portal's path of one object.
var sitemapKinds = []struct{ name, typ, path string }{
	{"meetings", access.ObjMeeting, "/meetings/"},
	{"papers", access.ObjPaper, "/papers/"},
}

// Sitemap is the sitemap index.
func (s *Handler) Sitemap(w http.ResponseWriter, r *http.Request) {
	type sitemap struct {
		Loc string `xml:"loc"`
	}
	type index struct {
		XMLName  xml.Name  `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
		Sitemaps []sitemap `xml:"sitemap"`
	}
	base := request.BaseURL(r)
	idx := index{Sitemaps: []sitemap{{Loc: base + "/sitemaps/pages.xml"}}}
	for _, k := range sitemapKinds {
		chunks, err := s.cfg.Sessions.FindSitemapChunks(r.Context(), k.typ)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		for _, c := range chunks {
			idx.Sitemaps = append(idx.Sitemaps, sitemap{Loc: fmt.Sprintf("%s/sitemaps/%s-%d.xml", base, k.name, c)})
		}
	}
	writeXML(w, idx)
}

// SitemapFile is one file of the sitemap index: pages.xml (the lists and
// the organizations), or meetings-N.xml or papers-N.xml (the public
// objects of chunk N). A file the index would not list is missing.
func (s *Handler) SitemapFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	base := request.BaseURL(r)
	name := strings.TrimSuffix(chi.URLParam(r, "file"), ".xml")
	if name == "pages" {
		orgs, err := s.cfg.Sessions.FindOrganizations(ctx, sessions.OrganizationFilter{})
		if err != nil {
			render.Error(w, r, err)
			return
		}
		set := sitemapURLSet{URLs: []sitemapURL{{Loc: base + "/"}, {Loc: base + "/meetings"}, {Loc: base + "/organizations"}}}
		for _, o := range orgs {
			set.URLs = append(set.URLs, sitemapURL{Loc: fmt.Sprintf("%s/organizations/%d", base, o.ID), LastMod: sitemapDate(o.Modified)})
		}
		writeXML(w, set)
		return
	}
	for _, k := range sitemapKinds {
		n, ok := strings.CutPrefix(name, k.name+"-")
		if !ok {
			continue
		}
		c, err := strconv.ParseInt(n, 10, 64)
		if err != nil || c < 0 || strconv.FormatInt(c, 10) != n {
			break
		}
		es, err := s.cfg.Sessions.FindSitemapChunk(ctx, k.typ, c)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		if len(es) == 0 {
			break
		}
		set := sitemapURLSet{URLs: make([]sitemapURL, 0, len(es))}
		for _, e := range es {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + k.path + strconv.FormatInt(e.ID, 10), LastMod: sitemapDate(e.Modified)})
		}
		writeXML(w, set)
		return
	}
	render.Error(w, r, render.NotFound)
}

// sitemapDate is a sitemap's lastmod (W3C Datetime, the date), or
// nothing for an unknown time.
func sitemapDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(v)
}

// Robots is /robots.txt: search engines may read the public pages and
// are told where the sitemap is; the office, the reader, sign-in, the
// alert links and search result pages (endless and expensive) are not
// for them.
func (s *Handler) Robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "User-agent: *\nDisallow: /office\nDisallow: /reader\nDisallow: /login\nDisallow: /alerts/\nDisallow: /search\nDisallow: /api/\n\nSitemap: %s/sitemap.xml\n", request.BaseURL(r))
}
