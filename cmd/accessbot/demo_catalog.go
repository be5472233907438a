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
// "JIT AWS" is requestable, approved by bob or carol; and its bundle of the
// database and Grafana, which bob and carol approve (both approve every
// member), with one approval.
const (
	demoSources = `resource_sources:
  - okta_groups: {search: 'profile.name sw "JIT AWS"'}
    policy: standard
    approvers: [bob@example.com, carol@example.com]
    refresh: 15m
bundles:
  - id: incident-kit
    name: Incident kit
    resources: [db-prod, grafana-admin]
    min_approvals: 1
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
	var bobDM, carolDM, confirmation fakeslack.Message
	if err := d.expect(ctx,
		d.dmWith(Bob, "an approval request with Approve and Deny", &bobDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Carol, "an approval request with Approve and Deny", &carolDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Dave, "a confirmation that the request was sent", &confirmation, demoHasWords("sent to")),
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
		d.dmWith(Dave, "a DM that the access expired", nil, demoHasWords("expired")),
		d.updateOf(bobDM, "bob's approval request to show the access expired", demoHasWords("expired")),
		d.updateOf(carolDM, "carol's approval request to show the access expired", demoHasWords("expired")),
		d.updateOf(confirmation, "dave's confirmation to show the access expired", demoHasWords("expired")),
	); err != nil {
		return err
	}
	if members := d.sb.Okta.Members(demoGroupBilling); len(members) > 0 {
		return fmt.Errorf("okta group %s still has members %v", demoGroupBilling, members)
	}
	return nil
}

// Story: one request, one approval, two grants in Okta (a group and an
// app) that end together; revoking the bundle removes both.
func (d *demo) storyBundle(ctx context.Context) error {
	d.begin()
	if err := d.slash(ctx, Erin, "/access", "request incident-kit 1h INC-311 checkout errors"); err != nil {
		return err
	}
	var carolDM fakeslack.Message
	if err := d.expect(ctx,
		d.dmWith(Carol, "one approval request for the whole bundle", &carolDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Erin, "a confirmation that the request was sent", nil, demoHasWords("sent to")),
	); err != nil {
		return err
	}
	d.begin()
	d.click(ctx, Carol, carolDM, bot.ActionApprove)
	var bundleDM fakeslack.Message
	if err := d.expect(ctx,
		d.oktaWrite("erin added to group "+SandboxGroupDB, http.MethodPut, "/api/v1/groups/"+SandboxGroupDB+"/users/"+Erin.OktaID),
		d.oktaWrite("erin assigned app "+SandboxAppGrafana, http.MethodPost, "/api/v1/apps/"+SandboxAppGrafana+"/users"),
		d.dmWith(Erin, "a DM that the bundle is granted, with Revoke now", &bundleDM, func(m fakeslack.Message) bool {
			return demoHasWords("Incident kit", "granted")(m) && demoHasButton(m, bot.ActionRevoke)
		}),
	); err != nil {
		return err
	}
	d.begin()
	d.click(ctx, Erin, bundleDM, bot.ActionRevoke)
	if err := d.expect(ctx,
		d.oktaWrite("erin removed from group "+SandboxGroupDB, http.MethodDelete, "/api/v1/groups/"+SandboxGroupDB+"/users/"+Erin.OktaID),
		d.oktaWrite("erin unassigned from app "+SandboxAppGrafana, http.MethodDelete, "/api/v1/apps/"+SandboxAppGrafana+"/users/"+Erin.OktaID),
	); err != nil {
		return err
	}
	if d.sb.Okta.IsMember(SandboxGroupDB, Erin.OktaID) || d.sb.Okta.AppAssigned(SandboxAppGrafana, Erin.OktaID) {
		return fmt.Errorf("okta still holds a part of the revoked bundle")
	}
	return nil
}
