package packet_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/packet"
)

func mustKey(t *testing.T, in packet.Input) string {
	t.Helper()
	k, err := packet.Key(in)
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	return k
}

// Every input a reader would see in the packet changes its Key.
func TestKeyChangesWithEveryInput(t *testing.T) {
	base := mustKey(t, sampleInput(t, "Anna Beispiel"))
	if got := mustKey(t, sampleInput(t, "Anna Beispiel")); got != base {
		t.Fatalf("Key differs for equal inputs: %s, %s", got, base)
	}
	if len(base) != 64 || strings.Trim(base, "0123456789abcdef") != "" {
		t.Fatalf("Key = %q, want 64 lowercase hex digits", base)
	}
	for _, tt := range []struct {
		name   string
		change func(*packet.Input)
	}{
		{"body", func(in *packet.Input) { in.Body = "Stadt Durlach" }},
		{"committee", func(in *packet.Input) { in.Organization = "Gemeinderat" }},
		{"location", func(in *packet.Input) { in.Location = "Rathaus West" }},
		{"start", func(in *packet.Input) { in.Start = in.Start.Add(time.Minute) }},
		{"audience", func(in *packet.Input) { in.Audience = "Fassung für Ratsmitglied Anna Beispiel" }},
		{"member", func(in *packet.Input) { in.Member = "Bernd Beispiel" }},
		{"item number", func(in *packet.Input) { in.Items[0].Number = "Ö 1.1" }},
		{"item title", func(in *packet.Input) { in.Items[0].Title += " (geändert)" }},
		{"public flag", func(in *packet.Input) { in.Items[1].Public = true }},
		{"document title", func(in *packet.Input) { in.Items[0].Documents[1].Title = "Anlage 2" }},
		{"document content", func(in *packet.Input) {
			in.Items[0].Documents[1] = docFor(in.Items[0].Documents[1].Title, makePDF(t, pages("Lageplan neu", 1)...), nil)
		}},
		{"document order", func(in *packet.Input) {
			d := in.Items[0].Documents
			d[0], d[1] = d[1], d[0]
		}},
		{"document moved to another item", func(in *packet.Input) {
			in.Items[2].Documents = in.Items[0].Documents[1:]
			in.Items[0].Documents = in.Items[0].Documents[:1]
		}},
		{"item order", func(in *packet.Input) { in.Items[0], in.Items[2] = in.Items[2], in.Items[0] }},
		{"item added", func(in *packet.Input) {
			in.Items = append(in.Items, packet.Item{Number: "Ö 4", Title: "Verschiedenes", Public: true})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := sampleInput(t, "Anna Beispiel")
			tt.change(&in)
			if got := mustKey(t, in); got == base {
				t.Errorf("Key unchanged")
			}
		})
	}
}

// What the public packet leaves out does not change its Key; what it
// shows does.
func TestKeyOfPublicPacketIgnoresNonPublicContent(t *testing.T) {
	base := mustKey(t, sampleInput(t, ""))

	in := sampleInput(t, "")
	in.Items[1].Title = "Grundstücksverkauf an eine andere Firma"
	in.Items[1].Documents = nil
	if got := mustKey(t, in); got != base {
		t.Errorf("public Key changed with a non-public title and documents")
	}
	in.Items[1].PublicTitle = "Personalangelegenheit"
	if got := mustKey(t, in); got == base {
		t.Errorf("public Key unchanged with a new public title")
	}
	if got := mustKey(t, sampleInput(t, "Anna Beispiel")); got == base {
		t.Errorf("personal and public packet have the same Key")
	}
}

func TestKeyNeedsDocumentChecksums(t *testing.T) {
	for _, sum := range []string{"", "abc", strings.Repeat("A", 64), strings.Repeat("g", 64)} {
		in := sampleInput(t, "Anna Beispiel")
		in.Items[1].Documents[0].SHA256 = sum
		if _, err := packet.Key(in); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("SHA256 %q: Key error %v, want EINVALID", sum, err)
		}
	}
	// The public packet does not contain the document, so needs no sum.
	in := sampleInput(t, "")
	in.Items[1].Documents[0].SHA256 = ""
	if _, err := packet.Key(in); err != nil {
		t.Errorf("public Key with a non-public document without checksum: %v", err)
	}
}
