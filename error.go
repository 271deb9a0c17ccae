// Package ratsmappe holds what every part of the council-session document
// system shares: the application error type and its closed set of codes.
//
// The domain lives in the subpackages documents, sessions, accounts,
// annotate, access and search; web serves them over HTTP and cmd/ratsmappe wires everything into
// the one binary.
package ratsmappe

import (
	"errors"
	"fmt"
)

// Error codes. The set is closed: web maps each to one HTTP status.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	EUNSUPPORTED  = "unsupported"
	// EUNPROCESSABLE: the request was well-formed, but what it carries
	// cannot be processed: an uploaded file refused for a reason
	// (documents.Reject), which is the error's Reason.
	EUNPROCESSABLE = "unprocessable"
	EINTERNAL      = "internal"
	EUNAVAILABLE   = "unavailable"
)

// Error is an application error. Its Message (German) and MessageEN
// (English, optional) are safe to show to a person; anything else (causes,
// internals) is wrapped in Err and never shown.
//
// Code is one of the closed set above and decides the HTTP status. Reason
// is optional: a stable, machine-readable sub-code within Code (for
// example "too_large" or "bad_selector" for a refused annotation,
// "host_not_allowed" for a URL the OParl import did not fetch) for a
// client or a caller that reacts to the particular refusal. Reasons are
// part of the API: once shipped, a reason keeps its spelling.
type Error struct {
	Code      string
	Reason    string
	Message   string
	MessageEN string
	Err       error
}

func (e *Error) Error() string {
	s := e.Code
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	s += ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message that
// is safe to show to a person.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Reasonf returns an *Error with the given code, reason and a formatted
// message that is safe to show to a person.
func Reasonf(code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the person-safe message of the first *Error in err's
// chain, or "internal error" for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorReason returns the reason of the first *Error in err's chain, or
// "" if it has none.
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
