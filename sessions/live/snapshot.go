package live

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// snapshotMaxAge bounds how long a snapshot is reused without a change on
// the Hub: changes made elsewhere (an exclusion, an item made public, a
// meeting unpublished) reach the live view within this time.
const snapshotMaxAge = 5 * time.Second

// Snapshot is everything the live view of a meeting shows, for staff: the
// meeting, its agenda (with exclusions), the session, the attendance and
// the votes of every item. For filters it for one viewer. A snapshot is
// read once per change and shared by every follower of the meeting.
type Snapshot struct {
	Version    uint64
	Read       time.Time
	Meeting    *sessions.Meeting
	Items      []*sessions.AgendaItem
	Session    Session
	Attendance *AttendanceState
	Names      map[int64]string
	Votes      map[int64][]*Vote // by agenda item, oldest first
	Speakers   *Speakers         // of the current item; nil if none

	mu   sync.Mutex
	json map[[2]access.Access][]byte // JSON, by what the viewer may see
}

// Snapshot returns the state of meeting id, read anew if it changed or is
// older than snapshotMaxAge; ENOTFOUND for a missing meeting. However
// many followers ask at once after a change, one of them reads it and the
// others wait for that read.
func (s *Store) Snapshot(ctx context.Context, id int64) (*Snapshot, error) {
	if snap := s.freshSnapshot(id); snap != nil {
		return snap, nil
	}
	s.mu.Lock()
	l := s.reading[id]
	if l == nil {
		l = &sync.Mutex{}
		s.reading[id] = l
	}
	s.mu.Unlock()
	l.Lock()
	defer l.Unlock()
	if snap := s.freshSnapshot(id); snap != nil {
		return snap, nil // read by another follower meanwhile
	}
	// The version is taken before the read: a change during it makes the
	// snapshot stale at once, and the next call reads again.
	snap, err := s.readSnapshot(ctx, id, s.hub.Version(id), s.now())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.snaps[id] = snap
	// Keep the snapshots of followed meetings only: a meeting nobody
	// follows any more does not hold its state in memory for months.
	for m := range s.snaps {
		if m != id && s.hub.Followers(m) == 0 {
			delete(s.snaps, m)
			delete(s.reading, m)
		}
	}
	s.mu.Unlock()
	return snap, nil
}

// freshSnapshot returns the kept snapshot of meeting id if no change was
// published since it was read and it is younger than snapshotMaxAge.
func (s *Store) freshSnapshot(id int64) *Snapshot {
	version, now := s.hub.Version(id), s.now()
	s.mu.Lock()
	snap := s.snaps[id]
	s.mu.Unlock()
	if snap != nil && snap.Version == version && now.Sub(snap.Read) < snapshotMaxAge && !now.Before(snap.Read) {
		return snap
	}
	return nil
}

func (s *Store) readSnapshot(ctx context.Context, id int64, version uint64, now time.Time) (*Snapshot, error) {
	m, items, err := s.sessions.FindAgenda(ctx, staff, id)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Version: version, Read: now, Meeting: m, Items: items, Names: map[int64]string{}, Votes: map[int64][]*Vote{}}
	if snap.Session, err = s.session(ctx, s.db, id); err != nil {
		return nil, err
	}
	if snap.Attendance, err = s.attendance(ctx, m); err != nil {
		return nil, err
	}
	vs, err := s.votes(ctx, `a.meeting_id = ?`, id)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		snap.Votes[v.ItemID] = append(snap.Votes[v.ItemID], v)
	}
	if snap.Session.Current != 0 {
		if snap.Speakers, err = s.FindSpeakers(ctx, snap.Session.Current); err != nil {
			return nil, err
		}
	}
	// The names of the body's members in one query; of deputies and
	// guests (who attend, or have the floor, but are no members) in one
	// more.
	ps, err := s.sessions.FindPersons(ctx, sessions.PersonFilter{OrganizationID: m.OrganizationID})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		snap.Names[p.ID] = p.Name()
	}
	var others []int64
	for _, a := range snap.Attendance.Attendees {
		others = append(others, a.Person)
	}
	if sp := snap.Speakers; sp != nil && sp.Current != nil {
		others = append(others, sp.Current.Person) // the floor may go to a guest
	}
	others = slices.DeleteFunc(others, func(p int64) bool { _, ok := snap.Names[p]; return ok })
	if len(others) > 0 {
		ps, err := s.sessions.FindPersons(ctx, sessions.PersonFilter{IDs: others})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			snap.Names[p.ID] = p.Name()
		}
	}
	return snap, nil
}

// View is the live state of a meeting as one viewer may see it.
type View struct {
	Meeting   int64     `json:"meeting"`
	Name      string    `json:"name"`
	Running   bool      `json:"running"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Current is the item being discussed; for a viewer who may see only
	// its stub, its number and public title, and nothing else of it.
	Current    *ItemView      `json:"current"`
	Attendance AttendanceView `json:"attendance"`
	// Vote is the newest vote on the current item — open, or closed with
	// its result — if the viewer may see the item in full.
	Vote *VoteView `json:"vote"`
	// Speakers is the current item's speaker list, with names, if the
	// viewer may see the item in full.
	Speakers *SpeakersView `json:"speakers"`
}

// SpeakersView is the speaker list in the live view.
type SpeakersView struct {
	Current             *SpeakerView  `json:"current"`
	Waiting             []SpeakerView `json:"waiting"`
	LimitSeconds        int           `json:"limit_seconds"`
	FactionLimitSeconds int           `json:"faction_limit_seconds,omitempty"`
	Factions            []FactionTime `json:"factions,omitempty"`
}

// SpeakerView is one speaker with their name.
type SpeakerView struct {
	Speaker
	Name string `json:"name"`
}

// ItemView is an agenda item in the live view.
type ItemView struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
	Title  string `json:"title"`
	Public bool   `json:"public"`
}

// AttendanceView is who is present and whether the body is quorate.
type AttendanceView struct {
	Present []PersonView `json:"present"`
	Quorum  QuorumState  `json:"quorum"`
}

// PersonView names a person; For names the member a deputy sits for.
type PersonView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	For  int64  `json:"for,omitempty"`
}

// VoteView is a vote in the live view, with the names of a roll call.
type VoteView struct {
	*Vote
	Names map[int64]string `json:"names,omitempty"` // of the persons in a roll call and the excluded
}

// JSONFor returns For(v, now) as JSON. Every viewer to whom the rule
// gives the same access to the meeting and to the current item sees the
// same view, so it is encoded once per snapshot for all of them — a
// thousand followers cost one encoding per change.
func (snap *Snapshot) JSONFor(v access.Viewer, now time.Time) ([]byte, bool) {
	key := [2]access.Access{access.MeetingAccess(v, snap.Meeting.Facts(), now), access.None}
	if key[0] == access.None {
		return nil, false
	}
	if cur := snap.current(); cur != nil {
		key[1] = access.ItemAccess(v, cur.Facts(snap.Meeting.Facts()), now)
	}
	snap.mu.Lock()
	defer snap.mu.Unlock()
	if b, ok := snap.json[key]; ok {
		return b, true
	}
	view, ok := snap.For(v, now)
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(view)
	if err != nil {
		return nil, false
	}
	if snap.json == nil {
		snap.json = map[[2]access.Access][]byte{}
	}
	snap.json[key] = b
	return b, true
}

func (snap *Snapshot) current() *sessions.AgendaItem {
	for _, it := range snap.Items {
		if it.ID == snap.Session.Current {
			return it
		}
	}
	return nil
}

// For returns what viewer v may see of the snapshot at now, asking the
// visibility rule (package access) for the meeting and the current item;
// ok is false if v may not see the meeting at all. Of an item v may see
// only as a stub, the view shows its number and public title and no vote.
func (snap *Snapshot) For(v access.Viewer, now time.Time) (view *View, ok bool) {
	mf := snap.Meeting.Facts()
	if access.MeetingAccess(v, mf, now) == access.None {
		return nil, false
	}
	view = &View{Meeting: snap.Meeting.ID, Name: snap.Meeting.Name, Running: snap.Session.Running(),
		StartedAt: snap.Session.StartedAt, EndedAt: snap.Session.EndedAt,
		Attendance: AttendanceView{Present: []PersonView{}, Quorum: snap.Attendance.Quorum}}
	for _, a := range snap.Attendance.Attendees {
		if a.Status == Present {
			view.Attendance.Present = append(view.Attendance.Present, PersonView{ID: a.Person, Name: snap.Names[a.Person], For: a.SubstituteFor})
		}
	}
	cur := snap.current()
	if cur == nil {
		return view, true
	}
	switch access.ItemAccess(v, cur.Facts(mf), now) {
	case access.Full:
		view.Current = &ItemView{ID: cur.ID, Number: cur.Number, Title: cur.Title, Public: cur.Public}
		if vs := snap.Votes[cur.ID]; len(vs) > 0 {
			vv := &VoteView{Vote: vs[len(vs)-1]}
			if r := vv.Result; r != nil {
				vv.Names = map[int64]string{}
				for _, n := range r.Named {
					vv.Names[n.Person] = snap.Names[n.Person]
				}
				for _, p := range r.Excluded {
					vv.Names[p] = snap.Names[p]
				}
			}
			view.Vote = vv
		}
		if sp := snap.Speakers; sp != nil {
			sv := &SpeakersView{Waiting: []SpeakerView{}, LimitSeconds: sp.LimitSeconds, FactionLimitSeconds: sp.FactionLimitSeconds, Factions: sp.Factions}
			if sp.Current != nil {
				sv.Current = &SpeakerView{Speaker: *sp.Current, Name: snap.Names[sp.Current.Person]}
			}
			for _, w := range sp.Waiting {
				sv.Waiting = append(sv.Waiting, SpeakerView{Speaker: w, Name: snap.Names[w.Person]})
			}
			view.Speakers = sv
		}
	case access.Stub:
		title := cur.PublicTitle
		if title == "" {
			title = sessions.StubTitle
		}
		view.Current = &ItemView{ID: cur.ID, Number: cur.Number, Title: title}
	}
	return view, true
}
