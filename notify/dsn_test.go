package notify_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/notify"
)

// forwarded wraps a report as a mail administrator forwards it: as a
// message/rfc822 attachment, base64-encoded by their client.
func forwarded(report []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(report)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return []byte("From: postmaster@lindenau.example\r\nTo: ratsbuero@lindenau.example\r\nSubject: Fwd: Undelivered Mail\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"fw\"\r\n\r\n--fw\r\nContent-Type: text/plain\r\n\r\n" +
		"Bitte vermerken.\r\n--fw\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		strings.Join(lines, "\r\n") + "\r\n--fw--\r\n")
}

func TestParseDSN(t *testing.T) {
	postfix, err := os.ReadFile("testdata/dsn-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	delayed := bytes.Replace(postfix, []byte("Action: failed"), []byte("Action: delayed"), 1)
	for _, tc := range []struct {
		name   string
		in     []byte
		failed int
	}{
		{"Postfix report", postfix, 1},
		{"forwarded as an attachment", forwarded(postfix), 1},
		{"delayed, not failed", delayed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := notify.ParseDSN(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if d.MessageID != "abcdefghijklmnop@lindenau.example" || len(d.Failed()) != tc.failed || len(d.Recipients) != 1 {
				t.Fatalf("got %+v", d)
			}
			r := d.Recipients[0]
			if r.Address != "umgezogen@alt.example" || r.Status != "5.1.1" ||
				r.Diagnostic != "smtp; 550 5.1.1 <umgezogen@alt.example>: Recipient address rejected: User unknown" {
				t.Fatalf("recipient %+v", r)
			}
		})
	}
	noOriginal := bytes.Replace(postfix, []byte("Message-ID: <abcdefghijklmnop@lindenau.example>"), []byte("X-Nothing: 1"), 1)
	for name, in := range map[string][]byte{
		"plain message":          []byte("From: a@b.example\r\nSubject: hallo\r\n\r\nText\r\n"),
		"not a message":          []byte("\x00\x01"),
		"without the Message-ID": noOriginal,
	} {
		if _, err := notify.ParseDSN(bytes.NewReader(in)); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

// FuzzParseDSN: a report is whatever a mail administrator (or anyone
// with their forwarded mail) posts; it must never panic or hang.
func FuzzParseDSN(f *testing.F) {
	postfix, err := os.ReadFile("testdata/dsn-postfix.eml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(postfix)
	f.Add(forwarded(postfix))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := notify.ParseDSN(bytes.NewReader(in))
		if err == nil && (d.MessageID == "" || len(d.Recipients) == 0) {
			t.Fatalf("accepted a report without Message-ID or recipients: %+v", d)
		}
	})
}
