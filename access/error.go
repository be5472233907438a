// Package access holds accessbot's domain: resources and their policies,
// requests and the grants they become, the audit trail, and the interfaces of
// the services the workflow needs (store, provisioner, on-call source,
// messenger, directory). It imports only the standard library.
package access

import (
	"errors"
	"fmt"
)

// Error codes. Only the transport layer (bot/) turns a code into words.
const (
	EINVALID      = "invalid"      // the input is wrong; Message says how
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the state does not allow it (already decided, already active…)
	EFORBIDDEN    = "forbidden"    // the actor may not do this
	EUNAVAILABLE  = "unavailable"  // a dependency failed in a way worth retrying
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EUNAUTHORIZED = "unauthorized" // a credential was refused (fatal for the process)
)

// Error is the domain error. Message is written for the person who caused it
// (for EINVALID, EFORBIDDEN and ECONFLICT) and is safe to show; Field names the
// input it concerns ("resource", "duration", "reason", "approvers") when there is one.
type Error struct {
	Code    string
	Field   string
	Message string
	// Fields holds one message per input field when several are wrong at once
	// (a modal shows them all); Message then summarises them.
	Fields map[string]string
	Err    error // the underlying cause, for logs; never shown to users
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	default:
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a message for people.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalid collects the field errors in errs (nil entries skipped) into one
// EINVALID error, or returns nil when there are none.
func Invalid(errs ...*Error) error {
	var out *Error
	for _, e := range errs {
		if e == nil {
			continue
		}
		if out == nil {
			out = &Error{Code: EINVALID, Field: e.Field, Message: e.Message, Fields: map[string]string{}}
		} else {
			out.Message += " " + e.Message
		}
		out.Fields[e.Field] = e.Message
	}
	if out == nil {
		return nil
	}
	return out
}

// ErrorFields returns the per-field messages of err: Fields when set, else
// Field and Message as one entry, else nil.
func ErrorFields(err error) map[string]string {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	if len(e.Fields) > 0 {
		return e.Fields
	}
	if e.Field != "" {
		return map[string]string{e.Field: e.Message}
	}
	return nil
}

// Wrap returns an *Error with code that wraps err (err stays out of Message).
func Wrap(code string, err error) *Error { return &Error{Code: code, Err: err} }

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
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

// ErrorMessage returns the people-facing message of the first *Error in err's
// chain, or "" when there is none.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
