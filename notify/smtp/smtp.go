// Package smtp is the notify.Sender that delivers e-mail to an SMTP server
// (RATSMAPPE_SMTP_URL), built on github.com/wneessen/go-mail. It is the only
// package that imports that library.
//
// A message goes out as multipart/alternative — plain text first, then
// HTML, then the iCalendar object if there is one (text/calendar with its
// METHOD, RFC 6047), and the same object as an einladung.ics attachment for
// clients that ignore calendar alternatives.
package smtp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/notify"
)

// Config configures a Sender.
type Config struct {
	// URL names the server and how to reach it:
	//
	//	smtp://user:pass@host:587   STARTTLS, required (default port 587)
	//	smtps://user:pass@host      TLS from the first byte (default port 465)
	//	smtp://localhost:1025       a local relay: STARTTLS if offered
	//
	// The query parameter tls=required|opportunistic|none overrides the
	// STARTTLS policy of smtp:// (opportunistic is the default only for a
	// loopback host); credentials are refused over a connection that may
	// stay unencrypted to another host. helo= sets the HELO name.
	URL string
	// From is the default sender (RATSMAPPE_MAIL_FROM) for messages
	// without one.
	From string
	// TLS, if set, is the TLS configuration (tests trust their own
	// certificate with it); ServerName is filled in from the URL.
	TLS *tls.Config
	// Timeout bounds connecting and each SMTP command; default 30 s.
	Timeout time.Duration
}

// Sender sends messages over SMTP, one connection per message.
type Sender struct {
	from string
	opts []mail.Option
	host string
}

var _ notify.Sender = (*Sender)(nil)

// New returns a Sender for cfg, or an EINVALID error saying what is wrong
// with the URL (without its password).
func New(cfg Config) (*Sender, error) {
	invalid := func(de, en string) error {
		return &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: "bad_smtp_url",
			Message: "RATSMAPPE_SMTP_URL: " + de, MessageEN: "RATSMAPPE_SMTP_URL: " + en}
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, invalid("keine gültige URL der Form smtp://benutzer:passwort@host:587.",
			"not a valid URL of the form smtp://user:pass@host:587.")
	}
	if cfg.From == "" {
		return nil, invalid("kein Absender (RATSMAPPE_MAIL_FROM).", "no sender (RATSMAPPE_MAIL_FROM).")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, invalid("ungültiger Absender "+strconv.Quote(cfg.From)+".", "invalid sender "+strconv.Quote(cfg.From)+".")
	}
	host := u.Hostname()
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS != nil {
		tlsConf = cfg.TLS.Clone()
	}
	tlsConf.ServerName = host
	opts := []mail.Option{mail.WithTimeout(timeout), mail.WithTLSConfig(tlsConf)}
	q := u.Query()
	if helo := q.Get("helo"); helo != "" {
		opts = append(opts, mail.WithHELO(helo))
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	port := 0
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, invalid("ungültiger Port.", "invalid port.")
		}
	}
	var policy mail.TLSPolicy
	switch u.Scheme {
	case "smtps":
		if port == 0 {
			port = 465
		}
		opts = append(opts, mail.WithSSL())
		if q.Has("tls") {
			return nil, invalid("tls= gilt nur für smtp://.", "tls= applies only to smtp://.")
		}
	case "smtp":
		if port == 0 {
			port = 587
		}
		switch mode := q.Get("tls"); {
		case mode == "required" || (mode == "" && !loopback):
			policy = mail.TLSMandatory
		case mode == "opportunistic" || mode == "":
			policy = mail.TLSOpportunistic
		case mode == "none":
			policy = mail.NoTLS
		default:
			return nil, invalid("tls= muss required, opportunistic oder none sein.", "tls= must be required, opportunistic or none.")
		}
		if policy != mail.TLSMandatory && u.User != nil && !loopback {
			return nil, invalid("Zugangsdaten nur über verschlüsselte Verbindungen (tls=required oder smtps://).",
				"credentials only over encrypted connections (tls=required or smtps://).")
		}
		opts = append(opts, mail.WithTLSPolicy(policy))
	default:
		return nil, invalid("Schema muss smtp:// oder smtps:// sein.", "scheme must be smtp:// or smtps://.")
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return &Sender{from: cfg.From, opts: opts, host: host}, nil
}

// Send implements notify.Sender. The receipt's QueueID is read from the
// server's final reply ("queued as …" of Postfix and Mailpit, "id=…" of
// Exim); Response keeps the whole reply.
//
// A 5xx reply to RCPT TO or to the message data is a permanent refusal
// (notify.ErrRejected). Everything else — no connection, TLS or login
// failures, 4xx replies, a 5xx to MAIL FROM (the sender's configuration,
// which the office can fix) — is temporary, so the outbox retries it.
func (s *Sender) Send(ctx context.Context, msg notify.Message) (notify.Receipt, error) {
	m, id, err := s.build(msg)
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("%w: %v", notify.ErrRejected, err)
	}
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 &&
			(se.Reason == mail.ErrSMTPRcptTo || se.Reason == mail.ErrSMTPData || se.Reason == mail.ErrSMTPDataClose) {
			return notify.Receipt{}, fmt.Errorf("%w: smtp %s: %v", notify.ErrRejected, s.host, err)
		}
		return notify.Receipt{}, fmt.Errorf("smtp %s: %w", s.host, err)
	}
	resp := m.ServerResponse()
	return notify.Receipt{MessageID: id, QueueID: QueueID(resp), Response: resp}, nil
}

// build makes the MIME message of msg, and returns it with its Message-ID.
func (s *Sender) build(msg notify.Message) (*mail.Msg, string, error) {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	from := msg.From
	if from == "" {
		from = s.from
	}
	if err := m.From(from); err != nil {
		return nil, "", fmt.Errorf("from: %w", err)
	}
	if err := m.AddToFormat(msg.ToName, msg.To); err != nil {
		return nil, "", fmt.Errorf("to: %w", err)
	}
	id := msg.MessageID
	if id == "" {
		var b [16]byte
		rand.Read(b[:])
		id = notify.MessageID(hex.EncodeToString(b[:]), notify.Domain(from))
	}
	m.SetMessageIDWithValue(id)
	m.SetDate()
	m.Subject(msg.Subject)
	lang := msg.Language
	if lang == "" {
		lang = "de"
	}
	m.SetGenHeader(mail.HeaderContentLang, lang)
	m.SetUserAgent("Ratsmappe")
	// RFC 3834: tells out-of-office responders not to answer.
	m.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	if len(msg.Unsubscribe) > 0 {
		if msg.OneClick {
			if err := m.SetListUnsubscribeOneClick(msg.Unsubscribe[0], msg.Unsubscribe[1:]...); err != nil {
				return nil, "", fmt.Errorf("list-unsubscribe: %w", err)
			}
		} else {
			m.SetListUnsubscribe(msg.Unsubscribe...)
		}
	}
	m.SetBodyString(mail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(mail.TypeTextHTML, msg.HTML)
	}
	if c := msg.Calendar; c != nil {
		m.AddAlternativeString(mail.ContentType("text/calendar; method="+c.Method), c.Data)
		if err := m.AttachReader("einladung.ics", strings.NewReader(c.Data),
			mail.WithFileContentType(mail.ContentType("application/ics"))); err != nil {
			return nil, "", fmt.Errorf("calendar: %w", err)
		}
	}
	return m, id, nil
}

var queueIDPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)queued as ([^\s;,]+)`),
	regexp.MustCompile(`(?i)\bid=([^\s;,]+)`),
}

// QueueID returns the queue id in an SMTP server's reply to the message
// data, or "" if the reply names none.
func QueueID(reply string) string {
	for _, re := range queueIDPatterns {
		if m := re.FindStringSubmatch(reply); m != nil {
			return m[1]
		}
	}
	return ""
}
