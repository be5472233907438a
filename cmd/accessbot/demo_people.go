package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// The demo's staging resource takes requests made for someone else.
const (
	demoGroupStaging = "00gstaging"
	demoStagingYAML  = `  - id: staging-admin
    name: Staging admin
    okta_group: ` + demoGroupStaging + `
    approvers: [bob@example.com, carol@example.com]
    policy: standard
    on_behalf: approvers
`
)

// Story 6: bob is away and delegates to alice (an approver elsewhere);
// dave's request reaches her too, and she approves it for bob. The
// delegation ends when bob turns it off.
func (d *demo) storyDelegation(ctx context.Context) error {
	d.begin()
	if err := d.slashMention(ctx, Bob, "delegate %s until 3d db-prod", Alice); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.replyTo(Bob, "word that alice approves for him until a date", demoHasWords("approves for", "until")),
		d.dmWith(Alice, "word that she now approves for bob", nil, demoHasWords("delegation")),
		d.audited("the delegation", "delegation", "<@"+Alice.SlackID+">", "<@"+Bob.SlackID+">"),
	); err != nil {
		return err
	}

	d.begin()
	var aliceDM fakeslack.Message
	if err := d.slash(ctx, Dave, "/access", "request db-prod 1h backfill the invoices (CHG-1077)"); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.dmWith(Alice, "bob's approval request, as his delegate", &aliceDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Bob, "the approval request too", nil, demoHasButtons(bot.ActionApprove)),
		d.dmWith(Carol, "an approval request", nil, demoHasButtons(bot.ActionApprove)),
	); err != nil {
		return err
	}

	d.begin()
	d.click(ctx, Alice, aliceDM, bot.ActionApprove)
	if err := d.expect(ctx,
		d.oktaWrite("dave added to group 00gdbprod", http.MethodPut, "/api/v1/groups/"+SandboxGroupDB+"/users/"+Dave.OktaID),
		d.updateOf(aliceDM, "alice's DM to say she approved for bob", demoHasWords("<@"+Alice.SlackID+"> for <@"+Bob.SlackID+">")),
		d.audited("the grant, approved by alice for bob", "granted", "<@"+Alice.SlackID+"> for <@"+Bob.SlackID+">"),
	); err != nil {
		return err
	}

	d.begin()
	if err := d.slash(ctx, Bob, "/access", "delegate off"); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.replyTo(Bob, "word that the delegation ended", demoHasWords("has ended")),
		d.audited("the end of the delegation", "delegation ended"),
	); err != nil {
		return err
	}
	return d.expireAll(ctx, time.Hour, SandboxGroupDB)
}

// Story 7: bob asks for staging access for erin, who is new; erin is told
// at once and could decline; carol approves (bob may not: he asked). Then
// carol asks for dave, who declines.
func (d *demo) storyOnBehalf(ctx context.Context) error {
	d.begin()
	var carolDM fakeslack.Message
	if err := d.slashMention(ctx, Bob, "request-for %s staging-admin 1h first on-call week, shadowing", Erin); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.dmWith(Erin, "word that bob asked for access for her, with Decline", nil, demoHasWords("asked for access", "for you")),
		d.dmWith(Carol, "an approval request naming both", &carolDM, demoHasWords("<@"+Bob.SlackID+"> asks, for <@"+Erin.SlackID+">")),
		d.dmWith(Bob, "a confirmation that his request for erin was sent", nil, demoHasWords("sent to", "<@"+Erin.SlackID+">")),
	); err != nil {
		return err
	}

	d.begin()
	d.click(ctx, Carol, carolDM, bot.ActionApprove)
	if err := d.expect(ctx,
		d.oktaWrite("erin added to group "+demoGroupStaging, http.MethodPut, "/api/v1/groups/"+demoGroupStaging+"/users/"+Erin.OktaID),
		d.dmWith(Erin, "a DM that access is granted", nil, demoHasButtons(bot.ActionRevoke)),
		d.audited("the grant, naming who asked", "granted", "<@"+Erin.SlackID+"> (asked by <@"+Bob.SlackID+">)"),
	); err != nil {
		return err
	}

	d.begin()
	var daveDM fakeslack.Message
	if err := d.slashMention(ctx, Carol, "request-for %s staging-admin 1h pair on the release", Dave); err != nil {
		return err
	}
	if err := d.expect(ctx, d.dmWith(Dave, "word that carol asked for access for him, with Decline", &daveDM, demoHasWords("asked for access", "for you"))); err != nil {
		return err
	}
	d.begin()
	d.click(ctx, Dave, daveDM, bot.ActionCancel)
	if err := d.expect(ctx,
		d.dmWith(Carol, "word that dave declined", nil, demoHasWords("cancelled")),
		d.updateOf(daveDM, "the DM he clicked to lose its Decline button", func(m fakeslack.Message) bool { return !demoHasButton(m, bot.ActionCancel) }),
	); err != nil {
		return err
	}
	return d.expireAll(ctx, time.Hour, demoGroupStaging)
}

// slashMention types /access text as p, naming who with Slack's @ menu:
// the transcript shows @name, and the bot gets the escaped mention Slack
// sends (<@U…|name>, should_escape in the manifest).
func (d *demo) slashMention(ctx context.Context, p SandboxPerson, text string, who SandboxPerson) error {
	d.act(p, "/access %s", fmt.Sprintf(text, "@"+who.Name))
	sent := fmt.Sprintf(text, "<@"+who.SlackID+"|"+who.Name+">")
	if _, err := d.sb.Slack.SlashCommand(ctx, p.SlackID, "/access", sent, "C0GENERAL"); err != nil {
		return fmt.Errorf("/access %s: %w", sent, err)
	}
	return nil
}

// expireAll lets the grants of a story run out and checks that the groups
// are empty again.
func (d *demo) expireAll(ctx context.Context, by time.Duration, groups ...string) error {
	d.begin()
	d.advance(by)
	for _, g := range groups {
		wctx, cancel := context.WithTimeout(ctx, d.stepTimeout)
		for len(d.sb.Okta.Members(g)) > 0 && wctx.Err() == nil {
			time.Sleep(5 * time.Millisecond) // polling the fake, bounded by the step's deadline
		}
		cancel()
		if members := d.sb.Okta.Members(g); len(members) > 0 {
			return fmt.Errorf("okta group %s still has members %v after the grants' end", g, members)
		}
	}
	if ctx.Err() != nil {
		return errors.New("stopped")
	}
	d.emit("%s· the story's grants expired; no temporary access is left", demoPad("okta"))
	return nil
}
