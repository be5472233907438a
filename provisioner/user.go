package provisioner

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/accessbot/accessbot/access"
)

// FindUser returns the Okta account of u: with Options.SlackIDAttribute,
// the one user whose profile attribute holds u's Slack id; otherwise the
// user whose login is u's email, else the one user with that email. It
// asks Okta every time: a grant records the account it acted on, so an
// email that later moves to another account changes nothing already granted.
func (o *Okta) FindUser(ctx context.Context, u access.User) (access.Account, error) {
	if o.slackIDAttribute != "" {
		return o.findBySlackID(ctx, u.SlackID)
	}
	email := strings.TrimSpace(u.Email)
	if email == "" {
		return access.Account{}, access.Errorf(access.EINVALID, "no email to look up in Okta")
	}
	return o.findByEmail(ctx, email)
}

// CheckUser reports whether email maps to exactly one Okta user.
func (o *Okta) CheckUser(ctx context.Context, email string) error {
	_, err := o.FindUser(ctx, access.User{Email: email})
	return err
}

// findByEmail finds the account by login, then by profile.email, refusing to
// pick one of several users who share an email.
func (o *Okta) findByEmail(ctx context.Context, email string) (access.Account, error) {
	var u *okta.User
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		u, resp, err = o.client.User.GetUser(ctx, seg(email))
		return resp, err
	})
	switch {
	case err == nil && u != nil && strings.EqualFold(profileString(u, "login"), email):
		return accountOf(u), nil
	case err != nil && status != http.StatusNotFound:
		return access.Account{}, o.fail(status, err, "find user %s by login", email)
	}
	found, err := o.search(ctx, fmt.Sprintf(`profile.email eq "%s"`, quote(email)), "email "+email,
		func(u *okta.User) bool { return strings.EqualFold(profileString(u, "email"), email) })
	if err != nil {
		return access.Account{}, err
	}
	switch len(found) {
	case 0:
		return access.Account{}, noUser(0, email, fmt.Sprintf("no Okta user has login or email %s", email))
	case 1:
		return found[0], nil
	}
	return access.Account{}, noUser(len(found), email, fmt.Sprintf(
		"%d Okta users (%s) have email %s and none has it as login; accessbot will not guess which one is meant",
		len(found), ids(found), email))
}

// findBySlackID finds the one user whose SlackIDAttribute is slackID.
func (o *Okta) findBySlackID(ctx context.Context, slackID string) (access.Account, error) {
	if slackID == "" {
		return access.Account{}, access.Errorf(access.EINVALID, "no Slack user id to look up in Okta")
	}
	attr := o.slackIDAttribute
	found, err := o.search(ctx, fmt.Sprintf(`profile.%s eq "%s"`, attr, quote(slackID)), attr+" "+slackID,
		func(u *okta.User) bool { return profileString(u, attr) == slackID })
	if err != nil {
		return access.Account{}, err
	}
	switch len(found) {
	case 0:
		return access.Account{}, noUser(0, slackID, fmt.Sprintf("no Okta user has %s %s", attr, slackID))
	case 1:
		return found[0], nil
	}
	return access.Account{}, noUser(len(found), slackID, fmt.Sprintf(
		"%d Okta users (%s) have %s %s; accessbot will not guess which one is meant", len(found), ids(found), attr, slackID))
}

// search returns the accounts of the users the search expression finds and
// keep accepts (Okta's search is not exact on every attribute).
func (o *Okta) search(ctx context.Context, expr, what string, keep func(*okta.User) bool) ([]access.Account, error) {
	var users []*okta.User
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		users, resp, err = o.client.User.ListUsers(ctx, query.NewQueryParams(query.WithSearch(expr)))
		return resp, err
	})
	if err != nil {
		return nil, o.fail(status, err, "find user by %s", what)
	}
	var found []access.Account
	for _, u := range users {
		if u != nil && u.Id != "" && keep(u) {
			found = append(found, accountOf(u))
		}
	}
	return found, nil
}

// noUser is the error for a person who maps to no Okta account (n == 0,
// ENOTFOUND) or to several (EINVALID): the technical message for logs, the
// reason for the person.
func noUser(n int, who, message string) *access.Error {
	code := access.ENOTFOUND
	if n > 1 {
		code = access.EINVALID
	}
	return &access.Error{Code: code, Reason: access.ReasonOktaNoUser, Params: access.Params{Person: who, Count: n}, Message: message}
}

// who names an account in errors and logs: its login, else its id.
func who(a access.Account) string {
	if a.Login != "" {
		return a.Login
	}
	return a.ID
}

func accountOf(u *okta.User) access.Account {
	return access.Account{ID: u.Id, Login: profileString(u, "login")}
}

func ids(as []access.Account) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return strings.Join(out, ", ")
}

// quote escapes s for a string literal in an Okta search expression.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

func profileString(u *okta.User, key string) string {
	if u.Profile == nil {
		return ""
	}
	s, _ := (*u.Profile)[key].(string)
	return s
}
