// Package notices tells council members what changed in their meetings
// (issue 14, point 5): a late item (Nachtrag), a new document or a new
// version of one, a withdrawn item, a changed time or place, a cancelled
// meeting, new minutes — by e-mail and Web Push, at once or in a daily
// digest as each member chose, and as a list in the reader.
//
// # How a change becomes a notice
//
// The worker follows the changes feed (package sessions/changes) with its
// own cursor. For every published meeting a batch of changes touched, and
// every member of its committee, it reads the meeting as that member sees
// it now — through the store's folder, which asks the visibility rule —
// and compares it with what the member saw when last told (a view kept
// per member and meeting). Only the difference becomes notices, built
// from the member's own view: an item they may not see, a document
// withheld from them, an exclusion (Befangenheit) — none of it can reach
// a notice, because none of it is in their view. A withdrawn item is told
// only to members who would see it were it not withdrawn.
//
// # Never twice, never lost
//
// The notices, the messages for the notify outbox and the new views are
// written in the transaction that advances the cursor: a crash leaves
// the old state (the batch is read again) or the new one. Each notice
// has a key naming the change and the member, each message one naming
// the batch and the member, so nothing is told twice.
//
// Everything a batch compares is read before that transaction, which
// only writes: it holds the database's write lock (SQLite has one
// writer) for milliseconds, not for the seconds that reading the
// meetings of a batch takes as every member sees them — on the first
// start after a year of meetings appeared, hundreds of batches in a row.
// The transaction goes on only if the cursor is still where the batch
// was read from; otherwise another app server took the batch meanwhile.
//
// The first time the worker sees a meeting for a member (its publication;
// a new committee member) it records the view silently: the invitation
// (Ladung) tells what a meeting holds, notices what changes afterwards.
package notices

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's schema, applied after notify's (its
// cursor is a row of the changes feed's table).
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same schema for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

const consumer = "notices"

// Kinds of notices.
const (
	KindLateItem    = "late_item"
	KindWithdrawn   = "withdrawn_item"
	KindDocument    = "new_document"
	KindVersion     = "new_version"
	KindMoved       = "moved"
	KindCancelled   = "cancelled"
	KindMinutes     = "minutes"
	maxBatch        = 500
	defaultInterval = 2 * time.Second
)

// Pref is how a member wants to be told.
type Pref struct {
	// Email is the address for e-mail notices; empty: none.
	Email string
	// Push: also to the member's devices subscribed to Web Push.
	Push bool
	// Digest: once a day instead of at once.
	Digest bool
	// Language of the messages, "de" or "en".
	Language string
}

// Preferences returns account's choice, read within tx. Nil Preferences
// (or an error-free zero Pref) means the reader's list only.
type Preferences func(ctx context.Context, tx *sql.Tx, account int64) (Pref, error)

// Config configures a Worker.
type Config struct {
	DB    *sql.DB
	Store *sessions.Store
	// Outbox carries the e-mail and push messages; nil: the reader's list
	// only.
	Outbox *notify.Outbox
	Prefs  Preferences
	// BaseURL is what links in e-mails start with
	// ("https://rat.example.org").
	BaseURL string
	// From is the e-mail sender; empty: the outbox's default.
	From     string
	Interval time.Duration
	Now      func() time.Time
	Log      *slog.Logger
}

// Worker turns changes into notices.
type Worker struct{ cfg Config }

// NewWorker returns a worker with cfg's defaults filled in.
func NewWorker(cfg Config) *Worker {
	if cfg.Interval <= 0 {
		cfg.Interval = defaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Worker{cfg: cfg}
}

// Run works until ctx is done: a batch of changes every Interval, and
// the daily digests every morning at 7 (Europe/Berlin). A backlog (the
// first start after an import) is worked off at about half a core: after
// each batch it pauses as long as the batch took, so that the requests
// being served keep the rest.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		for {
			start := time.Now()
			n, err := w.Step(ctx)
			if err != nil {
				if ctx.Err() == nil {
					w.cfg.Log.Error("notices", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Since(start)):
			}
		}
		if now := w.cfg.Now(); now.In(berlin).Hour() >= 7 {
			if _, err := w.Digest(ctx, now); err != nil && ctx.Err() == nil {
				w.cfg.Log.Error("notice digest", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// nextDigest is the first morning digest after t, 7:00 in Berlin: a
// notice told after the day's digest waits for the next one. (Due at
// once, it was taken by the next run of the same day, whose message key,
// naming the day, was the one already sent: the notice went out with no
// message at all.)
func nextDigest(t time.Time) time.Time {
	b := t.In(berlin)
	d := time.Date(b.Year(), b.Month(), b.Day(), 7, 0, 0, 0, berlin)
	if !d.After(b) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return l
}()

// Step takes one batch of changes and returns how many feed rows it
// consumed: 0 also when another app server took the batch meanwhile.
func (w *Worker) Step(ctx context.Context) (int, error) {
	db := w.cfg.DB
	cur, err := changes.Cursor(ctx, db, consumer)
	if err != nil {
		return 0, err
	}
	newest, err := changes.Newest(ctx, db)
	if err != nil || newest <= cur {
		return 0, err
	}
	var upto int64
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM (SELECT seq FROM changes WHERE seq > ? ORDER BY seq LIMIT ?) AS batch`,
		cur, maxBatch).Scan(&upto, &n); err != nil {
		return 0, fmt.Errorf("notices: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	meetings, err := touchedMeetings(ctx, db, cur, upto)
	if err != nil {
		return 0, err
	}
	now := w.cfg.Now()
	var news []*meetingNews
	for _, m := range meetings {
		mn, err := w.meeting(ctx, m, now)
		if err != nil {
			return 0, fmt.Errorf("notices: meeting %d: %w", m, err)
		}
		if mn != nil {
			news = append(news, mn)
		}
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("notices: %w", err)
	}
	defer tx.Rollback()
	// Claimed, the cursor must still be where the batch was read from:
	// the views compared are then the ones recorded, as they are written
	// only here, with the cursor.
	if claimed, err := changes.Claim(ctx, tx, consumer); err != nil || claimed != cur {
		return 0, err
	}
	for _, mn := range news {
		for _, mb := range mn.members {
			if mb.changed {
				if _, err := tx.ExecContext(ctx, `INSERT INTO notice_views (account_id, meeting_id, view) VALUES (?, ?, ?)
					ON CONFLICT (account_id, meeting_id) DO UPDATE SET view = excluded.view`, mb.account, mn.meeting.ID, mb.view); err != nil {
					return 0, fmt.Errorf("notices: meeting %d: %w", mn.meeting.ID, err)
				}
			}
			if len(mb.events) > 0 {
				if err := w.tell(ctx, tx, mb.account, mb.person, mn, mb.events, upto, now); err != nil {
					return 0, fmt.Errorf("notices: meeting %d: %w", mn.meeting.ID, err)
				}
			}
		}
	}
	if err := changes.Advance(ctx, tx, consumer, upto); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("notices: %w", err)
	}
	if w.cfg.Outbox != nil {
		w.cfg.Outbox.Kick()
	}
	return n, nil
}

// touchedMeetings returns the meetings the changes (cur, upto] concern:
// named in the row, or through a document's attachments and minutes
// (a new version), or through a paper consulted on their items.
func touchedMeetings(ctx context.Context, db *sql.DB, cur, upto int64) ([]int64, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT meeting_id FROM changes WHERE seq > ?1 AND seq <= ?2 AND meeting_id IS NOT NULL
		UNION SELECT COALESCE(a.meeting_id, i.meeting_id) FROM changes c JOIN attachments a ON a.document_id = c.object_id
			LEFT JOIN agenda_items i ON i.id = a.agenda_item_id
			WHERE c.seq > ?1 AND c.seq <= ?2 AND c.kind = 'document' AND COALESCE(a.meeting_id, i.meeting_id) IS NOT NULL
		UNION SELECT i.meeting_id FROM changes c JOIN attachments a ON a.document_id = c.object_id
			JOIN consultations k ON k.paper_id = a.paper_id JOIN agenda_items i ON i.id = k.agenda_item_id
			WHERE c.seq > ?1 AND c.seq <= ?2 AND c.kind = 'document'
		UNION SELECT mi.meeting_id FROM changes c JOIN minutes mi ON mi.document_id = c.object_id
			WHERE c.seq > ?1 AND c.seq <= ?2 AND c.kind = 'document'
		UNION SELECT i.meeting_id FROM changes c JOIN agenda_items i ON i.id = c.object_id
			WHERE c.seq > ?1 AND c.seq <= ?2 AND c.kind = 'agenda_item'`, cur, upto)
	if err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id sql.NullInt64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("notices: %w", err)
		}
		if id.Valid {
			out = append(out, id.Int64)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), rows.Err()
}

// member is an account to tell, with its viewer.
type member struct {
	account int64
	viewer  access.Viewer
}

// members returns the accounts of the persons who sat on organization
// org on day (the meeting's date).
func (w *Worker) members(ctx context.Context, org int64, day string) ([]member, error) {
	rows, err := w.cfg.DB.QueryContext(ctx, `SELECT DISTINCT a.id, a.person_id, a.display_name FROM accounts a
		JOIN memberships ms ON ms.person_id = a.person_id
		WHERE ms.organization_id = ? AND a.role = 'member' AND a.disabled_at IS NULL
			AND (ms.start_date = '' OR ms.start_date <= ?) AND (ms.end_date = '' OR ms.end_date >= ?)
		ORDER BY a.id`, org, day, day)
	if err != nil {
		return nil, err
	}
	var out []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.account, &m.viewer.PersonID, &m.viewer.Name); err != nil {
			rows.Close()
			return nil, err
		}
		m.viewer.AccountID, m.viewer.Role = m.account, access.RoleMember
		out = append(out, m)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for i := range out {
		v, err := w.cfg.Store.ViewerFor(ctx, out[i].viewer)
		if err != nil {
			return nil, err
		}
		out[i].viewer = v
	}
	return out, nil
}

// view is a meeting as one member sees it: what notices compare.
type view struct {
	Name     string          `json:"name"`
	Start    time.Time       `json:"start"`
	Location string          `json:"location"`
	State    string          `json:"state"`
	Items    map[int64]itemV `json:"items"`   // items seen in full
	Docs     map[int64]docV  `json:"docs"`    // attachments, by attachment id
	Minutes  map[int64]docV  `json:"minutes"` // by minutes id
}

type itemV struct {
	Number string `json:"number"`
	Title  string `json:"title"`
}

type docV struct {
	Document int64  `json:"document"`
	Title    string `json:"title"`
	Version  int    `json:"version"`
}

func viewOf(f *sessions.Folder) view {
	v := view{Name: f.Meeting.Name, Start: f.Meeting.Start.UTC(), Location: f.Meeting.Location, State: f.Meeting.State,
		Items: map[int64]itemV{}, Docs: map[int64]docV{}, Minutes: map[int64]docV{}}
	doc := func(d *sessions.FolderDocument) {
		if d.Attachment.Role == sessions.RoleInvitation {
			return // the invitation (and its supplement) is its own message
		}
		dv := docV{Document: d.Attachment.DocumentID, Title: d.Title}
		if d.Version != nil {
			dv.Version = d.Version.Number
		}
		v.Docs[d.Attachment.ID] = dv
	}
	for _, it := range f.Agenda {
		if it.Access != access.Full {
			continue
		}
		v.Items[it.ID] = itemV{Number: it.Number, Title: it.Title}
		for _, d := range it.Documents {
			doc(d)
		}
	}
	for _, d := range f.Documents {
		doc(d)
	}
	for _, mi := range f.Minutes {
		dv := docV{Document: mi.Minutes.DocumentID, Title: mi.Title}
		if mi.Version != nil {
			dv.Version = mi.Version.Number
		}
		v.Minutes[mi.Minutes.ID] = dv
	}
	return v
}

// event is one notice for one member.
type event struct {
	kind, key    string // key: the change, without the member
	text, textEN string
	url          string
}

// diff returns what changed from old to cur for a member; withdrawn
// tells which of old's items the member would still see but for their
// withdrawal.
func diff(meeting int64, old, cur view, withdrawn map[int64]bool) []event {
	var out []event
	reader := fmt.Sprintf("/reader/meetings/%d", meeting)
	when := func(t time.Time) string { return t.In(berlin).Format("02.01.2006, 15:04") }
	if cur.State == sessions.MeetingCancelled && old.State != sessions.MeetingCancelled {
		out = append(out, event{KindCancelled, "cancelled",
			fmt.Sprintf("Die Sitzung „%s“ am %s ist abgesagt.", cur.Name, when(cur.Start)),
			fmt.Sprintf("The meeting “%s” on %s is cancelled.", cur.Name, when(cur.Start)), reader})
	} else if !cur.Start.Equal(old.Start) || cur.Location != old.Location {
		out = append(out, event{KindMoved, "moved/" + strconv.FormatInt(cur.Start.Unix(), 10) + "/" + cur.Location,
			fmt.Sprintf("Die Sitzung „%s“ findet jetzt am %s Uhr statt, Ort: %s.", cur.Name, when(cur.Start), cur.Location),
			fmt.Sprintf("The meeting “%s” now takes place on %s, at %s.", cur.Name, when(cur.Start), cur.Location), reader})
	}
	for _, id := range sortedKeys(cur.Items) {
		if _, ok := old.Items[id]; !ok {
			it := cur.Items[id]
			out = append(out, event{KindLateItem, "item/" + strconv.FormatInt(id, 10),
				fmt.Sprintf("Nachtrag zur Tagesordnung: %s %s", it.Number, it.Title),
				fmt.Sprintf("Added to the agenda: %s %s", it.Number, it.Title), reader})
		}
	}
	for _, id := range sortedKeys(old.Items) {
		if _, ok := cur.Items[id]; !ok && withdrawn[id] {
			it := old.Items[id]
			out = append(out, event{KindWithdrawn, "withdrawn/" + strconv.FormatInt(id, 10),
				fmt.Sprintf("Von der Tagesordnung abgesetzt: %s %s", it.Number, it.Title),
				fmt.Sprintf("Withdrawn from the agenda: %s %s", it.Number, it.Title), reader})
		}
	}
	docEvents := func(oldDocs, curDocs map[int64]docV, minutes bool) {
		for _, id := range sortedKeys(curDocs) {
			d := curDocs[id]
			if d.Version == 0 {
				continue
			}
			o, seen := oldDocs[id]
			docURL := fmt.Sprintf("%s/documents/%d", reader, d.Document)
			switch {
			case !seen && minutes:
				out = append(out, event{KindMinutes, fmt.Sprintf("minutes/%d", id),
					fmt.Sprintf("Niederschrift: %s", d.Title), fmt.Sprintf("Minutes: %s", d.Title), docURL})
			case !seen:
				out = append(out, event{KindDocument, fmt.Sprintf("attachment/%d", id),
					fmt.Sprintf("Neue Unterlage: %s", d.Title), fmt.Sprintf("New document: %s", d.Title), docURL})
			case d.Version > o.Version && d.Document == o.Document:
				out = append(out, event{KindVersion, fmt.Sprintf("document/%d/v%d", d.Document, d.Version),
					fmt.Sprintf("Neue Fassung (Version %d): %s", d.Version, d.Title),
					fmt.Sprintf("New version (version %d): %s", d.Version, d.Title),
					fmt.Sprintf("/documents/%d/diff?to=%d", d.Document, d.Version)})
			}
		}
	}
	docEvents(old.Docs, cur.Docs, false)
	docEvents(old.Minutes, cur.Minutes, true)
	return out
}

func sortedKeys[V any](m map[int64]V) []int64 {
	ks := make([]int64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// meetingNews is what a batch has to record for one meeting: for each of
// its members the view and what changed since the one recorded.
type meetingNews struct {
	meeting *sessions.Meeting
	// organization is the name of the meeting's committee, read when a
	// move is told (the calendar entry names it).
	organization string
	members      []memberNews
}

type memberNews struct {
	account, person int64
	view            string // as JSON
	changed         bool   // view differs from the one recorded
	events          []event
}

// meeting compares meeting id for each of its members; nil for a meeting
// that tells no one anything. It only reads, before the batch's
// transaction.
func (w *Worker) meeting(ctx context.Context, id int64, now time.Time) (*meetingNews, error) {
	staff := access.Viewer{Role: access.RoleClerk}
	m, err := w.cfg.Store.FindMeetingByID(ctx, staff, id)
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !m.Published(now) {
		return nil, nil // drafts and embargoed agendas tell no one anything
	}
	ms, err := w.members(ctx, m.OrganizationID, m.Start.In(berlin).Format("2006-01-02"))
	if err != nil {
		return nil, err
	}
	mn := &meetingNews{meeting: m}
	for _, mb := range ms {
		f, err := w.cfg.Store.FindFolder(ctx, mb.viewer, id)
		if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		cur := viewOf(f)
		b, _ := json.Marshal(cur) // maps marshal in key order: equal views, equal bytes
		news := memberNews{account: mb.account, person: mb.viewer.PersonID, view: string(b), changed: true}
		var raw string
		err = w.cfg.DB.QueryRowContext(ctx, `SELECT view FROM notice_views WHERE account_id = ? AND meeting_id = ?`, mb.account, id).Scan(&raw)
		first := err == sql.ErrNoRows
		if err != nil && !first {
			return nil, err
		}
		if !first {
			news.changed = raw != news.view
			var old view
			if err := json.Unmarshal([]byte(raw), &old); err != nil {
				return nil, err
			}
			withdrawn := map[int64]bool{}
			for iid := range old.Items {
				if _, still := cur.Items[iid]; still {
					continue
				}
				it, err := w.cfg.Store.WithdrawnItemFor(ctx, mb.viewer, iid)
				if err != nil {
					return nil, err
				}
				withdrawn[iid] = it != nil
			}
			news.events = diff(id, old, cur, withdrawn)
		}
		if news.changed || len(news.events) > 0 {
			mn.members = append(mn.members, news)
		}
		for _, e := range news.events {
			if e.kind == KindMoved && mn.organization == "" {
				org, err := w.cfg.Store.FindOrganizationByID(ctx, m.OrganizationID)
				if err != nil {
					return nil, err
				}
				mn.organization = org.Name
			}
		}
	}
	if len(mn.members) == 0 {
		return nil, nil
	}
	return mn, nil
}

// tell records events as member account's notices and, as the member
// chose, enqueues one e-mail and one push per device now, or leaves them
// for the digest.
func (w *Worker) tell(ctx context.Context, tx *sql.Tx, account, person int64, mn *meetingNews, events []event, upto int64, now time.Time) error {
	m := mn.meeting
	var pref Pref
	if w.cfg.Prefs != nil {
		p, err := w.cfg.Prefs(ctx, tx, account)
		if err != nil {
			return err
		}
		pref = p
	}
	var due any
	if pref.Digest && (pref.Email != "" || pref.Push) {
		due = nextDigest(now).UnixMilli()
	}
	var told []event
	for _, e := range events {
		res, err := tx.ExecContext(ctx, `INSERT INTO member_notices (account_id, key, meeting_id, kind, text, text_en, url, created_at, digest_due)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			account, fmt.Sprintf("notice/%d/%s/account/%d", m.ID, e.key, account), m.ID, e.kind, e.text, e.textEN, e.url, now.UnixMilli(), due)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			told = append(told, e)
		}
	}
	if len(told) == 0 || due != nil || w.cfg.Outbox == nil {
		return nil
	}
	key := fmt.Sprintf("notice/meeting/%d/seq/%d/account/%d", m.ID, upto, account)
	en := pref.Language == "en"
	subject := "Änderung: " + m.Name
	if en {
		subject = "Change: " + m.Name
	}
	var lines []string
	for _, e := range told {
		t := e.text
		if en {
			t = e.textEN
		}
		lines = append(lines, "- "+t+"\n  "+w.cfg.BaseURL+e.url)
	}
	if pref.Email != "" {
		body := fmt.Sprintf("Guten Tag,\n\nin der Sitzung „%s“ hat sich etwas geändert:\n\n%s\n\nSie erhalten diese Nachricht, weil Sie Mitglied des Gremiums sind. Wie und wann Sie benachrichtigt werden, stellen Sie in der Ratsmappe ein.\n",
			m.Name, strings.Join(lines, "\n"))
		if en {
			body = fmt.Sprintf("Hello,\n\nsomething changed in the meeting “%s”:\n\n%s\n\nYou receive this message as a member of the committee. Choose how and when you are told in Ratsmappe.\n",
				m.Name, strings.Join(lines, "\n"))
		}
		msg := notify.Message{Key: key + "/email", From: w.cfg.From, To: pref.Email, Subject: subject, Text: body, Language: pref.Language}
		var err error
		if msg.Calendar, err = w.calendarUpdate(ctx, tx, person, mn, told, pref.Email, now); err != nil {
			return err
		}
		if _, err := w.cfg.Outbox.Enqueue(ctx, tx, msg); err != nil {
			return err
		}
	}
	if pref.Push {
		body := told[0].text
		if en {
			body = told[0].textEN
		}
		if len(told) > 1 {
			body += fmt.Sprintf(" (+%d)", len(told)-1)
		}
		if len(body) > 400 {
			body = body[:400] + "…"
		}
		url := told[0].url
		if len(told) > 1 {
			url = fmt.Sprintf("/reader/meetings/%d", m.ID)
		}
		if _, err := webpush.Enqueue(ctx, tx, w.cfg.Outbox, account, webpush.Notice{Key: key, Title: subject, Body: body, URL: url}); err != nil {
			return err
		}
	}
	return nil
}

// Digest sends each member who chose the daily digest one message with
// the notices waiting since the last one; it returns how many members it
// wrote to. It sends at most once per member and day (the message key
// names the day), so Run may call it as often as it likes.
func (w *Worker) Digest(ctx context.Context, now time.Time) (int, error) {
	if w.cfg.Outbox == nil {
		return 0, nil
	}
	// Run asks every few seconds after seven and almost always finds
	// nothing due: it asks without a transaction first, so that it does not
	// take SQLite's one write lock (the cursor claim below) for nothing
	// while members and the office write.
	var due int
	if err := w.cfg.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM member_notices
		WHERE digest_due IS NOT NULL AND digest_due <= ? LIMIT 1) AS due`, now.UnixMilli()).Scan(&due); err != nil {
		return 0, err
	}
	if due == 0 {
		return 0, nil
	}
	tx, err := w.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// One digest run at a time across app servers, each after the one
	// before committed: two would read the same notices.
	if _, err := changes.Claim(ctx, tx, consumer); err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT account_id, id, text, text_en, url FROM member_notices
		WHERE digest_due IS NOT NULL AND digest_due <= ? ORDER BY account_id, id`, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	type item struct {
		id                int64
		text, textEN, url string
	}
	by := map[int64][]item{}
	var accounts []int64
	for rows.Next() {
		var a int64
		var it item
		if err := rows.Scan(&a, &it.id, &it.text, &it.textEN, &it.url); err != nil {
			rows.Close()
			return 0, err
		}
		if _, ok := by[a]; !ok {
			accounts = append(accounts, a)
		}
		by[a] = append(by[a], it)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	day := now.In(berlin).Format("2006-01-02")
	sent := 0
	for _, a := range accounts {
		var pref Pref
		if w.cfg.Prefs != nil {
			if pref, err = w.cfg.Prefs(ctx, tx, a); err != nil {
				return 0, err
			}
		}
		key := fmt.Sprintf("digest/%s/account/%d", day, a)
		en := pref.Language == "en"
		var lines []string
		for _, it := range by[a] {
			t := it.text
			if en {
				t = it.textEN
			}
			lines = append(lines, "- "+t+"\n  "+w.cfg.BaseURL+it.url)
		}
		subject := fmt.Sprintf("Ratsmappe: %d Änderungen in Ihren Sitzungen", len(lines))
		if len(lines) == 1 {
			subject = "Ratsmappe: 1 Änderung in Ihren Sitzungen"
		}
		body := "Guten Tag,\n\nseit der letzten Übersicht hat sich in Ihren Sitzungen geändert:\n\n" + strings.Join(lines, "\n") + "\n"
		if en {
			subject = fmt.Sprintf("Ratsmappe: %d changes in your meetings", len(lines))
			if len(lines) == 1 {
				subject = "Ratsmappe: 1 change in your meetings"
			}
			body = "Hello,\n\nsince the last summary, this changed in your meetings:\n\n" + strings.Join(lines, "\n") + "\n"
		}
		if pref.Email != "" {
			if _, err := w.cfg.Outbox.Enqueue(ctx, tx, notify.Message{Key: key + "/email", From: w.cfg.From, To: pref.Email,
				Subject: subject, Text: body, Language: pref.Language}); err != nil {
				return 0, err
			}
		}
		if pref.Push {
			if _, err := webpush.Enqueue(ctx, tx, w.cfg.Outbox, a, webpush.Notice{Key: key, Title: subject, URL: "/reader/"}); err != nil {
				return 0, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE member_notices SET digest_due = NULL WHERE account_id = ? AND digest_due IS NOT NULL AND digest_due <= ?`,
			a, now.UnixMilli()); err != nil {
			return 0, err
		}
		sent++
	}
	return sent, tx.Commit()
}

// Notice is one entry of a member's list in the reader.
type Notice struct {
	ID        int64     `json:"id"`
	MeetingID int64     `json:"meeting_id"`
	Kind      string    `json:"kind"`
	Text      string    `json:"text"`
	TextEN    string    `json:"text_en"`
	URL       string    `json:"url"`
	Created   time.Time `json:"created"`
	Read      bool      `json:"read"`
}

// List returns account's newest notices (at most limit, before id
// before if not 0).
func List(ctx context.Context, db *sql.DB, account, before int64, limit int) ([]Notice, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, meeting_id, kind, text, text_en, url, created_at, read_at IS NOT NULL
		FROM member_notices WHERE account_id = ? AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?`, account, before, before, limit)
	if err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var created int64
		if err := rows.Scan(&n.ID, &n.MeetingID, &n.Kind, &n.Text, &n.TextEN, &n.URL, &created, &n.Read); err != nil {
			return nil, fmt.Errorf("notices: %w", err)
		}
		n.Created = time.UnixMilli(created).UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkRead marks account's notices up to id read.
func MarkRead(ctx context.Context, db *sql.DB, account, upto int64, now time.Time) error {
	_, err := db.ExecContext(ctx, `UPDATE member_notices SET read_at = ? WHERE account_id = ? AND id <= ? AND read_at IS NULL`,
		now.UnixMilli(), account, upto)
	return err
}

// calendarUpdate returns the updated calendar entry (METHOD:REQUEST with
// the next SEQUENCE) for a member invited by e-mail when told includes a
// move of meeting m to another time or place, so that their calendar
// follows; nil otherwise. A cancellation goes with the invitation
// service's own message (METHOD:CANCEL).
func (w *Worker) calendarUpdate(ctx context.Context, tx *sql.Tx, person int64, mn *meetingNews, told []event, to string, now time.Time) (*notify.Calendar, error) {
	m := mn.meeting
	var move *event
	for i := range told {
		if told[i].kind == KindMoved {
			move = &told[i]
		}
	}
	if move == nil || person == 0 {
		return nil, nil
	}
	invited, err := invitation.InvitedByEmail(ctx, tx, m.ID, person)
	if err != nil || !invited {
		return nil, err
	}
	seq, ok, err := invitation.CalendarMove(ctx, tx, m.ID, move.key, now)
	if err != nil || !ok {
		return nil, err
	}
	data := invitation.Calendar(invitation.CalendarEvent{Method: "REQUEST", Meeting: m, Organization: mn.organization, Sequence: seq,
		Organizer: w.cfg.From, Attendee: to, Link: w.cfg.BaseURL + fmt.Sprintf("/reader/meetings/%d", m.ID), Stamp: now})
	return &notify.Calendar{Method: "REQUEST", Data: data}, nil
}
