package oparlimport

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// staff is how the importer reads what it wrote: it writes as the office.
var staff = access.Viewer{Name: "OParl-Import", Role: access.RoleClerk}

// body imports one body and then its lists: organizations, persons and
// legislative terms side by side, then memberships, meetings and papers
// (each needs what the lists before it bring).
func (im *importer) body(ctx context.Context, raw json.RawMessage) error {
	var b oparl.Body
	if err := decodeObj(raw, &b); err != nil {
		im.skip("Körperschaft: %v", err)
		return nil
	}
	if b.Deleted || b.ID == "" {
		return nil
	}
	ext := string(b.ID)
	rec, err := im.known(ctx, "body", ext)
	if err != nil {
		return err
	}
	body := &sessions.Body{Name: first(b.Name, b.ShortName), ShortName: string(b.ShortName), Website: string(b.Website)}
	if body.Name == "" {
		body.Name = lastSegment(ext)
	}
	switch {
	case unchanged(rec, b.Modified):
		body.ID = rec.LocalID
		im.count(im.res.Unchanged, "body")
	case rec != nil:
		body.ID = rec.LocalID
		if err := im.st.UpdateBody(ctx, body); err != nil {
			return err
		}
		im.count(im.res.Updated, "body")
	default:
		if err := im.st.CreateBody(ctx, body); err != nil {
			return err
		}
		im.count(im.res.Created, "body")
	}
	if err := im.save(ctx, "body", ext, body.ID, b.Modified, false); err != nil {
		return err
	}
	bid := body.ID
	name := body.Name

	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		errs[0] = im.walk(ctx, string(b.Organization), true, name+": Gremien", func(ctx context.Context, raw json.RawMessage) error {
			_, err := im.organization(ctx, bid, raw)
			return err
		})
	}()
	go func() {
		defer wg.Done()
		errs[1] = im.walk(ctx, string(b.Person), true, name+": Personen", func(ctx context.Context, raw json.RawMessage) error {
			_, err := im.person(ctx, bid, raw)
			return err
		})
	}()
	go func() {
		defer wg.Done()
		terms := func(ctx context.Context, raw json.RawMessage) error { return im.term(ctx, bid, raw) }
		if b.LegislativeTermList != "" {
			errs[2] = im.walk(ctx, string(b.LegislativeTermList), true, name+": Wahlperioden", terms)
			return
		}
		for _, t := range b.LegislativeTerm {
			raw, ok, err := object(ctx, im, t.Read)
			if err == nil && ok {
				err = im.handle(ctx, raw, terms)
			}
			if err != nil {
				errs[2] = err
				return
			}
		}
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if err := im.walk(ctx, string(b.Membership), true, name+": Mitgliedschaften", func(ctx context.Context, raw json.RawMessage) error {
		_, err := im.membership(ctx, bid, raw, 0)
		return err
	}); err != nil {
		return err
	}
	if err := im.walk(ctx, string(b.Meeting), true, name+": Sitzungen", func(ctx context.Context, raw json.RawMessage) error {
		_, err := im.meeting(ctx, bid, raw)
		return err
	}); err != nil {
		return err
	}
	return im.walk(ctx, string(b.Paper), true, name+": Vorlagen", func(ctx context.Context, raw json.RawMessage) error {
		_, err := im.paper(ctx, bid, raw)
		return err
	})
}

// classify maps OParl's classification and organizationType, free text
// in practice ("Fraktion", "Beschließender Ausschuss", "Gemeinderat"), to
// the store's closed set.
func classify(texts ...oparl.Str) string {
	var all []string
	for _, t := range texts {
		all = append(all, strings.ToLower(string(t)))
	}
	s := strings.Join(all, " ")
	switch {
	case s == "":
		return sessions.ClassOther
	case strings.Contains(s, "fraktion") || strings.Contains(s, "faction") || strings.Contains(s, "partei"):
		return sessions.ClassFaction
	case strings.Contains(s, "bezirk") || strings.Contains(s, "ortschaft") || strings.Contains(s, "ortsbeirat") || strings.Contains(s, "stadtteil") || strings.Contains(s, "district"):
		return sessions.ClassDistrictCouncil
	case strings.Contains(s, "ausschuss") || strings.Contains(s, "ausschuß") || strings.Contains(s, "kommission") || strings.Contains(s, "beirat") || strings.Contains(s, "committee"):
		return sessions.ClassCommittee
	case strings.Contains(s, "council") || strings.Contains(s, "rat") || strings.Contains(s, "kreistag") || strings.Contains(s, "versammlung") || strings.Contains(s, "parlament"):
		return sessions.ClassCouncil
	}
	return sessions.ClassOther
}

func (im *importer) organization(ctx context.Context, bodyID int64, raw json.RawMessage) (int64, error) {
	var o oparl.Organization
	if err := decodeObj(raw, &o); err != nil {
		return 0, err
	}
	ext := string(o.ID)
	if ext == "" {
		return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "Gremium ohne id.")
	}
	defer im.lock("organization " + ext)()
	rec, err := im.known(ctx, "organization", ext)
	if err != nil {
		return 0, err
	}
	if o.Deleted {
		// An organization is master data of meetings already held; it is
		// kept, only recorded as deleted at the source.
		if rec != nil && !rec.Deleted {
			im.count(im.res.Deleted, "organization")
			return rec.LocalID, im.save(ctx, "organization", ext, rec.LocalID, o.Modified, true)
		}
		return 0, nil
	}
	if unchanged(rec, o.Modified) {
		im.count(im.res.Unchanged, "organization")
		return rec.LocalID, nil
	}
	org := &sessions.Organization{BodyID: bodyID, Name: first(o.Name, o.ShortName), ShortName: string(o.ShortName),
		Classification: classify(o.Classification, o.OrganizationType, o.Name)}
	if org.Name == "" {
		org.Name = lastSegment(ext)
	}
	org.StartDate, org.EndDate = period(o.StartDate, o.EndDate)
	if rec != nil {
		org.ID = rec.LocalID
		err = im.st.UpdateOrganization(ctx, org)
		im.count(im.res.Updated, "organization")
	} else if org.ID, err = im.orphanOrganization(ctx, org); err == nil && org.ID != 0 {
		err = im.st.UpdateOrganization(ctx, org)
		im.count(im.res.Created, "organization")
	} else if err == nil {
		err = im.st.CreateOrganization(ctx, org)
		im.count(im.res.Created, "organization")
	}
	if err != nil {
		return 0, err
	}
	return org.ID, im.save(ctx, "organization", ext, org.ID, o.Modified, false)
}

// fallbackOrganization is where meetings go whose organization the
// source does not name or no longer has: the store needs one.
func (im *importer) fallbackOrganization(ctx context.Context, bodyID int64) (int64, error) {
	ext := "ratsmappe:body/" + itoa(bodyID) + "/ohne-gremium"
	defer im.lock("organization " + ext)()
	rec, err := im.known(ctx, "organization", ext)
	if err != nil || rec != nil {
		if rec != nil {
			return rec.LocalID, nil
		}
		return 0, err
	}
	org := &sessions.Organization{BodyID: bodyID, Name: "Ohne Gremium (OParl-Import)", Classification: sessions.ClassOther}
	if err := im.st.CreateOrganization(ctx, org); err != nil {
		return 0, err
	}
	return org.ID, im.save(ctx, "organization", ext, org.ID, "", false)
}

func (im *importer) person(ctx context.Context, bodyID int64, raw json.RawMessage) (int64, error) {
	var p oparl.Person
	if err := decodeObj(raw, &p); err != nil {
		return 0, err
	}
	ext := string(p.ID)
	if ext == "" {
		return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "Person ohne id.")
	}
	unlock := im.lock("person " + ext)
	rec, err := im.known(ctx, "person", ext)
	if err != nil {
		unlock()
		return 0, err
	}
	if p.Deleted {
		unlock()
		if rec != nil && !rec.Deleted {
			im.count(im.res.Deleted, "person")
			return rec.LocalID, im.save(ctx, "person", ext, rec.LocalID, p.Modified, true)
		}
		return 0, nil
	}
	var id int64
	if unchanged(rec, p.Modified) {
		im.count(im.res.Unchanged, "person")
		id = rec.LocalID
	} else {
		per := &sessions.Person{BodyID: bodyID, GivenName: string(p.GivenName), FamilyName: string(p.FamilyName),
			Title: strings.Join(p.Title, " "), FormOfAddress: string(p.FormOfAddress)}
		if per.FamilyName == "" {
			// Only a full name: its last word is the family name.
			name := strings.Fields(string(p.Name))
			switch len(name) {
			case 0:
				per.FamilyName = lastSegment(ext)
			case 1:
				per.FamilyName = name[0]
			default:
				per.FamilyName = name[len(name)-1]
				if per.GivenName == "" {
					per.GivenName = strings.Join(name[:len(name)-1], " ")
				}
			}
		}
		if rec != nil {
			per.ID = rec.LocalID
			err = im.st.UpdatePerson(ctx, per)
			im.count(im.res.Updated, "person")
		} else if per.ID, err = im.orphanPerson(ctx, per); err == nil && per.ID != 0 {
			err = im.st.UpdatePerson(ctx, per)
			im.count(im.res.Created, "person")
		} else if err == nil {
			err = im.st.CreatePerson(ctx, per)
			im.count(im.res.Created, "person")
		}
		if err == nil {
			err = im.save(ctx, "person", ext, per.ID, p.Modified, false)
		}
		if err != nil {
			unlock()
			return 0, err
		}
		id = per.ID
	}
	unlock()
	// Memberships embedded in the person (as OParl has them) or named by
	// URL; the person is known now.
	for _, m := range p.Membership {
		mraw, ok, err := object(ctx, im, m.Read)
		if err != nil {
			return id, err
		}
		if !ok {
			continue
		}
		if err := im.handle(ctx, mraw, func(ctx context.Context, raw json.RawMessage) error {
			_, err := im.membership(ctx, bodyID, raw, id)
			return err
		}); err != nil {
			return id, err
		}
	}
	return id, nil
}

// resolve returns the local id of the object r names, importing it (from
// the embedded object or its URL) if it is not known yet. ENOTFOUND if
// the source does not have it.
func resolve[T any](ctx context.Context, im *importer, bodyID int64, kind string, r oparl.Ref[T]) (int64, error) {
	if r.IsZero() {
		return 0, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "Verweis fehlt.")
	}
	if r.ID != "" {
		rec, err := im.known(ctx, kind, r.ID)
		if err != nil {
			return 0, err
		}
		if rec != nil && !rec.Deleted {
			return rec.LocalID, nil
		}
	}
	raw, ok, err := object(ctx, im, r)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, ratsmappe.Errorf(ratsmappe.ENOTFOUND, "%s %s gibt es an der Quelle nicht.", kind, r.ID)
	}
	switch kind {
	case "organization":
		return im.organization(ctx, bodyID, raw)
	case "person":
		return im.person(ctx, bodyID, raw)
	case "meeting":
		return im.meeting(ctx, bodyID, raw)
	}
	return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "Unbekannte Art %s.", kind)
}

// membership imports one membership; personID is the person's local id
// when the membership came embedded in it (0: resolve its person).
func (im *importer) membership(ctx context.Context, bodyID int64, raw json.RawMessage, personID int64) (int64, error) {
	var m oparl.Membership
	if err := decodeObj(raw, &m); err != nil {
		return 0, err
	}
	ext := string(m.ID)
	if ext == "" {
		return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "Mitgliedschaft ohne id.")
	}
	rec, err := im.known(ctx, "membership", ext)
	if err != nil {
		return 0, err
	}
	if m.Deleted {
		if rec != nil && !rec.Deleted {
			im.count(im.res.Deleted, "membership")
			return rec.LocalID, im.save(ctx, "membership", ext, rec.LocalID, m.Modified, true)
		}
		return 0, nil
	}
	if unchanged(rec, m.Modified) {
		im.count(im.res.Unchanged, "membership")
		return rec.LocalID, nil
	}
	if personID == 0 {
		if personID, err = resolve(ctx, im, bodyID, "person", m.Person); err != nil {
			return 0, err
		}
	}
	orgID, err := resolve(ctx, im, bodyID, "organization", m.Organization)
	if err != nil {
		return 0, err
	}
	var onBehalf int64
	if !m.OnBehalfOf.IsZero() {
		onBehalf, _ = resolve(ctx, im, bodyID, "organization", m.OnBehalfOf)
	}
	defer im.lock("membership " + ext)()
	if rec, err = im.known(ctx, "membership", ext); err != nil {
		return 0, err
	}
	ms := &sessions.Membership{PersonID: personID, OrganizationID: orgID, Role: string(m.Role),
		VotingRight: bool(m.VotingRight), OnBehalfOf: onBehalf}
	ms.StartDate, ms.EndDate = period(m.StartDate, m.EndDate)
	if rec != nil {
		ms.ID = rec.LocalID
		err = im.st.UpdateMembership(ctx, ms)
		im.count(im.res.Updated, "membership")
	} else if ms.ID, err = im.orphanMembership(ctx, ms); err == nil && ms.ID != 0 {
		err = im.st.UpdateMembership(ctx, ms)
		im.count(im.res.Created, "membership")
	} else if err == nil {
		err = im.st.CreateMembership(ctx, ms)
		im.count(im.res.Created, "membership")
	}
	if err != nil {
		return 0, err
	}
	return ms.ID, im.save(ctx, "membership", ext, ms.ID, m.Modified, false)
}

func (im *importer) term(ctx context.Context, bodyID int64, raw json.RawMessage) error {
	var t oparl.LegislativeTerm
	if err := decodeObj(raw, &t); err != nil {
		return err
	}
	ext := string(t.ID)
	if ext == "" || t.Deleted {
		return nil
	}
	defer im.lock("legislative_term " + ext)()
	rec, err := im.known(ctx, "legislative_term", ext)
	if err != nil {
		return err
	}
	if unchanged(rec, t.Modified) {
		im.count(im.res.Unchanged, "legislative_term")
		return nil
	}
	lt := &sessions.LegislativeTerm{BodyID: bodyID, Name: first(t.Name)}
	if lt.Name == "" {
		lt.Name = lastSegment(ext)
	}
	lt.StartDate, lt.EndDate = period(t.StartDate, t.EndDate)
	if rec != nil {
		lt.ID = rec.LocalID
		err = im.st.UpdateLegislativeTerm(ctx, lt)
		im.count(im.res.Updated, "legislative_term")
	} else if lt.ID, err = im.orphanTerm(ctx, lt); err == nil && lt.ID != 0 {
		err = im.st.UpdateLegislativeTerm(ctx, lt)
		im.count(im.res.Created, "legislative_term")
	} else if err == nil {
		err = im.st.CreateLegislativeTerm(ctx, lt)
		im.count(im.res.Created, "legislative_term")
	}
	if err != nil {
		return err
	}
	return im.save(ctx, "legislative_term", ext, lt.ID, t.Modified, false)
}

// meetingState maps OParl's meetingState (free text in practice) and
// cancelled to the store's states.
func meetingState(state oparl.Str, cancelled bool, start time.Time, now time.Time) string {
	s := strings.ToLower(string(state))
	switch {
	case cancelled || strings.Contains(s, "cancel") || strings.Contains(s, "abgesagt") || strings.Contains(s, "ausgefallen"):
		return sessions.MeetingCancelled
	case strings.Contains(s, "held") || strings.Contains(s, "durchgeführt") || strings.Contains(s, "stattgefunden") || strings.Contains(s, "abgeschlossen"):
		return sessions.MeetingHeld
	case strings.Contains(s, "invit") || strings.Contains(s, "eingeladen") || strings.Contains(s, "einladung"):
		return sessions.MeetingInvited
	case strings.Contains(s, "plan") || strings.Contains(s, "geplant"):
		return sessions.MeetingPlanned
	}
	if start.Before(now) {
		return sessions.MeetingHeld
	}
	return sessions.MeetingPlanned
}

func (im *importer) location(ctx context.Context, loc *oparl.Location) string {
	if loc == nil || loc.Read.IsZero() {
		return ""
	}
	raw, ok, err := object(ctx, im, loc.Read)
	if err != nil || !ok {
		return ""
	}
	var l oparl.Location
	if json.Unmarshal(raw, &l) != nil {
		return ""
	}
	if l.Description != "" {
		return string(l.Description)
	}
	var parts []string
	for _, p := range []oparl.Str{l.Room, l.StreetAddress, l.Locality} {
		if p != "" {
			parts = append(parts, string(p))
		}
	}
	return strings.Join(parts, ", ")
}

func (im *importer) meeting(ctx context.Context, bodyID int64, raw json.RawMessage) (int64, error) {
	var m oparl.Meeting
	if err := decodeObj(raw, &m); err != nil {
		return 0, err
	}
	ext := string(m.ID)
	if ext == "" {
		return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "Sitzung ohne id.")
	}
	defer im.lock("meeting " + ext)()
	rec, err := im.known(ctx, "meeting", ext)
	if err != nil {
		return 0, err
	}
	if m.Deleted {
		if rec != nil && !rec.Deleted {
			if err := im.st.UnpublishMeeting(ctx, rec.LocalID); err != nil {
				return 0, err
			}
			if err := im.audit(ctx, "meeting.unpublish", "meeting", rec.LocalID, ext); err != nil {
				return 0, err
			}
			im.count(im.res.Deleted, "meeting")
			return rec.LocalID, im.save(ctx, "meeting", ext, rec.LocalID, m.Modified, true)
		}
		return 0, nil
	}
	if unchanged(rec, m.Modified) {
		im.count(im.res.Unchanged, "meeting")
		return rec.LocalID, nil
	}
	ctx, refused := trackRefusals(ctx)
	var orgID int64
	for _, r := range m.Organization {
		if orgID, err = resolve(ctx, im, bodyID, "organization", r); err == nil {
			break
		} else if !objectProblem(err) {
			return 0, err
		}
	}
	if orgID == 0 {
		if orgID, err = im.fallbackOrganization(ctx, bodyID); err != nil {
			return 0, err
		}
	}
	start := oparl.ParseTime(first(m.Start, m.End, m.Created))
	end := oparl.ParseTime(string(m.End))
	if !end.IsZero() && end.Before(start) {
		end = time.Time{}
	}
	now := im.st.Now()
	mt := &sessions.Meeting{OrganizationID: orgID, Name: first(m.Name), Start: start, End: end,
		Location: im.location(ctx, m.Location), State: meetingState(m.MeetingState, bool(m.Cancelled), start, now)}
	if mt.Name == "" {
		mt.Name = "Sitzung " + start.In(oparl.Berlin).Format("02.01.2006")
	}
	if rec != nil {
		u := sessions.MeetingUpdate{Name: &mt.Name, Start: &mt.Start, End: &mt.End, Location: &mt.Location, State: &mt.State}
		updated, err := im.st.UpdateMeeting(ctx, rec.LocalID, u)
		if err != nil {
			return 0, err
		}
		mt = updated
		im.count(im.res.Updated, "meeting")
	} else {
		if err := im.st.CreateMeeting(ctx, mt); err != nil {
			return 0, err
		}
		// Recorded at once, without the source's modified: if the run
		// stops while the agenda and files come in, the next one finds
		// the meeting and completes it instead of making another.
		if err := im.save(ctx, "meeting", ext, mt.ID, "", false); err != nil {
			return 0, err
		}
		im.count(im.res.Created, "meeting")
	}
	// The agenda, in the source's order, then the files; publication
	// comes last, so that nothing of a new meeting counts as added late.
	type item struct {
		order int64
		raw   json.RawMessage
	}
	var items []item
	complete := true // every listed item was read
	for i, it := range m.AgendaItem {
		iraw, ok, err := object(ctx, im, it.Read)
		if err != nil {
			return 0, err
		}
		complete = complete && ok
		if ok {
			var head struct {
				Order oparl.Int `json:"order"`
			}
			json.Unmarshal(iraw, &head)
			o := int64(head.Order)
			if o == 0 {
				o = int64(i + 1)
			}
			items = append(items, item{o, iraw})
		}
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].order < items[b].order })
	seen := map[int64]bool{}
	for _, it := range items {
		done := false
		if err := im.handle(ctx, it.raw, func(ctx context.Context, raw json.RawMessage) error {
			id, err := im.agendaItem(ctx, mt.ID, ext, raw)
			seen[id], done = true, err == nil
			return err
		}); err != nil {
			return 0, err
		}
		complete = complete && done
	}
	if rec != nil && complete {
		// Items the source dropped from the agenda (servers before OParl
		// 1.1 remove them instead of marking them deleted) are withdrawn.
		if err := im.withdrawDropped(ctx, mt.ID, seen); err != nil {
			return 0, err
		}
	}
	parent := newParent(ext, sessions.AttachmentTarget{MeetingID: mt.ID}, true)
	for i, f := range files(m.Invitation) {
		if err := im.file(ctx, f, parent, sessions.RoleInvitation, i); err != nil {
			return 0, err
		}
	}
	for i, f := range m.AuxiliaryFile {
		if err := im.file(ctx, f, parent, sessions.RoleAttachment, i); err != nil {
			return 0, err
		}
	}
	if rec != nil {
		if err := im.withdrawDroppedFiles(ctx, parent); err != nil {
			return 0, err
		}
	}
	for i, f := range append(files(m.ResultsProtocol), files(m.VerbatimProtocol)...) {
		if err := im.file(ctx, f, parent, roleMinutes, i); err != nil {
			return 0, err
		}
	}
	if rec == nil || rec.Deleted || mt.PublishedAt.IsZero() {
		at := im.st.Now()
		if err := im.st.PublishMeeting(ctx, mt.ID, at); err != nil {
			return 0, err
		}
		if err := im.audit(ctx, "meeting.publish", "meeting", mt.ID, at.UTC().Format(time.RFC3339)); err != nil {
			return 0, err
		}
	}
	return mt.ID, im.save(ctx, "meeting", ext, mt.ID, refused.modified(m.Modified), false)
}

func (im *importer) agendaItem(ctx context.Context, meetingID int64, meetingExt string, raw json.RawMessage) (int64, error) {
	var a oparl.AgendaItem // public unless the source says otherwise
	if err := decodeObj(raw, &a); err != nil {
		return 0, err
	}
	ext := string(a.ID)
	if ext == "" {
		ext = meetingExt + "#" + itoa(int64(a.Order))
	}
	defer im.lock("agenda_item " + ext)()
	rec, err := im.known(ctx, "agenda_item", ext)
	if err != nil {
		return 0, err
	}
	if a.Deleted {
		if rec != nil && !rec.Deleted {
			if err := im.st.WithdrawAgendaItem(ctx, rec.LocalID); err != nil {
				return 0, err
			}
			if err := im.audit(ctx, "item.withdraw", "agenda_item", rec.LocalID, ext); err != nil {
				return 0, err
			}
			im.count(im.res.Deleted, "agenda_item")
			return rec.LocalID, im.save(ctx, "agenda_item", ext, rec.LocalID, a.Modified, true)
		}
		if rec != nil {
			return rec.LocalID, nil
		}
		return 0, nil
	}
	public := bool(a.Public)
	var id int64
	if unchanged(rec, a.Modified) {
		im.count(im.res.Unchanged, "agenda_item")
		id = rec.LocalID
	} else {
		number := string(a.Number)
		if number == "" {
			number = "–" // headings often have none; the store needs one
		}
		title := first(a.Name)
		if title == "" {
			title = "(ohne Titel)"
		}
		if rec != nil {
			id = rec.LocalID
			fixed := true // the source system's number, see below
			if err := im.st.UpdateAgendaItem(ctx, id, sessions.AgendaItemUpdate{Number: &number, NumberFixed: &fixed, Title: &title, Public: &public,
				Result: (*string)(&a.Result), Resolution: (*string)(&a.ResolutionText)}); err != nil {
				return 0, err
			}
			im.count(im.res.Updated, "agenda_item")
		} else {
			// The source system's number is kept as it is, whatever the order.
			it := &sessions.AgendaItem{MeetingID: meetingID, Number: number, NumberFixed: true, Public: public, Title: title,
				Result: string(a.Result), Resolution: string(a.ResolutionText)}
			orphan, err := im.orphanItem(ctx, it)
			if err != nil {
				return 0, err
			}
			if orphan != 0 {
				it.ID = orphan
				err = im.st.UpdateAgendaItem(ctx, orphan, sessions.AgendaItemUpdate{Public: &public, Result: &it.Result, Resolution: &it.Resolution})
			} else {
				err = im.st.CreateAgendaItem(ctx, it)
			}
			if err != nil {
				return 0, err
			}
			id = it.ID
			im.count(im.res.Created, "agenda_item")
		}
		if err := im.save(ctx, "agenda_item", ext, id, a.Modified, false); err != nil {
			return 0, err
		}
	}
	parent := newParent(ext, sessions.AttachmentTarget{AgendaItemID: id}, public)
	for i, f := range a.AuxiliaryFile {
		if err := im.file(ctx, f, parent, sessions.RoleAttachment, i); err != nil {
			return 0, err
		}
	}
	if rec != nil {
		if err := im.withdrawDroppedFiles(ctx, parent); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func (im *importer) paper(ctx context.Context, bodyID int64, raw json.RawMessage) (int64, error) {
	var p oparl.Paper
	if err := decodeObj(raw, &p); err != nil {
		return 0, err
	}
	ext := string(p.ID)
	if ext == "" {
		return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "Vorlage ohne id.")
	}
	defer im.lock("paper " + ext)()
	rec, err := im.known(ctx, "paper", ext)
	if err != nil {
		return 0, err
	}
	if p.Deleted {
		if rec != nil && !rec.Deleted {
			if err := im.st.UnpublishPaper(ctx, rec.LocalID); err != nil {
				return 0, err
			}
			if err := im.audit(ctx, "paper.unpublish", "paper", rec.LocalID, ext); err != nil {
				return 0, err
			}
			im.count(im.res.Deleted, "paper")
			return rec.LocalID, im.save(ctx, "paper", ext, rec.LocalID, p.Modified, true)
		}
		return 0, nil
	}
	if unchanged(rec, p.Modified) {
		im.count(im.res.Unchanged, "paper")
		return rec.LocalID, nil
	}
	ctx, refused := trackRefusals(ctx)
	ref := first(p.Reference)
	if ref == "" {
		ref = lastSegment(ext)
	}
	name := first(p.Name, p.Reference)
	if name == "" {
		name = ref
	}
	date := oparl.ParseDate(string(p.Date))
	u := sessions.PaperUpdate{Reference: &ref, Name: &name, Type: (*string)(&p.PaperType), Date: &date}
	var id int64
	published := false
	if rec != nil {
		updated, err := im.st.UpdatePaper(ctx, rec.LocalID, u)
		if err != nil {
			return 0, err
		}
		id, published = rec.LocalID, !updated.PublishedAt.IsZero()
		im.count(im.res.Updated, "paper")
	} else {
		pp := &sessions.Paper{BodyID: bodyID, Reference: ref, Name: name, Type: string(p.PaperType), Date: date}
		err := im.st.CreatePaper(ctx, pp)
		if ratsmappe.ErrorCode(err) == ratsmappe.ECONFLICT {
			// The reference exists already: a paper created by a run that
			// broke off before recording it, or by hand. Take it over.
			found, ferr := im.st.FindPapers(ctx, staff, sessions.PaperFilter{BodyID: bodyID, Reference: ref})
			if ferr != nil {
				return 0, ferr
			}
			if len(found) == 0 {
				return 0, err
			}
			old := found[0]
			if _, err = im.st.UpdatePaper(ctx, old.ID, u); err == nil {
				pp.ID = old.ID
			}
		}
		if err != nil {
			return 0, err
		}
		id = pp.ID
		// Recorded at once (see meeting).
		if err := im.save(ctx, "paper", ext, id, "", false); err != nil {
			return 0, err
		}
		im.count(im.res.Created, "paper")
	}
	if rec == nil || rec.Deleted || !published {
		at := im.st.Now()
		if err := im.st.PublishPaper(ctx, id, at); err != nil {
			return 0, err
		}
		if err := im.audit(ctx, "paper.publish", "paper", id, at.UTC().Format(time.RFC3339)); err != nil {
			return 0, err
		}
	}
	parent := newParent(ext, sessions.AttachmentTarget{PaperID: id}, true)
	mains := files(p.MainFile)
	for i, f := range mains {
		if err := im.file(ctx, f, parent, sessions.RoleMain, i); err != nil {
			return 0, err
		}
	}
	for i, f := range p.AuxiliaryFile {
		if err := im.file(ctx, f, parent, sessions.RoleAttachment, len(mains)+i); err != nil {
			return 0, err
		}
	}
	if rec != nil {
		if err := im.withdrawDroppedFiles(ctx, parent); err != nil {
			return 0, err
		}
	}
	for _, c := range p.Consultation {
		craw, ok, err := object(ctx, im, c.Read)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if err := im.handle(ctx, craw, func(ctx context.Context, raw json.RawMessage) error {
			return im.consultation(ctx, bodyID, id, raw)
		}); err != nil {
			return 0, err
		}
	}
	return id, im.save(ctx, "paper", ext, id, refused.modified(p.Modified), false)
}

// consultation links the paper to the agenda item the consultation names.
// An item the import does not know is looked for through the
// consultation's meeting; if the source does not have that either, the
// consultation is skipped (real servers name meetings outside what they
// serve).
func (im *importer) consultation(ctx context.Context, bodyID, paperID int64, raw json.RawMessage) error {
	var c oparl.Consultation
	if err := decodeObj(raw, &c); err != nil {
		return err
	}
	ext := string(c.ID)
	if ext == "" || c.Deleted || c.AgendaItem.ID == "" {
		return nil
	}
	rec, err := im.known(ctx, "consultation", ext)
	if err != nil || rec != nil {
		if rec != nil {
			im.count(im.res.Unchanged, "consultation")
		}
		return err
	}
	item, err := im.known(ctx, "agenda_item", c.AgendaItem.ID)
	if err != nil {
		return err
	}
	if item == nil && !c.Meeting.IsZero() {
		if _, err := resolve(ctx, im, bodyID, "meeting", c.Meeting); err != nil && !objectProblem(err) {
			return err
		}
		if item, err = im.known(ctx, "agenda_item", c.AgendaItem.ID); err != nil {
			return err
		}
	}
	if item == nil {
		im.mu.Lock()
		im.res.Unlinked++
		im.mu.Unlock()
		return nil
	}
	defer im.lock("consultation " + ext)()
	cs := &sessions.Consultation{PaperID: paperID, AgendaItemID: item.LocalID, Role: string(c.Role), Authoritative: bool(c.Authoritative)}
	if err := im.st.Consult(ctx, cs); ratsmappe.ErrorCode(err) == ratsmappe.ECONFLICT {
		// Linked already (by a run that stopped before recording it).
		all, err := im.st.FindConsultations(ctx, staff, paperID)
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.AgendaItemID == item.LocalID {
				cs.ID = c.ID
			}
		}
	} else if err != nil {
		return err
	}
	im.count(im.res.Created, "consultation")
	return im.save(ctx, "consultation", ext, cs.ID, c.Modified, false)
}

// A run that stops between creating an object and recording it (a
// moment between two writes) leaves the object unrecorded. The next run
// takes such an orphan over — an object of the same kind and the same
// identifying fields that no record names — instead of making another.

// orphan returns the first of ids that no record of kind names, or 0.
func (im *importer) orphan(ctx context.Context, kind string, ids []int64) (int64, error) {
	for _, id := range ids {
		mapped, err := im.st.OParlMapped(ctx, kind, id)
		if err != nil || !mapped {
			return id, err
		}
	}
	return 0, nil
}

func (im *importer) orphanOrganization(ctx context.Context, o *sessions.Organization) (int64, error) {
	all, err := im.st.FindOrganizations(ctx, sessions.OrganizationFilter{BodyID: o.BodyID})
	if err != nil {
		return 0, err
	}
	var ids []int64
	for _, x := range all {
		if x.Name == o.Name {
			ids = append(ids, x.ID)
		}
	}
	return im.orphan(ctx, "organization", ids)
}

func (im *importer) orphanPerson(ctx context.Context, p *sessions.Person) (int64, error) {
	all, err := im.st.FindPersons(ctx, sessions.PersonFilter{BodyID: p.BodyID})
	if err != nil {
		return 0, err
	}
	var ids []int64
	for _, x := range all {
		if x.FamilyName == p.FamilyName && x.GivenName == p.GivenName {
			ids = append(ids, x.ID)
		}
	}
	return im.orphan(ctx, "person", ids)
}

func (im *importer) orphanMembership(ctx context.Context, m *sessions.Membership) (int64, error) {
	all, err := im.st.FindMemberships(ctx, m.PersonID, m.OrganizationID)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for _, x := range all {
		if x.StartDate == m.StartDate && x.Role == m.Role {
			ids = append(ids, x.ID)
		}
	}
	return im.orphan(ctx, "membership", ids)
}

func (im *importer) orphanTerm(ctx context.Context, t *sessions.LegislativeTerm) (int64, error) {
	all, err := im.st.FindLegislativeTerms(ctx, t.BodyID)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for _, x := range all {
		if x.Name == t.Name {
			ids = append(ids, x.ID)
		}
	}
	return im.orphan(ctx, "legislative_term", ids)
}

func (im *importer) orphanItem(ctx context.Context, it *sessions.AgendaItem) (int64, error) {
	_, all, err := im.st.FindAgenda(ctx, staff, it.MeetingID)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for _, x := range all {
		if x.Number == it.Number && x.Title == it.Title && !x.Withdrawn() {
			ids = append(ids, x.ID)
		}
	}
	return im.orphan(ctx, "agenda_item", ids)
}

// withdrawDropped withdraws the imported items of meeting meetingID that
// are not in seen and not withdrawn yet.
func (im *importer) withdrawDropped(ctx context.Context, meetingID int64, seen map[int64]bool) error {
	_, all, err := im.st.FindAgenda(ctx, staff, meetingID)
	if err != nil {
		return err
	}
	for _, it := range all {
		if seen[it.ID] || it.Withdrawn() {
			continue
		}
		if mapped, err := im.st.OParlMapped(ctx, "agenda_item", it.ID); err != nil || !mapped {
			if err != nil {
				return err
			}
			continue // the office's own item
		}
		if err := im.st.WithdrawAgendaItem(ctx, it.ID); err != nil {
			return err
		}
		if err := im.audit(ctx, "item.withdraw", "agenda_item", it.ID, "nicht mehr in der Tagesordnung der Quelle"); err != nil {
			return err
		}
		im.count(im.res.Deleted, "agenda_item")
	}
	return nil
}

// audit writes what the import changed in publication to the audit log,
// as the office's own actions are (the OParl API reads publication
// history from it for its soft deletes).
func (im *importer) audit(ctx context.Context, action, objType string, id int64, details string) error {
	return im.st.Audit(ctx, sessions.AuditEntry{Actor: "OParl-Import", Action: action, ObjectType: objType, ObjectID: id, Details: details})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
