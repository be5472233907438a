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

// account is the Okta user behind an email.
type account struct {
	id    string
	login string
}

// CheckUser reports whether an Okta user has email as login or email.
// ENOTFOUND when none has; EINVALID when several have it as email.
func (o *Okta) CheckUser(ctx context.Context, email string) error {
	_, err := o.user(ctx, email)
	return err
}

// user returns the account of email, from memory when it was found before.
func (o *Okta) user(ctx context.Context, email string) (account, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return account{}, access.Errorf(access.EINVALID, "no email to look up in Okta")
	}
	key := strings.ToLower(email)
	o.mu.Lock()
	a, ok := o.users[key]
	o.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := o.findUser(ctx, email)
	if err != nil {
		return account{}, err
	}
	o.mu.Lock()
	o.users[key] = a
	o.mu.Unlock()
	return a, nil
}

// forget drops what is remembered of email, after Okta said its user id does
// not exist (the user was deleted, or re-created under a new id).
func (o *Okta) forget(email string) {
	o.mu.Lock()
	delete(o.users, strings.ToLower(strings.TrimSpace(email)))
	o.mu.Unlock()
}

// findUser looks email up as a login, then as profile.email. It never picks
// one of several users who share an email.
func (o *Okta) findUser(ctx context.Context, email string) (account, error) {
	var u *okta.User
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		u, resp, err = o.client.User.GetUser(ctx, seg(email))
		return resp, err
	})
	switch {
	case err == nil && u != nil && strings.EqualFold(profileString(u, "login"), email):
		return account{id: u.Id, login: profileString(u, "login")}, nil
	case err != nil && status != http.StatusNotFound:
		return account{}, o.fail(status, err, "find user %s by login", email)
	}
	// Not a login (or Okta matched something else, such as a login's short
	// name): search by email.
	var users []*okta.User
	filter := fmt.Sprintf(`profile.email eq "%s"`, quote(email))
	status, err = call(ctx, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		users, resp, err = o.client.User.ListUsers(ctx, query.NewQueryParams(query.WithSearch(filter)))
		return resp, err
	})
	if err != nil {
		return account{}, o.fail(status, err, "find user %s by email", email)
	}
	var found []*okta.User
	for _, u := range users {
		if u != nil && u.Id != "" && strings.EqualFold(profileString(u, "email"), email) {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 0:
		return account{}, access.Errorf(access.ENOTFOUND, "no Okta user has login or email %s", email)
	case 1:
		return account{id: found[0].Id, login: profileString(found[0], "login")}, nil
	}
	ids := make([]string, len(found))
	for i, u := range found {
		ids[i] = u.Id
	}
	return account{}, access.Errorf(access.EINVALID,
		"%d Okta users (%s) have email %s and none has it as login; accessbot will not guess which one is meant",
		len(found), strings.Join(ids, ", "), email)
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
