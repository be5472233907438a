package fakeslack_test

import (
	"slices"
	"testing"

	"github.com/slack-go/slack/socketmode"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestSpreadAcrossConnections connects three clients of one app, as three
// replicas would: with Spread every envelope reaches exactly one of them,
// each gets some, and DeliveredTo names the one that did; without a
// router the newest connection gets everything.
func TestSpreadAcrossConnections(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	ack := func(b *bot, evt socketmode.Event) { b.sm.Ack(*evt.Request) }
	var bots []*bot
	for i := range 3 {
		bots = append(bots, startBot(t, srv, ack))
		if err := srv.WaitConnectionCount(ctx, i+1); err != nil {
			t.Fatal(err)
		}
	}
	live := srv.LiveConnections()
	if !slices.Equal(live, []int{1, 2, 3}) {
		t.Fatalf("live connections %v, want [1 2 3]", live)
	}

	srv.SetRouter(fakeslack.Spread(7))
	const n = 60
	sentTo := map[string]int{}
	for range n {
		a, err := srv.SlashCommand(ctx, "U0ALICE", "/access", "list", "C1")
		if err != nil {
			t.Fatal(err)
		}
		to := srv.DeliveredTo(a.Envelope.EnvelopeID)
		if len(to) != 1 || !slices.Contains(live, to[0]) {
			t.Fatalf("envelope delivered to %v", to)
		}
		sentTo[a.Envelope.EnvelopeID] = to[0]
	}
	total := 0
	for i, b := range bots {
		ids := b.envelopeIDs()
		total += len(ids)
		if len(ids) == 0 {
			t.Errorf("connection %d got no envelope of %d", i+1, n)
		}
		for _, id := range ids {
			if sentTo[id] != i+1 {
				t.Errorf("envelope %s reached connection %d, DeliveredTo says %d", id, i+1, sentTo[id])
			}
		}
	}
	if total != n {
		t.Errorf("%d envelopes received in all, want %d (each exactly once)", total, n)
	}

	srv.SetRouter(nil)
	a, err := srv.SlashCommand(ctx, "U0ALICE", "/access", "list", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if to := srv.DeliveredTo(a.Envelope.EnvelopeID); !slices.Equal(to, []int{3}) {
		t.Errorf("without a router the envelope went to %v, want the newest [3]", to)
	}
}
