package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/sessions/packet"
	"github.com/ratsmappe/ratsmappe/web/folder"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// Session packets are the most expensive thing the server makes: merging
// and stamping every PDF of a meeting, per member (each one's packet is
// watermarked with their name). When an agenda is published every member
// asks at once. Built packets are files on disk and cost no more than any
// other file; builds are bounded — at most packetBuilders at a time, one
// per key however many ask for it (packet.Cache) — and a request that
// cannot start its build within packetWait is answered 429 with
// Retry-After, like any other overflow (admission.go).

const packetWait = 10 * time.Second

// packetBuilders leaves half the cores to everyone else: at the moment
// of publication citizens arrive too.
var packetBuilders = max(1, runtime.NumCPU()/2)

// errPacketBusy means the packet is not built and no builder was free.
var errPacketBusy = errors.New("all packet builders busy")

type packets struct {
	cache  *packet.Cache
	builds chan struct{}
}

func newPackets(dir string) *packets {
	return &packets{cache: &packet.Cache{Dir: dir}, builds: make(chan struct{}, packetBuilders)}
}

// open returns the packet for in, building it if needed.
func (p *packets) open(ctx context.Context, in packet.Input) (*os.File, error) {
	key, err := packet.Key(in)
	if err != nil {
		return nil, err
	}
	if f, err := p.cache.Get(key); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return f, err
	}
	t := time.NewTimer(packetWait)
	defer t.Stop()
	select {
	case p.builds <- struct{}{}:
	case <-t.C:
		return nil, errPacketBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.builds }()
	return p.cache.GetOrBuild(ctx, in)
}

// Packet serves the session packet of a meeting for whoever asks: the
// public packet for citizens, a personal one for members (without the
// items they are excluded from, watermarked with their name on
// non-public pages), everything for the office.
func (s *Handler) Packet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := request.IDParam(r, "id")
	if !ok {
		render.Error(w, r, render.NotFound)
		return
	}
	v := request.Viewer(ctx)
	mv, err := s.folder.MeetingDetail(ctx, v, id)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	bodies, _ := s.cfg.Sessions.FindBodies(ctx)
	in := packet.Input{Organization: mv.Organization, Location: mv.Location, Start: mv.Start.In(render.Berlin)}
	if len(bodies) > 0 {
		in.Body = bodies[0].Name
	}
	if v.AccountID != 0 {
		in.Member = v.Name
	}
	blobs := s.cfg.Documents.Blobs()
	var nonPublic []string // the documents in the packet a citizen's packet lacks
	unpublished := mv.Published == nil || mv.Published.After(time.Now())
	for _, e := range mv.Agenda {
		it := packet.Item{Number: e.Number, Title: e.Title, Public: e.Public}
		if e.Stub {
			// What a Stub shows is the public title; nothing else goes in.
			it.Public, it.PublicTitle = false, e.Title
		}
		for _, d := range e.Documents {
			d := d
			sha, _ := d.Blob()
			if unpublished || !it.Public || !d.Public {
				nonPublic = append(nonPublic, fmt.Sprintf("document %d version %d", d.ID, d.Version))
			}
			it.Documents = append(it.Documents, packet.Doc{Title: d.Title, SHA256: sha, Open: func() (io.ReadSeekCloser, error) {
				return openBlob(ctx, blobs, sha)
			}})
		}
		in.Items = append(in.Items, it)
	}
	f, err := s.packets.open(ctx, in)
	if errors.Is(err, errPacketBusy) {
		render.Busy(w, r)
		return
	}
	if err != nil {
		render.Error(w, r, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		render.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", documents.ContentDisposition("inline", fmt.Sprintf("Sitzungsmappe-%s-%s.pdf", mv.Start.In(render.Berlin).Format("2006-01-02"), mv.Organization)))
	if len(nonPublic) > 0 && folder.SignedIn(v) {
		// As for files: every request, whatever its method or range.
		s.folder.Audit(ctx, "packet.read_nonpublic", "meeting", id, strings.Join(nonPublic, ", "))
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
}

func openBlob(ctx context.Context, bs documents.BlobStore, key string) (io.ReadSeekCloser, error) {
	rc, err := bs.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	if rsc, ok := rc.(io.ReadSeekCloser); ok {
		return rsc, nil
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	return nopSeekCloser{bytes.NewReader(b)}, nil
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }
