package ratsmappe_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ratsmappe/ratsmappe"
)

// A reason survives wrapping, and what a person sees never includes the
// wrapped cause.
func TestErrorReason(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("put: %w", &ratsmappe.Error{Code: ratsmappe.ETOOLARGE, Reason: "too_large", Message: "Zu groß.", MessageEN: "Too large.", Err: cause})
	if got, want := ratsmappe.ErrorCode(err), ratsmappe.ETOOLARGE; got != want {
		t.Errorf("code %q, want %q", got, want)
	}
	if got, want := ratsmappe.ErrorReason(err), "too_large"; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	if got, want := ratsmappe.ErrorMessage(err), "Zu groß."; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if got, want := err.Error(), "put: too_large (too_large): Zu groß.: disk on fire"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Error("cause not reachable")
	}
	if got := ratsmappe.ErrorReason(errors.New("plain")); got != "" {
		t.Errorf("reason of a plain error: %q", got)
	}
	if got := ratsmappe.Reasonf(ratsmappe.EINVALID, "bad_selector", "Selektor %d", 2); got.Reason != "bad_selector" || got.Message != "Selektor 2" || got.Code != ratsmappe.EINVALID {
		t.Errorf("Reasonf: %+v", got)
	}
}
