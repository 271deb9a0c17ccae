package web

import (
	"context"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// When did the public see a File? The visibility policy
// (sessions/policy.go) decides from the current facts; for soft deletes
// the OParl API needs the same decision over time: a File the anonymous
// viewer could see at some earlier time and cannot see now is
// deleted:true, with the time it disappeared as its modified. The facts
// over time come from the audit log the office's routes write
// (meeting.publish/unpublish, paper.publish/unpublish, item.update
// public=…, item.withdraw, attachment.public public=…) and, where the
// log says nothing, from the current record (published_at, public,
// withdrawn_at, created). Each fact becomes a set of spans in which it
// held; the File was public where the spans of the policy's conditions
// overlap — for an attachment of an item: the meeting published, the
// item public and not withdrawn, the attachment public and not
// withdrawn; of a meeting: meeting published, attachment public; of a
// paper: attachment public and either the paper published on its own or
// consulted (since the consultation existed) on an item public as above.

// span is a time interval [from, to); a zero to is open (until now).
type span struct{ from, to time.Time }

type spans []span

func (s span) end() time.Time {
	if s.to.IsZero() {
		return farFuture
	}
	return s.to
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// and returns the overlaps of a and b.
func (a spans) and(b spans) spans {
	var out spans
	for _, x := range a {
		for _, y := range b {
			from := x.from
			if y.from.After(from) {
				from = y.from
			}
			to := x.end()
			if y.end().Before(to) {
				to = y.end()
			}
			if from.Before(to) {
				if to.Equal(farFuture) {
					to = time.Time{}
				}
				out = append(out, span{from, to})
			}
		}
	}
	return out
}

// before cuts a at t (zero t: no cut).
func (a spans) before(t time.Time) spans {
	if t.IsZero() {
		return a
	}
	return a.and(spans{{to: t}})
}

// oparlHistory answers "when was it public" for the objects of one
// request, reading each object's audit entries once.
type oparlHistory struct {
	s     *Server
	ctx   context.Context
	urls  oparlURLs
	items map[int64]spans
	meets map[int64]spans
}

func (s *Server) newOParlHistory(ctx context.Context) *oparlHistory {
	return &oparlHistory{s: s, ctx: ctx, items: map[int64]spans{}, meets: map[int64]spans{}}
}

// audit returns the entries about objType id, oldest first.
func (h *oparlHistory) audit(objType string, id int64) ([]*sessions.AuditEntry, error) {
	es, err := h.s.cfg.Sessions.FindAuditEntriesFor(h.ctx, sessions.AuditFilter{ObjectType: objType, ObjectID: id, Limit: 10000})
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es, nil
}

// published returns the spans in which an object with publish/unpublish
// entries (details of a publish: the RFC 3339 publication time) was
// published: from the publication time to the next publish or unpublish.
// Without any publish entry, the current publication time counts.
func published(es []*sessions.AuditEntry, prefix string, current time.Time) spans {
	var out spans
	any := false
	for i, e := range es {
		if e.Action != prefix+".publish" {
			continue
		}
		any = true
		at, err := time.Parse(time.RFC3339, e.Details)
		if err != nil {
			continue
		}
		var next time.Time
		for _, f := range es[i+1:] {
			if f.Action == prefix+".publish" || f.Action == prefix+".unpublish" {
				next = f.At
				break
			}
		}
		if next.IsZero() || at.Before(next) {
			out = append(out, span{at, next})
		}
	}
	if !any && !current.IsZero() {
		out = spans{{from: current}}
	}
	return out
}

// flagged returns the spans in which a boolean flag recorded by entries
// action with details "public=true|false" held, starting at created.
// Agenda items and attachments are non-public when created unless the
// office's routes record public=true right away, so with entries the
// flag starts false — a public=false with nothing before it never makes
// an object that was never public look public. Without entries (data
// loaded or imported directly) the current value counts since created.
func flagged(es []*sessions.AuditEntry, action string, created time.Time, current bool) spans {
	var out spans
	on, from, any := false, created, false
	for _, e := range es {
		if e.Action != action || (e.Details != "public=true" && e.Details != "public=false") {
			continue
		}
		any = true
		now := e.Details == "public=true"
		switch {
		case now && !on:
			from = e.At
		case !now && on:
			out = append(out, span{from, e.At})
		}
		on = now
	}
	if !any {
		on = current
	}
	if on {
		out = append(out, span{from: from})
	}
	return out
}

func (h *oparlHistory) meeting(id int64) (spans, error) {
	if sp, ok := h.meets[id]; ok {
		return sp, nil
	}
	m, err := h.s.cfg.Sessions.FindMeetingByID(h.ctx, oparlStaff, id)
	if err != nil {
		return nil, err
	}
	es, err := h.audit("meeting", id)
	if err != nil {
		return nil, err
	}
	sp := published(es, "meeting", m.PublishedAt)
	h.meets[id] = sp
	return sp, nil
}

// item returns the spans in which the public saw item id in full.
func (h *oparlHistory) item(id int64) (spans, error) {
	if sp, ok := h.items[id]; ok {
		return sp, nil
	}
	it, err := h.s.cfg.Sessions.FindAgendaItemByID(h.ctx, oparlStaff, id)
	if err != nil {
		return nil, err
	}
	ms, err := h.meeting(it.MeetingID)
	if err != nil {
		return nil, err
	}
	es, err := h.audit("agenda_item", id)
	if err != nil {
		return nil, err
	}
	sp := ms.and(flagged(es, "item.update", it.Created, it.Public)).before(it.WithdrawnAt)
	h.items[id] = sp
	return sp, nil
}

// paper returns the spans in which the public saw paper id with its
// public files: published on its own, or consulted on an item the
// public saw.
func (h *oparlHistory) paper(id int64) (spans, error) {
	p, err := h.s.cfg.Sessions.FindPaperByID(h.ctx, oparlStaff, id)
	if err != nil {
		return nil, err
	}
	es, err := h.audit("paper", id)
	if err != nil {
		return nil, err
	}
	sp := published(es, "paper", p.PublishedAt)
	cs, err := h.s.cfg.Sessions.FindConsultations(h.ctx, oparlStaff, id)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		is, err := h.item(c.AgendaItemID)
		if err != nil {
			return nil, err
		}
		sp = append(sp, is.and(spans{{from: c.Created}})...)
	}
	return sp, nil
}

// fileGone reports whether the public saw attachment a (read as staff)
// at some earlier time, per the policy over time; it returns when that
// ended, the modified of its deleted stub. The caller has made sure the
// public does not see a now.
func (h *oparlHistory) fileGone(a *sessions.Attachment) (time.Time, bool, error) {
	es, err := h.audit("attachment", a.ID)
	if err != nil {
		return time.Time{}, false, err
	}
	att := flagged(es, "attachment.public", a.Created, a.Public).before(a.WithdrawnAt)
	if len(att) == 0 {
		return time.Time{}, false, nil
	}
	var parent spans
	switch {
	case a.AgendaItemID != 0:
		parent, err = h.item(a.AgendaItemID)
	case a.MeetingID != 0:
		parent, err = h.meeting(a.MeetingID)
	default:
		parent, err = h.paper(a.PaperID)
	}
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	when, seen := h.ended(att.and(parent), a.Modified)
	return when, seen, nil
}

// paperGone reports whether paper id is hidden from the public now
// although the public saw it at some earlier time; it returns the bare
// record with Modified set to the time it disappeared.
func (h *oparlHistory) paperGone(id int64) (*sessions.Paper, bool, error) {
	if _, err := h.s.cfg.Sessions.FindPaperByID(h.ctx, oparlViewer, id); err == nil {
		return nil, false, nil
	} else if ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return nil, false, err
	}
	sp, err := h.paper(id)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	p, err := h.s.cfg.Sessions.FindPaperByID(h.ctx, oparlStaff, id)
	if err != nil {
		return nil, false, err
	}
	when, seen := h.ended(sp, p.Modified)
	if !seen {
		return nil, false, nil
	}
	p.Modified = when
	return p, true, nil
}

// ended reports whether any of sp began before now, and when the last
// of them ended — not before modified, the record's own time, which
// also stands in for an end the log did not record.
func (h *oparlHistory) ended(sp spans, modified time.Time) (time.Time, bool) {
	now := h.s.cfg.Sessions.Now()
	when, seen := modified, false
	for _, x := range sp {
		if !x.from.Before(now) {
			continue // an embargo that has not ended
		}
		seen = true
		if !x.to.IsZero() && !x.to.After(now) {
			when = latest(when, x.to)
		}
	}
	return when, seen
}
