// Package notifytest provides a notify.Sender that keeps what it is given
// in memory, for the tests of packages that send messages; it stands in for
// a mail server where the test is about what is sent, not how. The SMTP
// adapter's own tests use a real server (notify/mailpittest).
package notifytest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/ratsmappe/ratsmappe/notify"
)

// Sender is an in-memory notify.Sender. The zero value accepts every
// message. It is safe for concurrent use.
type Sender struct {
	// Fail, if set, is asked before each message is accepted, with the
	// number of earlier attempts to send a message of the same Message-ID;
	// a non-nil error is returned instead of accepting it. Wrap
	// notify.ErrRejected for a permanent refusal.
	Fail func(msg notify.Message, earlier int) error

	mu       sync.Mutex
	sent     []notify.Message
	attempts map[string]int
}

var _ notify.Sender = (*Sender)(nil)

// Send implements notify.Sender: it accepts msg, unless Fail refuses it or
// ctx is done, and returns a receipt with a queue id of the form "fake-N".
func (s *Sender) Send(ctx context.Context, msg notify.Message) (notify.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return notify.Receipt{}, err
	}
	if msg.MessageID == "" {
		msg.MessageID = notify.MessageID(msg.Key, notify.Domain(msg.From))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.attempts == nil {
		s.attempts = make(map[string]int)
	}
	earlier := s.attempts[msg.MessageID]
	s.attempts[msg.MessageID]++
	if s.Fail != nil {
		if err := s.Fail(msg, earlier); err != nil {
			return notify.Receipt{}, err
		}
	}
	s.sent = append(s.sent, msg)
	q := fmt.Sprintf("fake-%d", len(s.sent))
	return notify.Receipt{MessageID: msg.MessageID, QueueID: q, Response: "2.0.0 Ok: queued as " + q}, nil
}

// Sent returns the accepted messages in the order they were accepted.
func (s *Sender) Sent() []notify.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.Message(nil), s.sent...)
}

// To returns the accepted messages to one address.
func (s *Sender) To(addr string) []notify.Message {
	var out []notify.Message
	for _, m := range s.Sent() {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// Attempts returns how often a message of the given Message-ID was offered,
// accepted or not.
func (s *Sender) Attempts(messageID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[messageID]
}
