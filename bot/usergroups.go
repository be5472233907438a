package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

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

// userByHandle returns the Slack id of the one active person whose handle
// or display name is handle (case folded), reading users.list page by page
// (Slack has no lookup by handle). ENOTFOUND when nobody has it, EINVALID
// when several do: a guess could hand someone's approvals to the wrong
// person.
func (b *Slack) userByHandle(ctx context.Context, handle string) (string, error) {
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	var found []string
	p := b.api.GetUsersPaginated(slack.GetUsersOptionLimit(200))
	var err error
	for err == nil {
		if p, err = p.Next(ctx); err != nil {
			break
		}
		for _, u := range p.Users {
			if u.Deleted || u.IsBot || handle == "" {
				continue
			}
			if strings.EqualFold(u.Name, handle) || strings.EqualFold(u.Profile.DisplayName, handle) {
				found = append(found, u.ID)
			}
		}
	}
	if err = p.Failure(err); err != nil {
		return "", b.slackError("users.list", err)
	}
	switch len(found) {
	case 0:
		return "", access.Errorf(access.ENOTFOUND, "no Slack user has the handle %s", handle)
	case 1:
		return found[0], nil
	}
	return "", access.Errorf(access.EINVALID, "%d Slack users have the handle %s", len(found), handle)
}
