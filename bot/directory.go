package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// noEmailMessage tells a person why accessbot cannot serve them.
const noEmailMessage = "Your Slack profile has no email, so accessbot can't match you to Okta; ask an admin (the app needs the users:read.email scope)."

// UserByID returns the Slack user slackID with the email on their profile
// (users.info). EINVALID when the profile shows no email (missing scope, or
// a guest without one), ENOTFOUND for an unknown or deactivated user,
// EUNAVAILABLE when Slack cannot be asked. Answers are cached.
func (b *Bot) UserByID(ctx context.Context, slackID string) (access.User, error) {
	if u, ok := b.users.byIDGet(slackID); ok {
		return u, nil
	}
	su, err := b.api.GetUserInfoContext(ctx, slackID)
	if err != nil {
		err = b.slackError("users.info", err)
		if access.ErrorCode(err) == access.ENOTFOUND {
			return access.User{}, &access.Error{Code: access.ENOTFOUND, Message: "Slack does not know that user.", Err: err}
		}
		return access.User{}, err
	}
	if su.Deleted {
		return access.User{}, access.Errorf(access.ENOTFOUND, "That Slack account is deactivated.")
	}
	u := userFromSlack(su)
	if u.Email == "" {
		return access.User{}, access.Errorf(access.EINVALID, noEmailMessage)
	}
	b.users.put(u)
	return u, nil
}

// UserByEmail returns the Slack user with that email (users.lookupByEmail),
// or ENOTFOUND. Answers are cached.
func (b *Bot) UserByEmail(ctx context.Context, email string) (access.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if u, ok := b.users.byEmailGet(email); ok {
		return u, nil
	}
	su, err := b.api.GetUserByEmailContext(ctx, email)
	if err != nil {
		err = b.slackError("users.lookupByEmail", err)
		if access.ErrorCode(err) == access.ENOTFOUND {
			return access.User{}, &access.Error{Code: access.ENOTFOUND, Message: "No Slack user has the email " + email + ".", Err: err}
		}
		return access.User{}, err
	}
	if su.Deleted {
		return access.User{}, access.Errorf(access.ENOTFOUND, "The Slack account of %s is deactivated.", email)
	}
	u := userFromSlack(su)
	if u.Email == "" {
		u.Email = email // the lookup matched it, even if the profile hides it
	}
	b.users.put(u)
	return u, nil
}

// cachedByEmail names an approver from the cache only, for rendering
// without a network call: the user when known, else just the email.
func (b *Bot) cachedByEmail(email string) access.User {
	if u, ok := b.users.byEmailGet(email); ok {
		return u
	}
	return access.User{Email: strings.ToLower(email)}
}

func userFromSlack(su *slack.User) access.User {
	name := su.Profile.DisplayName
	if name == "" {
		name = su.RealName
	}
	if name == "" {
		name = su.Profile.RealName
	}
	if name == "" {
		name = su.Name
	}
	return access.User{SlackID: su.ID, Email: strings.ToLower(strings.TrimSpace(su.Profile.Email)), Name: name}
}
