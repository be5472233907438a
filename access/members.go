package access

import "context"

// Member is an Okta user who is a member of a group or assigned to an app.
type Member struct {
	UserID string
	Login  string
	Email  string
	// ByRule reports that a group rule holds the membership (or may: see
	// MemberLister), so a reconcile must not count it as standing access
	// anybody gave by hand, nor take it away.
	ByRule bool
}

// MemberLister lists who holds an Okta group or app, every page.
type MemberLister interface {
	// GroupMembers returns the members of the group. Okta does not say which
	// rule added a member; ByRule is true when an active group rule that
	// assigns to the group matches the member, and also when such a rule's
	// expression is too complex to evaluate (never a false "by hand").
	// ENOTFOUND when the group does not exist; EUNAVAILABLE when Okta
	// cannot be reached, fails or rate-limits past the retries;
	// EUNAUTHORIZED when the token is refused.
	GroupMembers(ctx context.Context, groupID string) ([]Member, error)
	// AppUsers returns the users assigned to the app; ByRule is false.
	// ENOTFOUND when the app does not exist; EUNAVAILABLE; EUNAUTHORIZED.
	AppUsers(ctx context.Context, appID string) ([]Member, error)
}
