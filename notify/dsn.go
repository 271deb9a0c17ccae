package notify

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"

	"github.com/ratsmappe/ratsmappe"
)

// DSN is a delivery status notification (RFC 3464): the report a mail
// server sends back when it could not deliver a message it had accepted
// (a bounce).
type DSN struct {
	// MessageID is the Message-ID of the message the report is about,
	// without brackets, from the copy or headers the report returns.
	MessageID string
	// Recipients are the report's per-recipient statuses.
	Recipients []DSNRecipient
}

// DSNRecipient is the status of one recipient in a DSN.
type DSNRecipient struct {
	Address string // the Final-Recipient's address
	// Action is "failed", "delayed", "delivered", "relayed" or
	// "expanded"; only "failed" is a bounce.
	Action     string
	Status     string // e.g. "5.1.1"
	Diagnostic string // the Diagnostic-Code, e.g. "smtp; 550 5.1.1 user unknown"
}

// Failed returns the recipients the report says the message failed for
// for good, or nil if it reports no bounce.
func (d *DSN) Failed() []DSNRecipient {
	var out []DSNRecipient
	for _, r := range d.Recipients {
		if r.Action == "failed" {
			out = append(out, r)
		}
	}
	return out
}

// Limits on the reports ParseDSN reads.
const (
	maxDSNDepth      = 4  // a report forwarded as an attachment, and so on
	maxDSNParts      = 50 // MIME parts in all
	maxDSNRecipients = 100
)

// ParseDSN reads a delivery status notification from r: the report
// itself (multipart/report; report-type=delivery-status), or a message
// that carries it as an attachment (message/rfc822), as a mail
// administrator forwards it. It is untrusted input: malformed or
// unrecognised reports are an EINVALID error, never a panic.
func ParseDSN(r io.Reader) (*DSN, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return nil, notDSN()
	}
	p := &dsnParser{}
	if err := p.entity(textproto.MIMEHeader(msg.Header), msg.Body, 0, false); err != nil {
		return nil, err
	}
	if p.dsn == nil || p.dsn.MessageID == "" || len(p.dsn.Recipients) == 0 {
		return nil, notDSN()
	}
	return p.dsn, nil
}

func notDSN() error {
	return &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: "not_dsn",
		Message:   "Das ist kein Unzustellbarkeitsbericht (RFC 3464) mit der Message-ID der Nachricht.",
		MessageEN: "This is no delivery status notification (RFC 3464) naming the message's Message-ID."}
}

type dsnParser struct {
	dsn   *DSN
	parts int
}

// entity reads one MIME entity; inReport says it is a part of a
// multipart/report, where a message is the returned original.
func (p *dsnParser) entity(h textproto.MIMEHeader, body io.Reader, depth int, inReport bool) error {
	if p.parts++; p.parts > maxDSNParts || depth > maxDSNDepth {
		return notDSN()
	}
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ctype = "text/plain"
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("Content-Transfer-Encoding")), "base64") {
		body = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	}
	switch {
	case strings.HasPrefix(ctype, "multipart/"):
		if params["boundary"] == "" {
			return notDSN()
		}
		mr := multipart.NewReader(body, params["boundary"])
		report := ctype == "multipart/report"
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return notDSN()
			}
			if err := p.entity(part.Header, part, depth+1, report); err != nil {
				return err
			}
		}
	case ctype == "message/delivery-status" || ctype == "message/global-delivery-status":
		return p.status(body)
	case inReport && (ctype == "message/rfc822" || ctype == "text/rfc822-headers" || ctype == "message/global" || ctype == "message/global-headers"):
		// The returned original, or its headers: its Message-ID.
		tp := textproto.NewReader(bufio.NewReader(body))
		oh, err := tp.ReadMIMEHeader()
		if err != nil && len(oh) == 0 {
			return notDSN()
		}
		if p.dsn != nil && p.dsn.MessageID == "" {
			p.dsn.MessageID = messageID(oh.Get("Message-Id"))
		}
		return nil
	case ctype == "message/rfc822":
		// A report forwarded as an attachment.
		msg, err := mail.ReadMessage(bufio.NewReader(body))
		if err != nil {
			return nil
		}
		return p.entity(textproto.MIMEHeader(msg.Header), msg.Body, depth+1, false)
	}
	return nil
}

// status reads the fields of a message/delivery-status part: a block of
// per-message fields, then a block per recipient.
func (p *dsnParser) status(body io.Reader) error {
	if p.dsn == nil {
		p.dsn = &DSN{}
	}
	b, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return notDSN()
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(bytes.TrimLeft(b, "\r\n"), "\r\n\r\n"...))))
	for len(p.dsn.Recipients) < maxDSNRecipients {
		f, err := tp.ReadMIMEHeader()
		if len(f) == 0 {
			if err != nil {
				return nil
			}
			continue
		}
		if rcpt := f.Get("Final-Recipient"); rcpt != "" {
			_, addr, _ := strings.Cut(rcpt, ";")
			p.dsn.Recipients = append(p.dsn.Recipients, DSNRecipient{
				Address:    strings.Trim(strings.TrimSpace(addr), "<>"),
				Action:     strings.ToLower(strings.TrimSpace(f.Get("Action"))),
				Status:     strings.TrimSpace(f.Get("Status")),
				Diagnostic: strings.Join(strings.Fields(f.Get("Diagnostic-Code")), " "),
			})
		}
		if err != nil {
			return nil
		}
	}
	return nil
}

// messageID returns a Message-ID header's id without brackets and
// spaces.
func messageID(v string) string {
	return strings.Trim(strings.TrimSpace(v), "<>")
}
