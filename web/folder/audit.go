package folder

import (
	"context"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
)

// Reads of non-public content are written to the audit log: one entry
// per request that hands a signed-in viewer (member or staff) the text or
// bytes of a document version an anonymous citizen could not see —
// whatever its method or range: a HEAD and every range of a reader's
// fetches count. The
// actions are "document.read_nonpublic" (file, document page, diff,
// annotated PDF export; object: the document, details: the version) and
// "packet.read_nonpublic" (object: the meeting, details: the non-public
// documents in it). Anonymous requests — the crowd — never pay for the
// check; search hits, lists and metadata are not content reads.

// SignedIn reports whether v is someone other than the anonymous citizen.
func SignedIn(v access.Viewer) bool {
	return v.AccountID != 0 || v.Role != access.RoleAnonymous
}

// AnonymousAccess is what an anonymous citizen may see of document id:
// the one policy asked for the zero Viewer. An error counts as None, so
// that a failing check records the read rather than hides it.
func (s *Folder) AnonymousAccess(ctx context.Context, id int64) access.Access {
	acc, err := s.cfg.Sessions.DocumentAccess(ctx, access.Viewer{}, id)
	if err != nil {
		return access.None
	}
	return acc
}

// PublicVersionState reports whether a version in state of a document
// the anonymous citizen has acc to is public.
func PublicVersionState(acc access.Access, state string) bool {
	return access.VersionAccess(access.Viewer{}, acc, state == documents.StateWithdrawn) == access.Full
}
