package bot

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/workflow"
)

// homeOverview is what alice sees: an active grant, a pending request of
// hers and a request of bob's waiting for her approval.
func homeOverview() (workflow.Overview, *access.Catalog) {
	res := testResource()
	res.MaxDuration = 24 * time.Hour
	res.Extension = access.ExtensionPolicy{MaxExtensions: 2, RequiresApproval: true}
	other := access.Resource{ID: "grafana", Name: "Grafana admin", Approvers: []string{"bob@example.com"}, Durations: []time.Duration{time.Hour}, MinApprovals: 1}
	grant := testRequest(access.StateActive)
	grant.ID = "grant2345"
	pending := testRequest(access.StatePending)
	pending.ID, pending.ResourceID = "pend2345", "grafana"
	toApprove := testRequest(access.StatePending)
	toApprove.ID, toApprove.Requester, toApprove.Reason = "appr2345", bob, "rotate keys"
	return workflow.Overview{User: alice, Mine: []*access.Request{&grant, &pending}, ToApprove: []*access.Request{&toApprove}},
		access.NewCatalog([]access.Resource{res, other})
}

func TestHomeShowsEachSectionWithItsButtons(t *testing.T) {
	ov, cat := homeOverview()
	rd := renderer{now: t0.Add(time.Hour)}
	v := rd.home(ov, nil, cat)
	checkModal(t, "home", slack.ModalViewRequest{Blocks: v.Blocks})
	m := message{blocks: v.Blocks.BlockSet}
	want := []string{"home_request=",
		"extend_1h=grant2345|1h", "extend_4h=grant2345|4h", "revoke=grant2345",
		"cancel_request=pend2345",
		"approve=appr2345", "deny=appr2345"}
	if got := buttons(m); !slices.Equal(got, want) {
		t.Fatalf("buttons %v\nwant %v", got, want)
	}
	text := blocksText(t, v.Blocks.BlockSet)
	for _, w := range []string{"Your active access", "AWS Production (read)", "expires in about 3h", "Your pending requests", "Grafana admin",
		"Waiting for your approval", "<@U0BOB> asks for", "rotate keys"} {
		if !strings.Contains(text, w) {
			t.Errorf("home lacks %q:\n%s", w, text)
		}
	}
	for _, id := range []string{BlockHomeActions, BlockHomeGrants, BlockHomePending, BlockHomeApprovals} {
		if !strings.Contains(text, `"block_id":"`+id) {
			t.Errorf("home has no block %s", id)
		}
	}
}

func TestHomeGrantButtonsFollowState(t *testing.T) {
	ov, cat := homeOverview()
	rd := renderer{now: t0.Add(time.Hour)}
	grant := ov.Mine[0]
	grant.Grant.PendingExtension = "ext23456"
	if got := buttons(message{blocks: rd.home(ov, nil, cat).Blocks.BlockSet}); slices.Contains(got, "extend_1h=grant2345|1h") || !slices.Contains(got, "revoke=grant2345") {
		t.Errorf("with an extension waiting: %v, want Revoke only", got)
	}
	grant.Grant.PendingExtension = ""
	grant.Grant.Removal = &access.Removal{Outcome: access.StateRevoked, By: bob}
	if got := buttons(message{blocks: rd.home(ov, nil, cat).Blocks.BlockSet}); slices.ContainsFunc(got, func(b string) bool { return strings.Contains(b, "grant2345") }) {
		t.Errorf("a grant being removed offers %v", got)
	}
}

func TestHomeEmptyAndFailed(t *testing.T) {
	rd := renderer{now: t0}
	text := blocksText(t, rd.home(workflow.Overview{}, nil, nil).Blocks.BlockSet)
	for _, w := range []string{"no access through accessbot", "no requests waiting", "Nothing is waiting for your approval", "Request access"} {
		if !strings.Contains(text, w) {
			t.Errorf("empty home lacks %q", w)
		}
	}
	failed := blocksText(t, rd.home(workflow.Overview{}, access.Refuse(access.EINVALID, access.ReasonNoEmail, access.Params{}), nil).Blocks.BlockSet)
	if !strings.Contains(failed, "no email") || strings.Contains(failed, "Waiting for your approval") {
		t.Errorf("failed home: %s", failed)
	}
}

func TestHomeKeepsLimitsWithHostileInput(t *testing.T) {
	for _, st := range allStates {
		r, res := hostile(st)
		ov := workflow.Overview{Mine: slices.Repeat([]*access.Request{&r}, 60), ToApprove: slices.Repeat([]*access.Request{&r}, 60)}
		v := renderer{now: t0, dryRun: true}.home(ov, nil, access.NewCatalog([]access.Resource{res}))
		checkModal(t, "home "+string(st), slack.ModalViewRequest{Blocks: v.Blocks})
		ids := map[string]bool{}
		for _, b := range v.Blocks.BlockSet {
			if a, ok := b.(*slack.ActionBlock); ok {
				if ids[a.BlockID] {
					t.Fatalf("%s: block id %q twice", st, a.BlockID)
				}
				ids[a.BlockID] = true
			}
		}
	}
}

func blocksText(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, bl := range blocks {
		if err := enc.Encode(bl); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func TestHomeStateCoalescesAndIsBounded(t *testing.T) {
	h := newHomeState(2)
	h.opened("U1")
	h.learn("U1", "One@Example.com")
	if got := h.take(); !slices.Equal(got, []string{"U1"}) {
		t.Fatalf("after opening: %v", got)
	}
	for range 100 {
		h.changed([]string{"U1", "U9"}, []string{"one@example.com", "nine@example.com"})
	}
	if got := h.take(); !slices.Equal(got, []string{"U1"}) {
		t.Fatalf("100 changes of a viewer give %v, want one redraw of U1 and none of people who never opened", got)
	}
	h.opened("U2")
	h.opened("U3") // over the bound: one of U1, U2 is forgotten
	if len(h.viewers) != 2 || len(h.take()) > 2 {
		t.Fatalf("viewers %v exceed the bound", h.viewers)
	}
	h.forget("U3")
	h.changed([]string{"U3"}, nil)
	if got := h.take(); len(got) != 0 {
		t.Fatalf("a forgotten viewer is redrawn: %v", got)
	}
}

// The Home tab of a person who opened it is redrawn when a request they are
// involved in changes, as requester or as approver (found by email); people
// who never opened it cost no views.publish.
func TestRequestChangedRedrawsOpenHomes(t *testing.T) {
	h := start(t)
	for _, u := range []string{"U0ALICE", "U0BOB"} {
		if _, err := h.bot.UserByID(h.ctx, u); err != nil { // as the workflow's List does
			t.Fatal(err)
		}
		if _, err := h.srv.SendEvent(h.ctx, map[string]any{"type": "app_home_opened", "user": u, "channel": "D" + u, "tab": "home"}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.srv.WaitHome(h.ctx, u, func(fakeslack.View) bool { return true }); err != nil {
			t.Fatal(err)
		}
	}
	publishes := func(user string) int {
		n := 0
		for _, c := range h.srv.Calls("views.publish") {
			if c.JSON["user_id"] == user {
				n++
			}
		}
		return n
	}
	alice0, bob0 := publishes("U0ALICE"), publishes("U0BOB")

	// eve's request, which alice and bob may approve; eve never opened her Home.
	r := testRequest(access.StatePending)
	r.Requester = access.User{SlackID: "U0EVE", Email: "eve@example.com"}
	h.bot.RequestChanged(r)
	eventually(t, h.ctx, func() bool { return publishes("U0ALICE") == alice0+1 && publishes("U0BOB") == bob0+1 })

	r.State = access.StateDenied
	h.bot.RequestChanged(r)
	eventually(t, h.ctx, func() bool { return publishes("U0ALICE") == alice0+2 && publishes("U0BOB") == bob0+2 })
	h.shutdown()
	if _, published := h.srv.HomeView("U0EVE"); published {
		t.Error("the Home of someone who never opened it was published")
	}
	if a, b := publishes("U0ALICE")-alice0, publishes("U0BOB")-bob0; a != 2 || b != 2 {
		t.Errorf("Homes published %d and %d times for two changes, want 2 each", a, b)
	}
}
