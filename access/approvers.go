package access

import (
	"context"
	"strings"
)

// ApproverKind says what an entry of a resource's approvers names.
type ApproverKind string

const (
	ApproverEmail          ApproverKind = "email"           // one person, by the email on their profiles
	ApproverOktaGroup      ApproverKind = "okta_group"      // the members of an Okta group
	ApproverSlackUserGroup ApproverKind = "slack_usergroup" // the members of a Slack user group
)

// ApproverEntry is one entry of a resource's approvers (or notify) list as
// written in config: "alice@acme.com", "okta_group:00g…" or
// "slack_usergroup:S…".
type ApproverEntry struct {
	Kind ApproverKind
	// Value is the email (lower case) or the group's id.
	Value string
}

// String writes the entry as config does.
func (e ApproverEntry) String() string {
	if e.Kind == ApproverEmail {
		return e.Value
	}
	return string(e.Kind) + ":" + e.Value
}

// IsGroup reports whether the entry stands for a group's members.
func (e ApproverEntry) IsGroup() bool { return e.Kind != ApproverEmail }

// ParseApproverEntry reads one entry. It reports false for a prefix it does
// not know or an empty id; config validation says what is wrong in words.
// An entry without a known prefix is an email (its syntax is config's to
// check).
func ParseApproverEntry(s string) (ApproverEntry, bool) {
	s = strings.TrimSpace(s)
	kind, id, found := strings.Cut(s, ":")
	switch k := ApproverKind(strings.ToLower(strings.TrimSpace(kind))); {
	case found && (k == ApproverOktaGroup || k == ApproverSlackUserGroup):
		id = strings.TrimSpace(id)
		return ApproverEntry{Kind: k, Value: id}, id != ""
	case found && !strings.Contains(s, "@"):
		return ApproverEntry{}, false
	}
	return ApproverEntry{Kind: ApproverEmail, Value: strings.ToLower(s)}, s != ""
}

// ParseApproverEntries reads a list written by config (already checked);
// entries it cannot read are left out.
func ParseApproverEntries(list []string) []ApproverEntry {
	out := make([]ApproverEntry, 0, len(list))
	for _, s := range list {
		if e, ok := ParseApproverEntry(s); ok {
			out = append(out, e)
		}
	}
	return out
}

// ApproverSet is who an approvers (or notify) list names at one moment,
// with its groups resolved to their members. The workflow resolves it;
// the rules in this package only ask it.
type ApproverSet struct {
	// People holds each person once, in the list's order: an email entry or
	// an Okta group member by email, a Slack user group member by Slack id
	// (and email, once known).
	People []User
	// Unreadable lists the group entries whose members could not be read:
	// the set may be missing people.
	Unreadable []ApproverEntry
	// Empty lists the group entries that have no members.
	Empty []ApproverEntry
}

// Includes reports whether u is in the set, by Slack id or email.
func (s ApproverSet) Includes(u User) bool {
	for _, p := range s.People {
		if p.Is(u) {
			return true
		}
	}
	return false
}

// Complete reports whether every group of the list could be read.
func (s ApproverSet) Complete() bool { return len(s.Unreadable) == 0 }

// Without returns the people of s other than u.
func (s ApproverSet) Without(u User) []User {
	out := make([]User, 0, len(s.People))
	for _, p := range s.People {
		if !p.Is(u) {
			out = append(out, p)
		}
	}
	return out
}

// Add puts u in the set unless it is there already.
func (s *ApproverSet) Add(u User) {
	if u.SlackID == "" && u.Email == "" {
		return
	}
	u.Email = strings.ToLower(u.Email)
	if !s.Includes(u) {
		s.People = append(s.People, u)
	}
}

// UserGroupLister lists the members of chat user groups (Slack).
type UserGroupLister interface {
	// UserGroupMembers returns the Slack ids of the group's members.
	// ENOTFOUND when there is no such group; EUNAVAILABLE when Slack cannot
	// be asked; EFORBIDDEN when the token lacks the scope.
	UserGroupMembers(ctx context.Context, groupID string) ([]string, error)
}
