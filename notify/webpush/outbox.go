package webpush

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/notify"
)

// Pushes go through the notify outbox like e-mail: written in the
// transaction of their cause, one message per device (Enqueue), sent by
// the outbox's worker with retries (OutboxSender). The notification's tag
// is the message's Message-ID, the same for every attempt: should a push
// be delivered twice (accepted, then the worker died before recording
// it), the reader's service worker shows it once, replacing the first by
// the second.

// Notice is what a push notification says.
type Notice struct {
	// Key names the cause and the member, as for an e-mail; each device's
	// message gets Key + "/push/" + its subscription id.
	Key   string
	Title string
	Body  string
	// URL is the page the notification opens: a path into the reader.
	URL string
	// TTL is how long the push service keeps it for an offline device;
	// zero: a day.
	TTL time.Duration
}

// Enqueue writes one push message per device of account into the outbox
// within tx, the transaction of the cause; it returns how many were
// added (0 for an account without devices, or a cause enqueued before).
func Enqueue(ctx context.Context, tx *sql.Tx, o *notify.Outbox, account int64, n Notice) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM push_subscriptions WHERE account_id = ? ORDER BY id`, account)
	if err != nil {
		return 0, fmt.Errorf("enqueue push: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("enqueue push: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("enqueue push: %w", err)
	}
	added := 0
	for _, id := range ids {
		ok, err := o.Enqueue(ctx, tx, notify.Message{
			Key: fmt.Sprintf("%s/push/%d", n.Key, id), Channel: notify.ChannelPush, To: "push:" + strconv.FormatInt(id, 10),
			Subject: n.Title, Text: n.Body, URL: n.URL, TTL: n.TTL,
		})
		if err != nil {
			return added, err
		}
		if ok {
			added++
		}
	}
	return added, nil
}

// payload is what the reader's service worker receives.
type payload struct {
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	URL   string `json:"url,omitempty"`
	Tag   string `json:"tag"`
}

// OutboxSender is the notify.Sender of the push channel.
type OutboxSender struct {
	Store  *Store
	Sender *Sender
}

// Send delivers msg to its device. A subscription gone at the push
// service is removed and the message rejected for good; so is one the
// service refuses for other reasons than load.
func (s OutboxSender) Send(ctx context.Context, msg notify.Message) (notify.Receipt, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(msg.To, "push:"), 10, 64)
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("%w: bad push recipient %q", notify.ErrRejected, msg.To)
	}
	d, err := s.Store.device(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Receipt{}, fmt.Errorf("%w: the device unsubscribed", notify.ErrRejected)
	}
	if err != nil {
		return notify.Receipt{}, err
	}
	body, err := json.Marshal(payload{Title: msg.Subject, Body: msg.Text, URL: msg.URL, Tag: msg.MessageID})
	if err != nil {
		return notify.Receipt{}, err
	}
	ttl := msg.TTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	sum := sha256.Sum256([]byte(msg.Key))
	rcpt, sendErr := s.Sender.Send(ctx, d.Sub, Push{Payload: body, TTL: ttl, Urgency: UrgencyNormal, Topic: b64(sum[:18])})
	if err := s.Store.Delivered(ctx, id, sendErr); err != nil {
		return notify.Receipt{}, err
	}
	if sendErr != nil {
		var pe *Error
		if errors.As(sendErr, &pe) && !pe.Temporary {
			return notify.Receipt{}, fmt.Errorf("%w: %v", notify.ErrRejected, sendErr)
		}
		return notify.Receipt{}, sendErr
	}
	return notify.Receipt{MessageID: msg.MessageID, QueueID: rcpt.Location, Response: strconv.Itoa(rcpt.Status)}, nil
}
