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

// Error is the domain error. Reason and Params say which rule refused and
// the facts its words need; only bot/ turns them into words for people.
// Message is a technical description for logs and operators (adapters use
// it), never shown in Slack. Field names the input the error concerns
// ("resource", "duration", "reason", "approvers", "identity") when there is one.
type Error struct {
	Code    string
	Reason  Reason
	Params  Params
	Field   string
	Message string
	// Fields holds one error per input field when several are wrong at once
	// (a modal shows them all).
	Fields map[string]*Error
	Err    error // the underlying cause, for logs; never shown to users
}

func (e *Error) Error() string {
	what := e.Message
	if e.Reason != "" {
		what = string(e.Reason)
		if e.Field != "" {
			what = e.Field + ": " + what
		}
		for f, fe := range e.Fields {
			if f != e.Field {
				what += "; " + f + ": " + string(fe.Reason)
			}
		}
	}
	switch {
	case e.Err != nil && what != "":
		return fmt.Sprintf("%s: %s: %v", e.Code, what, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	default:
		return fmt.Sprintf("%s: %s", e.Code, what)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a technical message, for
// adapters and operators; people get words for the code from bot/.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
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
			out = &Error{Code: EINVALID, Field: e.Field, Reason: e.Reason, Params: e.Params, Fields: map[string]*Error{}}
		}
		out.Fields[e.Field] = e
	}
	if out == nil {
		return nil
	}
	return out
}

// ErrorFields returns the per-field errors of err: Fields when set, else
// err itself under its Field, else nil.
func ErrorFields(err error) map[string]*Error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	if len(e.Fields) > 0 {
		return e.Fields
	}
	if e.Field != "" {
		return map[string]*Error{e.Field: e}
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
