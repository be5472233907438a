package workflow

import (
	"context"

	"github.com/accessbot/accessbot/access"
)

// checkFor makes c a request on behalf of the Slack user forID, when the
// resource's on_behalf allows the person asking: the access goes to them,
// and neither they nor the asker may approve it.
func (s *Service) checkFor(ctx context.Context, c *checked, forID string) error {
	subject, err := s.actor(ctx, forID)
	if err != nil {
		if code := access.ErrorCode(err); code == access.ENOTFOUND || code == access.EFORBIDDEN || code == access.EINVALID {
			return access.FieldRefuse("for", access.ReasonUnknownDelegate, access.Params{Value: forID})
		}
		return err
	}
	asker := c.requester
	if subject.Is(asker) {
		return access.FieldRefuse("for", access.ReasonOnBehalfSelf, access.Params{})
	}
	approver := s.approverSet(ctx, c.resource, false).Includes(asker)
	if err := c.resource.CheckOnBehalf(s.isAdmin(asker), approver); err != nil {
		return s.refuse(ctx, asker, nil, "request_for", err)
	}
	c.requester, c.requestedBy = subject, asker
	return nil
}

// asker is who asked for r: the requester, or who asked on their behalf.
func asker(r *access.Request) access.User {
	if r.OnBehalf() {
		return r.RequestedBy
	}
	return r.Requester
}
