package alerts_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
)

// textIngester stands in for the PDF worker pool (tested in
// documents/pdfworker), which needs a PDF engine: the text after "%PDF-"
// is the one page's text.
type textIngester struct{}

func (textIngester) Ingest(ctx context.Context, path string) (*documents.Ingested, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return nil, documents.Reject(documents.RejectNotPDF, nil)
	}
	out, err := os.CreateTemp("", "rendition-*.pdf")
	if err != nil {
		return nil, err
	}
	defer out.Close()
	out.Write(b)
	return &documents.Ingested{RenditionPath: out.Name(), Pages: []documents.Page{{Number: 1, Width: 595, Height: 842, Text: string(b[5:])}}}, nil
}

// TestSavedSearch: a saved search's subscriber is told of the newly public
// documents the anonymous viewer finds for it — through the real indexer
// and a real Bleve index — and of nothing else: not a public document
// that does not match, not a non-public one that does.
func TestSavedSearch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	must(t, err)
	docs := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(f.db), Blobs: blobs, Ingester: textIngester{}})
	x := indexer.New(indexer.Config{DB: f.db, Store: f.st, Open: func(ctx context.Context, fresh bool) (search.Index, error) {
		if fresh {
			return bleve.Create(filepath.Join(dir, "index"), bleve.Options{})
		}
		return bleve.OpenOrCreate(filepath.Join(dir, "index"), bleve.Options{})
	}})
	x.Start()
	t.Cleanup(func() { x.Close() })
	f.alerts = alerts.NewStore(f.db, f.st, f.outbox, alerts.Options{BaseURL: "https://rat.example", Key: make([]byte, 32),
		Search: x, Now: f.clock.Now})
	f.process(t)

	const addr = "suche@example.org"
	must(t, f.alerts.Subscribe(ctx, alerts.Request{Email: addr, Query: "Kanalstraße"}))
	_, err = f.alerts.Confirm(ctx, f.token(t, addr))
	must(t, err)

	m := &sessions.Meeting{OrganizationID: f.org, Name: "Sitzung", Start: f.clock.Now().Add(48 * time.Hour)}
	must(t, f.st.CreateMeeting(ctx, m))
	it := &sessions.AgendaItem{MeetingID: m.ID, Number: "Ö 1", Title: "Radweg", Public: true}
	must(t, f.st.CreateAgendaItem(ctx, it))
	for _, d := range []struct {
		title, text string
		public      bool
	}{
		{"Bauablauf Radweg", "Der Radwegebau in der Kanalstraße beginnt im Mai.", true},
		{"Haushaltsplan", "Der Haushalt wird beraten.", true},
		{"Vermerk " + canary, "Kanalstraße: Grundstücksverhandlungen " + canary, false},
	} {
		p := filepath.Join(t.TempDir(), "u.pdf")
		must(t, os.WriteFile(p, []byte("%PDF-"+d.text), 0o644))
		added, err := docs.AddDocument(ctx, documents.Upload{Path: p, FileName: "u.pdf", Title: d.title, Uploader: "amt", Kind: documents.KindAttachment})
		must(t, err)
		a := &sessions.Attachment{AgendaItemID: it.ID, DocumentID: added.Document.ID, Title: d.title}
		must(t, f.st.Attach(ctx, a))
		if d.public {
			must(t, f.st.SetAttachmentPublic(ctx, a.ID, true))
		}
	}
	must(t, f.st.PublishMeeting(ctx, m.ID, time.Time{}))
	if n := f.process(t); n != 1 {
		t.Fatalf("%d alerts, want 1", n)
	}
	msgs := f.sender.To(addr)
	alert := msgs[len(msgs)-1]
	if !strings.Contains(alert.Text, "Bauablauf Radweg") || !strings.Contains(alert.Subject, "Kanalstraße") {
		t.Fatalf("alert lacks the matching document:\n%s\n%s", alert.Subject, alert.Text)
	}
	for _, not := range []string{"Haushaltsplan", canary, "Sitzung:"} {
		if strings.Contains(alert.Text, not) || strings.Contains(alert.HTML, not) {
			t.Errorf("alert contains %q:\n%s", not, alert.Text)
		}
	}
}
