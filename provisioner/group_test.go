package provisioner

import (
	"slices"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
)

func TestGroupGrantHasAccessRevoke(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	has := func(want bool) {
		t.Helper()
		got, err := o.HasAccess(ctx, "alice@example.com", group1)
		wantCode(t, err, "")
		if got != want {
			t.Fatalf("HasAccess = %v, want %v", got, want)
		}
	}
	has(false)
	wantCode(t, o.Grant(ctx, "alice@example.com", group1), "")
	wantCode(t, o.Grant(ctx, "alice@example.com", group1), "") // held already
	has(true)
	wantCode(t, o.Revoke(ctx, "alice@example.com", group1), "")
	has(false)
	wantCode(t, o.Revoke(ctx, "alice@example.com", group1), "") // not held
}

func TestGroupHasAccessFollowsPages(t *testing.T) {
	srv := newOktaServer(t)
	srv.SetMaxPage(1)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	for _, g := range []string{"00g1", "00g2", "00g3"} {
		wantCode(t, o.Grant(ctx, "alice@example.com", access.Target{Kind: access.TargetGroup, ID: g}), "")
	}
	alice, err := o.account(ctx, "alice@example.com")
	wantCode(t, err, "")
	srv.takeRequests()
	got, err := o.Okta.HasAccess(ctx, alice, access.Target{Kind: access.TargetGroup, ID: "00g3"})
	wantCode(t, err, "")
	if !got {
		t.Fatal("HasAccess on the third page = false, want true")
	}
	reqs := srv.takeRequests()
	if len(reqs) != 3 || !strings.Contains(reqs[1], "after=00g1") || !strings.Contains(reqs[2], "after=00g2") {
		t.Fatalf("requests = %q, want three pages", reqs)
	}
	got, err = o.HasAccess(ctx, "alice@example.com", access.Target{Kind: access.TargetGroup, ID: "00g9"})
	wantCode(t, err, "")
	if got {
		t.Fatal("HasAccess on a group not held = true")
	}
}

func TestGroupMissing(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	missing := access.Target{Kind: access.TargetGroup, ID: "00gX"}
	wantCode(t, o.Grant(ctx, "alice@example.com", missing), access.ENOTFOUND)
	wantCode(t, o.Revoke(ctx, "alice@example.com", missing), "") // nothing to take away
	wantCode(t, o.CheckGroup(ctx, "00gX"), access.ENOTFOUND)
	wantCode(t, o.CheckGroup(ctx, "00g1"), "")
	if got := srv.members("00g1"); !slices.Equal(got, []string(nil)) {
		t.Fatalf("members of 00g1 = %q", got)
	}
}
