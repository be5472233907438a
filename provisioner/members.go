package provisioner

import (
	"context"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/accessbot/accessbot/access"
)

var _ access.MemberLister = (*Okta)(nil)

// Okta's largest pages for these listings.
const (
	groupUserPageSize = 1000
	appUserPageSize   = 500
	rulePageSize      = 200
)

// GroupMembers returns every member of the group, with ByRule set for
// memberships an active group rule holds. See access.MemberLister.
func (o *Okta) GroupMembers(ctx context.Context, groupID string) ([]access.Member, error) {
	var users []*okta.User
	status, err := allPages(ctx, func(ctx context.Context) ([]*okta.User, *okta.Response, error) {
		return o.client.Group.ListGroupUsers(ctx, seg(groupID), query.NewQueryParams(query.WithLimit(groupUserPageSize)))
	}, func(page []*okta.User) { users = append(users, page...) })
	if err != nil {
		return nil, o.fail(status, err, "list members of group %s", groupID)
	}
	rules, err := o.groupRules(ctx, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]access.Member, 0, len(users))
	for _, u := range users {
		if u == nil || u.Id == "" {
			continue
		}
		var profile map[string]any
		if u.Profile != nil {
			profile = *u.Profile
		}
		m := access.Member{UserID: u.Id, Login: profileString(u, "login"), Email: profileString(u, "email")}
		for _, r := range rules {
			// A rule beyond what can be evaluated may hold anyone.
			if r == nil || r.eval(profile) {
				m.ByRule = true
				break
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// groupRules returns the conditions of the active rules that add users to
// groupID; nil stands for a condition that cannot be evaluated here.
func (o *Okta) groupRules(ctx context.Context, groupID string) ([]ruleExpr, error) {
	var out []ruleExpr
	status, err := allPages(ctx, func(ctx context.Context) ([]*okta.GroupRule, *okta.Response, error) {
		return o.client.Group.ListGroupRules(ctx, query.NewQueryParams(query.WithLimit(rulePageSize)))
	}, func(rules []*okta.GroupRule) {
		for _, r := range rules {
			if r == nil || r.Status != "ACTIVE" || !assignsTo(r, groupID) {
				continue
			}
			var e ruleExpr
			if r.Conditions != nil && r.Conditions.Expression != nil {
				if parsed, ok := parseRule(r.Conditions.Expression.Value); ok {
					e = parsed
				}
			}
			out = append(out, e)
		}
	})
	if err != nil {
		return nil, o.fail(status, err, "list group rules")
	}
	return out, nil
}

func assignsTo(r *okta.GroupRule, groupID string) bool {
	if r.Actions == nil || r.Actions.AssignUserToGroups == nil {
		return false
	}
	for _, id := range r.Actions.AssignUserToGroups.GroupIds {
		if id == groupID {
			return true
		}
	}
	return false
}

// AppUsers returns every user assigned to the app. See access.MemberLister.
func (o *Okta) AppUsers(ctx context.Context, appID string) ([]access.Member, error) {
	var out []access.Member
	status, err := allPages(ctx, func(ctx context.Context) ([]*okta.AppUser, *okta.Response, error) {
		// expand=user embeds each user: their login and email come without
		// a request per user.
		return o.client.Application.ListApplicationUsers(ctx, seg(appID),
			query.NewQueryParams(query.WithExpand("user"), query.WithLimit(appUserPageSize)))
	}, func(page []*okta.AppUser) {
		for _, au := range page {
			if au == nil || au.Id == "" {
				continue
			}
			login, email := embeddedUser(au)
			out = append(out, access.Member{UserID: au.Id, Login: login, Email: email})
		}
	})
	if err != nil {
		return nil, o.fail(status, err, "list users of app %s", appID)
	}
	return out, nil
}

// embeddedUser reads login and email from the user Okta embeds in an app
// assignment for expand=user.
func embeddedUser(au *okta.AppUser) (login, email string) {
	emb, _ := au.Embedded.(map[string]any)
	u, _ := emb["user"].(map[string]any)
	profile, _ := u["profile"].(map[string]any)
	login, _ = profile["login"].(string)
	email, _ = profile["email"].(string)
	return login, email
}
