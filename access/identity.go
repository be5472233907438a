package access

import "errors"

// IdentityReason says why a Slack account may neither request nor approve
// access, whatever its email says (DESIGN.md §6). The bot turns it into
// words; logs and audit entries may carry it as it is.
type IdentityReason string

// The reasons an account is refused.
const (
	// ReasonForeignTeam: the account belongs to another Slack team (Slack
	// Connect) or, on Enterprise Grid, to another organization.
	ReasonForeignTeam IdentityReason = "foreign_team"
	// ReasonGuest: a multi- or single-channel guest, and guests are not allowed.
	ReasonGuest IdentityReason = "guest"
	// ReasonEmailUnconfirmed: Slack has not confirmed the profile's email,
	// so it cannot stand for a person in Okta.
	ReasonEmailUnconfirmed IdentityReason = "email_unconfirmed"
	// ReasonDeactivated: the account is deactivated.
	ReasonDeactivated IdentityReason = "deactivated"
)

// IdentityError is the cause carried by an *Error that refuses an account:
// EFORBIDDEN for the person acting, ENOTFOUND for an approver who is then
// not asked. Field is "identity".
type IdentityError struct {
	Reason IdentityReason
}

func (e IdentityError) Error() string { return "identity refused: " + string(e.Reason) }

// FieldIdentity is the Field of errors that refuse an account.
const FieldIdentity = "identity"

// RefuseIdentity returns the EFORBIDDEN error that refuses an account for
// reason.
func RefuseIdentity(reason IdentityReason) *Error {
	return &Error{Code: EFORBIDDEN, Field: FieldIdentity, Err: IdentityError{Reason: reason}}
}

// IdentityRefusal returns the reason an account was refused when err's
// chain holds an IdentityError.
func IdentityRefusal(err error) (IdentityReason, bool) {
	var ie IdentityError
	if errors.As(err, &ie) {
		return ie.Reason, true
	}
	return "", false
}
