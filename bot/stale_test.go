package bot

import (
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// An approval DM the workflow does not track (sent again after a restart)
// still shows Approve after the request was decided; a click on it is
// refused and redraws it, so it stops offering buttons.
func TestRefusedClickRedrawsUntrackedApprovalDM(t *testing.T) {
	h := start(t)
	ref, err := h.bot.SendApproval(h.ctx, bob, testRequest(access.StatePending), testResource(), false)
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := h.srv.MessageAt(ref.Channel, ref.TS)
	if !ok {
		t.Fatal("approval DM not posted")
	}
	h.wf.mu.Lock()
	h.wf.req = testRequest(access.StateActive) // decided meanwhile; ApproverMessages does not name this DM
	h.wf.mu.Unlock()
	h.wf.fail("Approve", access.Refuse(access.ECONFLICT, access.ReasonDecidedBy, access.Params{Approve: true, State: access.StateActive, Person: "bob"}))
	if _, err := h.srv.ClickButton(h.ctx, bob.SlackID, msg, ActionApprove); err != nil {
		t.Fatal(err)
	}
	h.waitMessage(func(m fakeslack.Message) bool {
		return m.Kind == fakeslack.KindUpdated && m.Channel == ref.Channel && m.TS == ref.TS
	})
	cur, _ := h.srv.MessageAt(ref.Channel, ref.TS)
	if _, ok := cur.Button(ActionApprove); ok {
		t.Fatalf("redrawn DM still offers Approve: %s", cur.Text())
	}

	// An outsider's refusal (EFORBIDDEN) redraws nothing.
	ref2, err := h.bot.SendApproval(h.ctx, bob, testRequest(access.StatePending), testResource(), false)
	if err != nil {
		t.Fatal(err)
	}
	msg2, _ := h.srv.MessageAt(ref2.Channel, ref2.TS)
	h.wf.fail("Approve", access.Refuse(access.EFORBIDDEN, access.ReasonNotApprover, access.Params{Resource: "AWS Production (read)"}))
	if _, err := h.srv.ClickButton(h.ctx, "U0EVE", msg2, ActionApprove); err != nil {
		t.Fatal(err)
	}
	h.waitMessage(func(m fakeslack.Message) bool { return m.User == "U0EVE" && m.Ephemeral })
	h.shutdown()
	if cur, _ := h.srv.MessageAt(ref2.Channel, ref2.TS); cur.Version != 0 {
		t.Fatalf("an outsider's click redrew the DM: %s", cur.Text())
	}
}
