package access

import "strings"

// User is a person as accessbot knows them: their Slack id and the email on
// their Slack profile, which maps them to Okta and PagerDuty.
type User struct {
	SlackID string `json:"slack_id,omitempty"`
	Email   string `json:"email,omitempty"` // lower case
	Name    string `json:"name,omitempty"`  // display name, for messages only
}

// Is reports whether u and o are the same person, by Slack id or by email.
func (u User) Is(o User) bool {
	if u.SlackID != "" && u.SlackID == o.SlackID {
		return true
	}
	return u.Email != "" && strings.EqualFold(u.Email, o.Email)
}

// System is the actor of events the bot causes itself (expiry, time-out).
var System = User{Name: "accessbot"}

// Display returns how to name u to people: the name, else the email.
func (u User) Display() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Account is the identity-provider (Okta) account a grant acted on. It is
// recorded when access is granted, and the removal uses it, whatever the
// person's email maps to by then.
type Account struct {
	ID    string `json:"id"`
	Login string `json:"login,omitempty"`
}
