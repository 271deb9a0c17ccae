// Package notify delivers the messages Ratsmappe owes people — invitations
// (Ladung), change notifications, citizen alerts — without losing one or
// sending one twice.
//
// A change that causes a message writes it to the outbox in the same
// transaction as the change itself (Outbox.Enqueue); a worker
// (Outbox.Run) then hands it to a Sender, retrying with exponential backoff,
// and records the mail system's acceptance and every attempt as proof of
// delivery. Which technology carries the message is the Sender's business:
// the SMTP adapter lives in notify/smtp, a fake for other packages' tests in
// notify/notifytest.
//
// # Delivery guarantee
//
// Every message has an idempotency key naming the cause and the recipient
// (say "ladung/meeting/42/v3/person/7"); the outbox holds at most one
// message per key, so a cause replayed after a crash enqueues nothing new.
// Its Message-ID is derived from the key (MessageID), so every attempt to
// send it carries the same one. Sending is at least once: a process killed
// after the server accepted a message but before the outbox recorded it
// sends it again. The second copy has the same Message-ID, and mail
// clients, mailbox servers and the proof-of-access table count messages by
// Message-ID, so the recipient sees and the office proves exactly one. That
// is the exactly-once-in-effect guarantee; SMTP itself offers no more.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"
	"time"
)

// Message is one e-mail, or one Web Push notification, to one recipient.
type Message struct {
	// Key is the idempotency key: one per cause and recipient. The outbox
	// sends at most one message per key and derives MessageID from it.
	Key string `json:"key"`
	// Channel is ChannelEmail (the default when empty) or ChannelPush. A
	// push goes to one device: To is "push:" and the id of its
	// subscription (package notify/webpush), Subject the notification's
	// title, Text its body and URL the page it opens; the other fields are
	// for e-mail. TTL is how long the push service keeps a push for an
	// offline device (zero: a day).
	Channel string        `json:"channel,omitempty"`
	URL     string        `json:"url,omitempty"`
	TTL     time.Duration `json:"ttl,omitempty"`
	// From is the sender ("Ratsmappe Lindenau <ratsmappe@lindenau.example>");
	// empty means the Sender's default.
	From string `json:"from,omitempty"`
	// To is the recipient's address, ToName their name for the header.
	To     string `json:"to"`
	ToName string `json:"toName,omitempty"`
	// Subject, Text (plain text, required) and HTML (optional alternative).
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	// Language of the message, for Content-Language; empty means "de".
	Language string `json:"language,omitempty"`
	// MessageID is the Message-ID without angle brackets. The outbox sets
	// it from Key; a Sender uses it as given, or makes one if it is empty.
	MessageID string `json:"messageId,omitempty"`
	// Unsubscribe lists the URIs of the List-Unsubscribe header (RFC 2369):
	// an https: link and optionally a mailto:. With OneClick the first,
	// an https: URI, takes a POST (RFC 8058), so mail clients can offer
	// "unsubscribe" without opening a page.
	Unsubscribe []string `json:"unsubscribe,omitempty"`
	OneClick    bool     `json:"oneClick,omitempty"`
	// Calendar is an optional iCalendar part (RFC 6047), for invitations.
	Calendar *Calendar `json:"calendar,omitempty"`
}

// The channels a message goes by.
const (
	ChannelEmail = "email"
	ChannelPush  = "push"
)

// MaxPushText bounds a push notification's title and body together: a
// push carries a short notice and a link, never a document.
const MaxPushText = 1000

// Calendar is an iCalendar object sent along with a message.
type Calendar struct {
	// Method is the iTIP method (RFC 5546): "REQUEST" for an invitation or
	// its update, "CANCEL" for a cancelled meeting. It must equal the
	// object's METHOD property.
	Method string `json:"method"`
	// Data is the VCALENDAR object, lines ending in CRLF.
	Data string `json:"data"`
}

// Receipt is the mail system's acceptance of a message: the proof that it
// left Ratsmappe.
type Receipt struct {
	// MessageID is the Message-ID the message carried, without brackets.
	MessageID string `json:"messageId"`
	// QueueID is the server's queue id from its 250 reply ("queued as
	// …"), empty if the reply names none.
	QueueID string `json:"queueId,omitempty"`
	// Response is the server's whole final reply, for the record.
	Response string `json:"response,omitempty"`
}

// Sender hands messages to a mail system.
//
// Send returns once the mail system has accepted msg for delivery (for SMTP:
// the 250 reply to the message data), with the acceptance. It uses
// msg.MessageID as the message's Message-ID when set, so that resending a
// message produces the same one. An error that wraps ErrRejected means the
// mail system refused the message for good (an SMTP 5xx reply, an invalid
// address): sending it again cannot succeed. Any other error is
// temporary, and the message may or may not have been accepted (the
// connection can break after the data was sent); the caller may retry.
// Send honours ctx's deadline and cancellation, and is safe for concurrent
// use.
type Sender interface {
	Send(ctx context.Context, msg Message) (Receipt, error)
}

// ErrRejected is wrapped by a Sender's error when the mail system refused a
// message for good.
var ErrRejected = errors.New("message rejected")

// MessageID returns the Message-ID (without brackets) of the message with
// the given idempotency key, at the domain of the sending address: the same
// key always gives the same Message-ID, different keys different ones. The
// key itself does not appear, since it names people and meetings.
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	local := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20]))
	if domain == "" {
		domain = "ratsmappe.invalid"
	}
	return local + "@" + domain
}

// Domain returns the domain of an address such as "Name <a@b.example>" or
// "a@b.example", or "" if it has none.
func Domain(addr string) string {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(addr, ">")
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// Channels is the Sender of an outbox that carries both channels: each
// message goes to the Sender of its channel. A channel without one keeps
// its messages waiting (a temporary error), so that configuring it later
// still delivers them within the retries.
type Channels struct {
	Email, Push Sender
}

// Send hands msg to the Sender of its channel.
func (c Channels) Send(ctx context.Context, msg Message) (Receipt, error) {
	s, name := c.Email, "e-mail"
	if msg.Channel == ChannelPush {
		s, name = c.Push, "push"
	}
	if s == nil {
		return Receipt{}, errors.New("no " + name + " sender configured")
	}
	return s.Send(ctx, msg)
}
