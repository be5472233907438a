package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// withDryRun turns okta.dry_run on in the sandbox config.
func withDryRun(text string) string {
	return strings.Replace(text, "\nokta:\n", "\nokta:\n  dry_run: true\n", 1)
}

// With okta.dry_run, a whole request → approve → remind → expire flow, a
// revocation and a break-glass happen in Slack and in the audit trail, but
// Okta is never written to; every message about them says DRY RUN, and
// every audit event carries dry_run=true.
func TestDryRunMakesNoOktaWrites(t *testing.T) {
	e := startE2E(t, withDryRun)
	if !e.cfg.Okta.DryRun {
		t.Fatal("the config is not in dry-run mode")
	}
	okta := e.sb.Okta

	// Request and approve.
	mark := e.sb.Slack.Mark()
	e.slash(Dave, "/access", "request db-prod 4h try the dry run")
	bobDM, id := e.approvalDM(mark, Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	r := e.waitState(id, access.StateActive)
	e.waitMsg(mark, dm(Dave), "DRY RUN", "Production database")
	if okta.IsMember(SandboxGroupDB, Dave.OktaID) {
		t.Fatal("dry run added dave to the group")
	}
	if got := r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt); got != 4*time.Hour {
		t.Errorf("the dry-run grant lasts %v", got)
	}

	// Reminder, then expiry.
	e.advance(3 * time.Hour)
	e.waitMsg(mark, dm(Dave), "DRY RUN", "ends")
	e.advance(time.Hour)
	e.waitState(id, access.StateExpired)
	e.waitMsg(mark, dm(Dave), "DRY RUN", "expired")

	// An on-call auto-approval revoked early, and a break-glass.
	auto := e.slash(Alice, "/access", "request aws-prod-read 1h dry-run on call")
	_ = auto
	var autoID string
	e.waitFor("alice's auto-approved grant", func() bool {
		open, err := e.m.Store().ListByRequester(context.Background(), Alice.SlackID, true)
		for _, o := range open {
			if o.State == access.StateActive {
				autoID = o.ID
			}
		}
		return err == nil && autoID != ""
	})
	e.slash(Alice, "/access", "revoke "+autoID)
	e.waitState(autoID, access.StateRevoked)
	e.slash(Alice, "/breakglass", "aws-prod-read dry-run emergency")
	e.waitMsg(mark, SandboxAuditChannel, "DRY RUN", "break-glass")
	e.slash(Mallory, "/breakglass", "aws-prod-read not on call")
	e.reply(mark, Mallory, "on call")

	if w := okta.Writes(); len(w) != 0 {
		t.Fatalf("dry run wrote to Okta %d times, first: %s %s", len(w), w[0].Method, w[0].Path)
	}

	// Every message posted or redrawn about these requests says DRY RUN,
	// and so does every answer to a command or click that changed something.
	for _, m := range e.sb.Slack.MessageLog() {
		if m.Kind == fakeslack.KindDeleted || dryRunRefusal(m) {
			continue
		}
		if !strings.Contains(m.Text(), bot.DryRunBanner) {
			t.Errorf("a %s message in %s does not say %q: %s", m.Kind, m.Channel, bot.DryRunBanner, oneLine(m.Text()))
		}
	}

	// Every audit event says dry_run=true.
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 10 {
		t.Fatalf("only %d audit events", len(evs))
	}
	for _, ev := range evs {
		if ev.Details["dry_run"] != "true" {
			t.Errorf("audit event %s (%s) lacks dry_run=true: %v", ev.Type, ev.RequestID, ev.Details)
		}
	}
	e.noRejections()
}

// dryRunRefusal reports whether m only tells someone they may not do something
// (nothing was going to change in Okta, dry run or not).
func dryRunRefusal(m fakeslack.Message) bool {
	personal := m.Kind == fakeslack.KindEphemeral || m.Kind == fakeslack.KindResponseURL || m.Kind == fakeslack.KindCommandAck
	return personal && m.User == Mallory.SlackID
}
