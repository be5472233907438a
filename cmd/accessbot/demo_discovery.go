package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// The demo's resource_sources rule: every Okta group whose name starts
// "JIT AWS" is requestable, approved by bob or carol.
const (
	demoSources = `resource_sources:
  - okta_groups: {search: 'profile.name sw "JIT AWS"'}
    policy: standard
    approvers: [bob@example.com, carol@example.com]
    refresh: 15m
`
	demoGroupBilling = "00gjitbilling"
)

// demoDiscoveredOkta adds the group the rule discovers.
func demoDiscoveredOkta(sb *Sandbox) {
	sb.Okta.PutGroup(fakeokta.Group{ID: demoGroupBilling, Name: "JIT AWS Billing", Description: "billing console, read-only"})
}

// Story: a group nobody wrote into the config, discovered in Okta by rule,
// is asked for and granted like any other.
func (d *demo) storyDiscovered(ctx context.Context) error {
	d.emit("%s· group %q (%s) matches resource_sources[0] (profile.name sw \"JIT AWS\"): accessbot found it at start-up as jit-aws-billing",
		demoPad("okta"), "JIT AWS Billing", demoGroupBilling)
	d.begin()
	if err := d.slash(ctx, Dave, "/access", "request jit-aws-billing 1h reconcile the November invoice"); err != nil {
		return err
	}
	var bobDM fakeslack.Message
	if err := d.expect(ctx,
		d.dmWith(Bob, "an approval request with Approve and Deny", &bobDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
	); err != nil {
		return err
	}
	d.begin()
	d.click(ctx, Bob, bobDM, bot.ActionApprove)
	if err := d.expect(ctx,
		d.oktaWrite("dave added to group "+demoGroupBilling, http.MethodPut, "/api/v1/groups/"+demoGroupBilling+"/users/"+Dave.OktaID),
		d.dmWith(Dave, "a DM that access is granted, with Revoke now", nil, demoHasButtons(bot.ActionRevoke)),
	); err != nil {
		return err
	}
	d.begin()
	d.advance(time.Hour)
	if err := d.expect(ctx,
		d.oktaWrite("dave removed from group "+demoGroupBilling, http.MethodDelete, "/api/v1/groups/"+demoGroupBilling+"/users/"+Dave.OktaID),
	); err != nil {
		return err
	}
	if members := d.sb.Okta.Members(demoGroupBilling); len(members) > 0 {
		return fmt.Errorf("okta group %s still has members %v", demoGroupBilling, members)
	}
	return nil
}
