package workflow

import (
	"context"
	"fmt"

	"github.com/accessbot/accessbot/access"
)

// defaultProvisionerCalls is Options.ProvisionerCalls when unset: a few
// calls at a time keep a burst of approvals or expiries well inside Okta's
// concurrency and rate limits, while a slow call does not hold up the rest.
const defaultProvisionerCalls = 8

// limitedProvisioner lets at most cap(slots) calls at a time through to the
// identity provider; the others wait their turn, as long as their context
// allows.
type limitedProvisioner struct {
	next  access.Provisioner
	slots chan struct{}
}

var _ access.Provisioner = limitedProvisioner{}

func limitProvisioner(p access.Provisioner, n int) limitedProvisioner {
	return limitedProvisioner{next: p, slots: make(chan struct{}, n)}
}

// acquire waits for a free call; EUNAVAILABLE (retried like any Okta
// outage) when ctx ends first.
func (p limitedProvisioner) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return access.Wrap(access.EUNAVAILABLE, fmt.Errorf("okta: waiting for one of %d concurrent calls: %w", cap(p.slots), ctx.Err()))
	}
}

func (p limitedProvisioner) release() { <-p.slots }

func (p limitedProvisioner) FindUser(ctx context.Context, u access.User) (access.Account, error) {
	if err := p.acquire(ctx); err != nil {
		return access.Account{}, err
	}
	defer p.release()
	return p.next.FindUser(ctx, u)
}

func (p limitedProvisioner) HasAccess(ctx context.Context, a access.Account, t access.Target) (bool, error) {
	if err := p.acquire(ctx); err != nil {
		return false, err
	}
	defer p.release()
	return p.next.HasAccess(ctx, a, t)
}

func (p limitedProvisioner) Grant(ctx context.Context, a access.Account, t access.Target) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	return p.next.Grant(ctx, a, t)
}

func (p limitedProvisioner) Revoke(ctx context.Context, a access.Account, t access.Target) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	return p.next.Revoke(ctx, a, t)
}
