package documents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
)

// BlobReadSeeker reads a blob as an io.ReadSeeker, fetching only the ranges
// that are read; http.ServeContent uses it to answer range requests without
// loading the whole file.
type BlobReadSeeker struct {
	ctx  context.Context
	bs   BlobStore
	key  string
	size int64
	off  int64
	rc   io.ReadCloser // open at off, or nil
}

// NewBlobReadSeeker returns a reader of the blob key of the given size.
// The caller closes it.
func NewBlobReadSeeker(ctx context.Context, bs BlobStore, key string, size int64) *BlobReadSeeker {
	return &BlobReadSeeker{ctx: ctx, bs: bs, key: key, size: size}
}

// Read implements io.Reader.
func (b *BlobReadSeeker) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if b.rc == nil {
		rc, err := b.bs.Get(b.ctx, b.key, b.off, -1)
		if err != nil {
			return 0, err
		}
		b.rc = rc
	}
	n, err := b.rc.Read(p)
	b.off += int64(n)
	if errors.Is(err, io.EOF) && b.off < b.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Seek implements io.Seeker.
func (b *BlobReadSeeker) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = b.off + offset
	case io.SeekEnd:
		abs = b.size + offset
	default:
		return 0, fmt.Errorf("seek: invalid whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek: negative position")
	}
	if abs != b.off && b.rc != nil {
		b.rc.Close()
		b.rc = nil
	}
	b.off = abs
	return abs, nil
}

// Close releases the open range, if any.
func (b *BlobReadSeeker) Close() error {
	if b.rc != nil {
		err := b.rc.Close()
		b.rc = nil
		return err
	}
	return nil
}

// ContentDisposition returns a Content-Disposition header value (RFC 6266)
// for disposition ("inline" or "attachment") and a file name, with an ASCII
// fallback and the UTF-8 name in filename*. Characters that could break
// the header are removed.
func ContentDisposition(disposition, name string) string {
	name = cleanFileName(name)
	var ascii strings.Builder
	for _, r := range name {
		switch {
		case r == '"' || r == '\\' || r == ';':
			ascii.WriteByte('_')
		case r >= 0x20 && r < 0x7f:
			ascii.WriteRune(r)
		default:
			ascii.WriteByte('_')
		}
	}
	v := mime.FormatMediaType(disposition, map[string]string{"filename": ascii.String()})
	if v == "" {
		v = disposition
	}
	return v + "; filename*=UTF-8''" + pathEscapeRFC5987(name)
}

func pathEscapeRFC5987(s string) string {
	const ok = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(ok, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
