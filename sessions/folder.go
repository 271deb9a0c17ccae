package sessions

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// Folder is a meeting as one viewer may see it — the session folder
// (Sitzungsmappe): its agenda, the papers consulted on it and the
// documents at their current versions. Every piece went through the rule
// (package access) on facts loaded for the whole set of folders at once,
// so FindFolders costs a fixed number of queries however many meetings,
// items and attachments it reads.
type Folder struct {
	Meeting *Meeting
	// Agenda is the agenda in order: items Full or reduced to a Stub
	// (FindAgenda); items the viewer may not see are left out.
	Agenda []*FolderItem
	// Documents are the meeting's own attachments the viewer may see.
	Documents []*FolderDocument
	// Minutes are the minutes the viewer may see.
	Minutes []*FolderMinutes
}

// FolderItem is an agenda item of a folder. Papers, Consultations and
// Documents are empty for a Stub.
type FolderItem struct {
	*AgendaItem
	// Papers are the papers consulted on the item the viewer may see, by
	// reference (FindPapersOfItem).
	Papers []*Paper
	// Consultations are the consultations of the item whose paper the
	// viewer may see, oldest first (those FindConsultations lists).
	Consultations []*Consultation
	// Documents are the item's attachments the viewer may see.
	Documents []*FolderDocument
}

// FolderDocument is an attachment the viewer may see with its document's
// current version (the newest active one), which the viewer may read;
// Version is nil if the document has none (every version withdrawn).
type FolderDocument struct {
	Attachment *Attachment
	// Title is the attachment's title, or else the document's.
	Title   string
	Version *documents.Version
}

// FolderMinutes are minutes the viewer may see, with their document's
// title and current version (nil if none).
type FolderMinutes struct {
	Minutes *Minutes
	Title   string
	Version *documents.Version
}

// FindFolder returns the folder of meeting id as v may see it, or
// ENOTFOUND if v may not see the meeting (as for a missing one). Like
// FindMeetingByID, FindFolders' first query has the rule's condition, so
// that a refused id costs the one indexed lookup a missing one costs and
// answers by the same path.
func (s *Store) FindFolder(ctx context.Context, v access.Viewer, id int64) (*Folder, error) {
	fs, err := s.FindFolders(ctx, v, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, notFound("Sitzung")
	}
	return fs[0], nil
}

// inItemsOf is the condition "IN the agenda items of the meetings of an
// id list" (one parameter, the list) on a column that names an item.
// PostgreSQL gets the items as an array first (an InitPlan) and reads
// the column's index for them: with the items' IN, estimated at a hundred
// rows, its generic plan merged the items with the whole of
// attachments_item in item order.
func (s *Store) inItemsOf() string {
	if s.dialect == sqldb.Postgres {
		return ` = ANY(ARRAY(SELECT id FROM agenda_items WHERE meeting_id` + inIDs + `))`
	}
	return ` IN (SELECT id FROM agenda_items WHERE meeting_id` + inIDs + `)`
}

// FindFolders returns the folders of the meetings ids that v may see, in
// the order of ids; meetings v may not see, and ids that do not exist,
// are left out. It reads a fixed number of queries.
func (s *Store) FindFolders(ctx context.Context, v access.Viewer, ids []int64) ([]*Folder, error) {
	now := s.now()
	vis, args := meetingVisible(v, now)
	ms, err := queryAll(ctx, s.db, scanMeeting, `SELECT `+meetingColumns+` FROM meetings WHERE id`+inIDs+vis, append([]any{idList(ids)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("find folders: %w", err)
	}
	byID := map[int64]*Folder{}
	var mids []int64
	for _, m := range ms {
		if access.MeetingAccess(v, m.Facts(), now) != access.None {
			byID[m.ID] = &Folder{Meeting: m}
			mids = append(mids, m.ID)
		}
	}
	if len(mids) == 0 {
		return nil, nil
	}
	// The meetings' items (with their exclusions), every consultation of
	// the papers on them (each with its paper), and their attachments
	// and minutes (with their documents' current versions) name the
	// items by their meetings, so that the three statements need nothing
	// of each other and travel in one round trip on PostgreSQL
	// (sqldb.Batch). They run only for meetings that passed the rule, as
	// the single statements did.
	//
	// Of the consultations, those on the items are the folders', and all
	// of them are the papers' facts. rank is the paper's place in the
	// order (reference, id), in the database's collation, as the papers
	// were read apart before. Of the attachments and minutes only those
	// of the links the viewer may see are used below.
	type consultationPaper struct {
		c    *Consultation
		p    *Paper
		rank int64
	}
	var items []*AgendaItem
	var all []consultationPaper
	var l links
	list := idList(mids)
	err = sqldb.Batch(ctx, s.db,
		itemsQuery(&items, "meeting_id"+inIDs, list),
		sqldb.Query{SQL: `SELECT c.id, c.paper_id, c.agenda_item_id, c.role, c.authoritative, c.created,
			p.id, p.body_id, p.reference, p.name, p.paper_type, p.date, p.originator, p.published_at, p.created, p.modified,
			DENSE_RANK() OVER (ORDER BY p.reference, p.id)
		FROM consultations c JOIN papers p ON p.id = c.paper_id
		WHERE c.paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id` + s.inItemsOf() + `) ORDER BY c.id`, Args: []any{list}, Read: func(rows sqldb.Rows) error {
			for rows.Next() {
				cp := consultationPaper{c: &Consultation{}, p: &Paper{}}
				cd, cfinish := consultationDest(cp.c)
				pd, pfinish := paperDest(cp.p)
				if err := rows.Scan(append(append(cd, pd...), &cp.rank)...); err != nil {
					return fmt.Errorf("consultations: %w", err)
				}
				cfinish()
				pfinish()
				all = append(all, cp)
			}
			return nil
		}},
		linksQuery(&l, true, `id IN (SELECT id FROM attachments WHERE meeting_id`+inIDs+`
			UNION ALL SELECT id FROM attachments WHERE agenda_item_id`+s.inItemsOf()+`)`,
			"meeting_id"+inIDs, list, list, list))
	if err != nil {
		return nil, fmt.Errorf("find folders: %w", err)
	}
	itemIDs := make([]int64, 0, len(items))
	for _, it := range items {
		itemIDs = append(itemIDs, it.ID)
	}
	mine := make(map[int64]bool, len(itemIDs))
	for _, id := range itemIDs {
		mine[id] = true
	}
	var cons []*Consultation
	var paperIDs []int64
	var papers []*Paper
	paperRank := map[int64]int64{}
	paperItems := map[int64][]int64{}
	for _, cp := range all {
		c := cp.c
		paperItems[c.PaperID] = append(paperItems[c.PaperID], c.AgendaItemID)
		if mine[c.AgendaItemID] {
			cons = append(cons, c)
			paperIDs = append(paperIDs, c.PaperID)
			if _, ok := paperRank[cp.p.ID]; !ok {
				paperRank[cp.p.ID] = cp.rank
				papers = append(papers, cp.p)
			}
		}
	}
	slices.SortFunc(papers, func(a, b *Paper) int { return cmp.Compare(paperRank[a.ID], paperRank[b.ID]) })
	knownPapers := make(map[int64]*paperRow, len(papers))
	for _, p := range papers {
		knownPapers[p.ID] = paperRowOf(p, paperItems[p.ID])
	}
	atts, mins := l.attachments, l.minutes
	// The folders' meetings and items are the graph's too: not read
	// again. Every item of the meetings mids is among them, so their
	// exclusions are known too.
	k := known{papers: knownPapers, items: make(map[int64]*AgendaItem, len(items)), meetings: make(map[int64]*Meeting, len(ms)),
		whole: make(map[int64]bool, len(mids))}
	for _, id := range mids {
		k.whole[id] = true
	}
	for _, it := range items {
		k.items[it.ID] = it
	}
	for _, m := range ms {
		k.meetings[m.ID] = m
	}
	g, err := s.loadGraphWith(ctx, k, mids, itemIDs, paperIDs)
	if err != nil {
		return nil, err
	}

	// The rule, on the loaded facts.
	paperSeen := map[int64]bool{}
	for _, p := range papers {
		pf, ok := g.paperFacts(p.ID)
		paperSeen[p.ID] = ok && access.PaperAccess(v, pf, now) != access.None
	}
	var seenAtts []*Attachment
	for _, a := range atts {
		if g.attachment(v, a, now) == access.Full {
			seenAtts = append(seenAtts, a)
		}
	}
	var seenMins []*Minutes
	for _, mi := range mins {
		if g.minutes(v, mi, now) == access.Full {
			seenMins = append(seenMins, mi)
		}
	}
	versions, titles := l.current.versions, l.current.titles

	folderItems := map[int64]*FolderItem{}
	for _, it := range items {
		f := byID[it.MeetingID]
		switch access.ItemAccess(v, it.Facts(f.Meeting.Facts()), now) {
		case access.Full:
			it.Access = access.Full
			fi := &FolderItem{AgendaItem: it}
			folderItems[it.ID] = fi
			f.Agenda = append(f.Agenda, fi)
		case access.Stub:
			f.Agenda = append(f.Agenda, &FolderItem{AgendaItem: it.stub()})
		}
	}
	for _, p := range papers {
		if !paperSeen[p.ID] {
			continue
		}
		for _, c := range cons {
			if fi := folderItems[c.AgendaItemID]; fi != nil && c.PaperID == p.ID {
				fi.Papers = append(fi.Papers, p)
			}
		}
	}
	for _, c := range cons {
		fi := folderItems[c.AgendaItemID]
		if fi == nil || !paperSeen[c.PaperID] {
			continue
		}
		if itf, ok := g.itemFacts(c.AgendaItemID); ok && access.ItemAccess(v, itf, now) == access.Full {
			fi.Consultations = append(fi.Consultations, c)
		}
	}
	for _, a := range seenAtts {
		d := &FolderDocument{Attachment: a, Title: a.Title, Version: versions[a.DocumentID]}
		if d.Title == "" {
			d.Title = titles[a.DocumentID]
		}
		if fi := folderItems[a.AgendaItemID]; a.AgendaItemID != 0 && fi != nil {
			fi.Documents = append(fi.Documents, d)
		} else if f := byID[a.MeetingID]; a.MeetingID != 0 && f != nil {
			f.Documents = append(f.Documents, d)
		}
	}
	for _, mi := range seenMins {
		if f := byID[mi.MeetingID]; f != nil {
			f.Minutes = append(f.Minutes, &FolderMinutes{Minutes: mi, Title: titles[mi.DocumentID], Version: versions[mi.DocumentID]})
		}
	}
	out := make([]*Folder, 0, len(byID))
	for _, id := range ids {
		if f := byID[id]; f != nil {
			out = append(out, f)
			delete(byID, id) // an id given twice gives its folder once
		}
	}
	return out, nil
}

// folderDocuments describes the attachments as, which the viewer may
// see, with their documents' current versions and titles (as readLinks
// read them with the attachments), in order.
func folderDocuments(as []*Attachment, cur currentDocs) []*FolderDocument {
	out := make([]*FolderDocument, len(as))
	for i, a := range as {
		out[i] = &FolderDocument{Attachment: a, Title: a.Title, Version: cur.versions[a.DocumentID]}
		if out[i].Title == "" {
			out[i].Title = cur.titles[a.DocumentID]
		}
	}
	return out
}

// PaperFolder is a paper as one viewer may see it: its own documents at
// their current versions and its consultations, each with the agenda
// item it is on as that item's meeting folder has it. Read for a set of
// papers at once, like FindFolders.
type PaperFolder struct {
	Paper *Paper
	// Documents are the paper's own attachments the viewer may see.
	Documents []*FolderDocument
	// Consultations are those FindConsultations lists, oldest first.
	Consultations []*PaperConsultation
}

// PaperConsultation is a consultation with its item and meeting.
type PaperConsultation struct {
	*Consultation
	Item    *FolderItem
	Meeting *Meeting
}

// FindPaperFolders returns the folders of the papers ids that v may see,
// in the order of ids; papers v may not see, and ids that do not exist,
// are left out. It reads a fixed number of queries (those of FindFolders
// for the meetings the papers are consulted in, and a few more).
func (s *Store) FindPaperFolders(ctx context.Context, v access.Viewer, ids []int64) ([]*PaperFolder, error) {
	papers, err := s.FindPapers(ctx, v, PaperFilter{IDs: ids})
	if err != nil {
		return nil, err
	}
	byID := map[int64]*PaperFolder{}
	var pids []int64
	for _, p := range papers {
		byID[p.ID] = &PaperFolder{Paper: p}
		pids = append(pids, p.ID)
	}
	if len(pids) == 0 {
		return nil, nil
	}
	mids, err := queryAll(ctx, s.db, scanID, `SELECT DISTINCT i.meeting_id FROM consultations c
		JOIN agenda_items i ON i.id = c.agenda_item_id WHERE c.paper_id`+inIDs, idList(pids))
	if err != nil {
		return nil, fmt.Errorf("find paper folders: %w", err)
	}
	folders, err := s.FindFolders(ctx, v, mids)
	if err != nil {
		return nil, err
	}
	var cons []*PaperConsultation
	for _, f := range folders {
		for _, fi := range f.Agenda {
			for _, c := range fi.Consultations {
				if byID[c.PaperID] != nil {
					cons = append(cons, &PaperConsultation{Consultation: c, Item: fi, Meeting: f.Meeting})
				}
			}
		}
	}
	slices.SortFunc(cons, func(a, b *PaperConsultation) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range cons {
		pf := byID[c.PaperID]
		pf.Consultations = append(pf.Consultations, c)
	}
	l, err := s.readLinks(ctx, true, "paper_id"+inIDs, noMinutes, idList(pids))
	if err != nil {
		return nil, err
	}
	seen, err := s.visibleAttachments(ctx, v, l.attachments)
	if err != nil {
		return nil, err
	}
	for _, d := range folderDocuments(seen, l.current) {
		byID[d.Attachment.PaperID].Documents = append(byID[d.Attachment.PaperID].Documents, d)
	}
	out := make([]*PaperFolder, 0, len(byID))
	for _, id := range ids {
		if pf := byID[id]; pf != nil {
			out = append(out, pf)
			delete(byID, id)
		}
	}
	return out, nil
}

// FindPaperFolder returns paper id as v may see it, for the paper's page:
// its own documents, and its consultations (those FindConsultations
// lists, oldest first) each with its meeting and its item, whose
// Documents are the item's attachments v may see (its Papers and
// Consultations are not read). A paper v may not see is ENOTFOUND, like
// a missing one, and one that could not be visible to v at all is
// refused by the single query that finds a missing id missing
// (candidatePaperConsultations). Every piece is decided on facts read once for the
// whole page, in a fixed number of queries however many consultations
// and attachments the paper has.
func (s *Store) FindPaperFolder(ctx context.Context, v access.Viewer, id int64) (*PaperFolder, error) {
	p, all, itemIDs, err := s.candidatePaperConsultations(ctx, v, id)
	if err != nil {
		return nil, err
	}
	// The paper's facts name all its consultations' items, so this is the
	// graph that deciding the paper alone reads; the paper and its
	// consultations, read above, are not read again.
	k := known{papers: map[int64]*paperRow{id: paperRowOf(p, itemIDs)}}
	g, err := s.loadGraphWith(ctx, k, nil, nil, []int64{id})
	if err != nil {
		return nil, err
	}
	now := s.now()
	if pf, ok := g.paperFacts(id); !ok || access.PaperAccess(v, pf, now) == access.None {
		return nil, notFound("Vorlage")
	}
	pf := &PaperFolder{Paper: p}
	items := map[int64]*FolderItem{}
	var fullItems []int64
	for _, c := range all {
		itf, ok := g.itemFacts(c.AgendaItemID)
		if !ok || access.ItemAccess(v, itf, now) != access.Full {
			continue
		}
		fi := items[c.AgendaItemID]
		if fi == nil {
			it := g.items[c.AgendaItemID]
			it.Access = access.Full
			fi = &FolderItem{AgendaItem: it}
			items[it.ID] = fi
			fullItems = append(fullItems, it.ID)
		}
		pf.Consultations = append(pf.Consultations, &PaperConsultation{Consultation: c, Item: fi, Meeting: g.meetings[fi.MeetingID]})
	}
	// The attachments with their documents' current versions, in one
	// statement; only those of the attachments v may see are used.
	l, err := s.readLinks(ctx, true, idInAny("attachments", "paper_id", "agenda_item_id"), noMinutes, idList([]int64{id}), idList(fullItems))
	if err != nil {
		return nil, err
	}
	var seen []*Attachment
	for _, a := range l.attachments {
		if g.attachment(v, a, now) == access.Full {
			seen = append(seen, a)
		}
	}
	for _, d := range folderDocuments(seen, l.current) {
		a := d.Attachment
		if a.PaperID == id {
			pf.Documents = append(pf.Documents, d)
		}
		if fi := items[a.AgendaItemID]; a.AgendaItemID != 0 && fi != nil {
			fi.Documents = append(fi.Documents, d)
		}
	}
	return pf, nil
}
