package bot

import (
	"context"

	"github.com/accessbot/accessbot/access"
)

var _ access.UserGroupLister = (*Slack)(nil)

// UserGroupMembers returns the Slack ids of a user group's members
// (usergroups.users.list, scope usergroups:read). ENOTFOUND for an unknown
// (or disabled) group. See access.UserGroupLister.
func (b *Slack) UserGroupMembers(ctx context.Context, groupID string) ([]string, error) {
	ids, err := b.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		err = b.slackError("usergroups.users.list", err)
		if access.ErrorCode(err) == access.ENOTFOUND {
			return nil, &access.Error{Code: access.ENOTFOUND, Message: "Slack has no user group " + groupID + ".", Err: err}
		}
		return nil, err
	}
	return ids, nil
}
