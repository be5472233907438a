package bench

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// The burst's envelopes are built before it starts, in the shape the fake
// Slack gives its own (fakeslack's SlashCommand and ClickButton), so that
// sending one costs the harness a write and nothing else: the ack latency is
// then the bot's, not the load generator's.

var responseIDs atomic.Int64

// slashEnvelope is "/access <text>" typed by p in #general.
func (w *world) slashEnvelope(p person, text string) fakeslack.Envelope {
	payload := map[string]any{
		"token":                 fakeslack.VerificationToken,
		"team_id":               fakeslack.TeamID,
		"team_domain":           fakeslack.TeamDomain,
		"channel_id":            "C0GENERAL",
		"channel_name":          "general",
		"user_id":               p.SlackID,
		"user_name":             p.Name,
		"command":               "/access",
		"text":                  text,
		"api_app_id":            fakeslack.AppID,
		"is_enterprise_install": "false",
		"response_url":          w.slack.ResponseURL(fmt.Sprintf("bench%d", responseIDs.Add(1))),
		"trigger_id":            w.slack.IssueTrigger(p.SlackID),
	}
	return envelope("slash_commands", true, payload)
}

// clickEnvelope is p clicking the button actionID of msg.
func (w *world) clickEnvelope(p person, msg fakeslack.Message, actionID string) fakeslack.Envelope {
	var action map[string]any
	for _, b := range msg.Buttons() {
		if b.ActionID == actionID {
			action = map[string]any{
				"type": "button", "action_id": b.ActionID, "block_id": b.BlockID, "value": b.Value, "style": b.Style,
				"text":      map[string]any{"type": "plain_text", "text": b.Text, "emoji": true},
				"action_ts": fmt.Sprintf("%d.%06d", time.Now().Unix(), responseIDs.Add(1)%1_000_000),
			}
			break
		}
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": p.SlackID, "username": p.Name, "name": p.Name, "team_id": fakeslack.TeamID},
		"api_app_id":            fakeslack.AppID,
		"token":                 fakeslack.VerificationToken,
		"team":                  map[string]any{"id": fakeslack.TeamID, "domain": fakeslack.TeamDomain},
		"enterprise":            nil,
		"trigger_id":            w.slack.IssueTrigger(p.SlackID),
		"actions":               []any{action},
		"is_enterprise_install": false,
		"container":             map[string]any{"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel, "is_ephemeral": false},
		"channel":               map[string]any{"id": msg.Channel, "name": "directmessage"},
		"message": map[string]any{
			"type": "message", "user": fakeslack.BotUserID, "bot_id": fakeslack.BotID, "app_id": fakeslack.AppID,
			"team": fakeslack.TeamID, "text": msg.RawText, "ts": msg.TS, "blocks": msg.Blocks,
		},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": w.slack.ResponseURL(fmt.Sprintf("bench%d", responseIDs.Add(1))),
	}
	return envelope("interactive", false, payload)
}

func envelope(typ string, acceptsResponse bool, payload map[string]any) fakeslack.Envelope {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(err) // maps of strings and maps: cannot fail
	}
	return fakeslack.Envelope{Type: typ, AcceptsResponsePayload: acceptsResponse, Payload: raw}
}
