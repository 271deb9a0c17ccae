package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns the package's forward-only schema migrations, applied
// with scope "notify" after sessions', whose accounts the push
// subscriptions refer to.
func Migrations() fs.FS { return ratsmappe.MigrationsIn(migrations) }

// PostgresMigrations returns the same migrations for PostgreSQL.
func PostgresMigrations() fs.FS { return ratsmappe.PostgresMigrationsIn(migrations) }

// Limits on what Enqueue accepts: a message is built by Ratsmappe, so a
// larger one is a bug, not a user's input to store.
const (
	MaxKey  = 300
	MaxBody = 2 << 20 // bytes of Text, HTML and Calendar together
)

// Options configure an Outbox; the zero value of each field means the
// default named.
type Options struct {
	// Domain of the Message-IDs of messages without From (the domain of
	// RATSMAPPE_MAIL_FROM); default "ratsmappe.invalid".
	Domain string
	// MaxAttempts before a message is given up as failed; default 10
	// (with the default backoff, about 8½ hours of trying).
	MaxAttempts int
	// BackoffBase is the wait after the first failed attempt, doubled after
	// each further one up to BackoffMax; defaults 30 s and 1 h.
	BackoffBase, BackoffMax time.Duration
	// Lease is how long a worker owns a claimed message; a message still
	// marked sending after that (its worker died) is sent again. It must
	// exceed the time to send a batch; default 5 min.
	Lease time.Duration
	// SendTimeout bounds one Send; default 1 min.
	SendTimeout time.Duration
	// Batch is how many messages one claim takes, Concurrency how many are
	// sent at once; defaults 32 and 4.
	Batch, Concurrency int
	// Poll is how often Run looks for due messages when not kicked;
	// default 1 s.
	Poll time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives the database errors Run outlives; default
	// slog.Default().
	Log *slog.Logger
}

// Outbox is the durable queue of messages and the worker that sends them.
type Outbox struct {
	db     *sql.DB
	sender Sender
	opt    Options
	kick   chan struct{}
	// skipLocked ends the claim's choice of rows: on PostgreSQL, where
	// several app servers claim at once, each takes rows no other claim
	// holds; SQLite's one writer serialises the claims anyway.
	skipLocked string
}

// NewOutbox returns an outbox over db, whose schema Migrations has made,
// sending through sender.
func NewOutbox(db *sql.DB, sender Sender, opt Options) *Outbox {
	if opt.Domain == "" {
		opt.Domain = "ratsmappe.invalid"
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	if opt.BackoffBase <= 0 {
		opt.BackoffBase = 30 * time.Second
	}
	if opt.BackoffMax <= 0 {
		opt.BackoffMax = time.Hour
	}
	if opt.Lease <= 0 {
		opt.Lease = 5 * time.Minute
	}
	if opt.SendTimeout <= 0 {
		opt.SendTimeout = time.Minute
	}
	if opt.Batch <= 0 {
		opt.Batch = 32
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	o := &Outbox{db: db, sender: sender, opt: opt, kick: make(chan struct{}, 1)}
	if sqldb.DialectOf(db) == sqldb.Postgres {
		o.skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	return o
}

// Enqueue writes msg to the outbox within tx, the transaction of the change
// that causes it: the message exists if and only if the change commits. It
// sets msg's MessageID from its Key. A message whose Key is already in the
// outbox is not added again, whatever its content: the first one stands,
// and Enqueue reports added false. A malformed message is an EINVALID error.
// After the commit, Kick makes a running worker send it at once.
func (o *Outbox) Enqueue(ctx context.Context, tx *sql.Tx, msg Message) (added bool, err error) {
	if err := validate(msg); err != nil {
		return false, err
	}
	domain := Domain(msg.From)
	if domain == "" {
		domain = o.opt.Domain
	}
	msg.MessageID = MessageID(msg.Key, domain)
	body, err := json.Marshal(msg)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", msg.Key, err)
	}
	now := o.opt.Now().UnixMilli()
	res, err := tx.ExecContext(ctx, `INSERT INTO notify_outbox
		(key, recipient, message_id, message, created_at, due_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		msg.Key, msg.To, msg.MessageID, string(body), now, now)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", msg.Key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", msg.Key, err)
	}
	return n == 1, nil
}

func validate(m Message) error {
	invalid := func(de, en string) error {
		return &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: "bad_message", Message: de, MessageEN: en}
	}
	switch {
	case m.Key == "" || len(m.Key) > MaxKey:
		return invalid("Nachricht ohne gültigen Schlüssel.", "Message without a valid key.")
	case m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n"):
		return invalid("Nachricht ohne gültigen Betreff.", "Message without a valid subject.")
	case m.Text == "":
		return invalid("Nachricht ohne Text.", "Message without text.")
	case len(m.Text)+len(m.HTML)+calendarLen(m.Calendar) > MaxBody:
		return &ratsmappe.Error{Code: ratsmappe.ETOOLARGE, Message: "Nachricht zu groß.", MessageEN: "Message too large."}
	case strings.ContainsAny(m.ToName, "\r\n"):
		return invalid("Ungültiger Empfängername.", "Invalid recipient name.")
	case m.Channel == ChannelPush:
		if id, ok := strings.CutPrefix(m.To, "push:"); !ok || id == "" || strings.Trim(id, "0123456789") != "" {
			return invalid("Push-Nachricht ohne gültiges Gerät.", "Push message without a valid device.")
		}
		if len(m.Subject)+len(m.Text) > MaxPushText {
			return &ratsmappe.Error{Code: ratsmappe.ETOOLARGE, Message: "Push-Nachricht zu lang.", MessageEN: "Push message too long."}
		}
		if m.URL != "" && !strings.HasPrefix(m.URL, "/") && !strings.HasPrefix(m.URL, "https://") {
			return invalid("Ungültiger Link der Push-Nachricht.", "Invalid link of the push message.")
		}
		return nil
	case m.Channel != "" && m.Channel != ChannelEmail:
		return invalid("Unbekannter Kanal.", "Unknown channel.")
	}
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To {
		return invalid(fmt.Sprintf("Ungültige E-Mail-Adresse %q.", m.To), fmt.Sprintf("Invalid e-mail address %q.", m.To))
	}
	if m.From != "" {
		if _, err := mail.ParseAddress(m.From); err != nil {
			return invalid("Ungültiger Absender.", "Invalid sender.")
		}
	}
	if c := m.Calendar; c != nil {
		if c.Method != "REQUEST" && c.Method != "CANCEL" && c.Method != "PUBLISH" {
			return invalid("Kalendermethode muss REQUEST, CANCEL oder PUBLISH sein.", "Calendar method must be REQUEST, CANCEL or PUBLISH.")
		}
		// Clients act on the object's METHOD, mail servers and filters on
		// the part's: they must agree, or a cancellation reads as an update.
		if !strings.HasPrefix(c.Data, "BEGIN:VCALENDAR") || !strings.Contains(c.Data, "\r\nMETHOD:"+c.Method+"\r\n") {
			return invalid("Kalenderdaten passen nicht zur Methode.", "Calendar data do not match the method.")
		}
	}
	for i, u := range m.Unsubscribe {
		ok := strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "mailto:") ||
			(!m.OneClick && strings.HasPrefix(u, "http://"))
		if !ok || strings.ContainsAny(u, "<>\r\n ,") || (i == 0 && m.OneClick && !strings.HasPrefix(u, "https://")) {
			return invalid("Ungültiger Abmeldelink.", "Invalid unsubscribe link.")
		}
	}
	return nil
}

func calendarLen(c *Calendar) int {
	if c == nil {
		return 0
	}
	return len(c.Data)
}

// Kick wakes a running worker to look for due messages now, for callers
// that just committed an Enqueue. It never blocks.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx is done, then returns nil. Several
// workers, in one process or several, may run over one database: a claim
// is a transaction (on PostgreSQL its rows are taken FOR UPDATE SKIP
// LOCKED), and a claimed message belongs to its worker for the
// lease. Errors of the database are logged in the attempt rows where they
// concern one message. When the database itself fails (busy, a restart
// of PostgreSQL), Run logs it and tries again, waiting longer each time
// (1 s, doubling up to a minute): a worker that stopped for good would
// leave invitations and notices unsent until the server restarts. It
// returns only when ctx is done (with nil; the error return stays for
// callers that treat the worker as a goroutine that may fail).
func (o *Outbox) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	log := o.opt.Log
	if log == nil {
		log = slog.Default()
	}
	wait := o.opt.Poll
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.kick:
		case <-t.C:
		}
		_, err := o.SendDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err != nil:
			wait = min(max(2*wait, time.Second), time.Minute)
			log.Error("outbox: database failed, trying again", "err", err, "in", wait)
		default:
			wait = o.opt.Poll
		}
		t.Reset(wait)
	}
}

// SendDue sends every message due now (and any that become due while it
// runs, such as those of a worker whose lease ran out) and returns how many
// attempts it made. Run calls it; tests call it with a fake clock.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		claimed, err := o.claim(ctx)
		if err != nil {
			return total, err
		}
		if len(claimed) == 0 {
			return total, nil
		}
		total += len(claimed)
		work := make(chan claim)
		var wg sync.WaitGroup
		errs := make(chan error, len(claimed))
		for range min(o.opt.Concurrency, len(claimed)) {
			wg.Go(func() {
				for c := range work {
					if err := o.attempt(ctx, c); err != nil {
						errs <- err
					}
				}
			})
		}
		for _, c := range claimed {
			work <- c
		}
		close(work)
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return total, err
		}
	}
	return total, nil
}

type claim struct {
	id      int64
	attempt int
	msg     Message
}

// claim takes up to Batch due messages in one transaction: it closes the
// attempts of messages whose worker's lease ran out as interrupted, marks
// the claimed messages sending under a new lease, and opens an attempt for
// each.
func (o *Outbox) claim(ctx context.Context) ([]claim, error) {
	now := o.opt.Now().UnixMilli()
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE notify_attempts
		SET finished_at = ?, outcome = 'interrupted', error = 'worker stopped before the outcome was recorded'
		WHERE finished_at IS NULL AND outbox_id IN (
			SELECT id FROM notify_outbox WHERE state = 'sending' AND lease_until <= ?)`, now, now); err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `UPDATE notify_outbox
		SET state = 'sending', attempts = attempts + 1, lease_until = ?
		WHERE id IN (
			SELECT id FROM notify_outbox
			WHERE (state = 'pending' AND due_at <= ?) OR (state = 'sending' AND lease_until <= ?)
			ORDER BY due_at, id LIMIT ?`+o.skipLocked+`)
		RETURNING id, attempts, message`, now+o.opt.Lease.Milliseconds(), now, now, o.opt.Batch)
	if err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	var claimed []claim
	for rows.Next() {
		var c claim
		var body string
		if err := rows.Scan(&c.id, &c.attempt, &body); err != nil {
			rows.Close()
			return nil, fmt.Errorf("outbox claim: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &c.msg); err != nil {
			rows.Close()
			return nil, fmt.Errorf("outbox claim: message %d: %w", c.id, err)
		}
		claimed = append(claimed, c)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	for _, c := range claimed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_attempts (outbox_id, attempt, started_at)
			VALUES (?, ?, ?)`, c.id, c.attempt, now); err != nil {
			return nil, fmt.Errorf("outbox claim: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	return claimed, nil
}

// attempt sends one claimed message and records the outcome.
func (o *Outbox) attempt(ctx context.Context, c claim) error {
	var (
		rcpt    Receipt
		sendErr error
	)
	if c.attempt > o.opt.MaxAttempts {
		// Claimed again after its last attempt was interrupted: give up
		// rather than crash the worker forever on one message. It is no
		// refusal (no server said no), so Rejected stays false.
		sendErr = fmt.Errorf("gave up after %d attempts", o.opt.MaxAttempts)
	} else {
		sctx, cancel := context.WithTimeout(ctx, o.opt.SendTimeout)
		rcpt, sendErr = o.sender.Send(sctx, c.msg)
		cancel()
	}
	// The outcome is recorded even when ctx was cancelled meanwhile: a
	// message the server accepted must not be sent again needlessly.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	now := o.opt.Now()
	tx, err := o.db.BeginTx(rctx, nil)
	if err != nil {
		return fmt.Errorf("outbox record: %w", err)
	}
	defer tx.Rollback()
	outcome, errText := "accepted", ""
	switch {
	case sendErr == nil:
		_, err = tx.ExecContext(rctx, `UPDATE notify_outbox
			SET state = 'sent', sent_at = ?, queue_id = ?, response = ?, lease_until = NULL, last_error = NULL
			WHERE id = ? AND state = 'sending' AND attempts = ?`,
			now.UnixMilli(), nullable(rcpt.QueueID), nullable(rcpt.Response), c.id, c.attempt)
	case ctx.Err() != nil && !errors.Is(sendErr, ErrRejected) && c.attempt <= o.opt.MaxAttempts:
		// Stopped mid-send: try again at once on the next start, without
		// counting this against the message's backoff.
		outcome, errText = "interrupted", sendErr.Error()
		_, err = tx.ExecContext(rctx, `UPDATE notify_outbox
			SET state = 'pending', due_at = ?, lease_until = NULL, last_error = ?
			WHERE id = ? AND state = 'sending' AND attempts = ?`, now.UnixMilli(), errText, c.id, c.attempt)
	case errors.Is(sendErr, ErrRejected) || c.attempt >= o.opt.MaxAttempts:
		outcome, errText = "rejected", sendErr.Error()
		if !errors.Is(sendErr, ErrRejected) {
			outcome = "temporary"
		}
		_, err = tx.ExecContext(rctx, `UPDATE notify_outbox
			SET state = 'failed', lease_until = NULL, last_error = ?
			WHERE id = ? AND state = 'sending' AND attempts = ?`, errText, c.id, c.attempt)
	default:
		outcome, errText = "temporary", sendErr.Error()
		due := now.Add(o.backoff(c))
		_, err = tx.ExecContext(rctx, `UPDATE notify_outbox
			SET state = 'pending', due_at = ?, lease_until = NULL, last_error = ?
			WHERE id = ? AND state = 'sending' AND attempts = ?`, due.UnixMilli(), errText, c.id, c.attempt)
	}
	if err != nil {
		return fmt.Errorf("outbox record %d: %w", c.id, err)
	}
	if _, err := tx.ExecContext(rctx, `UPDATE notify_attempts
		SET finished_at = ?, outcome = ?, queue_id = ?, response = ?, error = ?
		WHERE outbox_id = ? AND attempt = ?`,
		now.UnixMilli(), outcome, nullable(rcpt.QueueID), nullable(rcpt.Response), nullable(errText),
		c.id, c.attempt); err != nil {
		return fmt.Errorf("outbox record %d: %w", c.id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox record %d: %w", c.id, err)
	}
	return nil
}

// backoff is the wait after the given failed attempt: Backoff plus a
// jitter of up to a tenth, derived from the message and the attempt so that
// messages that failed together (a server down) do not all return at once,
// while a test can still predict the bounds.
func (o *Outbox) backoff(c claim) time.Duration {
	d := Backoff(c.attempt, o.opt.BackoffBase, o.opt.BackoffMax)
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", c.msg.Key, c.attempt))
	return d + time.Duration(binary.BigEndian.Uint64(h[:8])%uint64(d/10+1))
}

// Backoff returns the wait after failed attempt n (1 for the first): base,
// doubled for each further attempt, at most max.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Backlog returns how many messages are still to be sent: pending (due or
// waiting to be retried) or claimed by a worker.
func (o *Outbox) Backlog(ctx context.Context) (int, error) {
	var n int
	if err := o.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_outbox
		WHERE state IN ('pending', 'sending')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox backlog: %w", err)
	}
	return n, nil
}

// State is where a message stands in the outbox.
type State string

// States of a message.
const (
	Pending State = "pending" // waiting to be sent, or to be retried
	Sending State = "sending" // claimed by a worker
	Sent    State = "sent"    // accepted by the mail system
	Failed  State = "failed"  // rejected for good, or given up
)

// Delivery is the record of one message: the proof of its delivery.
type Delivery struct {
	Key       string
	To        string
	MessageID string
	State     State
	Attempts  int
	Created   time.Time
	Due       time.Time // next attempt, while pending
	Sent      time.Time // zero unless sent
	QueueID   string
	Response  string
	LastError string
	Log       []Attempt
}

// Rejected reports whether the mail system refused the message for good
// (the Sender's ErrRejected: for SMTP a 5xx reply to RCPT TO or the data,
// a bounce at sending time); LastError then holds the server's reply. A
// message given up after MaxAttempts temporary failures is Failed but not
// Rejected.
func (d Delivery) Rejected() bool {
	return d.State == Failed && len(d.Log) > 0 && d.Log[len(d.Log)-1].Outcome == "rejected"
}

// Attempt is one try to send a message.
type Attempt struct {
	N        int
	Started  time.Time
	Finished time.Time // zero while under way
	// Outcome is "accepted", "temporary", "rejected", "interrupted", or
	// "" while under way.
	Outcome  string
	QueueID  string
	Response string
	Error    string
}

// FindDeliveryByMessageID returns the record of the message with the
// given Message-ID (without brackets; case-insensitive), as a bounce
// report names it, or an ENOTFOUND error.
func (o *Outbox) FindDeliveryByMessageID(ctx context.Context, messageID string) (Delivery, error) {
	var key string
	err := o.db.QueryRowContext(ctx, `SELECT key FROM notify_outbox WHERE message_id = ?`,
		strings.ToLower(strings.Trim(strings.TrimSpace(messageID), "<>"))).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, &ratsmappe.Error{Code: ratsmappe.ENOTFOUND, Message: "Nachricht nicht gefunden.", MessageEN: "Message not found."}
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("find delivery: %w", err)
	}
	return o.FindDelivery(ctx, key)
}

// FindDelivery returns the record of the message with the given key, with
// its attempts in order, or an ENOTFOUND error.
func (o *Outbox) FindDelivery(ctx context.Context, key string) (Delivery, error) {
	var (
		d                          Delivery
		id, created, due           int64
		sent                       sql.NullInt64
		queueID, response, lastErr sql.NullString
	)
	err := o.db.QueryRowContext(ctx, `SELECT id, key, recipient, message_id, state, attempts,
		created_at, due_at, sent_at, queue_id, response, last_error
		FROM notify_outbox WHERE key = ?`, key).Scan(&id, &d.Key, &d.To, &d.MessageID, &d.State,
		&d.Attempts, &created, &due, &sent, &queueID, &response, &lastErr)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, &ratsmappe.Error{Code: ratsmappe.ENOTFOUND, Message: "Nachricht nicht gefunden.", MessageEN: "Message not found."}
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("find delivery: %w", err)
	}
	d.Created, d.Due = time.UnixMilli(created).UTC(), time.UnixMilli(due).UTC()
	if sent.Valid {
		d.Sent = time.UnixMilli(sent.Int64).UTC()
	}
	d.QueueID, d.Response, d.LastError = queueID.String, response.String, lastErr.String
	rows, err := o.db.QueryContext(ctx, `SELECT attempt, started_at, finished_at, outcome, queue_id, response, error
		FROM notify_attempts WHERE outbox_id = ? ORDER BY attempt`, id)
	if err != nil {
		return Delivery{}, fmt.Errorf("find delivery: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a                   Attempt
			started             int64
			finished            sql.NullInt64
			outcome, aq, ar, ae sql.NullString
		)
		if err := rows.Scan(&a.N, &started, &finished, &outcome, &aq, &ar, &ae); err != nil {
			return Delivery{}, fmt.Errorf("find delivery: %w", err)
		}
		a.Started = time.UnixMilli(started).UTC()
		if finished.Valid {
			a.Finished = time.UnixMilli(finished.Int64).UTC()
		}
		a.Outcome, a.QueueID, a.Response, a.Error = outcome.String, aq.String, ar.String, ae.String
		d.Log = append(d.Log, a)
	}
	if err := rows.Err(); err != nil {
		return Delivery{}, fmt.Errorf("find delivery: %w", err)
	}
	return d, nil
}
