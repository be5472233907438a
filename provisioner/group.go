package provisioner

import (
	"context"
	"net/http"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/accessbot/accessbot/access"
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
func (o *Okta) inGroup(ctx context.Context, a access.Account, groupID string) (bool, error) {
	found := false
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		groups, resp, err := o.client.User.ListUserGroups(ctx, seg(a.ID))
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
		return false, o.fail(status, err, "list groups of user %s", who(a))
	}
	return found, nil
}

func (o *Okta) addToGroup(ctx context.Context, a access.Account, groupID string) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		return o.client.Group.AddUserToGroup(ctx, seg(groupID), seg(a.ID))
	})
	if err != nil {
		return o.fail(status, err, "add user %s to group %s", who(a), groupID)
	}
	o.log.Debug().Str(fieldUser, who(a)).Str(fieldGroup, groupID).Msg("okta: added user to group")
	return nil
}

func (o *Okta) removeFromGroup(ctx context.Context, a access.Account, groupID string) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		return o.client.Group.RemoveUserFromGroup(ctx, seg(groupID), seg(a.ID))
	})
	switch {
	case err == nil:
		o.log.Debug().Str(fieldUser, who(a)).Str(fieldGroup, groupID).Msg("okta: removed user from group")
	case status == http.StatusNotFound:
		o.log.Debug().Str(fieldUser, who(a)).Str(fieldGroup, groupID).Msg("okta: user or group gone; nothing to remove")
	default:
		return o.fail(status, err, "remove user %s from group %s", who(a), groupID)
	}
	return nil
}
