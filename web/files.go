package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// Public files at content-addressed URLs: /files/{sha256}.pdf is the
// sanitized rendition with that SHA-256, served only while some version
// with those bytes is public to an anonymous citizen (the policy's
// VersionAccess for the zero Viewer); anything else answers exactly like a
// file that does not exist. The bytes behind such a URL can never change,
// so it is cached for a year as immutable — browsers and proxies revalidate
// nothing, and a new version is a new URL. ETag is the SHA-256,
// Last-Modified the upload time of the oldest public version.
//
// Citizens' pages, the API's answers to anonymous callers and the feeds
// link these URLs. Signed-in viewers keep the per-version URLs under
// /api/v1/documents/, which check their own access and are private; OParl
// keeps its stable accessUrl/downloadUrl per File (the File object, not
// the bytes, is what OParl identifies).

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Server) handlePublicFile(w http.ResponseWriter, r *http.Request) {
	sha, ok := strings.CutSuffix(chi.URLParam(r, "name"), ".pdf")
	if !ok || !validSHA256(sha) || s.pub == nil {
		render.Error(w, r, render.NotFound)
		return
	}
	v, err := s.pub.publicVersion(r.Context(), s, sha)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	disposition := "inline"
	if r.URL.Query().Get("download") != "" {
		disposition = "attachment"
	}
	// The same bytes for everyone: no Vary.
	w.Header().Del("Vary")
	b, err := s.pub.fileBytes(r.Context(), s.cfg.Documents.Blobs(), v)
	if err != nil || b == nil {
		render.PDF(w, r, s.cfg.Documents.Blobs(), v, disposition, "public, max-age=31536000, immutable")
		return
	}
	h := w.Header()
	h.Set("ETag", `"`+v.SHA256+`"`)
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", documents.ContentDisposition(disposition, v.FileName))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", v.Created, bytes.NewReader(b))
}

// Small public files are kept in memory: they are what a crowd downloads
// at once, and their bytes can never change. Bigger ones stream from the
// blob store.
const (
	fileMemMax   = 1 << 20
	fileMemTotal = 64 << 20
)

// fileBytes returns the bytes of public version v from memory, reading
// them once; nil (and no error) for a file too big to keep.
func (c *publicCache) fileBytes(ctx context.Context, bs documents.BlobStore, v *documents.Version) ([]byte, error) {
	if v.Size > fileMemMax {
		return nil, nil
	}
	c.files.mu.Lock()
	b, ok := c.files.bytes[v.SHA256]
	c.files.mu.Unlock()
	if ok {
		return b, nil
	}
	rc, err := bs.Get(ctx, v.SHA256, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err = io.ReadAll(io.LimitReader(rc, fileMemMax+1))
	if err != nil || int64(len(b)) != v.Size {
		return nil, err
	}
	c.files.mu.Lock()
	defer c.files.mu.Unlock()
	if c.files.bytes == nil || c.files.size+len(b) > fileMemTotal {
		c.files.bytes, c.files.size = map[string][]byte{}, 0
	}
	c.files.bytes[v.SHA256] = b
	c.files.size += len(b)
	return b, nil
}

// fileDecision is whether the rendition with a SHA-256 is public (v) or
// not (nil), valid for one generation until expires.
type fileDecision struct {
	gen     int64
	expires time.Time
	v       *documents.Version
}

type fileDecisions struct {
	mu    sync.Mutex
	m     map[string]fileDecision
	bytes map[string][]byte // content by SHA-256, see fileBytes
	size  int
}

// publicVersion returns the oldest version with rendition sha that an
// anonymous viewer may see, or ENOTFOUND. Decisions are kept like cached
// pages: for one publication generation, until the next publication time.
func (c *publicCache) publicVersion(ctx context.Context, s *Server, sha string) (*documents.Version, error) {
	gen, err := c.gen.read(ctx)
	if err != nil {
		return nil, err
	}
	now := c.now()
	c.files.mu.Lock()
	d, ok := c.files.m[sha]
	c.files.mu.Unlock()
	if !ok || d.gen != gen || !now.Before(d.expires) {
		d = fileDecision{gen: gen, expires: now.Add(cacheMaxAge)}
		if pub, err := c.nextPublication(ctx, gen, now); err != nil {
			return nil, err
		} else if !pub.IsZero() && pub.Before(d.expires) {
			d.expires = pub
		}
		vs, err := s.cfg.Documents.Store().FindVersionsBySHA256(ctx, sha)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			acc, err := s.cfg.Sessions.DocumentAccess(ctx, access.Viewer{}, v.DocumentID)
			if err != nil {
				return nil, err
			}
			if access.VersionAccess(access.Viewer{}, acc, v.State == documents.StateWithdrawn) == access.Full {
				d.v = v
				break
			}
		}
		c.files.mu.Lock()
		if c.files.m == nil || len(c.files.m) > 100_000 {
			c.files.m = map[string]fileDecision{}
		}
		c.files.m[sha] = d
		c.files.mu.Unlock()
	}
	if d.v == nil {
		return nil, render.NotFound
	}
	return d.v, nil
}
