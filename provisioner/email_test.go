package provisioner

import (
	"context"

	"github.com/accessbot/accessbot/access"
)

// byEmail drives an Okta the way the workflow does: the account is looked
// up by email first (FindUser), then the call names the account.
type byEmail struct{ *Okta }

func (o byEmail) account(ctx context.Context, email string) (access.Account, error) {
	return o.FindUser(ctx, access.User{Email: email})
}

func (o byEmail) HasAccess(ctx context.Context, email string, t access.Target) (bool, error) {
	a, err := o.account(ctx, email)
	if err != nil {
		return false, err
	}
	return o.Okta.HasAccess(ctx, a, t)
}

func (o byEmail) Grant(ctx context.Context, email string, t access.Target) error {
	a, err := o.account(ctx, email)
	if err != nil {
		return err
	}
	return o.Okta.Grant(ctx, a, t)
}

func (o byEmail) Revoke(ctx context.Context, email string, t access.Target) error {
	a, err := o.account(ctx, email)
	if err != nil {
		return err
	}
	return o.Okta.Revoke(ctx, a, t)
}
