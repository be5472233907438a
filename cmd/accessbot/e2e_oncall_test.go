package main

// End-to-end tests of issue 3: PagerDuty pre-approval, "until my shift
// ends", and break-glass.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakepagerduty"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// posted returns the messages posted (not updates) in channel after mark.
func (e *e2e) posted(mark int, channel string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.sb.Slack.MessageLog() {
		if m.Seq > mark && m.Channel == channel && m.Kind == fakeslack.KindPosted {
			out = append(out, m)
		}
	}
	return out
}

// trustEscalationPolicy makes aws-prod-read trust the sandbox escalation
// policy too, up to level maxLevel.
func trustEscalationPolicy(t *testing.T, maxLevel int) func(string) string {
	return func(cfg string) string {
		const old = "      schedules: [PSCHED1]\n      max_escalation_level: 1\n"
		if !strings.Contains(cfg, old) {
			t.Fatalf("the sandbox config no longer has the on-call block this test edits:\n%s", cfg)
		}
		return strings.Replace(cfg, old, fmt.Sprintf("      schedules: [PSCHED1]\n      escalation_policies: [%s]\n      max_escalation_level: %d\n",
			SandboxEscalation, maxLevel), 1)
	}
}

// refusals returns the refused events whose actor is p.
func (e *e2e) refusals(p SandboxPerson) []access.Event {
	e.t.Helper()
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []access.Event
	for _, ev := range evs {
		if ev.Type == access.EventRefused && ev.Actor.SlackID == p.SlackID {
			out = append(out, ev)
		}
	}
	return out
}

func TestOnCallRequesterAutoApproved(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request aws-prod-read 4h INC-42 paging on 5xx")
	e.waitFor("Okta membership", func() bool { return okta.IsMember(SandboxGroupProdRead, Alice.OktaID) })
	msg := e.reply(mark, Alice, "auto-approved because you are on call")
	id := e.idIn(msg.Text())
	r := e.waitState(id, access.StateActive)
	if len(r.Decisions) != 0 || r.OnCall == nil || r.OnCall.ScheduleID != SandboxSchedule || r.OnCall.Level != 1 {
		t.Fatalf("request = decisions %+v, on call %+v", r.Decisions, r.OnCall)
	}
	if got := r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt); got != 4*time.Hour {
		t.Fatalf("grant lasts %v", got)
	}
	e.waitMsg(mark, dm(Alice), "Access granted", "AWS Production (read)")
	evs := e.wantTrail(id, access.EventRequested, access.EventAutoApproved, access.EventProvisioned)
	auto := evs[1]
	if auto.Actor.SlackID != Alice.SlackID || auto.Details["schedule"] != SandboxSchedule || auto.Details["escalation_level"] != "1" ||
		auto.Details["shift_end"] == "" {
		t.Fatalf("auto_approved event = %+v", auto)
	}

	// The approvers other than Alice get one FYI each, without buttons.
	for _, p := range []SandboxPerson{Bob, Carol} {
		e.waitMsg(mark, dm(p), "FYI", "auto-approved", "<@U0ALICE>")
		fyi := e.posted(mark, dm(p))
		if len(fyi) != 1 {
			t.Fatalf("%s got %d messages, want one FYI", p.Name, len(fyi))
		}
		cur, _ := e.sb.Slack.MessageAt(fyi[0].Channel, fyi[0].TS)
		if len(cur.Buttons()) != 0 || !containsAll(cur.Text(), "INC-42", "schedule `PSCHED1`", "level 1") {
			t.Fatalf("FYI to %s: %s (buttons %+v)", p.Name, oneLine(cur.Text()), cur.Buttons())
		}
	}
	for _, m := range e.posted(mark, dm(Alice)) {
		if containsAll(m.Text(), "FYI") || hasButton(m, bot.ActionApprove) {
			t.Fatalf("the requester got an approver's message: %s", oneLine(m.Text()))
		}
	}
	e.noRejections()
}

// idIn returns the request id quoted in text ("request `abcd2345`").
func (e *e2e) idIn(text string) string {
	e.t.Helper()
	for _, part := range strings.Split(text, "`") {
		if len(part) == 8 && strings.Trim(part, "abcdefghjkmnpqrstuvwxyz23456789") == "" {
			if _, err := e.m.Store().Get(context.Background(), part); err == nil {
				return part
			}
		}
	}
	e.t.Fatalf("no request id in %q", text)
	return ""
}

func TestEscalationLevelLimitsAutoApproval(t *testing.T) {
	cases := []struct {
		name     string
		maxLevel int
		auto     bool
	}{
		{"level 2 beyond max_escalation_level 1", 1, false},
		{"level 2 within max_escalation_level 2", 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t, trustEscalationPolicy(t, tc.maxLevel))
			mark := e.sb.Slack.Mark()
			e.slash(Dave, "/access", "request aws-prod-read 1h INC-43 second responder")
			if _, err := e.sb.PagerDuty.WaitCall(e.ctx(), func(c fakepagerduty.Call) bool {
				return c.Path == "/oncalls" && strings.Contains(c.Query, "escalation_policy_ids")
			}); err != nil {
				t.Fatalf("PagerDuty was not asked about the escalation policy: %v", err)
			}
			if !tc.auto {
				bobDM, id := e.approvalDM(mark, Bob)
				e.approvalDM(mark, Alice)
				e.reply(mark, Dave, id, "sent to")
				e.waitRouted(id)
				e.wantTrail(id, access.EventRequested)
				if r := e.request(id); r.State != access.StatePending || r.OnCall != nil {
					t.Fatalf("level-2 request = %s, on call %+v", r.State, r.OnCall)
				}
				if w := e.sb.Okta.Writes(); len(w) != 0 {
					t.Fatalf("Okta writes: %+v", w)
				}
				// The normal path still works for Dave.
				e.click(Bob, bobDM, bot.ActionApprove)
				e.waitFor("Okta membership", func() bool { return e.sb.Okta.IsMember(SandboxGroupProdRead, Dave.OktaID) })
				e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned)
			} else {
				e.waitFor("Okta membership", func() bool { return e.sb.Okta.IsMember(SandboxGroupProdRead, Dave.OktaID) })
				id := e.idIn(e.reply(mark, Dave, "auto-approved").Text())
				evs := e.wantTrail(id, access.EventRequested, access.EventAutoApproved, access.EventProvisioned)
				if d := evs[1].Details; d["escalation_policy"] != SandboxEscalation || d["escalation_level"] != "2" {
					t.Fatalf("auto_approved details = %v", d)
				}
			}
			e.noRejections()
		})
	}
}

func TestPagerDutyErrorsFallBackToApprovers(t *testing.T) {
	cases := []struct {
		name  string
		fault fakepagerduty.Fault
	}{
		{"500", fakepagerduty.Fault{Status: 500, Times: 2}}, // the adapter retries once
		{"429", fakepagerduty.Fault{Status: 429, RetryAfter: time.Minute}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			e.sb.PagerDuty.FailNext("/oncalls", tc.fault)
			mark := e.sb.Slack.Mark()
			e.slash(Alice, "/access", "request aws-prod-read 1h INC-44 dashboards are red")
			bobDM, id := e.approvalDM(mark, Bob)
			e.approvalDM(mark, Carol)
			e.waitMsg(mark, dm(Alice), "PagerDuty could not be asked whether you are on call", "went to the approvers")
			e.reply(mark, Alice, id, "sent to")
			e.waitRouted(id)
			r := e.request(id)
			if r.State != access.StatePending || r.OnCall != nil {
				t.Fatalf("request = %s, on call %+v", r.State, r.OnCall)
			}
			if w := e.sb.Okta.Writes(); len(w) != 0 {
				t.Fatalf("an on-call error changed Okta: %+v", w)
			}
			failed := 0
			for _, c := range e.sb.PagerDuty.Calls() {
				if c.Status == tc.fault.Status {
					failed++
				}
			}
			if failed != max(tc.fault.Times, 1) {
				t.Fatalf("PagerDuty answered %d %d times, want %d", tc.fault.Status, failed, max(tc.fault.Times, 1))
			}
			e.wantTrail(id, access.EventRequested)

			e.click(Bob, bobDM, bot.ActionApprove)
			e.waitState(id, access.StateActive)
			e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned)
			e.noRejections()
		})
	}
}

func TestUntilShiftEnds(t *testing.T) {
	cases := []struct {
		name      string
		shift     time.Duration // 0: open-ended on-call
		modal     bool
		wantGrant time.Duration
	}{
		{"inline, shift ends in 2h", 2 * time.Hour, false, 2 * time.Hour},
		{"modal, shift ends in 2h", 2 * time.Hour, true, 2 * time.Hour},
		{"shift beyond max_duration", 72 * time.Hour, false, 24 * time.Hour},
		{"open-ended on-call", 0, false, 24 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			now := e.sb.Clock.Now()
			if tc.shift > 0 {
				e.sb.SetOnCall(now.Add(tc.shift), Alice)
			} else {
				since := now.Add(-time.Hour)
				e.sb.PagerDuty.SetOnCalls([]fakepagerduty.OnCall{{UserID: Alice.PagerDutyID, ScheduleID: SandboxSchedule,
					EscalationPolicyID: SandboxEscalation, Level: 1, Start: &since}})
			}
			mark := e.sb.Slack.Mark()
			if tc.modal {
				v := e.openModal(Alice, "aws-prod-read")
				durBlock := blockID(t, v, bot.BlockDurationPrefix)
				v, err := e.sb.Slack.WaitView(e.ctx(), func(u fakeslack.View) bool {
					el, _ := u.Element(durBlock, bot.ActionDurationSelect)
					return u.ID == v.ID && slices.Contains(optionValues(el), "oncall")
				})
				if err != nil {
					t.Fatalf("the modal does not offer oncall: %v", err)
				}
				if !containsAll(v.Text(), "Until my on-call shift ends") {
					t.Fatalf("the oncall option is not labelled: %s", oneLine(v.Text()))
				}
				if ack := e.submitModal(Alice, v, "aws-prod-read", "oncall", "INC-45 shift work"); ack.ResponseAction() == "errors" {
					t.Fatalf("modal refused: %v", ack.Errors())
				}
			} else {
				e.slash(Alice, "/access", "request aws-prod-read oncall INC-45 shift work")
			}
			e.waitFor("Okta membership", func() bool { return okta.IsMember(SandboxGroupProdRead, Alice.OktaID) })
			granted := e.waitMsg(mark, dm(Alice), "Access granted")
			id := e.idIn(granted.Text())
			r := e.waitState(id, access.StateActive)
			if !r.UntilShiftEnd {
				t.Fatal("the request is not marked until-shift-end")
			}
			// PagerDuty gives times to the second.
			if got := r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt); got > tc.wantGrant || got < tc.wantGrant-time.Second {
				t.Fatalf("grant lasts %v, want %v", got, tc.wantGrant)
			}
			if tc.shift > 0 && tc.shift <= 24*time.Hour && !r.Grant.ExpiresAt.Equal(now.Add(tc.shift).Truncate(time.Second)) {
				t.Fatalf("expires %v, want the shift's end %v", r.Grant.ExpiresAt, now.Add(tc.shift).Truncate(time.Second))
			}
			evs := e.wantTrail(id, access.EventRequested, access.EventAutoApproved, access.EventProvisioned)
			if evs[0].Details["duration"] != "oncall" {
				t.Fatalf("requested details = %v", evs[0].Details)
			}

			mark = e.sb.Slack.Mark()
			e.advance(r.Grant.ExpiresAt.Sub(e.sb.Clock.Now()) - time.Minute)
			e.waitMsg(mark, dm(Alice), "Your access to", "ends") // the reminder; the access is still there
			if !okta.IsMember(SandboxGroupProdRead, Alice.OktaID) || e.request(id).State != access.StateActive {
				t.Fatal("access ended before the shift")
			}
			e.advance(time.Minute)
			e.waitFor("Okta removal", func() bool { return !okta.IsMember(SandboxGroupProdRead, Alice.OktaID) })
			e.waitState(id, access.StateExpired)
			e.waitMsg(mark, dm(Alice), "expired and was removed")
			e.wantTrail(id, access.EventRequested, access.EventAutoApproved, access.EventProvisioned,
				access.EventReminded, access.EventRemovalStarted, access.EventExpired)
			e.noRejections()
		})
	}
}

func TestBreakGlassByOnCall(t *testing.T) {
	cases := []struct{ command, text string }{
		{"/access", "breakglass aws-prod-read prod down, checkout failing"},
		{"/breakglass", "aws-prod-read prod down, checkout failing"},
	}
	for _, tc := range cases {
		t.Run(tc.command, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			mark := e.sb.Slack.Mark()
			e.slash(Alice, tc.command, tc.text)
			msg := e.reply(mark, Alice, "Break-glass access", "granted until")
			if !okta.IsMember(SandboxGroupProdRead, Alice.OktaID) {
				t.Fatal("told granted before Okta has it")
			}
			id := e.idIn(msg.Text())
			r := e.waitState(id, access.StateActive)
			if r.Kind != access.KindBreakGlass || r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt) != time.Hour {
				t.Fatalf("break-glass request = kind %s, lasts %v", r.Kind, r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt))
			}
			// Loud: the audit channel and every approver but Alice, with Revoke.
			e.waitMsg(mark, SandboxAuditChannel, "break-glass", "<@U0ALICE>", id, "prod down, checkout failing")
			dms := map[string]fakeslack.Message{}
			for _, p := range []SandboxPerson{Bob, Carol} {
				m := e.waitMsg(mark, dm(p), "break-glass", "<@U0ALICE>", "prod down, checkout failing")
				if !hasButton(m, bot.ActionRevoke) {
					t.Fatalf("break-glass DM to %s has no Revoke: %s", p.Name, oneLine(m.Text()))
				}
				dms[p.Name] = m
			}
			for _, m := range e.posted(mark, dm(Alice)) {
				if hasButton(m, bot.ActionRevoke) && containsAll(m.Text(), "used break-glass") {
					t.Fatal("the holder got the approvers' break-glass alert")
				}
			}
			evs := e.wantTrail(id, access.EventBreakGlass, access.EventProvisioned)
			if d := evs[0].Details; evs[0].Actor.SlackID != Alice.SlackID || d["schedule"] != SandboxSchedule ||
				d["escalation_level"] != "1" || d["reason"] != "prod down, checkout failing" || d["duration"] != "1h" {
				t.Fatalf("break_glass event = %+v", evs[0])
			}

			// Any approver may revoke it; the holder is told.
			mark = e.sb.Slack.Mark()
			e.click(Carol, dms["carol"], bot.ActionRevoke)
			e.waitFor("Okta removal", func() bool { return !okta.IsMember(SandboxGroupProdRead, Alice.OktaID) })
			r = e.waitState(id, access.StateRevoked)
			if r.Grant.Removal == nil || r.Grant.Removal.By.SlackID != Carol.SlackID {
				t.Fatalf("removal = %+v", r.Grant.Removal)
			}
			e.waitMsg(mark, dm(Alice), "revoked by", "<@U0CAROL>")
			e.waitDM("the other approver's alert to lose Revoke", dms["bob"], func(cur fakeslack.Message) bool {
				return !hasButton(cur, bot.ActionRevoke) && containsAll(cur.Text(), "Revoked by", "<@U0CAROL>")
			})
			evs = e.wantTrail(id, access.EventBreakGlass, access.EventProvisioned, access.EventRemovalStarted, access.EventRevoked)
			if evs[3].Actor.SlackID != Carol.SlackID {
				t.Fatalf("revoked by %+v", evs[3].Actor)
			}
			e.noRejections()
		})
	}
}

func TestBreakGlassRefused(t *testing.T) {
	cases := []struct {
		name    string
		who     SandboxPerson
		command string
		text    string
		want    []string
		why     access.Reason // what the trail says; "" for usage mistakes, answered before the workflow sees them
	}{
		{"not on call", Mallory, "/access", "breakglass aws-prod-read prod down",
			[]string{"only for people on call", "and you are not", "/access request aws-prod-read"}, access.ReasonNotOnCall},
		{"not on call, /breakglass", Mallory, "/breakglass", "aws-prod-read prod down",
			[]string{"only for people on call", "and you are not"}, access.ReasonNotOnCall},
		{"level 2 is not trusted", Dave, "/access", "breakglass aws-prod-read prod down",
			[]string{"only for people on call", "and you are not"}, access.ReasonNotOnCall},
		{"resource does not allow it", Alice, "/access", "breakglass db-prod prod down",
			[]string{"Production database does not allow break-glass"}, access.ReasonNoBreakGlass},
		{"unknown resource", Alice, "/access", "breakglass nosuch prod down",
			[]string{`There is no resource "nosuch"`}, access.ReasonUnknownResource},
		{"no reason", Alice, "/breakglass", "aws-prod-read",
			[]string{"Missing the reason", "/access breakglass <resource-id> <reason…>"}, ""},
	}
	e := startE2E(t, trustEscalationPolicy(t, 1))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.refusals(tc.who))
			mark := e.sb.Slack.Mark()
			e.slash(tc.who, tc.command, tc.text)
			e.reply(mark, tc.who, tc.want...)
			if tc.why == "" {
				return
			}
			var got []access.Event
			e.waitFor("the refusal to be audited", func() bool {
				got = e.refusals(tc.who)
				return len(got) == before+1
			})
			ref := got[len(got)-1]
			if ref.Details["action"] != "break_glass" || ref.Details["why"] != string(tc.why) || ref.RequestID != "" {
				t.Fatalf("refused event = %+v", ref)
			}
		})
	}
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("refused break-glass changed Okta: %+v", w)
	}
	if open, _ := e.m.Store().ListOpen(context.Background()); len(open) != 0 {
		t.Fatalf("refused break-glass filed requests: %+v", open)
	}
	e.noRejections()
}
