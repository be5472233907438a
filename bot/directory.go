package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// UserByID returns the Slack user slackID, the person who types or clicks,
// with the email on their profile (users.info). It refuses, with
// EFORBIDDEN and an access.IdentityError, an account that is deactivated,
// of another team (on Enterprise Grid: of another organization), a guest
// unless Options.AllowGuests, or whose email Slack has not confirmed.
// EINVALID when the profile shows no email (missing scope), ENOTFOUND for
// an unknown user, EUNAVAILABLE when Slack cannot be asked. Answers,
// refusals included, are cached.
func (b *Slack) UserByID(ctx context.Context, slackID string) (access.User, error) {
	if u, ok := b.users.byIDGet(slackID); ok {
		return u, nil
	}
	if reason, ok := b.users.refusalByID(slackID); ok {
		return access.User{}, refusedActor(reason)
	}
	su, err := b.api.GetUserInfoContext(ctx, slackID)
	if err != nil {
		err = b.slackError("users.info", err)
		if access.ErrorCode(err) == access.ENOTFOUND {
			return access.User{}, &access.Error{Code: access.ENOTFOUND, Message: "Slack does not know that user.", Err: err}
		}
		return access.User{}, err
	}
	reason, err := b.refusal(ctx, su)
	if err != nil {
		return access.User{}, err
	}
	if reason != "" {
		b.users.refuse(su.ID, su.Profile.Email, reason)
		return access.User{}, refusedActor(reason)
	}
	u := userFromSlack(su)
	if u.Email == "" {
		return access.User{}, access.Refuse(access.EINVALID, access.ReasonNoEmail, access.Params{Person: u.SlackID})
	}
	b.users.put(u)
	return u, nil
}

// UserByEmail returns the Slack user with that email (users.lookupByEmail),
// or ENOTFOUND. It is how approvers are found, so an account UserByID would
// refuse is ENOTFOUND too, with the access.IdentityError as its cause: it
// is neither asked nor told. Answers are cached.
func (b *Slack) UserByEmail(ctx context.Context, email string) (access.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if u, ok := b.users.byEmailGet(email); ok {
		return u, nil
	}
	if reason, ok := b.users.refusalByEmail(email); ok {
		return access.User{}, refusedApprover(email, reason)
	}
	su, err := b.api.GetUserByEmailContext(ctx, email)
	if err != nil {
		err = b.slackError("users.lookupByEmail", err)
		if access.ErrorCode(err) == access.ENOTFOUND {
			return access.User{}, &access.Error{Code: access.ENOTFOUND, Message: "No Slack user has the email " + email + ".", Err: err}
		}
		return access.User{}, err
	}
	reason, err := b.refusal(ctx, su)
	if err != nil {
		return access.User{}, err
	}
	if reason != "" {
		b.users.refuse(su.ID, email, reason)
		return access.User{}, refusedApprover(email, reason)
	}
	u := userFromSlack(su)
	if u.Email == "" {
		u.Email = email // the lookup matched it, even if the profile hides it
	}
	b.users.put(u)
	return u, nil
}

// refusal is why su may not act, or "" when they may.
func (b *Slack) refusal(ctx context.Context, su *slack.User) (access.IdentityReason, error) {
	if su.Deleted {
		return access.ReasonDeactivated, nil // whatever the team, without asking auth.test
	}
	own, err := b.whereInstalled(ctx)
	if err != nil {
		return "", err
	}
	return identityRefusal(su, own, b.opts.AllowGuests), nil
}

// refusedActor is the error for a person acting with an account refused
// for reason. It carries the words as its Message, so the reason reaches
// them through any path that shows a domain error's message.
func refusedActor(reason access.IdentityReason) error {
	e := access.RefuseIdentity(reason)
	e.Message, _ = identityWords(e)
	return e
}

// refusedApprover is the ENOTFOUND error for an approver whose account is
// refused for reason.
func refusedApprover(email string, reason access.IdentityReason) error {
	format, ok := approverIdentityMessages[reason]
	if !ok {
		format = "The Slack account of %s can't approve."
	}
	return &access.Error{Code: access.ENOTFOUND, Field: access.FieldIdentity,
		Message: fmt.Sprintf(format, email), Err: access.IdentityError{Reason: reason}}
}

// cachedByEmail names an approver from the cache only, for rendering
// without a network call: the user when known, else just the email.
func (b *Slack) cachedByEmail(email string) access.User {
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
