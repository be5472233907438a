package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// demoUsageResource is the demo's activity resource, added after the
// sandbox's: Grafana for as long as it is used, removed after 4h unused.
const demoUsageResource = `  - id: grafana-daily
    name: Grafana (while used)
    okta_app: ` + SandboxAppGrafana + `
    approvers: [bob@example.com, carol@example.com]
    durations: [1h]
    activity: {idle_after: 4h, max_age: 30d}
`

// Story 6: alice gets Grafana for as long as she uses it; her sign-ons in
// the System Log keep it, and once she stops it is removed. Erin's report
// shows how little of the access granted in the other stories was used.
func (d *demo) storyUse(ctx context.Context) error {
	d.begin()
	if err := d.slash(ctx, Alice, "/access", "request grafana-daily activity daily dashboards for the on-call review"); err != nil {
		return err
	}
	var bobDM fakeslack.Message
	if err := d.expect(ctx,
		d.dmWith(Bob, "an approval request for access while she uses it", &bobDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Alice, "a confirmation that the request was sent", nil, demoHasWords("sent to")),
	); err != nil {
		return err
	}
	d.begin()
	d.click(ctx, Bob, bobDM, bot.ActionApprove)
	if err := d.expect(ctx,
		d.oktaWrite("alice assigned to app 0oagrafana", http.MethodPost, "/api/v1/apps/"+SandboxAppGrafana+"/users"),
		d.dmWith(Alice, "a DM that access is granted", nil, demoHasWords("Access granted")),
	); err != nil {
		return err
	}

	for _, after := range []time.Duration{time.Hour, 2 * time.Hour} {
		d.begin()
		d.advance(after)
		d.sb.Okta.SSO(Alice.OktaID, SandboxAppGrafana, d.sb.Clock.Now())
		d.emit("%s· System Log: alice signed in to Grafana (user.authentication.sso)", demoPad("okta"))
		if err := d.m.Usage().Poll(ctx); err != nil {
			return fmt.Errorf("usage poll: %w", err)
		}
		g, err := d.activeGrant(ctx, Alice.SlackID, "grafana-daily")
		if err != nil {
			return err
		}
		d.emit("%s· usage poll: %d use(s) of alice's Grafana; it now stays until %s unless she signs in again",
			demoPad("accessbot"), g.Grant.Usage.Uses, demoClock(g.Grant.ExpiresAt))
		d.flush()
	}

	d.begin()
	d.advance(3 * time.Hour)
	if err := d.expect(ctx,
		d.dmWith(Alice, "a reminder that it goes unless she uses it, with Keep it and Remove now", nil, demoHasButtons(bot.ActionKeep, bot.ActionRevoke)),
	); err != nil {
		return err
	}
	d.begin()
	d.advance(time.Hour)
	if err := d.expect(ctx,
		d.oktaWrite("alice unassigned from app 0oagrafana", http.MethodDelete, "/api/v1/apps/"+SandboxAppGrafana+"/users/"+Alice.OktaID),
		d.dmWith(Alice, "a DM that the unused access was removed", nil, demoHasWords("expired")),
	); err != nil {
		return err
	}

	d.begin()
	if err := d.slash(ctx, Erin, "/access", "report"); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.replyTo(Erin, "the utilization report: the grants of the other stories were never used", demoHasWords("db-prod", "100% never used", "all resources")),
	); err != nil {
		return err
	}
	return d.cliReport(ctx)
}

// activeGrant returns p's active grant of resourceID.
func (d *demo) activeGrant(ctx context.Context, slackID, resourceID string) (*access.Request, error) {
	rs, err := d.m.Store().ListByRequester(ctx, slackID, true)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.ResourceID == resourceID {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%s holds no %s", d.name(slackID), resourceID)
}

// cliReport runs `accessbot report` against the running demo bot (which
// holds the store, so it reads the audit mirror) and prints its table.
func (d *demo) cliReport(ctx context.Context) error {
	dir := filepath.Dir(d.m.Config.Store.Path)
	path := filepath.Join(dir, "accessbot.yaml")
	if err := os.WriteFile(path, []byte(d.sb.ConfigYAML(demoUsageResource)), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%s› accessbot report --config accessbot.yaml   (while the bot runs)\n", demoPad("erin"))
	var out string
	deadline := time.Now().Add(d.stepTimeout)
	for { // the mirror follows the store within moments
		var stdout, stderr bytes.Buffer
		code := reportCommand(ctx, []string{"--config", path}, &stdout, &stderr, func(string) string { return "" }, d.sb.Clock.Now)
		if code != exitOK {
			return fmt.Errorf("accessbot report: exit %d: %s", code, stderr.String())
		}
		out = stdout.String()
		if strings.Contains(out, "grafana-daily") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling the mirror, with a deadline
	}
	if !strings.Contains(out, "grafana-daily") {
		return fmt.Errorf("accessbot report does not show grafana-daily:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		fmt.Fprintf(d.out, "%s  %s\n", demoPad(""), line)
	}
	return nil
}
