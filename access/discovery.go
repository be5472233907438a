package access

import "context"

// OktaGroup is an Okta group, as discovery sees it.
type OktaGroup struct {
	ID          string
	Name        string
	Description string
}

// OktaApp is an Okta application instance, as discovery sees it.
type OktaApp struct {
	ID     string
	Label  string
	Status string // ACTIVE or INACTIVE
}

// Discoverer lists what an Okta org holds, so that resources can be
// discovered from it by rule. Every method reads all pages before it
// returns: a failure on any page fails the whole call, never a partial list.
type Discoverer interface {
	// SearchGroups returns the groups matching an Okta search expression
	// (for example `profile.name sw "jit-aws-" and type eq "OKTA_GROUP"`).
	// EINVALID when Okta refuses the expression; EUNAVAILABLE when Okta
	// cannot be reached, fails or rate-limits past the retries;
	// EUNAUTHORIZED when the token is refused.
	SearchGroups(ctx context.Context, expr string) ([]OktaGroup, error)
	// ListApps returns the apps matching an Okta filter (for example
	// `status eq "ACTIVE"`; "" for all) whose label or name starts with
	// labelPrefix ("" for any), ignoring case. EINVALID when Okta refuses
	// the filter; EUNAVAILABLE; EUNAUTHORIZED.
	ListApps(ctx context.Context, filter, labelPrefix string) ([]OktaApp, error)
	// GroupApps returns the apps assigned to the group. ENOTFOUND when
	// the group does not exist; EUNAVAILABLE; EUNAUTHORIZED.
	GroupApps(ctx context.Context, groupID string) ([]OktaApp, error)
}
