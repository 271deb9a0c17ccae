package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/sessions"
)

// A public document's bytes are served at a content-addressed URL, cached
// for a year as immutable; anything not public to citizens — a non-public
// link, an embargo, a withdrawn version, bytes that do not exist — answers
// exactly like a missing file.
func TestPublicFiles(t *testing.T) {
	e := newCacheEnv(t)
	ctx := context.Background()
	v1, err := e.docs.Store().FindVersion(ctx, e.doc, 0)
	must(t, err)
	url := "/files/" + v1.SHA256 + ".pdf"
	if _, body := e.fetch(t, fmt.Sprintf("/meetings/%d", e.published)); !strings.Contains(body, url) {
		t.Fatalf("the meeting page does not link %s", url)
	}
	if _, body := e.fetch(t, fmt.Sprintf("/documents/%d", e.doc)); !strings.Contains(body, url+"?download=1") {
		t.Errorf("the document page does not offer %s for download", url)
	}
	resp, body := e.fetch(t, url)
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "%PDF") {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	for h, want := range map[string]string{
		"Cache-Control": "public, max-age=31536000, immutable",
		"ETag":          `"` + v1.SHA256 + `"`,
		"Content-Type":  "application/pdf",
		"Vary":          "",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if resp.Header.Get("Last-Modified") == "" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("Last-Modified %q, Content-Disposition %q", resp.Header.Get("Last-Modified"), resp.Header.Get("Content-Disposition"))
	}
	if r, _ := e.fetch(t, url, "If-None-Match", `"`+v1.SHA256+`"`); r.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", r.StatusCode)
	}
	if r, _ := e.fetch(t, url+"?download=1"); !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %q", r.Header.Get("Content-Disposition"))
	}

	// What a missing file looks like; every refusal must look the same.
	missing, missingBody := e.fetch(t, "/files/"+strings.Repeat("0", 64)+".pdf")
	if missing.StatusCode != 404 {
		t.Fatalf("missing file: %d", missing.StatusCode)
	}
	refused := func(what, path string) {
		t.Helper()
		r, b := e.fetch(t, path)
		if r.StatusCode != 404 || b != missingBody {
			t.Errorf("%s: %d %q, want the missing file's 404", what, r.StatusCode, b)
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Vary", "ETag", "Last-Modified", "Content-Disposition"} {
			if r.Header.Get(h) != missing.Header.Get(h) {
				t.Errorf("%s: %s %q, missing file has %q", what, h, r.Header.Get(h), missing.Header.Get(h))
			}
		}
	}
	for _, p := range []string{"/files/" + strings.ToUpper(v1.SHA256) + ".pdf", "/files/" + v1.SHA256, "/files/" + v1.SHA256 + ".PDF",
		"/files/..%2F..%2Fratsmappe.db", "/files/" + v1.SHA256[:63] + ".pdf"} {
		refused("malformed "+p, p)
	}

	// A new version: the old bytes stay public (a superseded version
	// follows its document), the new ones have their own URL.
	e.upload(t, e.doc, "zweite Fassung")
	v2, err := e.docs.Store().FindVersion(ctx, e.doc, 0)
	must(t, err)
	if r, _ := e.fetch(t, url); r.StatusCode != 200 {
		t.Errorf("superseded version: %d", r.StatusCode)
	}
	url2 := "/files/" + v2.SHA256 + ".pdf"
	if r, _ := e.fetch(t, url2); r.StatusCode != 200 {
		t.Errorf("new version: %d", r.StatusCode)
	}
	// Withdrawn: gone at once.
	must(t, e.docs.Withdraw(ctx, e.doc, 2))
	refused("withdrawn version", url2)
	// The link made non-public: every version gone at once.
	must(t, e.st.SetAttachmentPublic(ctx, e.attachment, false))
	refused("non-public link", url)
	must(t, e.st.SetAttachmentPublic(ctx, e.attachment, true))
	if r, _ := e.fetch(t, url); r.StatusCode != 200 {
		t.Errorf("public again: %d", r.StatusCode)
	}

	// A document on an embargoed agenda appears when the embargo ends.
	it := &sessions.AgendaItem{MeetingID: e.embargoed, Number: "Ö 1", Title: "Haushalt", Public: true}
	must(t, e.st.CreateAgendaItem(ctx, it))
	doc := e.upload(t, 0, "Haushaltsplan")
	a := &sessions.Attachment{AgendaItemID: it.ID, DocumentID: doc}
	must(t, e.st.Attach(ctx, a))
	must(t, e.st.SetAttachmentPublic(ctx, a.ID, true))
	v, err := e.docs.Store().FindVersion(ctx, doc, 0)
	must(t, err)
	refused("embargoed", "/files/"+v.SHA256+".pdf")
	e.clock.Add(time.Hour)
	if r, _ := e.fetch(t, "/files/"+v.SHA256+".pdf"); r.StatusCode != 200 {
		t.Errorf("embargo ended: %d", r.StatusCode)
	}
}
