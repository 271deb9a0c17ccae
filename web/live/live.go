// Package live is the live session's surface of web: the office's API to
// start and end a session, record attendance, set the quorum rule, open,
// close and correct votes; the members' ballot; the published results;
// and the live view, a stream of Server-Sent Events of the session's
// state, filtered for each follower through the visibility rule.
// web/routes.go registers it.
package live

import (
	"strings"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/live"
	"github.com/ratsmappe/ratsmappe/web/folder"
)

// Config is what the live surface works on.
type Config struct {
	folder.Config // the stores and the logger
	Live          *live.Store
	// MaxFollowers bounds the live streams open at a time (default
	// 10000); beyond it a follower is refused with 503 and tries again.
	MaxFollowers int
	// TempDir holds the minutes' PDFs while they are stored; "" is the
	// system's.
	TempDir string
}

// Handler serves the live session.
type Handler struct {
	cfg       Config
	sessions  *sessions.Store
	live      *live.Store
	folder    *folder.Folder
	followers chan struct{}
}

// New returns the live session's handlers.
func New(cfg Config) *Handler {
	if cfg.MaxFollowers <= 0 {
		cfg.MaxFollowers = 10000
	}
	return &Handler{cfg: cfg, sessions: cfg.Sessions, live: cfg.Live, folder: folder.New(cfg.Config),
		followers: make(chan struct{}, cfg.MaxFollowers)}
}

// IsStream reports whether path is a live stream, which holds its
// connection open: the core lets it past the admission control (it has
// its own bound, MaxFollowers).
func IsStream(path string) bool {
	return strings.HasPrefix(path, "/api/v1/meetings/") && strings.HasSuffix(path, "/live")
}

// Uncached reports whether path answers with the live session's state,
// which changes by the second and outside the changes feed the public
// cache follows: the stream and the attendance.
func Uncached(path string) bool {
	return IsStream(path) || (strings.HasPrefix(path, "/api/v1/meetings/") && strings.HasSuffix(path, "/attendance"))
}

func errorf(code, reason, de, en string) *ratsmappe.Error {
	return &ratsmappe.Error{Code: code, Reason: reason, Message: de, MessageEN: en}
}
