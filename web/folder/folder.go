// Package folder is the read model the surfaces of web share: a meeting
// with its agenda, papers and documents at their current versions, as a
// viewer may see them (every piece through the access rule), pages of
// meetings, the links to documents, and the audit of what a signed-in
// viewer read or changed.
//
// The meeting read model moves into sessions (issue 12, point 8); until
// then it lives here, so that the portal, the office and the reader read
// one copy of it.
package folder

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Config is what the read model reads and where it logs.
type Config struct {
	Sessions  *sessions.Store
	Documents *documents.Service
	Log       *slog.Logger
}

// Folder reads meetings and documents as a viewer may see them.
type Folder struct {
	cfg Config
	log *slog.Logger
}

// Logger is c.Log, or slog's default.
func (c Config) Logger() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

// New returns a Folder reading from cfg's stores.
func New(cfg Config) *Folder { return &Folder{cfg: cfg, log: cfg.Logger()} }

// AgendaEntry is an agenda item with what the viewer may see of it.
type AgendaEntry struct {
	Item      *sessions.AgendaItem `json:"-"`
	ID        int64                `json:"id"`
	Number    string               `json:"number"`
	Title     string               `json:"title"`
	Public    bool                 `json:"public"`
	Stub      bool                 `json:"stub,omitempty"`
	Late      *time.Time           `json:"late,omitempty"`
	Result    string               `json:"result,omitempty"`
	Documents []DocumentEntry      `json:"documents"`
	Papers    []*PaperEntry        `json:"papers,omitempty"`
}

// PaperEntry is a paper on an agenda item.
type PaperEntry struct {
	ID        int64  `json:"id"`
	Reference string `json:"reference"`
	Name      string `json:"name"`
	Type      string `json:"type"`
}

// DocumentEntry is an attached document at its current version.
type DocumentEntry struct {
	ID      int64      `json:"id"`
	Title   string     `json:"title"`
	Role    string     `json:"role"`
	Public  bool       `json:"public"`
	Late    *time.Time `json:"late,omitempty"`
	Version int        `json:"version"`
	Pages   int        `json:"pages"`
	URL     string     `json:"url"`
	sha256  string
	size    int64
}

// MeetingView is a meeting as a viewer may see it; lists fill only its
// summary, MeetingDetail its agenda, documents and minutes too.
type MeetingView struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Organization string          `json:"organization"`
	Start        time.Time       `json:"start"`
	End          *time.Time      `json:"end,omitempty"`
	Location     string          `json:"location"`
	State        string          `json:"state"`
	Published    *time.Time      `json:"published,omitempty"`
	Agenda       []AgendaEntry   `json:"agenda,omitempty"`
	Documents    []DocumentEntry `json:"documents,omitempty"`
	Minutes      []DocumentEntry `json:"minutes,omitempty"`
	PacketURL    string          `json:"packet_url,omitempty"`
}

// Tptr is &t, or nil for the zero time (omitted from JSON).
func Tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// OrgName is the name of organization id, "" if there is none.
func (s *Folder) OrgName(ctx context.Context, id int64) string {
	if o, err := s.cfg.Sessions.FindOrganizationByID(ctx, id); err == nil {
		return o.Name
	}
	return ""
}

// meetingOrg is the name of m's organization: as the store read it with
// m, or else read now.
func (s *Folder) meetingOrg(ctx context.Context, m *sessions.Meeting) string {
	if m.OrganizationName != "" {
		return m.OrganizationName
	}
	return s.OrgName(ctx, m.OrganizationID)
}

// MeetingSummary describes one meeting; lists use MeetingSummaries, which
// reads the organizations of a whole page at once.
func (s *Folder) MeetingSummary(ctx context.Context, m *sessions.Meeting) MeetingView {
	return summary(m, s.meetingOrg(ctx, m))
}

func summary(m *sessions.Meeting, org string) MeetingView { return summaryWith(m, org, Tptr) }

// summaryWith is summary with the times' pointers made by tptr (a nil
// for the zero time, as Tptr).
func summaryWith(m *sessions.Meeting, org string, tptr func(time.Time) *time.Time) MeetingView {
	return MeetingView{ID: m.ID, Name: m.Name, Organization: org, Start: m.Start, End: tptr(m.End),
		Location: m.Location, State: m.State, Published: tptr(m.PublishedAt)}
}

// Document describes one attached document at its current version, if the
// viewer may see it.
func (s *Folder) Document(ctx context.Context, v access.Viewer, a *sessions.Attachment) (DocumentEntry, bool) {
	ver, err := s.cfg.Documents.Store().FindVersion(ctx, a.DocumentID, 0)
	if err != nil {
		return DocumentEntry{}, false
	}
	title := a.Title
	if title == "" {
		if d, err := s.cfg.Documents.Store().FindDocumentByID(ctx, a.DocumentID); err == nil {
			title = d.Title
		}
	}
	return DocumentEntry{ID: a.DocumentID, Title: title, Role: a.Role, Public: a.Public, Late: Tptr(a.LateAt), Version: ver.Number,
		Pages: ver.Pages, URL: DocumentURL(v, a.DocumentID, ver), sha256: ver.SHA256, size: ver.Size}, true
}

// PaperView is a paper as a viewer may see it, for its page.
type PaperView struct {
	Paper *sessions.Paper
	// Consultations are the consultations on items the viewer sees in
	// full, oldest first.
	Consultations []ConsultationEntry
	// Documents are the paper's own documents, then those of the items
	// it is consulted on, each document once, at their current versions.
	Documents []DocumentEntry
}

// ConsultationEntry is a consultation of a paper: its meeting and item.
type ConsultationEntry struct {
	Meeting MeetingView
	Item    *sessions.AgendaItem
}

// PaperDetail gathers paper id as v may see it, in the fixed number of
// queries of sessions' FindPaperFolder and one for the meetings'
// organizations; ENOTFOUND if v may not see the paper.
func (s *Folder) PaperDetail(ctx context.Context, v access.Viewer, id int64) (*PaperView, error) {
	pf, err := s.cfg.Sessions.FindPaperFolder(ctx, v, id)
	if err != nil {
		return nil, err
	}
	ms := make([]*sessions.Meeting, len(pf.Consultations))
	for i, c := range pf.Consultations {
		ms[i] = c.Meeting
	}
	views, err := s.MeetingSummaries(ctx, ms)
	if err != nil {
		return nil, err
	}
	pv := &PaperView{Paper: pf.Paper}
	docs := folderDocuments(v, pf.Documents)
	for i, c := range pf.Consultations {
		pv.Consultations = append(pv.Consultations, ConsultationEntry{Meeting: views[i], Item: c.Item.AgendaItem})
		docs = append(docs, folderDocuments(v, c.Item.Documents)...)
	}
	seen := map[int64]bool{}
	for _, d := range docs {
		if !seen[d.ID] {
			seen[d.ID] = true
			pv.Documents = append(pv.Documents, d)
		}
	}
	return pv, nil
}

// folderDocument describes one document of a folder at its current
// version (which the folder says the viewer may read); false if it has
// none.
func folderDocument(v access.Viewer, a *sessions.Attachment, title string, ver *documents.Version) (DocumentEntry, bool) {
	if ver == nil {
		return DocumentEntry{}, false
	}
	return DocumentEntry{ID: a.DocumentID, Title: title, Role: a.Role, Public: a.Public, Late: Tptr(a.LateAt), Version: ver.Number,
		Pages: ver.Pages, URL: DocumentURL(v, a.DocumentID, ver), sha256: ver.SHA256, size: ver.Size}, true
}

func folderDocuments(v access.Viewer, ds []*sessions.FolderDocument) []DocumentEntry {
	out := []DocumentEntry{}
	for _, d := range ds {
		if e, ok := folderDocument(v, d.Attachment, d.Title, d.Version); ok {
			out = append(out, e)
		}
	}
	return out
}

// MeetingDetail gathers a meeting as v may see it: agenda, documents,
// minutes — the session folder, which package sessions reads through the
// policy in a fixed number of queries, its organization's name with its
// meeting.
func (s *Folder) MeetingDetail(ctx context.Context, v access.Viewer, id int64) (*MeetingView, error) {
	f, err := s.cfg.Sessions.FindFolder(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return detail(v, f, s.meetingOrg(ctx, f.Meeting)), nil
}

// MeetingDetails gathers the meetings ids as v may see them, as
// MeetingDetail does, in the order of ids; meetings v may not see are
// left out. It reads the fixed number of queries of FindFolders (which
// names the organizations), however many meetings.
func (s *Folder) MeetingDetails(ctx context.Context, v access.Viewer, ids []int64) ([]*MeetingView, error) {
	fs, err := s.cfg.Sessions.FindFolders(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*MeetingView, len(fs))
	for i, f := range fs {
		out[i] = detail(v, f, s.meetingOrg(ctx, f.Meeting))
	}
	return out, nil
}

// detail is folder f as v sees it; org is its organization's name.
func detail(v access.Viewer, f *sessions.Folder, org string) *MeetingView {
	m := f.Meeting
	mv := summary(m, org)
	mv.PacketURL = "/api/v1/meetings/" + strconv.FormatInt(m.ID, 10) + "/packet.pdf"
	if len(f.Agenda) > 0 {
		mv.Agenda = make([]AgendaEntry, 0, len(f.Agenda))
	}
	for _, fi := range f.Agenda {
		it := fi.AgendaItem
		e := AgendaEntry{Item: it, ID: it.ID, Number: it.Number, Title: it.Title, Public: it.Public, Stub: it.Access == access.Stub,
			Late: Tptr(it.LateAt), Documents: []DocumentEntry{}}
		if it.Access == access.Full {
			e.Result = it.Result
			e.Documents = folderDocuments(v, fi.Documents)
			for _, p := range fi.Papers {
				e.Papers = append(e.Papers, &PaperEntry{ID: p.ID, Reference: p.Reference, Name: p.Name, Type: p.Type})
			}
		}
		mv.Agenda = append(mv.Agenda, e)
	}
	mv.Documents = folderDocuments(v, f.Documents)
	for _, mi := range f.Minutes {
		if d, ok := folderDocument(v, &sessions.Attachment{DocumentID: mi.Minutes.DocumentID, Role: "minutes", Public: mi.Minutes.Public}, mi.Title, mi.Version); ok {
			mv.Minutes = append(mv.Minutes, d)
		}
	}
	return &mv
}

// Blob returns the content key and size of the entry's current version,
// for whoever must read its bytes (the packet, the reader's manifest).
func (d DocumentEntry) Blob() (sha256 string, size int64) { return d.sha256, d.size }

// DocumentAccess is v's access to document id for the routes that serve
// one document: a document that could not be visible to v at all
// (sessions.DocumentCandidate) is None after the same one query that
// finds a missing id missing, so that refused and missing cost the same;
// for the rest the rule decides on the links that query read
// (sessions.DocumentCandidateAccesses).
func (s *Folder) DocumentAccess(ctx context.Context, v access.Viewer, id int64) (access.Access, error) {
	accs, err := s.cfg.Sessions.DocumentCandidateAccesses(ctx, v, id)
	if err != nil {
		return access.None, err
	}
	return accs[0], nil
}

// DocumentAccessAndPublic is DocumentAccess together with
// AnonymousAccess, which a page that serves a signed-in viewer asks to
// decide whether the read is audited, from one reading of the document's
// links rather than one each. For an anonymous viewer both are the same.
// public is None whenever acc is.
func (s *Folder) DocumentAccessAndPublic(ctx context.Context, v access.Viewer, id int64) (acc, public access.Access, err error) {
	if !SignedIn(v) {
		acc, err := s.DocumentAccess(ctx, v, id)
		return acc, acc, err
	}
	accs, err := s.cfg.Sessions.DocumentCandidateAccesses(ctx, v, id, access.Viewer{})
	if err != nil {
		return access.None, access.None, err
	}
	return accs[0], accs[1], nil
}

// Audit records in the audit log that the request's viewer did action on
// the object (objType, id); a failure to record is logged, not returned,
// since the change itself has happened.
func (s *Folder) Audit(ctx context.Context, action, objType string, id int64, details string) {
	v := request.Viewer(ctx)
	if err := s.cfg.Sessions.Audit(ctx, sessions.AuditEntry{AccountID: v.AccountID, Actor: v.Name, Action: action, ObjectType: objType, ObjectID: id, Details: details}); err != nil {
		s.log.Error("audit", "err", err)
	}
}

// PublicFileURL is where a citizen reads version v.
func PublicFileURL(v *documents.Version) string { return "/files/" + v.SHA256 + ".pdf" }

// DocumentURL is the link to version v of document docID for viewer:
// the public, content-addressed URL for citizens (who see only what is
// public), the checked per-version URL for everyone else.
func DocumentURL(viewer access.Viewer, docID int64, v *documents.Version) string {
	if viewer.AccountID == 0 && viewer.Role == access.RoleAnonymous {
		return PublicFileURL(v)
	}
	return fmt.Sprintf("/api/v1/documents/%d/versions/%d/file", docID, v.Number)
}
