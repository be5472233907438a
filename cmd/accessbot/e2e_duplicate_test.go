package main

import (
	"context"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
)

// Asking again for what you hold files nothing: the answer offers the
// extensions the policy allows, and one click extends the grant through
// the ordinary extension flow (here, approved by Bob). The form does the
// same: it closes, and the offer comes as a message.
func TestDuplicateRequestBecomesExtension(t *testing.T) {
	e := startE2E(t)
	held, msg := e.ask(Alice, "db-prod 1h first look", Bob)
	e.click(Bob, msg, bot.ActionApprove)
	grant := e.waitState(held, access.StateActive)

	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 4h still on it")
	offer := e.reply(mark, Alice, "You already have", held, "Extend it instead")
	if _, ok := offer.Button(bot.ExtendActionID("4h")); !ok {
		t.Fatalf("the offer has no Extend 4h button: %s", oneLine(offer.Text()))
	}
	mine, err := e.m.Store().ListByRequester(context.Background(), Alice.SlackID, false)
	if err != nil || len(mine) != 1 {
		t.Fatalf("requests of Alice = %d (%v), want only the grant: a duplicate was filed", len(mine), err)
	}

	mark = e.sb.Slack.Mark()
	e.click(Alice, offer, bot.ExtendActionID("4h"))
	e.reply(mark, Alice, "to extend", "by 4h")
	approval, ext := e.approvalDM(mark, Bob)
	e.click(Bob, approval, bot.ActionApprove)
	e.waitState(ext, access.StateExtended)
	e.waitFor("the grant to be extended", func() bool {
		r := e.request(held)
		return r.Grant.Extensions == 1 && r.Grant.ExpiresAt.Equal(grant.Grant.ExpiresAt.Add(4*time.Hour))
	})

	// The form: it closes without errors, and the offer follows.
	mark = e.sb.Slack.Mark()
	v := e.openModal(Alice, "db-prod")
	ack := e.submitModal(Alice, v, "db-prod", "1h", "and again")
	if ack.ResponseAction() == "errors" {
		t.Fatalf("the form showed errors instead of offering an extension: %v", ack.Errors())
	}
	e.reply(mark, Alice, "You already have", held, "Extend it instead")
	if mine, _ := e.m.Store().ListByRequester(context.Background(), Alice.SlackID, false); len(mine) != 2 {
		t.Errorf("requests of Alice = %d, want the grant and its one extension", len(mine))
	}
	e.noRejections()
}
