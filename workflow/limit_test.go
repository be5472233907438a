package workflow

import (
	"context"
	"sync"
	"testing"

	"github.com/accessbot/accessbot/access"
)

// gate is a provisioner whose calls block until released, and which
// reports every call as it starts.
type gate struct {
	started chan string
	release chan struct{}
}

func (g gate) call(ctx context.Context, email string) error {
	g.started <- email
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gate) FindUser(ctx context.Context, u access.User) (access.Account, error) {
	return access.Account{ID: u.Email}, g.call(ctx, u.Email)
}
func (g gate) HasAccess(ctx context.Context, a access.Account, _ access.Target) (bool, error) {
	return false, g.call(ctx, a.ID)
}
func (g gate) Grant(ctx context.Context, a access.Account, _ access.Target) error {
	return g.call(ctx, a.ID)
}
func (g gate) Revoke(ctx context.Context, a access.Account, _ access.Target) error {
	return g.call(ctx, a.ID)
}

func TestProvisionerCallsAreBounded(t *testing.T) {
	g := gate{started: make(chan string, 10), release: make(chan struct{})}
	p := limitProvisioner(g, 2)
	target := access.Target{Kind: access.TargetGroup, ID: "00g1"}
	var wg sync.WaitGroup
	for _, call := range []func() error{
		func() error { return p.Grant(t.Context(), access.Account{ID: "a@x"}, target) },
		func() error { return p.Revoke(t.Context(), access.Account{ID: "b@x"}, target) },
		func() error { _, err := p.HasAccess(t.Context(), access.Account{ID: "c@x"}, target); return err },
		func() error { return p.Grant(t.Context(), access.Account{ID: "d@x"}, target) },
	} {
		wg.Go(func() {
			if err := call(); err != nil {
				t.Errorf("call: %v", err)
			}
		})
	}
	<-g.started
	<-g.started
	select {
	case who := <-g.started:
		t.Fatalf("a third call (%s) reached Okta while two were in flight", who)
	default:
	}
	// Each call finished lets exactly one waiting call through.
	g.release <- struct{}{}
	<-g.started
	g.release <- struct{}{}
	<-g.started
	g.release <- struct{}{}
	g.release <- struct{}{}
	wg.Wait()
}

func TestProvisionerCallGivesUpWithItsContext(t *testing.T) {
	g := gate{started: make(chan string, 1), release: make(chan struct{})}
	p := limitProvisioner(g, 1)
	target := access.Target{Kind: access.TargetGroup, ID: "00g1"}
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Grant(t.Context(), access.Account{ID: "a@x"}, target) }()
	<-g.started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Revoke(ctx, access.Account{ID: "b@x"}, target); access.ErrorCode(err) != access.EUNAVAILABLE {
		t.Errorf("Revoke while the only call is taken, with its context ended = %v, want EUNAVAILABLE (retried later)", err)
	}
	g.release <- struct{}{}
	<-done
}
