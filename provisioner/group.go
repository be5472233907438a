package provisioner

import (
	"context"
	"net/http"

	"github.com/okta/okta-sdk-golang/v2/okta"
)

// CheckGroup reports whether the Okta group id exists. ENOTFOUND when it does
// not.
func (o *Okta) CheckGroup(ctx context.Context, id string) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		_, resp, err := o.client.Group.GetGroup(ctx, seg(id))
		return resp, err
	})
	if err != nil {
		return o.fail(status, err, "get group %s", id)
	}
	return nil
}

// inGroup pages through the user's groups looking for groupID.
func (o *Okta) inGroup(ctx context.Context, a account, email, groupID string) (bool, error) {
	found := false
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		groups, resp, err := o.client.User.ListUserGroups(ctx, seg(a.id))
		for err == nil {
			for _, g := range groups {
				if g != nil && g.Id == groupID {
					found = true
					return resp, nil
				}
			}
			if !resp.HasNextPage() {
				return resp, nil
			}
			groups = nil
			resp, err = resp.Next(ctx, &groups)
		}
		return resp, err
	})
	if err != nil {
		if status == http.StatusNotFound {
			o.forget(email)
		}
		return false, o.fail(status, err, "list groups of user %s", email)
	}
	return found, nil
}

func (o *Okta) addToGroup(ctx context.Context, a account, email, groupID string) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		return o.client.Group.AddUserToGroup(ctx, seg(groupID), seg(a.id))
	})
	if err != nil {
		if status == http.StatusNotFound {
			o.forget(email)
		}
		return o.fail(status, err, "add user %s to group %s", email, groupID)
	}
	o.log.Debug().Str(fieldUser, email).Str(fieldGroup, groupID).Msg("okta: added user to group")
	return nil
}

func (o *Okta) removeFromGroup(ctx context.Context, a account, email, groupID string) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		return o.client.Group.RemoveUserFromGroup(ctx, seg(groupID), seg(a.id))
	})
	switch {
	case err == nil:
		o.log.Debug().Str(fieldUser, email).Str(fieldGroup, groupID).Msg("okta: removed user from group")
	case status == http.StatusNotFound:
		o.forget(email)
		o.log.Debug().Str(fieldUser, email).Str(fieldGroup, groupID).Msg("okta: user or group gone; nothing to remove")
	default:
		return o.fail(status, err, "remove user %s from group %s", email, groupID)
	}
	return nil
}
