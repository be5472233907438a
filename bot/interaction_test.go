package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

func TestSlashAccessOpensTheRequestModal(t *testing.T) {
	h := start(t)
	ack, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "", "C0GENERAL")
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Payload) != 0 {
		t.Errorf("/access acked with payload %s", ack.Payload)
	}
	v := h.waitView(func(v fakeslack.View) bool { return v.CallbackID == CallbackRequest && v.User == "U0ALICE" })
	for _, id := range []string{BlockResource, "duration_aws-prod-read", BlockReason, "approvers_aws-prod-read"} {
		if !hasBlock(v, id) {
			t.Errorf("modal lacks block %s; text: %s", id, v.Text())
		}
	}
	if !strings.Contains(v.PrivateMetadata, "C0GENERAL") {
		t.Errorf("private_metadata %q does not carry the channel", v.PrivateMetadata)
	}
	h.wf.waitCall(h.ctx, t, "FormFor", 1)

	// Choosing another resource redraws the form for it.
	if _, err := h.srv.ViewAction(h.ctx, "U0ALICE", v.ID, BlockResource, ActionResourceSelect, "grafana"); err != nil {
		t.Fatal(err)
	}
	h.waitView(func(x fakeslack.View) bool {
		return x.ID == v.ID && hasBlock(x, "duration_grafana") && !hasBlock(x, "duration_aws-prod-read")
	})
}

func TestInvalidSubmissionGetsInlineErrors(t *testing.T) {
	h := start(t)
	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(func(v fakeslack.View) bool { return v.CallbackID == CallbackRequest })
	h.wf.fail("Validate", access.Invalid(
		access.FieldRefuse("reason", access.ReasonNoReason, access.Params{}),
		access.FieldRefuse("approvers", access.ReasonNotAnApprover, access.Params{Person: "eve@example.com", Resource: "AWS", Names: []string{"bob@example.com"}}),
		access.FieldRefuse("duration", access.ReasonDurationNotAllowed, access.Params{Value: "9h", Resource: "AWS", Allowed: []time.Duration{time.Hour}})))
	ack, err := h.srv.SubmitView(h.ctx, "U0ALICE", v.ID, map[string]map[string]any{
		BlockReason:               {ActionReasonInput: fakeslack.TextValue(" ")},
		"approvers_aws-prod-read": {ActionApprovers: fakeslack.MultiSelectValues("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := ack.ResponseAction(); got != "errors" {
		t.Fatalf("response_action %q, want errors (payload %s)", got, ack.Payload)
	}
	errs := ack.Errors()
	want := map[string]string{
		BlockReason:               "Give a reason: approvers and auditors need to know why.",
		"approvers_aws-prod-read": "eve@example.com is not an approver of AWS. Approvers: bob@example.com.",
		"duration_aws-prod-read":  "\"9h\" is not an allowed duration for AWS. Allowed: 1h.",
	}
	for k, v := range want {
		if errs[k] != v {
			t.Errorf("error on %s = %q, want %q", k, errs[k], v)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("errors %v, want %v", errs, want)
	}
	in := h.wf.waitCall(h.ctx, t, "Validate", 1).Input
	if in.ResourceID != "aws-prod-read" || in.Duration != "1h" || len(in.Approvers) != 1 || in.Approvers[0] != "bob@example.com" {
		t.Errorf("Validate got %+v", in)
	}

	// A conflict lands on the resource block.
	h.wf.fail("Validate", access.Refuse(access.ECONFLICT, access.ReasonPendingRequest, access.Params{Resource: "AWS Production (read)", RequestID: "r1"}))
	ack, err = h.srv.SubmitView(h.ctx, "U0ALICE", v.ID, map[string]map[string]any{BlockReason: {ActionReasonInput: fakeslack.TextValue("why")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ack.Errors()[BlockResource]; !strings.Contains(got, "already have a pending request") {
		t.Errorf("conflict error %q on the resource block", got)
	}

	// A valid one closes the modal and is filed.
	h.wf.fail("Validate", nil)
	ack, err = h.srv.SubmitView(h.ctx, "U0ALICE", v.ID, map[string]map[string]any{BlockReason: {ActionReasonInput: fakeslack.TextValue("debugging INC-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if ack.ResponseAction() != "" {
		t.Errorf("valid submission acked with %s", ack.Payload)
	}
	sub := h.wf.waitCall(h.ctx, t, "Submit", 1)
	if sub.Actor != "U0ALICE" || sub.Input.Reason != "debugging INC-1" || sub.Input.ResourceID != "aws-prod-read" {
		t.Errorf("Submit got %+v", sub)
	}
}

func TestSubmitFailureIsToldToTheRequester(t *testing.T) {
	h := start(t)
	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(func(v fakeslack.View) bool { return v.CallbackID == CallbackRequest })
	h.wf.fail("Submit", access.Wrap(access.EUNAVAILABLE, errors.New("store: disk full token=secret")))
	if _, err := h.srv.SubmitView(h.ctx, "U0ALICE", v.ID, map[string]map[string]any{BlockReason: {ActionReasonInput: fakeslack.TextValue("why")}}); err != nil {
		t.Fatal(err)
	}
	m := h.waitMessage(func(m fakeslack.Message) bool {
		return m.User == "U0ALICE" && strings.Contains(m.Text(), msgUnavailable)
	})
	if strings.Contains(m.Text(), "secret") {
		t.Errorf("internal error leaked: %q", m.Text())
	}
}

func TestApproveClickReachesTheWorkflow(t *testing.T) {
	h := start(t)
	r := testRequest(access.StatePending)
	ref, err := h.bot.SendApproval(h.ctx, access.User{SlackID: "U0BOB", Email: "bob@example.com"}, r, testResource(), false)
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := h.srv.MessageAt(ref.Channel, ref.TS)
	if !ok {
		t.Fatalf("no approval message at %+v", ref)
	}
	if _, err := h.srv.ClickButton(h.ctx, "U0BOB", msg, ActionApprove); err != nil {
		t.Fatal(err)
	}
	c := h.wf.waitCall(h.ctx, t, "Approve", 1)
	if c.Actor != "U0BOB" || c.ID != r.ID {
		t.Errorf("Approve(%s, %s), want (U0BOB, %s)", c.Actor, c.ID, r.ID)
	}

	// A refusal is told to the clicker only.
	h.wf.fail("Approve", access.Refuse(access.EFORBIDDEN, access.ReasonOwnRequest, access.Params{Resource: "AWS Production (read)"}))
	if _, err := h.srv.ClickButton(h.ctx, "U0ALICE", msg, ActionApprove); err != nil {
		t.Fatal(err)
	}
	e, err := h.srv.WaitEphemeral(h.ctx, func(m fakeslack.Message) bool { return m.User == "U0ALICE" })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Text(), "You can't approve or deny your own request") {
		t.Errorf("ephemeral %q", e.Text())
	}
}

func TestDenyAsksForAReasonOnlyOfDeciders(t *testing.T) {
	h := start(t)
	r := testRequest(access.StatePending)
	ref, err := h.bot.SendApproval(h.ctx, access.User{SlackID: "U0BOB"}, r, testResource(), false)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.srv.MessageAt(ref.Channel, ref.TS)

	h.wf.fail("CheckDecider", access.Refuse(access.EFORBIDDEN, access.ReasonNotApprover, access.Params{Resource: "AWS Production (read)"}))
	if _, err := h.srv.ClickButton(h.ctx, "U0EVE", msg, ActionDeny); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.WaitEphemeral(h.ctx, func(m fakeslack.Message) bool {
		return m.User == "U0EVE" && strings.Contains(m.Text(), "You are not an approver")
	}); err != nil {
		t.Fatal(err)
	}
	if views := h.srv.OpenViews("U0EVE"); len(views) != 0 {
		t.Errorf("an outsider got a deny modal")
	}

	h.wf.fail("CheckDecider", nil)
	if _, err := h.srv.ClickButton(h.ctx, "U0BOB", msg, ActionDeny); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(func(v fakeslack.View) bool { return v.CallbackID == CallbackDeny && v.User == "U0BOB" })
	if _, err := h.srv.SubmitView(h.ctx, "U0BOB", v.ID, map[string]map[string]any{
		BlockDenyReason: {ActionReasonInput: fakeslack.TextValue("use staging")}}); err != nil {
		t.Fatal(err)
	}
	c := h.wf.waitCall(h.ctx, t, "Deny", 1)
	if c.Actor != "U0BOB" || c.ID != r.ID || c.Reason != "use staging" {
		t.Errorf("Deny got %+v", c)
	}
}

func TestDuplicateEnvelopeIsHandledOnce(t *testing.T) {
	h := start(t)
	r := testRequest(access.StatePending)
	ref, err := h.bot.SendApproval(h.ctx, access.User{SlackID: "U0BOB"}, r, testResource(), false)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.srv.MessageAt(ref.Channel, ref.TS)
	ack, err := h.srv.ClickButton(h.ctx, "U0BOB", msg, ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.Redeliver(h.ctx, ack.Envelope); err != nil {
		t.Fatalf("redelivered envelope not acked: %v", err)
	}
	h.wf.waitCall(h.ctx, t, "Approve", 1)
	h.shutdown() // waits for every handler
	if n := h.wf.count("Approve"); n != 1 {
		t.Errorf("Approve called %d times for one envelope delivered twice", n)
	}
}

func TestSlashSubcommands(t *testing.T) {
	h := start(t)
	ack, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "frobnicate", "C0GENERAL")
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ ResponseType, Text string }
	if err := ack.Decode(&p); err != nil {
		t.Fatalf("unknown command not answered on the ack: %v", err)
	}
	if !strings.Contains(p.Text, "I don't know the command") || !strings.Contains(p.Text, "aws-prod-read") {
		t.Errorf("answer to an unknown command: %q", p.Text)
	}

	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "request AWS-Prod-Read 4h debugging &lt;INC-1&gt;", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	c := h.wf.waitCall(h.ctx, t, "Submit", 1)
	if c.Input.ResourceID != "aws-prod-read" || c.Input.Duration != "4h" || c.Input.Reason != "debugging <INC-1>" {
		t.Errorf("Submit got %+v", c.Input)
	}
	if _, err := h.srv.WaitEphemeral(h.ctx, func(m fakeslack.Message) bool {
		return strings.Contains(m.Text(), "Request `abcd2345` for *AWS Production (read)* (`aws-prod-read`) sent to bob@example.com")
	}); err != nil {
		t.Fatal(err)
	}

	h.wf.fail("BreakGlass", access.Refuse(access.EFORBIDDEN, access.ReasonNotOnCall, access.Params{Resource: "AWS Production (read)", ResourceID: "aws-prod-read"}))
	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/breakglass", "aws-prod-read db down", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	bg := h.wf.waitCall(h.ctx, t, "BreakGlass", 1)
	if bg.ID != "aws-prod-read" || bg.Reason != "db down" {
		t.Errorf("BreakGlass got %+v", bg)
	}
	if _, err := h.srv.WaitEphemeral(h.ctx, func(m fakeslack.Message) bool { return strings.Contains(m.Text(), "only for people on call") }); err != nil {
		t.Fatal(err)
	}

	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "list", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.WaitEphemeral(h.ctx, func(m fakeslack.Message) bool { return strings.Contains(m.Text(), "Your access and open requests") }); err != nil {
		t.Fatal(err)
	}

	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "extend abcd2345 1h", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	if c := h.wf.waitCall(h.ctx, t, "Extend", 1); c.ID != "abcd2345" || c.Extend != time.Hour {
		t.Errorf("Extend got %+v", c)
	}
}

func TestReminderButtons(t *testing.T) {
	h := start(t)
	active := testRequest(access.StateActive)
	h.wf.req = active
	ref, err := h.bot.Notify(h.ctx, access.User{SlackID: "U0ALICE"}, access.Notice{Kind: access.NoticeReminder, Request: active,
		Resource: testResource(), Extend: []time.Duration{time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.srv.MessageAt(ref.Channel, ref.TS)
	if _, err := h.srv.ClickButtonValue(h.ctx, "U0ALICE", msg, ExtendActionID("1h"), "abcd2345|1h"); err != nil {
		t.Fatal(err)
	}
	if c := h.wf.waitCall(h.ctx, t, "Extend", 1); c.ID != "abcd2345" || c.Extend != time.Hour || c.Actor != "U0ALICE" {
		t.Errorf("Extend got %+v", c)
	}
	h.waitMessage(func(m fakeslack.Message) bool {
		return m.Kind == fakeslack.KindUpdated && m.TS == ref.TS && strings.Contains(m.Text(), "Extended")
	})
	if _, err := h.srv.ClickButton(h.ctx, "U0ALICE", msg, ActionRevoke); err != nil {
		t.Fatal(err)
	}
	if c := h.wf.waitCall(h.ctx, t, "Revoke", 1); c.ID != "abcd2345" {
		t.Errorf("Revoke got %+v", c)
	}
}

func TestHomeTab(t *testing.T) {
	h := start(t)
	if _, err := h.srv.SendEvent(h.ctx, map[string]any{"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home"}); err != nil {
		t.Fatal(err)
	}
	home, err := h.srv.WaitHome(h.ctx, "U0ALICE", func(fakeslack.View) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(home.Text(), "Request access") {
		t.Errorf("home tab: %q", home.Text())
	}
	if _, err := h.srv.ClickHomeButton(h.ctx, "U0ALICE", ActionHomeRequest, ""); err != nil {
		t.Fatal(err)
	}
	h.waitView(func(v fakeslack.View) bool { return v.CallbackID == CallbackRequest && v.User == "U0ALICE" })
}

func TestPanicsAreContained(t *testing.T) {
	h := start(t)
	h.wf.mu.Lock()
	h.wf.panics["Approve"], h.wf.panics["Validate"] = true, true
	h.wf.mu.Unlock()

	ref, err := h.bot.SendApproval(h.ctx, access.User{SlackID: "U0BOB"}, testRequest(access.StatePending), testResource(), false)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.srv.MessageAt(ref.Channel, ref.TS)
	if _, err := h.srv.ClickButton(h.ctx, "U0BOB", msg, ActionApprove); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.WaitEphemeral(h.ctx, func(m fakeslack.Message) bool { return m.User == "U0BOB" && strings.Contains(m.Text(), msgInternal) }); err != nil {
		t.Fatal(err)
	}

	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(func(v fakeslack.View) bool { return v.CallbackID == CallbackRequest })
	ack, err := h.srv.SubmitView(h.ctx, "U0ALICE", v.ID, map[string]map[string]any{BlockReason: {ActionReasonInput: fakeslack.TextValue("why")}})
	if err != nil {
		t.Fatalf("a panicking submission was not acked: %v", err)
	}
	if ack.ResponseAction() != "" {
		t.Errorf("ack %s", ack.Payload)
	}
	h.waitMessage(func(m fakeslack.Message) bool { return m.User == "U0ALICE" && strings.Contains(m.Text(), msgInternal) })

	// Still serving.
	if _, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "help", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
}

// A request filed with /access is acknowledged at once, in the ack; when the
// confirmation DM landed, that is all the channel gets (no response_url
// post repeating the DM). When it did not land, the channel is told instead.
func TestRequestCommandAckedAndConfirmedByDM(t *testing.T) {
	for _, dmLanded := range []bool{true, false} {
		t.Run(fmt.Sprintf("dm_landed=%v", dmLanded), func(t *testing.T) {
			h := start(t)
			if dmLanded {
				h.wf.req.RequesterMessage = access.MessageRef{UserID: "U0ALICE", Channel: "DU0ALICE", TS: "1.000001"}
			}
			ack, err := h.srv.SlashCommand(h.ctx, "U0ALICE", "/access", "request aws-prod-read 4h debugging", "C0GENERAL")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(ack.Payload), "Filing your request for `aws-prod-read` (4h)") {
				t.Errorf("ack payload = %s", ack.Payload)
			}
			h.wf.waitCall(h.ctx, t, "Submit", 1)
			h.shutdown() // waits for the handler
			posts := 0
			for _, m := range h.srv.MessageLog() {
				if m.Kind == fakeslack.KindResponseURL {
					posts++
				}
			}
			if want := map[bool]int{true: 0, false: 1}[dmLanded]; posts != want {
				t.Errorf("%d response_url posts, want %d", posts, want)
			}
		})
	}
}
