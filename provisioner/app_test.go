package provisioner

import (
	"testing"

	"github.com/accessbot/accessbot/access"
)

func TestAppAssignHasAccessUnassign(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	has := func(want bool) {
		t.Helper()
		got, err := o.HasAccess(ctx, "bob@example.com", app1)
		wantCode(t, err, "")
		if got != want {
			t.Fatalf("HasAccess = %v, want %v", got, want)
		}
	}
	has(false)
	wantCode(t, o.Grant(ctx, "bob@example.com", app1), "")
	wantCode(t, o.Grant(ctx, "bob@example.com", app1), "") // held already
	has(true)
	if userName, _ := srv.AppUserName("0oa1", "00u2"); userName != "bob" {
		t.Fatalf("app username = %q, want the Okta login %q", userName, "bob")
	}
	wantCode(t, o.Revoke(ctx, "bob@example.com", app1), "")
	has(false)
	wantCode(t, o.Revoke(ctx, "bob@example.com", app1), "") // 404: not assigned
}

func TestAppMissing(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	missing := access.Target{Kind: access.TargetApp, ID: "0oaX"}
	wantCode(t, o.Grant(ctx, "alice@example.com", missing), access.ENOTFOUND)
	wantCode(t, o.Revoke(ctx, "alice@example.com", missing), "")
	wantCode(t, o.CheckApp(ctx, "0oaX"), access.ENOTFOUND)
	wantCode(t, o.CheckApp(ctx, "0oa1"), "")
}
