package workflow

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store"
)

// revokeSignal is a provisioner that reports each removal.
type revokeSignal struct{ revoked chan string }

func (p revokeSignal) FindUser(_ context.Context, u access.User) (access.Account, error) {
	return access.Account{ID: u.Email}, nil
}
func (p revokeSignal) HasAccess(context.Context, access.Account, access.Target) (bool, error) {
	return false, nil
}
func (p revokeSignal) Grant(context.Context, access.Account, access.Target) error { return nil }
func (p revokeSignal) Revoke(_ context.Context, a access.Account, _ access.Target) error {
	p.revoked <- a.ID
	return nil
}

// quiet is a directory and messenger that has nobody to tell.
type quiet struct{}

func (quiet) UserByID(context.Context, string) (access.User, error) {
	return access.User{}, access.Errorf(access.ENOTFOUND, "nobody")
}
func (quiet) UserByEmail(context.Context, string) (access.User, error) {
	return access.User{}, access.Errorf(access.ENOTFOUND, "nobody")
}
func (quiet) SendApproval(context.Context, access.User, access.Request, access.Resource, bool) (access.MessageRef, error) {
	return access.MessageRef{}, nil
}
func (quiet) UpdateApproval(context.Context, access.MessageRef, access.Request, access.Resource) error {
	return nil
}
func (quiet) Notify(context.Context, access.User, access.Notice) (access.MessageRef, error) {
	return access.MessageRef{}, nil
}
func (quiet) UpdateNotice(context.Context, access.MessageRef, access.Notice) error { return nil }
func (quiet) Announce(context.Context, access.Notice) (access.MessageRef, error) {
	return access.MessageRef{}, nil
}

func TestRunRemovesAccessWhenItEndsNotAtTheNextTick(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "accessbot.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	g := &access.Request{
		ID: "g1", Kind: access.KindAccess, ResourceID: "aws", Duration: time.Hour, State: access.StateActive,
		Requester: access.User{SlackID: "U1", Email: "alice@example.com"}, CreatedAt: now, UpdatedAt: now,
		Grant: access.Grant{Checked: true, GrantedAt: now, ExpiresAt: now.Add(100 * time.Millisecond),
			Account: access.Account{ID: "00u1"}, Target: access.Target{Kind: access.TargetGroup, ID: "00g1"}},
	}
	g.Due = g.Grant.ExpiresAt
	if err := st.Create(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	p := revokeSignal{revoked: make(chan string, 1)}
	catalog := access.NewCatalog([]access.Resource{{ID: "aws", Name: "AWS", Target: access.Target{Kind: access.TargetGroup, ID: "00g1"}}})
	svc := New(Options{Catalog: catalog}, st, p, quiet{}, quiet{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(ctx, time.Hour) }()
	defer func() { cancel(); <-done }()
	select {
	case <-p.revoked:
	case <-time.After(10 * time.Second):
		t.Fatal("access ending 100 ms after start was not removed within 10 s; Run waits for its hourly tick")
	}
}
