package documents_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

// A refused file is a ratsmappe.Error: its reason is the rejection code,
// its code decides the status (too large: 413, everything else: 422), and
// RejectionOf finds it through wrapping, and only it.
func TestRejectionIsAnError(t *testing.T) {
	for _, reason := range []string{documents.RejectNotPDF, documents.RejectEmpty, documents.RejectEncrypted,
		documents.RejectTooLarge, documents.RejectDamaged, documents.RejectTimeout, documents.RejectResourceLimit, documents.RejectCrashed} {
		cause := errors.New("the cause")
		err := fmt.Errorf("upload: %w", documents.Reject(reason, cause))
		rej := documents.RejectionOf(err)
		if rej == nil || rej.Reason != reason || rej.Message == "" || rej.MessageEN == "" || !errors.Is(err, cause) {
			t.Errorf("%s: RejectionOf = %+v", reason, rej)
			continue
		}
		want := ratsmappe.EUNPROCESSABLE
		if reason == documents.RejectTooLarge {
			want = ratsmappe.ETOOLARGE
		}
		if got := ratsmappe.ErrorCode(err); got != want {
			t.Errorf("%s: code %s, want %s", reason, got, want)
		}
		if got := ratsmappe.ErrorReason(err); got != reason {
			t.Errorf("%s: reason %s", reason, got)
		}
	}
	if rej := documents.RejectionOf(documents.RejectLimit(documents.LimitPages, 10000, nil)); rej == nil || rej.Reason != documents.RejectResourceLimit || rej.Code != ratsmappe.EUNPROCESSABLE {
		t.Errorf("RejectLimit: %+v", rej)
	}
	// A reason outside the closed set (a worker's reply, say) is refused
	// as damaged, with damaged's messages.
	if rej := documents.Reject("no_such_reason", nil); rej.Reason != documents.RejectDamaged || rej.Code != ratsmappe.EUNPROCESSABLE {
		t.Errorf("unknown reason: %+v", rej)
	}
	for _, err := range []error{nil, errors.New("disk full"), ratsmappe.Errorf(ratsmappe.EINVALID, "Ungültig."),
		ratsmappe.Reasonf(ratsmappe.EINVALID, documents.RejectNotPDF, "the right reason under another code")} {
		if rej := documents.RejectionOf(err); rej != nil {
			t.Errorf("RejectionOf(%v) = %+v, want nil", err, rej)
		}
	}
}
